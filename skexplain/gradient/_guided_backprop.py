"""``GuidedBackprop``: gradients with negative signals cut at every ReLU."""
import warnings

from ..base import BaseExplainer
from ._base import GRADIENT_CONSTRAINTS, GradientMixin
from ._docstrings import fill_gradient_doc
from ._saliency import plain_gradients

__all__ = ["GuidedBackprop", "warn_unguided"]


def warn_unguided(module, owner):
    """Warn when ``module`` has no ``nn.ReLU`` module to guide (call from ``_attribute``)."""
    import torch

    if not any(isinstance(m, torch.nn.ReLU) for m in module.modules()):
        warnings.warn(
            f"{owner} found no nn.ReLU module in {type(module).__name__}: ReLUs applied as "
            "functions (F.relu, torch.relu) cannot be guided, so the values are plain "
            "gradients.", UserWarning, stacklevel=5)


@fill_gradient_doc(batch_unit="Rows")
class GuidedBackprop(GradientMixin, BaseExplainer):
    """Guided backpropagation (Springenberg et al., 2015).

    The backward pass through every ``nn.ReLU`` module keeps only positive
    gradients where the ReLU's input was positive:
    ``R_l = 1[a_l > 0] * relu(R_{l+1})``.  The forward pass is unchanged.

    Only ``nn.ReLU`` *modules* are guided (as in captum), each call site
    separately, in-place ones included; ReLUs applied as functions
    (``F.relu``) back-propagate plain gradients, and a model without any
    ``nn.ReLU`` module triggers a warning.  Guided backprop fails the
    model-randomisation sanity check (Adebayo et al., 2018): its maps barely
    change when the upper layers are randomised.

    No axiom is claimed: the guided backward pass is not the gradient of
    the model, so a feature the model ignores can get a value (for
    ``relu(x_i) - relu(x_i)`` the negative branch is cut), and values are
    not linear in the model.

    Parameters
    ----------
    %(model_hooked)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    %(attributes)s

    Examples
    --------
    >>> import torch
    >>> from skexplain import GuidedBackprop
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                             torch.nn.Linear(8, 3))
    >>> X = torch.randn(5, 4)
    >>> expl = GuidedBackprop(model).fit(X).explain(X)
    >>> expl.values.shape
    (5, 4)
    """

    _parameter_constraints: dict = {**GRADIENT_CONSTRAINTS}

    def __init__(self, model, *, output="auto", batch_size=None):
        self.model = model
        self.output = output
        self.batch_size = batch_size

    def _hooks(self):
        from ._hooks import guided_relu

        return guided_relu

    def _attribute(self, engine, x, targets, outputs):
        warn_unguided(self.model_.module, type(self).__name__)
        grads, used, _ = plain_gradients(engine, x, targets)
        return {"values": grads, "targets": used}
