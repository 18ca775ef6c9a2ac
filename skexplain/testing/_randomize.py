"""Model and data randomization (Adebayo et al., 2018), on copies only.

Torch layers are re-initialised by their own ``reset_parameters`` under a
forked RNG seeded from ``random_state`` (for data randomization without a
``train_fn``, the copy is then retrained by ``_toy_torch.train_module``);
scikit-learn MLPs and linear models get new ``coefs_``/``intercepts_`` (or
``coef_``/``intercept_``) drawn with the Glorot-uniform rule of
``MLPRegressor._init_coef``.  The user's model is deep-copied first and never
touched; torch is imported only for torch models.
"""
import copy
import zlib

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..adapters import is_torch_module

__all__ = ["randomizable_layers", "randomize_model", "train_on_permuted_labels"]


def _final_estimator(model):
    """The last step of a Pipeline (recursively), else the model itself."""
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def _torch_candidates(module):
    """Names of submodules with their own parameters and a ``reset_parameters``."""
    return [name for name, sub in module.named_modules()
            if list(sub.parameters(recurse=False))
            and callable(getattr(sub, "reset_parameters", None))]


def _forward_order(module, names, X):
    """``names`` in the order a forward pass on ``X[:1]`` calls them."""
    import torch

    from ..adapters._torch import eval_mode, module_device, module_dtype

    work = copy.deepcopy(module)  # the hooks never touch the user's module
    seen, handles = [], []
    subs = dict(work.named_modules())
    try:
        for name in names:
            handles.append(subs[name].register_forward_hook(
                lambda mod, args, out, name=name: seen.append(name) if name not in seen else None))
        x = X[:1] if isinstance(X, torch.Tensor) else np.asarray(X[:1])
        x = torch.as_tensor(x, dtype=module_dtype(work), device=module_device(work))
        with torch.no_grad(), eval_mode(work):
            work(x)
    finally:
        for handle in handles:
            handle.remove()
    return seen


def randomizable_layers(model, X=None):
    """Names of the layers whose parameters can be redrawn, from the output down.

    Parameters
    ----------
    model : torch.nn.Module, sklearn estimator or Pipeline
    X : array-like or tensor of shape (n, \\*input_shape), default=None
        For torch modules, a forward pass on ``X[:1]`` orders the layers as
        they are called (and drops unused ones); without it the order of
        registration is used.

    Returns
    -------
    list of str
        Torch: submodule names (``"4"``, ``"fc.1"``); MLPs: ``"coefs_[i]"``;
        linear models: ``["coef_"]``; other models: ``[]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPRegressor
    >>> X = np.random.default_rng(0).normal(size=(20, 3))
    >>> mlp = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2000, random_state=0)
    >>> randomizable_layers(mlp.fit(X, X.sum(axis=1)))
    ['coefs_[1]', 'coefs_[0]']
    """
    if is_torch_module(model):
        names = _torch_candidates(model)
        if X is not None:
            names = _forward_order(model, names, X)
        return names[::-1]
    est = _final_estimator(model)
    if hasattr(est, "coefs_"):
        return [f"coefs_[{i}]" for i in reversed(range(len(est.coefs_)))]
    if hasattr(est, "coef_"):
        return ["coef_"]
    return []


def _layer_seed(base, name):
    return (base + zlib.crc32(name.encode())) % (2**31 - 1)


def _reset_torch(module, names, base):
    import torch

    subs = dict(module.named_modules())
    device = next(iter(module.parameters())).device
    devices = [device.index or 0] if device.type == "cuda" else []
    for name in names:
        with torch.random.fork_rng(devices=devices):  # the global RNG is left as it was
            torch.manual_seed(_layer_seed(base, name))
            subs[name].reset_parameters()


def _glorot(rng, fan_in, fan_out, shape, factor=6.0):
    bound = np.sqrt(factor / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def _reset_sklearn(est, names, base):
    if hasattr(est, "coefs_"):
        est.coefs_, est.intercepts_ = list(est.coefs_), list(est.intercepts_)
        factor = 2.0 if getattr(est, "activation", "relu") == "logistic" else 6.0
        for name in names:
            i = int(name[len("coefs_["):-1])
            rng = np.random.RandomState(_layer_seed(base, name))
            fan_in, fan_out = est.coefs_[i].shape
            est.coefs_[i] = _glorot(rng, fan_in, fan_out, (fan_in, fan_out), factor)
            est.intercepts_[i] = _glorot(rng, fan_in, fan_out, (fan_out,), factor)
        return
    # Linear models are not initialised randomly by sklearn: the same Glorot
    # rule as a one-layer MLP gives weights of a plausible scale.
    rng = np.random.RandomState(_layer_seed(base, "coef_"))
    coef = np.asarray(est.coef_, dtype=float)
    fan_out = coef.shape[0] if coef.ndim == 2 else 1
    est.coef_ = _glorot(rng, coef.shape[-1], fan_out, coef.shape)
    intercept = np.asarray(getattr(est, "intercept_", 0.0), dtype=float)
    if np.any(intercept != 0):  # fit_intercept=False keeps its zero intercept
        new = _glorot(rng, coef.shape[-1], fan_out, intercept.shape)
        est.intercept_ = float(new) if intercept.ndim == 0 else new


def randomize_model(model, layers=None, *, random_state=None):
    """A deep copy of ``model`` whose ``layers`` are re-initialised.

    Parameters
    ----------
    model : torch.nn.Module, sklearn MLP, linear model or Pipeline ending in one
        Never modified.
    layers : list of str, default=None
        Names from :func:`randomizable_layers`; None randomizes all of them.
    random_state : int, RandomState instance or None, default=None
        With an int, a layer gets the same new weights whichever other layers
        are randomized with it (cascading and independent tests agree).

    Returns
    -------
    randomized : a model of the same type

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.random.default_rng(0).normal(size=(6, 2))
    >>> model = LinearRegression().fit(X, X @ [1.0, 2.0])
    >>> new = randomize_model(model, random_state=0)
    >>> model.coef_.round(6), new.coef_.shape  # the user's model is unchanged
    (array([1., 2.]), (2,))
    """
    valid = randomizable_layers(model)
    names = valid if layers is None else ([layers] if isinstance(layers, str) else list(layers))
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(f"layers {unknown} are not randomizable layers of "
                         f"{type(model).__name__}; expected some of {valid}.")
    base = int(check_random_state(random_state).randint(0, 2**31 - 1))
    randomized = copy.deepcopy(model)
    if is_torch_module(randomized):
        _reset_torch(randomized, names, base)
    else:
        _reset_sklearn(_final_estimator(randomized), names, base)
    return randomized


def train_on_permuted_labels(model, X, y, *, train_fn=None, random_state=None):
    """Retrain ``model`` on randomly permuted labels (data randomization test).

    Parameters
    ----------
    model : sklearn estimator, Pipeline or torch.nn.Module
        Never modified: sklearn models are cloned; torch modules are deep-copied
        and all their layers re-initialised before training.
    X : array-like or tensor of shape (n, \\*input_shape)
    y : array-like or tensor of shape (n,)
    train_fn : callable, default=None
        ``train_fn(model, X, y) -> trained model``.  None means
        ``clone(model).fit(X, y)`` for sklearn models and, for torch modules,
        :func:`~skexplain.testing._toy_torch.train_module` (300 full-batch Adam
        steps; mean squared error for one output, cross-entropy on class
        labels for several), seeded from ``random_state``.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    trained : the model trained on permuted labels
    y_permuted : ndarray or tensor of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> X = np.random.default_rng(0).normal(size=(20, 2))
    >>> model, y_perm = train_on_permuted_labels(Ridge(), X, X[:, 0], random_state=0)
    >>> model.coef_.shape, sorted(y_perm) == sorted(X[:, 0])
    ((2,), True)
    """
    rng = check_random_state(random_state)
    perm = rng.permutation(len(y))
    y_perm = y[perm] if hasattr(y, "detach") else np.asarray(y)[perm]
    if is_torch_module(model):
        start = randomize_model(model, random_state=rng.randint(0, 2**31 - 1))
        if train_fn is None:
            from ._toy_torch import train_module

            trained = train_module(start, X, y_perm, random_state=rng.randint(0, 2**31 - 1))
        else:
            trained = train_fn(start, X, y_perm)
    elif train_fn is None:
        trained = clone(model).fit(X, y_perm)
    else:
        trained = train_fn(clone(model), X, y_perm)
    if trained is None:
        raise TypeError("train_fn must return the trained model; it returned None.")
    return trained, y_perm
