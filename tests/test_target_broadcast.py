"""A target of length 1 applies to every row (as in captum), for perturbation
explainers; other lengths than the number of rows are refused clearly."""
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

from skexplain import LIME, ExactShapley, KernelSHAP, LinearSHAP, Occlusion
from skexplain.testing import ConstantExplainer

EXPLAINERS = [
    lambda m: ExactShapley(m), lambda m: KernelSHAP(m, n_samples=64, random_state=0),
    lambda m: LIME(m, n_samples=200, random_state=0), lambda m: Occlusion(m),
    lambda m: LinearSHAP(m), lambda m: ConstantExplainer(m, value=1.0)]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    return LogisticRegression(max_iter=500).fit(X, labels), X


def same(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.base_values, b.base_values)
    assert a.output_names == b.output_names


@pytest.mark.parametrize("make", EXPLAINERS)
def test_a_length_one_target_applies_to_every_row(make, iris):
    model, X = iris
    explainer = make(model).fit(X[::10])
    rows = X[[0, 60, 120, 30]]
    for label, position in (("virginica", 2), ("versicolor", 1)):
        single = explainer.explain(rows, target=position)
        assert single.values.shape == (4, 4)
        for target in ([position], np.array([position]), (position,), pd.Series([position]),
                       [label], np.array([label]), pd.Series([label], index=[7])):
            same(explainer.explain(rows, target=target), single)
        # one row: a length-1 target is also one entry per row
        same(explainer.explain(rows[:1], target=[label]), explainer.explain(rows[:1],
                                                                            target=position))


@pytest.mark.parametrize("make", EXPLAINERS)
def test_other_lengths_are_refused(make, iris):
    model, X = iris
    explainer = make(model).fit(X[::10])
    rows = X[:4]
    for target in ([0, 1], np.array([0, 1, 2]), ["setosa"] * 5):
        message = rf"target must .*one output per row \(4 entries\); got {len(target)} entries"
        with pytest.raises(ValueError, match=message):
            explainer.explain(rows, target=target)


@pytest.mark.parametrize("make", EXPLAINERS[:4])
def test_one_output_model(make):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3))
    model = LinearRegression().fit(X, X @ [1.0, 2.0, 3.0])
    explainer = make(model).fit(X[:5])
    same(explainer.explain(X[:4], target=[0]), explainer.explain(X[:4], target=0))
    with pytest.raises(ValueError, match=r"one output per row \(4 entries\); got 2 entries"):
        explainer.explain(X[:4], target=[0, 0])
