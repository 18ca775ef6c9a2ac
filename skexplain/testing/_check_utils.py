"""Shared pieces of the explainer checks: outcomes, thresholds and helpers.

A check is a function ``check_x(name, explainer_orig, data)``: it clones
``explainer_orig`` (through :meth:`CheckData.explainer`), measures one
property and either returns a :class:`Measurement`, raises
:class:`CheckFailure` (an ``AssertionError``) or raises :class:`SkipCheck`
(a ``unittest.SkipTest``, so pytest reports it as skipped).
"""
import numbers
import unittest
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from sklearn.base import clone

from ..utils._with_model import clone_with_model, explained_model

__all__ = [
    "DEFAULT_THRESHOLDS",
    "CheckData",
    "CheckFailure",
    "CheckFailedWarning",
    "Measurement",
    "SkipCheck",
    "assert_at_least",
    "assert_at_most",
    "check_thresholds",
    "explain_one_output",
    "output_scale",
    "relative_difference",
    "split_batch_size",
]

#: Default thresholds of the checks; override any of them with
#: ``check_explainer(..., thresholds={...})``.  Every result also reports the
#: raw statistic so that users can apply their own cut-off.  Read-only.
DEFAULT_THRESHOLDS = MappingProxyType({
    # Exact axioms, as a fraction of the output scale (max |f(x) - base|).
    # float64 models are exact to ~1e-12; float32 torch models accumulate
    # ~1e-7 relative error per operation over a few hundred terms.
    "exact_rtol": 1e-5,
    # Approximate axioms of deterministic explainers (quadrature error): 5% of
    # the output scale catches wrong formulas (errors of order one) while a
    # 50-step IntegratedGradients is off by < 0.5% on the toy MLP.
    "approximate_rtol": 0.05,
    # Approximate axioms of stochastic explainers (Monte Carlo error, which
    # depends on the budget): ExpectedGradients with its default 200 samples
    # is off by ~7-9% of the output scale on the toy MLP.
    "stochastic_rtol": 0.2,
    # Results that must not change (batch_size, n_jobs, pickling, reruns with
    # the same random_state): only floating-point reassociation is allowed.
    "invariance_rtol": 1e-6,
    # Relative RMS error of a *stochastic* Shapley estimate against
    # ExactShapley on a 4-feature problem (deterministic estimators use
    # exact_rtol).
    "shapley_agreement_rtol": 0.1,
    # Two seeds of a stochastic explainer must rank attributions alike
    # (Spearman); independent noise gives ~0, a working estimate ~1.
    "consistency_min_similarity": 0.5,
    # Mean similarity between the explanation of the trained model and those
    # of randomized models (Spearman of |attributions| for images, as in
    # Adebayo et al. 2018; signed Spearman for tabular attributions, whose
    # magnitudes follow |x - E[x]| whatever the model).  Measured on the digits
    # CNN of the docs (cascading): Saliency ~0.2, Guided Backprop ~0.7; on the
    # tabular toy problem ExactShapley stays within about 0 +- 0.2; an
    # explanation that ignores the model scores 1.  0.5 separates them.
    "randomization_max_similarity": 0.5,
})


class SkipCheck(unittest.SkipTest):
    """The check does not apply to this explainer or this data."""


class CheckFailedWarning(UserWarning):
    """Emitted by ``check_explainer(on_fail="warn")`` for each failed check."""


class CheckFailure(AssertionError):
    """A check failed; carries the measured statistic and the threshold.

    Parameters
    ----------
    message : str
        What was expected and what was measured.
    statistic : float, default=None
    threshold : float, default=None
    details : dict, default=None
        Extra measurements (e.g. one similarity per randomized layer).
    """

    def __init__(self, message, *, statistic=None, threshold=None, details=None):
        super().__init__(message)
        self.statistic = statistic
        self.threshold = threshold
        self.details = dict(details or {})


@dataclass
class Measurement:
    """What a passing check measured."""

    statistic: float = None
    threshold: float = None
    message: str = ""
    details: dict = field(default_factory=dict)


def _fmt(value):
    return f"{value:.3g}" if isinstance(value, numbers.Real) else repr(value)


def assert_at_most(statistic, threshold, what, *, details=None):
    """Return a :class:`Measurement` if ``statistic <= threshold``, else raise."""
    statistic = float(statistic)
    message = f"{what} = {_fmt(statistic)} (threshold: at most {_fmt(threshold)})"
    if not statistic <= threshold:  # also catches NaN
        raise CheckFailure(message, statistic=statistic, threshold=threshold, details=details)
    return Measurement(statistic, threshold, message, dict(details or {}))


def assert_at_least(statistic, threshold, what, *, details=None):
    """Return a :class:`Measurement` if ``statistic >= threshold``, else raise."""
    statistic = float(statistic)
    message = f"{what} = {_fmt(statistic)} (threshold: at least {_fmt(threshold)})"
    if not statistic >= threshold:
        raise CheckFailure(message, statistic=statistic, threshold=threshold, details=details)
    return Measurement(statistic, threshold, message, dict(details or {}))


def check_thresholds(thresholds):
    """Merge user thresholds into :data:`DEFAULT_THRESHOLDS` (validated)."""
    if thresholds is None:
        return dict(DEFAULT_THRESHOLDS)
    if not isinstance(thresholds, dict):
        raise TypeError(f"thresholds must be a dict or None; got {type(thresholds).__name__}.")
    unknown = sorted(set(thresholds) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise ValueError(
            f"thresholds has unknown keys {unknown}; expected some of "
            f"{sorted(DEFAULT_THRESHOLDS)}.")
    for key, value in thresholds.items():
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not ok or not np.isfinite(value) or value < 0:
            raise ValueError(
                f"thresholds[{key!r}] must be a finite non-negative number; got {value!r}.")
    return {**DEFAULT_THRESHOLDS, **{k: float(v) for k, v in thresholds.items()}}


@dataclass
class CheckData:
    """The data every check of one explainer runs on.

    Attributes
    ----------
    X : ndarray or DataFrame of shape (n_explain, \\*feature_shape)
        Rows to explain.
    background : ndarray or DataFrame of shape (n_background, \\*feature_shape)
    X_train, y : training data of the model (for data randomization), or None
    model : object or None
        Model that replaces the explainer's own (the toy model fitted when no
        data was given); None keeps the explainer's model.
    thresholds : dict
    train_fn : callable or None
        ``train_fn(model, X, y) -> model`` to retrain torch models.
    random_state : int
    description : str
        Where the data comes from (shown in messages).
    """

    X: object
    background: object
    X_train: object = None
    y: object = None
    model: object = None
    thresholds: dict = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    train_fn: object = None
    random_state: int = 0
    description: str = ""

    def explainer(self, explainer_orig, *, seed=True, **params):
        """A clone of ``explainer_orig`` with this data's model and ``params``.

        A ``model`` in ``params`` replaces this data's; either way the model
        is swapped by :func:`~skexplain.utils._with_model.clone_with_model`
        (parameters that are submodules of the old model become names).

        With ``seed=True`` a stochastic explainer gets ``random_state`` set to
        this data's seed so that results can be compared.
        """
        model = params.pop("model", self.model)
        explainer = (clone(explainer_orig) if model is None
                     else clone_with_model(explainer_orig, model))
        names = explainer.get_params(deep=False)
        if seed and "random_state" in names and "random_state" not in params:
            if explainer.__skexplain_tags__().stochastic:
                params["random_state"] = self.random_state
        if params:
            explainer.set_params(**params)
        return explainer

    def model_of(self, explainer_orig):
        """The model the checks explain."""
        return self.model if self.model is not None else explained_model(explainer_orig)


def explain_one_output(explainer, X, target=None):
    """Explain one output and return flat arrays.

    Returns
    -------
    values : ndarray of shape (n, n_features_flat)
        One value per feature (or group); interaction matrices are summed
        over their second axis into the Shapley values.
    base : ndarray of shape (n,)
    fx : ndarray of shape (n,)
        The model's value at the explained output.
    """
    model = explainer.model_
    if target is None and model.n_outputs > 1:
        target = 0  # a position: every explainer accepts it
    expl = explainer.explain(X) if target is None else explainer.explain(X, target=target)
    values = expl.values
    if expl.metadata.get("interactions"):  # a row of the (m, m) matrix sums to phi_i
        values = values.sum(axis=2)
    n = values.shape[0]
    column = 0 if target is None else model.resolve_output(target)
    fx = model.predict(X)[:, column]
    return values.reshape(n, -1), np.asarray(expl.base_values, float).reshape(n), fx


def output_scale(fx, base, explainer):
    """Scale of the explained output: max |f(x) - base| or the background spread."""
    spread = float(np.std(explainer.model_.predict(explainer.background_)))
    return max(float(np.max(np.abs(fx - base))), spread, 1e-12)


def relative_difference(a, b):
    """max |a - b| divided by max(|a|, |b|, tiny)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return np.inf
    scale = max(float(np.max(np.abs(a), initial=0)), float(np.max(np.abs(b), initial=0)), 1e-12)
    return float(np.max(np.abs(a - b), initial=0)) / scale


#: ``check_batch_size_invariance`` compares the default ``batch_size`` with one
#: that splits an explanation into about this many model calls.  A fixed tiny
#: batch (3 rows) made KernelSHAP call a model ~10^5 times on 10 features
#: (218 s on diabetes); what the check needs is only that the work is split.
N_BATCH_CALLS = 20


def split_batch_size(n_model_rows, n_calls=N_BATCH_CALLS):
    """An odd ``batch_size`` that splits ``n_model_rows`` into about ``n_calls`` calls.

    Odd, so that chunk boundaries rarely line up with the explainers' own
    blocks (mostly even: a coalition's background rows, paired coalitions).
    3 when the number of model rows is unknown (explainers that do not
    report ``metadata["n_model_rows"]``).

    Examples
    --------
    >>> split_batch_size(163840), split_batch_size(None), split_batch_size(10)
    (8193, 3, 3)
    """
    if not n_model_rows:
        return 3
    return max(3, -(-int(n_model_rows) // n_calls) | 1)
