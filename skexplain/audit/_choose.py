"""Which explainer an audit uses, and why (``explainer="auto"``)."""

from ..utils._with_model import clone_with_model

__all__ = ["EXACT_MAX_UNITS", "EXPLAINERS", "COMPARE_WITH", "choose_explainer",
           "comparison_explainer", "n_units"]

#: ``explainer="auto"`` uses ExactShapley up to this many features (or groups):
#: as long as its 2^d coalitions cost at most about twice KernelSHAP's default
#: budget (2 d + 2048 coalitions), exact values are worth it.  From 13 features on
#: the exact cost is 4x and doubling with each feature, and for a model whose
#: predict dominates the cost, time follows model rows: 10 rows of wine (13
#: features, HistGradientBoosting, 3 classes, 50 background rows) took 28.1 s
#: exact (4.1 M model rows) and 10.5 s with KernelSHAP (1.0 M) on this 2-core
#: machine (loaded).  shap's ``Explainer`` switches from exact at 10 features.
EXACT_MAX_UNITS = 12

EXPLAINERS = ("auto", "exact", "kernel")
COMPARE_WITH = ("auto", "lime", "kernel", "exact", None)


def n_units(n_features, feature_groups):
    """Number of players: the groups when given, else the features."""
    return n_features if feature_groups is None else len(feature_groups)


def _kernel_budget(d):
    return 2 * d + 2048


def _build(kind, model, feature_groups, output, n_jobs, random_state, d):
    from ..perturbation import LIME, ExactShapley, KernelSHAP

    if kind == "exact":
        return ExactShapley(model, feature_groups=feature_groups, output=output,
                            max_features=max(16, min(d, 30)), n_jobs=n_jobs)
    if kind == "kernel":
        return KernelSHAP(model, feature_groups=feature_groups, output=output,
                          random_state=random_state, n_jobs=n_jobs)
    return LIME(model, feature_groups=feature_groups, output=output,
                random_state=random_state, n_jobs=n_jobs)


def choose_explainer(explainer, model, *, n_features, feature_groups, output, n_rows,
                     n_background, random_state, n_jobs):
    """The explainer to use and a sentence saying why.

    Returns
    -------
    explainer : BaseExplainer (unfitted)
    reason : str
    """
    from ..base import BaseExplainer

    d = n_units(n_features, feature_groups)
    unit = "feature groups" if feature_groups is not None else "features"
    if isinstance(explainer, BaseExplainer):
        # clone() also clones (unfits) an estimator held as ``model``: set the audited one
        given = clone_with_model(explainer, model)
        return given, (f"{type(explainer).__name__}: the explainer given (cloned and "
                       f"set to the audited model).")
    if not isinstance(explainer, str) or explainer not in EXPLAINERS:
        raise ValueError(f"explainer must be one of {list(EXPLAINERS)} or an unfitted "
                         f"skexplain explainer; got {explainer!r}.")
    exact_rows = 2 ** d * n_background * n_rows
    kernel_rows = _kernel_budget(d) * n_background * n_rows
    if explainer == "exact" and d > 30:
        raise ValueError(f"explainer='exact' needs at most 30 {unit} (2^d coalitions per "
                         f"row); got {d}. Use explainer='kernel' or feature_groups.")
    kind = explainer
    if explainer == "auto":
        kind = "exact" if d <= EXACT_MAX_UNITS else "kernel"
    built = _build(kind, model, feature_groups, output, n_jobs, random_state, d)
    if kind == "exact":
        reason = (f"ExactShapley: {d} {unit} -> {2 ** d} coalitions per row, x "
                  f"{n_background} background rows x {n_rows} rows = {exact_rows:,} model "
                  f"rows; exact Shapley values, no sampling error")
        if explainer == "auto":
            reason += (f" (auto: at most {EXACT_MAX_UNITS} {unit}; KernelSHAP would "
                       f"evaluate {min(2 ** d, _kernel_budget(d))} coalitions per row)")
        else:
            reason += " (explainer='exact' was asked for)"
    else:
        reason = (f"KernelSHAP: {d} {unit} -> {2 ** d:,} coalitions per row would cost "
                  f"{exact_rows:,} model rows exactly; KernelSHAP samples "
                  f"{_kernel_budget(d)} per row ({kernel_rows:,} model rows) and reports "
                  "standard errors")
        if explainer == "auto":
            reason += f" (auto: more than {EXACT_MAX_UNITS} {unit})"
        else:
            reason += " (explainer='kernel' was asked for)"
    return built, reason + "."


def comparison_explainer(compare_with, model, *, main_name, n_features, feature_groups,
                         output, random_state, n_jobs):
    """The second explainer of the agreement check (None when not asked for).

    ``"auto"`` is LIME: another method family (a local weighted linear
    surrogate rather than Shapley values), so agreement says the story of the
    top features does not hang on one method.  Comparing ExactShapley with
    KernelSHAP would say little: below 12 features KernelSHAP evaluates every
    coalition and returns the exact values.
    """
    if compare_with is not None and (not isinstance(compare_with, str)
                                     or compare_with not in COMPARE_WITH):
        raise ValueError(f"compare_with must be one of {list(COMPARE_WITH)}; got "
                         f"{compare_with!r}.")
    if compare_with is None:
        return None
    d = n_units(n_features, feature_groups)
    kind = "lime" if compare_with == "auto" else compare_with
    if kind == "exact" and d > 30:
        raise ValueError(f"compare_with='exact' needs at most 30 features or groups; got {d}.")
    # a different seed from the main explainer's, so kernel-vs-kernel measures sampling noise
    seed = None if random_state is None else (int(random_state) + 1) % (2 ** 31)
    return _build(kind, model, feature_groups, output, n_jobs, seed, d)


