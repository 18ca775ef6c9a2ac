"""LIME(link="logit"): the surrogate fitted to the log-odds of each perturbed row."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skexplain import LIME
from skexplain.exceptions import ApproximationWarning


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :6]
    return X, y


def logit(p):
    return np.log(p) - np.log1p(-p)


@pytest.mark.parametrize("groups", [None, [[0, 1], [2], [3, 4], [5]]])
def test_equals_lime_on_the_log_odds_model(data, groups):
    X, y = data
    clf = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X, y)
    kw = dict(n_samples=400, random_state=3, feature_groups=groups)
    ours = LIME(clf, link="logit", **kw).fit(X[:40]).explain(X[:5])
    log_odds = LIME(lambda Z: logit(clf.predict_proba(Z)), **kw).fit(X[:40]).explain(X[:5])
    np.testing.assert_allclose(ours.values, log_odds.values, rtol=1e-10, atol=1e-12)
    for key in ("intercept", "local_prediction", "score"):
        np.testing.assert_allclose(ours.extras[key], log_odds.extras[key], rtol=1e-10,
                                   atol=1e-12)
    mean_p = clf.predict_proba(X[:40]).mean(axis=0)
    np.testing.assert_allclose(ours.base_values, np.tile(logit(mean_p), (5, 1)), rtol=1e-12)


def test_binary_logistic_regression_equals_decision_function(data):
    X, y = data
    # scaled and regularised: no probability saturates to 0 or 1 (no clipping)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(X, y)
    kw = dict(n_samples=300, random_state=0)
    linked = LIME(clf, link="logit", **kw).fit(X[:30]).explain(X[:4])
    margin = LIME(clf, output="decision_function", **kw).fit(X[:30]).explain(X[:4])
    np.testing.assert_allclose(linked.values[..., 1], margin.values, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(linked.values[..., 0], -margin.values, rtol=1e-8, atol=1e-10)


def test_refused_on_a_regressor_and_on_decision_function(data):
    X, y = data
    reg = GradientBoostingRegressor(n_estimators=10, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="link='logit' explains probabilities"):
        LIME(reg, link="logit").fit(X[:20])
    clf = LogisticRegression(max_iter=5000).fit(X, y)
    with pytest.raises(ValueError, match="link='logit'.*decision_function"):
        LIME(clf, link="logit", output="decision_function").fit(X[:20])


def test_bad_link_value_names_the_parameter(data):
    X, y = data
    with pytest.raises(ValueError, match="link"):
        LIME(LogisticRegression(), link="probit").fit(X[:20])


def test_certain_probabilities_are_clipped_with_a_warning(data):
    X, y = data
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)  # pure leaves: p in {0, 1}
    with pytest.warns(ApproximationWarning, match="clipped"):
        expl = LIME(tree, link="logit", n_samples=200, random_state=0).fit(X[:30]).explain(X[:2])
    assert np.isfinite(expl.values).all()


def test_per_row_baselines_base_is_the_log_odds_of_the_reference(data):
    X, y = data
    clf = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y)
    groups = [[0], [1], [2], [3], [4], [5]]
    expl = LIME(clf, link="logit", feature_groups=groups, n_samples=200,
                random_state=0).fit(X[:20]).explain(X[:3], baselines=X[10:13])
    np.testing.assert_allclose(expl.base_values, logit(clf.predict_proba(X[10:13])),
                               rtol=1e-10)


def test_linearity_is_not_claimed_with_a_link():
    tags = LIME(LogisticRegression(), link="logit").__skexplain_tags__()
    assert "linearity" not in tags.axioms
    assert "linearity" in LIME(LogisticRegression()).__skexplain_tags__().axioms
