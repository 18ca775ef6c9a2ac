"""Tests of check_explainer, parametrize_with_checks and the check results."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skexplain import ExactShapley
from skexplain.testing import (ALL_CHECKS, DEFAULT_THRESHOLDS, CheckResult, CheckResults,
                               ConstantExplainer, RandomExplainer, check_explainer,
                               parametrize_with_checks)
from skexplain.testing._check_explainer import explainer_id

API_CHECKS = ["check_clone", "check_get_params_round_trip", "check_no_attributes_set_in_init",
              "check_not_fitted", "check_fit_attributes", "check_pickle",
              "check_output_shapes", "check_explain_stateless", "check_inputs_not_mutated",
              "check_wrong_width", "check_1d_input", "check_nan_input"]


@pytest.fixture(scope="module")
def ridge_results():
    return check_explainer(ExactShapley(Ridge()))


def test_exact_shapley_passes_everything(ridge_results):
    assert isinstance(ridge_results, CheckResults)
    statuses = {r.check: r.status for r in ridge_results}
    assert set(statuses.values()) <= {"passed", "skipped"}
    for name in ["check_efficiency", "check_dummy", "check_symmetry", "check_linearity",
                 "check_linear_exactness", "check_model_randomization_cascading",
                 "check_data_randomization", "check_batch_size_invariance"]:
        assert statuses[name] == "passed", name
    assert statuses["check_shapley_agreement"] == "skipped"  # it is the reference
    assert "check_random_state" not in statuses  # not stochastic


def test_results_are_structured(ridge_results):
    result = ridge_results["check_efficiency"]
    assert isinstance(result, CheckResult)
    assert result.explainer == "ExactShapley(model=Ridge)"
    assert result.statistic < 1e-10
    assert result.threshold == DEFAULT_THRESHOLDS["exact_rtol"]
    assert "f(x) - base" in result.message
    frame = ridge_results.to_frame()
    assert list(frame.columns) == ["explainer", "check", "status", "statistic", "threshold",
                                   "message"]
    assert len(frame) == len(ridge_results)
    randomization = ridge_results["check_data_randomization"]
    assert "spearman" in randomization.details["scores"]
    assert "CheckResults(" in repr(ridge_results)
    with pytest.raises(KeyError, match="check_nothing"):
        ridge_results["check_nothing"]


def test_checks_are_selected_from_tags():
    stochastic = {r.check for r in check_explainer(RandomExplainer(Ridge()), on_fail=None)}
    assert {"check_random_state", "check_stochastic_consistency"} <= stochastic
    assert "check_efficiency" not in stochastic  # claims no axiom
    assert "check_batch_size_invariance" not in stochastic  # has no batch_size


def test_checks_subset_and_not_applicable():
    results = check_explainer(RandomExplainer(Ridge()),
                              checks=["check_clone", "check_efficiency"], on_fail=None)
    assert {r.check: r.status for r in results} == {"check_efficiency": "skipped",
                                                    "check_clone": "passed"}


def test_controls_are_well_formed_but_fail_randomization():
    for control in (ConstantExplainer(Ridge()), RandomExplainer(Ridge(), random_state=0)):
        results = check_explainer(control, on_fail=None)
        statuses = {r.check: r.status for r in results}
        assert all(statuses[c] == "passed" for c in API_CHECKS), statuses
        for name in ["check_model_randomization_cascading", "check_data_randomization"]:
            assert statuses[name] == "failed"
    noise = check_explainer(RandomExplainer(Ridge()), checks=["check_stochastic_consistency"],
                            on_fail=None)
    assert noise[0].status == "failed"


def test_user_data_frame_and_classifier():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["b"] > 0).astype(int)
    model = GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0).fit(X, y)
    results = check_explainer(ExactShapley(model), X, y,
                              checks=API_CHECKS + ["check_efficiency",
                                                   "check_data_randomization"])
    assert results.passed
    assert results["check_data_randomization"].status == "passed"


def test_unfitted_model_is_fitted_on_user_data():
    X = np.random.default_rng(0).normal(size=(30, 3))
    pipe = make_pipeline(StandardScaler(), Ridge())
    results = check_explainer(ExactShapley(pipe), X, X[:, 0], checks=["check_efficiency"])
    assert results[0].status == "passed"
    assert not hasattr(pipe, "n_features_in_")  # the user's model was not fitted


def test_thresholds_override():
    results = check_explainer(ExactShapley(Ridge()), checks=["check_efficiency"],
                              thresholds={"exact_rtol": 0.0}, on_fail=None)
    assert results[0].threshold == 0.0


def test_expected_failure_that_passes_is_reported():
    results = check_explainer(ExactShapley(Ridge()), checks=["check_clone"],
                              expected_failed_checks={"check_clone": "flaky"})
    assert results[0].status == "passed"
    assert "expected to fail: flaky" in results[0].message


def _callable_model(X):
    return np.asarray(X).sum(axis=1)


@pytest.mark.parametrize("call, error, match", [
    (lambda: check_explainer(ExactShapley), TypeError, "explainer must be an explainer "
                                                       "instance.*class ExactShapley"),
    (lambda: check_explainer(Ridge()), TypeError, "explainer must be.*got Ridge"),
    (lambda: check_explainer(ExactShapley(Ridge()), on_fail="ignore"), ValueError,
     "on_fail must be 'raise', 'warn' or None; got 'ignore'"),
    (lambda: check_explainer(ExactShapley(Ridge()), checks=["check_foo"]), ValueError,
     r"unknown check names \['check_foo'\]"),
    (lambda: check_explainer(ExactShapley(Ridge()), expected_failed_checks=["check_clone"]),
     TypeError, "expected_failed_checks must be a dict"),
    (lambda: check_explainer(ExactShapley(Ridge()), thresholds={"tol": 1}), ValueError,
     r"thresholds has unknown keys \['tol'\]"),
    (lambda: check_explainer(ExactShapley(Ridge()), thresholds={"exact_rtol": -1}),
     ValueError, r"thresholds\['exact_rtol'\] must be a finite non-negative number; got -1"),
    (lambda: check_explainer(ExactShapley(Ridge()), thresholds=0.1), TypeError,
     "thresholds must be a dict or None; got float"),
    (lambda: check_explainer(ExactShapley(Ridge()), y=[1, 2]), ValueError,
     "y was given without X"),
    (lambda: check_explainer(ExactShapley(Ridge()), np.zeros((5, 2)), [1, 2]), ValueError,
     r"y must have one entry per row of X \(5\); got 2"),
    (lambda: check_explainer(ExactShapley(Ridge()), np.zeros((5, 2))), ValueError,
     "The model Ridge is not fitted; pass y"),
    (lambda: check_explainer(ExactShapley(_callable_model)), ValueError,
     "needs X to check an explainer of a callable model"),
    (lambda: check_explainer(ExactShapley(Ridge()), train_fn=3), TypeError,
     "train_fn must be callable or None; got int"),
    (lambda: check_explainer(ExactShapley(Ridge(alpha="x"))), ValueError,
     "could not fit a clone of Ridge on its toy problem"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_callable_model_with_user_data():
    X = np.random.default_rng(0).normal(size=(20, 3))
    results = check_explainer(ExactShapley(_callable_model), X,
                              checks=["check_efficiency", "check_pickle"])
    assert results.passed


def test_explainer_id():
    assert explainer_id(ExactShapley(Ridge())) == "ExactShapley(model=Ridge)"
    assert explainer_id(ExactShapley(LinearRegression(), max_features=4)) == (
        "ExactShapley(model=LinearRegression,max_features=4)")
    assert explainer_id(ExactShapley(_callable_model)) == "ExactShapley(model=_callable_model)"


def test_parametrize_with_checks_ids_and_marks():
    explainer = ExactShapley(Ridge())
    mark = parametrize_with_checks(
        [explainer], expected_failed_checks=lambda e: {"check_pickle": "reason"}).mark
    argnames, params = mark.args
    assert argnames == "explainer, check"
    ids = ["-".join(mark.kwargs["ids"](v) for v in p.values) for p in params]
    assert "ExactShapley(model=Ridge)-check_efficiency" in ids
    assert len(ids) == len(set(ids))
    marked = [p for p in params if p.marks]
    assert len(marked) == 1 and marked[0].values[1].__name__ == "check_pickle"
    bound = params[ids.index("ExactShapley(model=Ridge)-check_efficiency")].values[1]
    assert bound(explainer).statistic < 1e-10  # runs the check on the toy problem


def test_parametrize_with_checks_bad_input():
    with pytest.raises(TypeError, match="explainers must be a list"):
        parametrize_with_checks(ExactShapley(Ridge()))
    with pytest.raises(ValueError, match="unknown check names"):
        parametrize_with_checks([ExactShapley(Ridge())],
                                expected_failed_checks=lambda e: {"check_x": "?"})


@parametrize_with_checks([ConstantExplainer(Ridge()), RandomExplainer(Ridge(), random_state=0)],
                         expected_failed_checks=lambda e: {
                             "check_model_randomization_cascading": "control",
                             "check_model_randomization_independent": "control",
                             "check_data_randomization": "control",
                             "check_stochastic_consistency": "control"})
def test_parametrize_with_checks_on_controls(explainer, check):
    check(explainer)


def test_all_checks_registry():
    assert set(API_CHECKS) <= set(ALL_CHECKS)
    assert all(name.startswith("check_") for name in ALL_CHECKS)


def test_import_is_cheap():
    code = ("import sys, skexplain.testing; "
            "bad = [m for m in ('torch', 'matplotlib', 'pytest') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_control_explainers_outputs_and_bad_parameters():
    X = np.random.default_rng(0).normal(size=(10, 3))
    clf = GradientBoostingClassifier(n_estimators=5).fit(X, (X[:, 0] > 0).astype(int))
    expl = RandomExplainer(clf, random_state=0).fit(X).explain(X[:4])
    assert expl.values.shape == (4, 3, 2) and expl.base_values.shape == (4, 2)
    assert ConstantExplainer(clf, value=2.0).fit(X).explain(X[:4], target=1).values.shape == (
        4, 3)
    with pytest.raises(ValueError, match=r"value must be a number or an array of the feature "
                                         r"shape \(3,\); got shape \(2,\)"):
        ConstantExplainer(clf, value=[1.0, 2.0]).fit(X)
    with pytest.raises(ValueError, match="'scale' parameter of RandomExplainer"):
        RandomExplainer(clf, scale="big").fit(X)
    with pytest.raises(ValueError, match="'random_state' parameter of RandomExplainer"):
        RandomExplainer(clf, random_state="seed").fit(X)
