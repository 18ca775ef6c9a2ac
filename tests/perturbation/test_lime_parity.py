"""Parity with the lime package (oracle): its default tabular explainer on a
GradientBoostingRegressor on diabetes, and its feature-selection procedures."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.model_selection import train_test_split

from skexplain import LIME
from skexplain.perturbation._lime_surrogate import Moments, select_features


# Skipped per test, not per module: .ci/compare_runs.py then sees each test
# skip for the missing optional dependency in the run without the extras.
@pytest.fixture
def lime_tabular():
    return pytest.importorskip("lime.lime_tabular")


@pytest.fixture
def lime_base():
    return pytest.importorskip("lime.lime_base")


def _top5(w):
    return set(np.argsort(-np.abs(w), kind="stable")[:5].tolist())


def test_default_tabular_agrees_with_lime_on_gbr_diabetes(lime_tabular):
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    predict = GradientBoostingRegressor(random_state=0).fit(Xtr, ytr).predict
    rows, d = Xte[:20], X.shape[1]
    jaccard, signs = [], []
    for seed in (0, 1):
        ours = LIME(predict, random_state=seed).fit(Xtr).explain(rows).values
        explainer = lime_tabular.LimeTabularExplainer(Xtr, mode="regression",
                                                      random_state=seed)
        for r, x in enumerate(rows):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exp = explainer.explain_instance(x, predict, num_features=d, num_samples=5000)
            theirs = np.zeros(d)
            for j, w in exp.as_map()[1]:  # regression: label 1 holds the weights
                theirs[j] = w
            top = _top5(theirs)
            jaccard.append(len(top & _top5(ours[r])) / len(top | _top5(ours[r])))
            signs.extend(np.sign(ours[r, j]) == np.sign(theirs[j]) for j in top)
    assert np.mean(jaccard) >= 0.8
    assert np.mean(signs) >= 0.95


@pytest.mark.parametrize("ours, theirs", [("forward", "forward_selection"),
                                          ("highest_weights", "highest_weights"),
                                          ("lasso", "lasso_path")])
def test_feature_selection_matches_lime_base(ours, theirs, lime_base):
    rng = np.random.default_rng(1)
    base = lime_base.LimeBase(lambda d: d, random_state=0)
    for _ in range(5):
        Z = (rng.random((400, 7)) < 0.4).astype(float)
        Z[0] = 1.0
        w = rng.random(400)
        y = Z @ rng.normal(size=7) + Z[:, 0] * Z[:, 1] + 0.2 * rng.normal(size=400)
        Y = y[None, :, None]
        mask = select_features(ours, 3, Z[None], w[None], Y, Moments(Z[None], w[None], Y))
        expected = base.feature_selection(Z, y, w, 3, theirs)
        assert np.flatnonzero(mask[0, 0]).tolist() == sorted(np.asarray(expected).tolist())
