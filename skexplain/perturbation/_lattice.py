"""All 2^m coalition values of a row, without evaluating duplicate hybrids.

For a row ``x`` and a background row ``b`` let ``D`` be the set of features
where they differ.  The hybrid ``(x_S, b_notS)`` depends on ``S`` only through
``S & D``: every coalition with the same ``S & D`` gives the same model input.
So for each pair ``(x, b)`` we evaluate the model once per subset of ``D``
(``2^|D|`` rows instead of ``2^m``), the empty subset being ``f(b)`` (known from
fit) and the full one ``f(x)``, then gather

    v(S) = sum_b w_b F[x, b, S & D_b].

With continuous features ``D`` is everything and nothing changes; with binary,
integer or categorical columns (where ``x`` often equals part of the
background) the model rows drop by the fraction of pairs that agree.
"""
import numpy as np

__all__ = ["group_differences", "difference_codes", "evaluate_subset_table"]

# Floor of the floats held per background chunk (8 MiB), so that a tiny
# batch_size does not cut the background into very many chunks.
_MIN_TABLE_FLOATS = 2**20


def group_differences(x_codes, b_codes, group_of_column):
    """Whether each row differs from each background row, per feature group.

    Parameters
    ----------
    x_codes : ndarray of shape (r, n_columns)
    b_codes : ndarray of shape (n_background, n_columns)
        Comparable per-column values (see ``HybridBuilder.comparable_codes``).
    group_of_column : ndarray of int of shape (n_columns,)

    Returns
    -------
    ndarray of bool of shape (r, n_background, n_groups)
    """
    differ = np.asarray(x_codes[:, None, :] != b_codes[None, :, :], dtype=bool)
    if x_codes.dtype.kind == "f" or b_codes.dtype.kind == "f":
        differ &= ~(np.isnan(x_codes.astype(float))[:, None, :]
                    & np.isnan(b_codes.astype(float))[None, :, :])
    order = np.argsort(group_of_column, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group_of_column[order]) != 0])
    return np.logical_or.reduceat(differ[:, :, order], starts, axis=2)


def difference_codes(group_diff, active):
    """Bit code over the ``active`` groups of ``group_diff`` (r, n_background, g)."""
    codes = np.zeros(group_diff.shape[:2], dtype=np.int64)
    for bit, g in enumerate(active):
        codes |= group_diff[:, :, g].astype(np.int64) << bit
    return codes


def _pending_triples(diff):
    """(row, b, subset) triples that need a model row: proper non-empty subsets."""
    m_codes = np.arange(int(diff.max()) + 1 if diff.size else 1, dtype=np.int64)
    sub = (m_codes[None, None, :] & ~diff[:, :, None]) == 0
    sub &= (m_codes[None, None, :] != 0) & (m_codes[None, None, :] != diff[:, :, None])
    return np.nonzero(sub)


def _column_masks(subsets, active, group_of_column):
    """Expand subset codes over active groups to boolean column masks."""
    bits = ((subsets[:, None] >> np.arange(active.size)) & 1).astype(bool)
    n_groups = int(group_of_column.max()) + 1
    if active.size == n_groups == group_of_column.size and np.array_equal(
            group_of_column, np.arange(n_groups)):
        return bits  # group i is column i and every group is active: no expansion
    group_masks = np.zeros((subsets.size, n_groups), dtype=bool)
    group_masks[:, active] = bits
    return group_masks[:, group_of_column]


def evaluate_subset_table(model, builder, weights, group_of_column, X, diff, active,
                          background_predictions, rows_per_call):
    """Coalition values for every subset of ``active``, and the model rows used.

    The background is taken in chunks whose tables (``F`` and its gather,
    ``rows x chunk x 2^m`` values) stay within the memory of one model call
    of ``rows_per_call`` rows, so memory does not grow with the background.

    Parameters
    ----------
    model : Model
    builder : HybridBuilder
    weights : ndarray of shape (n_background,) or None
    group_of_column : ndarray of int of shape (n_columns,)
    X : ndarray or DataFrame of shape (r, \\*feature_shape)
    diff : ndarray of int64 of shape (r, n_background), from :func:`difference_codes`
    active : ndarray of int of shape (m,)
    background_predictions : ndarray of shape (n_background, k)
    rows_per_call : int

    Returns
    -------
    table : ndarray of shape (r, 2^m, k)
    n_model_rows : int
    """
    r, nb = diff.shape
    k = background_predictions.shape[1]
    weights = np.full(nb, 1.0 / nb) if weights is None else weights
    fx = model.predict(X)
    table = np.zeros((r, 2**active.size, k))
    budget = max(_MIN_TABLE_FLOATS, rows_per_call * max(builder.n_columns, k))
    step = max(1, budget // max(1, r * 2**(active.size + 1) * k))
    used = r
    for start in range(0, nb, step):
        part = slice(start, min(start + step, nb))
        used += _add_background_chunk(table, model, builder, weights[part], group_of_column, X,
                                      diff[:, part], start, active, background_predictions[part],
                                      fx, rows_per_call)
    return table, used


def _add_background_chunk(table, model, builder, weights, group_of_column, X, diff, offset,
                          active, background_predictions, fx, rows_per_call):
    """Add ``sum_b w_b F[x, b, S & D_b]`` over one chunk of background rows to ``table``.

    ``diff`` and ``background_predictions`` hold the chunk's columns/rows, which
    start at background row ``offset``.  Returns the model rows evaluated.
    """
    r, nb = diff.shape
    k = background_predictions.shape[1]
    span = int(diff.max()) + 1 if diff.size else 1
    F = np.empty((r, nb, span, k))
    F[:, :, 0] = background_predictions[None]
    F[np.arange(r)[:, None], np.arange(nb)[None, :], diff] = fx[:, None, :]
    rows, bgs, subsets = _pending_triples(diff)
    for start in range(0, rows.size, rows_per_call):
        stop = start + rows_per_call
        masks = _column_masks(subsets[start:stop], active, group_of_column)
        batch = builder.build_pairs(X, rows[start:stop], bgs[start:stop] + offset, masks)
        F[rows[start:stop], bgs[start:stop], subsets[start:stop]] = model.predict(batch)
    all_codes = np.arange(2**active.size, dtype=np.int64)
    gathered = F[np.arange(r)[:, None, None], np.arange(nb)[None, :, None],
                 all_codes[None, None, :] & diff[:, :, None]]
    table += np.einsum("b,rbsk->rsk", weights, gathered)
    return int(rows.size)
