"""DeepLIFT rule for Softmax, Softmin, Softmax2d and LogSoftmax.

A softmax is not elementwise: each output depends on every input along
``dim``.  DeepLIFT needs multipliers whose products with the input
differences sum exactly to the output difference, so the rule treats the
module as the elementary operations it is made of (Shrikumar et al., 2017,
apply the Rescale rule per elementwise nonlinearity and pass multipliers
through linear operations unchanged)::

    e_k = exp(s_k - c)          elementwise: Rescale
    S   = sum_k e_k             linear
    L   = log S                 elementwise: Rescale
    u_i = s_i - L               linear            (LogSoftmax stops here)
    y_i = exp(u_i)              elementwise: Rescale (Softmax)

``c`` is one constant per (explained row, reference row) pair, the larger of
their log-sum-exps: it keeps ``exp`` finite and cancels from every multiplier
because both rows share it.  Each step satisfies summation-to-delta, hence
so does the whole, for any gradient arriving from above (a Softmax at the
end of a network or in its middle).  Softmin is the Softmax of ``-s``.

captum's DeepLift instead scales each input by its own output's ratio and
subtracts the mean multiplier; that is exact only when the inputs' changes
sum to zero, so it is not the default (the two agree on two-class models
whose logits sum to a constant).  :func:`captum_softmax_rule` reproduces it
for ``DeepLIFT(softmax_rule="captum")``.
"""
import torch
from torch import nn

__all__ = ["NORMALIZATIONS", "captum_softmax_rule", "normalization_rule"]

NORMALIZATIONS = (nn.Softmax, nn.Softmin, nn.Softmax2d, nn.LogSoftmax)


def normalization_dim(module, s):
    """The axis ``module`` normalizes over, for an input of ``s.dim()`` axes (>= 0)."""
    if isinstance(module, nn.Softmax2d):
        dim = -3
    else:
        dim = module.dim
        if dim is None:  # torch's legacy implicit choice for dim=None
            dim = 0 if s.dim() in (0, 1, 3) else 1
    return dim % max(s.dim(), 1)


def _log_ratio(a):
    """``a / (1 - exp(-a))`` for ``a >= 0``: ``(L_hi - L_lo) / (S_hi - S_lo)`` when
    ``S = exp(L - L_hi)`` (so ``S_hi = 1``), ``a = L_hi - L_lo``; its limit at 0 is 1."""
    small = a < 1e-6
    safe = torch.where(small, torch.ones_like(a), a)
    return torch.where(small, 1 + a / 2, safe / -torch.expm1(-safe))


class _NormalizationRule(torch.autograd.Function):
    """Value of ``y``; backward applies the decomposed rule to the explained half."""

    @staticmethod
    def forward(ctx, s, y, r_out, r_log, r_exp, dim, sign):
        ctx.save_for_backward(r_out, r_log, r_exp)
        ctx.dim, ctx.sign = dim, sign
        return y.clone()

    @staticmethod
    def backward(ctx, grad):
        r_out, r_log, r_exp = ctx.saved_tensors
        h = r_exp.shape[0]
        g = grad[:h].movedim(ctx.dim, -1)
        g_u = g if r_out is None else g * r_out  # through y = exp(u); None: LogSoftmax
        g_sum = -g_u.sum(-1, keepdim=True) * r_log  # u = s - L, L = log S, S = sum e
        g_s = (g_u + g_sum * r_exp) * ctx.sign
        out = torch.zeros_like(grad)
        out[:h] = g_s.movedim(-1, ctx.dim)
        return out, None, None, None, None, None, None


def _parts(module, s, y, h, dim, eps):
    """Multipliers of the three nonlinear steps, for the explained half.

    With ``c`` the larger of the pair's two log-sum-exps, ``exp(s - c) <= 1``
    and the larger sum is exactly 1: nothing overflows, and the ratio of the
    ``log`` step never divides by an underflowed sum.
    """
    sign = -1.0 if isinstance(module, nn.Softmin) else 1.0
    t = s.movedim(dim, -1) * sign
    x, b = t[:h], t[h:]
    lx, lb = torch.logsumexp(x, -1, keepdim=True), torch.logsumexp(b, -1, keepdim=True)
    c = torch.maximum(lx, lb)
    ex, eb = torch.exp(x - c), torch.exp(b - c)
    ds = x - b
    big = ds.abs() > eps
    r_exp = torch.where(big, (ex - eb) / torch.where(big, ds, torch.ones_like(ds)), ex)
    r_log = _log_ratio((lx - lb).abs())  # S = exp(L - c): the larger S is 1
    r_out = None
    if not isinstance(module, nn.LogSoftmax):
        du = ds - (lx - lb)
        yt = y.movedim(dim, -1)
        yx, yb = yt[:h], yt[h:]
        big = du.abs() > eps
        r_out = torch.where(big, (yx - yb) / torch.where(big, du, torch.ones_like(du)), yx)
    return r_out, r_log, r_exp, sign


def _check_dim(module, s, name):
    dim = normalization_dim(module, s)
    if dim == 0:
        raise ValueError(
            f"DeepLIFT cannot explain {type(module).__name__} ({name!r}): it normalizes over "
            f"axis 0 of an input of shape {tuple(s.shape)}, the batch axis, which mixes rows. "
            "Give it an explicit dim over the features (e.g. nn.Softmax(dim=1)).")
    return dim


def normalization_rule(module, s, y, h, eps, *, name="?"):
    """DeepLIFT rule for one call of a softmax-like module (see the module docstring).

    Raises
    ------
    ValueError
        When the module normalizes over the batch axis, which would mix
        explained rows with their references.
    """
    dim = _check_dim(module, s, name)
    with torch.no_grad():  # in float64: the ratios cancel digits (see _parts)
        wide = torch.float64 if s.device.type != "mps" else torch.float32
        parts = _parts(module, s.to(wide), y.to(wide), h, dim, eps)
        r_out, r_log, r_exp = (None if p is None else p.to(s.dtype) for p in parts[:3])
        sign = parts[3]
    return _NormalizationRule.apply(s, y, r_out, r_log, r_exp, dim, sign)


class _CaptumSoftmaxRule(torch.autograd.Function):
    """Value of ``y``; backward applies captum's Softmax rule (see captum_softmax_rule)."""

    @staticmethod
    def forward(ctx, s, y, ratio, big, y_x, y_ref, dim):
        ctx.save_for_backward(ratio, big, y_x, y_ref)
        ctx.dim = dim
        return y.clone()

    @staticmethod
    def backward(ctx, grad):
        ratio, big, y_x, y_ref = ctx.saved_tensors
        h = ratio.shape[0]
        # The reference rows get no gradient in skexplain's passes; captum's get the
        # same one as their explained rows (its rules use one ratio for both halves).
        g = grad[:h].to(ratio.dtype)

        def local(y_half):  # softmax's own vector-Jacobian product, where ds ~ 0
            return y_half * (g - (g * y_half).sum(ctx.dim, keepdim=True))

        scaled = g * ratio
        m_x = torch.where(big, scaled, local(y_x))
        m_ref = torch.where(big, scaled, local(y_ref))
        mean = (m_x.sum() + m_ref.sum()) / (2 * m_x.numel())
        out = torch.zeros_like(grad)
        out[:h] = (m_x - mean).to(grad.dtype)
        return out, None, None, None, None, None, None


def captum_softmax_rule(module, s, y, h, eps, *, name="?"):
    """captum's DeepLift rule for ``nn.Softmax`` (``DeepLIFT(softmax_rule="captum")``).

    Each input gets its own output's ratio ``g_i (y_x,i - y_b,i) / (s_x,i - s_b,i)``
    (the softmax's gradient where ``|s_x,i - s_b,i| < eps``), and the mean of
    these multipliers over the whole input of the pass -- every element of
    every explained row and of every reference row, as captum computes it --
    is subtracted.  The cross terms of the softmax are thus replaced by one
    constant, so summation-to-delta does not hold in general, and the values
    of a row depend on the rows it is explained with.
    """
    dim = _check_dim(module, s, name)
    with torch.no_grad():
        wide = torch.float64 if s.device.type != "mps" else torch.float32
        sw, yw = s.to(wide), y.to(wide)
        ds, dy = sw[:h] - sw[h:], yw[:h] - yw[h:]
        big = ds.abs() >= eps
        ratio = dy / torch.where(big, ds, torch.ones_like(ds))
    return _CaptumSoftmaxRule.apply(s, y, ratio, big, yw[:h], yw[h:], dim)
