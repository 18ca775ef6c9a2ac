"""layer=None skips a convolution whose output the model's output does not use:
an all-zero Grad-CAM map would otherwise come back without a word."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain import GradCAM, GuidedGradCAM  # noqa: E402


class SideBranch(nn.Module):
    """A conv computed after the features but not used by the output (a leftover head)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.unused = nn.Conv2d(4, 4, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        h = self.relu(self.conv(x))
        self.unused(h)
        return self.fc(self.pool(h).flatten(1))


@pytest.mark.parametrize("cls", [GradCAM, GuidedGradCAM])
def test_layer_none_skips_unused_conv(cls):
    net = SideBranch()
    X = torch.randn(3, 3, 8, 8)
    explainer = cls(net).fit(X)
    assert explainer.layer_ == "relu"
    values = explainer.explain(X, target=0).values
    assert np.abs(values).max() > 0


def test_layer_none_under_inference_mode_still_works():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(4, 2))
    with torch.inference_mode():
        assert GradCAM(net).fit(torch.randn(2, 3, 8, 8)).layer_ == "1"
    assert all(p.grad is None for p in net.parameters())


def test_output_cut_from_every_conv_is_refused_at_fit():
    class Detached(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(self.conv(x).mean((2, 3)).detach())

    with pytest.raises(ValueError, match=r"GradCAM found convolutional layers in Detached, "
                       r"but its output is not computed differentiably.*\.detach\(\).*"
                       r"Pass layer="):
        GradCAM(Detached()).fit(torch.randn(2, 3, 8, 8))
