"""``LinearSHAP``: exact Shapley values of linear models, through their preprocessing.

A linear model on features ``T(x)`` (``f(x) = W T(x) + c`` in margin space)
whose preprocessing ``T`` acts on one raw column at a time (scalers,
imputers, one-hot encoding, a ColumnTransformer of those) is additive in the
raw columns: ``f(x) = sum_i g_i(x_i) + c``.  Its interventional Shapley
values are then ``phi_i = g_i(x_i) - mean_b g_i(b_i)``, i.e. the weights of
the columns that raw column ``i`` feeds times their deviation from the
background mean, summed over the block (a one-hot block sums back to its
column, a scaler is folded in, an imputer maps NaN to its fill value).  No
sampling, O(n d).  The decomposition (``T``, ``W``, ``c`` and the owner of
each transformed column) comes from the model adapter
(:meth:`~skexplain.adapters.SklearnModel.linear_decomposition`).
"""
import numpy as np
from sklearn.base import is_classifier

from ..adapters import RESPONSE_METHODS, as_model, margin_model
from ..base import BaseExplainer, ExplainerTags, PerturbationMixin
from ..exceptions import ModelTypeError
from ._hybrids import HybridBuilder

__all__ = ["LinearSHAP"]

_ADVICE = "Use KernelSHAP or ExactShapley, which work with any pipeline."


def _is_classifier(model):
    try:
        return is_classifier(model)
    except (AttributeError, TypeError):  # not an estimator (a callable): _fit refuses it
        return False


class LinearSHAP(PerturbationMixin, BaseExplainer):
    """Exact interventional Shapley values of a linear model, in closed form.

    For a linear model, or a Pipeline whose last step is linear and whose
    other steps act on one column at a time (StandardScaler and the other
    scalers, SimpleImputer, OneHotEncoder, a ColumnTransformer of those,
    passthrough), ``phi_i = sum_j w_j (T(x)_j - mean_b T(b)_j)`` over the
    transformed columns ``j`` fed by raw column ``i``: attributions land on
    the raw columns (a one-hot block sums back to its column) and cost one
    ``transform`` of the rows.  Classifiers are explained in margin space
    (``decision_function``), where they are linear; shap's LinearExplainer
    refuses Pipelines.  ``explain(X, baselines=R)`` gives
    ``phi_i = sum_j w_j (T(x)_j - T(R[i])_j)`` and ``base_values = f(R[i])``.

    Parameters
    ----------
    model : fitted linear estimator or Pipeline
        The last step needs ``coef_`` (and ``intercept_``) and an output
        method that is affine in its input.
    output : str, int or label, default="auto"
        ``"auto"`` explains ``decision_function`` for classifiers (one output
        per class, or one for binary problems) and ``predict`` for
        regressors.  ``"decision_function"``, ``"predict"``, a class label or
        an output index select as in :func:`skexplain.adapters.as_model`;
        probabilities are not linear and are refused.

    Attributes
    ----------
    model_ : skexplain.adapters.Model
        The adapter of the explained output: the margin (``decision_function``)
        of a classifier, ``predict`` of a regressor.
    background_ : ndarray or DataFrame
    background_predictions_ : ndarray of shape (n_background, n_outputs)
        The margins of the background rows.
    expected_value_ : float or ndarray of shape (n_outputs,)
        Mean margin over the background.
    decomposition_ : skexplain.adapters._linear.LinearDecomposition
        ``f(x) = W T(x) + c``: the model's preprocessing ``T`` and weights.
    margin_coef_ : ndarray of shape (n_outputs, n_transformed)
        Weights of the explained outputs on the transformed columns.
    column_owner_ : ndarray of int of shape (n_transformed,)
        Raw column feeding each transformed column.
    transformed_mean_ : ndarray of shape (n_transformed,)
        Background mean of the transformed columns.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skexplain import LinearSHAP
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    >>> expl = LinearSHAP(model).fit(X[:100]).explain(X[:3])
    >>> expl.values.shape
    (3, 10)
    >>> bool(abs(expl.values.sum(1) + expl.base_values - model.predict(X[:3])).max() < 1e-8)
    True
    """

    _parameter_constraints: dict = {"model": "no_validation", "output": "no_validation"}

    def __init__(self, model, *, output="auto"):
        self.model = model
        self.output = output

    def __skexplain_tags__(self):
        return ExplainerTags(axioms={"efficiency", "symmetry", "dummy", "linearity"},
                             model_types={"sklearn"}, estimates_shapley=True)

    def _make_model(self, background):
        """The margin adapter of a classifier (where it is linear), else as asked."""
        if _is_classifier(self.model) and not (
                isinstance(self.output, str) and self.output in RESPONSE_METHODS):
            return margin_model(self.model, self.output, sample=background)
        return as_model(self.model, output=self.output, sample=background)

    def _fit(self, background):
        if getattr(self.model_, "method", None) is None:
            raise ModelTypeError(
                "LinearSHAP needs a fitted scikit-learn linear model or Pipeline; got "
                f"{type(self.model).__name__}. {_ADVICE}")
        if self.model_.method not in ("decision_function", "predict"):
            raise ValueError(
                f"LinearSHAP explains the margin of a linear model; output={self.output!r} "
                f"selects {self.model_.method}, which is not affine. Use "
                "output='decision_function' (classifiers), output='predict' (regressors), "
                "or KernelSHAP for probabilities.")
        self.decomposition_ = decomposition = self.model_.linear_decomposition(
            self.n_features_in_)
        self.margin_coef_ = decomposition.coef
        self.margin_intercept_ = decomposition.intercept
        self.column_owner_ = decomposition.column_owner
        Z = self._transform(background, "background")
        p = self.margin_coef_.shape[1]
        if Z.shape[1] != p or self.column_owner_.size != p:
            raise ModelTypeError(
                f"LinearSHAP could not map the {Z.shape[1]} transformed columns of the "
                f"pipeline to {decomposition.last_name}'s {p} coefficients. {_ADVICE}")
        weights = self.background_weights_
        self.transformed_mean_ = Z.mean(axis=0) if weights is None else weights @ Z
        self._check_affine(background, Z, self.background_predictions_)

    def _transform(self, X, name):
        """``T(X)``; rows that are not finite after the preprocessing are refused."""
        Z = self.decomposition_.transform(X)
        bad = ~np.isfinite(Z).all(axis=1)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise ValueError(
                f"{name} must give finite features after the model's preprocessing; rows "
                f"{rows[:10].tolist()}{' ...' if rows.size > 10 else ''} hold missing values (NaN that no "
                "imputer fills) or infinite values. LinearSHAP needs finite transformed "
                "features: remove those rows or add a SimpleImputer to the pipeline.")
        return Z

    def _check_affine(self, background, Z, margin):
        """The output must equal W T(x) + c, and T must act column by column."""
        affine = Z @ self.margin_coef_.T + self.margin_intercept_
        scale = max(1.0, float(np.abs(margin).max()))
        if not np.allclose(affine, margin, rtol=1e-7, atol=1e-7 * scale):
            raise ModelTypeError(
                f"LinearSHAP: {self.model_.describe()} is not an affine function of its "
                f"input (checked on the background). {_ADVICE}")
        if self.decomposition_.has_preprocessing and background.shape[0] > 1:
            self._check_separable(background, Z)

    def _check_separable(self, background, Z):
        """Swap random subsets of raw columns between background rows; T must follow."""
        rng = np.random.default_rng(0)
        nb, d = background.shape[0], self.n_features_in_
        partner = (np.arange(nb) + 1) % nb
        masks = rng.random((nb, d)) < 0.5
        hybrid = HybridBuilder(background).build_pairs(background, np.arange(nb), partner, masks)
        expected = np.where(masks[:, self.column_owner_], Z, Z[partner])
        if not np.allclose(self.decomposition_.transform(hybrid), expected, equal_nan=True):
            raise ModelTypeError(
                "LinearSHAP: the pipeline's preprocessing mixes raw columns (a transformed "
                f"column depends on several of them). {_ADVICE}")

    def _explain_all(self, X):
        Z = self._transform(X, "X")
        owner = np.zeros((self.column_owner_.size, self.n_features_in_))
        owner[np.arange(self.column_owner_.size), self.column_owner_] = 1.0
        # phi[n, i, k] = sum_j over columns fed by i of w[k, j] (T(x)_j - mean_j)
        values = np.einsum("np,kp,pi->nik", Z - self.transformed_mean_, self.margin_coef_, owner)
        base = np.tile(self._expected_value_array(), (Z.shape[0], 1))
        return self._make_explanation(X, values, base)

    def _explain_against(self, X, baselines, explain_rows):
        """The closed form against one reference per row: ``w (T(x) - T(r))``, base ``f(r)``."""
        Z, Z_ref = self._transform(X, "X"), self._transform(baselines, "baselines")
        owner = np.zeros((self.column_owner_.size, self.n_features_in_))
        owner[np.arange(self.column_owner_.size), self.column_owner_] = 1.0
        values = np.einsum("np,kp,pi->nik", Z - Z_ref, self.margin_coef_, owner)
        base = Z_ref @ self.margin_coef_.T + self.margin_intercept_
        return self._make_explanation(X, values, base, baselines=True)
