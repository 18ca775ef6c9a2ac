"""Chunks of (row, mask) units for :meth:`CoalitionEvaluator.evaluate`.

A unit whose mask is neither empty nor full costs ``n_background`` model rows
(its hybrids, averaged with the background weights); a full mask costs one
row and an empty mask none.  A chunk of units is one ``predict`` call.
"""
import numpy as np

from ..utils._validation import select_rows

__all__ = ["evaluate_chunks", "first_unit", "job_inputs"]


def first_unit(job, n_masks):
    """Unit index of the first mask of the first row a job touches."""
    return (job[0, 0] // n_masks) * n_masks


def job_inputs(X, masks, job, n_masks):
    """The rows (and per-row masks) a job needs, so workers receive no more."""
    first, last = job[0, 0] // n_masks, (job[-1, 1] - 1) // n_masks + 1
    rows = select_rows(X, slice(first, last))
    return rows, masks if masks.ndim == 2 else masks[first:last]


def evaluate_chunks(model, builder, weights, group_of_column, base_value, X, masks, bounds):
    """Evaluate the units of every chunk in ``bounds``; returns (values, n_rows).

    ``group_of_column`` maps mask entries to columns; None when they are the columns.
    """
    n_masks = masks.shape[-2]
    out, n_rows = [], 0
    for start, stop in bounds:
        units = np.arange(start, stop)
        rows, mask_idx = np.divmod(units, n_masks)
        group_masks = masks[mask_idx] if masks.ndim == 2 else masks[rows, mask_idx]
        # None: one group per column, in order (no gather: 15% of Occlusion's own time)
        column_masks = group_masks if group_of_column is None else group_masks[:, group_of_column]
        values, used = _evaluate_units(model, builder, weights, base_value, X, rows,
                                       column_masks)
        out.append(values)
        n_rows += used
    return np.concatenate(out, axis=0), n_rows


def _evaluate_units(model, builder, weights, base_value, X, rows, column_masks):
    """One ``predict`` call for a chunk of units (row, column mask)."""
    full = column_masks.all(axis=1)
    empty = ~column_masks.any(axis=1)
    middle = ~(full | empty)
    values = np.empty((rows.shape[0], base_value.shape[0]))
    values[empty] = base_value
    n_mid, n_full = int(middle.sum()), int(full.sum())
    if n_mid + n_full == 0:
        return values, 0
    batch = builder.build(X, rows[middle], column_masks[middle], rows[full])
    preds = model.predict(batch)
    nb = builder.n_background
    mid_preds = preds[: n_mid * nb].reshape(n_mid, nb, preds.shape[1])
    if weights is None:
        values[middle] = mid_preds.mean(axis=1)
    else:
        values[middle] = (mid_preds * weights[None, :, None]).sum(axis=1)
    values[full] = preds[n_mid * nb:]
    return values, n_mid * nb + n_full
