"""Output checks: shapes, determinism, invariances, no mutation, clear errors."""
import copy

import joblib
import numpy as np
import pandas as pd

from ..adapters import is_torch_module
from ..utils._with_model import explained_model
from .metrics import spearman_rank_correlation
from ._check_utils import (CheckFailure, Measurement, SkipCheck, assert_at_least,
                           assert_at_most, relative_difference, split_batch_size)

__all__ = [
    "check_output_shapes",
    "check_explain_stateless",
    "check_random_state",
    "check_stochastic_consistency",
    "check_batch_size_invariance",
    "check_n_jobs_invariance",
    "check_inputs_not_mutated",
    "check_wrong_width",
    "check_1d_input",
    "check_nan_input",
]


def _attributed_shape(explainer, expl, feature_shape):
    """Feature axes of ``values``: the input's, one of groups, or (m, m) for interactions."""
    groups = getattr(explainer, "feature_groups_", None)
    interactions = bool(expl.metadata.get("interactions"))
    if groups is not None:
        feature_shape = (len(groups),)
    elif interactions:
        feature_shape = (int(np.prod(feature_shape)),)
    return feature_shape * 2 if interactions else feature_shape


def check_output_shapes(name, explainer_orig, data):
    """``values``, ``base_values``, ``data``, names and ``transform`` agree in shape.

    ``values`` is (n, \\*feature_shape[, k]); with ``feature_groups`` the feature
    axes are one axis of groups, with interactions two axes of (groups or
    flattened) features.  ``get_feature_names_out`` names ``transform``'s
    columns, also through ``set_output(transform="pandas")``.
    """
    explainer = data.explainer(explainer_orig).fit(data.background)
    expl = explainer.explain(data.X)
    n, feature_shape = data.X.shape[0], tuple(np.shape(data.X)[1:])
    k = expl.n_outputs
    axes = _attributed_shape(explainer, expl, feature_shape)
    expected = (n, *axes) + ((k,) if expl.has_output_axis else ())
    problems = []
    if expl.values.shape != expected:
        problems.append(f"values has shape {expl.values.shape}, expected {expected}")
    if expl.base_values.shape != ((n, k) if expl.has_output_axis else (n,)):
        problems.append(f"base_values has shape {expl.base_values.shape}")
    if expl.data is not None and expl.data.shape[0] != n:
        problems.append(f"data has {expl.data.shape[0]} rows for {n} explained rows")
    if len(axes) in (1, 2) and expl.feature_names is not None and (
            len(expl.feature_names) != axes[0]):
        problems.append(f"{len(expl.feature_names)} feature names for {axes[0]} features")
    if not np.all(np.isfinite(expl.values)):
        problems.append("values contains NaN or infinite entries")
    out = explainer.transform(data.X)
    names = explainer.get_feature_names_out()
    if out.shape != (n, len(names)):
        problems.append(f"transform gives shape {out.shape} but get_feature_names_out has "
                        f"{len(names)} names")
    elif len(set(names)) == len(names):
        frame = data.explainer(explainer_orig).set_output(transform="pandas").fit(
            data.background).transform(data.X)
        if list(frame.columns) != list(names):
            problems.append("set_output(transform='pandas') columns differ from "
                            "get_feature_names_out")
    if problems:
        raise CheckFailure(f"{name}: " + "; ".join(problems) + ".")
    return Measurement(message=f"values {expl.values.shape}, base_values "
                               f"{expl.base_values.shape}, transform {out.shape}.")


def _public_state(explainer):
    return {k: v for k, v in vars(explainer).items() if not k.startswith("__")}


def check_explain_stateless(name, explainer_orig, data):
    """``explain`` writes nothing on the explainer and gives the same result twice."""
    explainer = data.explainer(explainer_orig).fit(data.background)
    before = _public_state(explainer)
    first = explainer.explain(data.X).values
    after = _public_state(explainer)
    added = sorted(set(after) - set(before))
    replaced = sorted(k for k in before if after.get(k, before[k]) is not before[k])
    if added or replaced:
        raise CheckFailure(f"{name}.explain stored state on the explainer (added {added}, "
                           f"replaced {replaced}); an explainer may be shared by threads.")
    second = explainer.explain(data.X).values
    return assert_at_most(relative_difference(first, second), data.thresholds["invariance_rtol"],
                          "relative difference between two explain calls")


def _seeded_values(explainer_orig, data, seed):
    explainer = data.explainer(explainer_orig, random_state=seed).fit(data.background)
    return explainer.explain(data.X).values


def check_random_state(name, explainer_orig, data):
    """A stochastic explainer gives identical results for the same ``random_state``
    (randomness comes from ``random_state`` only, never from global state)."""
    if "random_state" not in explainer_orig.get_params(deep=False):
        raise CheckFailure(f"{name} is tagged stochastic but has no random_state parameter.")
    first = _seeded_values(explainer_orig, data, 0)
    second = _seeded_values(explainer_orig, data, 0)
    return assert_at_most(relative_difference(first, second), data.thresholds["invariance_rtol"],
                          "relative difference between two runs with random_state=0")


def check_stochastic_consistency(name, explainer_orig, data):
    """Two seeds estimate the same thing: their attributions rank alike.

    Independent noise has a Spearman correlation near 0; two runs of a working
    estimator are near 1.
    """
    first = _seeded_values(explainer_orig, data, 0)
    second = _seeded_values(explainer_orig, data, 1)
    rho = spearman_rank_correlation(first, second)
    return assert_at_least(rho, data.thresholds["consistency_min_similarity"],
                           "Spearman correlation of attributions from random_state=0 and 1")


def _invariance(name, explainer_orig, data, param, values, context=None):
    if param not in explainer_orig.get_params(deep=False):
        raise SkipCheck(f"{name} has no {param} parameter.")
    results = []
    for value in values:
        explainer = data.explainer(explainer_orig, **{param: value}).fit(data.background)
        if context is None:
            results.append(explainer.explain(data.X).values)
        else:
            with context():
                results.append(explainer.explain(data.X).values)
    return assert_at_most(relative_difference(results[0], results[1]),
                          data.thresholds["invariance_rtol"],
                          f"relative difference between {param}={values[0]} and {values[1]}")


def check_batch_size_invariance(name, explainer_orig, data):
    """Results do not depend on ``batch_size``: the default against a batch that
    splits the explanation into about 20 model calls (see :func:`split_batch_size`;
    3 rows when the explanation does not report ``metadata["n_model_rows"]``)."""
    if "batch_size" not in explainer_orig.get_params(deep=False):
        raise SkipCheck(f"{name} has no batch_size parameter.")
    default = data.explainer(explainer_orig, batch_size=None).fit(data.background)
    default = default.explain(data.X)
    small = split_batch_size(default.metadata.get("n_model_rows"))
    split = data.explainer(explainer_orig, batch_size=small).fit(data.background)
    return assert_at_most(relative_difference(default.values, split.explain(data.X).values),
                          data.thresholds["invariance_rtol"],
                          f"relative difference between batch_size=None and {small}")


def check_n_jobs_invariance(name, explainer_orig, data):
    """Results do not depend on ``n_jobs`` (1 against 2 threads; the threading
    backend keeps the check cheap and exercises the same seeding/chunking)."""
    return _invariance(name, explainer_orig, data, "n_jobs", (1, 2),
                       context=lambda: joblib.parallel_config(backend="threading"))


def _fingerprint(obj):
    """A comparable snapshot of data or of a model (state and hooks for torch)."""
    if isinstance(obj, pd.DataFrame):
        return obj.copy(deep=True)
    if is_torch_module(obj):
        state = {k: v.detach().clone() for k, v in obj.state_dict().items()}
        hooks = [len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
                 for m in obj.modules()]
        return state, [m.training for m in obj.modules()], hooks
    if isinstance(obj, np.ndarray):
        return obj.copy()
    try:
        return joblib.hash(obj)
    except Exception:  # unpicklable callables: nothing reliable to compare
        return None


def _same(before, after):
    if isinstance(before, pd.DataFrame):
        return before.equals(after)
    if isinstance(before, np.ndarray):
        return before.shape == after.shape and np.array_equal(
            before, after, equal_nan=before.dtype.kind == "f")
    if isinstance(before, tuple):  # torch
        state, training, hooks = before
        return (all(bool((state[k] == after[0][k]).all()) for k in state)
                and training == after[1] and hooks == after[2])
    return before == after


def check_inputs_not_mutated(name, explainer_orig, data):
    """``fit`` and ``explain`` leave X, the background and the model unchanged."""
    explainer = data.explainer(explainer_orig)
    X, background = copy.deepcopy(data.X), copy.deepcopy(data.background)
    model = explained_model(explainer)
    snaps = {"X": _fingerprint(X), "background": _fingerprint(background),
             "model": _fingerprint(model)}
    explainer.fit(background).explain(X)
    explainer.transform(X)
    now = {"X": X, "background": background, "model": model}
    changed = [k for k, snap in snaps.items()
               if snap is not None and not _same(snap, _fingerprint(now[k]) if k == "model"
                                                 else now[k])]
    if changed:
        raise CheckFailure(f"{name} mutated {changed} during fit/explain/transform; inputs and "
                           "models must never be modified (copy before changing).")
    return Measurement(message="X, background and model unchanged by fit and explain.")


def _expect_clear_error(name, what, call, needles):
    try:
        call()
    except (ValueError, TypeError) as exc:
        message = str(exc)
        missing = [n for n in needles if n not in message]
        if missing:
            raise CheckFailure(f"{name} raised {type(exc).__name__} for {what} but the message "
                               f"does not mention {missing}: {message!r}") from exc
        return Measurement(message=f"{what}: {type(exc).__name__}: {message}")
    except Exception as exc:
        raise CheckFailure(f"{name} raised {type(exc).__name__} for {what}; expected a "
                           f"ValueError or TypeError naming the problem: {exc}") from exc
    raise CheckFailure(f"{name} accepted {what} without raising an error.")


def check_wrong_width(name, explainer_orig, data):
    """Rows with one more feature than the background raise a clear error naming
    ``X`` and the number of features given."""
    explainer = data.explainer(explainer_orig).fit(data.background)
    if isinstance(data.X, pd.DataFrame):
        wider = data.X.assign(__extra__=data.X.iloc[:, -1])
    else:
        X = np.asarray(data.X)
        wider = np.concatenate([X, X[..., -1:]], axis=-1)
    given = str(wider.shape[1]) if wider.ndim == 2 else str(wider.shape[-1])
    return _expect_clear_error(name, f"X with feature shape {wider.shape[1:]}",
                               lambda: explainer.explain(wider), ["X", given])


def check_1d_input(name, explainer_orig, data):
    """A single row given as a 1-D array raises a clear error naming ``X``."""
    explainer = data.explainer(explainer_orig).fit(data.background)
    row = np.asarray(data.X)[0].reshape(-1)
    return _expect_clear_error(name, "a 1-D X", lambda: explainer.explain(row), ["X"])


def check_nan_input(name, explainer_orig, data):
    """NaN in X: an error if the model rejects NaN, finite attributions otherwise."""
    explainer = data.explainer(explainer_orig).fit(data.background)
    if isinstance(data.X, pd.DataFrame):
        numeric = [i for i, kind in enumerate(data.X.dtypes) if kind.kind == "f"]
        if not numeric:
            raise SkipCheck("X has no float column to put a NaN in.")
        X = data.X.copy()
        X.iloc[0, numeric[0]] = np.nan
    else:
        try:
            X = np.array(data.X, dtype=float, copy=True)
        except (TypeError, ValueError):
            raise SkipCheck("X is not numeric; NaN handling is the model's business.")
        X.reshape(X.shape[0], -1)[0, 0] = np.nan
    try:
        explainer.model_.predict(X)
    except Exception:
        return _expect_clear_error(name, "NaN in X (the model rejects NaN)",
                                   lambda: explainer.explain(X), [])
    try:
        values = explainer.explain(X).values
    except (ValueError, TypeError) as exc:
        return Measurement(message=f"NaN rejected with {type(exc).__name__}: {exc}")
    if not np.all(np.isfinite(values)):
        raise CheckFailure(f"{name} returned NaN attributions for an X with NaN although the "
                           "model accepts NaN.")
    return Measurement(message="the model accepts NaN and the attributions are finite.")
