"""The assertion helpers of skexplain.testing on a Pipeline with a string column.

Two pipelines are trained on the same DataFrame: ``fair`` never sees the
``gender`` column (its Shapley value is zero by the dummy axiom), ``biased``
is trained on labels that depend on it.  Each helper must pass on one and fail
on the other, with a message that says where and by how much.
"""
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skexplain import ExactShapley, Explanation, KernelSHAP
from skexplain.testing import (ConstantExplainer, assert_additive, assert_explanations_close,
                               assert_feature_unused, assert_passes_sanity_checks, assert_sign,
                               assert_top_features)


def _pipeline(columns):
    strings = [c for c in columns if c in ("city", "gender")]
    numbers = [c for c in columns if c in ("age", "income")]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), strings),
                             ("num", StandardScaler(), numbers)])
    return make_pipeline(pre, LogisticRegression(max_iter=1000))


@pytest.fixture(scope="module")
def credit():
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({
        "age": rng.uniform(20, 70, n),
        "city": rng.choice(["paris", "lyon", "nice"], n).astype(object),
        "income": rng.normal(3, 1, n),
        "gender": rng.choice(["f", "m"], n).astype(object),
    })
    # risk rises with age, falls with income; gender plays no part
    logit = (0.1 * (frame.age - 45) - (frame.income - 3)
             + frame.city.map({"paris": 0.8, "lyon": -0.8, "nice": 0.0}))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    fair = _pipeline(["age", "city", "income"]).fit(frame, y)
    biased = _pipeline(["age", "city", "income", "gender"]).fit(
        frame, np.where(frame.gender == "f", 0, y))
    X, background = frame.iloc[:40], frame.iloc[100:140]
    return dict(frame=frame, y=y, X=X, background=background, fair=fair, biased=biased,
                e_fair=ExactShapley(fair).fit(background).explain(X),
                e_biased=ExactShapley(biased).fit(background).explain(X))


# ------------------------------------------------------------------ additive
def test_additive_passes_with_the_model_output(credit):
    X, expl = credit["X"], credit["e_fair"]
    assert_additive(expl, prediction=credit["fair"].predict_proba(X))
    # one output, given by name; the full prediction matrix or its column
    assert_additive(expl, prediction=credit["fair"].predict_proba(X), output="1")
    assert_additive(expl, prediction=credit["fair"].predict_proba(X)[:, 1], output="1")
    assert_additive(ExactShapley(credit["fair"], output=1).fit(credit["background"]).explain(X),
                    prediction=credit["fair"].predict_proba(X)[:, 1])


def test_additive_fails_against_another_models_output(credit):
    X = credit["X"]
    with pytest.raises(AssertionError) as info:
        assert_additive(credit["e_fair"], prediction=credit["biased"].predict_proba(X),
                        output="1")
    message = str(info.value)
    assert message.startswith("attributions do not add up to the model output for ")
    assert "(output '1')" in message and "at most atol=1e-06" in message
    # the worst row is named first, with its sum, f(x) and gap
    gap = (credit["e_fair"].values[..., 1].sum(axis=1) + credit["e_fair"].base_values[:, 1]
           - credit["biased"].predict_proba(X)[:, 1])
    worst = int(np.argmax(np.abs(gap)))
    first = message.splitlines()[1]
    assert first.startswith(f"  row {worst}: sum(values) + base_values = ")
    assert f"gap {gap[worst]:+.3g}" in first
    assert "more rows" in message.splitlines()[-1]


def test_additive_tolerance_is_respected(credit):
    X, expl = credit["X"], credit["e_fair"]
    shifted = credit["fair"].predict_proba(X) + 1e-3
    with pytest.raises(AssertionError, match="40 of 40 rows"):
        assert_additive(expl, prediction=shifted)
    assert_additive(expl, atol=2e-3, prediction=shifted)
    scaled = credit["fair"].predict_proba(X) * 1.005
    assert_additive(expl, atol=0.0, rtol=0.01, prediction=scaled)
    with pytest.raises(AssertionError, match="at most atol=0 . rtol=0.001"):
        assert_additive(expl, atol=0.0, rtol=0.001, prediction=scaled)


def test_additive_arguments(credit):
    expl = credit["e_fair"]
    with pytest.raises(ValueError, match="has no completeness gap .delta.; pass prediction="):
        assert_additive(expl)
    with pytest.raises(ValueError, match=re.escape("prediction must have shape (40, 2)")):
        assert_additive(expl, prediction=np.zeros(40))
    with pytest.raises(ValueError, match="atol must be a finite number >= 0; got -1"):
        assert_additive(expl, atol=-1, prediction=np.zeros((40, 2)))
    with pytest.raises(TypeError, match="must be a skexplain Explanation .* got ndarray"):
        assert_additive(expl.values)
    with pytest.raises(KeyError, match="Unknown output 'yes'"):
        assert_additive(expl, prediction=np.zeros(40), output="yes")


def test_additive_uses_delta():
    expl = Explanation(np.array([[1.0, 2.0], [0.5, 0.5]]), np.zeros(2), delta=[0.0, 0.01])
    with pytest.raises(AssertionError, match=r"(?s)from the explanation's delta.*row 1: .* "
                                             r"gap \+0.01 "):
        assert_additive(expl)
    assert_additive(expl, atol=0.02)


# ------------------------------------------------------------- top features
def test_top_features_pass(credit):
    expl = credit["e_fair"]
    assert_top_features(expl, ["age", "income"], output="1")
    assert_top_features(expl, ["age", "income"], output="1", ordered=True)
    assert_top_features(expl, "city", k=3, output=1, aggregate="rms")
    assert_top_features(credit["e_biased"], "gender", output="1")


def test_top_features_fail(credit):
    with pytest.raises(AssertionError) as info:
        assert_top_features(credit["e_biased"], ["age", "city"], output="1")
    message = str(info.value)
    assert message.startswith("features ['city'] are not among the top 2 by mean |attribution| "
                              "(output '1') over 40 rows: 'city' has ")
    assert "and 3 other features at least as much" in message
    assert re.search(r"ranking: 1\. gender 0\.\d+ \(\d+\.\d%\), 2\. age", message)
    with pytest.raises(AssertionError, match=r"the ranking by mean \|attribution\| \(output "
                                             r"'1'\) over 40 rows does not start with "
                                             r"\['income', 'age'\] in this order: 'income' has"):
        assert_top_features(credit["e_fair"], ["income", "age"], output="1", ordered=True)


def test_top_features_tie_at_the_boundary_fails():
    zeros = Explanation(np.zeros((3, 3)), np.zeros(3), feature_names=["a", "b", "c"])
    with pytest.raises(AssertionError, match="'a' has 0 and 2 other features at least as much"):
        assert_top_features(zeros, "a")


def test_top_features_arguments(credit):
    expl = credit["e_fair"]
    with pytest.raises(ValueError, match=r"needs one output, and this explanation holds 2 "
                                         r"\(output_names=\['0', '1'\]\); .* output='1'"):
        assert_top_features(expl, ["age"])
    with pytest.raises(KeyError, match=r"unknown feature 'agee'; known features: \['age', "
                                       r"'city', 'income', 'gender'\]"):
        assert_top_features(expl, ["agee"], output="1")
    with pytest.raises(ValueError, match="k must be an integer from len.expected.=2 to the "
                                         "number of features 4; got 5"):
        assert_top_features(expl, ["age", "city"], k=5, output="1")
    with pytest.raises(ValueError, match="got 1"):
        assert_top_features(expl, ["age", "city"], k=1, output="1")
    with pytest.raises(ValueError, match="aggregate must be one of"):
        assert_top_features(expl, "age", aggregate="max", output="1")
    with pytest.raises(ValueError, match="k must be None or 1"):
        assert_top_features(expl, "age", k=2, ordered=True, output="1")
    with pytest.raises(ValueError, match="feature position 7 is out of range for 4"):
        assert_top_features(expl, 7, output="1")
    with pytest.raises(ValueError, match="one feature axis"):
        assert_top_features(Explanation(np.zeros((2, 3, 3)), np.zeros(2)), 0)


# ------------------------------------------------------------ feature unused
def test_feature_unused_passes_for_a_model_that_never_reads_it(credit):
    assert_feature_unused(credit["e_fair"], "gender", output="1")
    assert_feature_unused(credit["e_fair"], ["gender"], max_share=0.0 + 1e-12, output=0)


def test_feature_unused_fails_for_the_biased_model(credit):
    expl = credit["e_biased"].select_output("1")
    share = expl.global_importance(normalize=True)[3]
    with pytest.raises(AssertionError) as info:
        assert_feature_unused(credit["e_biased"], "gender", output="1")
    message = str(info.value)
    assert message.startswith(f"feature 'gender' is used: {share:.2%} of the total mean "
                              "|attribution|")
    assert "over 40 rows (output '1'), threshold: at most 1.00%" in message
    worst = int(np.argmax(np.abs(expl.values[:, 3])))
    assert f"largest attributions: row {worst}: {expl.values[worst, 3]:+.4g}" in message


def test_feature_unused_arguments(credit):
    with pytest.raises(ValueError, match=r"max_share must be a number in \[0, 1\); got 1.5"):
        assert_feature_unused(credit["e_fair"], "gender", max_share=1.5, output="1")
    with pytest.raises(KeyError, match="unknown feature 'sex'"):
        assert_feature_unused(credit["e_fair"], "sex", output="1")
    with pytest.raises(TypeError, match="feature names .str. or positions"):
        assert_feature_unused(credit["e_fair"], [1.5], output="1")


def test_non_finite_attributions_fail():
    expl = Explanation(np.array([[np.nan, 1.0], [0.0, 1.0]]), np.zeros(2),
                       feature_names=["a", "b"])
    with pytest.raises(AssertionError, match=r"not finite .* features \['a'\] in rows \[0\]"):
        assert_feature_unused(expl, "a")


# --------------------------------------------------------------------- sign
def test_sign_pass(credit):
    assert_sign(credit["e_fair"], "age", "positive", output="1")
    assert_sign(credit["e_fair"], "income", -1, output="1")
    assert_sign(credit["e_fair"], "income", "positive", output="0")


def test_sign_fail(credit):
    expl = credit["e_fair"]
    with pytest.raises(AssertionError) as info:
        assert_sign(expl, "age", "negative", output="1")
    message = str(info.value)
    assert re.match(r"feature 'age' does not have a negative effect \(output '1'\): the "
                    r"Spearman correlation between its values and its attributions over 40 "
                    r"rows is 0\.9\d\d \(threshold: at most -0\.5\)\.", message)
    assert "mean attribution at its 8 lowest values" in message
    # a strong threshold the mild income effect does not meet in the biased model
    with pytest.raises(AssertionError, match="does not have a positive effect"):
        assert_sign(credit["e_biased"], "income", "positive", output="1")


def test_sign_arguments(credit):
    expl = credit["e_fair"]
    with pytest.raises(ValueError, match="feature 'city' holds strings .e.g. '.*'.: a direction"):
        assert_sign(expl, "city", "positive", output="1")
    with pytest.raises(ValueError, match="sign must be 'positive', 'negative', 1 or -1; got 'up'"):
        assert_sign(expl, "age", "up", output="1")
    with pytest.raises(ValueError, match=r"min_correlation must be a number in \(0, 1\]"):
        assert_sign(expl, "age", 1, min_correlation=0, output="1")
    no_data = Explanation(np.ones((4, 2)), np.zeros(4), feature_names=["a", "b"])
    with pytest.raises(ValueError, match="needs the explained rows in explanation.data"):
        assert_sign(no_data, "a", 1)
    constant = Explanation(np.ones((4, 2)), np.zeros(4), data=np.ones((4, 2)))
    with pytest.raises(ValueError, match="must take at least two values"):
        assert_sign(constant, 0, 1)


def test_sign_leaves_out_missing_values():
    data = np.array([[1.0, None], [2.0, "a"], [np.nan, "b"], [3.0, "c"], [None, "d"]],
                    dtype=object)
    expl = Explanation(np.array([[-1.0, 0], [0, 0], [5, 0], [1, 0], [9, 0]]), np.zeros(5),
                       data=data, feature_names=["x", "s"])
    assert_sign(expl, "x", "positive", min_correlation=1.0)


# --------------------------------------------------------------- closeness
def test_explanations_close_pass(credit, tmp_path):
    again = ExactShapley(credit["fair"]).fit(credit["background"]).explain(credit["X"])
    assert_explanations_close(again, credit["e_fair"])
    loaded = Explanation.load(credit["e_fair"].save(tmp_path / "release"))
    assert_explanations_close(loaded, credit["e_fair"], rtol=0, atol=0)
    kernel = KernelSHAP(credit["fair"], n_samples=64, random_state=0).fit(
        credit["background"]).explain(credit["X"])
    assert_explanations_close(kernel, credit["e_fair"], rtol=0, atol=1e-6)  # 16 coalitions: exact


def test_explanations_close_fail(credit):
    with pytest.raises(AssertionError) as info:
        assert_explanations_close(credit["e_biased"], credit["e_fair"], output="1")
    lines = str(info.value).splitlines()
    assert lines[0] == ("explanations differ: 160 of 160 attributions and 40 of 40 base values "
                        "beyond atol=1e-08 + rtol=1e-05 * |b| (output '1').")
    assert lines[1].startswith("  base_values: largest difference at row ")
    assert lines[2].split() == ["feature", "rows", "differing", "max", "|diff|", "tolerance",
                                "worst", "row", "a", "b"]
    assert lines[3].split()[:4] == ["gender", "40", "of", "40"]  # the largest difference
    with pytest.raises(AssertionError, match=r"differ in structure:\n  values shapes differ: "
                                             r"\(40, 3, 2\) != \(40, 4, 2\)\n  feature_names"):
        assert_explanations_close(credit["e_biased"][:, ["age", "city", "income"]],
                                  credit["e_fair"])


def test_explanations_close_arguments(credit):
    with pytest.raises(TypeError, match="b must be a skexplain Explanation"):
        assert_explanations_close(credit["e_fair"], credit["e_fair"].values)
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
        assert_explanations_close(credit["e_fair"], credit["e_fair"], rtol=np.nan)


# ------------------------------------------------------------------ sanity
def test_sanity_checks_pass_for_exact_shapley(credit):
    reports = assert_passes_sanity_checks(ExactShapley(credit["fair"]), credit["frame"],
                                          credit["y"], X_explain=credit["X"],
                                          background=credit["background"])
    assert sorted(reports) == ["cascading", "data", "independent"]
    assert all(report.passed for report in reports.values())


def test_sanity_checks_fail_for_an_explainer_that_ignores_the_model(credit):
    with pytest.raises(AssertionError) as info:
        assert_passes_sanity_checks(ConstantExplainer(credit["fair"]), credit["frame"],
                                    credit["y"], checks=["cascading", "data"],
                                    X_explain=credit["X"], background=credit["background"])
    lines = str(info.value).splitlines()
    assert lines[0].startswith("ConstantExplainer fails 2 of 2 randomization sanity checks")
    assert lines[1] == ("  cascading: mean spearman similarity 1.000 (threshold: at most 0.5; "
                        "per randomized step: coef_: 1.00)")
    assert lines[2].startswith("  data: mean spearman similarity 1.000")


def test_sanity_checks_arguments(credit):
    with pytest.raises(TypeError, match="explainer must be a skexplain explainer"):
        assert_passes_sanity_checks(credit["fair"], credit["frame"], credit["y"])
    with pytest.raises(ValueError, match="'data' randomization check .* needs y"):
        assert_passes_sanity_checks(ExactShapley(credit["fair"]), credit["frame"])
    with pytest.raises(ValueError, match="checks must be a non-empty subset"):
        assert_passes_sanity_checks(ExactShapley(credit["fair"]), credit["frame"],
                                    checks=["cascade"])


def test_sign_refuses_grouped_explanations():
    # group j is not data column j: a segment map [1, 0, 2] puts column 0 in group 1
    from sklearn.ensemble import HistGradientBoostingRegressor

    from skexplain import Occlusion

    X = np.random.default_rng(0).normal(size=(200, 3))
    model = HistGradientBoostingRegressor(monotonic_cst=[1, -1, 0], max_iter=30).fit(
        X, 3 * X[:, 0] - X[:, 1])
    grouped = Occlusion(model, feature_groups=np.array([1, 0, 2])).fit(X[:50]).explain(X[:40])
    with pytest.raises(ValueError, match=r"assert_sign needs one attribution per data column"
                                         r".*feature_groups"):
        assert_sign(grouped, "group_1", "positive")
    plain = Occlusion(model).fit(X[:50]).explain(X[:40])
    assert_sign(plain, "x0", "positive")
    assert_sign(plain, "x1", "negative")


def test_output_argument_errors_are_not_lookups(credit):
    expl = credit["e_fair"]
    with pytest.raises(TypeError, match="output must be an output name .* got True"):
        assert_top_features(expl, ["age"], output=True)
    with pytest.raises(ValueError, match="output 5 is out of range for 2 outputs"):
        assert_top_features(expl, ["age"], output=5)
