"""Validation of audit()'s inputs: each error names the parameter."""
import numbers

import numpy as np
import pandas as pd

from ..utils._validation import check_positive_int

__all__ = ["check_inputs", "take_rows"]


def take_rows(X, index):
    """Rows ``index`` of a DataFrame (positional) or an array."""
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def _check_X(X, name):
    if isinstance(X, pd.DataFrame):
        frame = X
        duplicated = X.columns[X.columns.duplicated()].unique().tolist()
        if duplicated:  # found here, or the explainer's message would name "background"
            raise ValueError(f"{name} has duplicated column names {duplicated}; each feature "
                             "needs its own name (rename them or pass a numpy array).")
    else:
        try:
            frame = np.asarray(X)
        except Exception as exc:  # noqa: BLE001 - reported with the parameter's name
            raise TypeError(f"{name} must be a DataFrame or a 2-D array-like; got "
                            f"{type(X).__name__}.") from exc
        if frame.ndim != 2:
            raise ValueError(f"{name} must be 2-D (rows x features); got an array of shape "
                             f"{frame.shape}.")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column; got shape "
                         f"{frame.shape}.")
    return frame


def check_inputs(X, y, background, *, n_rows, n_background, top, random_state, verbose):
    """Validated (X, y, background) plus the integer options."""
    X = _check_X(X, "X")
    if background is not None:
        background = _check_X(background, "background")
        if background.shape[1] != X.shape[1]:
            raise ValueError(f"background must have the {X.shape[1]} columns of X; got "
                             f"{background.shape[1]}.")
    if y is not None:
        y_arr = np.asarray(y)
        if y_arr.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per row of X); got shape {y_arr.shape}.")
        if len(y_arr) != X.shape[0]:
            raise ValueError(f"y must have one value per row of X ({X.shape[0]}); got "
                             f"{len(y_arr)}.")
        y = y_arr
    n_rows = check_positive_int(n_rows, "n_rows")
    n_background = check_positive_int(n_background, "n_background")
    top = check_positive_int(top, "top")
    if random_state is not None and (isinstance(random_state, bool) or
                                     not isinstance(random_state, numbers.Integral)):
        raise TypeError(f"random_state must be an int or None; got {random_state!r}.")
    if isinstance(verbose, bool) or not isinstance(verbose, numbers.Integral) or verbose < 0:
        raise ValueError(f"verbose must be a non-negative integer; got {verbose!r}.")
    return X, y, background, n_rows, n_background, top
