"""The fit / explain / transform / plot contract and its error messages."""
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline

from skexplain import ExactShapley
from skexplain.exceptions import ModelEvaluationError, ModelTypeError


@pytest.fixture
def iris_model():
    X, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=500).fit(X, y), X


def test_fit_sets_learned_attributes(string_frame, string_pipeline):
    frame, _ = string_frame
    explainer = ExactShapley(string_pipeline).fit(frame.iloc[:10])
    assert explainer.n_features_in_ == 4
    assert list(explainer.feature_names_in_) == ["age", "city", "income", "score"]
    assert explainer.feature_shape_ == (4,)
    np.testing.assert_allclose(explainer.expected_value_,
                               string_pipeline.predict_proba(frame.iloc[:10]).mean(axis=0))
    assert explainer.model_.output_names == ["0", "1"]


def test_refit_on_array_forgets_feature_names(string_frame, rng):
    explainer = ExactShapley(lambda Z: np.asarray(Z, dtype=float).sum(1))
    explainer.fit(pd.DataFrame(rng.normal(size=(3, 2)), columns=["a", "b"]))
    assert hasattr(explainer, "feature_names_in_")
    explainer.fit(rng.normal(size=(3, 2)))
    assert not hasattr(explainer, "feature_names_in_")


def test_transform_and_feature_names_out(iris_model):
    model, X = iris_model
    explainer = ExactShapley(model).fit(X[:10])
    out = explainer.transform(X[:3])
    assert out.shape == (3, 4 * 3)
    names = explainer.get_feature_names_out()
    assert names[:3].tolist() == ["x0__0", "x0__1", "x0__2"]
    np.testing.assert_allclose(out.reshape(3, 4, 3), explainer.explain(X[:3]).values)
    frame = explainer.set_output(transform="pandas").transform(X[:3])
    assert list(frame.columns) == names.tolist()


def test_explainer_as_pipeline_step(iris_model):
    model, X = iris_model
    single = ExactShapley(model, output=2)
    pipe = make_pipeline(single, LinearRegression())
    pipe.fit(X[:20], X[:20, 0])  # fit_transform explains the background itself
    assert pipe.predict(X[:2]).shape == (2,)
    assert single.get_feature_names_out().tolist() == ["x0", "x1", "x2", "x3"]


def test_target_selects_outputs(iris_model):
    model, X = iris_model
    explainer = ExactShapley(model).fit(X[:10])
    full = explainer.explain(X[:4])
    np.testing.assert_allclose(explainer.explain(X[:4], target=2).values, full.values[..., 2])
    per_row = explainer.explain(X[:4], target=[0, 1, 2, 0])
    np.testing.assert_allclose(per_row.values[2], full.values[2, :, 2])
    with pytest.raises(ValueError, match="target 7 is not an output"):
        explainer.explain(X[:4], target=7)
    with pytest.raises(ValueError, match="one entry per row"):
        explainer.explain(X[:4], target=[0, 1])


def test_output_label_and_method(iris_model):
    model, X = iris_model
    proba = ExactShapley(model, output=1).fit(X[:10]).explain(X[:2])
    assert proba.output_names == ["1"] and proba.values.shape == (2, 4)
    margin = ExactShapley(model, output="decision_function").fit(X[:10]).explain(X[:2])
    np.testing.assert_allclose(margin.values.sum(1) + margin.base_values,
                               model.decision_function(X[:2]), atol=1e-10)


def test_plot_returns_display(iris_model):
    model, X = iris_model
    disp = ExactShapley(model).fit(X[:10]).plot(X[:5])
    assert hasattr(disp, "ax_") and hasattr(disp, "figure_")
    assert len(disp.bars_) == 3


# ------------------------------------------------------------------ bad inputs
def test_explain_before_fit(iris_model):
    model, X = iris_model
    with pytest.raises(NotFittedError):
        ExactShapley(model).explain(X[:2])


def test_wrong_number_of_features(iris_model):
    model, X = iris_model
    explainer = ExactShapley(model).fit(X[:10])
    with pytest.raises(ValueError,
                       match="X has 3 features, but ExactShapley is expecting 4 features as input"):
        explainer.explain(X[:2, :3])


def test_different_column_names(string_frame, string_pipeline):
    frame, _ = string_frame
    explainer = ExactShapley(string_pipeline).fit(frame.iloc[:10])
    renamed = frame.iloc[:2].rename(columns={"age": "AGE"})
    with pytest.raises(ValueError, match=r"Unexpected: \['AGE'\].*Missing: \['age'\]"):
        explainer.explain(renamed)
    reordered = frame.iloc[:2][["city", "age", "income", "score"]]
    with pytest.raises(ValueError, match="another order"):
        explainer.explain(reordered)


def test_array_for_frame_fitted_warns_and_works(string_frame, string_pipeline):
    frame, _ = string_frame
    explainer = ExactShapley(string_pipeline).fit(frame.iloc[:10])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        expl = explainer.explain(frame.iloc[:2].to_numpy())
    np.testing.assert_allclose(expl.values, explainer.explain(frame.iloc[:2]).values)


def test_one_dimensional_inputs(iris_model):
    model, X = iris_model
    with pytest.raises(ValueError, match="background must be at least 2-D.*Reshape your data"):
        ExactShapley(model).fit(X[0])
    explainer = ExactShapley(model).fit(X[:10])
    with pytest.raises(ValueError, match="X must be at least 2-D"):
        explainer.explain(X[0])
    with pytest.raises(ValueError, match="pandas Series"):
        explainer.explain(pd.Series(X[0]))


def test_empty_background(iris_model):
    model, X = iris_model
    with pytest.raises(ValueError, match=r"background: Found array with 0 sample\(s\)"):
        ExactShapley(model).fit(X[:0])
    with pytest.raises(ValueError, match=r"background: Found array with 0 feature\(s\)"):
        ExactShapley(model).fit(np.zeros((3, 0)))


def test_nan_the_model_cannot_take(rng):
    X = rng.normal(size=(50, 3))
    model = GradientBoostingRegressor(n_estimators=5).fit(X, X[:, 0])
    bad = X[:4].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ModelEvaluationError, match="GradientBoostingRegressor.predict raised "
                                                   "ValueError.*NaN"):
        ExactShapley(model).fit(bad)
    explainer = ExactShapley(model).fit(X[:5])
    with pytest.raises(ValueError, match=r"X rows \[1\] contain NaN and GradientBoosting"):
        explainer.explain(bad)


def test_output_the_model_does_not_have(rng):
    X = rng.normal(size=(20, 3))
    model = LinearRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="no predict_proba method; available: \\['predict'\\]"):
        ExactShapley(model, output="predict_proba").fit(X)
    with pytest.raises(ValueError, match="output must be 'auto'"):
        ExactShapley(model, output="probability").fit(X)


def test_model_with_none_of_the_methods(rng):
    with pytest.raises(ModelTypeError, match="got object"):
        ExactShapley(object()).fit(rng.normal(size=(3, 2)))


def test_unfitted_model(rng):
    with pytest.raises(NotFittedError, match="LinearRegression is not fitted"):
        ExactShapley(LinearRegression()).fit(rng.normal(size=(3, 2)))


def test_bad_sample_weight(rng):
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(3,\)"):
        ExactShapley(lambda Z: Z.sum(1)).fit(rng.normal(size=(3, 2)), sample_weight=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        ExactShapley(lambda Z: Z.sum(1)).fit(rng.normal(size=(3, 2)), sample_weight=[1, -2, 1])


def test_bad_batch_size(rng):
    with pytest.raises(ValueError, match="batch_size"):
        ExactShapley(lambda Z: Z.sum(1), batch_size=0).fit(rng.normal(size=(3, 2)))


def test_sparse_and_none_inputs(rng):
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse"):
        ExactShapley(lambda Z: Z.sum(1)).fit(sparse.csr_matrix(np.eye(3)))
    with pytest.raises(TypeError, match="got None"):
        ExactShapley(lambda Z: Z.sum(1)).fit(None)
