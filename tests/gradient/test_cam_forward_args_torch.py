"""CAM, GradCAM and GuidedGradCAM with additional_forward_args (issue 16).

Truth: a row explained with its own arguments equals the row explained alone
by a model that closes over those arguments (maps, upsampled values, base
value).  Several attributed inputs stay refused, with a message that says why
and what to do.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skexplain import CAM, GradCAM, GuidedGradCAM  # noqa: E402

nn = torch.nn
CAM_FAMILY = [CAM, GradCAM, GuidedGradCAM]


class ScaledCNN(nn.Module):
    """forward(image, scale, shift): a per-row scale applied before the conv layer."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(4, 5, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 3)

    def forward(self, image, scale, shift=0.0):
        h = self.features(image * scale[:, None, None, None] + shift)
        return self.fc(self.pool(h).flatten(1))


class Closed(nn.Module):
    """``net`` with its scale (one row's) and shift fixed: forward takes the image alone."""

    def __init__(self, net, scale, shift):
        super().__init__()
        self.net, self.scale, self.shift = net, scale, shift

    def forward(self, image):
        return self.net(image, self.scale.expand(image.shape[0]), self.shift)


@pytest.fixture(scope="module")
def setting():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    net = ScaledCNN()
    bg, X = torch.randn(4, 2, 7, 7, generator=g), torch.randn(3, 2, 7, 7, generator=g)
    return net, bg, torch.rand(4, generator=g) + 0.5, X, torch.tensor([0.5, 2.0, -1.5])


@pytest.mark.parametrize("cls", CAM_FAMILY)
@pytest.mark.parametrize("batch_size", [None, 1])
@pytest.mark.parametrize("layer", [None, "features"])
def test_each_row_equals_the_row_explained_alone(setting, cls, batch_size, layer):
    net, bg, s_bg, X, s = setting
    fitted = cls(net, layer=layer, batch_size=batch_size).fit(
        bg, additional_forward_args=(s_bg, 0.25))
    assert fitted.layer_ == "features"  # found with the background's arguments
    expl = fitted.explain(X, target=[0, 2, 1], additional_forward_args=(s, 0.25))
    for r, t in enumerate([0, 2, 1]):
        alone = cls(Closed(net, s[r:r + 1], 0.25), layer="net.features").fit(bg)
        one = alone.explain(X[r:r + 1], target=t)
        np.testing.assert_allclose(expl.extras["layer_map"][r], one.extras["layer_map"][0],
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(expl.values[r], one.values[0], rtol=1e-5, atol=1e-6)
        # base value: the background mean with row r's arguments
        np.testing.assert_allclose(expl.base_values[r], alone.expected_value_[t], rtol=1e-5)
    # the rows differ (the test can fail): their scales change the maps
    assert not np.allclose(expl.values[0], expl.values[1])


def test_cam_map_mean_is_the_score_with_the_rows_arguments(setting):
    net, bg, s_bg, X, s = setting
    expl = CAM(net).fit(bg, additional_forward_args=(s_bg, 0.0)).explain(
        X, target=1, additional_forward_args=(s, 0.0))
    score = net(X, s)[:, 1] - net.fc.bias[1]
    np.testing.assert_allclose(expl.extras["layer_map"].mean((1, 2)),
                               score.detach().double().numpy(), rtol=1e-5, atol=1e-6)


class Branches(nn.Module):
    """A shared, non-tensor argument chooses the convolutional branch."""

    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU())
        self.b = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU())
        self.fc = nn.Linear(3, 2)

    def forward(self, image, branch):
        h = (self.a if branch == "a" else self.b)(image)
        return self.fc(h.mean((2, 3)))


@pytest.mark.parametrize("cls", CAM_FAMILY)
def test_shared_argument_reaches_the_fit_pass_and_every_pass(cls):
    torch.manual_seed(0)
    net = Branches()
    g = torch.Generator().manual_seed(2)
    bg, X = torch.randn(3, 1, 6, 6, generator=g), torch.randn(2, 1, 6, 6, generator=g)
    fitted = cls(net).fit(bg, additional_forward_args=("b",))
    assert fitted.layer_ == "b"  # the branch the argument selects, found at fit
    expl = fitted.explain(X, target=0, additional_forward_args="b")
    ref = cls(_Fixed(net, "b"), layer="net.b").fit(bg).explain(X, target=0)
    np.testing.assert_allclose(expl.values, ref.values, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(expl.extras["layer_map"], ref.extras["layer_map"], rtol=1e-5,
                               atol=1e-6)
    # branch "a" is not run with "b": asking for its layer is refused (called 0 times)
    with pytest.raises(ValueError, match="layer 'a' was not called"):
        cls(net, layer="a").fit(bg, additional_forward_args=("b",))
    assert cls(net).fit(bg, additional_forward_args=("a",)).layer_ == "a"


class _Fixed(nn.Module):
    def __init__(self, net, branch):
        super().__init__()
        self.net, self.branch = net, branch

    def forward(self, image):
        return self.net(image, self.branch)


def test_fit_without_arguments_explain_with_them(setting):
    """Arguments at explain only: the base values are computed there, per row."""
    net, bg, s_bg, X, s = setting

    class Default(nn.Module):  # the scale has a default, so fit runs without it
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, image, scale=None):
            return self.net(image, torch.ones(image.shape[0]) if scale is None else scale)

    expl = GradCAM(Default()).fit(bg).explain(X, target=0, additional_forward_args=(s,))
    alone = GradCAM(Closed(net, s[2:3], 0.0), layer="net.features").fit(bg)
    np.testing.assert_allclose(expl.values[2], alone.explain(X[2:3], target=0).values[0],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", CAM_FAMILY)
def test_several_inputs_refused_with_why_and_what_to_do(setting, cls):
    net, bg, s_bg, _, _ = setting

    class ImageAndTable(nn.Module):
        def forward(self, image, table):
            return net(image, table[:, 0])

    with pytest.raises(TypeError) as info:
        cls(ImageAndTable()).fit((bg, s_bg[:, None]))
    msg = str(info.value)
    assert f"{cls.__name__} does not take several inputs" in msg
    assert "defined on one image input" in msg  # why
    assert "additional_forward_args=(table_bg,)" in msg  # what to do
    assert "def forward(self, image, table): return self.model(table, image)" in msg


def test_the_documented_recipe_works(setting):
    """The message's recipe: the image first, the table as a per-row forward argument,
    and the wrapper when the image is not forward's first argument."""
    net, bg, s_bg, X, s = setting

    class TableFirst(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, table, image):
            return self.net(image, table[:, 0])

    class ImageFirst(nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, image, table):
            return self.model(table, image)

    wrapped = GradCAM(ImageFirst(TableFirst())).fit(bg, additional_forward_args=(s_bg[:, None],))
    assert wrapped.layer_ == "model.net.features"
    expl = wrapped.explain(X, target=1, additional_forward_args=(s[:, None],))
    direct = GradCAM(net).fit(bg, additional_forward_args=(s_bg,)).explain(
        X, target=1, additional_forward_args=(s,))
    np.testing.assert_allclose(expl.values, direct.values, rtol=1e-5, atol=1e-6)
