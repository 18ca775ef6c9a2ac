"""The ``link`` of the Shapley explainers: attributions in log-odds (``link="logit"``).

With a link ``g`` the game is ``v(S) = g(mean_b f(x_S, b_notS))``: the model
rows of a coalition are averaged with the background weights *first*, in
probability space, and the link is applied to that average (as
``shap.KernelExplainer(..., link="logit")`` does).  The values then add up in
log-odds: ``base + sum(phi) = g(f(x))`` with ``base = g(E_b f(b))``.

This game is not the mean of the single-reference games ``g(f(x_S, b))``
(the link of a mean is not the mean of the links), so it cannot be split by
background row as the identity game is: every coalition is evaluated on the
whole background and then linked.
"""
import warnings

import numpy as np

from ..exceptions import ApproximationWarning
from ..utils._param_validation import StrOptions
from ._coalitions import CoalitionEvaluator

__all__ = ["LINKS", "LOGIT_EPS", "LinkMixin", "apply_link"]

LINKS = ("identity", "logit")
# Probabilities are clipped to [LOGIT_EPS, 1 - LOGIT_EPS] before the logit:
# a probability of exactly 0 or 1 (pure tree leaves) has infinite log-odds.
# 1e-12 keeps the log-odds within +-27.6, far beyond any calibrated model.
LOGIT_EPS = 1e-12
# Probabilities computed in float32 (a torch softmax) may exceed 1 by rounding:
# values within this of [0, 1] are taken as probabilities (and clipped).
_SLACK = 1e-6

LINK_CONSTRAINT = [StrOptions(set(LINKS))]


def _check_probabilities(values, model, where):
    """Refuse ``link="logit"`` on values that are not probabilities."""
    values = np.asarray(values, dtype=float)
    if values.size and not (np.all(values >= -_SLACK) and np.all(values <= 1.0 + _SLACK)):
        finite = values[np.isfinite(values)]
        span = (f"[{finite.min():.6g}, {finite.max():.6g}]" if finite.size
                else "non-finite values")
        raise ValueError(
            f"link='logit' explains probabilities in [0, 1], but {model.describe()} gave "
            f"values in {span} on {where}. Use link='identity' for a regressor or for "
            "decision_function (already in log-odds for a linear classifier), or explain "
            "predict_proba.")


def apply_link(values, link, model, where="the hybrids"):
    """``link(values)``; values are checked to be probabilities for ``"logit"``.

    Parameters
    ----------
    values : ndarray
        Model outputs or their background averages.
    link : {"identity", "logit"}
    model : skexplain.adapters.Model
        Named in the error message.
    where : str
        What the values are, for the error message.

    Returns
    -------
    ndarray of the shape of ``values``

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain.adapters import as_model
    >>> from skexplain.perturbation._link import apply_link
    >>> model = as_model(lambda X: X[:, 0], sample=np.zeros((1, 1)))
    >>> apply_link(np.array([0.5, 0.75]), "logit", model).round(6)
    array([0.      , 1.098612])
    """
    if link == "identity":
        return values
    _check_probabilities(values, model, where)
    clipped = np.clip(values, LOGIT_EPS, 1.0 - LOGIT_EPS)
    n_clipped = int(np.count_nonzero(clipped != values))
    if n_clipped:
        warnings.warn(
            f"link='logit': {n_clipped} probabilities of {where} are 0 or 1 (within "
            f"{LOGIT_EPS:g}), whose log-odds are infinite; they were clipped to "
            f"[{LOGIT_EPS:g}, 1 - {LOGIT_EPS:g}], so the attributions involving them depend "
            "on that bound.", ApproximationWarning, stacklevel=3)
    return np.log(clipped) - np.log1p(-clipped)


class LinkMixin:
    """Fit-time checks of ``link`` and the base value in link space.

    ``expected_value_`` becomes ``link(mean_b f(b))``; the probability mean
    itself (the value of the empty coalition before the link) is
    :meth:`_mean_output`.
    """

    def _fit_link(self):
        if self.link == "identity":
            return
        method = getattr(self.model_, "method", None)
        if method is not None and method != "predict_proba":
            raise ValueError(
                f"link='logit' explains probabilities (predict_proba), but the model's output "
                f"is {self.model_.describe()}. Use link='identity' to explain {method} as it "
                "is, or output='predict_proba'.")
        _check_probabilities(self.background_predictions_, self.model_, "the background")
        base = apply_link(self._mean_output(), self.link, self.model_, "the background mean")
        self.expected_value_ = float(base[0]) if base.shape[0] == 1 else base

    def _averaging_evaluator(self):
        """The evaluator of ``mean_b f(x_S, b_notS)``, the game before the link."""
        return CoalitionEvaluator(
            self.model_, self.background_, background_weights=self.background_weights_,
            feature_groups=self.feature_groups_, base_value=self._mean_output(),
            background_predictions=self.background_predictions_,
            batch_size=self.batch_size, n_jobs=self.n_jobs)

    def _mean_output(self):
        """The background's mean model output, in the model's own space."""
        preds, weights = self.background_predictions_, self.background_weights_
        return preds.mean(axis=0) if weights is None else weights @ preds
