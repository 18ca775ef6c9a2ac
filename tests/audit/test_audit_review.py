"""Inputs the audit's authors did not choose: constant models, noise-level attributions."""
import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression

from skexplain import audit
from skexplain.audit import _findings as F


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("model_cls", [DummyRegressor, DummyClassifier])
def test_a_model_that_ignores_its_inputs_gets_no_ranking_and_a_failed_sanity_check(model_cls):
    """Float noise (1e-19) must not be ranked, nor pass the sanity check."""
    X = np.random.default_rng(0).normal(size=(120, 4))
    y = X[:, 0] if model_cls is DummyRegressor else (X[:, 0] > 0).astype(int)
    report = audit(model_cls().fit(X, y), X, y, n_rows=30, n_background=20,
                   compare_with=None)
    kinds = [f["kind"] for f in report.findings]
    for kind in ("concentration", "uncertain_order", "direction", "categorical", "negligible"):
        assert kind not in kinds, (kind, report.findings)
    (null,) = [f for f in report.findings if f["kind"] == "null"]
    assert null["severity"] == "warning" and "zero" in null["text"]
    (sanity,) = [f for f in report.findings if f["kind"] == "sanity"]
    assert sanity["severity"] == "warning" and "passed" not in sanity["text"]
    assert report.sanity.get("passed") is False


def test_a_constant_model_report_compares_no_noise():
    from skexplain.audit._html import render

    X = np.random.default_rng(0).normal(size=(60, 3))
    report = audit(DummyRegressor().fit(X, X[:, 0]), X, X[:, 0], n_rows=20, n_background=10)
    assert report.agreement is None and "nothing to agree on" in report.details[
        "agreement_note"]
    page = render(report)
    assert "FAILED: every attribution is zero" in page and "FAILED (failed" not in page


def test_order_of_noise_level_features_is_not_a_finding():
    table = pd.DataFrame({"feature": list("abc"), "mean_abs": [1.0, 3e-17, 2e-17],
                          "ci_low": [0.9, 2e-17, 1e-17], "ci_high": [1.1, 4e-17, 3e-17],
                          "share": [1.0, 3e-17, 2e-17]})
    assert F.order_findings(table, 3) == []
    table["mean_abs"], table["share"] = [0.5, 0.3, 0.2], [0.5, 0.3, 0.2]
    table["ci_low"], table["ci_high"] = [0.3, 0.2, 0.1], [0.7, 0.4, 0.3]
    assert len(F.order_findings(table, 3)) == 2


def test_duplicated_column_names_are_refused_naming_X():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=["a", "a", "b"])
    model = LinearRegression().fit(X.to_numpy(), X["b"])
    with pytest.raises(ValueError, match=r"X has duplicated column names \['a'\]"):
        audit(model, X, compare_with=None)
    with pytest.raises(ValueError, match=r"background has duplicated column names \['a'\]"):
        audit(model, X.set_axis(["a", "c", "b"], axis=1), background=X, compare_with=None)


def test_a_single_feature_model_is_not_said_to_fail_the_sanity_check():
    """Rank similarity within a row of one feature says nothing: no FAILED warning."""
    X = np.random.default_rng(0).normal(size=(80, 1))
    report = audit(LinearRegression().fit(X, 2 * X[:, 0]), X, 2 * X[:, 0], n_rows=20,
                   n_background=10)
    by_kind = {f["kind"]: f for f in report.findings}
    assert "FAILED" not in by_kind["sanity"]["text"]
    assert "single feature" in by_kind["sanity"]["text"]
    assert by_kind["agreement"]["severity"] == "info"
    assert "no ranking to compare" in by_kind["agreement"]["text"]
    assert by_kind["direction"]["text"].startswith("Higher x0 raises the prediction")


def test_one_row_of_X_skips_the_lime_comparison_and_says_why():
    X = np.random.default_rng(0).normal(size=(50, 3))
    model = LinearRegression().fit(X, X[:, 0])
    report = audit(model, X[:1])  # the background drawn from X has one row
    assert report.agreement is None
    note = report.details["agreement_note"]
    assert "needs at least 2 background rows" in note and "got 1" in note
    from skexplain.audit._html import render

    assert "needs at least 2 background rows to perturb; got 1." in render(report)


def test_integer_column_names_get_their_direction_findings():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)))  # columns 0, 1, 2
    y = X[0] - X[1]
    report = audit(LinearRegression().fit(X, y), X, y, n_rows=30, n_background=10,
                   compare_with=None, sanity_check=False)
    found = [f["text"] for f in report.findings if f["kind"] == "direction"]
    assert any(t.startswith("Higher 0 raises the prediction") for t in found), found
    assert any(t.startswith("Higher 1 lowers the prediction") for t in found), found
