"""LSTMVis select and match (Strobelt et al., IEEE TVCG 2018) on the analysed layer.

Both work on the boolean "on" matrix ``hs.values >= threshold``.  Ranges are
inclusive (``start..end``) and never cross a sequence boundary
(``hs.sequence_ids``); an off-before (off-after) constraint holds vacuously at
the first (last) step of a sequence, where there is no step before (after).

Match follows LSTMVis' ``query_similar_activations``: candidate ranges are the
maximal runs where at least ``q`` of the queried cells are on together, for
``q = |C|, |C| - 1, ..., 1``; each candidate is scored by the set ``A`` of all
cells on throughout it.  To score many candidates fast, the on matrix is
bit-packed (64 cells per word) and ``A`` is one AND-reduction of packed rows
per candidate (``np.bitwise_and.reduceat``), counted with a popcount.
"""
import numbers

import numpy as np

from ._states import Match, check_steps, check_threshold

__all__ = ["MAX_CANDIDATES", "match_cells", "select_cells"]

#: Match scores at most this many distinct candidate ranges (LSTMVis' "fast"
#: mode also stops at 1,000).  Candidates are collected level by level, from
#: ``q = |C|`` down, each level in time order, so when the limit is reached the
#: ranges dropped are those where the fewest queried cells are on together
#: and, within the level that reaches the limit, the latest ones.
MAX_CANDIDATES = 1000


# ----------------------------------------------------------------- validation
def _check_flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def _check_int(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _check_cells(cells, n_cells):
    """The queried cells as a sorted int array, or a clear error."""
    try:
        array = np.asarray(cells)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cells must be a 1-D array-like of distinct cell indices in "
                        f"0..{n_cells - 1}; got {type(cells).__name__} ({exc}).") from None
    if array.ndim != 1:
        raise ValueError(f"cells must be a 1-D array-like of distinct cell indices in "
                         f"0..{n_cells - 1}; got an array of shape {array.shape}.")
    if array.size == 0:
        raise ValueError("cells is empty: no cell to match (select found no cell on throughout "
                         "the range: lower the threshold, pick a shorter range or drop "
                         "off_before/off_after).")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"cells must be integer cell indices in 0..{n_cells - 1}; got values "
                        f"of dtype {array.dtype} ({array[:5].tolist()}...).")
    outside = array[(array < 0) | (array >= n_cells)]
    if outside.size:
        raise ValueError(f"cells must be cell indices in 0..{n_cells - 1}; got "
                         f"{outside[:5].tolist()} outside that range.")
    values, counts = np.unique(array, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"cells must be distinct; got {values[counts > 1][:5].tolist()} more "
                         f"than once.")
    return values.astype(np.intp)


# match compares and packs the states this many bytes at a time (see _packed_on)
_BLOCK_BYTES = 2 ** 20
# tanh is computed only where a raw value lies this close (in tanh units) to the threshold
_TANH_MARGIN = 1e-4


def _on(hs, threshold, rows=slice(None)):
    """``hs.values[rows] >= threshold``, computing tanh only where it decides.

    tanh is increasing, so for a tanh-transformed layer the raw states are
    compared with ``arctanh(threshold -+ margin)`` (as LSTMVis compares with
    ``arctanh(threshold)``); the few values in between are decided by tanh
    itself, so the answer is exactly ``tanh(states) >= threshold`` while the
    tanh of a 100,000 x 512 array (about 1 s) is avoided.
    """
    states = hs.states[rows]
    if hs._transform_of(hs.layer) != "tanh":
        return states >= threshold
    # wide enough for the rounding of tanh in the states' dtype (float16: 4.9e-4 near 0.9)
    margin = max(_TANH_MARGIN, 8 * float(np.finfo(states.dtype).eps))
    low = np.arctanh(threshold - margin) if threshold - margin > -1 else -np.inf
    high = np.arctanh(threshold + margin) if threshold + margin < 1 else np.inf
    on = states >= float(high)
    near = np.flatnonzero((states >= float(low)) ^ on)   # low <= state < high
    flat = on.reshape(-1)
    flat[near] = np.tanh(states.reshape(-1)[near]) >= threshold
    return on


def _first_of_sequence(sequence_ids):
    """Boolean (time,): whether step t has no step before it in its sequence."""
    first = np.ones(len(sequence_ids), dtype=bool)
    first[1:] = sequence_ids[1:] != sequence_ids[:-1]
    return first


# --------------------------------------------------------------------- select
def select_cells(hs, start, end, *, threshold=0.3, off_before=False, off_after=False):
    """The cells on (``hs.values >= threshold``) at every step of ``start..end``.

    See :meth:`HiddenStates.select` for the parameters.
    """
    n_steps = hs.n_steps
    start, end = check_steps(hs, start, end, open_end=False)
    threshold = check_threshold(threshold)
    off_before = _check_flag(off_before, "off_before")
    off_after = _check_flag(off_after, "off_after")
    ids = hs.sequence_ids
    crossing = np.flatnonzero(ids[start:end + 1] != ids[start])
    if crossing.size:
        raise ValueError(f"the range {start}..{end} spans two sequences (sequence_ids "
                         f"{ids[start]} and {ids[start + crossing[0]]}, the second from step "
                         f"{start + crossing[0]}); a range must lie within one sequence.")
    # the step before (after) the range, when constrained and in the same sequence
    lo = start - 1 if off_before and start > 0 and ids[start - 1] == ids[start] else start
    hi = end + 1 if off_after and end < n_steps - 1 and ids[end + 1] == ids[end] else end
    on = _on(hs, threshold, slice(lo, hi + 1))
    keep = on[start - lo:end - lo + 1].all(axis=0)
    if lo < start:
        keep &= ~on[0]
    if hi > end:
        keep &= ~on[-1]
    return np.flatnonzero(keep)


# ---------------------------------------------------------------------- match
def _runs(mask, first, last):
    """Starts and ends (inclusive) of the maximal runs of ``mask`` within sequences."""
    begins = mask.copy()
    begins[1:] &= ~mask[:-1] | first[1:]
    ends = mask.copy()
    ends[:-1] &= ~mask[1:] | last[:-1]
    return np.flatnonzero(begins), np.flatnonzero(ends)


def _candidates(count, n_query, sequence_ids, min_length):
    """Distinct candidate ranges, in the order LSTMVis collects them (see MAX_CANDIDATES)."""
    first = _first_of_sequence(sequence_ids)
    last = np.ones_like(first)
    last[:-1] = first[1:]
    n_steps = len(count)
    starts, ends, keys = [], [], np.empty(0, dtype=np.int64)
    n_found = 0
    for q in range(min(n_query, int(count.max())), 0, -1):
        begin, end = _runs(count >= q, first, last)
        long = end - begin + 1 >= min_length
        begin, end = begin[long], end[long]
        key = begin.astype(np.int64) * n_steps + end
        new = ~np.isin(key, keys)  # a run already found at a higher level
        begin, end, key = begin[new], end[new], key[new]
        take = min(len(begin), MAX_CANDIDATES - n_found)
        starts.append(begin[:take])
        ends.append(end[:take])
        keys = np.concatenate([keys, key[:take]])
        n_found += take
        if n_found >= MAX_CANDIDATES:
            break
    if not starts:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    return np.concatenate(starts), np.concatenate(ends)


def _empty_words(n_rows, n_cells):
    """Zeroed (n_rows + 1, words) bytes: 64 cells per uint64 word, plus a zero row.

    The zero row lets ``reduceat`` take ``end + 1 == n_rows`` as an index.
    """
    n_words = -(-n_cells // 64)
    return np.zeros((n_rows + 1, n_words * 8), dtype=np.uint8)


def _pack(on):
    """Bit-pack the rows of a boolean (time, cells) matrix into uint64 words, plus a zero row."""
    words = _empty_words(*on.shape)
    packed = np.packbits(on, axis=1, bitorder="little")
    words[:len(on), :packed.shape[1]] = packed
    return words.view(np.uint64)


def _packed_on(hs, threshold):
    """``_pack(hs.values >= threshold)``, a block of rows at a time.

    Blocks of about 1 MiB of states stay in cache between the comparison and
    the packing, and the boolean (time, cells) matrix is never whole: 1.2-1.6x
    faster than comparing and packing the whole array on 100,000 x 512 states.
    """
    words = _empty_words(hs.n_steps, hs.n_cells)
    n_bytes = -(-hs.n_cells // 8)
    rows = max(1, _BLOCK_BYTES // (hs.n_cells * hs.states.itemsize))
    for first in range(0, hs.n_steps, rows):
        on = _on(hs, threshold, slice(first, first + rows))
        words[first:first + len(on), :n_bytes] = np.packbits(on, axis=1, bitorder="little")
    return words.view(np.uint64)


def _popcount(words):
    """Number of set bits of each row of a uint64 array."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    return _popcount_table(words)


_BITS_OF_BYTE = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)


def _popcount_table(words):
    return _BITS_OF_BYTE[words.view(np.uint8)].sum(axis=1, dtype=np.int64)


def _cells_on_throughout(packed, starts, ends):
    """Packed ``A`` of each candidate: AND of its rows.

    The candidates are reduced in start order, so the discarded reductions
    between one candidate's end and the next one's start cover each gap of
    the stream once.
    """
    order = np.argsort(starts, kind="stable")
    bounds = np.column_stack([starts[order], ends[order] + 1]).ravel()
    reduced = np.bitwise_and.reduceat(packed, bounds, axis=0)[::2]
    out = np.empty_like(reduced)
    out[order] = reduced
    return out


def _unpack(words, n_cells):
    return np.flatnonzero(np.unpackbits(words.view(np.uint8), bitorder="little")[:n_cells])


def match_cells(hs, cells, *, threshold=0.3, top=50, off_before=False, off_after=False,
                min_length=2):
    """Ranges where the queried cells are on together, best first (LSTMVis match).

    See :meth:`HiddenStates.match` for the parameters.
    """
    query = _check_cells(cells, hs.n_cells)
    threshold = check_threshold(threshold)
    top = _check_int(top, "top", 1)
    min_length = _check_int(min_length, "min_length", 1)
    off_before = _check_flag(off_before, "off_before")
    off_after = _check_flag(off_after, "off_after")
    packed = _packed_on(hs, threshold)
    query_row = np.zeros((1, hs.n_cells), dtype=bool)
    query_row[0, query] = True
    query_words = _pack(query_row)[0]
    count = _popcount(packed[:-1] & query_words)  # queried cells on at each step
    starts, ends = _candidates(count, len(query), hs.sequence_ids, min_length)
    if not len(starts):
        return []
    found = _cells_on_throughout(packed, starts, ends)
    first = _first_of_sequence(hs.sequence_ids)
    if off_before:
        has = ~first[starts]
        found[has] &= ~packed[starts[has] - 1]
    if off_after:
        has = ends < hs.n_steps - 1
        has[has] = ~first[ends[has] + 1]
        found[has] &= ~packed[ends[has] + 1]
    n_shared = _popcount(found & query_words)
    n_union = _popcount(found) + len(query) - n_shared
    length = ends - starts + 1
    best = np.lexsort((starts, -length, n_union, -n_shared))[:top]
    return [Match(start=int(starts[i]), end=int(ends[i]), length=int(length[i]),
                  score=float(n_shared[i] / n_union[i]), n_shared=int(n_shared[i]),
                  n_union=int(n_union[i]), cells=_unpack(found[i], hs.n_cells))
            for i in best]
