"""ActivationDisplay on X the model refuses: a clear error naming X, not torch's message alone."""
import matplotlib
import numpy as np
import pytest

torch = pytest.importorskip("torch")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skexplain.exceptions import ModelEvaluationError  # noqa: E402
from skexplain.plotting import ActivationDisplay  # noqa: E402


def _net():
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                               torch.nn.Linear(4, 2))


@pytest.mark.parametrize("shape", [(2, 2, 8, 8), (2, 8, 8, 3), (3, 8, 8)])
def test_wrong_shape_x_names_x(shape):
    net = _net().train()
    X = np.random.default_rng(0).random(shape).astype("float32")
    with pytest.raises(ModelEvaluationError, match=r"X must be a batch of inputs of Sequential"
                       r".*shape \(n, \*input_shape\).*raised RuntimeError.*from X of shape "
                       + re_shape(shape)):
        ActivationDisplay.from_module(net, X, layer="1")
    assert plt.get_fignums() == []
    assert net.training and all(not m._forward_hooks for m in net.modules())


def re_shape(shape):
    return r"\(" + r", ".join(map(str, shape)) + r"\)"
