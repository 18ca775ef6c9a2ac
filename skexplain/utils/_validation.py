"""Input validation shared by every explainer.

skexplain accepts numpy arrays, pandas DataFrames (kept as DataFrames, so that
string and categorical columns reach the user's Pipeline untouched) and torch
tensors (moved to numpy here; the gradient engine moves them back).
"""
import warnings

import numpy as np
import pandas as pd

from ._dtypes import align_rows

__all__ = ["as_data", "check_background", "check_rows", "default_feature_names", "select_rows"]


def _is_tensor(obj):
    return hasattr(obj, "detach") and hasattr(obj, "cpu") and hasattr(obj, "numpy")


def as_data(X, *, name="X"):
    """Return ``X`` as a DataFrame (unchanged) or a numpy array.

    Parameters
    ----------
    X : array-like, DataFrame or tensor
        Input data.
    name : str, default="X"
        Parameter name used in error messages.

    Returns
    -------
    data : DataFrame or ndarray
    """
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features); got a pandas Series of "
            f"length {len(X)}. Use series.to_frame().T for one row or "
            "series.to_frame() for one feature."
        )
    if _is_tensor(X):
        return X.detach().cpu().numpy()
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(
            f"{name} must be a dense array-like; got a sparse matrix "
            f"({type(X).__name__}). Call .toarray() first."
        )
    if X is None:
        raise TypeError(f"{name} must be an array-like, a DataFrame or a tensor; got None.")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype.kind not in "biufcOUSb":
        raise TypeError(f"{name} must hold numbers or strings; got dtype {arr.dtype}.")
    return arr


def _check_2d_or_more(data, name):
    if data.ndim < 2:
        shape = tuple(data.shape)
        raise ValueError(
            f"{name} must be at least 2-D (n_samples, n_features, ...); got a "
            f"{data.ndim}-D array of shape {shape}. Reshape a single row with "
            "X.reshape(1, -1) or a single feature with X.reshape(-1, 1)."
        )
    if data.shape[0] == 0:
        raise ValueError(f"{name} must contain at least one row; got shape {tuple(data.shape)}.")
    if int(np.prod(data.shape[1:])) == 0:
        raise ValueError(f"{name} must contain at least one feature; got shape {tuple(data.shape)}.")


def select_rows(X, index):
    """Rows of an array, tensor or DataFrame by position (int array or slice).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skexplain.utils._validation import select_rows
    >>> select_rows(pd.DataFrame({"a": [1, 2, 3]}), np.array([2, 0]))["a"].tolist()
    [3, 1]
    >>> select_rows(np.arange(3), slice(1)).tolist()
    [0]
    """
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def default_feature_names(n_features):
    """sklearn's convention for unnamed columns: ``x0, x1, ...``."""
    return [f"x{i}" for i in range(n_features)]


def check_background(X, *, name="background"):
    """Validate a background set and return ``(data, feature_names)``.

    The data is copied so that later changes to the user's array cannot change
    a fitted explainer (and so that we can never modify the user's array).
    """
    data = as_data(X, name=name)
    _check_2d_or_more(data, name)
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{name} has duplicated column names: {names}.")
        return data.copy(), names
    names = default_feature_names(data.shape[1]) if data.ndim == 2 else None
    return np.array(data, copy=True), names


def check_rows(explainer, X, *, name="X"):
    """Validate rows to explain against what ``explainer`` was fitted on.

    Returns a DataFrame when the explainer was fitted on one, else an ndarray.
    """
    data = as_data(X, name=name)
    _check_2d_or_more(data, name)
    cls = type(explainer).__name__
    fitted_names = getattr(explainer, "feature_names_in_", None)
    if isinstance(data, pd.DataFrame) and fitted_names is None:
        warnings.warn(
            f"{name} has feature names, but {cls} was fitted without feature names; "
            "the columns are used by position.",
            UserWarning,
        )
        data = data.to_numpy()
    shape = tuple(data.shape[1:])
    if shape != tuple(explainer.feature_shape_):
        what = (
            f"{shape[0]} features" if len(shape) == 1 else f"feature shape {shape}"
        )
        fitted = (
            f"{explainer.n_features_in_} features"
            if len(explainer.feature_shape_) == 1
            else f"feature shape {tuple(explainer.feature_shape_)}"
        )
        raise ValueError(f"{name} has {what}, but {cls} was fitted with {fitted}.")
    if fitted_names is None:
        return data
    return _align_frame(data, explainer.background_, list(fitted_names), name, cls)


def _align_frame(data, background, fitted_names, name, cls):
    if not isinstance(data, pd.DataFrame):
        warnings.warn(
            f"{name} does not have valid feature names, but {cls} was fitted with "
            "feature names; the columns are taken in the fitted order.",
            UserWarning,
        )
        frame = pd.DataFrame(data, columns=background.columns)
        # not astype(background.dtypes): it turns a category the background lacks into NaN
        return align_rows(background, frame)
    names = [str(c) for c in data.columns]
    if names != fitted_names:
        unexpected = [c for c in names if c not in fitted_names]
        missing = [c for c in fitted_names if c not in names]
        msg = f"The feature names of {name} should match those seen at fit time."
        if unexpected:
            msg += f" Unexpected: {unexpected}."
        if missing:
            msg += f" Missing: {missing}."
        if not unexpected and not missing:
            msg += f" Same names in another order: got {names}, fitted {fitted_names}."
        raise ValueError(msg)
    return data

