"""Validation of the arrays and indices given to :class:`~skexplain.Explanation`."""
import numbers

import numpy as np

__all__ = ["is_full_slice", "optional_array", "positions", "real_array"]


def real_array(value, name):
    """``value`` as a float array; anything but real numbers is refused, never coerced."""
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} must be an array of real numbers; got {exc}") from exc
    if arr.dtype.kind == "O":
        bad = [v for v in arr.ravel()
               if not isinstance(v, numbers.Real) or isinstance(v, (str, bytes))]
        if not bad:
            return arr.astype(float)
        raise ValueError(f"{name} must hold real numbers; got {bad[0]!r} "
                         f"({type(bad[0]).__name__}) among its values.")
    if arr.dtype.kind not in "biuf":
        what = "complex numbers" if arr.dtype.kind == "c" else f"dtype {arr.dtype}"
        sample = f", e.g. {arr.ravel()[0]!r}" if arr.size else ""
        raise ValueError(f"{name} must hold real numbers; got {what}{sample}.")
    return arr.astype(float, copy=False)


def optional_array(value, name, shape):
    if value is None:
        return None
    arr = real_array(value, name)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {arr.shape}.")
    return arr


def is_full_slice(key):
    return isinstance(key, slice) and key == slice(None)


def positions(key, n, what, axis):
    """Positions on an axis of length ``n`` from an int, int list or boolean mask."""
    if isinstance(key, (bool, np.bool_)):
        raise IndexError(
            f"A single {key} is not a {what} position; select {axis} with an integer, a "
            f"slice, a list of integers or a boolean mask of length {n}.")
    if isinstance(key, numbers.Integral):
        key = [key]
    arr = np.asarray(key)
    if arr.ndim != 1:
        raise IndexError(f"{axis} must be selected by an integer, a slice, a list of "
                         f"integers or a boolean mask; got {key!r}.")
    if arr.dtype.kind != "b" and isinstance(key, (list, tuple)) and any(
            isinstance(k, (bool, np.bool_)) for k in key):
        raise IndexError(f"{axis} must be selected by integers or by a boolean mask, "
                         f"not a mix of both; got {key!r}.")
    if arr.dtype.kind == "b":
        if arr.size != n:
            raise IndexError(f"A boolean mask over {axis} must have length {n}; "
                             f"got {arr.size}.")
        return np.flatnonzero(arr)
    if arr.size == 0:
        return np.zeros(0, dtype=int)
    if arr.dtype.kind not in "iu":
        raise IndexError(f"{axis} must be selected by integers, a slice or a boolean mask; "
                         f"got {key!r}.")
    out_of_range = arr[(arr < -n) | (arr >= n)]
    if out_of_range.size:
        raise IndexError(f"{what} {int(out_of_range[0])} is out of range for {n} {axis}.")
    return arr.astype(int) % n if n else arr.astype(int)
