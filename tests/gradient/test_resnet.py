"""A ResNet-style network (residual blocks with an in-place ReLU module called
twice, BatchNorm, max pooling, global average pooling) works with every
gradient explainer: finite values of the input's shape, the module unchanged."""
import numpy as np
import pytest

from gradient_models import TinyResNet, assert_unchanged, snapshot

torch = pytest.importorskip("torch")

from skexplain import (CAM, DeepLIFT, ExpectedGradients, GradCAM, GradientXInput,  # noqa: E402
                       GuidedBackprop, GuidedGradCAM, IntegratedGradients, Saliency,
                       SmoothGrad)

EXPLAINERS = {
    "Saliency": lambda m: Saliency(m),
    "GradientXInput": lambda m: GradientXInput(m),
    "SmoothGrad": lambda m: SmoothGrad(m, n_samples=8, random_state=0),
    "GuidedBackprop": lambda m: GuidedBackprop(m),
    "IntegratedGradients": lambda m: IntegratedGradients(m, n_steps=16),
    "ExpectedGradients": lambda m: ExpectedGradients(m, n_samples=16, random_state=0),
    "DeepLIFT": lambda m: DeepLIFT(m),
    "CAM": lambda m: CAM(m),
    "GradCAM": lambda m: GradCAM(m),
    "GuidedGradCAM": lambda m: GuidedGradCAM(m),
}


@pytest.mark.parametrize("name", sorted(EXPLAINERS))
def test_every_gradient_explainer_on_a_resnet(name):
    model = TinyResNet()  # left in train mode: explainers must use eval mode and restore it
    g = torch.Generator().manual_seed(0)
    X, background = torch.randn(4, 3, 8, 8, generator=g), torch.randn(3, 3, 8, 8, generator=g)
    before = snapshot(model)
    explainer = EXPLAINERS[name](model).fit(background)
    expl = explainer.explain(X, target=[0, 1, 2, 0])
    assert_unchanged(model, before)
    assert expl.values.shape == tuple(X.shape)
    assert np.isfinite(expl.values).all() and np.abs(expl.values).max() > 0
    if name in ("CAM", "GradCAM", "GuidedGradCAM"):
        assert explainer.layer_ == "block2"  # the last residual block
        assert expl.extras["layer_map"].shape == (4, 4, 4)
    if name == "DeepLIFT":  # summation-to-delta holds through the residual blocks
        assert np.abs(expl.delta).max() < 1e-3 * np.abs(expl.values.sum((1, 2, 3))).max()
