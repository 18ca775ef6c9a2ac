"""get_feature_names_out matches transform's columns (groups, interactions, n-d, outputs)."""
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from skexplain import ExactShapley, KernelSHAP


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 4)), columns=["a", "b", "c", "d"])
    return X, X["a"] - 2 * X["b"] + X["c"] * X["d"]


def test_groups(frame):
    X, y = frame
    model = Ridge().fit(X, y)
    explainer = ExactShapley(model, feature_groups={"ab": ["a", "b"]}).fit(X[:10])
    names = explainer.get_feature_names_out()
    assert names.tolist() == ["ab", "c", "d"]
    assert explainer.transform(X[:3]).shape == (3, 3)
    out = explainer.set_output(transform="pandas").transform(X[:3])
    assert list(out.columns) == ["ab", "c", "d"]


def test_interactions_and_outputs(frame):
    X, y = frame
    model = LogisticRegression().fit(X, y > 0)
    explainer = ExactShapley(model, interactions=True).fit(X[:8])
    names = explainer.get_feature_names_out()
    assert explainer.transform(X[:2]).shape == (2, len(names)) == (2, 4 * 4 * 2)
    assert names[:3].tolist() == ["a*a__False", "a*a__True", "a*b__False"]
    out = explainer.set_output(transform="pandas").transform(X[:2])
    np.testing.assert_allclose(out["a*b__True"], explainer.explain(X[:2]).values[:, 0, 1, 1])


def test_grouped_interactions_without_names():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    explainer = ExactShapley(lambda Z: Z[:, 0] * Z[:, 3], feature_groups=[[1, 2]],
                             interactions=True).fit(X)
    assert explainer.get_feature_names_out().tolist() == [
        "x0*x0", "x0*x1", "x0*x3", "x1*x0", "x1*x1", "x1*x3", "x3*x0", "x3*x1", "x3*x3"]
    renamed = explainer.get_feature_names_out(["p", "q", "r", "s"])
    assert renamed.tolist()[:3] == ["p*p", "p*q", "p*s"]
    assert explainer.transform(X[:2]).shape == (2, 9)


def test_input_features_are_validated(frame):
    X, y = frame
    explainer = KernelSHAP(Ridge().fit(X, y), n_samples=16).fit(X[:5])
    with pytest.raises(ValueError, match=r"input_features should have length equal to number "
                                         r"of features \(4\), got 2"):
        explainer.get_feature_names_out(["a", "b"])
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        explainer.get_feature_names_out(["a", "b", "c", "e"])
    assert explainer.get_feature_names_out(["a", "b", "c", "d"]).tolist() == ["a", "b", "c", "d"]
    plain = KernelSHAP(lambda Z: Z.sum(1), n_samples=16).fit(X.to_numpy()[:5])
    assert plain.get_feature_names_out(["p", "q", "r", "s"]).tolist() == ["p", "q", "r", "s"]
    with pytest.raises(ValueError, match="got 5"):
        plain.get_feature_names_out(list("pqrst"))
