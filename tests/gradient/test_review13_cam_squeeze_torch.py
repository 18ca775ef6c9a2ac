"""CAM finds the classifier of a one-output head whose output is squeezed to (n,)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain import CAM  # noqa: E402


class Squeezed(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(self.body(x)).squeeze(1)


def test_cam_finds_fc_of_squeezed_output():
    net = Squeezed()
    X = torch.randn(3, 3, 8, 8)
    explainer = CAM(net).fit(X)
    assert (explainer.layer_, explainer.fc_) == ("body.1", "fc")
    expected = CAM(net, fc="fc").fit(X).explain(X)
    np.testing.assert_array_equal(explainer.explain(X).values, expected.values)
    # the map's mean is the score minus the bias
    score = (net(X) - net.fc.bias).detach().numpy()
    np.testing.assert_allclose(expected.extras["layer_map"].mean((1, 2)), score, atol=1e-6)
