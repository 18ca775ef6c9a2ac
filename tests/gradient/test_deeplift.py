"""DeepLIFT / DeepSHAP: summation-to-delta, closed forms and refusals."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from gradient_models import TinyResNet, cnn, mlp  # noqa: E402
from skexplain import DeepLIFT, IntegratedGradients  # noqa: E402
from skexplain.exceptions import ApproximationWarning, ModelTypeError  # noqa: E402

nn = torch.nn
F = torch.nn.functional


def gap(model, expl, X, background, weights=None):
    """Independent summation-to-delta check: sum(values) - (f(x) - mean_b f(b))."""
    t = np.asarray(expl.metadata["target"])
    with torch.no_grad():
        fx = model(torch.as_tensor(X)).double().numpy()[np.arange(len(t)), t]
        fb = model(torch.as_tensor(background)).double().numpy()[:, t]
    base = fb.mean(0) if weights is None else weights @ fb
    return expl.values.reshape(len(t), -1).sum(1) - (fx - base)


ACTIVATIONS = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.ELU, lambda: nn.LeakyReLU(0.1), nn.Softplus,
               nn.GELU, nn.SiLU, nn.Mish, lambda: nn.ReLU(inplace=True), nn.Softsign]


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_summation_to_delta_on_mlps(act, tabular):
    X, background = tabular
    model = mlp(act, sizes=(6, 16, 16, 3))
    for bg in (np.zeros((1, 6), np.float32), background):
        expl = DeepLIFT(model).fit(bg).explain(X)
        assert np.abs(gap(model, expl, X, bg)).max() < 1e-5
        np.testing.assert_allclose(expl.delta, gap(model, expl, X, bg), atol=1e-5)


POOLS = [(nn.MaxPool2d(2), 4), (nn.MaxPool2d(3, stride=2, padding=1), 4),
         (nn.MaxPool2d(2, ceil_mode=True, dilation=1), 4), (nn.AdaptiveMaxPool2d(3), 3)]


@pytest.mark.parametrize("pool,hw", POOLS)
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.float64, 1e-11)])
def test_summation_to_delta_with_max_pooling(pool, hw, dtype, tol, images):
    X, background = (t.to(dtype) for t in images)
    model = cnn(pool=pool, out_hw=hw, dtype=dtype)
    for bg in (torch.zeros(1, 3, 8, 8, dtype=dtype), background):
        expl = DeepLIFT(model).fit(bg).explain(X)
        assert np.abs(gap(model, expl, X, bg)).max() < tol


@pytest.mark.parametrize("dims", [1, 3])
def test_summation_to_delta_with_1d_and_3d_max_pooling(dims):
    torch.manual_seed(0)
    conv, pool = getattr(nn, f"Conv{dims}d"), getattr(nn, f"MaxPool{dims}d")
    shape = (2, *([6] * dims))
    model = nn.Sequential(conv(2, 3, 3, padding=1), nn.ReLU(), pool(2), nn.Flatten(),
                          nn.Linear(3 * 3**dims, 2)).double()
    X, bg = torch.randn(3, *shape, dtype=torch.float64), torch.randn(2, *shape, dtype=torch.float64)
    expl = DeepLIFT(model).fit(bg).explain(X)
    assert np.abs(gap(model, expl, X, bg)).max() < 1e-11


def test_max_pool_rule_closed_form():
    # y = max(x1, x2); x = (3, 1), b = (0, 2): y_x - y_b = 1.  The cross-max rule
    # credits top - y_b = 1 to x's argmax (x1) and y_x - top = 0 to b's argmax (x2).
    model = nn.Sequential(nn.Unflatten(1, (1, 2)), nn.MaxPool1d(2), nn.Flatten()).double()
    expl = DeepLIFT(model).fit(np.array([[0.0, 2.0]])).explain(np.array([[3.0, 1.0]]))
    np.testing.assert_allclose(expl.values, [[1.0, 0.0]])
    # x = (1, 0), b = (0, 3): y_x - y_b = -2 is credited to b's argmax (x2 moved 3 -> 0)
    expl = DeepLIFT(model).fit(np.array([[0.0, 3.0]])).explain(np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(expl.values, [[0.0, -2.0]])


def test_rescale_rule_closed_form():
    # f(x) = sigmoid(2 x1 - x2 + 0.5): both inputs share the multiplier dy/ds
    lin = nn.Linear(2, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0, -1.0]]))
        lin.bias.fill_(0.5)
    model = nn.Sequential(lin, nn.Sigmoid())
    x, b = np.array([[1.0, 3.0]]), np.array([[-1.0, 1.0]])
    s_x, s_b = 2 * 1 - 3 + 0.5, 2 * -1 - 1 + 0.5
    m = (1 / (1 + np.exp(-s_x)) - 1 / (1 + np.exp(-s_b))) / (s_x - s_b)
    expl = DeepLIFT(model).fit(b).explain(x)
    np.testing.assert_allclose(expl.values, [[2 * m * 2, -1 * m * 2]], rtol=1e-12)


def test_gradient_fallback_where_the_input_difference_vanishes():
    # s = x1 - x2 does not change (ds = 0) though x1 and x2 do: m = tanh'(s)
    lin = nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -1.0]]))
    model = nn.Sequential(lin, nn.Tanh())
    expl = DeepLIFT(model).fit(np.array([[0.0, -0.5]])).explain(np.array([[1.0, 0.5]]))
    slope = 1 - np.tanh(0.5) ** 2
    np.testing.assert_allclose(expl.values, [[slope, -slope]], rtol=1e-12)


def test_resnet_block_with_a_reused_in_place_relu(images):
    X, background = images
    model = TinyResNet().eval()
    for bg in (torch.zeros(1, 3, 8, 8), background):
        expl = DeepLIFT(model).fit(bg).explain(X)
        assert np.abs(gap(model, expl, X, bg)).max() < 1e-5
        assert np.abs(expl.values).sum() > 0.1
    # the same network with one ReLU module per call site gives the same values
    split = TinyResNet().eval()
    for block in (split.block1, split.block2):
        block.relu2 = nn.ReLU()
        block.forward = lambda x, b=block: b.relu2(b.bn2(b.conv2(b.relu(b.bn1(b.conv1(x))))) + x)
    np.testing.assert_allclose(DeepLIFT(split).fit(background).explain(X).values,
                               DeepLIFT(model).fit(background).explain(X).values,
                               rtol=1e-5, atol=1e-7)


def test_linear_model_equals_integrated_gradients(tabular):
    X, background = tabular
    model = nn.Sequential(nn.Linear(6, 4), nn.Dropout(0.5), nn.Linear(4, 2)).train()
    dl = DeepLIFT(model).fit(background).explain(X, target=1)
    ig = IntegratedGradients(model, n_steps=2).fit(background).explain(X, target=1)
    np.testing.assert_allclose(dl.values, ig.values, rtol=1e-5, atol=1e-6)


def test_deepshap_is_the_weighted_mean_of_single_reference_deeplift(tabular):
    X, background = tabular
    model = mlp(nn.Tanh)
    weights = np.arange(1.0, 6.0)
    expl = DeepLIFT(model).fit(background, sample_weight=weights).explain(X, target=0)
    singles = [DeepLIFT(model).fit(b[None]).explain(X, target=0).values for b in background]
    np.testing.assert_allclose(expl.values, np.tensordot(weights / 15, singles, 1),
                               rtol=1e-5, atol=1e-7)
    assert np.abs(gap(model, expl, X, background, weights / 15)).max() < 1e-5


def test_functional_nonlinearities_are_detected():
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(6, 16), nn.Linear(16, 2)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)) ** 2)

    torch.manual_seed(0)
    model, X = Functional(), torch.randn(8, 6) * 3
    with pytest.warns(ApproximationWarning, match="miss summation-to-delta.*F.relu"):
        expl = DeepLIFT(model).fit(torch.zeros(1, 6)).explain(X)
    assert np.abs(expl.delta).max() > 1e-3  # the gap is reported, not hidden


class PoolWithIndices(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool1d(1, return_indices=True)

    def forward(self, x):
        return self.pool(x[:, None])[0][:, 0]


@pytest.mark.parametrize("layer,match", [
    (nn.LayerNorm(3), "no rule for LayerNorm .*'1' in Sequential"),
    (PoolWithIndices(), "MaxPool1d \\('1.pool'\\) with return_indices=True"),
    (nn.Sequential(nn.Unflatten(1, (1, 3)), nn.BatchNorm1d(1, track_running_stats=False)),
     "running statistics")])
def test_modules_without_a_rule_raise(layer, match):
    model = nn.Sequential(nn.Linear(4, 3), layer)
    with pytest.raises(ModelTypeError, match=match):
        DeepLIFT(model).fit(np.zeros((2, 4), np.float32)).explain(np.ones((2, 4), np.float32))


def test_an_unused_unsupported_module_does_not_raise(tabular):
    X, background = tabular

    class WithProba(nn.Module):
        def __init__(self):
            super().__init__()
            self.net, self.proba = mlp(), nn.Softmax(dim=1)  # proba: not used in forward

        def forward(self, x):
            return self.net(x)

    expl = DeepLIFT(WithProba()).fit(background).explain(X)
    assert np.abs(expl.delta).max() < 1e-5


def test_layers_must_keep_the_batch_first():
    class TimeFirst(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu, self.fc = nn.ReLU(), nn.Linear(15, 1)

        def forward(self, x):  # (n, 5, 3) -> (5, n, 3) around the ReLU
            return self.fc(self.relu(x.transpose(0, 1)).transpose(0, 1).flatten(1))

    with pytest.raises(ValueError, match="batch on the first axis.*ReLU 'relu'"):
        DeepLIFT(TimeFirst()).fit(np.zeros((1, 5, 3), np.float32)).explain(
            np.ones((2, 5, 3), np.float32))


def test_eps_must_be_non_negative():
    with pytest.raises(ValueError, match="'eps' parameter of DeepLIFT"):
        DeepLIFT(mlp(), eps=-1.0).fit(np.zeros((1, 6)))
