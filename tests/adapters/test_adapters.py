"""as_model: sklearn estimators and Pipelines, torch modules, callables."""
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import LinearSVC

from skexplain.adapters import CallableModel, SklearnModel, as_model
from skexplain.exceptions import ModelEvaluationError, ModelTypeError


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_classifier_auto_is_predict_proba(iris):
    X, y = iris
    clf = LogisticRegression(max_iter=500).fit(X, y)
    model = as_model(clf, sample=X)
    assert isinstance(model, SklearnModel) and model.method == "predict_proba"
    np.testing.assert_array_equal(model.predict(X[:5]), clf.predict_proba(X[:5]))
    assert model.output_names == ["0", "1", "2"]


@pytest.mark.parametrize("output,expected", [
    ("decision_function", lambda c, X: c.decision_function(X)),
    ("predict_log_proba", lambda c, X: c.predict_log_proba(X)),
    ("predict", lambda c, X: c.predict(X)[:, None]),
    (2, lambda c, X: c.predict_proba(X)[:, [2]]),
])
def test_classifier_outputs(iris, output, expected):
    X, y = iris
    clf = LogisticRegression(max_iter=500).fit(X, y)
    np.testing.assert_allclose(as_model(clf, output, sample=X).predict(X[:5]),
                               expected(clf, X[:5]))


def test_string_labels_and_column_index(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = LogisticRegression(max_iter=500).fit(X, labels)
    model = as_model(clf, "virginica", sample=X)
    assert model.output_names == ["virginica"]
    np.testing.assert_allclose(model.predict(X[:3])[:, 0], clf.predict_proba(X[:3])[:, 2])
    by_index = as_model(clf, 0, sample=X)
    assert by_index.output_names == ["setosa"]
    assert as_model(clf, sample=X).resolve_output("versicolor") == 1
    with pytest.raises(ModelEvaluationError, match="dtype"):
        as_model(clf, "predict", sample=X)


def test_binary_decision_function_names_positive_class(iris):
    X, y = iris
    clf = LinearSVC().fit(X, y == 2)
    model = as_model(clf, sample=X)
    assert model.method == "decision_function"
    assert model.output_names == ["True"] and model.n_outputs == 1


def test_regressors(rng):
    X = rng.normal(size=(30, 3))
    single = as_model(LinearRegression().fit(X, X[:, 0]), sample=X)
    assert single.output_names == ["output"]
    multi = as_model(LinearRegression().fit(X, X[:, :2]), sample=X)
    assert multi.output_names == ["output_0", "output_1"]
    assert multi.predict(X[:4]).shape == (4, 2)


def test_pipeline_on_raw_string_columns(string_frame, string_pipeline):
    frame, _ = string_frame
    model = as_model(string_pipeline, sample=frame)
    np.testing.assert_allclose(model.predict(frame.iloc[:5]),
                               string_pipeline.predict_proba(frame.iloc[:5]))


def test_static_outputs_without_sample(iris):
    X, y = iris
    model = as_model(RandomForestClassifier(n_estimators=3).fit(X, y))
    assert model.n_outputs == 3


def test_callable_shapes(rng):
    X = rng.normal(size=(5, 3))
    one = as_model(lambda Z: Z.sum(axis=1), sample=X)
    assert isinstance(one, CallableModel) and one.output_names == ["output"]
    two = as_model(lambda Z: np.stack([Z[:, 0], Z[:, 1]], 1), output=1, sample=X)
    np.testing.assert_allclose(two.predict(X)[:, 0], X[:, 1])
    with pytest.raises(ValueError, match=r"column index in \[0, 2\)"):
        as_model(lambda Z: np.stack([Z[:, 0], Z[:, 1]], 1), output=5, sample=X)


def test_model_output_checks(rng):
    X = rng.normal(size=(4, 2))
    with pytest.raises(ModelEvaluationError, match="NaN or infinite"):
        as_model(lambda Z: np.full(len(Z), np.nan), sample=X)
    with pytest.raises(ModelEvaluationError, match="must return shape"):
        as_model(lambda Z: np.zeros((len(Z) + 1,)), sample=X)
    with pytest.raises(ModelEvaluationError, match="ZeroDivisionError"):
        as_model(lambda Z: 1 / 0, sample=X)


def test_not_a_model():
    with pytest.raises(ModelTypeError, match="got int"):
        as_model(3)
    with pytest.raises(ModelTypeError, match="got the class LinearRegression.*fit"):
        as_model(LinearRegression)
