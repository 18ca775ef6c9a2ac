"""A model failing on rows of X is reported with those rows, not a hybrid batch."""
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from skexplain import ExactShapley, KernelSHAP
from skexplain.exceptions import ModelEvaluationError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    return X, X @ [1.0, 2.0, -1.0, 0.5]


def explainers(model):
    return [ExactShapley(model), KernelSHAP(model, n_samples=20, random_state=0),
            KernelSHAP(model, n_samples=20, random_state=0, n_jobs=2)]


def with_nan(X):
    X = X[:8].copy()
    X[2, 1] = np.nan
    X[5, 3] = np.nan
    return X


def test_nan_rows_of_x_are_named(data):
    X, y = data
    model = GradientBoostingRegressor(n_estimators=5, random_state=0).fit(X, y)
    for explainer in explainers(model):
        explainer.fit(X[:20])
        with pytest.raises(ModelEvaluationError,
                           match=r"X rows \[2, 5\] contain NaN and GradientBoostingRegressor"
                                 r"\.predict raised ValueError on them") as info:
            explainer.explain(with_nan(X))
        assert "batch" not in str(info.value)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value.__cause__, ValueError)
        assert "NaN" in str(info.value.__cause__)


def test_nan_outputs_name_the_rows(data):
    X, _ = data
    for explainer in explainers(lambda A: A.sum(axis=1)):
        explainer.fit(X[:5])
        with pytest.raises(ModelEvaluationError,
                           match=r"X rows \[2, 5\] contain NaN and the callable .* returned NaN"):
            explainer.explain(with_nan(X))


def test_rows_without_nan_are_named_too():
    background = pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "y"]})
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "bad", "y"]})

    def strict(frame):
        if (frame["c"] == "bad").any():
            raise KeyError("unknown category 'bad'")
        return frame["a"].to_numpy()

    for explainer in explainers(strict):
        with pytest.raises(ModelEvaluationError,
                           match=r"X rows \[1\]: the callable .* raised KeyError on them"):
            explainer.fit(background).explain(X)


def test_failure_on_hybrids_only_keeps_the_batch_error():
    background = np.zeros((2, 2))

    def picky(A):  # fails on a mix of a row of X and the background only
        if np.any((A[:, 0] == 1) & (A[:, 1] == 0)):
            raise ValueError("mixed")
        return A.sum(axis=1)

    for explainer in explainers(picky):
        with pytest.raises(ModelEvaluationError, match="on a batch of"):
            explainer.fit(background).explain(np.ones((1, 2)))


@pytest.mark.parametrize("model", [
    HistGradientBoostingRegressor(max_iter=5),
    make_pipeline(SimpleImputer(), LinearRegression())])
def test_models_that_accept_nan_keep_working(data, model):
    X, y = data
    model.fit(X, y)
    X_nan = with_nan(X)
    for explainer in explainers(model):
        expl = explainer.fit(X[:10]).explain(X_nan)
        np.testing.assert_allclose(expl.values.sum(axis=1) + expl.base_values,
                                   model.predict(X_nan), atol=1e-8)
