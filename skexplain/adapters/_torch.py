"""Adapter for torch ``nn.Module``s (CPU or CUDA, any input shape).

The module is evaluated in ``eval()`` mode with gradients off; the training
flag of every submodule is restored afterwards, and nothing (hooks, buffers,
attributes) is left on the user's module.  torch is imported lazily so that
tabular users never pay for it.
"""
import numbers
from contextlib import contextmanager

import numpy as np

from ._base import Model, take_rows

__all__ = ["TorchModel", "eval_mode", "module_device", "module_dtype"]


@contextmanager
def eval_mode(module):
    """Put ``module`` in eval mode and restore each submodule's flag on exit."""
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in flags:
            m.training = training


def module_device(module):
    """Device of the module's first parameter or buffer (CPU if it has none)."""
    import torch

    for tensor in list(module.parameters()) + list(module.buffers()):
        return tensor.device
    return torch.device("cpu")


def module_dtype(module):
    """Floating dtype of the module's first floating parameter (float32 if none)."""
    import torch

    for tensor in list(module.parameters()) + list(module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32


class TorchModel(Model):
    """Explain the outputs of a torch ``nn.Module``.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a tensor of shape (n, \\*input_shape) to (n,) or (n, k).
    output : "auto" or int, default="auto"
        ``"auto"`` keeps every output (e.g. all logits); an integer keeps one.
    sample : array-like or tensor
        A row used once to learn the number of outputs.
    batch_size : int, default=None
        Rows per forward pass; None sends each call in one pass.
    """

    def __init__(self, module, output="auto", sample=None, batch_size=None):
        self.module = module
        self.output = output
        self.batch_size = batch_size
        if sample is None:
            raise ValueError("TorchModel needs a sample row to learn its number of outputs.")
        n_all = self.predict_all_columns(take_rows(sample, 1)).shape[1]
        names = ["output"] if n_all == 1 else [f"output_{i}" for i in range(n_all)]
        if output == "auto":
            self.output_names = names
        elif isinstance(output, numbers.Integral) and not isinstance(output, bool) and (
                -n_all <= output < n_all):
            self.column = int(output) % n_all
            self.output_names = [names[self.column]]
        else:
            raise ValueError(
                f"output must be 'auto' or an output index in [0, {n_all}) for "
                f"{type(module).__name__}; got {output!r}."
            )

    @property
    def device(self):
        return module_device(self.module)

    @property
    def dtype(self):
        return module_dtype(self.module)

    def describe(self):
        return f"the torch module {type(self.module).__name__}"

    def to_tensor(self, X):
        """``X`` (array or tensor) as a tensor on the module's device and dtype."""
        import torch

        if isinstance(X, torch.Tensor):
            return X.to(device=self.device, dtype=self.dtype)
        return torch.as_tensor(np.asarray(X), dtype=self.dtype, device=self.device)

    def forward(self, X):
        """Differentiable forward pass: tensor in, tensor (n, k) out.

        The caller decides the grad mode and the module's mode.
        """
        out = self.module(X)
        return out.reshape(out.shape[0], -1) if out.ndim != 2 else out

    def _call(self, X):
        import torch

        n = X.shape[0]
        step = self.batch_size or max(n, 1)
        outs = []
        with torch.no_grad(), eval_mode(self.module):
            for start in range(0, n, step):
                batch = self.to_tensor(X[start:start + step])
                outs.append(self.forward(batch).detach().to("cpu", torch.float64))
        return torch.cat(outs).numpy() if outs else np.zeros((0, 1))
