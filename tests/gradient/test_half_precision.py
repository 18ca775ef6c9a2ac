"""Every gradient explainer works on half-precision modules (bfloat16, float16).

Their values follow those of the same module in float32 up to the rounding
of the half-precision forward and backward passes.
"""
import copy

import numpy as np
import pytest

from skexplain import (DeepLIFT, ExpectedGradients, GradientXInput, GuidedBackprop,
                       IntegratedGradients, Saliency, SmoothGrad)

torch = pytest.importorskip("torch")
nn = torch.nn

EXPLAINERS = [
    Saliency, GradientXInput, GuidedBackprop, DeepLIFT,
    lambda m: SmoothGrad(m, n_samples=16, random_state=0),
    lambda m: IntegratedGradients(m, n_steps=16),
    lambda m: ExpectedGradients(m, n_samples=64, random_state=0),
]
IDS = ["Saliency", "GradientXInput", "GuidedBackprop", "DeepLIFT", "SmoothGrad",
       "IntegratedGradients", "ExpectedGradients"]


def _supported(dtype):
    """Whether this build runs a Linear forward and backward in ``dtype`` on the CPU."""
    try:
        layer = nn.Linear(2, 2).to(dtype)
        x = torch.ones(1, 2, dtype=dtype, requires_grad=True)
        torch.autograd.grad(layer(x).sum(), x)
    except RuntimeError:
        return False
    return True


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("make", EXPLAINERS, ids=IDS)
def test_half_precision_modules(make, dtype):
    if not _supported(dtype):
        pytest.skip(f"this torch build cannot differentiate {dtype} on the CPU")
    torch.manual_seed(0)
    reference = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    module = copy.deepcopy(reference).to(dtype)
    # Inputs exactly representable in both dtypes: only the passes round.
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(5, 4)) * 8) / 8
    background = np.round(rng.normal(size=(6, 4)) * 8) / 8

    expl = make(module).fit(background).explain(X, target=1)
    expected = make(reference).fit(background).explain(X, target=1).values
    assert expl.values.dtype == np.float64 and expl.values.shape == (5, 4)
    assert np.isfinite(expl.values).all()
    scale = np.abs(expected).max()
    assert np.abs(expl.values - expected).max() <= 0.05 * scale
    assert next(module.parameters()).dtype == dtype  # the module kept its dtype
