"""``ExactShapley``: interventional Shapley values by full enumeration."""
from numbers import Integral

import numpy as np

from ..base import BaseExplainer, ExplainerTags, PerturbationMixin
from ..exceptions import TooManyFeaturesError
from ..utils._param_validation import Interval
from ..utils._validation import select_rows
from ._groups import FeatureGroupsMixin
from ._link import LINK_CONSTRAINT, LinkMixin, apply_link
from ._shapley import interactions_from_table, shapley_from_table

__all__ = ["ExactShapley"]

# Bound on the coalition-value table held at once (n_rows * 2^m * n_outputs floats).
_TABLE_FLOATS = 2**23


class ExactShapley(LinkMixin, FeatureGroupsMixin, PerturbationMixin, BaseExplainer):
    """Exact interventional Shapley values over a background set.

    Every coalition value ``v(S) = mean_b f(x_S, b_notS)`` (its log-odds
    with ``link="logit"``) is computed once per row and reused for every
    feature.  A row costs at most ``(2^m - 2) * n_background + 1`` model
    rows, with ``m`` the number of features (or groups) of that row that
    differ from at least one background row: features equal to the whole
    background get exactly zero and are not enumerated.  Hybrids that
    coincide (where ``x`` equals a background row on some features, as with
    categorical or binary columns) are evaluated once.

    ``explain(X, baselines=R)`` gives each row the one-row background
    ``R[i]`` instead: ``base_values[i] = f(R[i])`` and the values are those
    of ``ExactShapley`` fitted on ``R[i:i+1]`` (see :ref:`baselines`).

    Parameters
    ----------
    model : estimator, Pipeline, torch.nn.Module or callable
        The model to explain (never modified).
    feature_groups : dict, list of lists or ndarray, default=None
        Columns switched together and credited as one feature, e.g.
        ``{"address": ["street", "city"]}``; other columns stay single.
        Values then have one feature axis of groups, (n, n_groups[, n_outputs]),
        whatever the input's shape; without groups they have the input's
        shape, (n, \\*feature_shape[, n_outputs]).
    max_features : int, default=16
        Largest number of varying features (or groups) enumerated for a row.
    interactions : bool, default=False
        Also return pairwise Shapley interaction values: ``values`` then has
        shape (n, m, m[, n_outputs]), with ``m`` the number of groups or of
        input columns (flattened in C order for n-d inputs), and each row of a
        matrix sums to the Shapley value of that feature.  ``transform`` and
        ``get_feature_names_out`` name the pair (i, j) ``"a*b"``.
    output : str, int or label, default="auto"
        Which model output to explain (see :func:`skexplain.adapters.as_model`).
    link : {"identity", "logit"}, default="identity"
        Space in which the values add up.  ``"identity"``: the model's output,
        ``base + sum(values) = f(x)``.  ``"logit"``: the log-odds of a
        probability output (``predict_proba``), as shap's ``link="logit"``:
        ``v(S) = logit(mean_b f(x_S, b_notS))``, the log-odds of the
        background-averaged probability, so that
        ``base + sum(values) = logit(f(x))`` with
        ``base = expected_value_ = logit(mean_b f(b))``.  Each class of a
        multi-class model is read one-vs-rest, ``log(p_k / (1 - p_k))``.
        This differs from ``output="decision_function"``, which averages the
        log-odds of the hybrids (for a LogisticRegression a linear game, and
        LinearSHAP's values).  Refused for outputs that are not
        probabilities; probabilities of exactly 0 or 1 are clipped to
        ``[1e-12, 1 - 1e-12]`` with an ``ApproximationWarning``.  The cost
        is the same as with the identity.
    batch_size : int, default=None
        Maximum model rows per ``predict`` call; None bounds a chunk by 64 MiB.
    n_jobs : int, default=None
        joblib workers over rows (``joblib.parallel_config`` is honoured).

    Attributes
    ----------
    model_ : skexplain.adapters.Model
    background_ : ndarray or DataFrame
    expected_value_ : float or ndarray of shape (n_outputs,)
    feature_groups_ : list of ndarray or None
    feature_names_out_ : list of str
        Names of the attributed features (group names when grouped).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> from skexplain import ExactShapley
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = LinearRegression().fit(X, y)
    >>> expl = ExactShapley(model).fit(X[:50]).explain(X[:3])
    >>> expl.values.shape
    (3, 10)
    >>> bool(abs(expl.values.sum(1) + expl.base_values - model.predict(X[:3])).max() < 1e-8)
    True
    """

    _parameter_constraints: dict = {
        **BaseExplainer._parameter_constraints,
        "feature_groups": [dict, list, tuple, np.ndarray, None],
        "max_features": [Interval(Integral, 1, 30, closed="both")],
        "interactions": ["boolean"],
        "link": LINK_CONSTRAINT,
    }

    def __init__(self, model, *, feature_groups=None, max_features=16, interactions=False,
                 output="auto", link="identity", batch_size=None, n_jobs=None):
        self.model = model
        self.feature_groups = feature_groups
        self.max_features = max_features
        self.interactions = interactions
        self.output = output
        self.link = link
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def __skexplain_tags__(self):
        # the Shapley values of a game are linear in it, but with a link the
        # game is not linear in the model
        linear = {"linearity"} if self.link == "identity" else set()
        return ExplainerTags(axioms={"efficiency", "symmetry", "dummy"} | linear,
                             estimates_shapley=True)

    def _fit(self, background):
        self._fit_feature_groups()
        self._fit_link()

    def _check_size(self, varying):
        widest = int(varying.sum(axis=1).max())
        if widest > self.max_features:
            raise TooManyFeaturesError(
                f"ExactShapley enumerates 2^m coalitions per row and a row has m={widest} "
                f"varying features, more than max_features={self.max_features}. Use "
                "KernelSHAP (a budgeted estimate with standard errors), group features with "
                "feature_groups, or raise max_features if 2^m * n_background model rows "
                "per row is affordable."
            )

    def _explain_all(self, X):
        evaluator = self._averaging_evaluator()
        group_diff = evaluator.group_differences(X)  # (n, n_background, n_groups)
        varying = group_diff.any(axis=1)
        self._check_size(varying)
        n, g, k = X.shape[0], evaluator.n_groups, self.model_.n_outputs
        phi = np.zeros((n, g, k))
        inter = np.zeros((n, g, g, k)) if self.interactions else None
        patterns, pattern_of_row = np.unique(varying, axis=0, return_inverse=True)
        n_model_rows = 0
        for p, pattern in enumerate(patterns):
            rows = np.flatnonzero(pattern_of_row.reshape(-1) == p)
            n_model_rows += self._explain_pattern(evaluator, X, rows, pattern, group_diff[rows],
                                                  phi, inter)
        base = np.tile(self._expected_value_array(), (n, 1))
        values = phi if inter is None else inter
        return self._make_explanation(X, values, base, n_model_rows=n_model_rows,
                                      interactions=bool(self.interactions))

    def _explain_pattern(self, evaluator, X, rows, pattern, group_diff, phi, inter):
        """Enumerate the coalitions of one set of varying groups for its rows."""
        active = np.flatnonzero(pattern)
        m = active.size
        per_row = 2**m * self.model_.n_outputs * evaluator.n_background
        block = max(1, _TABLE_FLOATS // per_row)
        used = 0
        for start in range(0, rows.size, block):
            sub = rows[start:start + block]
            X_sub = select_rows(X, sub)
            table, n_rows = evaluator.evaluate_subsets(
                X_sub, active, group_diff[start:start + block])
            used += n_rows
            # v(S) = link(mean_b f(x_S, b)): the link of the background average
            table = apply_link(table, self.link, self.model_)
            shap_values = shapley_from_table(table, m)
            phi[sub[:, None], active[None, :]] = shap_values
            if inter is not None:
                pair = interactions_from_table(table, m, shap_values)
                inter[sub[:, None, None], active[None, :, None], active[None, None, :]] = pair
        return used
