"""HiddenStates.select: the cells on throughout a range (LSTMVis select, ALGORITHMS.md 8)."""
import numpy as np
import pytest
from _recurrent_planted import PLANTED, planted_states

from skexplain.recurrent import HiddenStates, _select


def brute_select(values, sequence_ids, start, end, threshold, off_before, off_after):
    """The definition, one cell and one step at a time."""
    cells = []
    for c in range(values.shape[1]):
        on = all(values[t, c] >= threshold for t in range(start, end + 1))
        if off_before and start > 0 and sequence_ids[start - 1] == sequence_ids[start]:
            on = on and values[start - 1, c] < threshold
        if off_after and end + 1 < len(values) and sequence_ids[end + 1] == sequence_ids[end]:
            on = on and values[end + 1, c] < threshold
        if on:
            cells.append(c)
    return cells


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_planted_ranges_select_the_planted_cells(dtype):
    hs = HiddenStates(planted_states(dtype=dtype))
    for cells, ranges in PLANTED.items():
        for start, end in ranges:
            for s, e in [(start, end), (start + 1, end - 1), (start, start + 1)]:
                got = hs.select(s, e)
                assert got.dtype.kind == "i" and got.tolist() == list(cells)
            # the whole range and the steps just outside it: the planted cells are off there
            assert hs.select(start, end, off_before=True, off_after=True).tolist() == list(cells)
            assert hs.select(start - 1, end).size == 0


def test_single_step_range_and_threshold_is_inclusive():
    values = np.array([[0.3, 0.29, 1.0], [0.0, 0.5, 0.0]])
    hs = HiddenStates(values)
    assert hs.select(0, 0).tolist() == [0, 2]          # v >= threshold, 0.3 itself is on
    assert hs.select(0, 0, threshold=1.0).tolist() == [2]
    assert hs.select(0, 1, threshold=0.0).tolist() == [0, 1, 2]
    assert hs.select(0, 1).tolist() == []               # empty, not an error


def test_off_before_and_off_after():
    values = np.zeros((6, 4))
    values[1:4, :] = 1.0            # every cell on at 1..3
    values[0, 1] = 1.0              # cell 1 already on before
    values[4, 2] = 1.0              # cell 2 still on after
    hs = HiddenStates(values)
    assert hs.select(1, 3).tolist() == [0, 1, 2, 3]
    assert hs.select(1, 3, off_before=True).tolist() == [0, 2, 3]
    assert hs.select(1, 3, off_after=True).tolist() == [0, 1, 3]
    assert hs.select(1, 3, off_before=True, off_after=True).tolist() == [0, 3]


def test_off_constraints_are_vacuous_at_stream_and_sequence_ends():
    values = np.ones((6, 2))
    values[:, 1] = [1, 1, 1, 0, 1, 1]
    ids = [0, 0, 0, 1, 1, 1]
    hs = HiddenStates(values, sequence_ids=ids)
    # step 0 (stream start) and step 5 (stream end): no step before / after
    assert hs.select(0, 1, off_before=True).tolist() == [0, 1]
    assert hs.select(4, 5, off_after=True).tolist() == [0, 1]
    # steps 2 and 3 end and start a sequence: the other sequence's step does not count
    assert hs.select(1, 2, off_after=True).tolist() == [0, 1]
    assert hs.select(4, 4, off_before=True).tolist() == [1]      # step 3 is in sequence 1
    assert hs.select(3, 3, off_before=True).tolist() == [0]      # first step of sequence 1
    assert HiddenStates(values).select(1, 2, off_after=True).tolist() == [1]


def test_agrees_with_the_definition_on_random_arrays():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n, m = rng.integers(1, 12), rng.integers(1, 8)
        values = rng.choice([0.0, 0.2, 0.3, 0.6, 1.0], size=(n, m))
        ids = np.cumsum(rng.random(n) < 0.2)
        start = int(rng.integers(n))
        end = start
        while end + 1 < n and ids[end + 1] == ids[start] and rng.random() < 0.7:
            end += 1
        threshold = float(rng.choice([0.2, 0.3, 0.5]))
        before, after = (bool(b) for b in rng.random(2) < 0.5)
        hs = HiddenStates(values, sequence_ids=ids)
        got = hs.select(start, end, threshold=threshold, off_before=before, off_after=after)
        assert got.tolist() == brute_select(values, ids, start, end, threshold, before, after)


def test_cell_layers_threshold_the_tanh_values():
    raw = np.array([[0.31, 0.31], [0.5, 0.0]])   # tanh(0.31) = 0.30044, tanh(0.5) = 0.46
    hs = HiddenStates({"l0.cell": raw, "l0.hidden": raw}, layer="l0.cell")
    assert hs.select(0, 0, threshold=0.3).tolist() == [0, 1]
    assert hs.select(0, 0, threshold=0.3005).tolist() == []      # tanh(0.31) = 0.30044
    assert hs["l0.hidden"].select(0, 0, threshold=0.3005).tolist() == [0, 1]
    np.testing.assert_array_equal(hs.select(0, 1, threshold=0.3),
                                  np.flatnonzero((hs.values >= 0.3).all(axis=0)))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(start=-1, end=2), ValueError, r"start must be a time step in 0\.\.9 .*got -1"),
    (dict(start=0, end=10), ValueError, r"end must be a time step in 0\.\.9 .*got 10"),
    (dict(start=5, end=3), ValueError, "start must be <= end .*start=5, end=3"),
    (dict(start=1.0, end=3), TypeError, r"start must be an integer time step in 0\.\.9; "
                                        r"got 1\.0 \(float\)"),
    (dict(start=True, end=3), TypeError, r"start must be an integer .*got True \(bool\)"),
    (dict(start=0, end="3"), TypeError, "end must be an integer .*got '3' \\(str\\)"),
    (dict(start=0, end=3, threshold=1.5), ValueError, r"threshold must be a number in "
                                                      r"\[0, 1\]; got 1\.5"),
    (dict(start=0, end=3, threshold=-0.1), ValueError, r"threshold must be .*got -0\.1"),
    (dict(start=0, end=3, off_before="yes"), TypeError, "off_before must be True or False; "
                                                        "got 'yes'"),
    (dict(start=0, end=3, off_after=1), TypeError, "off_after must be True or False; got 1"),
])
def test_bad_input(kwargs, error, match):
    hs = HiddenStates(np.zeros((10, 3)))
    with pytest.raises(error, match=match):
        hs.select(**kwargs)


def test_numpy_integers_are_steps():
    hs = HiddenStates(np.ones((10, 3)))
    assert hs.select(np.int64(2), np.int32(4)).tolist() == [0, 1, 2]


def test_range_across_sequences_is_refused():
    hs = HiddenStates(np.ones((6, 2)), sequence_ids=[0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match=r"the range 1\.\.4 spans two sequences "
                                         r"\(sequence_ids 0 and 1, the second from step 3\)"):
        hs.select(1, 4)
    assert hs.select(3, 5).tolist() == [0, 1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.7, 0.99999, 1.0])
def test_cell_layers_equal_tanh_then_threshold_at_the_boundary(dtype, threshold):
    # select and match compare raw cell states with arctanh(threshold) and call tanh only
    # near it: the answer must still be exactly tanh(states) >= threshold, ulp by ulp
    rng = np.random.default_rng(4)
    center = np.arctanh(threshold) if threshold < 1 else 9.5
    scales = 10.0 ** rng.integers(-9, 1, size=(300, 40))
    raw = (center + scales * rng.normal(size=(300, 40))).astype(dtype)
    boundary = dtype(center)
    around = boundary + np.arange(-150, 150) * np.spacing(boundary)   # its ulp neighbours
    raw[:, 0] = around.astype(dtype)
    hs = HiddenStates({"l0.cell": raw})
    expected = hs.values >= threshold
    np.testing.assert_array_equal(_select._on(hs, threshold), expected)
    for t in range(len(raw)):
        np.testing.assert_array_equal(hs.select(t, t, threshold=threshold),
                                      np.flatnonzero(expected[t]))
