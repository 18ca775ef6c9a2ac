"""
Auditing a model's explanations in a test suite
===============================================

A test module to copy into your own project and run with ``pytest``: it states
what a Pipeline trained on a DataFrame with a string column (``sex``) may and
may not do, as explanation assertions.  skexplain's pytest plugin (active once
skexplain is installed) provides the ``fitted_explainer`` fixture, explains
failures feature by feature, and ``pytest --skexplain-report=audit.html``
writes every assertion's statistic, threshold and outcome to a report.

This file is not run by the gallery; ``tests/testing/test_example_audit.py``
runs it with pytest.
"""
import pathlib

import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skexplain import ExactShapley, Explanation
from skexplain.testing import (assert_additive, assert_explanations_close,
                               assert_feature_unused, assert_passes_sanity_checks, assert_sign,
                               assert_top_features)

# The last accepted explanation, written on the first run: commit it, and a
# retrained model whose explanations drift fails test_explanations_are_stable.
REFERENCE = pathlib.Path(__file__).with_name("audit_pipeline_reference.npz")

pytestmark = pytest.mark.explanation


@pytest.fixture(scope="module")
def data():
    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X = X[["age", "sex", "bmi", "bp", "s5"]]
    return X.assign(sex=X["sex"].map({1.0: "female", 2.0: "male"})), y


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    encode = ColumnTransformer([("sex", OneHotEncoder(), ["sex"])], remainder=StandardScaler())
    return make_pipeline(encode, RidgeCV()).fit(X, y)


@pytest.fixture(scope="module")
def background(data):
    return data[0].sample(30, random_state=0)


@pytest.fixture(scope="module")
def explanation(fitted_explainer, model, background, data):
    # fitted once per (explainer, model, background) for the whole session
    explainer = fitted_explainer(ExactShapley, model, background)
    return explainer.explain(data[0].iloc[:40])


def test_attributions_add_up_to_the_prediction(explanation, model, data):
    assert_additive(explanation, prediction=model.predict(data[0].iloc[:40]))


def test_bmi_and_s5_drive_the_prediction(explanation):
    assert_top_features(explanation, ["bmi", "s5"])


def test_sex_weighs_little(explanation):
    assert_feature_unused(explanation, "sex", max_share=0.15)


def test_progression_rises_with_bmi(explanation):
    assert_sign(explanation, "bmi", "positive")


def test_explanations_are_stable(explanation):
    if not REFERENCE.exists():
        explanation.save(REFERENCE)
        pytest.skip(f"wrote the reference explanation {REFERENCE.name}; commit it")
    assert_explanations_close(explanation, Explanation.load(REFERENCE), rtol=1e-3)


def test_explainer_passes_the_randomization_checks(model, data, background):
    X, y = data
    assert_passes_sanity_checks(ExactShapley(model), X, y, checks=["cascading", "data"],
                                X_explain=X.iloc[:20], background=background)
