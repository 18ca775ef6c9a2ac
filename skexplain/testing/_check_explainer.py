"""``check_explainer`` and ``parametrize_with_checks``.

As in scikit-learn's ``estimator_checks``, tag-gated generators
(``_yield_*_checks``) yield checks ``check_x(name, explainer_orig, data)``;
``check_explainer`` runs them and returns structured results, and
``parametrize_with_checks`` turns them into pytest parameters.
"""
import inspect
import itertools
import numbers
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from unittest import SkipTest

import pandas as pd

from . import _checks_api as api
from . import _checks_axioms as axioms
from . import _checks_output as output
from . import _checks_randomization as randomization
from ._check_utils import CheckFailedWarning, CheckFailure
from ._toy_models import make_check_data

__all__ = ["CheckResult", "CheckResults", "check_explainer", "parametrize_with_checks"]

_STATUSES = ("passed", "failed", "skipped", "xfail")


def _yield_api_checks(explainer):
    yield api.check_clone
    yield api.check_get_params_round_trip
    yield api.check_no_attributes_set_in_init
    yield api.check_not_fitted
    yield api.check_fit_attributes
    yield api.check_pickle


def _yield_output_checks(explainer):
    yield output.check_output_shapes
    yield output.check_explain_stateless
    yield output.check_inputs_not_mutated
    yield output.check_wrong_width
    yield output.check_1d_input
    yield output.check_nan_input
    params = explainer.get_params(deep=False)
    if explainer.__skexplain_tags__().stochastic:
        yield output.check_random_state
        yield output.check_stochastic_consistency
    if "batch_size" in params:
        yield output.check_batch_size_invariance
    if "n_jobs" in params:
        yield output.check_n_jobs_invariance


def _yield_axiom_checks(explainer):
    tags = explainer.__skexplain_tags__()
    claimed = set(tags.axioms) | set(tags.approximate_axioms)
    if claimed & {"efficiency", "completeness"}:
        yield axioms.check_efficiency
    if "dummy" in claimed:
        yield axioms.check_dummy
    if "symmetry" in claimed:
        yield axioms.check_symmetry
    if "linearity" in claimed:
        yield axioms.check_linearity
    if tags.estimates_shapley:
        yield axioms.check_linear_exactness
        yield axioms.check_shapley_agreement


def _yield_randomization_checks(explainer):
    yield randomization.check_model_randomization_cascading
    yield randomization.check_model_randomization_independent
    yield randomization.check_data_randomization


def _yield_all_checks(explainer):
    return itertools.chain(_yield_api_checks(explainer), _yield_output_checks(explainer),
                           _yield_axiom_checks(explainer), _yield_randomization_checks(explainer))


#: Every check by name (whether or not it applies to a given explainer).
ALL_CHECKS = {f.__name__: f for module in (api, output, axioms, randomization)
              for f in (getattr(module, n) for n in module.__all__)}


@dataclass
class CheckResult:
    """Outcome of one check on one explainer.

    Attributes
    ----------
    explainer : str
        Explainer id, e.g. ``"ExactShapley(model=Ridge)"``.
    check : str
        Check name, e.g. ``"check_efficiency"``.
    status : {"passed", "failed", "skipped", "xfail"}
    statistic, threshold : float or None
        The measured value and the cut-off it was compared with.
    message : str
    details : dict
    exception : Exception or None
        What the check raised (failed and xfail results).
    """

    explainer: str
    check: str
    status: str
    statistic: float = None
    threshold: float = None
    message: str = ""
    details: dict = field(default_factory=dict)
    exception: BaseException = None


class CheckResults(Sequence):
    """The results of :func:`check_explainer`, in the order the checks ran."""

    def __init__(self, results):
        self._results = list(results)

    def __getitem__(self, key):
        if isinstance(key, str):
            for result in self._results:
                if result.check == key:
                    return result
            raise KeyError(f"No result for check {key!r}; ran {[r.check for r in self]}.")
        return self._results[key]

    def __len__(self):
        return len(self._results)

    @property
    def failed(self):
        """list of CheckResult: the unexpected failures."""
        return [r for r in self._results if r.status == "failed"]

    @property
    def passed(self):
        """bool: no unexpected failure."""
        return not self.failed

    def to_frame(self):
        """One row per check: explainer, check, status, statistic, threshold, message.

        Returns
        -------
        pandas.DataFrame
            Columns ``explainer``, ``check``, ``status`` (``"passed"``,
            ``"failed"``, ``"skipped"``, ``"xfail"``), ``statistic``, ``threshold`` and
            ``message``, one row per check in the order they ran.

        Examples
        --------
        >>> from skexplain.testing import CheckResult, CheckResults
        >>> results = CheckResults([CheckResult("ExactShapley", "check_fit_returns_self",
        ...                                     "passed")])
        >>> results.to_frame()[["check", "status"]]
                            check  status
        0  check_fit_returns_self  passed
        """
        cols = ["explainer", "check", "status", "statistic", "threshold", "message"]
        return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in self._results],
                            columns=cols)

    def _counts(self):
        counts = {s: sum(r.status == s for r in self._results) for s in _STATUSES}
        return ", ".join(f"{n} {s}" for s, n in counts.items() if n)

    def __repr__(self):
        lines = [f"CheckResults({self._counts()})"]
        lines += [f"  FAILED {r.check}: {r.message}" for r in self.failed]
        return "\n".join(lines)


def explainer_id(explainer):
    """Readable id: the class, its model's class and other non-default parameters."""
    params = explainer.get_params(deep=False)
    signature = inspect.signature(type(explainer).__init__).parameters
    model = params.pop("model", None)
    model_name = getattr(model, "__name__", None) or type(model).__name__
    parts = [f"model={model_name}"]
    for key, value in params.items():
        default = signature[key].default if key in signature else inspect.Parameter.empty
        if default is inspect.Parameter.empty or repr(value) != repr(default):
            parts.append(f"{key}={value!r}"[:40])
    return f"{type(explainer).__name__}({','.join(parts)})"


def _run_check(check, explainer, data, reason):
    name = type(explainer).__name__
    base = dict(explainer=explainer_id(explainer), check=check.__name__)
    try:
        outcome = check(name, explainer, data)
    except SkipTest as exc:
        return CheckResult(**base, status="skipped", message=str(exc))
    except Exception as exc:  # AssertionError included: every failure is recorded
        is_failure = isinstance(exc, CheckFailure)
        return CheckResult(**base, status="xfail" if reason else "failed",
                           statistic=getattr(exc, "statistic", None),
                           threshold=getattr(exc, "threshold", None),
                           message=str(exc) if is_failure else f"{type(exc).__name__}: {exc}",
                           details=getattr(exc, "details", {}), exception=exc)
    message = outcome.message if outcome is not None else ""
    if reason:
        message += f" (expected to fail: {reason}; it passed)"
    return CheckResult(**base, status="passed", statistic=getattr(outcome, "statistic", None),
                       threshold=getattr(outcome, "threshold", None), message=message,
                       details=getattr(outcome, "details", {}))


def _validate(explainer, checks, expected_failed_checks, on_fail, verbose=0):
    if not isinstance(verbose, numbers.Integral):
        raise TypeError(f"verbose must be an integer >= 0; got {type(verbose).__name__} "
                        f"{verbose!r}.")
    if verbose < 0:
        raise ValueError(f"verbose must be an integer >= 0; got {verbose!r}.")
    if isinstance(explainer, type) or not hasattr(explainer, "__skexplain_tags__"):
        what = f"the class {explainer.__name__}" if isinstance(explainer, type) else (
            type(explainer).__name__)
        raise TypeError(f"explainer must be an explainer instance (a BaseExplainer with a "
                        f"model); got {what}.")
    if on_fail not in ("raise", "warn", None):
        raise ValueError(f"on_fail must be 'raise', 'warn' or None; got {on_fail!r}.")
    if expected_failed_checks is not None and not isinstance(expected_failed_checks, dict):
        raise TypeError("expected_failed_checks must be a dict {check name: reason} or None; "
                        f"got {type(expected_failed_checks).__name__}.")
    expected = dict(expected_failed_checks or {})
    if isinstance(checks, str):
        checks = [checks]
    selected = None if checks is None else [
        c if isinstance(c, str) else getattr(c, "__name__", repr(c)) for c in checks]
    unknown = sorted({n for n in (selected or []) + list(expected) if n not in ALL_CHECKS})
    if unknown:
        raise ValueError(f"unknown check names {unknown}; expected names from "
                         f"{sorted(ALL_CHECKS)}.")
    return expected, None if selected is None else set(selected)


def _progress(verbose, level, text):
    """Print ``text`` to stderr when ``verbose >= level`` (flushed: checks can be slow)."""
    if verbose >= level:
        print(f"[check_explainer] {text}", file=sys.stderr, flush=True)


def _describe(data):
    X, background = ("x".join(map(str, a.shape)) for a in (data.X, data.background))
    return (f"{data.description}: explaining {X} against a background of {background}; "
            f"{data.X_train.shape[0]} training rows")


def check_explainer(explainer, X=None, y=None, *, checks=None, expected_failed_checks=None,
                    on_fail="raise", thresholds=None, train_fn=None, random_state=0,
                    verbose=0):
    """Run every check that applies to ``explainer`` (chosen from its tags).

    API checks (clone, parameters, fitted state, pickling), output checks
    (shapes, determinism, ``batch_size``/``n_jobs`` invariance, no mutation,
    clear errors), the axioms the explainer claims, and the randomization
    sanity checks of Adebayo et al. (2018).

    Parameters
    ----------
    explainer : BaseExplainer
        An explainer instance with its model (never modified; checks clone it).
    X : array-like of shape (n, \\*feature_shape), default=None
        Data to check on.  Like scikit-learn's checks, the checks run on small
        fixed-size samples drawn with ``random_state``, whatever ``n``: 8 rows
        are explained against a background of 20 other rows, and the data
        randomization check retrains the model on 200 rows (fewer when ``X``
        is smaller).  None uses a built-in toy problem: an sklearn model is
        cloned and fitted on 80 rows of 5 features; a copy of a torch MLP is
        trained on random rows with learnable labels, and a copy of a torch
        CNN (first layer ``nn.Conv1d``/``nn.Conv2d``) on 80 random images of
        side 8 (16 or 32 if its forward pass needs them) labelled by where
        their mean intensity lies (top-left minus bottom-right quadrant).
    y : array-like of shape (n,), default=None
        Labels of ``X`` (data randomization; an unfitted model is fitted on
        the 200 training rows).
    checks : list of str or callables, default=None
        Run only these checks (names from ``ALL_CHECKS``).
    expected_failed_checks : dict of str to str, default=None
        ``{check name: reason}``; their failures are reported as ``"xfail"``.
    on_fail : {"raise", "warn"} or None, default="raise"
        ``"raise"`` stops at the first unexpected failure and raises it (an
        ``AssertionError`` for failed checks); ``"warn"`` emits a
        :class:`CheckFailedWarning` per failure; None only records.
    thresholds : dict, default=None
        Overrides of :data:`DEFAULT_THRESHOLDS`.
    train_fn : callable, default=None
        ``train_fn(model, X, y) -> model`` used to retrain a torch model for
        the data randomization check; None trains copies by full-batch Adam.
    random_state : int, default=0
        Seed of the checks (given to stochastic explainers) and of the rows
        drawn from ``X``.
    verbose : int, default=0
        When positive, print to stderr the data checked and, as each check
        finishes, its name, status and time; 2 and more also print each
        check's name when it starts.

    Returns
    -------
    CheckResults
        One :class:`CheckResult` per check; ``.to_frame()`` tabulates them.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from skexplain import ExactShapley
    >>> from skexplain.testing import check_explainer
    >>> results = check_explainer(ExactShapley(Ridge()), checks=["check_efficiency"])
    >>> results[0].status, results[0].statistic < 1e-10
    ('passed', True)
    """
    expected, selected = _validate(explainer, checks, expected_failed_checks, on_fail, verbose)
    data = make_check_data(explainer, X, y, thresholds=thresholds, train_fn=train_fn,
                           random_state=random_state)
    _progress(verbose, 1, f"{explainer_id(explainer)} on the {_describe(data)}")
    begin = time.perf_counter()
    applicable = list(_yield_all_checks(explainer))
    if selected is not None:
        applicable = [c for c in applicable if c.__name__ in selected]
    results = []
    for name in sorted(selected - {c.__name__ for c in applicable}) if selected else []:
        results.append(CheckResult(explainer_id(explainer), name, "skipped",
                                   message="not applicable to this explainer's tags"))
    for i, check in enumerate(applicable, 1):
        _progress(verbose, 2, f"{i}/{len(applicable)} {check.__name__} ...")
        start = time.perf_counter()
        result = _run_check(check, explainer, data, expected.get(check.__name__))
        results.append(result)
        note = f": {result.message[:120]}" if result.status != "passed" else ""
        _progress(verbose, 1, f"{i}/{len(applicable)} {check.__name__} {result.status} in "
                              f"{time.perf_counter() - start:.2f} s{note}")
        if result.status == "failed" and on_fail == "raise":
            if isinstance(result.exception, CheckFailure):
                raise CheckFailure(f"{result.explainer} failed {result.check}: "
                                   f"{result.message}", statistic=result.statistic,
                                   threshold=result.threshold,
                                   details=result.details) from result.exception
            raise result.exception
        if result.status == "failed" and on_fail == "warn":
            warnings.warn(f"{result.explainer} failed {result.check}: {result.message}",
                          CheckFailedWarning, stacklevel=2)
    results = CheckResults(results)
    _progress(verbose, 1, f"{results._counts()} in {time.perf_counter() - begin:.1f} s")
    return results


class _LazyCheckData:
    """Builds the check data of one explainer on first use (at test time)."""

    def __init__(self, explainer):
        self.explainer = explainer
        self._data = None

    def __call__(self):
        if self._data is None:
            self._data = make_check_data(self.explainer)
        return self._data


class _BoundCheck:
    """``check(explainer)`` for pytest: a check bound to its (lazy) data."""

    def __init__(self, check, data):
        self.check = check
        self.data = data
        self.__name__ = check.__name__

    def __call__(self, explainer):
        return self.check(type(explainer).__name__, explainer, self.data())

    def __repr__(self):
        return self.__name__


def _param_id(obj):
    if isinstance(obj, _BoundCheck):
        return obj.__name__
    if hasattr(obj, "__skexplain_tags__"):
        return explainer_id(obj)
    return None


def parametrize_with_checks(explainers, *, expected_failed_checks=None):
    """Pytest decorator running every applicable check on each explainer.

    Parameters
    ----------
    explainers : list of BaseExplainer
        Explainer instances (checked on the built-in toy problem).
    expected_failed_checks : callable, default=None
        ``expected_failed_checks(explainer) -> {check name: reason}``; those
        checks are marked ``xfail``.

    Returns
    -------
    decorator : ``pytest.mark.parametrize("explainer, check", ...)``
        Test ids read like ``"ExactShapley(model=Ridge)-check_efficiency"``.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from skexplain import ExactShapley
    >>> from skexplain.testing import parametrize_with_checks
    >>> @parametrize_with_checks([ExactShapley(Ridge())])
    ... def test_explainer(explainer, check):
    ...     check(explainer)
    """
    import pytest

    if isinstance(explainers, type) or not isinstance(explainers, (list, tuple)):
        raise TypeError("explainers must be a list of explainer instances; got "
                        f"{type(explainers).__name__}.")
    params = []
    for explainer in explainers:
        _validate(explainer, None, None, None)
        reasons = expected_failed_checks(explainer) if expected_failed_checks else {}
        _validate(explainer, None, reasons, None)
        data = _LazyCheckData(explainer)
        for check in _yield_all_checks(explainer):
            name = check.__name__
            marks = [pytest.mark.xfail(reason=reasons[name])] if name in reasons else []
            params.append(pytest.param(explainer, _BoundCheck(check, data), marks=marks))
    return pytest.mark.parametrize("explainer, check", params, ids=_param_id)
