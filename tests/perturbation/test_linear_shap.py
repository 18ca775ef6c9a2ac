"""LinearSHAP against truth: the closed form and ExactShapley on the same models."""
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import (LinearRegression, LogisticRegression, PoissonRegressor, Ridge,
                                  SGDClassifier)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (MinMaxScaler, Normalizer, OneHotEncoder, PolynomialFeatures,
                                   RobustScaler, StandardScaler)
from sklearn.svm import LinearSVC

from skexplain import ExactShapley, LinearSHAP
from skexplain.exceptions import ModelTypeError


@pytest.fixture
def mixed_frame():
    """Strings with missing values, numbers with NaN, integers; three classes."""
    rng = np.random.default_rng(2)
    n = 150
    city = rng.choice(["paris", "lyon", "nice", "brest"], size=n).astype(object)
    city[::11] = None
    age = rng.normal(40, 10, n)
    age[::7] = np.nan
    income = rng.lognormal(1.0, 0.5, n)
    income[3::9] = np.nan
    frame = pd.DataFrame({"age": age, "city": city, "income": income,
                          "kids": rng.integers(0, 4, n), "score": rng.normal(size=n)})
    y = rng.integers(0, 3, n)
    return frame, y


def _preprocess():
    return ColumnTransformer([
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="none"),
                              OneHotEncoder(handle_unknown="ignore")), ["city"]),
        ("age", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), ["age"]),
        ("inc", SimpleImputer(strategy="median", add_indicator=True), ["income"]),
        ("kids", "passthrough", ["kids"]),
    ], remainder=RobustScaler())


def test_linear_regression_closed_form(rng):
    X = rng.normal(size=(200, 5))
    model = LinearRegression().fit(X, X @ np.array([1.0, -2.0, 0.0, 3.0, 0.5]) + 1.0)
    background = X[:40]
    expl = LinearSHAP(model).fit(background).explain(X[50:60])
    np.testing.assert_allclose(expl.values, model.coef_ * (X[50:60] - background.mean(0)),
                               atol=1e-12)
    np.testing.assert_allclose(expl.base_values, model.predict(background).mean())
    assert expl.stderr is None


def test_scaled_pipeline_equals_exact(rng):
    X = rng.normal(3.0, 2.0, size=(150, 6))
    model = make_pipeline(StandardScaler(), MinMaxScaler(), Ridge()).fit(X, X[:, 0] - X[:, 3])
    exact = ExactShapley(model).fit(X[:20]).explain(X[30:40])
    expl = LinearSHAP(model).fit(X[:20]).explain(X[30:40])
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)


def test_column_transformer_with_missing_values_equals_exact(mixed_frame):
    frame, y = mixed_frame
    model = make_pipeline(_preprocess(), LogisticRegression(max_iter=2000)).fit(frame, y)
    background, X = frame.iloc[:25], frame.iloc[60:80]
    exact = ExactShapley(model, output="decision_function").fit(background).explain(X)
    expl = LinearSHAP(model).fit(background).explain(X)
    assert expl.feature_names == list(frame.columns) and expl.output_names == ["0", "1", "2"]
    assert expl.values.shape == (20, 5, 3)  # one output per class, raw columns
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values,
                               model.decision_function(X), atol=1e-10)
    one = LinearSHAP(model, output=2).fit(background).explain(X)
    np.testing.assert_allclose(one.values, exact.values[..., 2], atol=1e-10)
    np.testing.assert_allclose(expl.select_output(1).values, exact.values[..., 1], atol=1e-10)


def test_unseen_category_and_weighted_background(mixed_frame):
    frame, y = mixed_frame
    model = make_pipeline(_preprocess(), Ridge()).fit(frame, y.astype(float))
    X = frame.iloc[60:66].copy()
    X.loc[X.index[0], "city"] = "tokyo"  # ignored by the encoder: a row of zeros
    weights = np.linspace(1.0, 2.0, 25)
    exact = ExactShapley(model).fit(frame.iloc[:25], sample_weight=weights).explain(X)
    expl = LinearSHAP(model).fit(frame.iloc[:25], sample_weight=weights).explain(X)
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)
    np.testing.assert_allclose(expl.base_values, exact.base_values, atol=1e-12)


@pytest.mark.parametrize("estimator", [LogisticRegression(), LinearSVC(), SGDClassifier(
    random_state=0)])
def test_binary_classifiers_in_margin_space(rng, estimator):
    X = rng.normal(size=(120, 4))
    model = estimator.fit(X, (X[:, 0] + X[:, 2] > 0).astype(int))
    exact = ExactShapley(model, output="decision_function").fit(X[:15]).explain(X[20:30])
    expl = LinearSHAP(model).fit(X[:15]).explain(X[20:30])
    assert expl.values.shape == (10, 4) and expl.output_names == ["1"]
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)
    with pytest.raises(ValueError, match="margin of class 1|no column for class 0"):
        LinearSHAP(model, output=0).fit(X[:15])


def test_multi_output_regression(rng):
    X = rng.normal(size=(100, 3))
    model = LinearRegression().fit(X, np.c_[X[:, 0], X[:, 1] - X[:, 2]])
    expl = LinearSHAP(model).fit(X[:10]).explain(X[:4])
    exact = ExactShapley(model).fit(X[:10]).explain(X[:4])
    assert expl.values.shape == (4, 3, 2)
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-12)


@pytest.mark.parametrize("step, match", [(PolynomialFeatures(), "PolynomialFeatures"),
                                         (Normalizer(), "Normalizer")])
def test_preprocessing_that_mixes_columns_is_refused(rng, step, match):
    X = rng.normal(size=(60, 3))
    model = make_pipeline(step, Ridge()).fit(X, X[:, 0])
    with pytest.raises(ModelTypeError, match=f"{match}.*KernelSHAP or ExactShapley"):
        LinearSHAP(model).fit(X[:10])


def test_non_linear_models_are_refused(rng):
    X = rng.normal(size=(60, 3))
    forest = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 0])
    with pytest.raises(ModelTypeError, match="needs a linear model .with coef_."):
        LinearSHAP(forest).fit(X[:10])
    glm = PoissonRegressor().fit(X, np.exp(X[:, 0]))
    with pytest.raises(ModelTypeError, match="not an affine function"):
        LinearSHAP(glm).fit(X[:10])
    with pytest.raises(ModelTypeError, match="scikit-learn linear model"):
        LinearSHAP(lambda Z: Z.sum(1)).fit(X[:10])
    logistic = LogisticRegression().fit(X, X[:, 0] > 0)
    with pytest.raises(ValueError, match="output='predict_proba' selects predict_proba"):
        LinearSHAP(logistic, output="predict_proba").fit(X[:10])


def test_missing_values_without_imputer(rng):
    X = rng.normal(size=(60, 3))
    model = Ridge().fit(X, X[:, 0])
    explainer = LinearSHAP(model).fit(X[:10])
    X_nan = X[:2].copy()
    X_nan[0, 1] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        explainer.explain(X_nan)


def test_fast_and_picklable(rng):
    X = rng.normal(size=(20000, 30))
    model = make_pipeline(StandardScaler(), Ridge()).fit(X, X[:, 0])
    explainer = LinearSHAP(model).fit(X[:100])
    expl = explainer.explain(X)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, model.predict(X),
                               atol=1e-9)
    again = pickle.loads(pickle.dumps(explainer)).explain(X[:5])
    np.testing.assert_array_equal(again.values, expl.values[:5])
