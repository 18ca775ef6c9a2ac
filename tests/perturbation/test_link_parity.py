"""Parity of ``link="logit"`` with shap (oracle): ``KernelExplainer(link="logit")``
enumerating every coalition, and ``explainers.Exact`` with the logit link
applied to the background mean (``linearize_link=False``), on a
LogisticRegression and GradientBoostingClassifiers (binary and 3 classes)."""
import warnings

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from skexplain import ExactShapley, KernelSHAP

pytestmark = pytest.mark.parity


# Skipped per test, not per module: .ci/compare_runs.py then sees each test
# skip for the missing optional dependency in the run without the extras.
@pytest.fixture
def shap():
    return pytest.importorskip("shap")


def _data(d, n_classes):
    rng = np.random.default_rng(d + n_classes)
    X = rng.normal(size=(300, d))
    score = X[:, 0] + X[:, 1] * X[:, 2] - 0.5 * X[:, d - 1]
    y = (score > 0).astype(int) if n_classes == 2 else np.digitize(score, [-0.7, 0.7])
    return X, y


def _model(kind, X, y):
    if kind == "logreg":
        return LogisticRegression().fit(X, y)
    return GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X, y)


def _shap_kernel(shap, model, bg, rows):
    d = bg.shape[1]
    explainer = shap.KernelExplainer(model.predict_proba, bg, link="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = explainer.shap_values(rows, nsamples=2**d, l1_reg=False, silent=True)
    return np.asarray(values), np.asarray(explainer.expected_value)


@pytest.mark.parametrize("kind, d, n_classes", [
    ("logreg", 8, 2), ("gbc", 8, 2), ("gbc", 7, 3), ("logreg", 10, 3)])
def test_exact_and_kernel_match_shap_kernel_explainer(shap, kind, d, n_classes):
    X, y = _data(d, n_classes)
    model = _model(kind, X, y)
    bg, rows = X[:12].copy(), X[200:204].copy()
    bg[:, 3] = 0.0
    rows[0, 3] = 0.0  # a feature equal to every background row (shap drops it too)
    want, base = _shap_kernel(shap, model, bg, rows)  # (n, d, n_classes)
    exact = ExactShapley(model, link="logit").fit(bg).explain(rows)
    kernel = KernelSHAP(model, link="logit", n_samples=2**d,
                        random_state=0).fit(bg).explain(rows)
    for expl in (exact, kernel):
        np.testing.assert_allclose(expl.values, want, rtol=0, atol=1e-8)
        np.testing.assert_allclose(expl.base_values[0], base, rtol=0, atol=1e-8)


# slow: shap compiles its logit averaging with numba on first use (about 27 s here)
@pytest.mark.slow
def test_exact_matches_shap_exact_explainer(shap):
    X, y = _data(5, 2)
    model = _model("logreg", X, y)
    bg, rows = X[:10], X[200:202]
    masker = shap.maskers.Independent(bg, max_samples=100)
    oracle = shap.explainers.Exact(model.predict_proba, masker, link=shap.links.logit,
                                   linearize_link=False)
    want = oracle(rows, silent=True)
    ours = ExactShapley(model, link="logit").fit(bg).explain(rows)
    np.testing.assert_allclose(ours.values, want.values, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.base_values, want.base_values, rtol=0, atol=1e-8)
