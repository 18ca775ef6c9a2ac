"""Parity with captum on a two-input model with a per-row additional forward argument."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

pytestmark = [pytest.mark.parity,
              pytest.mark.filterwarnings("ignore:Input Tensor:UserWarning",
                                         "ignore:Setting forward:UserWarning")]

from skexplain import DeepLIFT, GradientXInput, IntegratedGradients, Saliency  # noqa: E402


class TwoInputsMasked(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(4, 6)
        self.b = torch.nn.Conv1d(1, 2, 3)  # input b: (1, 5) -> (2, 3)
        self.relu1, self.relu2 = torch.nn.ReLU(), torch.nn.ReLU()
        self.mix = torch.nn.Linear(12, 6)
        self.head = torch.nn.Linear(6, 3)

    def forward(self, a, b, mask):
        h = self.relu1(self.a(a)) * mask  # the mask is per row, not attributed
        g = self.relu2(self.mix(torch.cat([h, self.b(b).flatten(1)], dim=1)))
        return self.head(g)


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    model = TwoInputsMasked().eval()
    gen = torch.Generator().manual_seed(1)
    X = (torch.randn(6, 4, generator=gen), torch.randn(6, 1, 5, generator=gen))
    base = (torch.randn(1, 4, generator=gen) * 0.1, torch.randn(1, 1, 5, generator=gen) * 0.1)
    mask = (torch.rand(6, 6, generator=gen) > 0.3).float()
    target = torch.tensor([0, 1, 2, 0, 1, 2])
    return model, X, base, mask, target


def _close(ours, theirs):
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 2
    for e, t in zip(ours, theirs):
        np.testing.assert_allclose(e.values, t.detach().numpy(), atol=1e-5, rtol=0)


def test_integrated_gradients(setup):
    model, X, base, mask, target = setup
    ours = IntegratedGradients(model, n_steps=32).fit(
        base, additional_forward_args=(mask[:1],)).explain(
        X, target=target, additional_forward_args=(mask,))
    theirs = captum_attr.IntegratedGradients(model).attribute(
        X, baselines=base, target=target, additional_forward_args=(mask,), n_steps=32,
        method="gausslegendre")
    _close(ours, theirs)


def test_saliency(setup):
    model, X, base, mask, target = setup
    ours = Saliency(model).fit(base, additional_forward_args=(mask[:1],)).explain(
        X, target=target, additional_forward_args=(mask,))
    theirs = captum_attr.Saliency(model).attribute(
        X, target=target, additional_forward_args=(mask,), abs=False)
    _close(ours, theirs)


def test_input_x_gradient(setup):
    model, X, base, mask, target = setup
    ours = GradientXInput(model).fit(base, additional_forward_args=(mask[:1],)).explain(
        X, target=target, additional_forward_args=(mask,))
    theirs = captum_attr.InputXGradient(model).attribute(
        X, target=target, additional_forward_args=(mask,))
    _close(ours, theirs)


def test_deeplift(setup):
    model, X, base, mask, target = setup
    ours = DeepLIFT(model).fit(base, additional_forward_args=(mask[:1],)).explain(
        X, target=target, additional_forward_args=(mask,))
    theirs = captum_attr.DeepLift(model).attribute(
        X, baselines=base, target=target, additional_forward_args=(mask,))
    _close(ours, theirs)
    # summation-to-delta over both inputs, the base value with each row's mask
    with torch.no_grad():
        fx = model(*X, mask).gather(1, target[:, None])[:, 0]
        fb = model(base[0].expand(6, -1), base[1].expand(6, -1, -1), mask).gather(
            1, target[:, None])[:, 0]
    total = ours[0].values.sum(1) + ours[1].values.sum((1, 2))
    np.testing.assert_allclose(total, (fx - fb).numpy(), atol=1e-5)
    np.testing.assert_allclose(ours[0].base_values, fb.numpy(), atol=1e-6)
