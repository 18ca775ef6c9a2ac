"""ExactShapley's deduplicated path keeps memory flat in the background size.

Rows that tie with background rows (binary, integer or categorical columns)
go through ``_lattice.evaluate_subset_table``, whose per-pair tables once held
``rows x n_background x 2^m`` values at a time.  The background is now taken
in chunks within the memory of one model call.
"""
import tracemalloc

import numpy as np
import pytest

from skexplain import ExactShapley
from skexplain.perturbation import _lattice

D = 12
W = np.random.default_rng(0).normal(size=D)


def model(X):
    return np.tanh(np.asarray(X, dtype=float) @ W)


def binary_rows(n, seed):
    return np.random.default_rng(seed).integers(0, 2, size=(n, D)).astype(float)


def explain_peak(n_background):
    explainer = ExactShapley(model).fit(binary_rows(n_background, 1))
    tracemalloc.start()
    try:
        expl = explainer.explain(binary_rows(1, 2))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, expl


def test_peak_memory_does_not_grow_with_the_background():
    small, _ = explain_peak(100)
    large, expl = explain_peak(800)
    # before the chunking: ~19 MiB at 100 background rows and ~160 MiB at 800
    assert large < 2 * small + 2**20, (small, large)
    x, bg = binary_rows(1, 2), binary_rows(800, 1)
    assert abs(expl.values.sum() + expl.base_values[0] - model(x)[0]) < 1e-10
    assert expl.metadata["n_model_rows"] > 0 and np.isclose(expl.base_values[0],
                                                          model(bg).mean())


@pytest.mark.parametrize("weighted", [False, True])
def test_background_chunks_give_the_values_of_one_chunk(monkeypatch, weighted):
    background = binary_rows(60, 3)
    X = binary_rows(5, 4)
    weights = np.random.default_rng(5).random(60) if weighted else None
    whole = ExactShapley(model).fit(background, sample_weight=weights).explain(X)
    monkeypatch.setattr(_lattice, "_MIN_TABLE_FLOATS", 1)  # one background row a chunk
    chunked = ExactShapley(model, batch_size=60).fit(background, sample_weight=weights)
    got = chunked.explain(X)
    np.testing.assert_allclose(got.values, whole.values, rtol=1e-12, atol=1e-14)
    assert got.metadata["n_model_rows"] == whole.metadata["n_model_rows"]
