"""``SmoothGrad``: gradients (or another gradient explainer's attributions)
averaged over noisy copies of the input."""
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..base import BaseExplainer
from ..utils._param_validation import Interval, StrOptions
from ._base import GRADIENT_CONSTRAINTS, GradientMixin
from ._docstrings import fill_gradient_doc

__all__ = ["SmoothGrad"]

# Noise is drawn in fixed segments of the (row, sample) enumeration, each from
# its own seeded generator: the noise of a point never depends on how the
# points are chunked (batch_size), and a chunk never draws more than two extra
# segments.  Segment length (in input elements) bounds that extra memory.
_SEGMENT_ELEMENTS = 2**22
_DEFAULT_NOISE_LEVEL = 0.15


@fill_gradient_doc(batch_unit="Noisy copies")
class SmoothGrad(GradientMixin, BaseExplainer):
    """SmoothGrad (Smilkov et al., 2017) and its squared and VarGrad variants.

    For each row, ``n_samples`` noisy copies ``x + eps_k`` are drawn with
    ``eps_k ~ N(0, sigma^2)``: ``sigma = noise_level * (max(x) - min(x))``
    (the range of that row's values), or ``sigma = noise_std`` when an
    absolute scale is given.  The attributions of the target output (the
    class predicted at ``x`` by default) at the noisy copies are combined:

    - ``"smoothgrad"``: their mean;
    - ``"smoothgrad_sq"``: the mean of their squares;
    - ``"vargrad"``: their variance, ``mean(a^2) - mean(a)^2``.

    The attributions are the gradients when ``model`` is a model, and those
    of the wrapped explainer when ``model`` is a gradient explainer
    (``SmoothGrad(IntegratedGradients(module))``, as captum's ``NoiseTunnel``).
    The wrapped explainer is cloned and fitted on the background given to
    :meth:`fit`; only the explained rows get noise, never its background
    (the baselines of IntegratedGradients or DeepLIFT; per-row
    ``explain(X, baselines=R)`` are passed to them, the noisy copies of row
    i keeping ``R[i]``).  Explainers that draw
    their own random numbers (ExpectedGradients, SmoothGrad) and the layer
    maps of the CAM family are refused.

    A row whose range is zero (a constant row, or any row of an input with a
    single feature) would get no noise from ``noise_level``: ``explain``
    refuses it (ValueError) and asks for ``noise_std``, rather than return
    its noiseless gradients.

    Axioms claimed: *dummy*, exactly (an ignored feature has zero gradients
    at every noisy copy); for ``"smoothgrad"`` also *linearity*, exactly for
    a fixed ``random_state`` (``f``, ``g`` and ``f + g`` see the same noisy
    copies, and the mean of gradients is linear); *symmetry* (at rows with
    ``x_i == x_j``) only in expectation over the noise, which is isotropic
    (for a scalar noise scale).  A wrapped explainer keeps those of these
    that it claims itself; completeness is not claimed (the noisy copies'
    outputs are not ``f(x)``).

    Parameters
    ----------
    model : torch.nn.Module, fitted MLP/linear scikit-learn model, or gradient explainer
        Never modified.  A gradient explainer (Saliency, GradientXInput,
        GuidedBackprop, IntegratedGradients, DeepLIFT) is averaged instead of
        the plain gradients; its own ``output`` and ``batch_size`` apply to
        its passes.
    noise_level : float, default=None
        Noise standard deviation as a fraction of each row's value range
        (the paper recommends 0.10-0.20).  None: 0.15, unless ``noise_std``
        is given.  Give one of ``noise_level`` and ``noise_std``, not both.
    noise_std : float or array-like broadcastable to a row, default=None
        Absolute noise standard deviation (as captum's ``NoiseTunnel``
        ``stdevs``), the same for every row; an array gives one per feature
        (e.g. the background's standard deviations times 0.15).
    n_samples : int, default=50
        Noisy copies per row.
    variant : {"smoothgrad", "smoothgrad_sq", "vargrad"}, default="smoothgrad"
    output : "auto" or int, default="auto"
        Restrict the model to one output column.  With a wrapped explainer,
        set it on the wrapped explainer (anything else is refused).
    batch_size : int, default=None
        Noisy copies per forward+backward pass (per call of the wrapped
        explainer, whose own ``batch_size`` splits its passes further).
        None: at most 2**24 input elements per pass on the CPU and 2**28 on
        a GPU, where a pass that runs out of memory is split.  Results do
        not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise.

    Attributes
    ----------
    %(attributes)s
    explainer_ : gradient explainer
        The fitted clone of the wrapped explainer (only when ``model`` is one).

    Examples
    --------
    >>> import torch
    >>> from skexplain import IntegratedGradients, SmoothGrad
    >>> model = torch.nn.Linear(3, 2)
    >>> X = torch.randn(4, 3)
    >>> expl = SmoothGrad(model, n_samples=10, random_state=0).fit(X).explain(X, target=0)
    >>> bool(torch.allclose(torch.as_tensor(expl.values[0], dtype=torch.float32),
    ...                     model.weight[0].detach()))  # a linear model's gradient is constant
    True
    >>> smooth_ig = SmoothGrad(IntegratedGradients(model, n_steps=8), noise_std=0.1,
    ...                        n_samples=10, random_state=0).fit(torch.zeros(1, 3))
    >>> smooth_ig.explain(X, target=0).values.shape
    (4, 3)
    """

    _needs_outputs = True
    _axioms = frozenset({"dummy", "linearity"})
    _approximate_axioms = frozenset({"symmetry"})
    _parameter_constraints: dict = {
        **GRADIENT_CONSTRAINTS,
        "noise_level": [Interval(Real, 0, None, closed="left"), None],
        "noise_std": [Interval(Real, 0, None, closed="left"), "array-like", None],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "variant": [StrOptions({"smoothgrad", "smoothgrad_sq", "vargrad"})],
        "random_state": ["random_state"],
    }

    def __init__(self, model, *, noise_level=None, noise_std=None, n_samples=50,
                 variant="smoothgrad", output="auto", batch_size=None, random_state=None):
        self.model = model
        self.noise_level = noise_level
        self.noise_std = noise_std
        self.n_samples = n_samples
        self.variant = variant
        self.output = output
        self.batch_size = batch_size
        self.random_state = random_state

    @property
    def _takes_baselines(self):
        # passed through to a wrapped explainer that takes them (IG, DeepLIFT)
        return bool(getattr(self.model, "_takes_baselines", False))

    _no_baselines_reason = ("plain gradients have no reference row; SmoothGrad passes "
                            "baselines to a wrapped IntegratedGradients or DeepLIFT")

    def _claims(self):
        exact, approximate = super()._claims()
        inner = self.model if isinstance(self.model, GradientMixin) else None
        if inner is not None:  # what holds at every noisy copy holds for their mean
            inner_exact, inner_approx = inner._claims()
            exact &= inner_exact
            approximate &= inner_exact | inner_approx
        if self.variant != "smoothgrad":  # squares of gradients are not linear in f
            exact.discard("linearity")
        if not _isotropic(self.noise_std):  # noise of different scales per feature
            approximate.discard("symmetry")
        return exact, approximate

    # ------------------------------------------------------------------ fit
    def _make_model(self, background):
        from ._wrapped import check_wrappable

        # the noise parameters first: before anything is built or fitted
        if self.noise_level is not None and self.noise_std is not None:
            raise ValueError(
                f"SmoothGrad got noise_level={self.noise_level!r} (relative to each row's "
                f"range) and noise_std={self.noise_std!r} (absolute): give one of them, "
                "not both.")
        if self.noise_std is not None:
            self._noise_std_array()
        if hasattr(self, "explainer_"):  # from an earlier fit
            del self.explainer_
        if not isinstance(self.model, BaseExplainer):
            return super()._make_model(background)
        check_wrappable(self.model, self.output)
        if self.input_spec_ is not None or self._fit_forward_args is not None:
            raise TypeError(
                f"SmoothGrad wrapping {type(self.model).__name__} takes a single input "
                "without additional_forward_args; for several inputs or forward arguments "
                "pass the torch module itself: SmoothGrad(module).")
        inner = clone(self.model)  # the user's explainer is never fitted by us
        model = inner._make_model(background)
        self.explainer_ = inner
        return model

    def _fit(self, background):
        if hasattr(self, "explainer_"):
            self.explainer_.fit(background, sample_weight=self.background_weights_)

    def _noise_std_array(self):
        """``noise_std`` as a float64 array of the feature shape (validated)."""
        std = self.noise_std
        if hasattr(std, "detach"):  # a torch tensor
            std = std.detach().cpu().double().numpy()
        try:
            std = np.broadcast_to(np.asarray(std, dtype=np.float64), self.feature_shape_)
        except (TypeError, ValueError):
            raise ValueError(
                "noise_std must be a float or an array of floats broadcastable to a row "
                f"of shape {self.feature_shape_}; got {_describe(self.noise_std)}.") from None
        if not np.all(np.isfinite(std)) or np.any(std < 0):
            raise ValueError(
                "noise_std must be finite and >= 0 (an absolute standard deviation); got "
                f"{_describe(self.noise_std)} with values from {std.min()} to {std.max()}.")
        return std

    # -------------------------------------------------------------- explain
    def _sigma(self, x):
        """Noise scale broadcastable to ``(k, *shape)`` rows, and its metadata."""
        import torch

        if self.noise_std is not None:
            std = self._noise_std_array()
            sigma = torch.as_tensor(np.array(std), device=x.device).to(x.dtype).unsqueeze(0)
            return sigma, (float(std.flat[0]) if np.ptp(std) == 0 else std.tolist())
        level = _DEFAULT_NOISE_LEVEL if self.noise_level is None else self.noise_level
        if getattr(self, "input_spec_", None) is not None:  # several inputs: each one's own range
            return self._sigma_per_input(x, level)
        flat = x.flatten(1)
        # The ranges in float64 (numpy, for the metadata, has no bfloat16); for a
        # half-precision module the noise is drawn in float32 and rounded, so it
        # sees the noisy points of a float32 module with the same random_state.
        spread = flat.max(1).values.double() - flat.min(1).values.double()
        if level > 0 and bool((spread == 0).any()):
            _refuse_zero_range(torch.nonzero(spread == 0)[:, 0].tolist(), level, flat.shape[1])
        sigma64 = level * spread
        sigma = sigma64.to(x.dtype).view((-1,) + (1,) * (x.dim() - 1))
        return sigma, np.round(sigma64.cpu().numpy(), 12).tolist()

    def _sigma_per_input(self, x, level):
        """Relative noise for packed inputs: each input's range in each row."""
        import torch

        spec, sigma, meta = self.input_spec_, torch.empty_like(x), []
        for k in range(spec.n_inputs):
            part = x[:, spec.columns(k)]
            spread = part.max(1).values.double() - part.min(1).values.double()
            if level > 0 and bool((spread == 0).any()):
                _refuse_zero_range(torch.nonzero(spread == 0)[:, 0].tolist(), level,
                                   part.shape[1])
            sigma[:, spec.columns(k)] = (level * spread).to(x.dtype)[:, None]
            meta.append(np.round((level * spread).cpu().numpy(), 12).tolist())
        return sigma, meta

    def _attribute(self, engine, x, targets, outputs, baselines=None):
        import torch

        from ._engine import Batch, sum_rows
        from ._wrapped import explain_noisy

        n, S, shape = x.shape[0], self.n_samples, tuple(x.shape[1:])
        sigma, sigma_meta = self._sigma(x)
        numel = x[0].numel()
        draw_dtype = x.dtype if x.dtype.itemsize >= 4 else torch.float32
        segment = max(1, _SEGMENT_ELEMENTS // max(numel, 1))
        seeds = check_random_state(self.random_state).randint(
            0, 2**31 - 1, size=-(-n * S // segment))
        sums = torch.zeros_like(x) if self.variant != "smoothgrad_sq" else None
        squares = torch.zeros_like(x) if self.variant != "smoothgrad" else None

        def noise(start, stop):
            parts = []
            for k in range(start // segment, (stop - 1) // segment + 1):
                gen = torch.Generator(device=x.device).manual_seed(int(seeds[k]))
                size = min(segment, n * S - k * segment)
                block = torch.randn((size,) + shape, generator=gen, device=x.device,
                                    dtype=draw_dtype)
                parts.append(block[max(start - k * segment, 0):stop - k * segment].to(x.dtype))
            return torch.cat(parts) if len(parts) > 1 else parts[0]

        def noisy(start, stop):  # the noisy copies start..stop-1 and their rows
            rows = torch.arange(start, stop, device=x.device) // S
            scale = sigma[rows] if sigma.shape[0] > 1 else sigma
            return torch.addcmul(x[rows], scale, noise(start, stop)), rows

        def add(start, values):
            if sums is not None:
                sum_rows(sums, values, start, S)
            if squares is not None:
                sum_rows(squares, values.square_(), start, S)

        if hasattr(self, "explainer_"):
            if engine.forward_args is not None:
                raise TypeError(
                    f"SmoothGrad wrapping {type(self.explainer_).__name__} does not take "
                    "additional_forward_args; pass the torch module itself: SmoothGrad(module).")
            step = self.batch_size or engine.chunk_size(numel)
            explain_noisy(self.explainer_, n * S, step, noisy, targets, add, baselines)
        else:
            def make(start, stop, _hooks):
                points, rows = noisy(start, stop)
                return Batch(points, targets[rows], aux=start, rows=rows)

            engine.run(n * S, numel, make, lambda result: add(result.batch.aux, result.grads))
        if self.variant == "smoothgrad":
            values = sums / S
        elif self.variant == "smoothgrad_sq":
            values = squares / S
        else:
            values = squares / S - (sums / S).square()
        return {"values": values, "targets": targets, "n_gradient_points": n * S,
                "noise_sigma": sigma_meta}


def _isotropic(noise_std):
    """Whether ``noise_std`` (None: relative noise) has one scale for every feature."""
    if noise_std is None or np.ndim(noise_std) == 0:
        return True
    try:
        std = np.asarray(noise_std.detach().cpu() if hasattr(noise_std, "detach") else noise_std,
                         dtype=np.float64)
    except (TypeError, ValueError):  # invalid: refused at fit, claims nothing here
        return False
    return std.size == 0 or bool(np.ptp(std) == 0)


def _describe(value):
    shape = np.shape(value) if hasattr(value, "shape") or isinstance(value, (list, tuple)) else ()
    return f"{type(value).__name__} of shape {shape}" if shape else repr(value)


def _refuse_zero_range(rows, level, n_features):
    shown = rows[:5]
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    why = ("every row of an input with a single feature" if n_features == 1
           else "rows whose values are all equal")
    raise ValueError(
        f"SmoothGrad's noise_level={level} scales the noise by each row's range "
        f"(max - min), which is 0 for rows {shown}{more} ({why}): they would get no noise "
        "and SmoothGrad would return their plain gradients. Give an absolute noise "
        "standard deviation instead, e.g. SmoothGrad(model, noise_std=0.1) (noise_level "
        "left at None), or noise_level=0 to ask for no noise.")
