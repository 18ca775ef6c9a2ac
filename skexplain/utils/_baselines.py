"""Validation of ``explain``'s per-row ``baselines`` (one reference row per explained row).

:func:`check_baselines` turns what the user passed (rows, a single row, a
number) into one reference row per explained row, validated as ``X`` is:
same feature shape, same columns as the background, numbers where the
explainer needs numbers, whole numbers for a model taking token ids.  For
an explainer fitted on several inputs it takes a tuple like ``X`` (or one
number for every input), checks each entry as the baselines of that input
alone and packs them as ``X`` is packed (see :mod:`skexplain.utils._inputs`).
"""
import copy
import numbers

import numpy as np
import pandas as pd

from ._inputs import pack_inputs
from ._validation import _is_tensor, check_rows

__all__ = ["TAKES_BASELINES", "check_baselines", "no_baselines_error"]

TAKES_BASELINES = ("IntegratedGradients, DeepLIFT, SmoothGrad wrapping one of them, "
                   "ExactShapley, KernelSHAP, LinearSHAP, Occlusion and LIME with "
                   "feature_groups")


def no_baselines_error(explainer, why=None):
    """The TypeError of an explainer that has no reference row to replace."""
    cls = type(explainer).__name__
    why = why or getattr(explainer, "_no_baselines_reason",
                         "it attributes without a reference row")
    return TypeError(
        f"{cls}.explain got baselines, but {cls} takes no per-row baselines: {why}. "
        f"Explainers that take baselines= are {TAKES_BASELINES}; leave baselines=None "
        f"for {cls}.")


def check_baselines(explainer, baselines, n, *, keep_tensors=False, name="baselines"):
    """One reference row per explained row, validated like ``X``.

    Parameters
    ----------
    explainer : fitted explainer
        Gives the feature shape, the background's columns and dtypes, and
        the model (for integer inputs).
    baselines : array-like, DataFrame, tensor or number
        ``(n, *feature_shape)``: one reference per row; ``(1, *feature_shape)``
        or ``feature_shape``: the same reference for every row; a number:
        every feature set to it.
    n : int
        Number of rows explained.
    keep_tensors : bool, default=False
        Return a tensor as a tensor (its device and dtype kept), as gradient
        explainers do with ``X``.
    name : str, default="baselines"
        Parameter named in the errors.

    Returns
    -------
    ndarray, DataFrame or tensor of shape (n, \\*feature_shape)
        Fitted on several inputs: the packed rows, of shape (n, D).

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain import KernelSHAP
    >>> from skexplain.utils._baselines import check_baselines
    >>> explainer = KernelSHAP(lambda X: X.sum(1)).fit(np.zeros((4, 3)))
    >>> check_baselines(explainer, 2.0, 2)
    array([[2., 2., 2.],
           [2., 2., 2.]])
    """
    if _is_bool(baselines):  # a bool is an int to Python: True would be read as 1
        raise TypeError(
            f"{name} must be reference rows (an array-like, DataFrame or tensor) or a number; "
            f"got the bool {baselines!r}. Pass baselines=None for the background, or the "
            "number or rows to compare with.")
    spec = getattr(explainer, "input_spec_", None)
    if spec is not None:
        return _check_per_input(explainer, spec, baselines, n, keep_tensors, name)
    shape = tuple(explainer.feature_shape_)
    if isinstance(baselines, (str, bytes, dict)):
        raise TypeError(f"{name} must be reference rows (an array-like, DataFrame or tensor) "
                        f"or a number; got the {type(baselines).__name__} {baselines!r}.")
    if _is_number(baselines):
        data = _constant_rows(explainer, baselines, name)
    elif keep_tensors and _is_tensor(baselines):
        data = baselines.reshape((1,) + shape) if tuple(baselines.shape) == shape else baselines
        if tuple(data.shape[1:]) != shape or data.dim() < 2:
            raise ValueError(
                f"{name} must have shape ({n}, {_dims(shape)}) (one reference per row of X), "
                f"(1, {_dims(shape)}) or ({_dims(shape)}) (one reference for every row) like "
                f"X; got a tensor of shape {tuple(baselines.shape)}.")
    else:
        if not isinstance(baselines, pd.DataFrame) and np.shape(baselines) == shape:
            baselines = np.asarray(baselines).reshape((1,) + shape)  # a single row
        data = check_rows(explainer, baselines, name=name)
    rows = data.shape[0]
    if rows not in (1, n):
        raise ValueError(
            f"{name} must have one reference row per row of X ({n}) or a single row for every "
            f"row (1); got {rows} rows (shape {tuple(data.shape)}).")
    _check_whole_numbers(explainer, data, name)
    if rows == n:
        return data
    if _is_tensor(data):
        return data.expand((n,) + tuple(data.shape[1:]))
    return data.iloc[[0] * n] if hasattr(data, "iloc") else np.repeat(data, n, axis=0)


def _check_per_input(explainer, spec, baselines, n, keep_tensors, name):
    """A tuple of per-input baselines (or one number for all), checked and packed."""
    k_in = spec.n_inputs
    if _is_number(baselines):
        parts = (baselines,) * k_in
    elif isinstance(baselines, (tuple, list)) and len(baselines) == k_in:
        parts = tuple(baselines)
    else:
        got = (f"a {type(baselines).__name__} of {len(baselines)} entries"
               if isinstance(baselines, (tuple, list)) else
               f"a single {type(baselines).__name__}" + (
                   f" of shape {tuple(baselines.shape)}" if hasattr(baselines, "shape") else ""))
        shapes = ", ".join(f"(n, {_dims(s)})" for s in spec.shapes)
        raise ValueError(
            f"{name} must be a tuple of {k_in} entries like X, one per input (shapes "
            f"{shapes}, a single row or a number each), or one number for every input; "
            f"got {got}.")
    backgrounds = spec.unpack_numpy(explainer.background_)
    checked = [check_baselines(_input_view(explainer, spec, k, backgrounds[k]), part, n,
                               keep_tensors=keep_tensors, name=f"{name}[{k}]")
               for k, part in enumerate(parts)]
    if not all(_is_tensor(part) for part in checked):
        checked = [part.detach().cpu().numpy() if _is_tensor(part) else part
                   for part in checked]
    return pack_inputs(checked, spec, name=name)


def _input_view(explainer, spec, k, background):
    """A shallow copy of ``explainer`` that reads as if fitted on input ``k`` alone."""
    view = copy.copy(explainer)
    view.input_spec_ = None
    view.background_ = background
    view.feature_shape_, view.n_features_in_ = spec.shapes[k], spec.sizes[k]
    view.model_ = _InputModel(explainer.model_, k)
    return view


class _InputModel:
    """What the whole-number check reads from the model, for input ``k`` alone."""

    def __init__(self, model, k):
        dtypes = getattr(model, "input_dtypes", None)
        self.input_dtype = None if dtypes is None else dtypes[k]
        self.takes_integers = self.input_dtype is not None
        self._who = f"input {k} of {model.describe()}"

    def describe(self):
        return self._who


def _is_number(value):
    if isinstance(value, numbers.Real):
        return True
    return (_is_tensor(value) or isinstance(value, np.ndarray)) and value.ndim == 0


def _is_bool(value):
    if isinstance(value, (bool, np.bool_)):
        return True
    return (_is_tensor(value) or isinstance(value, np.ndarray)) and value.ndim == 0 and (
        str(value.dtype) in ("bool", "torch.bool"))


def _dims(shape):
    return ", ".join(map(str, shape))


def _constant_rows(explainer, value, name):
    """A single row with every feature equal to ``value``."""
    value = value.item() if hasattr(value, "item") else value
    background = explainer.background_
    if isinstance(background, pd.DataFrame):
        text = [c for c in background.columns
                if not pd.api.types.is_numeric_dtype(background[c].dtype)]
        if text:
            raise TypeError(
                f"{name}={value!r} sets every feature to a number, but the background's "
                f"column {text[0]!r} does not hold numbers ({background[text[0]].dtype}); "
                f"pass {name} as a DataFrame of reference rows with the background's "
                "columns.")
        return pd.DataFrame([[value] * background.shape[1]], columns=background.columns)
    return np.full((1,) + tuple(explainer.feature_shape_), value)


def _check_whole_numbers(explainer, data, name):
    """Token ids (a model taking integers) are never rounded from other numbers."""
    model = getattr(explainer, "model_", None)
    if not getattr(model, "takes_integers", False):
        return
    values = data.detach().cpu().numpy() if _is_tensor(data) else np.asarray(data)
    if values.dtype.kind != "f":
        return
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        raise ValueError(
            f"{name} must hold whole numbers for {model.describe()}, which takes "
            f"{model.input_dtype} inputs (token ids or codes); got {values[bad][0].item()!r}.")
