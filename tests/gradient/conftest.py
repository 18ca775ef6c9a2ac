"""Fixtures of the gradient tests (models live in gradient_models.py)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture
def tabular():
    rng = np.random.RandomState(0)
    return rng.normal(size=(8, 6)).astype(np.float32), rng.normal(size=(5, 6)).astype(np.float32)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    return torch.randn(4, 3, 8, 8, generator=g), torch.randn(3, 3, 8, 8, generator=g)
