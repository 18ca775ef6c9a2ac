"""skexplain.audit(): explainer choice, importance table, checks, inputs never mutated."""
import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression

import skexplain
from skexplain import ExactShapley, KernelSHAP, audit
from skexplain.audit._choose import EXACT_MAX_UNITS, choose_explainer
from audit_fixtures import (agg, binary_data, binary_report, linear_data,  # noqa: F401
                            linear_report)

COLUMNS = ["feature", "mean_abs", "ci_low", "ci_high", "stderr", "share", "rank"]


def test_audit_is_the_function_and_the_package_is_callable():
    import skexplain.audit as package

    assert callable(skexplain.audit) and callable(package)
    assert package.AuditReport is skexplain.AuditReport


def test_to_frame_columns_sorting_and_bootstrap_interval(linear_report):
    frame = linear_report.to_frame()
    assert list(frame.columns) == COLUMNS
    assert (np.diff(frame["mean_abs"]) <= 0).all()
    assert frame["rank"].tolist() == list(range(1, 5))
    assert np.isclose(frame["share"].sum(), 1.0)
    assert (frame["ci_low"] <= frame["mean_abs"]).all()
    assert (frame["mean_abs"] <= frame["ci_high"]).all()
    # the mean |attribution| is the explanation's own
    expl = linear_report.explanation
    assert np.allclose(frame.set_index("feature").loc[list(expl.feature_names), "mean_abs"],
                       np.abs(expl.values).mean(axis=0))
    assert frame["stderr"].isna().all()  # exact: no estimation error
    # known truth: |3 up| and |2 down| and 4 [group] dominate, unused is exactly 0
    assert frame["feature"].iloc[-1] == "unused" and frame["mean_abs"].iloc[-1] < 1e-12
    assert linear_report.top_features == frame["feature"].iloc[:3].tolist()


def test_to_frame_is_a_copy(linear_report):
    frame = linear_report.to_frame()
    frame.loc[0, "mean_abs"] = -1.0
    assert linear_report.to_frame().loc[0, "mean_abs"] > 0


def test_classifier_per_class_columns_and_positive_class_view(binary_report):
    frame = binary_report.to_frame()
    assert list(frame.columns) == COLUMNS + ["mean_abs[0]", "mean_abs[1]"]
    assert np.allclose(frame["mean_abs"], frame["mean_abs[1]"])
    # two classes: the attributions of class 0 are the negatives of class 1's
    assert np.allclose(frame["mean_abs[0]"], frame["mean_abs[1]"])
    assert binary_report.main_output == 1 and "positive class 1" in binary_report.main_view
    assert binary_report.top_features == ["x0", "x1"]


def test_multiclass_main_view_sums_classes():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.argmax(X, axis=1)
    report = audit(LogisticRegression().fit(X, y), X, y, n_rows=20, n_background=10,
                   compare_with=None, sanity_check=False)
    frame = report.to_frame()
    assert report.main_output is None
    per_class = frame[["mean_abs[0]", "mean_abs[1]", "mean_abs[2]"]].sum(axis=1)
    assert np.allclose(frame["mean_abs"], per_class)


def test_auto_chooses_exact_up_to_the_limit_then_kernel():
    model = LinearRegression()
    few, reason = choose_explainer("auto", model, n_features=10, feature_groups=None,
                                   output="predict", n_rows=100, n_background=50,
                                   random_state=0, n_jobs=None)
    assert isinstance(few, ExactShapley)
    assert reason.startswith("ExactShapley: 10 features -> 1024 coalitions per row")
    assert "5,120,000 model rows" in reason
    many, reason = choose_explainer("auto", model, n_features=EXACT_MAX_UNITS + 1,
                                    feature_groups=None, output="predict", n_rows=10,
                                    n_background=5, random_state=0, n_jobs=None)
    assert isinstance(many, KernelSHAP) and reason.startswith(
        f"KernelSHAP: {EXACT_MAX_UNITS + 1} features")
    groups = {f"g{i}": [2 * i, 2 * i + 1] for i in range(EXACT_MAX_UNITS)}
    grouped, reason = choose_explainer("auto", model, n_features=2 * EXACT_MAX_UNITS,
                                       feature_groups=groups, output="predict", n_rows=10,
                                       n_background=5, random_state=0, n_jobs=None)
    assert isinstance(grouped, ExactShapley) and f"{EXACT_MAX_UNITS} feature groups" in reason


def test_kernel_by_name_has_stderr_and_additivity(linear_data):
    model, X, y = linear_data
    report = audit(model, X, y, explainer="kernel", n_rows=20, n_background=10,
                   compare_with=None, sanity_check=False)
    assert report.explainer_name == "KernelSHAP"
    assert "explainer='kernel' was asked for" in report.explainer_reason
    assert report.to_frame()["stderr"].notna().all()
    assert report.additivity["max_gap"] < 1e-8


def test_explainer_instance_is_cloned_not_mutated(linear_data):
    model, X, y = linear_data
    given = KernelSHAP(None, n_samples=64, random_state=3)
    before = given.get_params()
    report = audit(model, X, y, explainer=given, n_rows=10, n_background=5,
                   compare_with=None, sanity_check=False)
    assert report.explainer_name == "KernelSHAP"
    assert "given" in report.explainer_reason
    assert given.get_params() == before and not hasattr(given, "background_")
    assert report.details["explainer_params"]["n_samples"] == "64"


def test_inputs_and_model_are_not_mutated(linear_data, agg):
    model, X, y = linear_data
    model_before, X_before, y_before = copy.deepcopy(model), X.copy(), y.copy()
    background = X.iloc[:15].copy()
    audit(model, X, y, background=background, n_rows=15, top=2)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_frame_equal(background, X_before.iloc[:15])
    np.testing.assert_array_equal(y, y_before)
    assert np.array_equal(model[-1].coef_, model_before[-1].coef_)
    assert model.get_params().keys() == model_before.get_params().keys()


def test_no_figure_left_open(linear_data, agg):
    model, X, y = linear_data
    before = agg.get_fignums()
    audit(model, X, y, n_rows=10, n_background=5, compare_with=None, sanity_check=False)
    assert agg.get_fignums() == before


def test_row_and_background_samples_are_seeded_and_reported(linear_data):
    model, X, y = linear_data
    kw = dict(n_rows=10, n_background=7, compare_with=None, sanity_check=False)
    a, b = audit(model, X, y, **kw), audit(model, X, y, **kw)
    np.testing.assert_array_equal(a.explanation.values, b.explanation.values)
    c = audit(model, X, y, random_state=1, **kw)
    assert not np.array_equal(a.explanation.values, c.explanation.values)
    assert a.details["n_background"] == 7 and a.details["rows_explained"] == 10
    assert "7 rows of X drawn at random (seed 0)" in a.details["background"]


def test_score_sanity_and_agreement_numbers(linear_report):
    assert linear_report.score["name"] == "R^2" and linear_report.score["value"] > 0.99
    s = linear_report.sanity
    assert s["ran"] and s["passed"] and s["statistic"] <= s["threshold"] == 0.5
    assert s["permuted_train_score"] < 0.5  # permuted labels cannot be fitted linearly
    a = linear_report.agreement
    assert a["other"] == "LIME" and a["k"] == 3 and 0 <= a["top_k_overlap"] <= 1
    assert -1 <= a["spearman_mean"] <= 1
    assert linear_report.additivity["max_gap"] < 1e-8


def test_without_y_the_score_and_sanity_check_are_skipped(linear_data):
    model, X, _ = linear_data
    report = audit(model, X, n_rows=10, n_background=5, compare_with=None)
    assert report.score is None and not report.sanity["ran"]
    assert "no y given" in report.sanity["reason"]


def test_compare_with_kernel_against_exact_is_close(linear_data):
    model, X, y = linear_data
    report = audit(model, X, y, n_rows=10, n_background=5, compare_with="kernel",
                   sanity_check=False, top=3)
    # 4 features: KernelSHAP enumerates every coalition and recovers the exact values
    assert report.agreement["other"] == "KernelSHAP"
    assert report.agreement["spearman_mean"] == pytest.approx(1.0)
    assert report.agreement["top_k_overlap"] == 1.0


def test_progress_bar_goes_to_stderr(linear_data, capsys):
    model, X, y = linear_data
    audit(model, X, y, n_rows=5, n_background=5, compare_with=None, sanity_check=False,
          verbose=1)
    captured = capsys.readouterr()
    assert "audit" in captured.err and "5/5" in captured.err and captured.out == ""


@pytest.mark.parametrize("kwargs, match", [
    ({"explainer": "shap"}, "explainer must be one of"),
    ({"explainer": 3}, "explainer must be one of"),
    ({"compare_with": "gradient"}, "compare_with must be one of"),
    ({"n_rows": 0}, "n_rows must be a positive integer; got 0"),
    ({"n_rows": 2.5}, "n_rows must be a positive integer"),
    ({"n_background": True}, "n_background must be a positive integer"),
    ({"top": 0}, "top must be a positive integer; got 0"),
    ({"verbose": -1}, "verbose must be a non-negative integer"),
])
def test_bad_options_name_the_parameter(linear_data, kwargs, match):
    model, X, y = linear_data
    with pytest.raises(ValueError, match=match):
        audit(model, X, y, **kwargs)


def test_bad_data_names_the_parameter(linear_data):
    model, X, y = linear_data
    with pytest.raises(ValueError, match=r"y must have one value per row of X \(120\); got 119"):
        audit(model, X, y[:-1])
    with pytest.raises(ValueError, match="X must have at least one row"):
        audit(model, X.iloc[:0], None)
    with pytest.raises(ValueError, match="X must be 2-D"):
        audit(model, np.zeros(5))
    with pytest.raises(ValueError, match="background must have the 4 columns of X; got 2"):
        audit(model, X, y, background=X.iloc[:5, :2])
    with pytest.raises(TypeError, match="random_state must be an int or None"):
        audit(model, X, y, random_state=np.random.RandomState(0))
    with pytest.raises(ValueError, match="explainer='exact' needs at most 30"):
        audit(LinearRegression().fit(np.zeros((3, 31)), np.zeros(3)), np.zeros((3, 31)),
              explainer="exact")


def test_clone_of_model_is_what_sanity_refits(linear_data):
    # the audit refits a clone: the user's fitted model keeps its coefficients
    model, X, y = linear_data
    coef = model[-1].coef_.copy()
    audit(model, X, y, n_rows=5, n_background=5, compare_with=None)
    np.testing.assert_array_equal(model[-1].coef_, coef)
    assert clone(model) is not model


def test_logistic_regression_passes_the_sanity_check_over_three_permutations(binary_report):
    # one permutation (seed 0) alone gives similarity 0.71 on this model: see SANITY_REPEATS
    s = binary_report.sanity
    assert s["ran"] and s["n_permutations"] == 3 and s["passed"], s


def test_multiclass_importance_figure_is_the_summed_view(agg, monkeypatch):
    from sklearn.linear_model import LogisticRegression

    from skexplain.audit import _figures

    drawn = []
    original = _figures.png_base64

    def spy(draw, figsize):
        fig, ax = agg.subplots()
        draw(ax)
        drawn.append([b.get_width() for b in ax.patches])
        agg.close(fig)
        return original(draw, figsize)

    monkeypatch.setattr(_figures, "png_base64", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.argmax(X * [3, 1, 1], axis=1)
    report = audit(LogisticRegression().fit(X, y), X, y, n_rows=20, n_background=10,
                   compare_with=None, sanity_check=False)
    # the first figure is the importance bar: one bar per feature, the summed mean |attr|
    widths = sorted(drawn[0])
    assert np.allclose(widths, sorted(report.to_frame()["mean_abs"]))


def test_feature_groups_are_the_players(linear_data):
    model, X, y = linear_data
    groups = {"signal": ["up", "down"], "rest": ["unused", "group"]}
    report = audit(model, X, y, feature_groups=groups, n_rows=10, n_background=5,
                   compare_with=None, sanity_check=False, top=2)
    assert sorted(report.to_frame()["feature"]) == ["rest", "signal"]
    assert "2 feature groups -> 4 coalitions per row" in report.explainer_reason
    # no direction finding for a group of columns: it has no single value
    assert not [f for f in report.findings if f["kind"] in ("direction", "categorical")]


def test_a_plain_function_is_audited_without_score_or_sanity_check():
    w = np.array([1.0, -2.0, 0.0])

    def f(X):
        return np.asarray(X) @ w

    X = np.random.default_rng(0).normal(size=(40, 3))
    report = audit(f, X, X @ w, n_rows=10, n_background=5, compare_with=None)
    assert report.score is None and not report.sanity["ran"]
    assert "not a scikit-learn estimator" in report.sanity["reason"]
    assert report.top_features[:2] == ["x1", "x0"]
    assert report.additivity["max_gap"] < 1e-10
