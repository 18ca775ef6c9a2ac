"""Models of any input width, for scikit-learn's own estimator checks.

sklearn's checks fit an estimator on random data of many widths (1 to 30
columns).  An explainer never fits its model, so the model must accept every
width, as the samplers of imbalanced-learn accept any data.  Each model here
computes a fixed nonlinear function of any number of columns and is picklable.
"""
import numpy as np

try:
    import torch
except ImportError:  # torch is optional: the torch models are then absent
    torch = None

__all__ = ["AnyWidthFunction", "AnyWidthNet"]


class AnyWidthFunction:
    """``f(X) = [sum tanh(x) + 0.1 |x|^2, sum x sin(x)]`` over the columns (NaN read as 0)."""

    def __call__(self, X):
        X = np.nan_to_num(np.asarray(X, dtype=float))
        return np.stack([np.tanh(X).sum(axis=1) + 0.1 * (X ** 2).sum(axis=1),
                         (X * np.sin(X)).sum(axis=1)], axis=1)

    def __repr__(self):
        return "AnyWidthFunction()"


if torch is not None:

    class AnyWidthNet(torch.nn.Module):
        """Two outputs of any number of columns through two parameters (float64,
        so that sklearn's tolerances hold)."""

        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor([1.0, -0.5], dtype=torch.float64))
            self.relu = torch.nn.ReLU()  # a module, so that GuidedBackprop has one to guide

        def forward(self, x):
            h = torch.tanh(x * self.scale[0]) + self.relu(x - 0.5)
            return torch.stack([h.sum(1) + 0.3, (x ** 2).sum(1) * self.scale[1]], 1)
