"""Model adapters: one ``predict(X) -> (n, n_outputs)`` for any kind of model."""
import sys

from ..exceptions import ModelTypeError
from ._base import Model
from ._callable import CallableModel
from ._sklearn import RESPONSE_METHODS, SklearnModel

__all__ = ["as_model", "margin_model", "Model", "CallableModel", "SklearnModel", "TorchModel",
           "is_torch_module"]


def margin_model(model, output="auto", *, sample=None):
    """The margin (``decision_function``) adapter of a classifier.

    Parameters
    ----------
    model : fitted classifier or Pipeline
        A classifier with ``decision_function``.
    output : "auto", class label or int, default="auto"
        ``"auto"``: every margin column; a class label or position keeps one
        (refused for the first class of a binary classifier, whose margin is
        the negative of the second's).
    sample : array-like or DataFrame, default=None
        A few rows of valid input, to learn the number of outputs.

    Returns
    -------
    SklearnModel
        The adapter of ``model.decision_function``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skexplain.adapters import margin_model
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    >>> margin = margin_model(LogisticRegression().fit(X, [0, 0, 1, 1]), sample=X)
    >>> margin.describe(), margin.output_names
    ('LogisticRegression.decision_function', ['1'])
    """
    from ._linear import margin_model as _margin

    return _margin(model, output, sample)


def is_torch_module(obj):
    """True for a torch ``nn.Module`` (without importing torch if nobody did).

    Parameters
    ----------
    obj : object
        Anything.

    Returns
    -------
    bool
        Whether ``obj`` is an ``nn.Module``; False when torch was never imported.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from skexplain.adapters import is_torch_module
    >>> is_torch_module(LinearRegression())
    False
    """
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def as_model(model, output="auto", *, sample=None):
    """Wrap ``model`` into a :class:`Model` adapter.

    Parameters
    ----------
    model : estimator, Pipeline, torch.nn.Module, callable or Model
        A fitted scikit-learn estimator or Pipeline (anything with
        ``predict``/``predict_proba``/``decision_function``), a torch module, or a
        function ``f(X) -> (n,) or (n, k)``.  A :class:`Model` is returned as is.
    output : str, int or label, default="auto"
        Which output to explain; see :class:`SklearnModel`, :class:`TorchModel`
        and :class:`CallableModel` for what each accepts.
    sample : array-like or DataFrame, default=None
        A few rows of valid input, used to learn the number of outputs.

    Returns
    -------
    Model

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skexplain.adapters import as_model
    >>> X, y = load_iris(return_X_y=True)
    >>> m = as_model(LogisticRegression(max_iter=500).fit(X, y), sample=X)
    >>> m.output_names, m.predict(X[:2]).shape
    (['0', '1', '2'], (2, 3))
    """
    if isinstance(model, Model):
        return model
    if isinstance(model, type):
        raise ModelTypeError(
            f"model must be a fitted model instance; got the class {model.__name__}. "
            f"Fit an instance first, e.g. {model.__name__}().fit(X, y)."
        )
    if is_torch_module(model):
        from ._torch import TorchModel

        return TorchModel(model, output=output, sample=sample)
    if any(hasattr(model, m) for m in RESPONSE_METHODS):
        return SklearnModel(model, output=output, sample=sample)
    if callable(model):
        return CallableModel(model, output=output, sample=sample)
    raise ModelTypeError(
        "model must be a fitted scikit-learn estimator or Pipeline (with predict, "
        "predict_proba or decision_function), a torch.nn.Module, or a callable "
        f"f(X) -> array; got {type(model).__name__}."
    )


def __getattr__(name):
    if name == "TorchModel":  # lazy: importing it must not import torch
        from ._torch import TorchModel

        return TorchModel
    raise AttributeError(name)
