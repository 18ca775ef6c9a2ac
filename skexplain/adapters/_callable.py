"""Adapter for plain callables ``f(X) -> (n,) or (n, k)``."""
import numbers

from ._base import Model, take_rows

__all__ = ["CallableModel"]


class CallableModel(Model):
    """Wrap a function of a batch of rows.

    Parameters
    ----------
    func : callable
        ``func(X)`` returns an array of shape (n,) or (n, k).
    output : "auto" or int, default="auto"
        ``"auto"`` keeps every column; an integer keeps that column.
    sample : array-like, default=None
        A few rows used once to learn the number of outputs.
    """

    def __init__(self, func, output="auto", sample=None):
        self.func = func
        self.output = output
        if sample is None:
            raise ValueError("CallableModel needs a sample row to learn its number of outputs.")
        n_all = self.predict_all_columns(take_rows(sample, 1)).shape[1]
        names = ["output"] if n_all == 1 else [f"output_{i}" for i in range(n_all)]
        if output == "auto":
            self.column = None
            self.output_names = names
        elif isinstance(output, numbers.Integral) and not isinstance(output, bool):
            if not -n_all <= output < n_all:
                raise ValueError(
                    f"output must be 'auto' or a column index in [0, {n_all}) of the "
                    f"callable's output; got {output!r}."
                )
            self.column = int(output) % n_all
            self.output_names = [names[self.column]]
        else:
            raise ValueError(
                f"output must be 'auto' or a column index for a callable model; got {output!r}."
            )

    def describe(self):
        """Short human description used in error messages.

        Returns
        -------
        str
            ``"the callable <name>"``.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.adapters import CallableModel
        >>> def f(X):
        ...     return X.sum(axis=1)
        >>> CallableModel(f, sample=np.ones((2, 3))).describe()
        'the callable f'
        """
        return f"the callable {getattr(self.func, '__name__', type(self.func).__name__)!s}"

    def _call(self, X):
        return self.func(X)
