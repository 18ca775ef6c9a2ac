"""API checks: the scikit-learn estimator contract applied to explainers.

Each check is ``check_x(name, explainer_orig, data)`` (see ``_check_utils``).
"""
import inspect
import pickle

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ._check_utils import CheckFailure, Measurement, assert_at_most, relative_difference

__all__ = [
    "check_clone",
    "check_get_params_round_trip",
    "check_no_attributes_set_in_init",
    "check_not_fitted",
    "check_fit_attributes",
    "check_pickle",
]


def check_clone(name, explainer_orig, data):
    """``clone`` returns a new explainer with equal parameters (the same model)."""
    explainer = data.explainer(explainer_orig)
    cloned = clone(explainer)
    if cloned is explainer:
        raise CheckFailure(f"clone({name}) returned the same object.")
    before, after = explainer.get_params(deep=False), cloned.get_params(deep=False)
    if set(before) != set(after):
        raise CheckFailure(f"clone({name}) changed the parameter names: {sorted(before)} -> "
                           f"{sorted(after)}.")
    for key, value in before.items():
        if key != "model" and repr(value) != repr(after[key]):
            raise CheckFailure(f"clone({name}) changed parameter {key!r}: {value!r} -> "
                               f"{after[key]!r}.")
    return Measurement(message=f"clone({name}) has the same {len(before)} parameters.")


def check_get_params_round_trip(name, explainer_orig, data):
    """``get_params`` lists exactly the ``__init__`` arguments (keyword-only after
    ``model``) and ``set_params(**get_params())`` changes nothing."""
    explainer = data.explainer(explainer_orig)
    signature = inspect.signature(type(explainer).__init__)
    args = [p for p in signature.parameters.values() if p.name != "self"]
    names = [p.name for p in args]
    if not names or names[0] != "model":
        raise CheckFailure(f"{name}.__init__ must take 'model' first; got {names}.")
    positional = [p.name for p in args[1:] if p.kind != p.KEYWORD_ONLY]
    if positional:
        raise CheckFailure(f"{name}.__init__ arguments after 'model' must be keyword-only; "
                           f"{positional} are not.")
    params = explainer.get_params(deep=False)
    if sorted(params) != sorted(names):
        raise CheckFailure(f"{name}.get_params() keys {sorted(params)} differ from the "
                           f"__init__ arguments {sorted(names)}.")
    explainer.set_params(**params)
    again = explainer.get_params(deep=False)
    changed = [k for k in params if again[k] is not params[k]]
    if changed:
        raise CheckFailure(f"{name}.set_params(**get_params()) changed {changed}.")
    return Measurement(message=f"{len(params)} parameters round-trip.")


def check_no_attributes_set_in_init(name, explainer_orig, data):
    """``__init__`` stores its arguments verbatim and sets nothing else."""
    params = explainer_orig.get_params(deep=False)
    explainer = type(explainer_orig)(**params)
    attrs = {k for k in vars(explainer) if not k.startswith("__")}
    extra = sorted(attrs - set(params))
    if extra:
        raise CheckFailure(f"{name}.__init__ sets attributes that are not parameters: {extra}. "
                           "Set them in fit (with a trailing underscore).")
    missing = sorted(set(params) - attrs)
    if missing:
        raise CheckFailure(f"{name}.__init__ does not store parameters {missing}.")
    altered = [k for k in params if getattr(explainer, k) is not params[k]]
    if altered:
        raise CheckFailure(f"{name}.__init__ modifies parameters {altered}; store them "
                           "verbatim and validate in fit.")
    return Measurement(message=f"__init__ stores exactly {sorted(params)}.")


def check_not_fitted(name, explainer_orig, data):
    """``explain`` and ``transform`` raise ``NotFittedError`` before ``fit``."""
    explainer = data.explainer(explainer_orig)
    for method in ("explain", "transform"):
        try:
            getattr(explainer, method)(data.X)
        except NotFittedError:
            continue
        except Exception as exc:
            raise CheckFailure(f"{name}.{method} before fit raised {type(exc).__name__}: {exc}; "
                               "expected sklearn.exceptions.NotFittedError.") from exc
        raise CheckFailure(f"{name}.{method} before fit did not raise NotFittedError.")
    return Measurement(message="explain and transform raise NotFittedError before fit.")


def check_fit_attributes(name, explainer_orig, data):
    """``fit`` returns ``self`` and sets ``n_features_in_``, ``model_``,
    ``background_`` and ``expected_value_`` (fitted state ends in ``_``)."""
    explainer = data.explainer(explainer_orig)
    returned = explainer.fit(data.background)
    if returned is not explainer:
        raise CheckFailure(f"{name}.fit returned {type(returned).__name__}, not self.")
    missing = [a for a in ("model_", "background_", "expected_value_", "n_features_in_")
               if not hasattr(explainer, a)]
    if missing:
        raise CheckFailure(f"{name}.fit did not set {missing}.")
    n_features = int(np.prod(np.shape(data.background)[1:]))
    if explainer.n_features_in_ != n_features:
        raise CheckFailure(f"{name}.n_features_in_ is {explainer.n_features_in_}; the "
                           f"background has {n_features} features.")
    return Measurement(message="fit returns self and sets the fitted attributes.")


def check_pickle(name, explainer_orig, data):
    """A fitted explainer survives ``pickle`` and explains identically afterwards."""
    explainer = data.explainer(explainer_orig).fit(data.background)
    expected = explainer.explain(data.X).values
    try:
        restored = pickle.loads(pickle.dumps(explainer))
    except Exception as exc:
        raise CheckFailure(f"pickling a fitted {name} raised {type(exc).__name__}: {exc}") from exc
    got = restored.explain(data.X).values
    return assert_at_most(relative_difference(expected, got), data.thresholds["invariance_rtol"],
                          "relative difference after a pickle round trip")
