import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain.plotting import ActivationDisplay, FilterDisplay  # noqa: E402


class Net(nn.Module):
    """A stem that is not a conv first, so that 'the first Conv2d' means something."""

    def __init__(self, in_channels=3):
        super().__init__()
        torch.manual_seed(0)
        self.norm = nn.BatchNorm2d(in_channels)
        self.features = nn.Sequential(nn.Conv2d(in_channels, 6, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(6, 5, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 2))

    def forward(self, x):
        return self.head(self.features(self.norm(x)))


def minmax(a):
    return (a - a.min()) / (a.max() - a.min())


def test_rgb_filters_are_the_minmax_scaled_kernels_of_the_first_conv(pyplot):
    net = Net()
    disp = FilterDisplay.from_module(net)
    w = net.features[0].weight.detach().double().numpy()
    np.testing.assert_array_equal(disp.weights_, w)
    assert len(disp.images_) == 6 and disp.axes_.shape == (2, 3)
    for k in range(6):
        np.testing.assert_allclose(disp.images_[k].get_array(), minmax(w[k].transpose(1, 2, 0)))
        assert disp.images_[k].axes is disp.axes_.flat[k]
    assert disp.figure_._suptitle.get_text() == "layer 'features.0': 6 of 6 filters (RGB, 3x3)"


def test_other_filters_are_the_channel_mean_and_max_filters_limits_them(pyplot):
    net = Net()
    disp = FilterDisplay.from_module(net, layer="features.2", max_filters=4)
    w = net.features[2].weight.detach().double().numpy()
    np.testing.assert_array_equal(disp.weights_, w[:4])
    assert disp.axes_.shape == (2, 2) and len(disp.images_) == 4
    for k in range(4):
        np.testing.assert_allclose(disp.images_[k].get_array(), minmax(w[k].mean(axis=0)))
        assert disp.images_[k].get_cmap().name == "gray"
    gray = FilterDisplay.from_module(Net(in_channels=1), layer="features.0")
    w1 = gray.weights_[:, 0]
    np.testing.assert_allclose(gray.tiles_, np.stack([minmax(k) for k in w1]))


def test_filters_drawn_inside_a_given_axes_and_no_figure_opened(pyplot):
    net = Net()
    fig, ax = pyplot.subplots()
    disp = FilterDisplay.from_module(net, layer=net.features[2], ax=ax)
    assert disp.figure_ is fig and disp.bounding_ax_ is ax and not ax.axison
    assert disp.axes_.shape == (2, 3)
    assert [not cell.axison for cell in disp.axes_.flat] == [False] * 5 + [True]
    assert pyplot.get_fignums() == [fig.number]
    assert ax.get_title().startswith("layer 'features.2': 5 of 5 filters")


def test_activations_are_the_layer_output_and_share_one_scale(pyplot):
    net = Net()
    net.train()
    x = torch.randn(3, 3, 7, 7, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        net.eval()
        expected = net.features[:2](net.norm(x))[2].double().numpy()
        net.train()
    disp = ActivationDisplay.from_module(net, x.numpy(), layer="features.1", index=-1,
                                         max_maps=4)
    assert net.training and all(m.training for m in net.modules())  # mode restored
    np.testing.assert_allclose(disp.activations_, expected, atol=1e-6)
    assert len(disp.images_) == 4 and disp.axes_.shape == (2, 2)
    lo, hi = expected[:4].min(), expected[:4].max()
    for k in range(4):
        np.testing.assert_allclose(disp.images_[k].get_array(), expected[k], atol=1e-6)
        np.testing.assert_allclose(disp.images_[k].get_clim(), (lo, hi), atol=1e-6)
    assert disp.colorbar_.mappable is disp.images_[0]


def test_activation_module_left_unchanged_with_tensor_input_and_given_axes(pyplot):
    net = Net().eval()
    handle = net.features[0].register_forward_hook(lambda *a: None)
    hooks = {n: dict(m._forward_hooks) for n, m in net.named_modules()}
    state = {k: v.clone() for k, v in net.state_dict().items()}
    fig, ax = pyplot.subplots()
    disp = ActivationDisplay.from_module(net, torch.ones(1, 3, 5, 5), layer=net.features[2],
                                         ax=ax)
    assert {n: dict(m._forward_hooks) for n, m in net.named_modules()} == hooks
    assert all(torch.equal(v, state[k]) for k, v in net.state_dict().items())
    assert not net.training
    assert disp.activations_.shape == (5, 5, 5) and disp.figure_ is fig
    assert pyplot.get_fignums() == [fig.number]
    handle.remove()


def test_constant_activations_draw(pyplot):
    net = nn.Sequential(nn.Conv2d(1, 2, 3))
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.zero_()
    disp = ActivationDisplay.from_module(net, torch.ones(1, 1, 4, 4), layer="0")
    assert disp.images_[0].get_clim() == (-0.5, 0.5)


def test_bad_inputs(pyplot):
    net = Net()
    x = torch.zeros(2, 3, 6, 6)
    with pytest.raises(TypeError, match=r"layer must be a torch.nn.Conv2d .* got 'features.1', "
                                        "a ReLU"):
        FilterDisplay.from_module(net, layer="features.1")
    with pytest.raises(ValueError, match="layer='features.9' is not a submodule"):
        FilterDisplay.from_module(net, layer="features.9")
    with pytest.raises(ValueError, match="has none; pass layer="):
        FilterDisplay.from_module(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        FilterDisplay.from_module(lambda x: x)
    with pytest.raises(ValueError, match="max_filters"):
        FilterDisplay.from_module(net, max_filters=0)
    with pytest.raises(TypeError, match="ax must be one matplotlib Axes"):
        FilterDisplay.from_module(net, ax=[1, 2])
    with pytest.raises(ValueError, match=r"layer 'head.1' must output feature maps of shape "
                                         r"\(n, K, H, W\); it gives shape \(1, 5\)"):
        ActivationDisplay.from_module(net, x, layer="head.1")
    with pytest.raises(IndexError, match="index=2 is out of range"):
        ActivationDisplay.from_module(net, x, layer="features.0", index=2)
    with pytest.raises(ValueError, match="max_maps"):
        ActivationDisplay.from_module(net, x, layer="features.0", max_maps=-1)
    with pytest.raises(TypeError, match="X must be numeric"):
        ActivationDisplay.from_module(net, np.array([["a"]]), layer="features.0")
    with pytest.raises(ValueError, match="X must have shape"):
        ActivationDisplay.from_module(net, np.zeros(3), layer="features.0")
    with pytest.raises(TypeError, match="layer must be"):
        ActivationDisplay.from_module(net, x, layer=3)
    assert pyplot.get_fignums() == []
