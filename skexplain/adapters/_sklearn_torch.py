"""Torch twins of scikit-learn MLPs and linear models, for gradient explainers.

:func:`to_torch_module` rebuilds a fitted ``MLPClassifier``/``MLPRegressor``, a
linear model (anything whose ``decision_function``/``predict`` is
``X @ coef_.T + intercept_``) or a Pipeline of affine scalers ending in one of
them as a float64 ``torch.nn.Sequential``.  Classifiers output their logits
(the pre-softmax / pre-sigmoid margin, i.e. ``decision_function``), regressors
their prediction.  :func:`as_torch_model` wraps the result (or a torch module)
into a :class:`~skexplain.adapters.TorchModel` and checks the twin against the
estimator on sample rows.  torch is imported only when these are called.
"""
import inspect
import sys

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ModelTypeError

__all__ = ["as_torch_model", "to_torch_module"]

_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "logistic": "Sigmoid", "identity": "Identity"}
_SCALERS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")
# Relative gap tolerated between the twin and the estimator (float64 both sides).
_CHECK_RTOL = 1e-6


def _diagonal_linear(scale, shift):
    """``x * scale + shift`` as an ``nn.Linear`` (a plain linear layer for DeepLIFT)."""
    import torch

    layer = torch.nn.Linear(len(scale), len(scale), dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.diag(torch.as_tensor(scale, dtype=torch.float64)))
        layer.bias.copy_(torch.as_tensor(shift, dtype=torch.float64))
    return layer


def _scaler_layer(step):
    """The affine map of a fitted scaler: ``x * scale + shift``."""
    name = type(step).__name__
    d = step.n_features_in_
    if name == "MinMaxScaler":
        if getattr(step, "clip", False):
            raise ModelTypeError("A MinMaxScaler with clip=True is not affine; "
                                 "gradient explainers cannot convert it.")
        return _diagonal_linear(step.scale_, step.min_)
    if name == "MaxAbsScaler":
        return _diagonal_linear(1.0 / step.scale_, np.zeros(d))
    standard = name == "StandardScaler"
    centered = getattr(step, "with_mean" if standard else "with_centering")
    center = getattr(step, "mean_" if standard else "center_") if centered else None
    scale = step.scale_ if step.scale_ is not None else np.ones(d)
    center = np.zeros(d) if center is None else center
    return _diagonal_linear(1.0 / scale, -center / scale)


def _linear(weight, bias):
    import torch

    weight = np.atleast_2d(np.asarray(weight, dtype=float))
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(weight))
        layer.bias.copy_(torch.as_tensor(np.broadcast_to(bias, weight.shape[:1]).copy()))
    return layer


def _estimator_layers(est):
    import torch

    name = type(est).__name__
    if name in ("MLPClassifier", "MLPRegressor"):
        act = _ACTIVATIONS.get(est.activation)
        if act is None:  # pragma: no cover - sklearn only has these four
            raise ModelTypeError(f"Unknown MLP activation {est.activation!r}.")
        layers = []
        for i, (w, b) in enumerate(zip(est.coefs_, est.intercepts_)):
            layers.append(_linear(w.T, b))
            if i < len(est.coefs_) - 1:
                layers.append(getattr(torch.nn, act)())
        # The output activation (softmax/logistic, or exp for loss="poisson") is left
        # out: the module returns the margin, like decision_function.
        return layers
    if hasattr(est, "coef_") and hasattr(est, "intercept_"):
        coef = np.asarray(est.coef_, dtype=float)
        return [_linear(coef.reshape(-1, est.n_features_in_), est.intercept_)]
    raise ModelTypeError(
        "Gradient explainers need a torch.nn.Module, or a fitted scikit-learn "
        "MLPClassifier/MLPRegressor or linear model (with coef_ and intercept_), "
        f"optionally after affine scalers in a Pipeline; got {name}."
    )


def _steps(estimator):
    if isinstance(estimator, Pipeline):
        *pre, (_, last) = estimator.steps
        pre = [step for _, step in pre if step not in (None, "passthrough")]
        return pre, last
    return [], estimator


def to_torch_module(estimator):
    """Build a float64 torch module computing the estimator's margin.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, linear model or Pipeline
        Fitted.  MLP activations ``relu``, ``tanh``, ``logistic`` and
        ``identity`` are supported; a Pipeline may start with
        ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` or
        ``RobustScaler`` steps.

    Returns
    -------
    torch.nn.Sequential
        Maps (n, n_features) to (n, n_outputs) in float64, in eval mode:
        ``decision_function`` for classifiers (logits; one column for binary
        problems), ``predict`` for regressors (for an ``MLPRegressor`` with
        ``loss="poisson"``, the log of ``predict``: MLP output activations
        are left out).

    Raises
    ------
    ModelTypeError
        If the estimator (or a Pipeline step) cannot be converted.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skexplain.adapters._sklearn_torch import to_torch_module
    >>> X = np.random.RandomState(0).normal(size=(40, 3)); y = X[:, 0] > 0
    >>> clf = LogisticRegression().fit(X, y)
    >>> module = to_torch_module(clf)
    >>> out = module(torch.as_tensor(X)).detach().numpy()[:, 0]
    >>> bool(np.allclose(out, clf.decision_function(X)))
    True
    """
    import torch

    pre, last = _steps(estimator)
    try:
        check_is_fitted(last)
    except NotFittedError as exc:
        raise NotFittedError(
            f"model must be fitted before it is explained: the {type(last).__name__} "
            f"given is not fitted yet; call its fit(X, y) first."
        ) from exc
    layers = []
    for step in pre:
        if type(step).__name__ not in _SCALERS:
            raise ModelTypeError(
                f"Gradient explainers can convert Pipelines whose steps before the model "
                f"are {', '.join(_SCALERS)}; got a {type(step).__name__} step."
            )
        layers.append(_scaler_layer(step))
    layers += _estimator_layers(last)
    return torch.nn.Sequential(*layers).to(torch.float64).eval()


def _reference_margin(estimator, X):
    """The estimator's own margin on X, or None for MLPs (rebuilt layer by layer)."""
    if hasattr(_steps(estimator)[1], "coefs_"):
        return None
    for method in ("decision_function", "predict"):
        if hasattr(estimator, method) and (method == "decision_function"
                                           or not is_classifier(estimator)):
            out = np.asarray(getattr(estimator, method)(X), dtype=float)
            return out.reshape(len(out), -1)
    return None


_EXPECTED_MODEL = ("model must be a torch.nn.Module instance or a fitted scikit-learn "
                   "MLPClassifier/MLPRegressor or linear model (optionally after affine "
                   "scalers in a Pipeline)")


def _check_model_object(model):
    """Refuse classes and objects that are neither torch modules nor estimators."""
    if isinstance(model, type):
        torch = sys.modules.get("torch")
        is_module_class = torch is not None and issubclass(model, torch.nn.Module)
        example = (f"{model.__name__}(...)" if is_module_class or not hasattr(model, "fit")
                   else f"{model.__name__}(...).fit(X, y)")
        raise ModelTypeError(
            f"{_EXPECTED_MODEL}; got the class {model.__module__}.{model.__qualname__} "
            f"itself. Pass an instance, e.g. {example}."
        )
    if not hasattr(model, "get_params"):
        raise ModelTypeError(f"{_EXPECTED_MODEL}; got {_describe_object(model)}.")


def _describe_object(obj):
    if obj is None:
        return "None"
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        return (f"the function {obj.__qualname__}, which cannot be differentiated (write "
                "it as the forward of an nn.Module, or use a perturbation explainer)")
    text = repr(obj)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"an object of type {type(obj).__name__} ({text})"


def _check_twin(estimator, module, sample):
    import torch

    raw = sample[:32]  # a DataFrame stays one, so the estimator sees its column names
    rows = np.asarray(raw, dtype=float)
    expected = _reference_margin(estimator, raw)
    if expected is None:  # exact by construction; an MLP's predict may add its out link
        return
    with torch.no_grad():
        got = module(torch.as_tensor(rows, dtype=torch.float64)).numpy()
    scale = max(1.0, float(np.abs(expected).max()))
    if got.shape != expected.shape or np.abs(got - expected).max() > _CHECK_RTOL * scale:
        raise ModelTypeError(
            f"{type(estimator).__name__} cannot be explained by gradient explainers: its "
            "output is not the linear/MLP margin skexplain can rebuild in torch (e.g. a "
            "GLM with a non-identity link). Pass a torch.nn.Module instead."
        )


def _output_labels(estimator):
    _, last = _steps(estimator)
    classes = getattr(last, "classes_", None)
    if classes is None or not is_classifier(last) or np.ndim(classes) != 1:
        return None
    # A binary classifier has one margin: the log-odds of the second class.
    return list(classes[1:]) if len(classes) == 2 else list(classes)


def as_torch_model(model, *, output="auto", sample=None, batch_size=None):
    """A :class:`~skexplain.adapters.TorchModel` for a torch module or a convertible estimator.

    Parameters
    ----------
    model : torch.nn.Module, MLP, linear model or Pipeline
        See :func:`to_torch_module` for the estimators accepted.
    output : "auto" or int, default="auto"
        Output kept (see :class:`~skexplain.adapters.TorchModel`).
    sample : array-like of shape (n, \\*input_shape)
        Valid input rows (the background): used to count outputs and to check
        a converted estimator against its own margin.
    batch_size : int, default=None
        Rows per forward pass of ``predict``.

    Returns
    -------
    TorchModel
        Integer samples are tried as floats first (gradients need floats); a
        module that refuses them (an ``nn.Embedding`` first) gets int64 inputs.
    """
    from ._torch import TorchModel
    from . import is_torch_module

    if is_torch_module(model):
        return TorchModel(model, output=output, sample=sample, batch_size=batch_size,
                          integer_inputs="float")
    _check_model_object(model)
    module = to_torch_module(model)
    _check_twin(model, module, sample)
    adapter = TorchModel(module, output=output, sample=sample, batch_size=batch_size,
                         integer_inputs="float")
    labels = _output_labels(model)
    if labels is not None and len(labels) == module[-1].out_features:
        adapter.output_labels = labels if adapter.column is None else [labels[adapter.column]]
        adapter.output_names = [str(label) for label in adapter.output_labels]
    return adapter
