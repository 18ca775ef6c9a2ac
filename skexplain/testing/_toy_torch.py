"""Torch versions of the toy models (imported only when a torch model is checked).

They are built from standard modules (``nn.Linear``, ``nn.ReLU``) so that
explainers that hook modules (DeepLIFT, Guided Backprop) see ordinary layers,
and in float64 so that exact axioms can be checked tightly.

:func:`train_module` is the default trainer of the data-randomization check
(a torch module cannot be refitted like an sklearn estimator): it trains a
*copy*, never the user's module.  :func:`toy_problem` gives a torch module the
built-in toy data (rows, or small images for a convolutional module), with
labels it can learn.
"""
import copy

import numpy as np
import torch
from torch import nn

from ..adapters._torch import eval_mode, module_device, module_dtype

__all__ = ["input_shape", "input_width", "linear_module", "relu_module", "toy_image_labels",
           "toy_labels", "toy_problem", "train_module"]

# Full-batch Adam: enough for the toy MLPs to fit 80 rows (and to memorise
# permuted labels) in well under a second on a CPU.
_N_STEPS = 300
_LEARNING_RATE = 0.02


def linear_module(w, b):
    """``nn.Linear(d, 1)`` computing ``x @ w + b`` (float64)."""
    layer = nn.Linear(len(w), 1).double()
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(np.asarray(w, float)[None, :]))
        layer.bias.fill_(float(b))
    return nn.Sequential(layer)


def relu_module(weights):
    """``Linear -> ReLU -> Linear`` computing ``relu(x W1 + b1) w2 + b2`` (float64)."""
    W1, b1, w2, b2 = (np.asarray(a, float) for a in weights)
    first, second = nn.Linear(*W1.shape).double(), nn.Linear(W1.shape[1], 1).double()
    with torch.no_grad():
        first.weight.copy_(torch.as_tensor(W1.T))
        first.bias.copy_(torch.as_tensor(b1))
        second.weight.copy_(torch.as_tensor(w2[None, :]))
        second.bias.fill_(float(b2))
    return nn.Sequential(first, nn.ReLU(), second)


def _first_layer(module):
    """The first submodule (in registration order) that holds parameters."""
    for sub in module.modules():
        if list(sub.parameters(recurse=False)):
            return sub
    return None


def input_width(module):
    """Input width of a module whose first parametrised layer is ``nn.Linear``."""
    first = _first_layer(module)
    if isinstance(first, nn.Linear):
        return first.in_features
    raise ValueError(
        f"check_explainer cannot build a toy input for the torch module "
        f"{type(module).__name__} (its first layer is not nn.Linear); pass X.")


# Side lengths tried for the toy images of a convolutional module: the first
# one its forward pass accepts (a Flatten -> Linear head fixes the size).
_IMAGE_SIDES = (8, 16, 32)


def _accepts(module, shape):
    try:
        with torch.no_grad(), eval_mode(module):
            module(torch.zeros((2,) + shape, dtype=module_dtype(module),
                               device=module_device(module)))
    except Exception:  # any failure means "not this size": the next one is tried
        return False
    return True


def input_shape(module):
    """Shape of one toy input of ``module`` (without the batch axis).

    ``(in_features,)`` when the first parametrised layer is ``nn.Linear``;
    ``(in_channels, s)`` or ``(in_channels, s, s)`` for ``nn.Conv1d`` or
    ``nn.Conv2d``, with ``s`` the first of 8, 16 and 32 that the module's
    forward pass accepts (evaluated without gradients, in eval mode).

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 14 * 14, 2))
    >>> input_shape(net)
    (3, 16, 16)
    """
    first = _first_layer(module)
    if isinstance(first, (nn.Conv1d, nn.Conv2d)):
        n_spatial = 1 if isinstance(first, nn.Conv1d) else 2
        for side in _IMAGE_SIDES:
            shape = (first.in_channels,) + (side,) * n_spatial
            if _accepts(module, shape):
                return shape
        raise ValueError(
            f"check_explainer cannot build a toy input for the torch module "
            f"{type(module).__name__}: its first layer is {type(first).__name__}, but its "
            f"forward pass refuses inputs of shape (n, {first.in_channels}, s"
            f"{', s' * (n_spatial - 1)}) for s in {_IMAGE_SIDES}; pass X.")
    if isinstance(first, nn.Linear):
        return (first.in_features,)
    raise ValueError(
        f"check_explainer cannot build a toy input for the torch module "
        f"{type(module).__name__} (its first layer is not nn.Linear, nn.Conv1d or "
        f"nn.Conv2d); pass X.")


def _n_outputs(module, X):
    """Width of the module's output on one row (on a copy, in eval mode)."""
    with torch.no_grad(), eval_mode(module):
        x = torch.as_tensor(np.asarray(X[:1]), dtype=module_dtype(module),
                            device=module_device(module))
        return int(module(x).reshape(1, -1).shape[1])


def _targets(y, n_outputs, device, dtype):
    """(targets, loss function) for ``y`` and a module with ``n_outputs`` outputs."""
    y = y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)
    if y.ndim == 2 and y.shape[1] == n_outputs and y.dtype.kind in "biuf":
        return torch.as_tensor(y, dtype=dtype, device=device), nn.functional.mse_loss
    if y.ndim == 1 and n_outputs == 1 and y.dtype.kind in "biuf":
        return (torch.as_tensor(y[:, None], dtype=dtype, device=device),
                nn.functional.mse_loss)
    got = f"an array of shape {y.shape} and dtype {y.dtype}"
    if y.ndim == 1:
        classes, codes = np.unique(y, return_inverse=True)
        if 1 < len(classes) <= n_outputs:
            return torch.as_tensor(codes, device=device), nn.functional.cross_entropy
        got += f" with {len(classes)} distinct values"
    raise ValueError(
        f"y must be one number per row for a module with one output, class labels (at "
        f"most {n_outputs} distinct) for a module with {n_outputs} outputs, or an array "
        f"of shape (n, {n_outputs}); got {got}."
    )


def train_module(module, X, y, *, n_steps=_N_STEPS, learning_rate=_LEARNING_RATE,
                 random_state=0):
    """A copy of ``module`` trained on ``(X, y)`` by full-batch Adam.

    The loss follows the output width: mean squared error for one output (or
    for ``y`` of shape (n, n_outputs)), cross-entropy on the logits for class
    labels when the module has several outputs.  The copy trains in train
    mode (Dropout active, seeded by ``random_state``) and is returned with the
    training flags of ``module``.

    Parameters
    ----------
    module : torch.nn.Module
        Never modified: a deep copy is trained.
    X : array-like or tensor of shape (n, \\*input_shape)
    y : array-like or tensor of shape (n,) or (n, n_outputs)
    n_steps : int, default=300
    learning_rate : float, default=0.02
    random_state : int, default=0
        Seeds the RNG used during training (Dropout); the global torch RNG
        is left as it was.

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> import numpy as np, torch
    >>> X = np.random.default_rng(0).normal(size=(40, 2))
    >>> net = torch.nn.Linear(2, 1)
    >>> trained = train_module(net, X, X @ [1.0, -2.0])
    >>> trained.weight.detach().numpy().round(1), trained is net
    (array([[ 1., -2.]], dtype=float32), False)
    """
    work = copy.deepcopy(module)
    device, dtype = module_device(work), module_dtype(work)
    x = X.detach() if torch.is_tensor(X) else torch.as_tensor(np.asarray(X, dtype=float))
    x = x.to(device=device, dtype=dtype)
    target, loss_fn = _targets(y, _n_outputs(work, x), device, dtype)
    flags = [(m, m.training) for m in work.modules()]
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(random_state))
        optimizer = torch.optim.Adam(work.parameters(), lr=learning_rate)
        work.train()
        for _ in range(n_steps):
            optimizer.zero_grad()
            loss_fn(work(x).reshape(x.shape[0], -1), target).backward()
            optimizer.step()
    for m, training in flags:
        m.training = training
    return work


def toy_labels(X, n_outputs):
    """Learnable labels for the toy rows ``X``: ``2 x0 - 1.5 x1 + x0 x2`` (the
    features that exist), as a regression target for one output and as
    ``n_outputs`` balanced classes (quantile bins) otherwise."""
    X = np.asarray(X, dtype=float)
    signal = 2.0 * X[:, 0]
    if X.shape[1] > 1:
        signal = signal - 1.5 * X[:, 1]
    if X.shape[1] > 2:
        signal = signal + X[:, 0] * X[:, 2]
    if n_outputs == 1:
        return signal
    edges = np.quantile(signal, np.linspace(0, 1, n_outputs + 1)[1:-1])
    return np.searchsorted(edges, signal)


def toy_image_labels(X, n_outputs):
    """Learnable labels for toy images ``X`` of shape (n, C, L) or (n, C, H, W).

    The signal is the mean of the top-left quadrant minus that of the
    bottom-right one (first and last quarter of a 1-D signal), over every
    channel: a spatially localised cue that a small convolutional network
    learns and that attribution maps can point at.  A regression target for
    one output, ``n_outputs`` balanced classes (quantile bins) otherwise.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 3:
        q = max(1, X.shape[2] // 4)
        signal = X[:, :, :q].mean(axis=(1, 2)) - X[:, :, -q:].mean(axis=(1, 2))
    else:
        h, w = X.shape[2] // 2, X.shape[3] // 2
        signal = X[:, :, :h, :w].mean(axis=(1, 2, 3)) - X[:, :, -h:, -w:].mean(axis=(1, 2, 3))
    if n_outputs == 1:
        return signal
    edges = np.quantile(signal, np.linspace(0, 1, n_outputs + 1)[1:-1])
    return np.searchsorted(edges, signal)


def toy_problem(module, n_samples=80, random_state=0):
    """``(trained copy, X, y)``: the built-in toy problem of a torch module.

    ``X`` holds ``n_samples`` standard-normal inputs of the module's input
    shape (:func:`input_shape`: rows for an ``nn.Linear`` first layer, images
    for ``nn.Conv1d``/``nn.Conv2d``), ``y`` the labels of :func:`toy_labels`
    or :func:`toy_image_labels`, and the module is copied and trained on them
    with :func:`train_module` (the module itself is never trained).
    """
    shape = input_shape(module)
    X = np.random.default_rng(random_state).normal(size=(n_samples,) + shape)
    labels = toy_labels if len(shape) == 1 else toy_image_labels
    y = labels(X, _n_outputs(module, X))
    return train_module(module, X, y, random_state=random_state), X, y
