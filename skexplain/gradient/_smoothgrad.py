"""``SmoothGrad``: gradients averaged over noisy copies of the input."""
from numbers import Integral, Real

import numpy as np
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


@fill_gradient_doc(batch_unit="Noisy copies")
class SmoothGrad(GradientMixin, BaseExplainer):
    """SmoothGrad (Smilkov et al., 2017) and its squared and VarGrad variants.

    For each row, ``n_samples`` noisy copies ``x + eps_k`` are drawn with
    ``eps_k ~ N(0, sigma^2 I)`` and ``sigma = noise_level * (max(x) - min(x))``
    (the range of that row's values), and the gradients of the target output
    (the class predicted at ``x`` by default) are combined:

    - ``"smoothgrad"``: mean of the gradients;
    - ``"smoothgrad_sq"``: mean of the squared gradients;
    - ``"vargrad"``: their variance, ``mean(g^2) - mean(g)^2``.

    Axioms claimed: *dummy*, exactly (an ignored feature has zero gradients
    at every noisy copy); for ``"smoothgrad"`` also *linearity*, exactly for
    a fixed ``random_state`` (``f``, ``g`` and ``f + g`` see the same noisy
    copies, and the mean of gradients is linear); *symmetry* (at rows with
    ``x_i == x_j``) only in expectation over the noise, which is isotropic.

    Parameters
    ----------
    %(model)s
    noise_level : float, default=0.15
        Noise standard deviation as a fraction of each row's value range
        (the paper recommends 0.10-0.20).  Note that captum's ``NoiseTunnel``
        takes an absolute standard deviation instead.
    n_samples : int, default=50
        Noisy copies per row.
    variant : {"smoothgrad", "smoothgrad_sq", "vargrad"}, default="smoothgrad"
    %(output)s
    %(batch_size)s
    random_state : int, RandomState instance or None, default=None
        Seeds the noise.

    Attributes
    ----------
    %(attributes)s

    Examples
    --------
    >>> import torch
    >>> from skexplain import SmoothGrad
    >>> model = torch.nn.Linear(3, 2)
    >>> X = torch.randn(4, 3)
    >>> expl = SmoothGrad(model, n_samples=10, random_state=0).fit(X).explain(X, target=0)
    >>> bool(torch.allclose(torch.as_tensor(expl.values[0], dtype=torch.float32),
    ...                     model.weight[0].detach()))  # a linear model's gradient is constant
    True
    """

    _needs_outputs = True
    _axioms = frozenset({"dummy", "linearity"})
    _approximate_axioms = frozenset({"symmetry"})
    _parameter_constraints: dict = {
        **GRADIENT_CONSTRAINTS,
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "variant": [StrOptions({"smoothgrad", "smoothgrad_sq", "vargrad"})],
        "random_state": ["random_state"],
    }

    def __init__(self, model, *, noise_level=0.15, n_samples=50, variant="smoothgrad",
                 output="auto", batch_size=None, random_state=None):
        self.model = model
        self.noise_level = noise_level
        self.n_samples = n_samples
        self.variant = variant
        self.output = output
        self.batch_size = batch_size
        self.random_state = random_state

    def _claims(self):
        exact, approximate = super()._claims()
        if self.variant != "smoothgrad":  # squares of gradients are not linear in f
            exact.discard("linearity")
        return exact, approximate

    def _attribute(self, engine, x, targets, outputs):
        import torch

        from ._engine import Batch, sum_rows

        n, S, shape = x.shape[0], self.n_samples, tuple(x.shape[1:])
        flat = x.flatten(1)
        # The ranges in float64 (numpy, for the metadata, has no bfloat16); for a
        # half-precision module the noise is drawn in float32 and rounded, so it
        # sees the noisy points of a float32 module with the same random_state.
        spread = flat.max(1).values.double() - flat.min(1).values.double()
        sigma64 = self.noise_level * spread
        sigma = sigma64.to(x.dtype)
        draw_dtype = x.dtype if x.dtype.itemsize >= 4 else torch.float32
        segment = max(1, _SEGMENT_ELEMENTS // max(flat.shape[1], 1))
        seeds = check_random_state(self.random_state).randint(
            0, 2**31 - 1, size=-(-n * S // segment))
        sums = torch.zeros_like(x) if self.variant != "smoothgrad_sq" else None
        squares = torch.zeros_like(x) if self.variant != "smoothgrad" else None
        view = (-1,) + (1,) * len(shape)

        def noise(start, stop):
            parts = []
            for k in range(start // segment, (stop - 1) // segment + 1):
                gen = torch.Generator(device=x.device).manual_seed(int(seeds[k]))
                size = min(segment, n * S - k * segment)
                block = torch.randn((size,) + shape, generator=gen, device=x.device,
                                    dtype=draw_dtype)
                parts.append(block[max(start - k * segment, 0):stop - k * segment].to(x.dtype))
            return torch.cat(parts) if len(parts) > 1 else parts[0]

        def make(start, stop, _hooks):
            rows = torch.arange(start, stop, device=x.device) // S
            points = torch.addcmul(x[rows], sigma[rows].view(view), noise(start, stop))
            return Batch(points, targets[rows], aux=start)

        def consume(result):
            start, grads = result.batch.aux, result.grads
            if sums is not None:
                sum_rows(sums, grads, start, S)
            if squares is not None:
                sum_rows(squares, grads.square_(), start, S)

        engine.run(n * S, flat.shape[1], make, consume)
        if self.variant == "smoothgrad":
            values = sums / S
        elif self.variant == "smoothgrad_sq":
            values = squares / S
        else:
            values = squares / S - (sums / S).square()
        return {"values": values, "targets": targets, "n_gradient_points": n * S,
                "noise_sigma": np.round(sigma64.cpu().numpy(), 12).tolist()}
