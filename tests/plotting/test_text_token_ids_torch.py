"""TextDisplay on explanations of a token-id model: IntegratedGradients at the
embedding and KernelSHAP over positions drawn with one colour scale (vmax), the
colour of each token following the sign of its attribution; bad inputs."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
from skexplain import IntegratedGradients, KernelSHAP  # noqa: E402
from skexplain.plotting import TextDisplay  # noqa: E402

nn = torch.nn
TOKENS = ["not", "a", "good", "film"]


class MeanBag(nn.Module):
    """Additive over positions: both explainers give the same per-token values."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = nn.Embedding(6, 3, padding_idx=0)
        self.lin = nn.Linear(3, 1)

    def forward(self, ids):
        return self.lin(self.emb(ids).sum(1)).squeeze(1)


@pytest.fixture
def explanations():
    model = MeanBag().double()
    pad = np.zeros((1, 4), dtype=np.int64)
    X = np.array([[1, 2, 3, 4], [4, 3, 2, 1]])
    ig = IntegratedGradients(model, layer="emb", layer_reduce="sum").fit(pad).explain(X)
    ks = KernelSHAP(model).fit(pad).explain(X)
    return ig, ks


def test_one_scale_for_two_methods_and_signs_follow_values(pyplot, explanations):
    ig, ks = explanations
    np.testing.assert_allclose(ig.values, ks.values, atol=1e-8)  # an additive model
    vmax = np.abs(ig.values[1]).max() * 2
    left = TextDisplay.from_explanation(ig, row=1, tokens=TOKENS, vmax=vmax)
    right = TextDisplay.from_explanation(ks, row=1, tokens=TOKENS, vmax=vmax)
    np.testing.assert_allclose(left.colors_, right.colors_, atol=1e-6)
    assert left.colorbar_.mappable.norm.vmax == vmax
    for value, rgba in zip(ig.values[1], left.colors_):
        red, blue = rgba[0] > rgba[2] + 0.01, rgba[2] > rgba[0] + 0.01
        assert (red, blue) == (value > 0, value < 0)
    # Without vmax each display scales to its own row: the largest token is the darkest.
    own = TextDisplay.from_explanation(ig, row=0, tokens=TOKENS)
    darkest = np.argmin(own.colors_[:, :3].sum(1))
    assert darkest == np.argmax(np.abs(ig.values[0]))


def test_bad_inputs_are_named(pyplot, explanations):
    ig, _ = explanations
    with pytest.raises(ValueError, match=r"tokens must be a list of 4 strings \(one per "
                                         r"feature\); got shape \(3,\)"):
        TextDisplay.from_explanation(ig, row=0, tokens=TOKENS[:3])
    with pytest.raises(IndexError, match="row=2 is out of range for an explanation of 2 rows"):
        TextDisplay.from_explanation(ig, row=2, tokens=TOKENS)
    per_dimension = IntegratedGradients(MeanBag().double(), layer="emb").fit(
        np.zeros((1, 4), dtype=np.int64)).explain(np.array([[1, 2, 3, 4]]))
    assert per_dimension.values.shape == (1, 4, 3)  # embedding axis kept: not one per token
    with pytest.raises(ValueError, match=r"needs one feature axis; got feature shape \(4, 3\)"):
        TextDisplay.from_explanation(per_dimension, tokens=TOKENS)
