"""Perturbation explainers give values of the input's shape, as the contract says (issue 9)."""
import numpy as np
import pytest

from skexplain import ExactShapley, KernelSHAP


class Image2:
    """Two outputs of (n, 1, 4, 4) images, nonlinear, any batch (picklable)."""

    def __call__(self, X):
        X = np.asarray(X, dtype=float)
        a = (X[:, 0, :2, :2] ** 2).sum(axis=(1, 2)) + X[:, 0, 3, 3] * X[:, 0, 0, 1]
        return np.stack([a, np.tanh(X).sum(axis=(1, 2, 3))], axis=1)


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 1, 4, 4)), rng.normal(size=(4, 1, 4, 4))


def _efficiency_gap(expl, fx):
    n, k = fx.shape
    total = expl.values.reshape(n, -1, k).sum(axis=1)
    return np.abs(total + expl.base_values - fx).max()


@pytest.mark.parametrize("make", [
    lambda: KernelSHAP(Image2(), n_samples=64, random_state=0),
    lambda: ExactShapley(Image2(), max_features=16),
])
def test_values_keep_the_feature_shape(make, images):
    X, bg = images
    explainer = make().fit(bg)
    expl = explainer.explain(X)
    assert expl.values.shape == (3, 1, 4, 4, 2)
    if expl.stderr is not None:
        assert expl.stderr.shape == expl.values.shape
    assert _efficiency_gap(expl, Image2()(X)) < 1e-10
    assert expl.select_output(1).values.shape == (3, 1, 4, 4)
    assert explainer.explain(X, target=0).values.shape == (3, 1, 4, 4)
    # transform is the C-order flattening, named by get_feature_names_out
    out = explainer.transform(X)
    assert out.shape == (3, 32) and len(explainer.get_feature_names_out()) == 32
    np.testing.assert_array_equal(out, expl.values.reshape(3, -1))


def test_groups_give_one_axis(images):
    X, bg = images
    labels = np.repeat(np.arange(4), 4)  # four groups of four pixels
    explainer = KernelSHAP(Image2(), feature_groups=labels, n_samples=32,
                           random_state=0).fit(bg)
    expl = explainer.explain(X)
    assert expl.values.shape == expl.stderr.shape == (3, 4, 2)
    assert _efficiency_gap(expl, Image2()(X)) < 1e-10
    exact = ExactShapley(Image2(), feature_groups=labels, interactions=True).fit(bg).explain(X)
    assert exact.values.shape == (3, 4, 4, 2)
    np.testing.assert_allclose(exact.values.sum(axis=2), expl.values, atol=1e-8)


def test_other_nd_shape():
    rng = np.random.default_rng(1)
    bg, X = rng.normal(size=(3, 4, 3)), rng.normal(size=(2, 4, 3))

    def f(Z):
        return np.asarray(Z, dtype=float)[:, :2, :].prod(axis=2).sum(axis=1)

    expl = KernelSHAP(f, n_samples=40, random_state=0).fit(bg).explain(X)
    assert expl.values.shape == expl.stderr.shape == (2, 4, 3)
    assert _efficiency_gap(expl, f(X)[:, None]) < 1e-10


def test_torch_cnn_matches_gradient_contract():
    torch = pytest.importorskip("torch")
    from skexplain import IntegratedGradients

    torch.manual_seed(0)
    cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(8, 1)).double()
    rng = np.random.default_rng(0)
    X, bg = rng.normal(size=(2, 1, 4, 4)), rng.normal(size=(3, 1, 4, 4))
    shap = KernelSHAP(cnn, n_samples=128, random_state=0).fit(bg).explain(X)
    grad = IntegratedGradients(cnn).fit(bg).explain(X)
    assert shap.values.shape == grad.values.shape == (2, 1, 4, 4)
    with torch.no_grad():
        fx = cnn(torch.as_tensor(X)).numpy()
    assert _efficiency_gap(shap, fx) < 1e-8
