"""Read-only arrays (sklearn's checks pass some) reach torch without a warning."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skexplain import IntegratedGradients, KernelSHAP  # noqa: E402


@pytest.mark.parametrize("cls", [IntegratedGradients, KernelSHAP])
def test_read_only_arrays_give_no_torch_warning_and_stay_unchanged(cls):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    X = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    X.flags.writeable = False
    before = X.copy()
    explainer = cls(model, random_state=0) if cls is KernelSHAP else cls(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = explainer.fit(X).explain(X).values
    assert np.isfinite(values).all()
    np.testing.assert_array_equal(X, before)
