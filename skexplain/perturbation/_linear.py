"""``LinearSHAP``: exact Shapley values of linear models, through their preprocessing.

A linear model on features ``T(x)`` (``f(x) = W T(x) + c`` in margin space)
whose preprocessing ``T`` acts on one raw column at a time (scalers,
imputers, one-hot encoding, a ColumnTransformer of those) is additive in the
raw columns: ``f(x) = sum_i g_i(x_i) + c``.  Its interventional Shapley
values are then ``phi_i = g_i(x_i) - mean_b g_i(b_i)``, i.e. the weights of
the columns that raw column ``i`` feeds times their deviation from the
background mean, summed over the block (a one-hot block sums back to its
column, a scaler is folded in, an imputer maps NaN to its fill value).  No
sampling, O(n d).
"""
import numpy as np
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MaxAbsScaler, MinMaxScaler,
                                   OneHotEncoder, RobustScaler, StandardScaler)

from ..adapters import RESPONSE_METHODS, as_model
from ..base import BaseExplainer, ExplainerTags, PerturbationMixin
from ..exceptions import ModelTypeError
from ._hybrids import HybridBuilder

__all__ = ["LinearSHAP"]

_ONE_TO_ONE = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
_ADVICE = "Use KernelSHAP or ExactShapley, which work with any pipeline."


def _step_owners(step, n_in, where):
    """Raw input column (0..n_in-1) feeding each output column of a fitted step."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.arange(n_in)
    if isinstance(step, Pipeline):
        owners = np.arange(n_in)
        for name, sub in step.steps:
            owners = owners[_step_owners(sub, owners.size, f"{where} > {name}")]
        return owners
    if isinstance(step, ColumnTransformer):
        return _column_transformer_owners(step, n_in, where)
    if isinstance(step, _ONE_TO_ONE) or (
            isinstance(step, FunctionTransformer) and step.func is None):
        return np.arange(n_in)
    if isinstance(step, SimpleImputer):
        owners = np.arange(n_in)
        if step.add_indicator and step.indicator_ is not None:
            owners = np.concatenate([owners, np.asarray(step.indicator_.features_, dtype=int)])
        return owners
    if isinstance(step, OneHotEncoder):
        return np.repeat(np.arange(n_in), step._n_features_outs)
    raise ModelTypeError(
        f"LinearSHAP cannot attribute through the step {where} ({type(step).__name__}): it "
        "handles preprocessing that acts on one column at a time (StandardScaler, "
        "MinMaxScaler, MaxAbsScaler, RobustScaler, SimpleImputer, OneHotEncoder, "
        f"ColumnTransformer, passthrough), i.e. steps that keep the model affine per column. "
        f"{_ADVICE}")


def _column_transformer_owners(ct, n_in, where):
    positions = getattr(ct, "_transformer_to_input_indices", None)
    owners = []
    for name, trans, _ in ct.transformers_:
        cols = np.asarray(positions[name] if positions is not None else [], dtype=int)
        if (isinstance(trans, str) and trans == "drop") or cols.size == 0:
            continue
        owners.append(cols[_step_owners(trans, cols.size, f"{where} > {name}")])
    return np.concatenate(owners) if owners else np.zeros(0, dtype=int)


def _margin_model(model, output, background):
    """decision_function of a classifier, restricted to the class ``output`` if given."""
    margin = as_model(model, output="decision_function", sample=background)
    if isinstance(output, str) and output == "auto":
        return margin
    classes = list(getattr(model, "classes_", []))
    if margin.n_outputs == 1 and len(classes) == 2 and any(
            _same(c, output) for c in classes[:1]):
        raise ValueError(
            f"output={output!r}: the decision_function of a binary classifier is the margin "
            f"of class {classes[1]} (its negative is the margin of class {classes[0]}); "
            f"explain output={classes[1]} or 'auto'.")
    idx = margin.resolve_output(output)
    margin.column = idx if margin.column is None else margin.column
    margin.output_names = [margin.output_names[idx]]
    margin.output_labels = [(margin.output_labels or [None] * (idx + 1))[idx]]
    return margin


def _same(a, b):
    try:
        return bool(a == b) and not isinstance(b, bool)
    except Exception:  # pragma: no cover - exotic labels
        return False


def _dense(Z):
    Z = Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)
    return np.asarray(Z, dtype=float)


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
    refuses Pipelines.

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
    background_ : ndarray or DataFrame
    expected_value_ : float or ndarray of shape (n_outputs,)
        Mean margin over the background.
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

    def _fit(self, background):
        model = self.model
        if getattr(self.model_, "method", None) is None:
            raise ModelTypeError(
                "LinearSHAP needs a fitted scikit-learn linear model or Pipeline; got "
                f"{type(model).__name__}. {_ADVICE}")
        if is_classifier(model) and not (isinstance(self.output, str) and (
                self.output in RESPONSE_METHODS)):
            # margin space: the only space where a linear classifier is additive
            self.model_ = _margin_model(model, self.output, background)
        if self.model_.method not in ("decision_function", "predict"):
            raise ValueError(
                f"LinearSHAP explains the margin of a linear model; output={self.output!r} "
                f"selects {self.model_.method}, which is not affine. Use "
                "output='decision_function' (classifiers), output='predict' (regressors), "
                "or KernelSHAP for probabilities.")
        pre, last = ((model[:-1], model[-1]) if isinstance(model, Pipeline) and len(model) > 1
                     else (None, model[-1] if isinstance(model, Pipeline) else model))
        self._set_linear_part(last)
        n_raw = self.n_features_in_
        self.column_owner_ = (np.arange(n_raw) if pre is None
                              else _step_owners(pre, n_raw, "of the pipeline"))
        Z = self._transform(background)
        self._check_shapes(Z, last)
        weights = self.background_weights_
        self.transformed_mean_ = Z.mean(axis=0) if weights is None else weights @ Z
        margin = self.model_.predict(background)
        mean = margin.mean(axis=0) if weights is None else weights @ margin
        self.expected_value_ = float(mean[0]) if mean.shape[0] == 1 else mean
        self._check_affine(background, Z, margin)

    def _set_linear_part(self, last):
        if not hasattr(last, "coef_"):
            raise ModelTypeError(
                f"LinearSHAP needs a linear model (with coef_) as the model or the last "
                f"Pipeline step; got {type(last).__name__}. {_ADVICE}")
        coef = np.atleast_2d(np.asarray(last.coef_, dtype=float))
        intercept = np.broadcast_to(np.asarray(getattr(last, "intercept_", 0.0), dtype=float),
                                    (coef.shape[0],))
        column = self.model_.column
        if column is not None:
            coef, intercept = coef[[column]], intercept[[column]]
        self.margin_coef_ = coef
        self.margin_intercept_ = np.array(intercept, dtype=float)

    def _transform(self, X):
        if isinstance(self.model, Pipeline) and len(self.model) > 1:
            return _dense(self.model[:-1].transform(X))
        return _dense(X.to_numpy(dtype=float) if hasattr(X, "to_numpy") else X)

    def _check_shapes(self, Z, last):
        p = self.margin_coef_.shape[1]
        if Z.shape[1] != p or self.column_owner_.size != p:
            raise ModelTypeError(
                f"LinearSHAP could not map the {Z.shape[1]} transformed columns of the "
                f"pipeline to {type(last).__name__}'s {p} coefficients. {_ADVICE}")

    def _check_affine(self, background, Z, margin):
        """The output must equal W T(x) + c, and T must act column by column."""
        affine = Z @ self.margin_coef_.T + self.margin_intercept_
        scale = max(1.0, float(np.abs(margin).max()))
        if not np.allclose(affine, margin, rtol=1e-7, atol=1e-7 * scale):
            raise ModelTypeError(
                f"LinearSHAP: {self.model_.describe()} is not an affine function of its "
                f"input (checked on the background). {_ADVICE}")
        if isinstance(self.model, Pipeline) and len(self.model) > 1 and background.shape[0] > 1:
            self._check_separable(background, Z)

    def _check_separable(self, background, Z):
        """Swap random subsets of raw columns between background rows; T must follow."""
        rng = np.random.default_rng(0)
        nb, d = background.shape[0], self.n_features_in_
        partner = (np.arange(nb) + 1) % nb
        masks = rng.random((nb, d)) < 0.5
        hybrid = HybridBuilder(background).build_pairs(background, np.arange(nb), partner, masks)
        expected = np.where(masks[:, self.column_owner_], Z, Z[partner])
        if not np.allclose(self._transform(hybrid), expected, equal_nan=True):
            raise ModelTypeError(
                "LinearSHAP: the pipeline's preprocessing mixes raw columns (a transformed "
                f"column depends on several of them). {_ADVICE}")

    def _explain_all(self, X):
        Z = self._transform(X)
        if np.isnan(Z).any():
            raise ValueError(
                "X has missing values that the model's preprocessing does not impute; "
                "LinearSHAP needs finite transformed features (add a SimpleImputer).")
        owner = np.zeros((self.column_owner_.size, self.n_features_in_))
        owner[np.arange(self.column_owner_.size), self.column_owner_] = 1.0
        # phi[n, i, k] = sum_j over columns fed by i of w[k, j] (T(x)_j - mean_j)
        values = np.einsum("np,kp,pi->nik", Z - self.transformed_mean_, self.margin_coef_, owner)
        base = np.tile(self._expected_value_array(), (Z.shape[0], 1))
        return self._make_explanation(X, values, base)
