"""Each finding generator says something true on models whose truth is known."""
import numpy as np
import pandas as pd
import pytest

from skexplain.audit import _findings as F
from skexplain.audit._checks import agreement
from audit_fixtures import (agg, binary_data, binary_report, linear_data,  # noqa: F401
                            linear_report)


def texts(report, kind):
    return [f["text"] for f in report.findings if f["kind"] == kind]


def test_direction_follows_the_coefficient_signs(linear_report):
    found = texts(linear_report, "direction")
    assert any(t.startswith("Higher up raises the prediction") for t in found)
    assert any(t.startswith("Higher down lowers the prediction") for t in found)
    # linear model: attribution = coef * (x - mean), rank correlation exactly +-1
    assert any("= 1.00)" in t for t in found) and any("= -1.00)" in t for t in found)


def test_categorical_effect_names_the_category_that_raises(linear_report):
    (text,) = texts(linear_report, "categorical")
    assert text.startswith("group = b raises the prediction by 4 on average compared with "
                           "group = a")


def test_unused_feature_is_negligible_and_not_in_top(linear_report):
    (text,) = texts(linear_report, "negligible")
    assert text.endswith(": unused.") and text.startswith("1 feature(s)")
    assert "unused" not in linear_report.top_features


def test_sanity_additivity_and_score_findings(linear_report):
    (sanity,) = [f for f in linear_report.findings if f["kind"] == "sanity"]
    assert sanity["severity"] == "info" and sanity["text"].startswith("Sanity check passed")
    (add,) = texts(linear_report, "additivity")
    assert "add up to the prediction" in add
    (score,) = texts(linear_report, "score")
    assert "R^2 on the data given" in score


def test_binary_classifier_direction_is_on_the_positive_class(binary_report):
    found = texts(binary_report, "direction")
    assert any(t.startswith("Higher x0 raises the predicted probability of class 1")
               for t in found)
    assert any(t.startswith("Higher x1 lowers the predicted probability of class 1")
               for t in found)


def test_concentration_counts_the_fewest_features():
    table = pd.DataFrame({"feature": list("abcd"), "share": [0.5, 0.3, 0.15, 0.05]})
    (f,) = F.concentration_findings(table)
    assert f["text"] == "2 of 4 features carry 80% of the total mean |attribution| (a, b)."
    table["share"] = [0.25] * 4
    assert F.concentration_findings(table)[0]["text"].startswith("3 of 4 features carry 75%")


def test_order_is_uncertain_only_when_intervals_overlap():
    table = pd.DataFrame({"feature": list("abc"), "mean_abs": [3.0, 2.0, 1.9],
                          "ci_low": [2.8, 1.8, 1.7], "ci_high": [3.2, 2.2, 2.1]})
    (f,) = F.order_findings(table, top=3)
    assert "order of b (#2) and c (#3) is uncertain" in f["text"]


def test_direction_non_monotonic_and_too_few_rows():
    x = np.linspace(-1, 1, 50)
    (f,) = F.direction_finding("u", x, x ** 2, "the prediction")
    assert "not monotonic" in f["text"]
    assert F.direction_finding("u", x[:4], x[:4], "the prediction") == []
    assert F.direction_finding("c", np.ones(10), x[:10], "the prediction") == []


def test_categorical_needs_two_categories_with_enough_rows():
    x = np.array(["a"] * 10 + ["b"] * 2)
    assert F.categorical_finding("g", x, np.arange(12.0), "the prediction") == []
    assert F.is_categorical(pd.Series(["a", "b"])) and F.is_categorical(np.array([0, 1, 1]))
    assert F.is_categorical(pd.Categorical(["x", "y", "z"]))
    assert not F.is_categorical(np.arange(5.0))


def test_sanity_failure_and_skip_are_warnings():
    failed = {"ran": True, "statistic": 0.9, "threshold": 0.5, "passed": False,
              "metric": "spearman"}
    (f,) = F.sanity_findings(failed)
    assert f["severity"] == "warning" and "FAILED" in f["text"] and "0.90 > 0.50" in f["text"]
    (f,) = F.sanity_findings({"ran": False, "reason": "skipped: no y given."})
    assert f["severity"] == "warning" and "no y given" in f["text"]


def test_agreement_measures_rank_agreement_and_overlap():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 5)) * [50, 40, 3, 2, 1]
    same = agreement(a, 2 * a, [0, 1, 2], k=3)
    assert same["spearman_mean"] == pytest.approx(1.0) and same["top_k_overlap"] == 1.0
    flipped = agreement(a, -a, [0, 1, 2], k=3)
    assert flipped["spearman_mean"] == pytest.approx(-1.0)
    (f,) = F.agreement_findings({**flipped, "other": "B"}, "A", "B")
    assert f["severity"] == "warning" and f["text"].startswith("A and B disagree")
    reordered = agreement(a, a[:, ::-1], [0, 1, 2], k=2)
    assert reordered["top_k_overlap"] == 0.0


def test_additivity_gap_is_a_warning_when_large():
    (f,) = F.additivity_findings({"max_gap": 0.5, "prediction_range": 2.0}, "X")
    assert f["severity"] == "warning" and "miss the prediction by up to 0.5" in f["text"]


def test_randomized_model_explanations_differ_from_a_constant_explainer():
    """A model that ignores its input fails the data randomization sanity check."""
    from sklearn.dummy import DummyRegressor

    from skexplain import audit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] + rng.normal(size=60)
    report = audit(DummyRegressor().fit(X, y), X, y, n_rows=20, n_background=10,
                   compare_with=None)
    # every attribution is 0 (or float noise): failed without comparing noise
    assert not report.sanity["passed"]
    (f,) = [f for f in report.findings if f["kind"] == "sanity"]
    assert f["severity"] == "warning"


def test_pandas_categorical_column_of_a_histgradientboosting_model():
    from sklearn.ensemble import HistGradientBoostingRegressor

    from skexplain import audit

    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame({"size": rng.normal(size=n),
                      "color": pd.Categorical(rng.choice(["red", "green", "blue"], n))})
    y = 2 * X["size"] + np.where(X["color"] == "red", 3.0, 0.0)
    model = HistGradientBoostingRegressor(max_iter=30, categorical_features="from_dtype",
                                          random_state=0).fit(X, y)
    report = audit(model, X, y, n_rows=40, n_background=20, compare_with=None,
                   sanity_check=False, top=2)
    (text,) = texts(report, "categorical")
    assert text.startswith("color = red raises the prediction by ")
    (direction,) = texts(report, "direction")
    assert direction.startswith("Higher size raises the prediction")
    assert report.details["column_types"]["color"] == "category"
