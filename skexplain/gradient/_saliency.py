"""``Saliency`` (the input gradient) and ``GradientXInput``."""
from ..base import BaseExplainer
from ._base import GRADIENT_CONSTRAINTS, GradientMixin
from ._docstrings import fill_gradient_doc

__all__ = ["GradientXInput", "Saliency", "plain_gradients"]


def plain_gradients(engine, x, targets):
    """Gradients of the target output at the rows themselves, in row chunks.

    Parameters
    ----------
    engine : GradientEngine
    x : Tensor of shape (n, \\*input_shape)
    targets : LongTensor of shape (n,) or None
        None selects each row's predicted class within the same pass.

    Returns
    -------
    grads : Tensor of shape (n, \\*input_shape)
    targets : LongTensor of shape (n,)
    """
    import torch

    from ._engine import Batch

    grads, used = [], []

    def make(start, stop, _hooks):
        return Batch(x[start:stop], None if targets is None else targets[start:stop])

    def consume(result):
        grads.append(result.grads)
        used.append(result.targets)

    engine.run(x.shape[0], x[0].numel(), make, consume)
    if len(grads) == 1:  # one pass: no copy
        return grads[0], used[0]
    return torch.cat(grads), torch.cat(used)


@fill_gradient_doc(batch_unit="Rows")
class Saliency(GradientMixin, BaseExplainer):
    """Gradient of the target output with respect to the input.

    ``values[i] = d f_t(x_i) / d x_i`` (Simonyan et al., 2014).  Averaging
    the squared values over rows gives the "expected saliency" global
    importance of Horel et al. (2018):
    ``explain(X).global_importance(kind="rms")``.

    Axioms claimed (exactly; checked by
    :func:`~skexplain.testing.check_explainer`): *dummy* (a feature the
    model ignores has a zero derivative), *symmetry* (at a row with
    ``x_i == x_j``, a model symmetric in ``i`` and ``j`` has equal partial
    derivatives) and, unless ``abs=True``, *linearity* (the gradient of
    ``f + g`` is the sum of their gradients).

    Parameters
    ----------
    model : torch.nn.Module or fitted MLP/linear scikit-learn model
        Maps (n, \\*input_shape) to (n, n_outputs); never modified.  A
        scikit-learn classifier is explained through its logits.
    abs : bool, default=False
        Return ``|gradient|`` (Simonyan et al.'s saliency map; captum's default).
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    model_ : TorchModel
        The adapter (module, device, dtype, output names).
    background_ : ndarray of shape (n_background, \\*input_shape)
    %(attributes_end)s

    Examples
    --------
    >>> import torch
    >>> from skexplain import Saliency
    >>> model = torch.nn.Linear(3, 2)
    >>> expl = Saliency(model).fit(torch.zeros(1, 3)).explain(torch.ones(4, 3), target=1)
    >>> expl.values.shape
    (4, 3)
    >>> bool((abs(expl.values - model.weight[1].detach().numpy()) < 1e-7).all())
    True
    """

    _axioms = frozenset({"dummy", "symmetry", "linearity"})
    _parameter_constraints: dict = {**GRADIENT_CONSTRAINTS, "abs": ["boolean"]}

    def __init__(self, model, *, abs=False, output="auto", batch_size=None):
        self.model = model
        self.abs = abs
        self.output = output
        self.batch_size = batch_size

    def _claims(self):
        exact, approximate = super()._claims()
        if self.abs:  # |grad f + grad g| != |grad f| + |grad g|
            exact.discard("linearity")
        return exact, approximate

    def _attribute(self, engine, x, targets, outputs):
        grads, used = plain_gradients(engine, x, targets)
        return {"values": grads.abs_() if self.abs else grads, "targets": used}


@fill_gradient_doc(batch_unit="Rows")
class GradientXInput(GradientMixin, BaseExplainer):
    """Gradient times input: ``values[i] = x_i * d f_t(x_i) / d x_i``.

    For a linear model it equals IntegratedGradients and DeepLIFT with a zero
    baseline; for ReLU networks without biases it equals epsilon-LRP
    (Ancona et al., 2018).

    Axioms claimed (exactly): *dummy*, *symmetry* (at rows with
    ``x_i == x_j``) and *linearity*, inherited from the gradient.

    Parameters
    ----------
    %(model)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    %(attributes)s

    Examples
    --------
    >>> import torch
    >>> from skexplain import GradientXInput
    >>> model = torch.nn.Linear(2, 1)
    >>> x = torch.tensor([[1.0, 2.0]])
    >>> expl = GradientXInput(model).fit(torch.zeros(1, 2)).explain(x)
    >>> bool(torch.allclose(torch.as_tensor(expl.values, dtype=torch.float32),
    ...                     model.weight.detach() * x))
    True
    """

    _axioms = frozenset({"dummy", "symmetry", "linearity"})
    _parameter_constraints: dict = {**GRADIENT_CONSTRAINTS}

    def __init__(self, model, *, output="auto", batch_size=None):
        self.model = model
        self.output = output
        self.batch_size = batch_size

    def _attribute(self, engine, x, targets, outputs):
        grads, used = plain_gradients(engine, x, targets)
        return {"values": grads.mul_(x), "targets": used}
