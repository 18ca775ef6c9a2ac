"""Toy problems and models with known attributions, for the explainer checks.

The axiom checks need models whose attributions are known in closed form:
one-hidden-layer ReLU nets ``f(x) = relu(x W1 + b1) w2 + b2`` with a chosen
structure (a column of ``W1`` set to zero ignores a feature; two equal columns
make ``f`` symmetric in two features), and linear models.  Each is available
as a scikit-learn estimator, a torch module (built lazily) or a plain callable
so that every explainer can be fed the kind of model it accepts.
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.utils.validation import check_is_fitted

from ..adapters import is_torch_module
from ..utils._validation import as_data, select_rows
from ..utils._with_model import explained_model
from ._check_utils import CheckData, SkipCheck, check_thresholds

__all__ = ["ToyReLURegressor", "ToyFunction", "make_check_data", "make_toy_model",
           "axiom_data", "check_rows", "model_type", "toy_model_type"]

N_TOY_FEATURES = 5
N_AXIOM_FEATURES = 4
_HIDDEN = 6

# Sizes of the check data, drawn from the data at random (``random_state``):
# like scikit-learn's estimator checks, small fixed sizes keep
# ``check_explainer`` at seconds whatever the size of the user's data.  The
# checks measure properties of an explainer (axioms, invariances,
# randomization), not of the data: their thresholds were set on 8 rows and 20
# background rows; 200 training rows are enough to retrain on permuted labels.
N_CHECK_ROWS = 8
N_CHECK_BACKGROUND = 20
N_CHECK_TRAIN = 200


class ToyReLURegressor(RegressorMixin, BaseEstimator):
    """``f(x) = relu(x W1 + b1) w2 + b2`` with given weights (fit only checks X).

    Parameters
    ----------
    weights : tuple of (W1, b1, w2, b2)
        Arrays of shapes (d, h), (h,), (h,) and a float.

    Examples
    --------
    >>> import numpy as np
    >>> W1, b1, w2 = np.eye(2), np.zeros(2), np.ones(2)
    >>> model = ToyReLURegressor((W1, b1, w2, 0.5)).fit(np.zeros((1, 2)))
    >>> model.predict(np.array([[1.0, -1.0]]))
    array([1.5])
    """

    def __init__(self, weights):
        self.weights = weights

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        check_is_fitted(self)
        W1, b1, w2, b2 = self.weights
        return np.maximum(np.asarray(X, dtype=float) @ W1 + b1, 0.0) @ w2 + b2


class ToyFunction:
    """The same function as a plain (picklable) callable ``f(X) -> (n,)``."""

    def __init__(self, weights=None, linear=None):
        self.weights = weights
        self.linear = linear

    def __call__(self, X):
        X = np.asarray(X, dtype=float)
        if self.linear is not None:
            w, b = self.linear
            return X @ w + b
        W1, b1, w2, b2 = self.weights
        return np.maximum(X @ W1 + b1, 0.0) @ w2 + b2


def relu_weights(kind, n_features=N_AXIOM_FEATURES, random_state=0):
    """Weights of a ReLU toy net: ``"nonlinear"``, ``"dummy"``, ``"symmetric"`` or ``"sum"``.

    ``"dummy"`` ignores the last feature; ``"symmetric"`` is symmetric in
    features 0 and 1 (their columns of ``W1`` are equal); ``"sum"`` computes
    the dummy net plus the symmetric net (hidden units side by side).
    """
    if kind == "sum":
        parts = [relu_weights(k, n_features, random_state) for k in ("dummy", "symmetric")]
        return (np.hstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]), parts[0][3] + parts[1][3])
    rng = np.random.default_rng(random_state)
    W1 = rng.normal(size=(n_features, _HIDDEN))
    b1 = rng.normal(scale=0.5, size=_HIDDEN)
    w2 = rng.normal(size=_HIDDEN)
    if kind == "dummy":
        W1[-1] = 0.0
    elif kind == "symmetric":
        W1[1] = W1[0]
    elif kind != "nonlinear":
        raise ValueError(
            f"kind must be 'nonlinear', 'dummy', 'symmetric' or 'sum'; got {kind!r}.")
    return W1, b1, w2, 0.3


def linear_weights(kind, n_features=N_AXIOM_FEATURES):
    """Weights ``(w, b)`` of a linear toy model with the structure of ``kind``."""
    if kind == "sum":
        (w1, b1), (w2, b2) = linear_weights("dummy", n_features), linear_weights(
            "symmetric", n_features)
        return w1 + w2, b1 + b2
    w = np.linspace(1.5, -1.0, n_features)
    if kind == "symmetric":
        w = w[::-1].copy()  # differs from the dummy weights, so that "sum" is informative
    if kind == "dummy":
        w[-1] = 0.0
    elif kind == "symmetric":
        w[1] = w[0]
    return w, 0.7


def model_type(model):
    """``"torch"``, ``"sklearn"`` or ``"callable"``."""
    if is_torch_module(model):
        return "torch"
    if hasattr(model, "get_params") or hasattr(model, "predict"):
        return "sklearn"
    return "callable"


def toy_model_type(explainer):
    """Kind of toy model to give ``explainer``: the kind of its own model if it
    accepts it, else the first of sklearn, torch, callable it accepts."""
    accepted = explainer.__skexplain_tags__().model_types
    own = model_type(explained_model(explainer))
    if own in accepted:
        return own
    for kind in ("sklearn", "torch", "callable"):
        if kind in accepted:
            return kind
    raise SkipCheck(f"{type(explainer).__name__} accepts no known model type ({accepted}).")


def make_toy_model(kind, mtype, *, linear=False, n_features=N_AXIOM_FEATURES):
    """A fitted toy model of type ``mtype`` (see :func:`relu_weights`)."""
    if linear:
        w, b = linear_weights(kind, n_features)
        if mtype == "sklearn":
            X = np.random.default_rng(0).normal(size=(4 * n_features, n_features))
            return LinearRegression().fit(X, X @ w + b)  # noiseless: exact to ~1e-13
        if mtype == "torch":
            from ._toy_torch import linear_module

            return linear_module(w, b)
        return ToyFunction(linear=(w, b))
    weights = relu_weights(kind, n_features)
    if mtype == "sklearn":
        return ToyReLURegressor(weights).fit(np.zeros((1, n_features)))
    if mtype == "torch":
        from ._toy_torch import relu_module

        return relu_module(weights)
    return ToyFunction(weights)


def axiom_data(n_features=N_AXIOM_FEATURES, random_state=0):
    """Rows and background for the axiom checks.

    The background is closed under swapping features 0 and 1 and the rows
    have ``x0 == x1``, so a model symmetric in (0, 1) has a game symmetric in
    those players.

    Returns
    -------
    X : ndarray of shape (6, n_features)
    background : ndarray of shape (16, n_features)
    """
    rng = np.random.default_rng(random_state)
    half = rng.normal(size=(8, n_features))
    swapped = half.copy()
    swapped[:, [0, 1]] = half[:, [1, 0]]
    X = rng.normal(size=(6, n_features))
    X[:, 1] = X[:, 0]
    return X, np.vstack([half, swapped])


def toy_tabular(classification, n_samples=80, n_features=N_TOY_FEATURES, random_state=0):
    """Toy training data: 3 informative features (one interaction), 2 noise."""
    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n_samples, n_features))
    signal = 2.0 * X[:, 0] - 1.5 * X[:, 1] + X[:, 2] * X[:, 0]
    if classification:
        return X, (signal > np.median(signal)).astype(int)
    return X, signal + 0.1 * rng.normal(size=n_samples)


def _is_fitted(model):
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    except TypeError:  # not an sklearn estimator: assume usable
        return True
    return True


def _toy_problem(model):
    """(model, X_train, y) of the built-in toy problem for ``model``."""
    mtype = model_type(model)
    if mtype == "sklearn":
        X, y = toy_tabular(is_classifier(model))
        try:
            return clone(model).fit(X, y), X, y
        except Exception as exc:
            raise ValueError(
                f"check_explainer could not fit a clone of {type(model).__name__} on its "
                f"toy problem (80 rows, {N_TOY_FEATURES} numeric features): {exc}. Pass X "
                "and y.") from exc
    if mtype == "torch":  # a trained copy, as sklearn models get a fitted clone
        from ._toy_torch import toy_problem

        return toy_problem(model)
    raise ValueError(
        "check_explainer needs X to check an explainer of a callable model (the input "
        "width of a callable cannot be inferred); pass X.")


def check_rows(n, random_state=0):
    """Positions of the explained, background and training rows among ``n`` rows.

    A permutation drawn with ``random_state``: the explained rows are its first
    ``N_CHECK_ROWS``, the background its last ``N_CHECK_BACKGROUND`` (disjoint
    when ``n >= 28``) and the training rows its first ``N_CHECK_TRAIN``; each
    sorted.

    Examples
    --------
    >>> explain, background, train = check_rows(442)
    >>> len(explain), len(background), len(train), bool(set(explain) & set(background))
    (8, 20, 200, False)
    """
    order = np.random.default_rng(random_state).permutation(n)
    return (np.sort(order[:N_CHECK_ROWS]), np.sort(order[max(0, n - N_CHECK_BACKGROUND):]),
            np.sort(order[:N_CHECK_TRAIN]))


def make_check_data(explainer, X=None, y=None, *, thresholds=None, train_fn=None,
                    random_state=0):
    """Build the :class:`CheckData` of ``check_explainer``.

    With ``X=None`` an sklearn model is cloned and fitted on a toy problem, and
    a copy of a torch module whose first layer is ``nn.Linear`` is trained on
    random rows of its input width with learnable labels (one whose first
    layer is ``nn.Conv1d``/``nn.Conv2d``, on small random images; see
    :func:`~skexplain.testing._toy_torch.toy_problem`).  Then
    ``N_CHECK_ROWS`` (8) rows are explained against a background of
    ``N_CHECK_BACKGROUND`` (20) other rows, and data randomization retrains on
    ``N_CHECK_TRAIN`` (200) rows, all drawn at random with ``random_state``
    (see :func:`check_rows`); an unfitted sklearn model is fitted on those
    training rows of ``(X, y)``.
    """
    thresholds = check_thresholds(thresholds)
    if train_fn is not None and not callable(train_fn):
        raise TypeError(f"train_fn must be callable or None; got {type(train_fn).__name__}.")
    model = explained_model(explainer)
    if X is None:
        if y is not None:
            raise ValueError("y was given without X; pass both or neither.")
        fitted, X, y = _toy_problem(model)
        origin = "built-in toy problem"
    else:
        X = as_data(X, name="X")
        if y is not None:
            y = np.asarray(y)
            if y.shape[0] != X.shape[0]:
                raise ValueError(f"y must have one entry per row of X ({X.shape[0]}); "
                                 f"got {y.shape[0]}.")
        fitted, origin = None, "user data"
    explain, background, train = check_rows(X.shape[0], random_state)
    X_train, y = select_rows(X, train), None if y is None else y[train]
    if fitted is None and model_type(model) == "sklearn" and not _is_fitted(model):
        if y is None:
            raise ValueError(f"The model {type(model).__name__} is not fitted; pass y "
                             "so that check_explainer can fit it on X, or fit it first.")
        fitted = clone(model).fit(X_train, y)
    return CheckData(X=select_rows(X, explain), background=select_rows(X, background),
                     X_train=X_train, y=y, model=fitted, thresholds=thresholds,
                     train_fn=train_fn, random_state=random_state, description=origin)
