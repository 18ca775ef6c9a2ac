"""``audit()``: explain a model on a sample of rows and check the explanations."""
import contextlib
import sys
import time

import numpy as np
from sklearn.base import is_classifier

from . import _findings as F
from ._checks import AGREEMENT_ROWS, additivity, agreement
from ._checks import sanity_check as run_sanity_check
from ._choose import choose_explainer, comparison_explainer, n_units
from ._importance import importance_table
from ._validate import check_inputs, take_rows

__all__ = ["audit"]

#: Top features with a smaller share of the total get no direction finding.
EFFECT_MIN_SHARE = 0.02

_STEPS = ("explain", "importance", "sanity", "agreement", "figures")


def _sample(n, k, rng):
    """k sorted positions out of n (all of them when k >= n)."""
    return np.arange(n) if k >= n else np.sort(rng.choice(n, size=k, replace=False))


def _is_classifier(model):
    """sklearn's is_classifier, False for models without sklearn tags (functions, torch)."""
    try:
        return is_classifier(model)
    except (AttributeError, TypeError):
        return False


def _output_for(model):
    if _is_classifier(model):
        return "predict_proba" if hasattr(model, "predict_proba") else "auto"
    return "predict" if hasattr(model, "fit") and hasattr(model, "predict") else "auto"


def _main_output(expl, classifier):
    """Index of the main view's output (None: every class, summed) and a note saying so."""
    if not expl.has_output_axis:
        return None, "the model's prediction"
    names = expl.output_names
    if expl.n_outputs == 1:
        return 0, f"output {names[0]}"
    if classifier and expl.n_outputs == 2:
        return 1, (f"the predicted probability of the positive class {names[1]} (for two "
                   f"classes the attributions of class {names[0]} are their negatives)")
    return None, ("the sum over classes of |attribution| (per-class values in the per-class "
                  "section)")


def _target_words(expl, k, classifier):
    if not expl.has_output_axis:
        return "the prediction"
    name = expl.output_names[k]
    return f"the predicted probability of class {name}" if classifier else f"output {name}"


def _column(X, expl, name, groups):
    if hasattr(X, "columns"):
        # feature names are strings; a DataFrame's columns may be integers (pd.DataFrame(a))
        where = [i for i, c in enumerate(X.columns) if str(c) == name]
        return X.iloc[:, where[0]].to_numpy() if where else None
    return None if groups is not None else np.asarray(X)[:, list(expl.feature_names).index(name)]


def _effect_findings(expl, X_rows, table, top, main, classifier, groups):
    out = []
    values = np.asarray(expl.values, dtype=float)
    head = table.iloc[:top]
    # a feature with a tiny share has attributions near zero: their sign is noise
    for name in head["feature"][head["share"] >= EFFECT_MIN_SHARE]:
        x = _column(X_rows, expl, name, groups)
        if x is None:
            continue
        j = list(expl.feature_names).index(name)
        k = main if main is not None else int(np.argmax(np.abs(values[:, j]).mean(axis=0)))
        phi = values[:, j] if values.ndim == 2 else values[:, j, k]
        target = _target_words(expl, k, classifier) if values.ndim == 3 else "the prediction"
        gen = F.categorical_finding if F.is_categorical(x) else F.direction_finding
        out += gen(name, x, phi, target)
    return out


def _score(model, X, y, classifier):
    if y is None or not hasattr(model, "score"):
        return None
    name = "accuracy" if classifier else ("R^2" if hasattr(model, "predict") else "score")
    return {"name": name, "value": float(model.score(X, y))}


def audit(model, X, y=None, *, explainer="auto", background=None, feature_groups=None,
          n_rows=100, n_background=50, compare_with="auto", sanity_check=True, top=5,
          random_state=0, n_jobs=None, verbose=0):
    """Explain a model on a sample of rows, check the explanations, report in plain words.

    Parameters
    ----------
    model : fitted estimator, Pipeline, or anything skexplain explainers accept
        Classifiers are explained on ``predict_proba`` (one output per class),
        regressors on ``predict``.  DataFrames with string or categorical
        columns reach a Pipeline as they are; attributions land on raw columns.
        Never modified (the sanity check refits a clone).
    X : DataFrame or array-like of shape (n, d)
        The data to audit.  ``n_rows`` of its rows are explained.
    y : array-like of shape (n,), default=None
        True targets of ``X``.  Enables the model's score on the data given
        and the data-randomization sanity check (skipped without it).
    explainer : {"auto", "exact", "kernel"} or skexplain explainer, default="auto"
        ``"auto"``: ExactShapley for at most 12 features or feature groups
        (its 2^d coalitions then cost at most about twice KernelSHAP's
        default budget of 2 d + 2048), KernelSHAP beyond; the report says
        which was used and why.
        An unfitted explainer instance is cloned, set to ``model`` and used
        as given.
    background : DataFrame or array-like, default=None
        Reference rows; None draws ``n_background`` rows of ``X`` at random
        (seeded), and the report says so.
    feature_groups : dict or list, default=None
        Explain groups of columns together (as in ExactShapley).
    n_rows : int, default=100
        Rows of ``X`` explained (a seeded sample; all rows when ``X`` is
        smaller).  With ``n_background=50`` this keeps the diabetes demo
        (10 features, ExactShapley) to a few seconds of explaining on 2 cores.
    n_background : int, default=50
        Background rows drawn from ``X`` when ``background`` is None.  The
        cost of every Shapley explainer is proportional to ``n_rows x
        n_background``; 50 rows keep the base value's sampling error small
        compared with the attributions of the top features.
    compare_with : {"auto", "lime", "kernel", "exact"} or None, default="auto"
        Second explainer of the agreement check, on up to 50 of the explained
        rows.  ``"auto"`` is LIME: a different method family (a local linear
        surrogate, not Shapley values), so agreement says the story of the
        top features does not hang on one method; ExactShapley against
        KernelSHAP would say little since KernelSHAP enumerates every
        coalition below 12 features and returns the exact values.
    sanity_check : bool, default=True
        Run the data-randomization test (Adebayo et al., 2018) on 20 rows:
        clones of the model refitted on three permutations of the labels
        must get different explanations (mean signed Spearman <= 0.5).
        Needs ``y`` and a scikit-learn estimator.
    top : int, default=5
        Number of top features (findings, dependence plots, agreement).
    random_state : int or None, default=0
        Seed of the row samples, the bootstrap and the stochastic explainers.
    n_jobs : int, default=None
        Passed to the explainers.
    verbose : int, default=0
        ``> 0`` shows a progress bar (tqdm, on stderr) over the steps
        explain, importance, sanity, agreement and figures.

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skexplain import audit
    >>> X = np.random.default_rng(0).normal(size=(60, 3))
    >>> y = 3 * X[:, 0] - X[:, 1]
    >>> report = audit(LinearRegression().fit(X, y), X, y, n_rows=20, compare_with=None)
    >>> report.explainer_name, report.top_features[0]
    ('ExactShapley', 'x0')
    >>> list(report.to_frame().columns[:4])
    ['feature', 'mean_abs', 'ci_low', 'ci_high']
    """
    from ._figures import make_figures
    from ._report import AuditReport

    X, y, background, n_rows, n_background, top = check_inputs(
        X, y, background, n_rows=n_rows, n_background=n_background, top=top,
        random_state=random_state, verbose=verbose)
    rows, X_rows, background, bg_note = _samples(X, background, n_rows, n_background,
                                                 random_state)
    classifier, output = _is_classifier(model), _output_for(model)
    main_explainer, reason = choose_explainer(
        explainer, model, n_features=X.shape[1], feature_groups=feature_groups, output=output,
        n_rows=len(rows), n_background=background.shape[0], random_state=random_state,
        n_jobs=n_jobs)
    agreement_note = "Skipped: compare_with=None."
    if isinstance(compare_with, str) and compare_with == "auto" and background.shape[0] < 2:
        # LIME samples each column from the background: one row gives it nothing to perturb
        compare_with, agreement_note = None, (
            "Skipped: compare_with='auto' uses LIME, which needs at least 2 background rows "
            f"to perturb; got {background.shape[0]}.")
    other = comparison_explainer(
        compare_with, model, main_name=type(main_explainer).__name__, n_features=X.shape[1],
        feature_groups=feature_groups, output=output, random_state=random_state, n_jobs=n_jobs)
    with _Progress(verbose) as progress:
        with progress.step("explain"):
            fitted = main_explainer.fit(background)
            expl = fitted.explain(X_rows)
            predictions = fitted.model_.predict(X_rows)
        with progress.step("importance"):
            main, main_note = _main_output(expl, classifier)
            table = importance_table(expl, main, random_state=random_state)
            top = min(top, len(table))
            add = (additivity(expl, predictions)
                   if "efficiency" in fitted.__skexplain_tags__().axioms else None)
            score = _score(model, X, y, classifier)
            null = F.is_null(expl.values, predictions)
        with progress.step("sanity"):
            if null:  # the similarity of two noise vectors would pass or fail by chance
                sanity = {"ran": False, "passed": False, "reason": (
                    "failed (not run): every attribution is zero, so the explanations "
                    "cannot reflect anything the model learned.")}
            elif n_units(X.shape[1], feature_groups) < 2:
                sanity = {"ran": False, "reason": (
                    "skipped: it compares the ranking of the features within each row, and "
                    "a single feature has no ranking to compare.")}
            elif sanity_check:
                sanity = run_sanity_check(main_explainer, model, X, y, X_rows, background,
                                          random_state)
            else:
                sanity = {"ran": False, "reason": "skipped: sanity_check=False."}
        with progress.step("agreement"):
            if null and other is not None:
                other, agreement_note = None, ("Skipped: every attribution is zero, so the "
                                               "explainers have nothing to agree on.")
            agree = _agreement(other, background, X_rows, expl, table, top)
        if null:  # noise: no ranking, direction or agreement to report
            described = F.null_findings(expl.values)
            agreed = []
        else:
            described = (F.concentration_findings(table) + F.order_findings(table, top)
                         + _effect_findings(expl, X_rows, table, top, main, classifier,
                                            feature_groups)
                         + F.negligible_findings(table))
            agreed = F.agreement_findings(agree, type(fitted).__name__,
                                          agree["other"] if agree else "")
        findings = (described + F.score_findings(score) + F.sanity_findings(sanity) + agreed
                    + F.additivity_findings(add, type(fitted).__name__))
        with progress.step("figures"):
            row_ids = list(X_rows.index) if hasattr(X_rows, "index") else [int(r) for r in rows]
            figures = make_figures(expl, table, main, top, predictions, classifier, row_ids)
    return AuditReport(
        explanation=expl, importance=table, top_features=list(table["feature"].iloc[:top]),
        explainer_name=type(fitted).__name__, explainer_reason=reason, task=(
            "classification" if classifier else "regression"), main_output=main,
        main_view=main_note, sanity=sanity, agreement=agree, additivity=add, score=score,
        findings=findings, figures=figures, details=_details(
            model, X, y, rows, background, bg_note, random_state, progress.timings, fitted,
            agreement_note))


class _Progress:
    """tqdm bar over the audit's steps (stderr, only when verbose > 0) and their timings."""

    def __init__(self, verbose):
        self.verbose, self.timings = verbose, {}

    def __enter__(self):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=len(_STEPS), disable=self.verbose <= 0, file=sys.stderr,
                        desc="audit")
        return self

    def __exit__(self, *exc):
        self.bar.close()

    @contextlib.contextmanager
    def step(self, name):
        self.bar.set_postfix_str(name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        self.bar.update(1)


def _samples(X, background, n_rows, n_background, random_state):
    """Explained rows (positions and data), the background and a sentence about it."""
    rng = np.random.default_rng(random_state)
    rows = _sample(X.shape[0], n_rows, rng)
    if background is not None:
        return rows, take_rows(X, rows), background, (
            f"the {background.shape[0]} rows given as background")
    bg_rows = _sample(X.shape[0], n_background, rng)
    note = (f"{len(bg_rows)} rows of X drawn at random (seed {random_state}); attributions "
            "explain f(x) minus the model's mean over them")
    return rows, take_rows(X, rows), take_rows(X, bg_rows), note


def _agreement(other, background, X_rows, expl, table, top):
    """The second explainer on the first (up to) AGREEMENT_ROWS explained rows."""
    if other is None:
        return None
    m = min(AGREEMENT_ROWS, expl.n_rows)
    other_values = other.fit(background).explain(take_rows(X_rows, np.arange(m))).values
    names = list(expl.feature_names)
    top_index = [names.index(f) for f in table["feature"].iloc[:max(top, 3)]]
    agree = agreement(expl.values[:m], other_values, top_index, k=top)
    agree.update(other=type(other).__name__, n_rows=m,
                 top_k_main=[names[i] for i in agree["top_k_main"]],
                 top_k_other=[names[i] for i in agree["top_k_other"]])
    return agree


def _details(model, X, y, rows, background, bg_note, random_state, timings, fitted,
             agreement_note):
    from .. import __version__

    if hasattr(X, "dtypes"):
        types = {str(c): str(t) for c, t in X.dtypes.items()}
    else:
        types = {"all columns": str(X.dtype)}
    return {"model": repr(model), "model_name": model_name(model),
            "data_shape": [int(s) for s in X.shape],
            "column_types": types, "y_given": y is not None,
            "rows_explained": int(len(rows)),
            "rows_note": (f"{len(rows)} of {X.shape[0]} rows of X" + (
                f", drawn at random (seed {random_state})" if len(rows) < X.shape[0] else "")),
            "background": bg_note, "n_background": int(background.shape[0]),
            "random_state": random_state, "skexplain_version": __version__,
            "explainer_params": {k: repr(v) for k, v in fitted.get_params(deep=False).items()
                                 if k != "model"},
            "timings_s": timings, "agreement_note": agreement_note}


def model_name(model):
    """A short name: the class, or a Pipeline's steps (``ColumnTransformer -> Ridge``)."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        return " -> ".join(type(est).__name__ for _, est in steps
                           if est is not None and not isinstance(est, str))
    return getattr(model, "__name__", None) or type(model).__name__
