"""Name the rows of X the model fails on, after a failure on hybrid rows.

Perturbation explainers evaluate the model on hybrids of the explained rows
with the background, so when the model rejects a row of X (NaN for a model
without missing-value support, an unknown category for a strict encoder) the
first failure happens on an internal batch that means nothing to the user.
Once that happened, the model is evaluated on X itself and the failing rows
are found by bisection; the success path costs nothing.
"""
import numpy as np
import pandas as pd

from ..exceptions import ModelEvaluationError
from ._validation import select_rows

__all__ = ["raise_for_failing_rows"]

# Rows named in the message; the search stops once it found this many.
_MAX_NAMED = 10
# Rows of X per model call while looking for failing rows.
_CHUNK_ROWS = 2**14


def raise_for_failing_rows(model, X):
    """Raise a :class:`ModelEvaluationError` naming the rows of ``X`` that fail.

    Parameters
    ----------
    model : skexplain.adapters.Model
    X : ndarray or DataFrame of shape (n, \\*feature_shape)
        The rows being explained.

    Returns
    -------
    None
        When the model evaluates every row of ``X`` without error (the failure
        is then specific to hybrids: the caller re-raises it).
    """
    failures = _failing_rows(model, X)
    if not failures:
        return
    rows = [r for r, _ in failures]
    shown = f"{rows}" if len(rows) < _MAX_NAMED else f"{rows} (and maybe more)"
    first = failures[0][1]
    cause = first.__cause__
    if cause is not None:
        what = (f"{model.describe()} raised {type(cause).__name__} on them (the model must "
                f"accept every row of X): {cause}")
    else:  # skexplain's own check of the output (e.g. NaN predictions)
        what = str(first)
    held = _non_finite(X, rows)
    prefix = f"X rows {shown} contain {held} and" if held else f"X rows {shown}:"
    raise ModelEvaluationError(f"{prefix} {what}") from (first if cause is None else cause)


def _failing_rows(model, X):
    """(row, ModelEvaluationError) for the first rows of X the model fails on alone."""
    failures = []
    pending = [np.arange(s, min(s + _CHUNK_ROWS, X.shape[0]))
               for s in range(0, X.shape[0], _CHUNK_ROWS)][::-1]
    while pending and len(failures) < _MAX_NAMED:
        rows = pending.pop()
        try:
            model.predict(select_rows(X, rows))
            continue
        except ModelEvaluationError as exc:
            if rows.size == 1:
                failures.append((int(rows[0]), exc))
                continue
        half = rows.size // 2
        pending += [rows[half:], rows[:half]]  # first half first: rows come out in order
    return failures


def _non_finite(X, rows):
    """What every row in ``rows`` holds: "NaN", "infinite values" or None."""
    part = select_rows(X, np.asarray(rows))
    flat = part.to_numpy(dtype=object) if isinstance(part, pd.DataFrame) else np.asarray(part)
    flat = flat.reshape(len(rows), -1)
    if flat.dtype.kind not in "fcO":
        return None
    missing = pd.isna(flat)
    if missing.any(axis=1).all():
        return "NaN"
    infinite = np.asarray((flat == np.inf) | (flat == -np.inf), dtype=bool)
    return "infinite values" if (infinite | missing).any(axis=1).all() else None
