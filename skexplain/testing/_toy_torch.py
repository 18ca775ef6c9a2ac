"""Torch versions of the toy models (imported only when a torch model is checked).

They are built from standard modules (``nn.Linear``, ``nn.ReLU``) so that
explainers that hook modules (DeepLIFT, Guided Backprop) see ordinary layers,
and in float64 so that exact axioms can be checked tightly.
"""
import numpy as np
import torch
from torch import nn

__all__ = ["input_width", "linear_module", "relu_module"]


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


def input_width(module):
    """Input width of a module whose first parametrised layer is ``nn.Linear``."""
    for sub in module.modules():
        if isinstance(sub, nn.Linear):
            return sub.in_features
        if list(sub.parameters(recurse=False)):
            break
    raise ValueError(
        f"check_explainer cannot build a toy input for the torch module "
        f"{type(module).__name__} (its first layer is not nn.Linear); pass X.")
