"""layer=None on networks with a 1x1 convolution after global pooling (NIN heads,
timm-style ``conv_head``): the last feature-map convolution is used, not an error."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain import GradCAM, GuidedGradCAM  # noqa: E402


def _nin():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Conv2d(6, 3, 1), nn.Flatten())


@pytest.mark.parametrize("cls", [GradCAM, GuidedGradCAM])
def test_conv_classifier_after_pooling(cls):
    net = _nin()
    X = torch.randn(3, 3, 8, 8)
    explainer = cls(net).fit(X)
    assert explainer.layer_ == "3"
    expected = cls(net, layer="3").fit(X).explain(X, target=1).values
    np.testing.assert_array_equal(explainer.explain(X, target=1).values, expected)


def test_conv_head_after_pooling_1d():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
                        nn.Conv1d(4, 8, 1), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    assert GradCAM(net).fit(torch.randn(2, 2, 10)).layer_ == "1"
