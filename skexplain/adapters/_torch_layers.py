"""Layers of a torch module: finding one by name and reading its output.

Grad-CAM, CAM and the activation views work on the output of one layer (a
submodule) of the user's module.  :func:`resolve_layer` turns the user's
``layer=`` (a submodule or its dotted name) into ``(name, submodule)``, and
:func:`capture_output` records what that submodule returns during forward
passes, with a hook that lives only inside the context manager and acts only
in the thread that installed it (nothing is stored on the module).
"""
import contextlib
import difflib
import threading

import torch

from ..exceptions import ModelEvaluationError

__all__ = ["LayerCapture", "capture_output", "layer_output", "resolve_layer", "thread_owned"]


def thread_owned(hook):
    """``hook`` run only in the thread that wrapped it (None elsewhere).

    Temporary hooks act only on the forward passes of the call that installed
    them: another thread running the same module at the same time is untouched.
    """
    owner = threading.get_ident()

    def wrapper(*args):
        return hook(*args) if threading.get_ident() == owner else None
    return wrapper


def resolve_layer(module, layer, *, name="layer"):
    """``(dotted_name, submodule)`` for ``layer``, a submodule of ``module`` or its name.

    Parameters
    ----------
    module : torch.nn.Module
    layer : torch.nn.Module or str
        A submodule (compared by identity) or its dotted name as listed by
        ``module.named_modules()`` (``"layer4.1.conv2"``, ``"features.3"``).
    name : str, default="layer"
        The parameter's name in error messages.

    Returns
    -------
    dotted_name : str
        ``""`` for the module itself.
    submodule : torch.nn.Module

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU())
    >>> resolve_layer(net, "1")
    ('1', ReLU())
    >>> resolve_layer(net, net[0])[0]
    '0'
    """
    names = dict(module.named_modules(remove_duplicate=False))
    if isinstance(layer, str):
        if layer in names:
            return layer, names[layer]
        close = difflib.get_close_matches(layer, [n for n in names if n], n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        shown = [n for n in names if n][:12]
        more = ", ..." if len(names) > 13 else ""
        raise ValueError(
            f"{name}={layer!r} is not a submodule of {type(module).__name__}.{hint} Its "
            f"submodules are named {', '.join(map(repr, shown))}{more}.")
    if isinstance(layer, torch.nn.Module):
        for dotted, sub in names.items():
            if sub is layer:
                return dotted, sub
        raise ValueError(
            f"{name} must be a submodule of {type(module).__name__} or its dotted name; got "
            f"a {type(layer).__name__} that is not part of the model.")
    raise TypeError(
        f"{name} must be a torch.nn.Module inside the model or its dotted name (str); got "
        f"{type(layer).__name__}.")


class LayerCapture:
    """What the captured layer returned in the current forward pass.

    Attributes
    ----------
    outputs : list of Tensor
        One entry per call of the layer since the last :meth:`take`.
    replacement : Tensor or None
        Set by the caller for one forward pass: the layer's output is replaced
        by these values (same shape), recorded in its place.
    """

    def __init__(self, layer_name, leaf):
        self.layer_name = layer_name
        self.leaf = leaf
        self.outputs = []
        self.replacement = None

    def take(self):
        """The layer's output of the last forward pass (exactly one call expected)."""
        outputs, self.outputs = self.outputs, []
        if len(outputs) == 1:
            return outputs[0]
        if not outputs:
            raise ModelEvaluationError(
                f"layer {self.layer_name!r} was not called in the model's forward pass; "
                "choose a submodule that the forward pass uses.")
        raise ModelEvaluationError(
            f"layer {self.layer_name!r} was called {len(outputs)} times in one forward pass "
            "(a module reused at several places), so its output is ambiguous; choose a "
            "module called once, e.g. the block that contains it.")


def _first_tensor(out, layer_name):
    if torch.is_tensor(out):
        return out
    raise ModelEvaluationError(
        f"layer {layer_name!r} returned a {type(out).__name__}, not a tensor; choose a "
        "submodule whose output is a single tensor (a feature map).")


@contextlib.contextmanager
def capture_output(layer, layer_name, *, leaf=False):
    """Record ``layer``'s output in each forward pass while the context is open.

    Parameters
    ----------
    layer : torch.nn.Module
    layer_name : str
        Its dotted name, for error messages.
    leaf : bool, default=False
        Make the recorded output a new leaf of the autograd graph (detached,
        ``requires_grad=True``): gradients then reach the layer but not the
        layers below it, which is all Grad-CAM needs (the cheaper backward
        pass, and it works when the model's parameters are frozen).

    Yields
    ------
    LayerCapture
        The recorded tensor is what later layers receive a *copy* of, so that
        an in-place operation after the layer (``out += identity``,
        ``ReLU(inplace=True)``) cannot change it.
    """
    capture = LayerCapture(layer_name, leaf)

    def hook(_module, _args, out):
        out = _first_tensor(out, layer_name)
        if capture.replacement is not None:
            if capture.replacement.shape != out.shape:
                raise ModelEvaluationError(
                    f"layer {layer_name!r} returned shape {tuple(out.shape)} where "
                    f"{tuple(capture.replacement.shape)} was expected (its output on the "
                    "same rows must not change between forward passes).")
            out = capture.replacement.to(out.dtype)
        recorded = out.detach().requires_grad_(True) if leaf else out
        capture.outputs.append(recorded)
        return recorded.clone()

    handle = layer.register_forward_hook(thread_owned(hook))
    try:
        yield capture
    finally:
        handle.remove()


def layer_output(module, layer, x, *, layer_name=None, forward=None):
    """``layer``'s output when ``module`` runs on ``x`` (eval mode, no gradients).

    Parameters
    ----------
    module : torch.nn.Module
    layer : torch.nn.Module
        A submodule of ``module`` (see :func:`resolve_layer`).
    x : Tensor of shape (n, \\*input_shape)
    forward : callable, default=None
        Runs the model on ``x`` (an adapter's forward with its unpacking of
        several inputs and its forward arguments); None calls ``module(x)``.

    Returns
    -------
    Tensor
        Detached, of the shape the layer returns.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(),
    ...                           torch.nn.AdaptiveAvgPool2d(1))
    >>> tuple(layer_output(net, net[1], torch.zeros(4, 1, 8, 8)).shape)
    (4, 2, 6, 6)
    """
    from ._torch import eval_mode

    with torch.no_grad(), eval_mode(module), capture_output(
            layer, layer_name or type(layer).__name__) as capture:
        (module if forward is None else forward)(x)
        return capture.take().detach()
