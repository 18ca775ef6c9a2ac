"""Adapter for scikit-learn estimators and Pipelines.

The estimator is called on the *raw* rows the user gave (DataFrames with string
columns and missing values included), so a Pipeline's ColumnTransformer does its
own encoding and every attribution lands on a raw input column.
"""
import numbers

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._base import Model, take_rows

__all__ = ["SklearnModel", "RESPONSE_METHODS"]

RESPONSE_METHODS = ("predict_proba", "decision_function", "predict", "predict_log_proba")


def _check_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"The model {type(estimator).__name__} is not fitted; fit it before explaining "
            f"it. ({exc})"
        ) from exc
    except TypeError:
        # Duck-typed models that are not sklearn estimators: nothing to check.
        pass


def _auto_method(estimator):
    if is_classifier(estimator):
        for method in ("predict_proba", "decision_function"):
            if hasattr(estimator, method):
                return method
    if hasattr(estimator, "predict"):
        return "predict"
    for method in RESPONSE_METHODS:
        if hasattr(estimator, method):
            return method
    raise AttributeError  # pragma: no cover - filtered by as_model


def _class_names(classes, method, n_columns):
    """Output names for a classifier's response method with ``n_columns`` columns."""
    if method == "predict":
        return ["predict"], [None]
    if method == "decision_function" and n_columns == 1 and len(classes) == 2:
        return [str(classes[1])], [classes[1]]
    if len(classes) == n_columns:
        return [str(c) for c in classes], list(classes)
    return [f"output_{i}" for i in range(n_columns)], [None] * n_columns


class SklearnModel(Model):
    """Explain one response method of a fitted scikit-learn estimator.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
    output : str, int or class label, default="auto"
        ``"auto"``: ``predict_proba`` (all classes) for classifiers, else
        ``decision_function``, else ``predict``.  A response method name
        explains that method.  A class label keeps the column of that class in
        ``predict_proba`` (or ``decision_function``); an integer that is not a
        class label keeps that column of the ``"auto"`` output.
    sample : array-like or DataFrame
        A few rows, used once to learn the number of outputs.
    """

    def __init__(self, estimator, output="auto", sample=None):
        _check_fitted(estimator)
        self.estimator = estimator
        self.output = output
        classes = list(getattr(estimator, "classes_", []))
        self.method, label = self._parse_output(estimator, output, classes)
        n_all = self._probe(sample)
        names, labels = (_class_names(classes, self.method, n_all) if classes else (
            ["output"] if n_all == 1 else [f"output_{i}" for i in range(n_all)],
            [None] * n_all))
        self.column = self._column(output, label, labels, n_all)
        if self.column is None:
            self.output_names, self.output_labels = names, labels
        else:
            self.output_names = [names[self.column]]
            self.output_labels = [labels[self.column]]

    @staticmethod
    def _parse_output(estimator, output, classes):
        """Return (method, class label or None)."""
        name = type(estimator).__name__
        if isinstance(output, str) and output in RESPONSE_METHODS:
            if not hasattr(estimator, output):
                available = [m for m in RESPONSE_METHODS if hasattr(estimator, m)]
                raise ValueError(
                    f"output={output!r} but {name} has no {output} method; available: "
                    f"{available}."
                )
            return output, None
        if isinstance(output, str) and output == "auto":
            return _auto_method(estimator), None
        if any(_equal(c, output) for c in classes):
            method = "predict_proba" if hasattr(estimator, "predict_proba") else (
                "decision_function")
            return method, output
        if isinstance(output, numbers.Integral) and not isinstance(output, bool):
            return _auto_method(estimator), None
        raise ValueError(
            f"output must be 'auto', one of {list(RESPONSE_METHODS)}, a class label of "
            f"{name} ({classes}) or a column index; got {output!r}."
        )

    def _column(self, output, label, labels, n_all):
        if label is not None:
            for i, lab in enumerate(labels):
                if _equal(lab, label):
                    return i
            raise ValueError(  # binary decision_function has one column: class 1
                f"output={output!r}: {self.method} of {type(self.estimator).__name__} has "
                f"no column for class {label!r}; its columns are {labels}."
            )
        if isinstance(output, numbers.Integral) and not isinstance(output, bool):
            if not -n_all <= output < n_all:
                raise ValueError(
                    f"output={output!r} is out of range: {self.method} of "
                    f"{type(self.estimator).__name__} has {n_all} columns."
                )
            return int(output) % n_all
        return None

    def _probe(self, sample):
        if sample is None:
            return self._static_n_columns()
        return self.predict_all_columns(take_rows(sample, 1)).shape[1]

    def _static_n_columns(self):
        """Number of output columns known without calling the model."""
        classes = getattr(self.estimator, "classes_", None)
        if classes is not None and self.method in ("predict_proba", "predict_log_proba"):
            return len(classes)
        if classes is not None and self.method == "decision_function":
            return 1 if len(classes) == 2 else len(classes)
        if self.method == "predict":
            return int(getattr(self.estimator, "n_outputs_", 1))
        raise ValueError(
            f"Pass sample rows to learn the number of outputs of {self.describe()}."
        )

    def describe(self):
        """Short human description used in error messages.

        Returns
        -------
        str
            ``"<Estimator>.<method>"``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skexplain.adapters import as_model
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = as_model(LogisticRegression().fit(X, [0, 0, 1, 1]), sample=X)
        >>> model.describe()
        'LogisticRegression.predict_proba'
        """
        return f"{type(self.estimator).__name__}.{self.method}"

    def linear_decomposition(self, n_features_in):
        """``f(x) = coef @ T(x) + intercept`` of a linear model or Pipeline.

        Parameters
        ----------
        n_features_in : int
            Number of raw input columns.

        Returns
        -------
        LinearDecomposition
            Raises :class:`~skexplain.exceptions.ModelTypeError` when the last
            step has no ``coef_`` or a preprocessing step mixes columns in a
            way it cannot follow.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain.adapters import SklearnModel
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = SklearnModel(LinearRegression().fit(X, X @ [2.0, -1.0]), sample=X)
        >>> type(model.linear_decomposition(2)).__name__
        'LinearDecomposition'
        """
        from ._linear import LinearDecomposition

        return LinearDecomposition(self, n_features_in)

    def _call(self, X):
        return getattr(self.estimator, self.method)(X)


def _equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    try:
        return bool(np.all(a == b)) and np.ndim(a) == 0
    except Exception:  # pragma: no cover
        return False
