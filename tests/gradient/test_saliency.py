"""Saliency, GradientXInput, GuidedBackprop and SmoothGrad against closed forms,
and the expected-saliency global importance of Horel et al. (2018)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from skexplain import (Explanation, GradientXInput, GuidedBackprop, Saliency,  # noqa: E402
                       SmoothGrad)

nn = torch.nn


class Quadratic(nn.Module):
    """f(x) = sum_i a_i x_i^2 + b . x, gradient 2 a x + b (one output)."""

    def __init__(self, a, b):
        super().__init__()
        self.a = nn.Parameter(torch.as_tensor(a, dtype=torch.float64))
        self.b = nn.Parameter(torch.as_tensor(b, dtype=torch.float64))

    def forward(self, x):
        return (self.a * x**2 + self.b * x).sum(1, keepdim=True)


A, B = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.0, -1.0])
X = np.random.RandomState(0).normal(size=(6, 3))


def test_saliency_and_gradient_x_input_equal_the_analytic_gradient():
    model = Quadratic(A, B)
    sal = Saliency(model).fit(X).explain(X)
    np.testing.assert_allclose(sal.values, 2 * A * X + B, rtol=1e-12)
    np.testing.assert_allclose(Saliency(model, abs=True).fit(X).explain(X).values,
                               np.abs(2 * A * X + B), rtol=1e-12)
    gxi = GradientXInput(model).fit(X).explain(X)
    np.testing.assert_allclose(gxi.values, X * (2 * A * X + B), rtol=1e-12)
    np.testing.assert_allclose(sal.base_values, (A * X**2 + B * X).sum(1).mean())
    assert sal.delta is None


def test_expected_saliency_is_horels_root_mean_square_gradient():
    expl = Saliency(Quadratic(A, B)).fit(X).explain(X)
    grads = 2 * A * X + B
    S = np.sqrt((grads**2).mean(0))  # S_j = sqrt(1/N sum_i (df/dx_j (x_i))^2)
    np.testing.assert_allclose(expl.global_importance(kind="rms"), S, rtol=1e-12)
    np.testing.assert_allclose(expl.global_importance(kind="rms", normalize=True), S / S.sum())
    np.testing.assert_allclose(expl.global_importance(), np.abs(grads).mean(0), rtol=1e-12)


def test_normalized_importance_is_per_output_and_safe_for_zeros():
    values = np.zeros((2, 3, 2))
    values[:, :, 0] = [[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]]
    expl = Explanation(values, np.zeros((2, 2)))
    imp = expl.global_importance(kind="mean_abs", normalize=True)
    np.testing.assert_allclose(imp[:, 0], [0.25, 0.5, 0.25])
    np.testing.assert_array_equal(imp[:, 1], 0.0)
    with pytest.raises(ValueError, match="kind must be 'mean_abs' or 'rms'; got 'max'"):
        expl.global_importance(kind="max")


def two_layer_relu():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU(inplace=True),
                         nn.Linear(5, 2)).double()


def test_guided_backprop_closed_form():
    model = two_layer_relu()
    W1, W2, W3 = (model[i].weight.detach().numpy() for i in (0, 2, 4))
    x = np.random.RandomState(1).normal(size=(5, 4))
    expl = GuidedBackprop(model).fit(x).explain(x, target=1)
    for i, row in enumerate(x):
        s1 = W1 @ row + model[0].bias.detach().numpy()
        s2 = W2 @ np.maximum(s1, 0) + model[2].bias.detach().numpy()
        r2 = np.maximum(W3[1], 0) * (s2 > 0)          # guided through the second ReLU
        r1 = np.maximum(W2.T @ r2, 0) * (s1 > 0)      # and the first
        np.testing.assert_allclose(expl.values[i], W1.T @ r1, rtol=1e-10, atol=1e-12)


def test_guided_backprop_warns_without_relu_modules():
    with pytest.warns(UserWarning, match="no nn.ReLU module in Sequential"):
        GuidedBackprop(nn.Sequential(nn.Linear(3, 1), nn.Tanh())).fit(X).explain(X)


@pytest.mark.parametrize("variant,expected", [("smoothgrad", lambda w: w),
                                              ("smoothgrad_sq", lambda w: w**2),
                                              ("vargrad", lambda w: 0 * w)])
def test_smoothgrad_on_a_linear_model(variant, expected):
    torch.manual_seed(0)
    model = nn.Linear(3, 2).double()
    expl = SmoothGrad(model, n_samples=7, variant=variant, random_state=0).fit(X)
    expl = expl.explain(X, target=1)
    w = model.weight[1].detach().numpy()
    np.testing.assert_allclose(expl.values, np.broadcast_to(expected(w), X.shape), atol=1e-12)


def test_smoothgrad_noise_is_a_fraction_of_each_rows_range():
    # gradient 2 a (x + eps): VarGrad = 4 a^2 sigma^2 and SmoothGrad^2 = 4 a^2 (x^2 + sigma^2)
    model = Quadratic(A, np.zeros(3))
    x = np.array([[0.0, 1.0, 3.0], [-2.0, 2.0, 0.0]])
    sigma = 0.2 * np.array([3.0, 4.0])
    n = 4000
    var = SmoothGrad(model, noise_level=0.2, n_samples=n, variant="vargrad", random_state=0)
    var = var.fit(x).explain(x).values
    np.testing.assert_allclose(var, 4 * A**2 * sigma[:, None] ** 2 * np.ones((2, 3)), rtol=0.1)
    sq = SmoothGrad(model, noise_level=0.2, n_samples=n, variant="smoothgrad_sq",
                    random_state=0).fit(x).explain(x).values
    np.testing.assert_allclose(sq, 4 * A**2 * (x**2 + sigma[:, None] ** 2), rtol=0.1)
    mean = SmoothGrad(model, noise_level=0.2, n_samples=n, random_state=0).fit(x).explain(x)
    assert np.all(np.abs(mean.values - 2 * A * x) < 5 * 2 * np.abs(A) * sigma[:, None] / n**0.5)


def test_smoothgrad_explains_the_class_predicted_at_x_and_is_reproducible():
    model = nn.Linear(1, 2, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0], [-1.0]]))
    x = np.array([[0.01], [-0.01]])  # noise flips the argmax for most samples
    # (absolute noise: one feature has a zero range, so noise_level would give none)
    sg = SmoothGrad(model, noise_std=1.0, n_samples=20, random_state=3).fit(x)
    expl = sg.explain(x)
    assert expl.metadata["target"] == [0, 1]
    np.testing.assert_allclose(expl.values, [[1.0], [-1.0]])
    np.testing.assert_array_equal(sg.explain(x).values, expl.values)


def test_smoothgrad_draws_do_not_depend_on_batch_size():
    model = Quadratic(A, B)
    ref = SmoothGrad(model, n_samples=9, random_state=0).fit(X).explain(X)
    for batch_size in (1, 4, 13):
        got = SmoothGrad(model, n_samples=9, batch_size=batch_size, random_state=0).fit(X)
        np.testing.assert_allclose(got.explain(X).values, ref.values, rtol=1e-12)


def test_smoothgrad_noise_segments_do_not_depend_on_batch_size(monkeypatch):
    from skexplain.gradient import _smoothgrad

    monkeypatch.setattr(_smoothgrad, "_SEGMENT_ELEMENTS", 7)  # 2 points per noise segment
    model = Quadratic(A, B)
    ref = SmoothGrad(model, n_samples=5, random_state=0).fit(X).explain(X).values
    for batch_size in (1, 3, 8):
        got = SmoothGrad(model, n_samples=5, batch_size=batch_size, random_state=0).fit(X)
        np.testing.assert_allclose(got.explain(X).values, ref, rtol=1e-12)
    assert np.unique(ref.round(10), axis=0).shape[0] == X.shape[0]
