"""select/match on cell layers stored as float16 (review of issue 14).

select and match promise ``hs.values >= threshold`` (tanh of the cell states in
their own dtype, as the page compares); the arctanh shortcut used a margin of
1e-4 in tanh units, narrower than float16's rounding of tanh (4.9e-4 near 0.9),
and disagreed on about 3% of the values near thresholds of 0.9 and above.
"""
import numpy as np
import pytest

from skexplain.recurrent import HiddenStates


def _near(threshold, dtype, seed=0):
    rng = np.random.default_rng(seed)
    target = np.clip(threshold + rng.uniform(-3e-3, 3e-3, (2000, 8)), -0.99999, 0.99999)
    raw = np.arctanh(target).astype(dtype)
    return HiddenStates({"l0.cell": raw})


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("threshold", [0.3, 0.9, 0.999, 1.0])
def test_select_equals_values_at_threshold_on_a_cell_layer(dtype, threshold):
    hs = _near(threshold, dtype)
    on = hs.values >= threshold
    for t in range(0, hs.n_steps, 7):
        np.testing.assert_array_equal(hs.select(t, t, threshold=threshold),
                                      np.flatnonzero(on[t]))


@pytest.mark.parametrize("threshold", [0.9, 1.0])
def test_match_cells_equal_values_at_threshold_on_a_float16_cell_layer(threshold):
    hs = _near(threshold, np.float16, seed=1)
    on = hs.values >= threshold
    matches = hs.match([0, 1], threshold=threshold, top=1000, min_length=1)
    assert matches
    for m in matches:
        expected = np.flatnonzero(on[m.start:m.end + 1].all(axis=0))
        np.testing.assert_array_equal(m.cells, expected)
