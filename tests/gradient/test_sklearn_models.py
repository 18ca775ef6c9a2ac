"""scikit-learn MLPs and linear models explained through their torch twins."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from scipy.special import expit, softmax  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.ensemble import GradientBoostingRegressor  # noqa: E402
from sklearn.linear_model import (LinearRegression, LogisticRegression,  # noqa: E402
                                  PoissonRegressor, Ridge, RidgeClassifier)
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import (MaxAbsScaler, MinMaxScaler, PolynomialFeatures,  # noqa: E402
                                   RobustScaler, StandardScaler)

from skexplain import DeepLIFT, IntegratedGradients, Saliency  # noqa: E402
from skexplain.adapters._sklearn_torch import to_torch_module  # noqa: E402
from skexplain.exceptions import ModelTypeError  # noqa: E402

Xc, yc = make_classification(n_samples=120, n_features=5, n_informative=4, n_redundant=0,
                             n_classes=3, random_state=0)
Xr, yr = make_regression(n_samples=120, n_features=5, n_targets=2, random_state=0)


def margin(module, X):
    with torch.no_grad():
        return module(torch.as_tensor(X, dtype=torch.float64)).numpy()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_mlp_classifier_logits(activation):
    multi = MLPClassifier(hidden_layer_sizes=(8, 6), activation=activation, max_iter=50,
                          random_state=0)
    logits = margin(to_torch_module(multi.fit(Xc, yc)), Xc)
    np.testing.assert_allclose(softmax(logits, axis=1), multi.predict_proba(Xc), atol=1e-6)
    binary = MLPClassifier(hidden_layer_sizes=(8,), activation=activation, max_iter=50,
                           random_state=0)
    logits = margin(to_torch_module(binary.fit(Xc, yc == 1)), Xc)
    assert logits.shape == (120, 1)
    np.testing.assert_allclose(expit(logits[:, 0]), binary.predict_proba(Xc)[:, 1], atol=1e-6)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mlp_regressor_and_linear_models_reproduce_their_margin():
    mlp = MLPRegressor(hidden_layer_sizes=(7,), max_iter=50, random_state=0).fit(Xr, yr)
    np.testing.assert_allclose(margin(to_torch_module(mlp), Xr), mlp.predict(Xr), atol=1e-6)
    poisson = MLPRegressor(loss="poisson", hidden_layer_sizes=(7,), max_iter=50,
                           random_state=0).fit(Xr, np.exp(yr[:, 0] / 200))
    np.testing.assert_allclose(np.exp(margin(to_torch_module(poisson), Xr)[:, 0]),
                               poisson.predict(Xr), rtol=1e-6)
    for est in (LinearRegression().fit(Xr, yr), Ridge().fit(Xr, yr[:, 0])):
        np.testing.assert_allclose(margin(to_torch_module(est), Xr).squeeze(),
                                   est.predict(Xr), atol=1e-6)
    for est in (LogisticRegression(max_iter=500).fit(Xc, yc),
                LogisticRegression().fit(Xc, yc == 1), RidgeClassifier().fit(Xc, yc)):
        np.testing.assert_allclose(margin(to_torch_module(est), Xc).squeeze(),
                                   est.decision_function(Xc), atol=1e-6)


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler(), MaxAbsScaler(),
                                    RobustScaler(), StandardScaler(with_mean=False),
                                    RobustScaler(with_centering=False, with_scaling=False)])
def test_pipelines_with_affine_scalers(scaler):
    pipe = make_pipeline(scaler, LogisticRegression(max_iter=500)).fit(Xc * 10 + 3, yc)
    np.testing.assert_allclose(margin(to_torch_module(pipe), Xc * 10 + 3),
                               pipe.decision_function(Xc * 10 + 3), atol=1e-6)


def test_integrated_gradients_on_logistic_regression_is_coef_times_displacement():
    clf = LogisticRegression(max_iter=500).fit(Xc, yc)
    background = Xc[:10]
    expl = IntegratedGradients(clf, n_steps=2).fit(background).explain(Xc[:5], target=2)
    np.testing.assert_allclose(expl.values, clf.coef_[2] * (Xc[:5] - background.mean(0)),
                               atol=1e-10)
    assert expl.output_names == ["2"]  # class labels name the logits
    np.testing.assert_allclose(expl.delta, 0, atol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_deeplift_on_an_mlp_classifier_is_complete_in_logit_space():
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(Xc, yc)
    expl = DeepLIFT(clf).fit(Xc[:10]).explain(Xc[:5])
    module = to_torch_module(clf)
    t = expl.metadata["target"]
    assert t == list(clf.predict(Xc[:5]))  # the predicted class by default
    diff = margin(module, Xc[:5])[range(5), t] - margin(module, Xc[:10]).mean(0)[t]
    np.testing.assert_allclose(expl.values.sum(1), diff, atol=1e-10)


def test_binary_classifier_has_one_margin_named_after_the_positive_class():
    clf = LogisticRegression().fit(Xc, np.where(yc == 1, "yes", "no"))
    expl = Saliency(clf).fit(Xc[:5]).explain(Xc[:3])
    assert expl.output_names == ["yes"]
    np.testing.assert_allclose(expl.values, np.tile(clf.coef_[0], (3, 1)))
    with pytest.raises(ValueError, match="target 'no' is not an output"):
        Saliency(clf).fit(Xc[:5]).explain(Xc[:3], target="no")


@pytest.mark.parametrize("model,match", [
    (GradientBoostingRegressor(n_estimators=2), "need a torch.nn.Module.*GradientBoosting"),
    (PoissonRegressor(), "PoissonRegressor cannot be explained by gradient explainers"),
    (make_pipeline(PolynomialFeatures(), Ridge()), "got a PolynomialFeatures step"),
])
def test_models_that_cannot_be_converted_raise(model, match):
    y = np.abs(yr[:, 0]) if isinstance(model, PoissonRegressor) else yr[:, 0]
    model.fit(Xr, y)
    with pytest.raises(ModelTypeError, match=match):
        Saliency(model).fit(Xr[:5])


def test_unfitted_estimators_raise_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Saliency(LogisticRegression()).fit(Xc[:5])
