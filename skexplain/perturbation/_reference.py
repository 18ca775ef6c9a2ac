"""The single reference row that :class:`~skexplain.Occlusion` puts in occluded places.

One background row is used as it is (``np.zeros((1, *shape))`` is captum's
zero baseline).  From several rows: the (weighted) mean of each numeric
column, missing values left out; for columns that are not numbers (strings,
objects, categories, booleans, datetimes) the (weighted) most frequent value.
Each column keeps the background's dtype where the value fits it: floating
columns keep their precision (float32 images stay float32), and an integer
column whose mean is not an integer widens to float, as hybrid rows do.
"""
import numbers

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ..utils._dtypes import typed_codes

__all__ = ["occlusion_reference"]


def occlusion_reference(background, weights=None):
    """A one-row array or DataFrame of the background's feature shape.

    Parameters
    ----------
    background : ndarray of shape (n_background, \\*feature_shape) or DataFrame
    weights : ndarray of shape (n_background,), default=None
        Non-negative weights summing to one; None means uniform.

    Returns
    -------
    ndarray of shape (1, \\*feature_shape) or DataFrame with one row

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> occlusion_reference(np.array([[1, 2], [2, 4]])).tolist()
    [[1.5, 3.0]]
    >>> frame = pd.DataFrame({"size": [1, 3, 5], "color": ["red", "blue", "blue"]})
    >>> occlusion_reference(frame).to_dict("records")
    [{'size': 3, 'color': 'blue'}]
    """
    n = background.shape[0]
    if isinstance(background, pd.DataFrame):
        if n == 1:
            return background.reset_index(drop=True)
        columns = [_column_reference(background.iloc[:, j], weights)
                   for j in range(background.shape[1])]
        frame = pd.concat(columns, axis=1)
        frame.columns = background.columns
        return frame
    if n == 1:
        return background.copy()
    flat = background.reshape(n, -1)
    return _array_reference(flat, weights).reshape((1,) + background.shape[1:])


def _weights(weights, n):
    return np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=float)


def _mean(values, weights):
    """Weighted mean of each column of a float (n, c) array, NaN left out."""
    present = ~np.isnan(values)
    w = _weights(weights, values.shape[0])[:, None] * present
    total = w.sum(axis=0)
    sums = (np.where(present, values, 0.0) * w).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, sums / np.where(total > 0, total, 1.0), np.nan)


def _integral(means):
    """Whether every mean is an integer (up to the rounding of the weighted sum)."""
    finite = np.isfinite(means)
    return bool(finite.all() and np.all(np.abs(means - np.round(means))
                                        <= 1e-9 * np.maximum(1.0, np.abs(means))))


def _mode_position(codes, weights):
    """Row of the first occurrence of the heaviest code (codes < 0: missing)."""
    present = codes >= 0
    if not present.any():
        return 0
    w = _weights(weights, codes.shape[0])
    score = np.bincount(codes[present], weights=w[present])
    return int(np.flatnonzero(codes == np.argmax(score))[0])


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _array_reference(flat, weights):
    """(1, c) reference of an (n, c) array."""
    kind = flat.dtype.kind
    if kind == "f":
        return _mean(flat.astype(float), weights).astype(flat.dtype)[None, :]
    if kind in "iu":
        means = _mean(flat.astype(float), weights)
        return (np.round(means).astype(flat.dtype) if _integral(means) else means)[None, :]
    if kind == "O" and all(_is_number(v) for v in flat.ravel()):
        return _mean(flat.astype(float), weights)[None, :]  # numbers held as objects
    out = np.empty((1, flat.shape[1]), dtype=flat.dtype)
    for j in range(flat.shape[1]):
        column = flat[:, j]
        codes = (typed_codes(column) if kind == "O"
                 else pd.factorize(column, use_na_sentinel=False)[0])
        if kind == "O":  # missing values (None, NaN) only win when nothing else is there
            missing = pd.isna(column)
            codes = np.where(missing, -1, codes)
        out[0, j] = column[_mode_position(codes, weights)]
    return out


def _column_reference(column, weights):
    """One-row Series: the column's mean (numbers) or most frequent value (others)."""
    dtype = column.dtype
    if is_numeric_dtype(dtype) and not is_bool_dtype(dtype):
        means = _mean(column.to_numpy(dtype=float, na_value=np.nan)[:, None], weights)
        value = means[0]
        if dtype.kind == "f":
            return pd.Series([value], dtype=dtype, name=column.name)
        if _integral(means):
            return pd.Series([round(value)], dtype=dtype, name=column.name)
        nullable = not isinstance(dtype, np.dtype)
        wide = "Float64" if nullable else np.float64
        return pd.Series(pd.array([value], dtype=wide) if nullable else [value], dtype=wide,
                         name=column.name)
    if dtype == object:
        codes = np.where(column.isna().to_numpy(), -1, typed_codes(column.to_numpy()))
    else:
        codes = pd.factorize(column, use_na_sentinel=True)[0]
    return column.iloc[[_mode_position(codes, weights)]].reset_index(drop=True)
