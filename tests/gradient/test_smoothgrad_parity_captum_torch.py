"""SmoothGrad around Saliency and IntegratedGradients against captum's NoiseTunnel,
given the same noise: captum's draw (``torch.normal``) is replaced, for the call,
by the noise skexplain drew (read off the points its model was called on)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")
from gradient_models import Recorder  # noqa: E402
from skexplain import IntegratedGradients, Saliency, SmoothGrad  # noqa: E402

nn = torch.nn
S, SIGMA = 8, 0.4


def model():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Softplus(),
                        nn.Linear(8, 3)).double()
    with torch.no_grad():  # weights of order one: attributions of order one
        for p in net.parameters():
            p.normal_()
    return net


def skexplain_noise(x):
    """The noise SmoothGrad(noise_std=SIGMA, random_state=0) adds, row-major (row, sample)."""
    rec = Recorder(model())
    sg = SmoothGrad(rec, noise_std=SIGMA, n_samples=S, random_state=0).fit(x[:1])
    rec.seen.clear()
    sg.explain(x, target=0)
    return torch.cat(rec.seen[1:]) - x.repeat_interleave(S, 0)


@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
@pytest.mark.parametrize("inner", ["saliency", "ig"])
def test_noise_tunnel_parity_with_the_same_noise(inner, nt_type, monkeypatch):
    x = torch.as_tensor(np.random.default_rng(0).normal(size=(5, 4)))
    target = torch.tensor([0, 2, 1, 2, 0])
    baseline = torch.full((1, 4), 0.25, dtype=torch.float64)
    noise = skexplain_noise(x)
    module = model()
    if inner == "saliency":
        ours = Saliency(module)
        theirs, kwargs = captum_attr.Saliency(module), dict(abs=False)
    else:
        ours = IntegratedGradients(module, n_steps=20)
        theirs = captum_attr.IntegratedGradients(module)
        kwargs = dict(baselines=baseline, n_steps=20, method="gausslegendre")
    got = SmoothGrad(ours, noise_std=SIGMA, n_samples=S, variant=nt_type, random_state=0)
    got = got.fit(baseline.numpy()).explain(x, target=target.numpy()).values

    calls = []

    def same_noise(mean, std, *args, **kw):  # captum: torch.normal(0, stdev_expanded)
        calls.append(std)
        assert mean == 0 and std.shape == noise.shape
        assert torch.all(std == SIGMA)
        return noise.clone()

    monkeypatch.setattr(torch, "normal", same_noise)
    expected = captum_attr.NoiseTunnel(theirs).attribute(
        x, nt_type=nt_type, nt_samples=S, stdevs=SIGMA, target=target, **kwargs)
    monkeypatch.undo()
    assert len(calls) == 1  # captum drew its noise once, all of it ours
    expected = expected.detach().numpy()
    assert np.abs(expected).max() > 0.1  # values large enough for 1e-5 to mean something
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # and the comparison can fail: other noise gives other values
    assert np.abs(got - SmoothGrad(ours, noise_std=SIGMA, n_samples=S, variant=nt_type,
                                   random_state=1).fit(baseline.numpy())
                  .explain(x, target=target.numpy()).values).max() > 1e-2
