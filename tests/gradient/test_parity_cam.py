"""GradCAM and GuidedGradCAM against captum's LayerGradCam and GuidedGradCam."""
import numpy as np
import pytest

from gradient_models import TinyResNet, cnn

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from skexplain import GradCAM, GuidedGradCAM  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning:captum", "ignore:Setting backward hooks:UserWarning",
    "ignore:.*requires_grad.*:UserWarning")

TARGET = [0, 1, 2, 1, 0, 2]
MODELS = {  # (model, layer given, layer chosen by layer=None)
    # cnn: "2" (a conv at full resolution) is followed by an in-place ReLU; "4", the 4x4
    # max-pooled map, is the last feature map computed from it
    "cnn": (lambda: cnn().eval(), "2", "4"),
    "resnet": (lambda: TinyResNet().eval(), "block1", "block2"),
}


def _images():
    return torch.randn(6, 3, 8, 8, generator=torch.Generator().manual_seed(3))


def _close(got, want):
    want = want.detach().numpy()
    assert got.shape == want.shape
    assert np.abs(want).max() > 0
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    assert np.abs(got - want).max() <= 1e-5


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_grad_cam_equals_captum_layer_grad_cam_then_bilinear_interpolation(name, given):
    make, layer, chosen = MODELS[name]
    model, X = make(), _images()
    explainer = GradCAM(model, layer=layer if given else None).fit(X)
    assert explainer.layer_ == (layer if given else chosen)
    module = dict(model.named_modules())[explainer.layer_]
    for relu in (True, False):
        expl = GradCAM(model, layer=explainer.layer_, relu=relu).fit(X).explain(X, target=TARGET)
        raw = captum_attr.LayerGradCam(model, module).attribute(X, target=TARGET,
                                                                relu_attributions=relu)
        _close(expl.extras["layer_map"], raw[:, 0])  # captum's map before upsampling
        up = captum_attr.LayerAttribution.interpolate(raw, tuple(X.shape[2:]),
                                                      interpolate_mode="bilinear")
        _close(expl.values, up.expand(X.shape))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_guided_grad_cam_equals_captum_with_nearest_upsampling(name):
    make, layer, chosen = MODELS[name]
    model, X = make(), _images()
    for lay in (layer, chosen):
        module = dict(model.named_modules())[lay]
        want = captum_attr.GuidedGradCam(model, module).attribute(X, target=TARGET)
        got = GuidedGradCAM(model, layer=lay, upsample="nearest").fit(X).explain(X, target=TARGET)
        _close(got.values, want)
        # captum upsamples with "nearest" by default; the paper and our default: bilinear
        bilinear = GuidedGradCAM(model, layer=lay).fit(X).explain(X, target=TARGET).values
        if got.extras["layer_map"].shape[1:] != X.shape[2:]:  # else both are the identity
            assert not np.allclose(bilinear, want.detach().numpy(), rtol=1e-3, atol=0)
        want = captum_attr.GuidedGradCam(model, module).attribute(
            X, target=TARGET, interpolate_mode="bilinear")
        _close(bilinear, want)
