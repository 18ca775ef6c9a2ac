"""``Saliency`` (the input gradient) and ``GradientXInput``."""
from ..base import BaseExplainer
from ._base import GRADIENT_CONSTRAINTS, GradientMixin
from ._docstrings import fill_gradient_doc
from ._layer import LAYER_ATTRIBUTES, LAYER_CONSTRAINTS, LAYER_DOC, LayerMixin

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
        With an engine ``layer``: the gradients with respect to the layer's
        output, of its shape.
    targets : LongTensor of shape (n,)
    activations : Tensor or None
        The layer's output on ``x`` (None without a layer).
    """
    import torch

    from ._engine import Batch

    grads, used, acts = [], [], []

    def make(start, stop, _hooks):
        return Batch(x[start:stop], None if targets is None else targets[start:stop],
                     rows=engine.arange(start, stop))

    def consume(result):
        grads.append(result.grads if result.layer_grads is None else result.layer_grads)
        used.append(result.targets)
        acts.append(result.activations)

    engine.run(x.shape[0], x[0].numel(), make, consume)
    if len(grads) == 1:  # one pass: no copy
        return grads[0], used[0], acts[0]
    return (torch.cat(grads), torch.cat(used),
            None if acts[0] is None else torch.cat(acts))


@fill_gradient_doc(batch_unit="Rows", layer=LAYER_DOC,
                   layer_attributes=LAYER_ATTRIBUTES)
class Saliency(LayerMixin, GradientMixin, BaseExplainer):
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
    %(layer)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    model_ : TorchModel
        The adapter (module, device, dtype, output names).
    background_ : ndarray of shape (n_background, \\*input_shape)
    %(attributes_end)s
    %(layer_attributes)s

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
    _parameter_constraints: dict = {**GRADIENT_CONSTRAINTS, **LAYER_CONSTRAINTS,
                                    "abs": ["boolean"]}

    def __init__(self, model, *, abs=False, layer=None, layer_reduce=None, output="auto",
                 batch_size=None):
        self.model = model
        self.abs = abs
        self.layer = layer
        self.layer_reduce = layer_reduce
        self.output = output
        self.batch_size = batch_size

    def _claims(self):
        exact, approximate = super()._claims()
        if self.abs:  # |grad f + grad g| != |grad f| + |grad g|
            exact.discard("linearity")
        return exact, approximate

    def _attribute(self, engine, x, targets, outputs):
        grads, used, acts = plain_gradients(engine, x, targets)
        values = self._reduce(grads.abs_() if self.abs else grads)
        return {"values": values, "targets": used, **self._layer_entries(acts)}


@fill_gradient_doc(batch_unit="Rows", layer=LAYER_DOC,
                   layer_attributes=LAYER_ATTRIBUTES)
class GradientXInput(LayerMixin, GradientMixin, BaseExplainer):
    """Gradient times input: ``values[i] = x_i * d f_t(x_i) / d x_i``.

    For a linear model it equals IntegratedGradients and DeepLIFT with a zero
    baseline; for ReLU networks without biases it equals epsilon-LRP
    (Ancona et al., 2018).

    Axioms claimed (exactly): *dummy*, *symmetry* (at rows with
    ``x_i == x_j``) and *linearity*, inherited from the gradient.

    With ``layer`` the values are the layer's output times the gradient
    with respect to it (captum's ``LayerGradientXActivation``).

    Parameters
    ----------
    %(model)s
    %(layer)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    %(attributes)s
    %(layer_attributes)s

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
    _parameter_constraints: dict = {**GRADIENT_CONSTRAINTS, **LAYER_CONSTRAINTS}

    def __init__(self, model, *, layer=None, layer_reduce=None, output="auto",
                 batch_size=None):
        self.model = model
        self.layer = layer
        self.layer_reduce = layer_reduce
        self.output = output
        self.batch_size = batch_size

    def _attribute(self, engine, x, targets, outputs):
        grads, used, acts = plain_gradients(engine, x, targets)
        values = self._reduce(grads.mul_(x if acts is None else acts))
        return {"values": values, "targets": used, **self._layer_entries(acts)}
