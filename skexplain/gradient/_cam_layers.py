"""The layers CAM and Grad-CAM work on: finding them, checking them, upsampling maps.

Everything here runs the user's module once on a few background rows (with
their ``additional_forward_args``, passed after the rows; eval mode, no
gradients) with temporary forward hooks that record what each
submodule returned, in the order the calls *finished*.  The hooks act only in
the thread that installed them and are removed on exit; nothing is stored on
the module.
"""
import contextlib
from dataclasses import dataclass
from typing import Any, Optional

import torch
from torch import nn
from torch.nn import functional as F

from ..adapters._torch import eval_mode
from ..adapters._torch_layers import layer_output, resolve_layer, thread_owned

__all__ = ["CONVS", "check_image_shape", "find_cam_layers", "find_conv_layer", "upsample"]

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
         nn.ConvTranspose3d)
_INTERPOLATE = {1: "linear", 2: "bilinear", 3: "trilinear"}


def check_image_shape(feature_shape, owner):
    """Refuse inputs without a channel axis and 1 to 3 spatial axes."""
    if len(feature_shape) in (2, 3, 4):
        return
    raise ValueError(
        f"{owner} explains images: X must have shape (n, channels, *spatial) with 1 to 3 "
        "spatial axes, i.e. (n, C, L), (n, C, H, W) or (n, C, D, H, W); got X of shape "
        f"{_rows((0, *feature_shape))}" + (" (tabular data has no spatial axes to map)."
                                          if len(feature_shape) <= 1 else "."))


def _is_feature_map(shape, input_ndim):
    """(n, K, *spatial) with the input's number of spatial axes and > 1 position."""
    if shape is None or len(shape) != input_ndim:
        return False
    positions = 1
    for s in shape[2:]:
        positions *= s
    return positions > 1


def _rows(shape):
    """A shape with its row axis written n: '(n, 3, 8, 8)'."""
    return "(" + ", ".join(["n", *map(str, tuple(shape)[1:])]) + ")"


def _describe_map(input_ndim):
    spatial = {3: "length", 4: "height, width", 5: "depth, height, width"}
    return f"(n, channels, {spatial.get(input_ndim, '*spatial')})"


@dataclass
class _Call:
    """One finished call of a submodule during the recorded forward pass."""

    name: str
    module: nn.Module
    shape: Optional[tuple]  # of the output, None when not a tensor
    summary: Any = None  # what the caller's ``summarize(name, module, args, out)`` kept


@contextlib.contextmanager
def _recorded(module, summarize):
    calls, handles = [], []

    def hook_for(name):
        def hook(sub, args, out):
            shape = tuple(out.shape) if torch.is_tensor(out) else None
            calls.append(_Call(name, sub, shape, summarize(name, sub, args, out)))
        return thread_owned(hook)

    try:
        for name, sub in module.named_modules():
            handles.append(sub.register_forward_hook(hook_for(name)))
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def record_calls(module, x, summarize=lambda *_: None, args=()):
    """Every submodule call of ``module(x, *args)`` in completion order (``name == ""``:
    the root)."""
    with torch.no_grad(), eval_mode(module), _recorded(module, summarize) as calls:
        module(x, *args)
    return calls


def _counts(calls):
    counts = {}
    for call in calls:
        counts[id(call.module)] = counts.get(id(call.module), 0) + 1
    return counts


def _contains_conv(sub):
    return any(isinstance(m, CONVS) for m in sub.modules())


def find_conv_layer(module, x, owner, args=()):
    """Dotted name of the feature map computed last from the last convolution.

    Among the calls that finish at or after the last ``ConvNd`` call that
    returns a feature map (not a 1x1 conv on pooled features) (the
    convolution itself, its activation, pooling that keeps more than one
    position, the blocks that contain them), the last one to finish that
    returns a feature map and is called once: the rectified last conv layer in
    a plain ``nn.Sequential`` (the map Zhou et al. and Selvaraju et al. use,
    and the one CAM finds), the last residual stage of a ResNet.  A clear error
    when there is none.  ``args``: the rows' ``additional_forward_args``.
    """
    calls = record_calls(module, x, args=args)
    counts = _counts(calls)
    # a call whose output the model's output does not use (a side branch) would give
    # an all-zero map: not a candidate
    live = _feeding_output(module, x, args)
    used = [call for call in calls if live is None or call.name in live]
    if (not any(isinstance(call.module, CONVS) for call in used)
            and any(isinstance(call.module, CONVS) for call in calls)):
        raise ValueError(
            f"{owner} found convolutional layers in {type(module).__name__}, but its output "
            "is not computed differentiably from any of them (does its forward call "
            ".detach(), .numpy() or torch.no_grad()?), so every map would be zero. Pass "
            "layer= to choose one anyway.")
    calls = used
    # a conv on a pooled 1x1 input (a 1x1-conv classifier or head after global pooling,
    # a squeeze-excitation gate) is not the last *feature map* convolution
    convs = [i for i, call in enumerate(calls) if isinstance(call.module, CONVS)
             and _is_feature_map(call.shape, x.ndim)]
    candidates = [call for call in calls[convs[-1]:] if call.name
                  and _is_feature_map(call.shape, x.ndim)] if convs else []
    once = [call for call in candidates if counts[id(call.module)] == 1]
    if once:
        return once[-1].name
    if candidates:  # only the reused conv itself: not an earlier layer silently, ask
        call = candidates[-1]
        raise ValueError(
            f"{owner} would use the last convolutional layer {call.name!r} of "
            f"{type(module).__name__}, but it is called {counts[id(call.module)]} "
            "times in one forward pass, so its output is ambiguous; pass layer= (a "
            "module called once, e.g. the block that contains it).")
    raise ValueError(
        f"{owner} found no convolutional layer in {type(module).__name__}: no submodule that "
        "is or contains a Conv1d/Conv2d/Conv3d returns a feature map "
        f"{_describe_map(x.ndim)} with more than one spatial position. Pass layer= (a "
        "submodule or its dotted name) whose output is such a feature map.")


def _feeding_output(module, x, args=()):
    """Names of the calls whose output the model's output is computed from (its
    autograd graph reaches them), or None when no graph can be built."""
    def grad_fn(_name, _sub, _args, out):
        return out.grad_fn if torch.is_tensor(out) else None

    if torch.is_inference_mode_enabled() or not x.is_floating_point():
        return None
    with torch.enable_grad(), eval_mode(module), _recorded(module, grad_fn) as calls:
        module(x.detach().clone().requires_grad_(True), *args)
    seen, stack = set(), [calls[-1].summary] if calls else []
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(parent for parent, _ in node.next_functions)
    if not seen:
        return None
    return {call.name for call in calls if call.summary is not None and call.summary in seen}


def check_conv_layer(module, layer, x, owner, args=()):
    """``(name, submodule)`` of the user's ``layer``, which must return a feature map
    (when ``module(x, *args)`` runs)."""
    name, sub = resolve_layer(module, layer, name="layer")
    # refuses layers called 0 or 2+ times
    out = layer_output(module, sub, x, layer_name=name, forward=lambda t: module(t, *args))
    if not _is_feature_map(tuple(out.shape), x.ndim):
        raise ValueError(
            f"layer={name!r} ({type(sub).__name__}) is a non-conv layer: {owner} needs a "
            f"feature map {_describe_map(x.ndim)} with more than one spatial position, for "
            f"inputs of shape {_rows(x.shape)}; it returns shape {_rows(out.shape)}. Choose "
            "a convolutional layer or block (layer=None picks the last one).")
    return name, sub


def upsample(maps, size, mode):
    """Maps of shape (n, \\*layer_spatial) resized to (n, \\*size).

    ``mode="bilinear"`` is linear interpolation along each spatial axis
    (linear, bilinear or trilinear), ``align_corners=False``, as
    ``torch.nn.functional.interpolate``; ``"nearest"`` is its nearest mode.
    """
    if tuple(maps.shape[1:]) == tuple(size):
        return maps
    dtype = maps.dtype
    if dtype in (torch.float16, torch.bfloat16):  # not every device interpolates them
        maps = maps.float()
    if mode == "nearest":
        out = F.interpolate(maps[:, None], size=tuple(size), mode="nearest")
    else:
        out = F.interpolate(maps[:, None], size=tuple(size), mode=_INTERPOLATE[len(size)],
                            align_corners=False)
    return out[:, 0].to(dtype)


# ------------------------------------------------------------------------ CAM
def _cam_summary(input_ndim):
    """What CAM keeps of each call: a Linear's input and output, the root's
    output, and a feature map's spatial mean and a random projection (to tell
    different maps with the same mean apart), all computed before later
    in-place operations can change the tensors."""
    def summarize(name, sub, args, out):
        if not torch.is_tensor(out):
            return None
        if name == "" or isinstance(sub, nn.Linear):
            first = args[0] if args and torch.is_tensor(args[0]) else None
            return {"in": None if first is None else first.clone(), "out": out.clone()}
        if not _is_feature_map(tuple(out.shape), input_ndim):
            return None
        flat = out.flatten(2).double()
        ramp = torch.rand(flat.shape[2], generator=torch.Generator().manual_seed(0),
                          dtype=torch.float64).to(flat.device)
        return {"mean": flat.mean(2), "projection": flat @ ramp}
    return summarize


def _close(a, b, dtype):
    """Equal up to the rounding of ``dtype`` (the module's: half precision rounds more)."""
    a, b = a.double(), b.double()
    tol = max(1e-4, 10 * torch.finfo(dtype).eps)
    scale = float(torch.maximum(a.abs().max(), b.abs().max())) if a.numel() else 0.0
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=tol, atol=tol * scale + 1e-12))


def find_cam_layers(module, x, layer=None, fc=None, args=()):
    """``(layer_name, fc_name)`` of a conv -> global average pooling -> linear model.

    ``fc``: the ``nn.Linear`` whose output is the model's output; ``layer``:
    the feature map whose spatial mean is ``fc``'s input.  Either may be
    given (a module or its dotted name); clear errors otherwise.  ``args``: the
    rows' ``additional_forward_args``, passed after ``x``.
    """
    if layer is not None:
        layer = check_conv_layer(module, layer, x, "CAM", args)[0]
    calls = record_calls(module, x, _cam_summary(x.ndim), args)
    counts = _counts(calls)
    fc_call = _fc_call(module, calls, counts, fc)
    return _cam_layer_call(module, calls, counts, layer, fc_call).name, fc_call.name


def _fc_call(module, calls, counts, fc):
    root = calls[-1].summary["out"]
    n = root.shape[0]
    if fc is not None:
        name, sub = resolve_layer(module, fc, name="fc")
        if not isinstance(sub, nn.Linear):
            raise ValueError(
                f"fc={name!r} must be the nn.Linear classifier after the global average "
                f"pooling; got a {type(sub).__name__}.")
        found = [c for c in calls if c.module is sub]
        if len(found) != 1:
            raise ValueError(
                f"fc={name!r} is called {len(found)} times in one forward pass of "
                f"{type(module).__name__}; CAM needs the classifier called exactly once.")
        if sub.out_features != root.reshape(n, -1).shape[1]:
            raise ValueError(
                f"fc={name!r} has {sub.out_features} outputs but the model has "
                f"{root.reshape(n, -1).shape[1]}: CAM needs the classifier whose rows are "
                "the model's outputs (the last layer, before any softmax).")
        return found[0]
    found = [c for c in calls if c.name and isinstance(c.module, nn.Linear)
             and counts[id(c.module)] == 1 and c.summary is not None
             and _same_output(c.summary["out"], root)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(
            f"CAM could not find the classifier of {type(module).__name__}: no nn.Linear "
            "layer (called once) returns the model's output (is a softmax or another layer "
            "applied after it?). CAM needs the architecture conv -> global average pooling "
            "-> linear; pass fc= (the nn.Linear classifier or its dotted name).")
    raise ValueError(
        f"CAM found several nn.Linear layers returning the model's output "
        f"({', '.join(repr(c.name) for c in found)}); pass fc= to choose the classifier.")


def _same_output(out, root):
    """``out`` is the model's output, up to the (n,) <-> (n, 1) reshape the adapter makes
    (a one-output head ``fc(x).squeeze(1)`` is still ``fc``'s output)."""
    n = root.shape[0]
    if out.shape[:1] != root.shape[:1] or out.numel() != root.numel():
        return False
    return torch.equal(out.reshape(n, -1), root.reshape(n, -1))


def _cam_layer_call(module, calls, counts, layer, fc_call):
    fc_name, fc_in = fc_call.name, fc_call.summary["in"]
    n_channels = fc_call.module.in_features

    def averages_to_fc_input(c):
        return (c.summary is not None and "mean" in c.summary and c.shape[1] == n_channels
                and fc_in is not None and _close(c.summary["mean"], fc_in, fc_in.dtype))

    if layer is not None:
        call = next(c for c in calls if c.name == layer)
        if not averages_to_fc_input(call):
            raise ValueError(
                f"layer={layer!r} does not feed fc={fc_name!r} through a global average "
                f"pooling: the spatial mean of its output (shape {_rows(call.shape)}) is not "
                f"the input of fc (shape {None if fc_in is None else _rows(fc_in.shape)}). CAM "
                "needs layer -> global average pooling -> fc; GradCAM works with any layer.")
        return call
    found = [c for c in calls if c.name and counts[id(c.module)] == 1 and averages_to_fc_input(c)]
    if not found:
        raise ValueError(
            f"CAM needs the architecture conv -> global average pooling -> linear, and "
            f"{type(module).__name__} has no global average pooling before its classifier "
            f"fc={fc_name!r}: no feature map's spatial mean is the input of fc (shape "
            f"{None if fc_in is None else _rows(fc_in.shape)}). If the pooled map is made "
            "by a function (F.relu, torch.relu) rather than a module, no layer returns it: "
            "use nn.ReLU modules. Otherwise use GradCAM, which works with any "
            "convolutional architecture.")
    chosen = found[-1]  # the outermost of nested modules returning the same map
    other = [c.name for c in found if not _close(c.summary["projection"],
                                                 chosen.summary["projection"], fc_in.dtype)]
    if other:
        raise ValueError(
            f"CAM found several different feature maps whose spatial mean is the input of "
            f"fc={fc_name!r} ({', '.join(map(repr, other + [chosen.name]))}); pass layer= to "
            "choose one.")
    return chosen
