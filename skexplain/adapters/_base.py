"""The model protocol every explainer talks to.

A :class:`Model` turns "something that predicts" into one function,
``predict(X) -> ndarray of shape (n, n_outputs)``, plus names for the outputs.
Only :class:`~skexplain.perturbation.CoalitionEvaluator` and the gradient
engine call it; explainers never touch the user's model directly.
"""
import numbers

import numpy as np

from ..exceptions import ModelEvaluationError
from ..utils._validation import select_rows

__all__ = ["Model", "n_input_rows", "take_rows"]


def n_input_rows(X):
    return X.shape[0]


def take_rows(X, stop):
    """The first ``stop`` rows of an array or a DataFrame."""
    return select_rows(X, slice(stop))


class Model:
    """Base class of model adapters.

    Subclasses implement :meth:`_call` (the user's model on a batch, any
    shape) and set ``output_names`` (and ``column`` to keep a single column of
    the model's output) in ``__init__``.

    Attributes
    ----------
    output_names : list of str
        One name per column of :meth:`predict`.
    output_labels : list
        The raw labels behind ``output_names`` (class labels for classifiers).
    """

    output_names = None
    output_labels = None
    column = None

    @property
    def n_outputs(self):
        """int: number of columns returned by :meth:`predict`."""
        return len(self.output_names)

    def describe(self):
        """Short human description used in error messages.

        Returns
        -------
        str
            The model and the method called (``"LogisticRegression.predict_proba"``).

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
        return type(self).__name__

    def check_ids(self, X, name="X"):
        """Refuse inputs the model cannot index (token ids); a torch hook, no-op here.

        Parameters
        ----------
        X : array-like or tensor of shape (n, \\*input_shape)
            Rows about to be evaluated.
        name : str, default="X"
            The parameter named in the error.

        Returns
        -------
        None
            Raises ``ValueError`` (torch modules taking token ids) instead.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.adapters import as_model
        >>> as_model(lambda X: X.sum(1), sample=np.ones((1, 2))).check_ids(np.ones((3, 2)))
        """

    def _call(self, X):
        raise NotImplementedError  # pragma: no cover - abstract

    def predict(self, X):
        """Evaluate the model.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*input_shape)

        Returns
        -------
        ndarray of shape (n, n_outputs), float64
            The explained outputs (one column when ``output`` selects one).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skexplain.adapters import as_model
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = as_model(LogisticRegression().fit(X, [0, 0, 1, 1]), sample=X)
        >>> model.predict(X).shape
        (4, 2)
        """
        out = self.predict_all_columns(X)
        return out if self.column is None else out[:, [self.column]]

    def predict_all_columns(self, X):
        """The model's full output, before ``column`` selection: (n, n_columns).

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*input_shape)
            Rows to evaluate.

        Returns
        -------
        ndarray of shape (n, n_columns), float64
            Every column of the model's output; a failure of the model raises
            :class:`~skexplain.exceptions.ModelEvaluationError`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skexplain.adapters import as_model
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = as_model(LogisticRegression().fit(X, [0, 0, 1, 1]), sample=X)
        >>> model.predict_all_columns(X[:1]).shape
        (1, 2)
        """
        n = n_input_rows(X)
        try:
            out = self._call(X)
        except ModelEvaluationError:
            raise
        except Exception as exc:
            raise ModelEvaluationError(
                f"{self.describe()} raised {type(exc).__name__} while skexplain evaluated "
                f"it on a batch of {n} rows: {exc}"
            ) from exc
        return self._check_output(out, n)

    def _check_output(self, out, n):
        out = np.asarray(out)
        if out.dtype.kind not in "biuf":
            raise ModelEvaluationError(
                f"{self.describe()} returned values of dtype {out.dtype}; explanations need "
                "numbers (for a classifier explain predict_proba or decision_function)."
            )
        out = out.astype(float, copy=False)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != n:
            raise ModelEvaluationError(
                f"{self.describe()} must return shape (n,) or (n, n_outputs) for n={n} "
                f"rows; got {out.shape}."
            )
        if not np.all(np.isfinite(out)):
            raise ModelEvaluationError(
                f"{self.describe()} returned NaN or infinite values on {n} rows; "
                "attributions of non-finite outputs are undefined."
            )
        return out

    def resolve_output(self, target):
        """Column position of ``target``: an output label/name, else an integer position.

        Parameters
        ----------
        target : label, str or int
            A class label or output name, else a position.

        Returns
        -------
        int
            The column of :meth:`predict`; a ``ValueError`` lists the outputs
            when ``target`` is none of them.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skexplain.adapters import as_model
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = as_model(LogisticRegression().fit(X, [0, 0, 1, 1]), sample=X)
        >>> model.resolve_output(1), model.resolve_output("0")
        (1, 0)
        """
        labels = list(self.output_labels or self.output_names)
        for i, label in enumerate(labels):
            if _same_label(label, target):
                return i
        if str(target) in self.output_names:
            return self.output_names.index(str(target))
        if isinstance(target, numbers.Integral) and not isinstance(target, bool):
            if -self.n_outputs <= target < self.n_outputs:
                return int(target) % self.n_outputs
        raise ValueError(
            f"target {target!r} is not an output of {self.describe()}: expected one of "
            f"{labels} or a position in [0, {self.n_outputs})."
        )


def _same_label(label, target):
    try:
        return bool(label == target) and type(label) is not bool
    except Exception:  # pragma: no cover - exotic label types
        return False
