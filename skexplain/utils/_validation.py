"""Input validation shared by every explainer.

skexplain accepts numpy arrays, pandas DataFrames (kept as DataFrames, so that
string and categorical columns reach the user's Pipeline untouched) and torch
tensors (moved to numpy here; the gradient engine moves them back).
"""
import numbers
import warnings

import numpy as np
import pandas as pd

from ._dtypes import align_rows

__all__ = ["as_data", "check_background", "check_numbers", "check_positive_int", "check_rows",
           "check_target", "default_feature_names", "select_rows"]


def check_positive_int(value, name):
    """``value`` as an int, or a ValueError naming ``name`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _is_tensor(obj):
    return hasattr(obj, "detach") and hasattr(obj, "cpu") and hasattr(obj, "numpy")


def complex_error(name, dtype):
    """The ``ValueError`` for complex data in parameter ``name`` (array or tensor ``dtype``)."""
    return ValueError(f"{name} must hold real numbers; got complex values (dtype {dtype}). "
                      "Complex data not supported.")


def as_data(X, *, name="X", numeric=False, owner="this explainer"):
    """Return ``X`` as a DataFrame (unchanged) or a numpy array.

    Parameters
    ----------
    X : array-like, DataFrame or tensor
        Input data.
    name : str, default="X"
        Parameter name used in error messages.
    numeric : bool, default=False
        Cast object arrays of numbers to float64 and refuse anything else (for
        explainers whose tags refuse strings), as sklearn's ``check_array``.
    owner : str, default="this explainer"
        Who needs numbers, named in the error when ``numeric`` refuses a value.

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
        arr = X.detach().cpu().numpy()
        if arr.dtype.kind == "c":  # checked here: tensors skip the array checks below
            raise complex_error(name, X.dtype)
        return arr
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
    if arr.dtype.kind == "c" or (arr.dtype.kind == "O" and _holds_complex(arr)):
        raise complex_error(name, arr.dtype)
    if arr.dtype.kind not in "biufOUSb":
        raise TypeError(f"{name} must hold numbers or strings; got dtype {arr.dtype}.")
    if numeric and arr.dtype.kind in "OUS":
        arr = check_numbers(arr, name=name, owner=owner).astype(np.float64, copy=False)
    return arr


def _first_non_number(values):
    """``(row, position, value)`` of the first entry of an object array ``float`` refuses."""
    flat = values.reshape(values.shape[0], -1)
    for (row, pos), value in np.ndenumerate(flat):
        try:
            float(value)
        except (TypeError, ValueError):
            return row, pos, value
    return None


def check_numbers(data, *, name, owner):
    """``data`` (array or DataFrame) as a float-convertible ndarray, or a clear TypeError.

    Parameters
    ----------
    data : ndarray or DataFrame of shape (n, \\*feature_shape)
    name : str
        The parameter named in the message (``"X"``, ``"background"``).
    owner : str
        Who needs numbers (e.g. the explainer's class name).

    Returns
    -------
    ndarray of shape (n, \\*feature_shape), numeric dtype
    """
    columns = list(data.columns) if hasattr(data, "columns") else None
    values = np.asarray(data)
    if values.dtype.kind in "biuf":
        return values
    try:
        return values.astype(float)
    except (TypeError, ValueError) as exc:
        bad = _first_non_number(values)
        if bad is None:  # pragma: no cover - astype and float() agree on scalars
            raise TypeError(f"{name} must hold numbers for {owner}; got dtype "
                            f"{values.dtype} ({exc}).") from exc
        row, pos, value = bad
        where = f"column {columns[pos]!r}" if columns is not None else (
            f"feature {pos}" if values.ndim == 2 else
            f"flat feature {pos} of shape {values.shape[1:]}")
        raise TypeError(
            f"{name} must hold numbers for {owner}; {where} holds the "
            f"{type(value).__name__} {value!r} (row {row}). ({exc})"
        ) from exc


def _holds_complex(arr):
    return bool(np.frompyfunc(lambda v: isinstance(v, complex), 1, 1)(arr).astype(bool).any())


def _check_2d_or_more(data, name):
    # The wording follows sklearn's check_array (its estimator checks match on it),
    # with the parameter named first.
    if data.ndim < 2:
        what = "scalar array" if data.ndim == 0 else "1D array"
        raise ValueError(
            f"{name} must be at least 2-D (n_samples, n_features, ...): Expected 2D array, "
            f"got {what} instead: shape {tuple(data.shape)}. Reshape your data either using "
            "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
            "if it contains a single sample."
        )
    shape = tuple(data.shape)
    if shape[0] == 0:
        raise ValueError(f"{name}: Found array with 0 sample(s) (shape={shape}) while a "
                         "minimum of 1 is required.")
    if int(np.prod(shape[1:])) == 0:
        raise ValueError(f"{name}: Found array with 0 feature(s) (shape={shape}) while a "
                         "minimum of 1 is required.")


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


def check_background(X, *, name="background", numeric=False, owner="this explainer"):
    """Validate a background set and return ``(data, feature_names)``.

    The data is copied so that later changes to the user's array cannot change
    a fitted explainer (and so that we can never modify the user's array).
    ``numeric`` and ``owner`` are passed to :func:`as_data`.
    """
    data = as_data(X, name=name, numeric=numeric, owner=owner)
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
    Strings where the background holds numbers are refused here, naming the
    column and the value, rather than deep inside the model.
    """
    data = as_data(X, name=name, numeric=_needs_numbers(explainer),
                   owner=type(explainer).__name__)
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
    _check_feature_shape(data, explainer, name, cls)
    if fitted_names is None:
        _check_numeric_array(data, explainer.background_, name)
        return data
    return _align_frame(data, explainer.background_, list(fitted_names), name, cls)


def _needs_numbers(explainer):
    """Explainers whose sklearn tags refuse strings get numeric arrays."""
    tags = getattr(explainer, "__sklearn_tags__", None)
    return tags is not None and not tags().input_tags.string


def _check_feature_shape(data, explainer, name, cls):
    """sklearn's wording: "X has 3 features, but Est is expecting 5 features as input"."""
    shape, fitted = tuple(data.shape[1:]), tuple(explainer.feature_shape_)
    if shape == fitted:
        return
    what = f"{shape[0]} features" if len(shape) == 1 else f"feature shape {shape}"
    expected = (f"{explainer.n_features_in_} features" if len(fitted) == 1
                else f"feature shape {fitted}")
    raise ValueError(f"{name} has {what}, but {cls} is expecting {expected} as input.")


def _string_mask(values):
    """Boolean mask of the entries of ``values`` that are strings (or bytes)."""
    if values.dtype.kind in "US":
        return np.ones(values.shape, dtype=bool)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, dtype=bool)
    return np.frompyfunc(lambda v: isinstance(v, (str, bytes)), 1, 1)(values).astype(bool)


def _raise_string_in_numbers(name, column, value, row):
    raise ValueError(
        f"{name} must hold numbers like the background the explainer was fitted on; "
        f"{column} holds the string {str(value)!r} (row {row}). Convert {name} to numbers "
        "(e.g. X.astype(float)), or fit on a background whose column holds strings too.")


def _check_numeric_array(data, background, name):
    if background.dtype.kind not in "biuf" or data.dtype.kind not in "OUS":
        return
    flat = data.reshape(data.shape[0], -1)
    bad = np.argwhere(_string_mask(flat))
    if bad.size:
        row, col = (int(i) for i in bad[0])
        where = (f"column {col}" if data.ndim == 2
                 else f"feature {np.unravel_index(col, data.shape[1:])}")
        _raise_string_in_numbers(name, where, flat[row, col], row)


def _check_numeric_columns(frame, background, name):
    for col in background.columns:
        if not pd.api.types.is_numeric_dtype(background[col].dtype):
            continue  # object, string and categorical columns may hold anything
        if pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        values = frame[col].to_numpy(dtype=object)
        bad = np.flatnonzero(_string_mask(values))
        if bad.size:
            _raise_string_in_numbers(name, f"column {col!r}", values[bad[0]], int(bad[0]))


def _align_frame(data, background, fitted_names, name, cls):
    if not isinstance(data, pd.DataFrame):
        warnings.warn(
            f"{name} does not have valid feature names, but {cls} was fitted with "
            "feature names; the columns are taken in the fitted order.",
            UserWarning,
        )
        frame = pd.DataFrame(data, columns=background.columns)
        _check_numeric_columns(frame, background, name)
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
    labels, fitted = list(data.columns), list(background.columns)
    if labels != fitted:  # same text, other types: 0 and "0" are different pandas labels
        raise ValueError(
            f"The column names of {name} should match those seen at fit time, including "
            f"their type: {name} has columns {_typed(labels)} but the background was "
            f"{_typed(fitted)}. Rename the columns of {name} (e.g. "
            f"{name}.columns = background.columns) or fit on the same column names.")
    _check_numeric_columns(data, background, name)
    return data


def _typed(labels):
    shown = ", ".join(repr(c) for c in labels[:6]) + (", ..." if len(labels) > 6 else "")
    kinds = sorted({type(c).__name__ for c in labels})
    return f"[{shown}] ({'/'.join(kinds)})"


def check_target(target, n):
    """``explain``'s ``target`` for ``n`` rows: a sequence of length 1 becomes its entry.

    As in captum, ``target=[3]`` (list, tuple, array, Series or tensor)
    explains output 3 for every row.  A sequence of another length than
    ``n`` raises; the entries themselves are checked by the explainer.

    Examples
    --------
    >>> import numpy as np
    >>> check_target(np.array([2]), 5), check_target([0, 1], 2)
    (2, [0, 1])
    """
    if target is None or isinstance(target, (str, bytes)):
        return target
    if hasattr(target, "detach"):  # a torch tensor: its values, for every explainer alike
        target = target.detach().cpu().numpy()
    try:
        shape = tuple(target.shape) if hasattr(target, "shape") else np.shape(target)
    except ValueError:  # ragged nested sequences: left to the explainer's own check
        return target
    if shape == ():  # a 0-d array or tensor is its entry
        return target.tolist() if hasattr(target, "tolist") else target
    if shape == (n,):
        return target
    if shape == (1,):
        return target.tolist()[0] if hasattr(target, "tolist") else list(target)[0]
    given = (f"{shape[0]} entries (shape {shape})" if len(shape) == 1
             else f"an array of shape {shape}")
    raise ValueError(f"target must be a single output or have one entry per row of X (a single "
                     f"entry applies to every row): one output per row ({n} entries); got "
                     f"{given}.")
