"""IntegratedGradients and ExpectedGradients against closed forms and completeness."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from gradient_models import mlp  # noqa: E402
from skexplain import ExpectedGradients, IntegratedGradients  # noqa: E402

nn = torch.nn


def outputs(model, X, target):
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32))[:, target].numpy()


def test_zero_baseline_on_a_linear_model_is_w_times_x_exactly():
    torch.manual_seed(0)
    model = nn.Linear(5, 3).double()
    X = torch.randn(4, 5, dtype=torch.float64)
    for method in ("gausslegendre", "riemann_left", "riemann_trapezoid"):
        expl = IntegratedGradients(model, n_steps=3, method=method).fit(
            np.zeros((1, 5))).explain(X, target=2)
        expected = (model.weight[2] * X).detach().numpy()
        np.testing.assert_allclose(expl.values, expected, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(expl.delta, 0, atol=1e-13)


def test_completeness_at_50_steps_on_a_smooth_mlp():
    model = mlp(nn.Tanh, sizes=(6, 32, 32, 2), seed=1)
    X = np.random.RandomState(1).normal(size=(20, 6)) * 2
    expl = IntegratedGradients(model).fit(np.zeros((1, 6))).explain(X, target=1)
    diff = outputs(model, X, 1) - outputs(model, np.zeros((1, 6)), 1)
    np.testing.assert_allclose(expl.values.sum(1), diff, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(expl.delta, expl.values.sum(1) - diff, atol=1e-5)
    assert np.all(np.abs(expl.delta) <= 1e-3 * np.abs(diff) + 1e-6)


@pytest.mark.parametrize("method,order", [("riemann_left", 1), ("riemann_middle", 2),
                                          ("riemann_trapezoid", 2)])
def test_quadrature_error_shrinks_at_the_rule_order(method, order):
    # f(x) = sum(sigmoid(x)): smooth, so the error of each rule has its textbook order
    model = nn.Sequential(nn.Sigmoid(), nn.Flatten()).double()
    summed = nn.Sequential(model, nn.Linear(4, 1, bias=False)).double()
    with torch.no_grad():
        summed[1].weight.fill_(1.0)
    X = np.full((1, 4), 3.0)
    gaps = [abs(IntegratedGradients(summed, n_steps=n, method=method).fit(np.zeros((1, 4)))
                .explain(X).delta[0]) for n in (10, 20)]
    step_ratio = 19 / 9 if method == "riemann_trapezoid" else 2  # h = 1/(n-1) or 1/n
    assert gaps[0] / gaps[1] == pytest.approx(step_ratio**order, rel=0.1)


def test_background_rows_are_averaged_with_their_weights():
    model = mlp(nn.Tanh)
    rng = np.random.RandomState(0)
    X, background = rng.normal(size=(3, 6)), rng.normal(size=(4, 6))
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    expl = IntegratedGradients(model, n_steps=20).fit(background, sample_weight=weights)
    expl = expl.explain(X, target=0)
    singles = [IntegratedGradients(model, n_steps=20).fit(b[None]).explain(X, target=0).values
               for b in background]
    np.testing.assert_allclose(expl.values, np.tensordot(weights / 10, singles, 1),
                               rtol=1e-5, atol=1e-7)
    base = weights / 10 @ outputs(model, background, 0)
    np.testing.assert_allclose(expl.base_values, base, rtol=1e-5)
    np.testing.assert_allclose(expl.values.sum(1), outputs(model, X, 0) - base, atol=1e-4)


def test_expected_gradients_on_a_linear_model_matches_the_sampled_closed_form():
    # gradients are constant, so EG = w * mean_k (x - b_k) exactly for the drawn b_k
    torch.manual_seed(0)
    model = nn.Linear(4, 1).double()
    background = np.random.RandomState(0).normal(size=(50, 4))
    eg = ExpectedGradients(model, n_samples=4000, random_state=0).fit(background)
    X = np.ones((2, 4))
    expl = eg.explain(X)
    w = model.weight[0].detach().numpy()
    closed = w * (X - background.mean(0))
    np.testing.assert_allclose(expl.values, closed, atol=5 * expl.stderr.max())
    assert np.all(expl.stderr > 0) and np.all(expl.stderr < 0.05)


def test_expected_gradients_is_complete_in_expectation():
    model = mlp(nn.Tanh, sizes=(6, 16, 1), seed=2)
    rng = np.random.RandomState(0)
    background, X = rng.normal(size=(30, 6)), rng.normal(size=(4, 6))
    deltas = np.stack([ExpectedGradients(model, n_samples=200, random_state=seed).fit(background)
                       .explain(X).delta for seed in range(20)])
    # each estimate misses completeness (Monte Carlo error), their mean does not
    assert np.all(np.abs(deltas).mean(0) > 1e-3)
    assert np.all(np.abs(deltas.mean(0)) < 4 * deltas.std(0) / np.sqrt(20))


def test_expected_gradients_converges_to_ig_averaged_over_the_background():
    model = mlp(nn.Tanh, sizes=(6, 16, 2), seed=3)
    rng = np.random.RandomState(0)
    background, X = rng.normal(size=(5, 6)), rng.normal(size=(2, 6))
    ig = IntegratedGradients(model, n_steps=30).fit(background).explain(X, target=1)
    eg = ExpectedGradients(model, n_samples=6000, random_state=0).fit(background)
    eg = eg.explain(X, target=1)
    assert np.all(np.abs(eg.values - ig.values) < 5 * eg.stderr + 1e-6)


def test_expected_gradients_is_reproducible_and_draws_from_the_weights():
    model = mlp(nn.Tanh)
    rng = np.random.RandomState(0)
    background, X = rng.normal(size=(3, 6)), rng.normal(size=(2, 6))
    a = ExpectedGradients(model, n_samples=30, random_state=7).fit(background).explain(X)
    b = ExpectedGradients(model, n_samples=30, random_state=7).fit(background).explain(X)
    c = ExpectedGradients(model, n_samples=30, random_state=8).fit(background).explain(X)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    # all the weight on one row of a linear model: every draw is that row, EG = w (x - b)
    linear = nn.Linear(6, 1).double()
    only = ExpectedGradients(linear, n_samples=30, random_state=7).fit(
        background, sample_weight=[0, 1, 0]).explain(X)
    w = linear.weight[0].detach().numpy()
    np.testing.assert_allclose(only.values, w * (X - background[1]), rtol=1e-12)
    np.testing.assert_allclose(only.stderr, 0, atol=1e-7)
