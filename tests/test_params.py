"""The model is opaque to get_params/set_params: skexplain never modifies it (issue 9)."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skexplain import ExactShapley, KernelSHAP, LinearSHAP


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    return X, X @ [1.0, -2.0, 0.5]


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP, LinearSHAP])
def test_nested_model_params_are_refused(cls, data):
    X, y = data
    model = Ridge(alpha=1.0).fit(X, y)
    explainer = cls(model)
    assert not any(k.startswith("model__") for k in explainer.get_params(deep=True))
    with pytest.raises(ValueError, match=r"model__alpha.*never modifies the model.*"
                                         r"set_params\(model=new_model\)"):
        explainer.set_params(model__alpha=5.0)
    assert model.alpha == 1.0
    other = Ridge(alpha=2.0).fit(X, y)
    assert explainer.set_params(model=other).model is other


def test_clone_shares_the_model(data):
    X, y = data
    model = Ridge().fit(X, y)
    assert clone(ExactShapley(model)).model is model


def test_grid_search_over_explainer_params(data):
    X, y = data
    model = Ridge().fit(X, y)
    pipe = Pipeline([("explain", KernelSHAP(model, n_samples=8, random_state=0)),
                     ("reg", Ridge())])
    assert "explain__n_samples" in pipe.get_params()
    assert not any(k.startswith("explain__model__") for k in pipe.get_params())
    search = GridSearchCV(pipe, {"explain__n_samples": [8, 16]}, cv=2).fit(X, y)
    assert search.best_estimator_.named_steps["explain"].model is model
    with pytest.raises(ValueError, match="never modifies the model"):
        pipe.set_params(explain__model__alpha=3.0)
    assert model.alpha == 1.0
