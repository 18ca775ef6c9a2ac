"""KernelSHAP's memory is bounded by its working budget, and the chunking changes nothing.

The engine processes designs a chunk of background rows at a time and rows a
piece at a time (``skexplain.perturbation._kernel_designs``); these tests
force the smallest chunks and check that every result is unchanged, and
measure (with tracemalloc, which sees numpy's buffers) that the peak memory
of ``explain`` does not grow with the background or the number of rows.
"""
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

import skexplain.perturbation._kernel_designs as designs_module
from skexplain import KernelSHAP
from skexplain.exceptions import ApproximationWarning


def interactions(X):
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) * X[:, 3] + np.tanh(X[:, 0] + X[:, 4])
            + X[:, 1] * X[:, 3] * X[:, 4] + 0.5 * X[:, 2] * X[:, 3] * X[:, 4] * X[:, 5])


def two_outputs(X):
    return np.stack([interactions(X), X[:, 0] * X[:, 5] - X[:, 2]], axis=1)


def _data(seed=0, ties=False):
    rng = np.random.default_rng(seed)
    background, X = rng.normal(size=(7, 6)), rng.normal(size=(5, 6))
    if ties:  # rows then play designs of fewer players (embedded in their groups)
        background[:, 2], X[:, 2] = np.round(background[:, 2]), np.round(X[:, 2])
        background[:3, 4] = X[0, 4]
        background[:, 5], X[:2, 5] = 0.0, 0.0
    return background, X


CASES = {
    "default": (interactions, False, {"n_samples": 30}),
    "unpaired kernel": (interactions, False, {"n_samples": 40, "paired": False,
                                              "sampler": "kernel"}),
    "tiny budget": (interactions, False, {"n_samples": 4}),
    "tol": (interactions, False, {"n_samples": 56, "tol": 0.3}),
    "tol every round": (interactions, True, {"n_samples": 30, "tol": 1e-9}),
    "ties": (interactions, True, {"n_samples": 30}),
    "ties tol": (interactions, True, {"n_samples": 30, "tol": 0.1, "paired": False}),
    "groups": (interactions, True, {"n_samples": 20,
                                    "feature_groups": [[0, 1], [2], [3], [4, 5]]}),
    "multi-output": (two_outputs, True, {"n_samples": 30}),
    "multi-output tol": (two_outputs, False, {"n_samples": 30, "tol": 0.1}),
    "n_jobs": (interactions, True, {"n_samples": 30, "n_jobs": 2}),
}


def _explain(f, background, X, sample_weight=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximationWarning)
        return KernelSHAP(f, random_state=0, **kw).fit(
            background, sample_weight=sample_weight).explain(X)


def _spy_chunks(monkeypatch):
    """Record how many designs each factored chunk holds."""
    sizes = []
    real = designs_module.SharedDesign

    def spy(units, *args, **kwargs):
        sizes.append(units.shape[0])
        return real(units, *args, **kwargs)

    monkeypatch.setattr(designs_module, "SharedDesign", spy)
    return sizes


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("work", [1, 40_000])
def test_smallest_chunks_give_the_same_results(monkeypatch, name, work):
    f, ties, kw = CASES[name]
    background, X = _data(ties=ties)
    weights = np.random.default_rng(1).random(7) if name == "ties" else None
    ref = _explain(f, background, X, weights, **kw)
    sizes = _spy_chunks(monkeypatch)
    # a budget of one byte: one row per block, one design per chunk, one row per piece
    monkeypatch.setattr(designs_module.Task, "work_bytes",
                        lambda self, X, evaluator=None: work, raising=False)
    out = _explain(f, background, X, weights, **kw)
    np.testing.assert_allclose(out.values, ref.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.stderr, ref.stderr, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.isnan(out.stderr), np.isnan(ref.stderr))
    assert out.metadata == ref.metadata
    if work == 1 and kw.get("n_jobs") is None:
        assert sizes and max(sizes) == 1


def test_smallest_chunks_on_a_dataframe_pipeline(monkeypatch, string_frame, string_pipeline):
    frame, _ = string_frame
    background, X = frame.iloc[:6], frame.iloc[6:10]
    for tol in (None, 0.2):
        ref = _explain(string_pipeline, background, X, n_samples=12, tol=tol)
        with monkeypatch.context() as patch:
            patch.setattr(designs_module.Task, "work_bytes",
                          lambda self, X, evaluator=None: 1, raising=False)
            out = _explain(string_pipeline, background, X, n_samples=12, tol=tol)
        np.testing.assert_allclose(out.values, ref.values, rtol=0, atol=1e-12)
        np.testing.assert_allclose(out.stderr, ref.stderr, rtol=0, atol=1e-12)
        assert isinstance(X, pd.DataFrame) and out.metadata == ref.metadata


def test_fit_predicts_the_background_once():
    calls = []

    def f(Z):
        calls.append(len(Z))
        return np.asarray(Z).sum(axis=1)

    background = np.random.default_rng(0).normal(size=(7, 3))
    KernelSHAP(f).fit(background)
    assert calls.count(7) == 1, calls


def _peak_bytes(background, X, interactions=False, **kw):
    w = np.linspace(-1.0, 1.0, X.shape[1])

    def model(Z):  # with interactions, adaptive allocation gives games more coalitions
        out = Z @ w
        return out + np.tanh(Z[:, 0] * Z[:, 1] * Z[:, 2]) * Z[:, 3] if interactions else out

    explainer = KernelSHAP(model, random_state=0, **kw).fit(background)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ApproximationWarning)
            explainer.explain(X)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_the_background_at_the_default_budget():
    # d=64, 1024 coalitions: each background row's design is about 1.1 MB
    # once factored; 128 of them took 138 MB before designs were chunked.
    rng = np.random.default_rng(0)
    X, background = rng.normal(size=(2, 64)), rng.normal(size=(128, 64))
    peak = _peak_bytes(background, X, n_samples=1024)
    assert peak < 40 * 2**20, peak / 2**20


@pytest.mark.parametrize("tol, allocation", [(None, "equal"), (None, "adaptive"),
                                             (0.01, "adaptive")])
def test_peak_memory_bounded_by_the_working_budget(monkeypatch, tol, allocation):
    budget = 2**20
    monkeypatch.setattr(designs_module, "_MIN_WORK_BYTES", budget, raising=False)
    rng = np.random.default_rng(0)
    d = 48  # batch_size=512 rows of 48 floats: the 1 MiB floor is the budget
    peaks = {}
    for nb, n in [(8, 2), (128, 2), (4, 32), (4, 128)]:
        background, X = rng.normal(size=(nb, d)), rng.normal(size=(n, d))
        peaks[nb, n] = _peak_bytes(background, X, interactions=True, n_samples=576,
                                   batch_size=512, tol=tol, allocation=allocation)
    # Only arrays of the output's size grow with the rows (values, stderr, the
    # sums behind them, copies of X: 37 kB each per 96 rows); with tol a row
    # also keeps its coalition values between rounds, 288 per background row
    # (2 rows here), and adaptive allocation the pilot's 144 and its estimates
    # (2 * d numbers), plus about 1 kB of bookkeeping per design for its kept
    # piece (the levels above the pilot are played piece by piece).  A design
    # is never split, and adaptive allocation's top level is 4 times the size
    # of the equal one (34 bytes per unit and player once factored): whether
    # some game reaches it depends on the background.
    outputs = 10 * 96 * d * 8
    kept = 0 if tol is None else 2 * 128 * 288 * 8
    if tol is None and allocation == "adaptive":  # (576 = 12 per feature: adaptive)
        kept = 2 * 128 * (144 + 2 * d) * 8 + 128 * 1024 + 3 * 288 * d * 34
    assert max(peaks.values()) < 3 * budget, peaks
    assert peaks[128, 2] < peaks[8, 2] + budget / 4 + kept, peaks
    assert peaks[4, 128] < peaks[4, 32] + budget / 4 + outputs, peaks
