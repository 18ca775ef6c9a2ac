"""``IntegratedGradients``: path integral of gradients from the background rows."""
from numbers import Integral

from ..base import BaseExplainer
from ..utils._param_validation import Interval, StrOptions
from ._base import GRADIENT_CONSTRAINTS, GradientMixin
from ._docstrings import fill_gradient_doc
from ._layer import LAYER_ATTRIBUTES, LAYER_CONSTRAINTS, LAYER_DOC, LayerMixin
from ._paths import QUADRATURE_METHODS, integrate_paths, quadrature

__all__ = ["IntegratedGradients"]


@fill_gradient_doc(batch_unit="Points (rows x background rows x steps)", layer=LAYER_DOC,
                   layer_attributes=LAYER_ATTRIBUTES)
class IntegratedGradients(LayerMixin, GradientMixin, BaseExplainer):
    """Integrated Gradients (Sundararajan et al., 2017), averaged over the background.

    For a reference row ``b``,
    ``IG_i(x; b) = (x_i - b_i) * integral_0^1 df_t(b + a (x - b)) / dx_i da``,
    approximated with a quadrature rule of ``n_steps`` nodes.  The values are
    the (weighted) mean of ``IG(x; b)`` over the background rows, so
    ``fit(np.zeros((1, d)))`` gives the classic zero baseline.  Completeness:
    ``values.sum() = f_t(x) - mean_b f_t(b)`` up to the quadrature error,
    reported per row in ``Explanation.delta``.

    Axioms claimed: completeness up to the quadrature error; exactly (for
    any ``n_steps``, since the nodes are fixed) *dummy* (an ignored feature
    has zero gradients along every path), *linearity* (the gradients of
    ``f + g`` are the sums) and *symmetry*: a row with ``x_i == x_j``, a
    model symmetric in ``i`` and ``j`` and a background closed under
    swapping them (with equal weights) give equal values, as for Shapley
    values.

    All (row, background row, step) points go through the model in chunks of
    ``batch_size``: one forward and one backward pass per chunk, the
    quadrature weights applied to the outputs before the backward pass.  The
    cost is ``n * n_background * n_steps`` gradient evaluations.

    Parameters
    ----------
    model : torch.nn.Module or fitted MLP/linear scikit-learn model
        Never modified.  A scikit-learn classifier is explained through its
        logits (``decision_function``).
    n_steps : int, default=50
        Number of quadrature nodes.
    method : {"gausslegendre", "riemann_left", "riemann_right", "riemann_middle", \
"riemann_trapezoid"}, default="gausslegendre"
        Quadrature rule (see :func:`skexplain.gradient.quadrature`).  Gauss-Legendre
        converges fastest on smooth models; left/right rules are first order.
        The trapezoid weights are ``h/2, h, ..., h/2`` with ``h = 1/(n_steps-1)``
        (captum's sum to ``(n-1)/n``).
    %(layer)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    model_ : TorchModel
    background_ : ndarray of shape (n_background, \\*input_shape)
        The baselines.
    alphas_ : ndarray of shape (n_steps,)
        Quadrature nodes on [0, 1].
    step_weights_ : ndarray of shape (n_steps,)
        Quadrature weights (they sum to one).
    %(attributes_end)s
    %(layer_attributes)s

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skexplain import IntegratedGradients
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
    ...                             torch.nn.Linear(8, 2))
    >>> X = torch.randn(3, 4)
    >>> expl = IntegratedGradients(model).fit(np.zeros((1, 4))).explain(X, target=0)
    >>> expl.values.shape
    (3, 4)
    >>> bool(np.abs(expl.delta).max() < 1e-5)
    True

    At a layer: token ids through an embedding, one value per token.

    >>> text = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(),
    ...                            torch.nn.Linear(12, 2))
    >>> ids = torch.tensor([[1, 5, 7], [2, 2, 9]])
    >>> ig = IntegratedGradients(text, layer="0", layer_reduce="sum")
    >>> expl = ig.fit(torch.zeros(1, 3, dtype=torch.long)).explain(ids, target=1)
    >>> expl.values.shape, bool(np.abs(expl.delta).max() < 1e-5)
    ((2, 3), True)

    Several inputs and a per-row mask (``additional_forward_args``): one
    Explanation per input, completeness over their sum.

    >>> class TwoInputs(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a, self.b = torch.nn.Linear(3, 2), torch.nn.Linear(2, 2)
    ...     def forward(self, a, b, mask):
    ...         return torch.tanh(self.a(a) + self.b(b)) * mask
    >>> ig = IntegratedGradients(TwoInputs()).fit(
    ...     (torch.zeros(1, 3), torch.zeros(1, 2)), additional_forward_args=(torch.ones(1, 2),))
    >>> a_expl, b_expl = ig.explain((torch.randn(4, 3), torch.randn(4, 2)), target=0,
    ...                             additional_forward_args=(torch.ones(4, 2),))
    >>> a_expl.values.shape, b_expl.values.shape, bool(np.abs(a_expl.delta).max() < 1e-5)
    ((4, 3), (4, 2), True)
    """

    _completeness = "approximate"
    _axioms = frozenset({"dummy", "symmetry", "linearity"})
    _needs_outputs = True
    _takes_baselines = True
    _parameter_constraints: dict = {
        **GRADIENT_CONSTRAINTS,
        **LAYER_CONSTRAINTS,
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(QUADRATURE_METHODS))],
    }

    def __init__(self, model, *, n_steps=50, method="gausslegendre", layer=None,
                 layer_reduce=None, output="auto", batch_size=None):
        self.model = model
        self.n_steps = n_steps
        self.method = method
        self.layer = layer
        self.layer_reduce = layer_reduce
        self.output = output
        self.batch_size = batch_size

    def _fit(self, background):
        self.alphas_, self.step_weights_ = quadrature(self.method, self.n_steps)

    def _attribute(self, engine, x, targets, outputs, baselines=None):
        import torch

        if baselines is None:  # pairs (row, background row), the background's weights
            refs = engine.to_tensor(self.background_, name="background")
            m, ref_weights = refs.shape[0], self.background_weights_
            if ref_weights is None:
                ref_weights = [1.0 / m] * m
        else:  # per-row baselines: one pair (row i, reference i) per row, weight 1
            refs, m, ref_weights = baselines, 1, [1.0]
        inputs = acts = ref_at = None
        if self.layer_ is not None:  # the path runs between the layer's outputs
            inputs, acts = x, self._activations(engine, x)
            if baselines is None:
                refs, ref_at = self._reference_activations(engine, refs, x.shape[0])
            else:  # reference i runs with row i's forward arguments, if any
                refs = self._activations(engine, refs)
            x = acts
        as_t = lambda a: torch.as_tensor(a, dtype=x.dtype, device=x.device)  # noqa: E731
        nodes, weights = as_t(self.alphas_), as_t(self.step_weights_)
        ref_weights = as_t(ref_weights)

        def pairs(p0, p1):  # pair p = (row p // m, reference p % m), or (p, p) with baselines
            p = torch.arange(p0, p1, device=x.device)
            if baselines is not None:
                return p, p
            return (p // m, p % m) if ref_at is None else (p // m, p)  # p = ref_at(p//m, p%m)

        total, _ = integrate_paths(
            engine, x, refs, targets, pairs, pairs_per_row=m,
            alphas=lambda p0, p1: nodes.expand(p1 - p0, -1), step_weights=weights,
            pair_weights=lambda p0, p1, ref: ref_weights[ref % m], inputs=inputs,
            reduce=self._reduce)
        return {"values": total, "targets": targets,
                "n_gradient_points": x.shape[0] * m * nodes.shape[0],
                **self._layer_entries(acts)}
