"""CoalitionEvaluator: values against a direct loop, dtypes, batching, parallelism."""
import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

from skexplain.adapters import as_model
from skexplain.perturbation import CoalitionEvaluator

from _truth import nonlinear_f, value_function


def _direct(f, X, background, masks):
    out = np.empty((len(X), len(masks)))
    for r, x in enumerate(X):
        for j, m in enumerate(masks):
            out[r, j] = value_function(f, x, background, np.flatnonzero(m))
    return out


def test_values_and_row_count(rng):
    background, X = rng.normal(size=(6, 4)), rng.normal(size=(3, 4))
    masks = np.array([[0, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1], [0, 1, 1, 1]], dtype=bool)
    ev = CoalitionEvaluator(as_model(nonlinear_f, sample=background), background)
    values, n_rows = ev.evaluate(X, masks)
    np.testing.assert_allclose(values[..., 0], _direct(nonlinear_f, X, background, masks),
                               atol=1e-12)
    # per row: 2 hybrid coalitions x 6 background rows + 1 row for f(x); empty is free
    assert n_rows == 3 * (2 * 6 + 1)


def test_per_row_masks(rng):
    background, X = rng.normal(size=(5, 4)), rng.normal(size=(2, 4))
    masks = rng.random((2, 3, 4)) < 0.5
    ev = CoalitionEvaluator(as_model(nonlinear_f, sample=background), background)
    values, _ = ev.evaluate(X, masks)
    for r in range(2):
        np.testing.assert_allclose(values[r, :, 0],
                                   _direct(nonlinear_f, X[r:r + 1], background, masks[r])[0],
                                   atol=1e-12)


def test_dataframe_hybrids_keep_dtypes():
    background = pd.DataFrame({
        "num": [1.0, 2.0, 3.0],
        "cat": pd.Categorical(["a", "b", "a"], categories=["a", "b", "c"]),
        "txt": pd.Series(["x", None, "z"], dtype=object),
        "cnt": pd.array([1, None, 3], dtype="Int64"),
    })
    X = pd.DataFrame({"num": [9.0], "cat": pd.Categorical(["c"], categories=["a", "b", "c"]),
                      "txt": pd.Series(["w"], dtype=object),
                      "cnt": pd.array([7], dtype="Int64")})
    seen = []

    def model(frame):
        seen.append(frame.dtypes.to_dict())
        return frame["num"].to_numpy() + frame["cat"].cat.codes.to_numpy()

    ev = CoalitionEvaluator(as_model(model, sample=background), background)
    values, _ = ev.evaluate(X, np.array([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=bool))
    assert all(d == background.dtypes.to_dict() for d in seen)
    np.testing.assert_allclose(values[0, :, 0], [9.0 + np.mean([0, 1, 0]), 2.0 + 2.0])


def test_feature_groups_switch_columns_together(rng):
    background, X = rng.normal(size=(4, 4)), rng.normal(size=(2, 4))
    model = as_model(nonlinear_f, sample=background)
    grouped = CoalitionEvaluator(model, background, feature_groups=[[0, 2], [1], [3]])
    plain = CoalitionEvaluator(model, background)
    v_grouped, _ = grouped.evaluate(X, np.array([[1, 0, 1], [0, 1, 0]], dtype=bool))
    v_plain, _ = plain.evaluate(X, np.array([[1, 0, 1, 1], [0, 1, 0, 0]], dtype=bool))
    np.testing.assert_allclose(v_grouped, v_plain)


def test_bad_masks(rng):
    background = rng.normal(size=(3, 4))
    ev = CoalitionEvaluator(as_model(nonlinear_f, sample=background), background)
    with pytest.raises(ValueError, match=r"masks must have shape \(n_masks, 4\)"):
        ev.evaluate(background, np.ones((2, 3), dtype=bool))


def test_runs_on_dask_backend(rng):
    distributed = pytest.importorskip("distributed")
    background, X = rng.normal(size=(5, 4)), rng.normal(size=(6, 4))
    masks = rng.random((9, 4)) < 0.5
    model = as_model(nonlinear_f, sample=background)
    ref, ref_rows = CoalitionEvaluator(model, background).evaluate(X, masks)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        with parallel_config(backend="dask"):
            ev = CoalitionEvaluator(model, background, n_jobs=2, batch_size=10)
            values, n_rows = ev.evaluate(X, masks)
    np.testing.assert_allclose(values, ref, rtol=0, atol=1e-13)
    assert n_rows == ref_rows
