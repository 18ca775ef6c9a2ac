"""Clear errors for bad rows and parameters (issue 9): names, strings, complex, n_jobs."""
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skexplain import ExactShapley, KernelSHAP, LinearSHAP


class Sum:
    """A picklable numeric model of any width."""

    def __call__(self, X):
        return np.asarray(X, dtype=float).reshape(len(X), -1).sum(axis=1)


@pytest.fixture
def int_named():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(6, 3)), columns=[0, 1, 2])


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP])
def test_integer_column_names_explained_as_strings(cls, int_named):
    explainer = cls(Sum()).fit(int_named)
    X = int_named.rename(columns=str)
    with pytest.raises(ValueError, match=r"X has columns \['0', '1', '2'\] \(str\).*"
                                         r"\[0, 1, 2\] \(int\)"):
        explainer.explain(X)
    # the same labels work, and so does the reverse mismatch raise
    assert explainer.explain(int_named).values.shape == (6, 3)
    with pytest.raises(ValueError, match="including their type"):
        cls(Sum()).fit(X).explain(int_named)


def test_string_in_numeric_array():
    explainer = ExactShapley(Sum()).fit(np.zeros((3, 3)))
    X = np.ones((2, 3), dtype=object)
    X[1, 2] = "abc"
    with pytest.raises(ValueError, match=r"X must hold numbers.*column 2 holds the string 'abc' "
                                         r"\(row 1\)"):
        explainer.explain(X)
    with pytest.raises(ValueError, match="column 0 holds the string '1.5'"):
        explainer.explain(np.array([["1.5", "2", "3"]]))  # numeric strings too (as sklearn)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        with pytest.raises(ValueError, match="column 1 holds the string 'x'"):
            explainer.explain(pd.DataFrame({"a": [1.0], "b": ["x"], "c": [2.0]}))
    # objects holding numbers are numbers
    assert explainer.explain(np.ones((2, 3), dtype=object)).values.shape == (2, 3)


def test_string_in_numeric_frame_column():
    bg = pd.DataFrame({"age": [20.0, 30.0, 40.0], "city": ["a", "b", "a"]})
    model = make_pipeline(make_column_transformer((OneHotEncoder(), ["city"]),
                                                  remainder="passthrough"), Ridge())
    model.fit(bg, [1.0, 2.0, 3.0])
    explainer = ExactShapley(model).fit(bg)
    X = pd.DataFrame({"age": [25.0, "abc"], "city": ["a", "b"]})
    with pytest.raises(ValueError, match=r"column 'age' holds the string 'abc' \(row 1\)"):
        explainer.explain(X)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        with pytest.raises(ValueError, match="column 'age' holds the string 'x'"):
            explainer.explain(np.array([["x", "a"]], dtype=object))
    # string columns where the background holds strings are the pipeline's business
    assert explainer.explain(bg).values.shape == (3, 2)


def test_object_background_column_accepts_strings():
    bg = np.array([[1.0, "a"], [2.0, "b"]], dtype=object)

    def model(X):
        X = np.asarray(X, dtype=object)
        return X[:, 0].astype(float) + (X[:, 1] == "b")

    expl = ExactShapley(model).fit(bg).explain(np.array([[3.0, "b"]], dtype=object))
    np.testing.assert_allclose(expl.values.sum() + expl.base_values, [4.0])


@pytest.mark.parametrize("where", ["fit", "explain"])
def test_complex_input_is_refused(where):
    z = np.ones((3, 2)) + 1j
    explainer = ExactShapley(Sum())
    with pytest.raises(ValueError, match="Complex data not supported"):
        explainer.fit(z) if where == "fit" else explainer.fit(z.real).explain(z)
    with pytest.raises(ValueError, match="complex"):
        explainer.fit(z.astype(object))


def test_sklearn_wording_of_shape_errors():
    explainer = KernelSHAP(Sum(), n_samples=8).fit(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="X has 3 features, but KernelSHAP is expecting 5 "
                                         "features as input"):
        explainer.explain(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"X must be .*Expected 2D array, got 1D array "
                                         r"instead.*Reshape your data"):
        explainer.explain(np.zeros(5))
    with pytest.raises(ValueError, match=r"X: Found array with 0 sample\(s\) \(shape=\(0, 5\)\) "
                                         "while a minimum of 1 is required"):
        explainer.explain(np.zeros((0, 5)))
    with pytest.raises(ValueError, match=r"background: Found array with 0 feature\(s\)"):
        KernelSHAP(Sum()).fit(np.zeros((12, 0)))


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP])
def test_n_jobs_zero_is_refused_at_fit(cls):
    with pytest.raises(ValueError, match="'n_jobs' parameter.*Got 0"):
        cls(Sum(), n_jobs=0).fit(np.zeros((3, 2)))
    for n_jobs in (None, 1, 2, -1, -2):
        cls(Sum(), n_jobs=n_jobs).fit(np.zeros((3, 2)))


def test_linear_shap_refuses_infinite_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    explainer = LinearSHAP(Ridge().fit(X, X.sum(1))).fit(X)
    bad = X[:3].copy()
    bad[1, 0] = np.inf
    with pytest.raises(ValueError, match=r"X must give finite features.*rows \[1\]"):
        explainer.explain(bad)
    with pytest.raises(ValueError, match="infinity"):  # the model itself refuses it at fit
        LinearSHAP(Ridge().fit(X, X.sum(1))).fit(bad)


def test_linear_shap_background_predictions_are_margins():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    explainer = LinearSHAP(model).fit(X[:20])
    np.testing.assert_allclose(explainer.background_predictions_[:, 0],
                               model.decision_function(X[:20]))
    np.testing.assert_allclose(explainer.expected_value_,
                               explainer.background_predictions_.mean(axis=0)[0])
    assert explainer.model_.method == "decision_function"
