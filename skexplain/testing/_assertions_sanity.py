"""``assert_passes_sanity_checks``: the randomization tests of Adebayo et al. as an assertion."""
import numpy as np

from ._registry import record
from ._sanity import data_randomization, model_parameter_randomization

__all__ = ["assert_passes_sanity_checks"]

_CHECKS = ("cascading", "independent", "data")
_ROWS = 32  # rows explained by default, as data_randomization does


def _check_arguments(explainer, y, checks):
    from ..base import BaseExplainer

    if not isinstance(explainer, BaseExplainer):
        raise TypeError(f"explainer must be a skexplain explainer (e.g. KernelSHAP(model)); "
                        f"got {type(explainer).__name__}.")
    checks = [checks] if isinstance(checks, str) else list(checks)
    unknown = [c for c in checks if c not in _CHECKS]
    if unknown or not checks:
        raise ValueError(f"checks must be a non-empty subset of {_CHECKS}; got {checks!r}.")
    if "data" in checks and y is None:
        raise ValueError("the 'data' randomization check retrains the model on permuted "
                         "labels and needs y; pass y or leave 'data' out of checks, e.g. "
                         "checks=('cascading', 'independent').")
    return checks


def _describe(report):
    steps = ", ".join(f"{step}: {s:.2f}" for step, s in
                      zip(report.steps, report.scores[report.metric].mean(axis=1)))
    return (f"{report.test}: mean {report.metric} similarity {report.statistic:.3f} "
            f"(threshold: at most {report.threshold:g}; per randomized step: {steps})")


def assert_passes_sanity_checks(explainer, X, y=None, *, checks=_CHECKS, X_explain=None,
                                background=None, target=None, threshold=0.5, n_repeats=None,
                                train_fn=None, random_state=0):
    """Assert that explanations depend on the model and on the data it learned.

    Runs the randomization sanity checks of Adebayo et al. (NeurIPS 2018):
    the explanations of the trained model are compared with those of models
    whose parameters are re-initialised (``"cascading"`` from the output
    layer down, ``"independent"`` one layer at a time) and of the model
    retrained on permuted labels (``"data"``).  An explainer passes a check
    when the mean similarity (signed Spearman correlation for tabular
    attributions, Spearman of absolute attributions for images) is at most
    ``threshold``: an explanation that survives randomization does not explain
    the model.  See :func:`model_parameter_randomization` and
    :func:`data_randomization`.

    Parameters
    ----------
    explainer : BaseExplainer
        An explainer of the trained model (neither is modified).
    X : array-like or tensor of shape (n, \\*feature_shape)
        Training rows (the model is retrained on them for ``"data"``).
    y : array-like of shape (n,), default=None
        Training labels; required by the ``"data"`` check.
    checks : sequence of {"cascading", "independent", "data"}, default=all three
    X_explain : array-like, default=None
        Rows to explain; None uses the first (at most) 32 rows of ``X``.
    background : array-like, default=None
        Background for ``fit``; None uses ``X_explain``.
    target : int, label or array-like, default=None
        Output explained; None explains each row's predicted output.
    threshold : float, default=0.5
        Largest mean similarity of a passing explainer.
    n_repeats : int, default=None
        Random draws averaged per step; None uses 5 for tabular ``X`` (few
        weights, noisy) and 1 otherwise.
    train_fn : callable, default=None
        ``train_fn(model, X, y) -> model`` for the ``"data"`` check (see
        :func:`data_randomization`).
    random_state : int, default=0

    Returns
    -------
    dict of str to SanityReport
        One report per check, when all pass.

    Raises
    ------
    AssertionError
        Listing each failed check with its similarity per randomized step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skexplain import ExactShapley
    >>> from skexplain.testing import ConstantExplainer
    >>> X = np.random.default_rng(0).normal(size=(40, 4))
    >>> y = X @ [2.0, -1.0, 0.5, 0.0]
    >>> model = Ridge().fit(X, y)
    >>> reports = assert_passes_sanity_checks(ExactShapley(model), X, y)
    >>> sorted(reports)
    ['cascading', 'data', 'independent']
    >>> assert_passes_sanity_checks(ConstantExplainer(model), X, y, checks=["data"])
    Traceback (most recent call last):
    ...
    AssertionError: ConstantExplainer fails 1 of 1 randomization sanity checks ...
    """
    __tracebackhide__ = True  # pytest shows the caller's frame, not the helper's
    checks = _check_arguments(explainer, y, checks)
    X_explain = X[:min(_ROWS, len(X))] if X_explain is None else X_explain
    if n_repeats is None:
        n_repeats = 5 if np.ndim(X_explain) == 2 else 1
    common = dict(background=background, target=target, threshold=threshold,
                  n_repeats=n_repeats, random_state=random_state)
    reports = {}
    for check in checks:
        if check == "data":
            reports[check] = data_randomization(explainer, X, y, X_explain=X_explain,
                                                train_fn=train_fn, **common)
        else:
            reports[check] = model_parameter_randomization(explainer, X_explain, mode=check,
                                                           **common)
    name = type(explainer).__name__
    failed = [r for r in reports.values() if not r.passed]
    message = (f"{name} fails {len(failed)} of {len(reports)} randomization sanity checks "
               "(Adebayo et al. 2018): its explanations barely change when the model is "
               "randomized, so they do not explain what the model learned.\n  "
               + "\n  ".join(_describe(r) for r in failed))
    for check, report in reports.items():
        record("assert_passes_sanity_checks", passed=report.passed,
               statistic=report.statistic, threshold=report.threshold,
               message="" if report.passed else _describe(report), check=check,
               metric=report.metric, explainer=name)
    if failed:
        raise AssertionError(message)
    return reports
