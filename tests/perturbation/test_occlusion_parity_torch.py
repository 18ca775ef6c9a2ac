"""Occlusion on torch CNNs against captum's ``Occlusion`` (zero baseline, same
windows, strides and target)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from skexplain import Occlusion  # noqa: E402


def small_cnn(channels, size, n_classes=4, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(channels, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(6 * (size // 2) ** 2, n_classes))


def captum_occlusion(net, X, window, stride, target, baselines=0):
    return captum_attr.Occlusion(net).attribute(
        X, sliding_window_shapes=window, strides=stride, baselines=baselines,
        target=target).detach().numpy()


@pytest.mark.parametrize("shape, window, stride", [
    ((1, 8, 8), (1, 2, 2), (1, 2, 2)),
    ((1, 8, 8), (1, 3, 3), (1, 2, 2)),   # 3 windows of 3 do not divide 8: cut off
    ((1, 8, 8), (1, 5, 3), (1, 4, 1)),
    ((3, 10, 10), (3, 4, 4), (3, 2, 2)),
    ((3, 10, 10), (2, 3, 3), (1, 3, 3)),  # the last window along every axis cut off
    ((1, 8, 8), (1, 1, 1), (1, 1, 1)),
    ((3, 10, 10), (3, 10, 10), (3, 5, 5)),
])
def test_equals_captum_with_a_zero_baseline(shape, window, stride):
    net = small_cnn(shape[0], shape[1])
    torch.manual_seed(1)
    X = torch.randn((5,) + shape)
    explainer = Occlusion(net, window=window, stride=stride).fit(np.zeros((1,) + shape,
                                                                        dtype=np.float32))
    all_outputs = explainer.explain(X)
    assert all_outputs.values.shape == (5,) + shape + (4,)
    for target in (0, 3):
        expected = captum_occlusion(net, X, window, stride, target)
        picked = explainer.explain(X, target=target).values
        np.testing.assert_allclose(picked, expected, rtol=0, atol=1e-5)
        np.testing.assert_allclose(all_outputs.values[..., target], expected, rtol=0, atol=1e-5)


def test_per_row_targets_and_a_mean_image_reference():
    net = small_cnn(3, 10)
    torch.manual_seed(2)
    X, background = torch.randn(4, 3, 10, 10), torch.randn(6, 3, 10, 10)
    targets = [0, 2, 1, 3]
    window, stride = (3, 3, 3), (3, 2, 2)
    expl = Occlusion(net, window=window, stride=stride).fit(background).explain(
        X, target=targets)
    mean = background.mean(dim=0, keepdim=True)
    expected = captum_occlusion(net, X, window, stride, targets, baselines=mean)
    np.testing.assert_allclose(expl.values, expected, rtol=0, atol=1e-5)
    assert expl.metadata["selected_outputs"] == targets and expl.output_names is None


def test_module_mode_and_inputs_unchanged():
    net = small_cnn(1, 8).train()
    X = torch.randn(2, 1, 8, 8)
    before = X.clone()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    Occlusion(net, window=(1, 4, 4), stride=(1, 4, 4)).fit(torch.zeros(1, 1, 8, 8)).explain(
        X, target=1)
    assert net.training and torch.equal(X, before)
    assert all(torch.equal(v, state[k]) for k, v in net.state_dict().items())


def test_cpu_batches_are_cache_sized_and_change_nothing():
    class Counting(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net, self.sizes = net, []

        def forward(self, x):
            self.sizes.append(x.shape[0])
            return self.net(x)

    model = Counting(small_cnn(3, 10))
    X = torch.randn(6, 3, 10, 10)
    reference = np.zeros((1, 3, 10, 10), dtype=np.float32)
    default = Occlusion(model, window=(3, 2, 2), stride=(3, 1, 1)).fit(reference)
    model.sizes.clear()
    values = default.explain(X, target=1).values
    # 512 KiB of float32 rows of 300 values: 436 rows per forward pass
    assert max(model.sizes) == 2**19 // (300 * 4) and sum(model.sizes) == 6 * (81 + 1)
    big = Occlusion(model, window=(3, 2, 2), stride=(3, 1, 1), batch_size=10**6).fit(reference)
    np.testing.assert_allclose(big.explain(X, target=1).values, values, rtol=0, atol=1e-6)
