"""Temporary backward rules for GuidedBackprop and DeepLIFT.

Both rules work the same way: a *forward* hook replaces a module's output by
the output of a custom autograd Function whose value is unchanged and whose
backward applies the rule.  The rule is computed from that call's own input and
output, so a module called several times in one forward pass (torchvision's
BasicBlock reuses one ReLU) gets one rule per call site, and nothing is stored
on the module.  In-place modules get a forward pre-hook that hands them a copy
of their input, so the original input survives for the rule.

The hooks live only inside the context managers below (removed in ``finally``)
and act only in the thread that installed them.
"""
import contextlib
import functools
import math

import torch
from torch import nn
from torch.nn import functional as F

from ..adapters._torch_layers import thread_owned
from ..exceptions import ModelTypeError
from ._softmax_rule import NORMALIZATIONS, captum_softmax_rule, normalization_rule

__all__ = ["deeplift_rules", "guided_relu", "ELEMENTWISE", "MAXPOOLS", "NORMALIZATIONS",
           "UNSUPPORTED"]

# Elementwise nonlinearities: DeepLIFT's Rescale rule m = dy / ds.
ELEMENTWISE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.SELU, nn.CELU,
               nn.GELU, nn.SiLU, nn.Mish, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Softsign,
               nn.Hardtanh, nn.Hardsigmoid, nn.Hardswish, nn.LogSigmoid, nn.Tanhshrink,
               nn.Softshrink, nn.Hardshrink, nn.Threshold)
MAXPOOLS = {nn.MaxPool1d: 1, nn.MaxPool2d: 2, nn.MaxPool3d: 3, nn.AdaptiveMaxPool1d: 1,
            nn.AdaptiveMaxPool2d: 2, nn.AdaptiveMaxPool3d: 3}
# Nonlinear modules without a DeepLIFT rule: calling one raises instead of
# silently back-propagating plain gradients.  Any other module (Linear, Conv,
# BatchNorm in eval mode, AvgPool, Flatten, Dropout, padding, ...) is treated as
# linear; the summation-to-delta check catches nonlinear code it cannot see.
UNSUPPORTED = tuple(getattr(nn, name) for name in (
    "LayerNorm", "GroupNorm", "RMSNorm",
    "LocalResponseNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
    "MultiheadAttention", "RNNBase", "RNNCellBase", "MaxUnpool1d", "MaxUnpool2d",
    "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d",
    "FractionalMaxPool3d", "Bilinear", "GLU", "CosineSimilarity", "PairwiseDistance",
    "Embedding", "EmbeddingBag") if hasattr(nn, name))
_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


class _GuidedGrad(torch.autograd.Function):
    """Identity whose backward keeps only positive gradients (guided backprop)."""

    @staticmethod
    def forward(ctx, y):
        return y.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad.clamp(min=0)


class _Rescale(torch.autograd.Function):
    """Value of ``y``; backward multiplies the explained half by ``m`` = dy/ds.

    The reference half gets no gradient: only the explained rows' input
    gradients are read, and every layer acts on rows independently.
    """

    @staticmethod
    def forward(ctx, s, y, m):
        ctx.save_for_backward(m)
        return y.clone()

    @staticmethod
    def backward(ctx, grad):
        (m,) = ctx.saved_tensors
        out = torch.zeros_like(grad)
        out[:m.shape[0]] = grad[:m.shape[0]] * m
        return out, None, None


class _MaxPoolRule(torch.autograd.Function):
    """Cross-max DeepLIFT rule for max pooling, with exact summation-to-delta.

    For an output unit, ``top = max(y_x, y_ref)``; the part ``top - y_ref`` is
    credited to the explained input's argmax and ``y_x - top`` to the
    reference's argmax, each divided by that input's ``ds``.  The two parts sum
    to ``y_x - y_ref`` and each multiplier lies in [0, 1].
    """

    @staticmethod
    def forward(ctx, s, y, up, down, idx_x, idx_ref, ds, eps):
        ctx.save_for_backward(up, down, idx_x, idx_ref, ds)
        ctx.eps, ctx.in_shape = eps, tuple(s.shape[1:])
        return y.clone()

    @staticmethod
    def backward(ctx, grad):
        up, down, idx_x, idx_ref, ds = ctx.saved_tensors
        h = ds.shape[0]
        g = grad[:h].reshape(up.shape)
        credit = torch.zeros_like(ds).scatter_add_(2, idx_x, g * up).scatter_add_(
            2, idx_ref, g * down)
        plain = torch.zeros_like(ds).scatter_add_(2, idx_x, g)  # the gradient, for ds ~ 0
        big = ds.abs() > ctx.eps
        mult = torch.where(big, credit / torch.where(big, ds, torch.ones_like(ds)), plain)
        out = ds.new_zeros((2 * h,) + ctx.in_shape)
        out[:h] = mult.reshape((h,) + ctx.in_shape)
        return out, None, None, None, None, None, None, None


@contextlib.contextmanager
def _installed(register):
    handles = []
    try:
        register(handles)
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def guided_relu(module):
    """Guided backprop on every ``nn.ReLU`` of ``module`` while the context is open."""
    def register(handles):
        hook = thread_owned(lambda _m, _args, out: _GuidedGrad.apply(out))
        for sub in module.modules():
            if isinstance(sub, nn.ReLU):
                handles.append(sub.register_forward_hook(hook))

    with _installed(register):
        yield None


class _Split:
    """Per-call record of how many rows of the current batch are explained rows."""

    half = 0


def _half(split, s, module, name):
    h = split.half
    if s.shape[0] != 2 * h:
        raise ValueError(
            f"DeepLIFT needs the batch on the first axis of every layer: {type(module).__name__}"
            f" {name!r} received shape {tuple(s.shape)}, expected {2 * h} rows (explained "
            "rows then references). Use batch_first layouts."
        )
    return h


def _gelu_derivative(module, s, y):
    if module.approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        t = torch.tanh(k * (s + 0.044715 * s**3))
        return 0.5 * (1 + t) + 0.5 * s * (1 - t * t) * k * (1 + 3 * 0.044715 * s * s)
    return 0.5 * (1 + torch.erf(s / math.sqrt(2))) + s * torch.exp(-0.5 * s * s) / math.sqrt(
        2 * math.pi)


# Derivatives (module, input, output) -> dy/ds of the common activations, used
# where |ds| <= eps; other elementwise modules use forward-mode AD.
_DERIVATIVES = {
    nn.ReLU: lambda m, s, y: (s > 0).to(s.dtype),
    nn.LeakyReLU: lambda m, s, y: torch.where(s > 0, 1.0, torch.full_like(s, m.negative_slope)),
    nn.Sigmoid: lambda m, s, y: y * (1 - y),
    nn.Tanh: lambda m, s, y: 1 - y * y,
    nn.ELU: lambda m, s, y: torch.where(s > 0, torch.ones_like(s), y + m.alpha),
    nn.Softplus: lambda m, s, y: torch.where(s * m.beta > m.threshold, torch.ones_like(s),
                                             torch.sigmoid(s * m.beta)),
    nn.SiLU: lambda m, s, y: torch.sigmoid(s) * (1 + s * (1 - torch.sigmoid(s))),
    nn.GELU: _gelu_derivative,
    nn.Mish: lambda m, s, y: torch.tanh(F.softplus(s)) + s * torch.sigmoid(s) * (
        1 - torch.tanh(F.softplus(s)) ** 2),
}


def _derivative(module, sx, yx):
    """Exact derivative of an elementwise module at ``sx`` (fallback when ds ~ 0)."""
    rule = _DERIVATIVES.get(type(module))
    if rule is not None:
        return rule(module, sx, yx)
    # forward-mode AD through module.forward: no hooks fire, inputs untouched
    return torch.func.jvp(module.forward, (sx.clone(),), (torch.ones_like(sx),))[1]


def _rescale(module, s, y, h, eps):
    with torch.no_grad():
        ds = s[:h] - s[h:]
        big = ds.abs() > eps
        ratio = (y[:h] - y[h:]) / torch.where(big, ds, torch.ones_like(ds))
        m = torch.where(big, ratio, _derivative(module, s[:h], y[:h]))
    return _Rescale.apply(s, y, m)


def _maxpool(module, s, y, h, eps):
    with torch.no_grad():
        saved = _maxpool_parts(module, s, y, h)
    return _MaxPoolRule.apply(s, y, *saved, eps)


def _maxpool_parts(module, s, y, h):
    k = next(dims for cls, dims in MAXPOOLS.items() if isinstance(module, cls))
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
        _, idx = getattr(F, f"max_pool{k}d")(
            s, module.kernel_size, module.stride, module.padding, module.dilation,
            ceil_mode=module.ceil_mode, return_indices=True)
    else:
        _, idx = getattr(F, f"adaptive_max_pool{k}d")(s, module.output_size, return_indices=True)

    def planes(t):  # (rows, planes, pooled elements), whatever the leading layout
        return t.reshape(t.shape[0], -1, math.prod(t.shape[t.dim() - k:]))

    top = torch.maximum(y[:h], y[h:])
    idx = planes(idx)
    return planes(top - y[h:]), planes(y[:h] - top), idx[:h], idx[h:], planes(s[:h] - s[h:])


def _unsupported(module, name, root):
    kind = type(module).__name__
    if isinstance(module, UNSUPPORTED):
        return (f"DeepLIFT has no rule for {kind} ({name!r} in {root}). Use "
                "IntegratedGradients, or explain a model without it.")
    if isinstance(module, tuple(MAXPOOLS)) and getattr(module, "return_indices", False):
        return f"DeepLIFT cannot explain {kind} ({name!r}) with return_indices=True."
    if isinstance(module, _BATCHNORMS) and not module.track_running_stats:
        return (f"DeepLIFT needs BatchNorm layers with running statistics: {kind} ({name!r}) "
                "normalises with batch statistics, which mix explained and reference rows.")
    return None


def _rule(module, name, softmax_rule):
    if isinstance(module, ELEMENTWISE):
        return _rescale
    if isinstance(module, tuple(MAXPOOLS)):
        return _maxpool
    if softmax_rule == "captum" and type(module) is nn.Softmax:  # captum's only such rule
        return functools.partial(captum_softmax_rule, name=name)
    if isinstance(module, NORMALIZATIONS):
        return functools.partial(normalization_rule, name=name)
    return None


@contextlib.contextmanager
def deeplift_rules(module, eps, skip=None, softmax_rule="complete"):
    """DeepLIFT (Rescale) rules on ``module``'s nonlinear submodules.

    ``skip`` (a submodule: the layer attributed to) gets no rule, nor do its
    own submodules: the backward pass stops at its output, so an
    ``nn.Embedding`` there is not refused.  ``softmax_rule="captum"`` gives
    ``nn.Softmax`` captum's rule instead of the complete one.

    The forward pass must run on ``cat([explained rows, reference rows])``;
    the caller sets ``split.half`` (the number of explained rows) on the
    yielded object before each pass.  Input gradients of the explained half
    are then the DeepLIFT multipliers.  Calling a nonlinear module without a
    rule raises :class:`~skexplain.exceptions.ModelTypeError`.
    """
    split, root = _Split(), type(module).__name__

    def rule_hook(name, rule, stash):
        def hook(mod, args, out):
            s = stash.pop() if stash is not None else args[0]
            return rule(mod, s, out, _half(split, s, mod, name), eps)
        return thread_owned(hook)

    def stash_hook(stash):  # in-place module: keep the input, hand it a copy
        def hook(_mod, args):
            stash.append(args[0])
            return (args[0].clone(),) + tuple(args[1:])
        return thread_owned(hook)

    def refuse_hook(message):
        def hook(_mod, _args):
            raise ModelTypeError(message)
        return thread_owned(hook)

    skipped = set() if skip is None else {id(sub) for sub in skip.modules()}

    def register(handles):
        for name, sub in module.named_modules():
            if id(sub) in skipped:
                continue
            message = _unsupported(sub, name, root)
            if message is not None:
                handles.append(sub.register_forward_pre_hook(refuse_hook(message)))
                continue
            rule = _rule(sub, name, softmax_rule)
            if rule is None:
                continue
            stash = [] if getattr(sub, "inplace", False) else None
            if stash is not None:
                handles.append(sub.register_forward_pre_hook(stash_hook(stash)))
            handles.append(sub.register_forward_hook(rule_hook(name, rule, stash)))

    with _installed(register):
        yield split
