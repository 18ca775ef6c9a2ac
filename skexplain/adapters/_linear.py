"""Linear decompositions of scikit-learn models: ``f(x) = W T(x) + c``.

LinearSHAP needs the margin of a linear model, its preprocessing ``T``, the
raw column feeding each transformed column and the weights ``W``, ``c``.
Everything that touches the user's estimator for that lives here, in the
adapter layer, so that explainers never call the model themselves.
"""
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MaxAbsScaler, MinMaxScaler,
                                   OneHotEncoder, RobustScaler, StandardScaler)

from ..exceptions import ModelTypeError
from ..utils._sklearn_compat import column_transformer_parts, onehot_output_widths
from ._sklearn import SklearnModel

__all__ = ["LinearDecomposition", "margin_model"]

_ONE_TO_ONE = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
_ADVICE = "Use KernelSHAP or ExactShapley, which work with any pipeline."


def margin_model(model, output, sample):
    """The ``decision_function`` adapter of a classifier, for one class if ``output`` names one.

    Parameters
    ----------
    model : fitted classifier or Pipeline
    output : "auto", class label or int
    sample : array-like or DataFrame
        A few rows, to learn the number of outputs.

    Returns
    -------
    SklearnModel
    """
    margin = SklearnModel(model, output="decision_function", sample=sample)
    if isinstance(output, str) and output == "auto":
        return margin
    classes = list(getattr(model, "classes_", []))
    if margin.n_outputs == 1 and len(classes) == 2 and _same(classes[0], output):
        raise ValueError(
            f"output={output!r}: the decision_function of a binary classifier is the margin "
            f"of class {classes[1]} (its negative is the margin of class {classes[0]}); "
            f"explain output={classes[1]} or 'auto'.")
    idx = margin.resolve_output(output)
    margin.column = idx if margin.column is None else margin.column
    margin.output_names = [margin.output_names[idx]]
    margin.output_labels = [(margin.output_labels or [None] * (idx + 1))[idx]]
    return margin


def _same(a, b):
    try:
        return bool(a == b) and not isinstance(b, bool)
    except Exception:  # pragma: no cover - exotic labels
        return False


def _step_owners(step, n_in, where):
    """Raw input column (0..n_in-1) feeding each output column of a fitted step."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.arange(n_in)
    if isinstance(step, Pipeline):
        owners = np.arange(n_in)
        for name, sub in step.steps:
            owners = owners[_step_owners(sub, owners.size, f"{where} > {name}")]
        return owners
    if isinstance(step, ColumnTransformer):
        return _column_transformer_owners(step, n_in, where)
    if isinstance(step, _ONE_TO_ONE) or (
            isinstance(step, FunctionTransformer) and step.func is None):
        return np.arange(n_in)
    if isinstance(step, SimpleImputer):
        owners = np.arange(n_in)
        if step.add_indicator and step.indicator_ is not None:
            owners = np.concatenate([owners, np.asarray(step.indicator_.features_, dtype=int)])
        return owners
    if isinstance(step, OneHotEncoder):
        widths = onehot_output_widths(step)
        if widths is not None:
            return np.repeat(np.arange(n_in), widths)
        raise ModelTypeError(f"LinearSHAP could not tell which column feeds each output of "
                             f"the OneHotEncoder {where}. {_ADVICE}")
    raise ModelTypeError(
        f"LinearSHAP cannot attribute through the step {where} ({type(step).__name__}): it "
        "handles preprocessing that acts on one column at a time (StandardScaler, "
        "MinMaxScaler, MaxAbsScaler, RobustScaler, SimpleImputer, OneHotEncoder, "
        f"ColumnTransformer, passthrough), i.e. steps that keep the model affine per column. "
        f"{_ADVICE}")


def _column_transformer_owners(ct, n_in, where):
    parts = column_transformer_parts(ct, n_in)
    owners = np.full(max((out.stop for *_, out in parts), default=0), -1)
    for name, trans, cols, out in parts:
        sub = cols[_step_owners(trans, cols.size, f"{where} > {name}")]
        if sub.size != out.stop - out.start:
            raise ModelTypeError(
                f"LinearSHAP could not map the {out.stop - out.start} output columns of "
                f"{where} > {name} to its {cols.size} input columns. {_ADVICE}")
        owners[out] = sub
    if np.any(owners < 0):
        raise ModelTypeError(f"LinearSHAP could not tell which input column feeds the output "
                             f"columns {np.flatnonzero(owners < 0).tolist()} of {where}. {_ADVICE}")
    return owners


def _dense(Z):
    Z = Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)
    return np.asarray(Z, dtype=float)


class LinearDecomposition:
    """``f(x) = coef @ T(x) + intercept`` for a linear estimator or Pipeline.

    Built by :meth:`SklearnModel.linear_decomposition`; the explained output
    (``model.column``) is kept.

    Parameters
    ----------
    model : SklearnModel
        The adapter of the margin (``decision_function``) or ``predict``.
    n_features_in : int
        Number of raw input columns.

    Attributes
    ----------
    coef : ndarray of shape (n_outputs, n_transformed)
    intercept : ndarray of shape (n_outputs,)
    column_owner : ndarray of int of shape (n_transformed,)
        The raw column feeding each transformed column.
    """

    def __init__(self, model, n_features_in):
        estimator = model.estimator
        if isinstance(estimator, Pipeline) and len(estimator) > 1:
            self._pre, last = estimator[:-1], estimator[-1]
        else:
            self._pre = None
            last = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        if not hasattr(last, "coef_"):
            raise ModelTypeError(
                f"LinearSHAP needs a linear model (with coef_) as the model or the last "
                f"Pipeline step; got {type(last).__name__}. {_ADVICE}")
        self.last_name = type(last).__name__
        coef = np.atleast_2d(np.asarray(last.coef_, dtype=float))
        intercept = np.broadcast_to(np.asarray(getattr(last, "intercept_", 0.0), dtype=float),
                                    (coef.shape[0],))
        if model.column is not None:
            coef, intercept = coef[[model.column]], intercept[[model.column]]
        self.coef, self.intercept = coef, np.array(intercept, dtype=float)
        self.column_owner = (np.arange(n_features_in) if self._pre is None
                             else _step_owners(self._pre, n_features_in, "of the pipeline"))

    @property
    def has_preprocessing(self):
        """bool: whether ``T`` is more than the identity."""
        return self._pre is not None

    def transform(self, X):
        """``T(X)`` as a dense float array of shape (n, n_transformed)."""
        if self._pre is not None:
            return _dense(self._pre.transform(X))
        return _dense(X.to_numpy(dtype=float) if hasattr(X, "to_numpy") else X)
