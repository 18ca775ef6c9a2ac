"""Per-row baselines (``explain(X, baselines=R)``) for the perturbation explainers.

Row i is explained against the one reference ``R[i]``: tested against the
permutation definition with a one-row background, against a fresh explainer
fitted on that row alone, and against closed forms (LinearSHAP, Occlusion)."""
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from _truth import nonlinear_f, permutation_shapley
from skexplain import LIME, ExactShapley, KernelSHAP, LinearSHAP, Occlusion


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))


def _state(explainer):
    return {k: v for k, v in vars(explainer).items()}


def test_exact_equals_the_permutation_definition_against_each_row(data):
    bg, X, R = data
    explainer = ExactShapley(nonlinear_f).fit(bg)
    before = _state(explainer)
    R_before = R.copy()
    expl = explainer.explain(X, baselines=R)
    for i in range(X.shape[0]):
        truth = permutation_shapley(nonlinear_f, X[i], R[i:i + 1])
        np.testing.assert_allclose(expl.values[i], truth, atol=1e-12)
    np.testing.assert_allclose(expl.base_values, nonlinear_f(R), atol=1e-12)
    np.testing.assert_allclose(expl.values.sum(1), nonlinear_f(X) - nonlinear_f(R), atol=1e-12)
    assert expl.metadata["baselines"] is True and expl.metadata["n_references"] == 5
    # nothing stored on the explainer, the background untouched, R not mutated
    after = _state(explainer)
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)
    np.testing.assert_array_equal(R, R_before)
    np.testing.assert_allclose(explainer.explain(X).base_values, nonlinear_f(bg).mean())


def test_exact_equals_a_fresh_explainer_fitted_on_the_row(data):
    bg, X, R = data
    expl = ExactShapley(nonlinear_f).fit(bg).explain(X, baselines=R)
    for i in range(X.shape[0]):
        alone = ExactShapley(nonlinear_f).fit(R[i:i + 1]).explain(X[i:i + 1])
        np.testing.assert_allclose(expl.values[i:i + 1], alone.values, atol=1e-12)
        np.testing.assert_allclose(expl.base_values[i:i + 1], alone.base_values, atol=1e-12)


def test_rows_sharing_a_reference_keep_their_order(data):
    bg, X, R = data
    refs = R[[0, 1, 0, 1, 2]]
    expl = ExactShapley(nonlinear_f).fit(bg).explain(X, baselines=refs)
    row_by_row = [ExactShapley(nonlinear_f).fit(refs[i:i + 1]).explain(X[i:i + 1])
                  for i in range(5)]
    np.testing.assert_allclose(expl.values, np.concatenate([e.values for e in row_by_row]))
    np.testing.assert_array_equal(expl.data, X)
    assert expl.metadata["n_references"] == 3
    assert expl.metadata["n_model_rows"] == sum(e.metadata["n_model_rows"] for e in row_by_row)


@pytest.mark.parametrize("single", ["row", "flat", "scalar"])
def test_one_reference_for_every_row(data, single):
    bg, X, R = data
    explainer = ExactShapley(nonlinear_f).fit(bg)
    ref = np.full((1, 4), 0.5) if single != "flat" else R[2]
    given = {"row": ref, "flat": ref, "scalar": 0.5}[single]
    expl = explainer.explain(X, baselines=given)
    full = explainer.explain(X, baselines=np.repeat(np.reshape(ref, (1, 4)), 5, axis=0))
    np.testing.assert_allclose(expl.values, full.values, atol=1e-12)
    np.testing.assert_allclose(expl.base_values, full.base_values, atol=1e-12)
    assert expl.metadata["n_references"] == 1


def test_kernel_shap_keeps_its_guarantees_per_reference():
    rng = np.random.default_rng(1)
    bg, X, R = rng.normal(size=(30, 8)), rng.normal(size=(4, 8)), rng.normal(size=(4, 8))

    def f(Z):
        return np.sin(Z[:, 0]) * Z[:, 1] + Z[:, 2:].sum(1) ** 2 / 8

    kw = dict(n_samples=60, random_state=0)
    expl = KernelSHAP(f, **kw).fit(bg).explain(X, baselines=R)
    # efficiency is exact (constrained solve) with the reference's value as base
    np.testing.assert_allclose(expl.values.sum(1), f(X) - f(R), atol=1e-10)
    np.testing.assert_allclose(expl.base_values, f(R), atol=1e-12)
    assert expl.stderr.shape == expl.values.shape and np.all(expl.stderr >= 0)
    assert np.any(expl.stderr > 0)  # 60 samples of 254 coalitions: an estimate
    for i in range(4):
        alone = KernelSHAP(f, **kw).fit(R[i:i + 1]).explain(X[i:i + 1])
        np.testing.assert_allclose(expl.values[i:i + 1], alone.values, atol=1e-12)
        np.testing.assert_allclose(expl.stderr[i:i + 1], alone.stderr, atol=1e-12)
    exact = ExactShapley(f).fit(bg).explain(X, baselines=R).values
    assert np.all(np.abs(expl.values - exact) <= 6 * expl.stderr + 1e-9)


@pytest.mark.parametrize("kw", [{}, {"n_jobs": 2}, {"batch_size": 7}, {"paired": False},
                                {"feature_groups": [[0, 1], [2], [3]]}])
def test_kernel_shap_rows_sharing_references_equal_one_row_fits(data, kw):
    bg, X, R = data
    refs = R[[0, 1, 0, 0, 2]]
    refs[4, 1] = X[4, 1]  # a feature equal to its reference: a dummy of that game

    def f(Z):
        return nonlinear_f(Z) + np.sin(Z[:, 0] * Z[:, 3])

    params = dict(n_samples=10, random_state=3, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few samples: NaN standard errors are expected
        expl = KernelSHAP(f, **params).fit(bg).explain(X, baselines=refs)
        for i in range(5):
            alone = KernelSHAP(f, **params).fit(refs[i:i + 1]).explain(X[i:i + 1])
            np.testing.assert_allclose(expl.values[i:i + 1], alone.values, atol=1e-12)
            np.testing.assert_allclose(expl.stderr[i:i + 1], alone.stderr, atol=1e-12)
    np.testing.assert_allclose(expl.values.sum(1), f(X) - f(refs), atol=1e-10)
    if "feature_groups" not in kw:
        assert expl.values[4, 1] == 0.0
    assert expl.metadata["n_references"] == 3


def test_kernel_shap_against_dataframe_references():
    pipe, df = _pipeline_data()
    X, R = df.iloc[:4], df.iloc[[10, 11, 10, 12]]
    kw = dict(n_samples=8, random_state=0)
    expl = KernelSHAP(pipe, **kw).fit(df.iloc[20:40]).explain(X, baselines=R)
    exact = ExactShapley(pipe).fit(df.iloc[20:40]).explain(X, baselines=R)
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)  # 3 features: enumerated
    np.testing.assert_allclose(expl.base_values, pipe.predict_proba(R), atol=1e-12)


def test_kernel_shap_tol_per_reference(data):
    bg, X, R = data
    expl = KernelSHAP(nonlinear_f, n_samples=400, tol=1e-3, random_state=0).fit(bg).explain(
        X, baselines=R)
    assert len(expl.metadata["converged"]) == 5
    np.testing.assert_allclose(expl.values.sum(1), nonlinear_f(X) - nonlinear_f(R), atol=1e-10)


def _classifier():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    return GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y), X


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP, Occlusion])
def test_logit_link_base_is_the_link_of_the_reference(cls):
    model, data = _classifier()
    X, R = data[:4], data[10:14]
    kw = {"random_state": 0} if cls is KernelSHAP else {}
    expl = cls(model, link="logit", **kw).fit(data[50:80]).explain(X, baselines=R)
    p_ref, p_x = model.predict_proba(R), model.predict_proba(X)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    np.testing.assert_allclose(expl.base_values, logit(p_ref), atol=1e-10)
    if cls is not Occlusion:  # additive in log-odds
        np.testing.assert_allclose(expl.values.sum(1), logit(p_x) - logit(p_ref), atol=1e-10)
        alone = cls(model, link="logit", **kw).fit(R[1:2]).explain(X[1:2])
        np.testing.assert_allclose(expl.values[1:2], alone.values, atol=1e-10)


def test_occlusion_replaces_each_feature_by_the_rows_reference(data):
    bg, X, R = data
    expl = Occlusion(nonlinear_f).fit(bg).explain(X, baselines=R)
    expected = np.empty_like(X)
    for j in range(4):
        Z = X.copy()
        Z[:, j] = R[:, j]
        expected[:, j] = nonlinear_f(X) - nonlinear_f(Z)
    np.testing.assert_allclose(expl.values, expected, atol=1e-12)
    np.testing.assert_allclose(expl.base_values, nonlinear_f(R), atol=1e-12)


def test_occlusion_target_per_row_with_baselines():
    model, data = _classifier()
    X, R = data[:4], data[10:14]
    explainer = Occlusion(model).fit(data[50:80])
    full = explainer.explain(X, baselines=R)
    picked = explainer.explain(X, target=[0, 1, 1, 0], baselines=R)
    np.testing.assert_allclose(picked.values, full.values[np.arange(4), :, [0, 1, 1, 0]])
    assert picked.metadata["selected_outputs"] == [0, 1, 1, 0]
    np.testing.assert_allclose(picked.base_values, model.predict_proba(R)[np.arange(4),
                                                                          [0, 1, 1, 0]])


def test_lime_group_mode_uses_the_reference_as_off_value(data):
    bg, X, R = data
    kw = dict(feature_groups=[[0], [1], [2, 3]], n_samples=300, random_state=0)
    expl = LIME(nonlinear_f, **kw).fit(bg).explain(X, baselines=R)
    for i in (0, 3):
        alone = LIME(nonlinear_f, **kw).fit(R[i:i + 1]).explain(X[i:i + 1])
        np.testing.assert_allclose(expl.values[i:i + 1], alone.values, atol=1e-12)
    np.testing.assert_allclose(expl.base_values, nonlinear_f(R))
    # with x equal to its reference every perturbed row is x: nothing to attribute
    same = LIME(nonlinear_f, **kw).fit(bg).explain(X, baselines=X)
    np.testing.assert_allclose(same.values, 0, atol=1e-10)


def test_lime_tabular_mode_refuses_baselines(data):
    bg, X, R = data
    with pytest.raises(TypeError, match=r"LIME.*baselines.*tabular mode.*feature_groups"):
        LIME(nonlinear_f, n_samples=50).fit(bg).explain(X, baselines=R)


def _pipeline_data():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80),
                       "city": rng.choice(["x", "y", "z"], 80)})
    y = (df["a"] + (df["city"] == "x") > 0.3).astype(int)
    pre = make_column_transformer((OneHotEncoder(), ["city"]), (StandardScaler(), ["a", "b"]))
    return make_pipeline(pre, LogisticRegression()).fit(df, y), df


def test_linear_shap_closed_form_against_each_row():
    rng = np.random.default_rng(4)
    Xall = rng.normal(size=(50, 3))
    model = LinearRegression().fit(Xall, Xall @ [1.0, -2.0, 0.5] + 3)
    X, R = Xall[:4], Xall[10:14]
    expl = LinearSHAP(model).fit(Xall[20:]).explain(X, baselines=R)
    np.testing.assert_allclose(expl.values, model.coef_ * (X - R), atol=1e-12)
    np.testing.assert_allclose(expl.base_values, model.predict(R), atol=1e-12)
    assert expl.metadata["baselines"] is True


def test_pipeline_with_string_columns_against_dataframe_baselines():
    pipe, df = _pipeline_data()
    X, R = df.iloc[:4], df.iloc[10:14]
    linear = LinearSHAP(pipe).fit(df.iloc[20:40]).explain(X, baselines=R)
    exact = ExactShapley(pipe, output="decision_function").fit(df.iloc[20:40]).explain(
        X, baselines=R)
    np.testing.assert_allclose(linear.values, exact.values, atol=1e-10)
    np.testing.assert_allclose(exact.base_values, pipe.decision_function(R), atol=1e-12)
    for i in range(4):
        alone = ExactShapley(pipe, output="decision_function").fit(R.iloc[[i]]).explain(
            X.iloc[[i]])
        np.testing.assert_allclose(exact.values[i:i + 1], alone.values, atol=1e-12)


def test_dataframe_baseline_with_a_new_category():
    pipe, df = _pipeline_data()
    bg = df.iloc[20:40].astype({"city": "category"})
    R = df.iloc[:2].astype({"city": "category"})
    X = df.iloc[2:4].astype({"city": "category"})
    expl = ExactShapley(pipe).fit(bg).explain(X, baselines=R)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, pipe.predict_proba(X),
                               atol=1e-12)


# ---------------------------------------------------------------- bad input
def test_wrong_number_of_rows(data):
    bg, X, R = data
    with pytest.raises(ValueError, match=r"baselines must have one reference row per row of X "
                                         r"\(5\) or a single row for every row \(1\); got 3 rows"):
        ExactShapley(nonlinear_f).fit(bg).explain(X, baselines=R[:3])


def test_wrong_feature_shape(data):
    bg, X, R = data
    with pytest.raises(ValueError, match=r"baselines has 3 features, but ExactShapley is "
                                         r"expecting 4 features"):
        ExactShapley(nonlinear_f).fit(bg).explain(X, baselines=R[:, :3])


def test_dataframe_with_other_columns():
    pipe, df = _pipeline_data()
    with pytest.raises(ValueError, match=r"feature names of baselines.*Unexpected: \['q'\]"):
        ExactShapley(pipe).fit(df).explain(df.iloc[:2],
                                           baselines=df.iloc[:2].rename(columns={"a": "q"}))


def test_string_where_numbers_are_needed():
    pipe, df = _pipeline_data()
    bad = df.iloc[:2].astype({"a": object})
    bad.iloc[1, 0] = "oops"
    with pytest.raises(ValueError, match=r"baselines must hold numbers.*column 'a'.*'oops'"):
        ExactShapley(pipe).fit(df).explain(df.iloc[:2], baselines=bad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"baselines must hold numbers"):
            ExactShapley(nonlinear_f).fit(np.zeros((2, 4))).explain(
                np.ones((1, 4)), baselines=np.array([["1", "2", "x", "4"]], dtype=object))


def test_a_number_needs_numeric_columns():
    pipe, df = _pipeline_data()
    with pytest.raises(TypeError, match=r"baselines=0.0 sets every feature.*column 'city'"):
        ExactShapley(pipe).fit(df).explain(df.iloc[:2], baselines=0.0)
