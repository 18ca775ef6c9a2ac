"""HiddenStates.match against planted patterns and a literal implementation of ALGORITHMS.md 8."""
import numpy as np
import pytest
from _recurrent_planted import PLANTED, planted_states

from skexplain.recurrent import HiddenStates, Match
from skexplain.recurrent import _select


def reference_match(values, sequence_ids, cells, threshold=0.3, top=50, off_before=False,
                    off_after=False, min_length=2, limit=1000):
    """LSTMVis match as ALGORITHMS.md section 8 states it, with plain loops.

    Returns (start, end, n_shared, n_union, A) tuples, best first.
    """
    n_steps, n_cells = values.shape
    query = set(cells)
    count = [sum(values[t, c] >= threshold for c in query) for t in range(n_steps)]
    candidates = []
    for q in range(len(query), 0, -1):
        t = 0
        while t < n_steps and len(candidates) < limit:
            if count[t] < q:
                t += 1
                continue
            start = t    # a maximal run of count >= q, cut where a sequence ends
            while t + 1 < n_steps and count[t + 1] >= q and sequence_ids[t + 1] == \
                    sequence_ids[t]:
                t += 1
            if t - start + 1 >= min_length and (start, t) not in candidates:
                candidates.append((start, t))
            t += 1
        if len(candidates) >= limit:
            break
    ranked = []
    for start, end in candidates:
        on = {c for c in range(n_cells)
              if all(values[t, c] >= threshold for t in range(start, end + 1))}
        if off_before and start > 0 and sequence_ids[start - 1] == sequence_ids[start]:
            on = {c for c in on if values[start - 1, c] < threshold}
        if off_after and end < n_steps - 1 and sequence_ids[end + 1] == sequence_ids[end]:
            on = {c for c in on if values[end + 1, c] < threshold}
        shared, union = len(on & query), len(on | query)
        ranked.append((-shared, union, -(end - start + 1), start, end, sorted(on)))
    ranked.sort()
    return [(s, e, -shared, union, on) for shared, union, _, s, e, on in ranked[:top]]


def as_tuples(matches):
    return [(m.start, m.end, m.n_shared, m.n_union, m.cells.tolist()) for m in matches]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_planted_ranges_come_first(dtype):
    hs = HiddenStates(planted_states(dtype=dtype))
    for cells, ranges in PLANTED.items():
        start, end = ranges[0]
        query = hs.select(start, end)
        matches = hs.match(query)
        best = matches[:len(ranges)]
        # every planted range, exactly, with score 1; equal lengths tie-break on start
        assert sorted((m.start, m.end) for m in best) == sorted(ranges)
        assert [m.length for m in best] == sorted((e - s + 1 for s, e in ranges), reverse=True)
        for m in best:
            assert m.score == 1.0 and m.n_shared == m.n_union == len(cells)
            assert m.cells.tolist() == list(cells) and m.length == m.end - m.start + 1
            assert hs.select(m.start, m.end).tolist() == list(cells)   # the round trip
        assert all(m.score < 1.0 for m in matches[len(ranges):])


def test_planted_match_equals_the_reference():
    values = planted_states(seed=3)
    values[500:510, [3, 17]] = 0.9           # a partial pattern: 2 of the 3 cells
    values[550:562, [3, 17, 20]] = 0.9       # the 3 cells and an extra one
    hs = HiddenStates(values)
    for query, kwargs in [([3, 17, 40], {}), ([3, 17], dict(top=5)),
                          ([3, 17, 20], dict(off_before=True, min_length=1))]:
        got = as_tuples(hs.match(query, **kwargs))
        assert got == reference_match(values, hs.sequence_ids, query, **kwargs)


def test_ranking_order():
    values = np.zeros((40, 4))
    values[2:6, [0, 1]] = 1       # C exactly, length 4
    values[10:18, [0, 1, 2]] = 1  # C and one extra cell, length 8
    values[20:23, [0, 1]] = 1     # C exactly, length 3
    values[30:36, 0] = 1          # half of C, length 6
    values[25:27, [0, 1]] = 1     # C exactly, length 2
    matches = HiddenStates(values).match([0, 1])
    assert [(m.start, m.end) for m in matches] == [(2, 5), (20, 22), (25, 26), (10, 17),
                                                   (30, 35)]
    assert [m.score for m in matches] == [1.0, 1.0, 1.0, 2 / 3, 0.5]
    assert [(m.n_shared, m.n_union) for m in matches] == [(2, 2), (2, 2), (2, 2), (2, 3),
                                                          (1, 2)]
    assert [m.length for m in HiddenStates(values).match([0, 1], top=2)] == [4, 3]


def test_equal_keys_break_on_start():
    values = np.zeros((20, 2))
    for start in (12, 3, 7):
        values[start:start + 2, :] = 1
    assert [m.start for m in HiddenStates(values).match([0, 1])] == [3, 7, 12]


def _random_case(rng):
    n_steps, n_cells = int(rng.integers(2, 40)), int(rng.integers(1, 9))
    # few distinct levels: many ties in counts, lengths and scores
    values = rng.choice([-0.5, 0.1, 0.3, 0.6, 0.9], size=(n_steps, n_cells),
                        p=[0.2, 0.2, 0.1, 0.25, 0.25])
    if rng.random() < 0.3:  # long plateaus: runs longer than one step
        values = np.repeat(values[:max(1, n_steps // 3)], 3, axis=0)[:n_steps]
        n_steps = len(values)
    ids = np.cumsum(rng.random(n_steps) < 0.1) if rng.random() < 0.5 \
        else np.zeros(n_steps, int)
    size = int(rng.integers(1, n_cells + 1))
    cells = rng.choice(n_cells, size=size, replace=False)
    kwargs = dict(threshold=float(rng.choice([0.0, 0.3, 0.5, 0.9, 1.0])),
                  top=int(rng.integers(1, 30)), off_before=bool(rng.random() < 0.5),
                  off_after=bool(rng.random() < 0.5), min_length=int(rng.integers(1, 4)))
    return values, ids, cells, kwargs


def test_agrees_with_the_reference_on_random_arrays():
    rng = np.random.default_rng(0)
    n_nonempty = 0
    for _ in range(400):
        values, ids, cells, kwargs = _random_case(rng)
        hs = HiddenStates(values, sequence_ids=ids)
        got = hs.match(cells, **kwargs)
        expected = reference_match(values, ids, cells, **kwargs)
        assert as_tuples(got) == expected, (values, ids, cells, kwargs)
        for m, (_, _, shared, union, _) in zip(got, expected):
            assert m.score == shared / union and m.length == m.end - m.start + 1
        n_nonempty += bool(got)
    assert n_nonempty > 250   # the cases exercise the ranking, not only empty answers


@pytest.mark.parametrize("block_bytes", [1, 100])
def test_packing_a_block_of_rows_at_a_time(monkeypatch, block_bytes):
    monkeypatch.setattr(_select, "_BLOCK_BYTES", block_bytes)   # 1 row, or a few rows
    rng = np.random.default_rng(7)
    for _ in range(60):
        values, ids, cells, kwargs = _random_case(rng)
        hs = HiddenStates(values, sequence_ids=ids)
        assert as_tuples(hs.match(cells, **kwargs)) == reference_match(values, ids, cells,
                                                                       **kwargs)
    raw = rng.normal(size=(300, 70)).astype(np.float32)
    cell = HiddenStates({"l0.cell": raw})
    for threshold in (0.0, 0.3, 1.0):
        np.testing.assert_array_equal(_select._packed_on(cell, threshold),
                                      _select._pack(cell.values >= threshold))


def test_candidate_limit_truncates_in_q_order(monkeypatch):
    rng = np.random.default_rng(5)
    monkeypatch.setattr(_select, "MAX_CANDIDATES", 7)
    for _ in range(100):
        values, ids, cells, kwargs = _random_case(rng)
        hs = HiddenStates(values, sequence_ids=ids)
        kwargs["top"] = 50
        got = as_tuples(hs.match(cells, **kwargs))
        assert got == reference_match(values, ids, cells, limit=7, **kwargs)
        assert len(got) <= 7


def test_candidate_limit_keeps_the_ranges_of_the_most_cells(monkeypatch):
    values = np.zeros((60, 3))
    for start in range(0, 60, 4):      # 15 runs of one cell
        values[start:start + 2, 0] = 1
    values[41:43, :] = 1               # one run of the three cells
    monkeypatch.setattr(_select, "MAX_CANDIDATES", 3)
    matches = HiddenStates(values).match([0, 1, 2])
    # q=3 finds 41..42 first; q=2 adds nothing new; q=1 adds the first runs in time
    assert [(m.start, m.end) for m in matches] == [(41, 42), (0, 1), (4, 5)]


def test_runs_stop_at_sequence_boundaries():
    values = np.ones((6, 2))
    hs = HiddenStates(values, sequence_ids=[0, 0, 0, 1, 1, 1])
    assert [(m.start, m.end) for m in hs.match([0, 1])] == [(0, 2), (3, 5)]
    assert [(m.start, m.end) for m in HiddenStates(values).match([0, 1])] == [(0, 5)]


def test_off_constraints_shape_the_cells_of_a_match():
    values = np.zeros((10, 3))
    values[3:6, :] = 1
    values[2, 1] = 1          # cell 1 on just before
    values[6, 2] = 1          # cell 2 on just after
    hs = HiddenStates(values)
    plain = hs.match([0])
    assert [(m.start, m.end, m.cells.tolist()) for m in plain] == [(3, 5, [0, 1, 2])]
    (m,) = hs.match([0], off_before=True, off_after=True)
    assert m.cells.tolist() == [0] and m.score == 1.0
    # 3..5 (both on) loses cell 1, on at step 2; 2..5 (cell 1 on, q=1) keeps it
    matches = hs.match([0, 1], off_before=True)
    assert [(m.start, m.end, m.cells.tolist(), m.n_shared, m.n_union) for m in matches] == [
        (2, 5, [1], 1, 2), (3, 5, [0, 2], 1, 3)]


def test_no_candidates_gives_an_empty_list_and_min_length():
    values = np.zeros((8, 2))
    values[4, :] = 1
    hs = HiddenStates(values)
    assert hs.match([0, 1]) == []
    (m,) = hs.match([0, 1], min_length=1)
    assert (m.start, m.end, m.length, m.score) == (4, 4, 1, 1.0)
    assert isinstance(m, Match)


def test_float32_and_cell_layers():
    values = planted_states(seed=2)[:400, :16]
    f32 = HiddenStates(values.astype(np.float32))
    assert as_tuples(f32.match([3, 9])) == reference_match(values.astype(np.float32),
                                                           f32.sequence_ids, [3, 9])
    raw = np.arctanh(np.clip(values, -0.99, 0.99)) * 1.0
    cell = HiddenStates({"l0.cell": raw})
    assert as_tuples(cell.match([3, 9])) == reference_match(np.tanh(raw), cell.sequence_ids,
                                                            [3, 9])


def test_popcount_table_fallback_counts_bits():
    rng = np.random.default_rng(0)
    on = rng.random((50, 200)) < 0.4
    packed = _select._pack(on)
    np.testing.assert_array_equal(_select._popcount_table(packed[:-1]), on.sum(axis=1))
    np.testing.assert_array_equal(_select._popcount(packed[:-1]), on.sum(axis=1))
    assert not packed[-1].any()
    for row in range(50):
        np.testing.assert_array_equal(_select._unpack(packed[row], 200), np.flatnonzero(on[row]))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(cells=[]), ValueError, "cells is empty: .*select found no cell on .*lower the "
                                 "threshold"),
    (dict(cells=np.array([], dtype=int)), ValueError, "cells is empty"),
    (dict(cells=[1, 1, 2]), ValueError, r"cells must be distinct; got \[1\] more than once"),
    (dict(cells=[0, 5]), ValueError, r"cells must be cell indices in 0\.\.3; got \[5\] "
                                     "outside"),
    (dict(cells=[-1]), ValueError, r"cells must be cell indices in 0\.\.3; got \[-1\]"),
    (dict(cells=[0.0, 1.0]), TypeError, r"cells must be integer cell indices in 0\.\.3; got "
                                        "values of dtype float64"),
    (dict(cells=[True, False]), TypeError, "cells must be integer .*dtype bool"),
    (dict(cells=["a"]), TypeError, "cells must be integer .*dtype <U1"),
    (dict(cells=[[0, 1]]), ValueError, r"cells must be a 1-D .*shape \(1, 2\)"),
    (dict(cells=[0], threshold=2), ValueError, r"threshold must be a number in \[0, 1\]; "
                                               "got 2"),
    (dict(cells=[0], top=0), ValueError, "top must be an integer >= 1; got 0"),
    (dict(cells=[0], top=2.0), ValueError, r"top must be an integer >= 1; got 2\.0"),
    (dict(cells=[0], min_length=0), ValueError, "min_length must be an integer >= 1; got 0"),
    (dict(cells=[0], off_before=None), TypeError, "off_before must be True or False; "
                                                  "got None"),
    (dict(cells=[0], off_after="no"), TypeError, "off_after must be True or False"),
])
def test_bad_input(kwargs, error, match):
    hs = HiddenStates(np.zeros((10, 4)))
    with pytest.raises(error, match=match):
        hs.match(**kwargs)


def test_the_output_of_select_and_other_array_likes_are_accepted():
    values = np.zeros((10, 4))
    values[2:5, [1, 3]] = 1
    hs = HiddenStates(values)
    expected = as_tuples(hs.match(hs.select(2, 4)))
    assert as_tuples(hs.match([3, 1])) == expected
    assert as_tuples(hs.match((np.int32(1), np.int32(3)))) == expected
    assert as_tuples(hs.match(np.array([1, 3], dtype=np.uint8))) == expected
