"""``ExpectedGradients``: IG with random baselines and random path positions."""
from numbers import Integral

from sklearn.utils import check_random_state

from ..base import BaseExplainer
from ..utils._param_validation import Interval
from ._base import GRADIENT_CONSTRAINTS, GradientMixin
from ._docstrings import fill_gradient_doc
from ._layer import LAYER_ATTRIBUTES, LAYER_CONSTRAINTS, LAYER_DOC, LayerMixin
from ._paths import integrate_paths

__all__ = ["ExpectedGradients"]


@fill_gradient_doc(batch_unit="Samples", layer=LAYER_DOC,
                   layer_attributes=LAYER_ATTRIBUTES)
class ExpectedGradients(LayerMixin, GradientMixin, BaseExplainer):
    """Expected Gradients (Erion et al., 2021).

    ``phi(x) = E_{b ~ background, a ~ U(0, 1)} [(x - b) * grad f_t(b + a (x - b))]``,
    estimated with ``n_samples`` independent pairs per row: each sample draws
    a fresh background row (with ``fit``'s ``sample_weight`` as probabilities)
    and a fresh ``a``.  Completeness holds in expectation against the
    background mean: ``E[values.sum()] = f_t(x) - mean_b f_t(b)``;
    ``Explanation.delta`` reports the sampled gap and ``Explanation.stderr``
    the standard error of each value.

    Axioms claimed: *dummy* and, for a fixed ``random_state``, *linearity*
    exactly (``f``, ``g`` and ``f + g`` get the same draws); completeness
    and *symmetry* (as for IntegratedGradients) in expectation only.

    With ``layer`` the paths run between the layer's outputs on the drawn
    background row and on the explained row; ``stderr`` is that of the
    values (summed with ``layer_reduce="sum"``).

    All draws are made up front from ``random_state``, so results do not
    depend on ``batch_size`` (nor on the device).

    Parameters
    ----------
    %(model)s
    n_samples : int, default=200
        Samples per explained row (the authors recommend 100-200).
    %(layer)s
    %(output)s
    %(batch_size)s
    random_state : int, RandomState instance or None, default=None
        Seeds the background rows and path positions.

    Attributes
    ----------
    %(attributes)s
    %(layer_attributes)s

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skexplain import ExpectedGradients
    >>> model = torch.nn.Linear(3, 1)
    >>> background = np.random.RandomState(0).normal(size=(20, 3))
    >>> eg = ExpectedGradients(model, n_samples=100, random_state=0).fit(background)
    >>> expl = eg.explain(np.ones((2, 3)))
    >>> expl.values.shape, expl.stderr.shape
    ((2, 3), (2, 3))
    """

    _completeness = "approximate"
    _axioms = frozenset({"dummy", "linearity"})
    _approximate_axioms = frozenset({"symmetry"})
    _needs_outputs = True
    _no_baselines_reason = ("it samples its references from the background (for one "
                            "reference per row, use IntegratedGradients)")
    _parameter_constraints: dict = {
        **GRADIENT_CONSTRAINTS,
        **LAYER_CONSTRAINTS,
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, model, *, n_samples=200, layer=None, layer_reduce=None, output="auto",
                 batch_size=None, random_state=None):
        self.model = model
        self.n_samples = n_samples
        self.layer = layer
        self.layer_reduce = layer_reduce
        self.output = output
        self.batch_size = batch_size
        self.random_state = random_state

    def _draws(self, n, m):
        """Background row and alpha of every (row, sample), drawn on the CPU."""
        import torch

        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        gen = torch.Generator().manual_seed(seed)
        shape = (n * self.n_samples,)
        if self.background_weights_ is None:
            refs = torch.randint(m, shape, generator=gen)
        else:
            probs = torch.as_tensor(self.background_weights_, dtype=torch.float64)
            refs = torch.multinomial(probs, shape[0], replacement=True, generator=gen)
        return refs, torch.rand(shape, generator=gen, dtype=torch.float64)

    def _attribute(self, engine, x, targets, outputs):
        import torch

        refs = engine.to_tensor(self.background_, name="background")
        inputs = acts = ref_at = None
        m = refs.shape[0]
        if self.layer_ is not None:  # the paths run between the layer's outputs
            inputs, acts = x, self._activations(engine, x)
            refs, ref_at = self._reference_activations(engine, refs, x.shape[0])
            x = acts
        S = self.n_samples
        ref_index, alphas = self._draws(x.shape[0], m)
        ref_index = ref_index.to(x.device)
        alphas = alphas.to(device=x.device, dtype=x.dtype)
        one = torch.ones(1, dtype=x.dtype, device=x.device)

        def pairs(p0, p1):  # pair p = (row p // S, sample p % S), one step each
            rows = torch.arange(p0, p1, device=x.device) // S
            return rows, ref_index[p0:p1] if ref_at is None else ref_at(rows, ref_index[p0:p1])

        total, squares = integrate_paths(
            engine, x, refs, targets, pairs, pairs_per_row=S,
            alphas=lambda p0, p1: alphas[p0:p1, None], step_weights=one,
            pair_weights=lambda p0, p1, ref: one.expand(p1 - p0) / S, second_moment=True,
            inputs=inputs, reduce=self._reduce)
        stderr = None
        if S > 1:  # squares = sum (c/S)^2, so E[c^2] = S * squares
            stderr = ((S * squares - total.square()).clamp_(min=0) / (S - 1)).sqrt_()
        return {"values": total, "targets": targets, "stderr": stderr,
                "n_gradient_points": x.shape[0] * S, **self._layer_entries(acts)}
