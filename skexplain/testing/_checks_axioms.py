"""Axiom checks: run only for the axioms an explainer claims in its tags.

Exact claims (``tags.axioms``) are held to ``thresholds["exact_rtol"]``,
approximate ones (``tags.approximate_axioms``) to ``"approximate_rtol"``
(``"stochastic_rtol"`` for stochastic explainers); all are fractions of the
output scale ``max |f(x) - base|``.  Dummy, symmetry,
linearity and linear exactness use toy models with known attributions (see
``_toy_models``): a ReLU net, or a linear model for explainers that only
accept linear models.
"""
import numpy as np

from ._check_utils import (CheckFailure, SkipCheck, assert_at_most, explain_one_output,
                           output_scale)
from ._toy_models import (N_AXIOM_FEATURES, axiom_data, linear_weights, make_toy_model,
                          toy_model_type)

__all__ = [
    "check_efficiency",
    "check_dummy",
    "check_symmetry",
    "check_linearity",
    "check_linear_exactness",
    "check_shapley_agreement",
]


def _tolerance(explainer, axioms, data):
    """(threshold, "exact" or "approximate") for the first claimed of ``axioms``."""
    tags = explainer.__skexplain_tags__()
    if set(axioms) & set(tags.axioms):
        return data.thresholds["exact_rtol"], "exact"
    if tags.stochastic:
        return data.thresholds["stochastic_rtol"], "approximate, stochastic"
    return data.thresholds["approximate_rtol"], "approximate"


def _explain_toys(name, explainer_orig, data, kinds, *, linear=(False, True)):
    """Explain the axiom rows with toy models of ``kinds``, ReLU nets first.

    Returns ``(results, description)`` with one ``(values, base, fx, scale,
    groups)`` per kind (``groups``: the explainer's ``feature_groups_``).
    Explainers that refuse a ReLU net (e.g. linear-only ones) get the linear
    toy models.
    """
    try:
        mtype = toy_model_type(explainer_orig)
        make_toy_model(kinds[0], mtype, linear=linear[0])
    except ImportError as exc:
        raise SkipCheck(f"the toy model needs an optional dependency: {exc}") from exc
    X, background = axiom_data()
    errors = []
    for is_linear in linear:
        try:
            results = []
            for kind in kinds:
                model = make_toy_model(kind, mtype, linear=is_linear)
                explainer = data.explainer(explainer_orig, model=model).fit(background)
                values, base, fx = explain_one_output(explainer, X)
                results.append((values, base, fx, output_scale(fx, base, explainer),
                                getattr(explainer, "feature_groups_", None)))
        except (TypeError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        family = "linear" if is_linear else "ReLU"
        return results, f"{family} {mtype} toy model"
    raise CheckFailure(f"{name} could not explain the toy models: {errors}")


def _alone(groups, feature):
    """Column of the values crediting ``feature`` alone (explainers with feature groups)."""
    feature %= N_AXIOM_FEATURES
    if groups is None:
        return feature
    for g, cols in enumerate(groups):
        if list(cols) == [feature]:
            return g
    raise SkipCheck(f"feature {feature} of the toy model shares a feature group; the check "
                    "needs it alone.")


def _group_sums(values, groups):
    """Per-feature values summed over each feature group (unchanged without groups)."""
    if groups is None:
        return values
    return np.stack([values[:, np.asarray(cols)].sum(axis=1) for cols in groups], axis=1)


def check_efficiency(name, explainer_orig, data):
    """Attributions of a row sum to ``f(x) - base_value`` (efficiency/completeness)."""
    explainer = data.explainer(explainer_orig).fit(data.background)
    values, base, fx = explain_one_output(explainer, data.X)
    gap = np.abs(values.sum(axis=1) - (fx - base))
    scale = output_scale(fx, base, explainer)
    tol, kind = _tolerance(explainer, ("efficiency", "completeness"), data)
    return assert_at_most(gap.max() / scale, tol,
                          f"max |sum(values) - (f(x) - base)| / output scale ({kind} claim)",
                          details={"output_scale": scale, "max_gap": float(gap.max())})


def check_dummy(name, explainer_orig, data):
    """A feature the model ignores gets (about) zero attribution."""
    results, desc = _explain_toys(name, explainer_orig, data, ["dummy"])
    values, _, _, scale, groups = results[0]
    tol, kind = _tolerance(explainer_orig, ("dummy",), data)
    return assert_at_most(np.abs(values[:, _alone(groups, -1)]).max() / scale, tol,
                          f"max |value of the ignored feature| / output scale on a {desc} "
                          f"({kind} claim)")


def check_symmetry(name, explainer_orig, data):
    """Two features the model treats alike, with equal values, get equal attributions."""
    results, desc = _explain_toys(name, explainer_orig, data, ["symmetric"])
    values, _, _, scale, groups = results[0]
    tol, kind = _tolerance(explainer_orig, ("symmetry",), data)
    first, second = values[:, _alone(groups, 0)], values[:, _alone(groups, 1)]
    return assert_at_most(np.abs(first - second).max() / scale, tol,
                          f"max |phi_0 - phi_1| / output scale for x0 == x1 on a {desc} "
                          f"({kind} claim)")


def check_linearity(name, explainer_orig, data):
    """Attributions of ``f + g`` are those of ``f`` plus those of ``g``."""
    (f, g, both), desc = _explain_toys(name, explainer_orig, data, ["dummy", "symmetric", "sum"])
    scale = max(f[3], g[3], both[3])
    tol, kind = _tolerance(explainer_orig, ("linearity",), data)
    gap = np.abs(both[0] - (f[0] + g[0])).max() / scale
    return assert_at_most(gap, tol, f"max |phi(f + g) - phi(f) - phi(g)| / output scale on "
                                    f"{desc}s ({kind} claim)")


def check_linear_exactness(name, explainer_orig, data):
    """On a linear model, Shapley estimates equal ``w_i (x_i - mean_b x_i)``."""
    results, desc = _explain_toys(name, explainer_orig, data, ["dummy"], linear=(True,))
    values, _, _, scale, groups = results[0]
    X, background = axiom_data()
    w, _ = linear_weights("dummy")
    expected = _group_sums(w * (X - background.mean(axis=0)), groups)
    stochastic = explainer_orig.__skexplain_tags__().stochastic
    tol = data.thresholds["approximate_rtol" if stochastic else "exact_rtol"]
    return assert_at_most(np.abs(values - expected).max() / scale, tol,
                          f"max |phi - w (x - mean_b x)| / output scale on a {desc}")


def check_shapley_agreement(name, explainer_orig, data):
    """A Shapley estimator agrees with :class:`~skexplain.ExactShapley` on a
    4-feature problem (relative RMS error)."""
    from ..perturbation import ExactShapley

    if type(explainer_orig) is ExactShapley:
        raise SkipCheck("ExactShapley is the reference.")
    results, desc = _explain_toys(name, explainer_orig, data, ["nonlinear"])
    values, _, _, _, _ = results[0]
    X, background = axiom_data()
    family_linear = desc.startswith("linear")
    model = make_toy_model("nonlinear", toy_model_type(explainer_orig), linear=family_linear)
    groups = explainer_orig.get_params(deep=False).get("feature_groups")
    exact = ExactShapley(model, feature_groups=groups).fit(background)
    reference, _, _ = explain_one_output(exact, X)
    error = np.linalg.norm(values - reference) / max(np.linalg.norm(reference), 1e-12)
    stochastic = explainer_orig.__skexplain_tags__().stochastic
    tol = data.thresholds["shapley_agreement_rtol" if stochastic else "exact_rtol"]
    return assert_at_most(error, tol, f"||phi - phi_exact|| / ||phi_exact|| on a {desc}")
