"""``DeepLIFT`` (Rescale rule); with several background rows it is DeepSHAP.

The rules per module live in ``_hooks`` (elementwise, max pooling) and
``_softmax_rule`` (Softmax, LogSoftmax, Softmin, Softmax2d).
"""
import functools
import warnings
from numbers import Real

from ..base import BaseExplainer
from ..exceptions import ApproximationWarning
from ..utils._param_validation import Interval, StrOptions
from ._base import GRADIENT_CONSTRAINTS, GradientMixin
from ._docstrings import fill_gradient_doc
from ._layer import LAYER_ATTRIBUTES, LAYER_CONSTRAINTS, LAYER_DOC, LayerMixin

__all__ = ["DeepLIFT"]

# Summation-to-delta holds to float round-off with correct rules; a larger gap
# (relative to the largest |output| seen) means a nonlinearity had no rule.
_GAP_RTOL = 1e-3


@fill_gradient_doc(batch_unit="(row, background row) pairs", layer=LAYER_DOC,
                   layer_attributes=LAYER_ATTRIBUTES)
class DeepLIFT(LayerMixin, GradientMixin, BaseExplainer):
    """DeepLIFT with the Rescale rule (Shrikumar et al., 2017) and DeepSHAP.

    Attributions are ``(x - b) * m`` where the multipliers ``m`` are
    back-propagated with the chain rule, each nonlinearity using the ratio
    ``(y_x - y_b) / (s_x - s_b)`` of its output and input differences (its
    derivative where ``|s_x - s_b| <= eps``).  They sum exactly to
    ``f_t(x) - f_t(b)`` (summation-to-delta).  ``fit`` with one background row
    is classic DeepLIFT; with several, the values are averaged over them
    (DeepSHAP, Lundberg & Lee 2017) and sum to ``f_t(x) - mean_b f_t(b)``.
    ``explain(X, baselines=R)`` takes row i's reference ``R[i]`` instead
    (captum's per-example ``baselines``; no averaging): the values sum to
    ``f_t(x_i) - f_t(R[i])``.

    Axioms claimed (exactly, as properties of the network as built, since
    DeepLIFT depends on how a function is implemented): completeness;
    *dummy*: a feature whose weights into the network are zero gets zero
    (its value is ``(x_i - b_i)`` times a sum over its paths); *linearity*:
    for ``f + g`` built as the two networks side by side, whose outputs are
    added, the values are those of ``f`` plus those of ``g`` (each
    nonlinearity's multiplier depends only on its own input).  Symmetry is
    not claimed: it holds for networks that treat the two features alike
    weight by weight, not for every symmetric function.

    One forward pass runs on the explained rows and their references
    concatenated; forward hooks then give each *call* of a nonlinear module
    its own rule, so modules reused in the forward pass (torchvision's
    ResNet BasicBlock) and in-place modules (``ReLU(inplace=True)``) are
    handled.  Rules exist for ReLU, ReLU6, LeakyReLU, PReLU, ELU, SELU, CELU,
    GELU, SiLU, Mish, Sigmoid, Tanh, Softplus, Softsign, Hard* and other
    elementwise activation modules, and for MaxPool1d/2d/3d and
    AdaptiveMaxPool1d/2d/3d (a cross-max rule with exact summation-to-delta),
    and for Softmax, LogSoftmax, Softmin and Softmax2d, at the end of a
    network or inside it: the module is treated as the operations it is made
    of (``exp``, a sum, ``log``, a subtraction, ``exp`` again for Softmax),
    Rescale on each elementwise step, so summation-to-delta stays exact
    (``softmax_rule="complete"``).  ``softmax_rule="captum"`` reproduces
    captum's DeepLift instead (see the parameter).  A softmax over the
    batch axis (axis 0) raises ``ValueError``.
    Linear, Conv, BatchNorm (eval), AvgPool, Flatten, Dropout and other linear
    modules pass multipliers through.  Nonlinear modules without a rule
    (LayerNorm, MultiheadAttention, RNNs, ...) raise ``ModelTypeError``;
    nonlinearities applied as functions (``F.relu``, ``torch.softmax``,
    ``x.log_softmax(1)``, the product of two activations in attention) cannot
    be seen: they are detected by the summation-to-delta check, which warns
    with an :class:`~skexplain.exceptions.ApproximationWarning`.  Every layer
    must keep the batch on its first axis.

    With ``layer`` the values are ``(a_x - a_b) * m`` with ``a`` the layer's
    outputs and ``m`` the multipliers back-propagated from the output to the
    layer (captum's ``LayerDeepLift``).  The rules act above the layer, so
    the layer and its submodules (an ``nn.Embedding``) need none; modules
    the forward pass calls before the layer are hooked as usual (one
    without a rule is refused).

    Parameters
    ----------
    %(model_hooked)s
    eps : float, default=None
        Input differences at most this large use the derivative instead of
        the ratio (the ratio of two tiny float differences is rounding
        noise).  None: ``1e-10`` for float64 modules, ``1e-6`` otherwise.
    softmax_rule : {"complete", "captum"}, default="complete"
        The rule for ``nn.Softmax``.  ``"complete"`` (above) keeps
        summation-to-delta exact: use it to read the attributions, which add
        up to ``f(x) - f(b)``.  ``"captum"`` is captum's rule, to reproduce
        captum's ``DeepLift``/``DeepLiftShap`` numbers: each softmax input
        gets its own output's ratio, minus the mean of these multipliers
        over the whole pass (every element of every explained row and
        reference, as captum computes it).  It is not complete (except on
        two-class models whose logits sum to a constant): the gap is
        reported, not warned about, in ``Explanation.delta``; and the values
        of a row depend on the other rows and references of its pass (the
        explained ``X`` and the background), as captum's do.  So with
        ``batch_size=None`` every (row, reference) pair runs in **one pass**,
        as captum runs them, never split automatically: memory grows with
        ``n_rows * n_background`` (explain fewer rows at a time, or use a
        smaller background, when it does not fit).  An explicit
        ``batch_size`` splits the pairs as captum's own batching would, and
        the values then depend on it.  LogSoftmax, Softmin and Softmax2d,
        which captum treats as linear, keep the complete rule.
    %(layer)s
    %(output)s
    %(batch_size)s

    Attributes
    ----------
    model_ : TorchModel
    background_ : ndarray of shape (n_background, \\*input_shape)
        The references.
    %(attributes_end)s
    %(layer_attributes)s

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skexplain import DeepLIFT
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> relu = torch.nn.ReLU()  # one module called twice
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), relu, torch.nn.Linear(8, 8),
    ...                             relu, torch.nn.Linear(8, 3), torch.nn.Softmax(dim=1))
    >>> X = torch.randn(5, 4)
    >>> expl = DeepLIFT(model).fit(np.zeros((1, 4))).explain(X)
    >>> bool(np.abs(expl.delta).max() < 1e-5)
    True
    """

    _completeness = "exact"
    _takes_baselines = True
    _axioms = frozenset({"dummy", "linearity"})
    _parameter_constraints: dict = {
        **GRADIENT_CONSTRAINTS,
        **LAYER_CONSTRAINTS,
        "eps": [Interval(Real, 0, None, closed="left"), None],
        "softmax_rule": [StrOptions({"complete", "captum"})],
    }

    def __init__(self, model, *, eps=None, softmax_rule="complete", layer=None,
                 layer_reduce=None, output="auto", batch_size=None):
        self.model = model
        self.eps = eps
        self.softmax_rule = softmax_rule
        self.layer = layer
        self.layer_reduce = layer_reduce
        self.output = output
        self.batch_size = batch_size

    def _hooks(self):
        import torch

        from ..adapters._torch_layers import resolve_layer
        from ._hooks import deeplift_rules

        eps = self.eps
        if eps is None:
            eps = 1e-10 if self.model_.dtype == torch.float64 else 1e-6
        skip = None if self.layer_ is None else resolve_layer(self.model_.module, self.layer_)[1]
        return functools.partial(deeplift_rules, eps=eps, skip=skip,
                                 softmax_rule=self.softmax_rule)

    def _claims(self):
        exact, approximate = super()._claims()
        if self.softmax_rule == "captum":  # captum's Softmax rule is not complete
            exact.discard("completeness")
        return exact, approximate

    def _captum_softmax(self):
        """Whether captum's (incomplete) Softmax rule acts in this model."""
        import torch

        return self.softmax_rule == "captum" and any(
            type(sub) is torch.nn.Softmax for sub in self.model_.module.modules())

    def _attribute(self, engine, x, targets, outputs, baselines=None):
        import torch

        from ._engine import Batch, sum_rows

        refs = (engine.to_tensor(self.background_, name="background") if baselines is None
                else baselines)
        n, m = x.shape[0], refs.shape[0]
        weights = self.background_weights_
        if baselines is not None:  # one pair (row i, reference i) per row: no averaging
            m, weights = 1, [1.0] * n
        weights = torch.as_tensor([1.0 / m] * m if weights is None else weights,
                                  dtype=torch.float64)
        dtype = self.model_.dtype
        weights = weights.to(device=x.device, dtype=dtype)
        total = torch.zeros((n,) + self.layer_shape_, dtype=dtype, device=x.device)
        used = torch.empty(n, dtype=torch.long, device=x.device)
        delta = torch.zeros(n, dtype=torch.float64, device=x.device)
        worst = torch.zeros(2, dtype=torch.float64, device=x.device)  # max |gap|, max |f|
        view = (-1,) + (1,) * len(self.layer_shape_)
        acts = {}  # at a layer: its output on the explained rows (the data)

        def make(start, stop, split):  # pair p = row * m + ref (with baselines: p = row = ref)
            p = torch.arange(start, stop, device=x.device)
            rows, ref = (p, p) if baselines is not None else (p // m, p % m)
            split.half = stop - start
            points = torch.cat([x[rows], refs[ref]])
            sel = None if targets is None else targets[rows]
            # the references run with their explained row's forward arguments
            return Batch(points, sel, n_select=stop - start, aux=(start, rows, ref, points),
                         rows=torch.cat([rows, rows]))

        def consume(result):
            start, rows, ref, points = result.batch.aux
            grads, out, t = result.grads, result.outputs, result.targets
            c = rows.shape[0]
            if self.layer_ is not None:  # multipliers at the layer, times its differences
                grads, points = result.layer_grads, result.activations
                if "x" not in acts:
                    acts["x"] = points.new_empty((n,) + points.shape[1:])
                acts["x"][rows] = points[:c]
            contrib = self._reduce(grads[:c].mul_(points[:c] - points[c:]))
            f_x, f_ref = out[:c].gather(1, t[:, None])[:, 0], out[c:].gather(1, t[:, None])[:, 0]
            gap = (contrib.flatten(1).sum(1) - (f_x - f_ref)).double()
            sum_rows(total, contrib.mul_(weights[ref].view(view)), start, m)
            sum_rows(delta, gap * weights[ref], start, m)
            used[rows] = t
            scale = torch.maximum(f_x.abs().max(), f_ref.abs().max()).double()
            torch.maximum(worst, torch.stack([gap.abs().max(), scale]), out=worst)

        # captum's Softmax rule depends on the pass: all pairs in one, as captum runs them
        engine.run(n * m, 2 * x[0].numel(), make, consume,
                   one_pass=self._captum_softmax() and self.batch_size is None)
        if not self._captum_softmax():  # its gap is the rule's, reported in delta
            _warn_on_gap(*worst.tolist(), dtype)
        return {"values": total, "targets": used, "delta": delta,
                **self._layer_entries(acts.get("x"))}


def _warn_on_gap(gap, scale, dtype):
    import torch

    tolerance = _GAP_RTOL * scale + 100 * torch.finfo(dtype).eps
    if gap > tolerance:
        warnings.warn(
            f"DeepLIFT attributions miss summation-to-delta by up to {gap:.3g} (outputs are "
            f"of order {scale:.3g}): the model applies a nonlinearity DeepLIFT cannot see, "
            "most likely a function call (F.relu, torch.tanh, torch.exp, x * y, ...) "
            "instead of an nn.Module, or a custom module. Use nn.Module activations, or "
            "IntegratedGradients. Explanation.delta holds the gap per row.",
            ApproximationWarning, stacklevel=4)
