"""CAM, GradCAM and GuidedGradCAM refuse bad layers, inputs and targets clearly."""
import numpy as np
import pytest

from gradient_models import TinyResNet, cnn

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain import CAM, GradCAM, GuidedGradCAM  # noqa: E402
from skexplain.exceptions import ModelEvaluationError  # noqa: E402

X = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(0))
CLASSES = [CAM, GradCAM, GuidedGradCAM]


def gap_head(*extra):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 3), *extra)


@pytest.mark.parametrize("cls", CLASSES)
def test_a_layer_name_that_does_not_exist(cls):
    with pytest.raises(ValueError, match=r"layer='block9' is not a submodule of TinyResNet"):
        cls(TinyResNet(), layer="block9").fit(X)
    with pytest.raises(ValueError, match=r"Did you mean 'block2.conv1'"):
        cls(TinyResNet(), layer="block2.conv_1").fit(X)
    with pytest.raises(TypeError, match=r"layer must be a torch.nn.Module .* got int"):
        cls(TinyResNet(), layer=3).fit(X)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("layer, shape", [("6", r"\(n, 4\)"), ("4", r"\(n, 8, 4, 4\)")])
def test_a_non_conv_layer(cls, layer, shape):
    model = cnn()
    if layer == "4":  # a feature map, but of one position: a 1x1 pooled map
        model[4] = nn.AdaptiveAvgPool2d(1)
        model[6] = nn.Linear(8, 4)
        shape = r"\(n, 8, 1, 1\)"
    with pytest.raises(ValueError, match=rf"layer='{layer}' \(\w+\) is a non-conv layer: "
                                         rf".*feature map \(n, channels, height, width\) .* "
                                         rf"it returns shape {shape}"):
        cls(model, layer=layer).fit(X)


@pytest.mark.parametrize("cls", CLASSES)
def test_a_layer_called_twice(cls):
    with pytest.raises(ModelEvaluationError, match="'block1.relu' was called 2 times"):
        cls(TinyResNet(), layer="block1.relu").fit(X)


@pytest.mark.parametrize("cls", CLASSES)
def test_tabular_input_is_refused(cls):
    rows = np.zeros((4, 6), dtype=np.float32)
    with pytest.raises(ValueError, match=rf"{cls.__name__} explains images: X must have shape "
                                         r"\(n, channels, \*spatial\) .* got X of shape "
                                         r"\(n, 6\) \(tabular data"):
        cls(nn.Linear(6, 2)).fit(rows)


@pytest.mark.parametrize("cls", [GradCAM, GuidedGradCAM])
def test_no_convolution_to_choose(cls):
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 2))
    with pytest.raises(ValueError, match=rf"{cls.__name__} found no convolutional layer in "
                                         r"Sequential: .* Pass layer="):
        cls(model).fit(X)


@pytest.mark.parametrize("cls", CLASSES)
def test_target_out_of_range_or_of_the_wrong_length(cls):
    explainer = cls(TinyResNet()).fit(X)
    with pytest.raises(ValueError, match=r"target 7 is not an output .* position in \[0, 3\)"):
        explainer.explain(X, target=7)
    with pytest.raises(ValueError, match=r"target must be .* one output per row \(3 entries\)"):
        explainer.explain(X, target=[0, 1])


@pytest.mark.parametrize("cls", CLASSES)
def test_upsample_must_be_bilinear_or_nearest(cls):
    with pytest.raises(ValueError, match=r"'upsample' parameter of .* among .*'bilinear'.*"
                                         r"Got 'bicubic'"):
        cls(TinyResNet(), upsample="bicubic").fit(X)


@pytest.mark.parametrize("cls", CLASSES)
def test_rows_of_another_shape_at_explain(cls):
    explainer = cls(TinyResNet()).fit(X)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 3, 8, 8\)"):
        explainer.explain(torch.zeros(2, 3, 9, 9))


def test_cam_without_global_average_pooling():
    with pytest.raises(ValueError, match=r"CAM needs the architecture conv -> global average "
                                         r"pooling -> linear, and Sequential has no global "
                                         r"average pooling before its classifier fc='6'"):
        CAM(cnn()).fit(X)  # max pooling + flatten: fc sees every position
    with pytest.raises(ValueError, match=r"no global average pooling before .* fc='5'"):
        CAM(gap_head(nn.Linear(3, 3))).fit(X)  # a second linear after the pooled one


def test_cam_classifier_not_found_or_ambiguous():
    with pytest.raises(ValueError, match=r"CAM could not find the classifier .* no nn.Linear "
                                         r"layer .* returns the model's output .* pass fc="):
        CAM(gap_head(nn.Softmax(dim=1))).fit(X)
    # with fc= the softmax model is explained through its classifier's rows
    expl = CAM(gap_head(nn.Softmax(dim=1)), fc="4").fit(X).explain(X, target=1)
    assert expl.values.shape == tuple(X.shape)

    class TwoHeads(nn.Module):  # two identical classifiers: which one is "the" fc?
        def __init__(self):
            super().__init__()
            self.body = gap_head()[:4]
            self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 3)
            self.b.load_state_dict(self.a.state_dict())

        def forward(self, x):
            feats = self.body(x)
            self.a(feats)
            return self.b(feats)

    with pytest.raises(ValueError, match=r"several nn.Linear layers returning the model's "
                                         r"output \('a', 'b'\); pass fc="):
        CAM(TwoHeads()).fit(X)
    assert CAM(TwoHeads(), fc="b").fit(X).fc_ == "b"


def test_cam_ambiguous_feature_maps():
    class Flip(nn.Module):
        def forward(self, x):
            return x.flip(-1)

    class FlippedMean(nn.Module):  # relu's map and its mirror image both average to fc's input
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.conv, self.relu, self.flip = nn.Conv2d(3, 4, 3), nn.ReLU(), Flip()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(self.flip(self.relu(self.conv(x))).mean((2, 3)))

    with pytest.raises(ValueError, match=r"several different feature maps whose spatial mean "
                                         r"is the input of fc='fc' \('relu', 'flip'\); pass "
                                         r"layer="):
        CAM(FlippedMean()).fit(X)
    assert CAM(FlippedMean(), layer="relu").fit(X).layer_ == "relu"


def test_cam_bad_fc_or_layer():
    model = cnn(pool=nn.AdaptiveAvgPool2d(1), out_hw=1)
    with pytest.raises(ValueError, match=r"fc='0' must be the nn.Linear classifier .* got a "
                                         r"Conv2d"):
        CAM(model, fc="0").fit(X)
    with pytest.raises(ValueError, match=r"fc='nope' is not a submodule"):
        CAM(model, fc="nope").fit(X)
    with pytest.raises(ValueError, match=r"layer='2' does not feed fc='6' through a global "
                                         r"average pooling"):
        CAM(model, layer="2").fit(X)  # the conv before the ReLU: its mean is not fc's input
    with pytest.raises(ValueError, match=r"fc='4' has 3 outputs but the model has 2"):
        CAM(gap_head(nn.Linear(3, 2)), fc="4").fit(X)



def test_a_frozen_model_and_a_model_detached_after_the_layer():
    from test_cam import BypassNet

    model = BypassNet().eval().requires_grad_(False)  # class 0 bypasses the layer
    explainer = GradCAM(model, layer="conv").fit(X)
    assert np.abs(explainer.explain(X, target=1).values).max() > 0
    assert np.all(explainer.explain(X, target=0).values == 0)

    class Detached(nn.Module):  # no gradient reaches the layer: an error, not zero maps
        def __init__(self):
            super().__init__()
            self.net = gap_head()

        def forward(self, x):
            return self.net(x).detach()

    with pytest.raises(ModelEvaluationError, match=r"do not depend differentiably on layer "
                                                   r"'net.1' .* bypass it\?\)"):
        GradCAM(Detached().requires_grad_(False)).fit(X).explain(X)


def test_the_last_conv_reused_is_not_replaced_by_an_earlier_one():
    class Reused(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            x = self.conv2(self.conv2(self.conv1(x)))
            return self.fc(x.mean((2, 3)))

    for cls in (GradCAM, GuidedGradCAM):
        with pytest.raises(ValueError, match=r"last convolutional layer 'conv2' of Reused, but "
                                             r"it is called 2 times .* pass layer="):
            cls(Reused()).fit(X)
        assert cls(Reused(), layer="conv1").fit(X).layer_ == "conv1"
