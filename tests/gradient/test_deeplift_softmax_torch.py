"""DeepLIFT / DeepSHAP through Softmax, LogSoftmax, Softmin and Softmax2d.

Truth: summation-to-delta (to f(x) - f(b) per background row and to
f(x) - mean_b f(b) for DeepSHAP), the chain relation between a Softmax and a
LogSoftmax head, invariance to a shift of every logit; parity with captum's
DeepLift on the models where captum's softmax rule is exact (two classes whose
logits sum to a constant); clear refusals.
"""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from skexplain import DeepLIFT  # noqa: E402
from skexplain.exceptions import ApproximationWarning, ModelTypeError  # noqa: E402

nn = torch.nn
F = torch.nn.functional


def convnet(n_out, *head, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1),
                         nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4 * 16, n_out),
                         *head).double().eval()


class Residual(nn.Module):
    def __init__(self, head, shared=True):
        super().__init__()
        torch.manual_seed(1)
        self.conv1, self.relu, self.conv2 = nn.Conv2d(2, 2, 3, padding=1), nn.ReLU(), \
            nn.Conv2d(2, 2, 3, padding=1)
        self.relu2 = self.relu if shared else nn.ReLU()  # captum refuses a reused ReLU
        self.fc, self.head = nn.Linear(2 * 64, 5), head

    def forward(self, x):
        x = self.relu2(x + self.conv2(self.relu(self.conv1(x))))
        return self.head(self.fc(x.flatten(1)))


class PlusMinus(nn.Module):
    """Two logits ``(z, -z)``: they sum to zero (a linear module)."""

    def forward(self, z):
        return torch.cat([z, -z], 1)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    return (3 * torch.randn(4, 2, 8, 8, generator=g, dtype=torch.float64),
            3 * torch.randn(6, 2, 8, 8, generator=g, dtype=torch.float64))


def outputs(model, X):
    with torch.no_grad():
        return model(torch.as_tensor(X)).numpy()


def gap(model, expl, X, background):
    """sum(values) - (f(x) - mean_b f(b)), computed from the model alone."""
    t = np.asarray(expl.metadata["target"])
    fx = outputs(model, X)[np.arange(len(t)), t]
    fb = outputs(model, background)[:, t].mean(0)
    return expl.values.reshape(len(t), -1).sum(1) - (fx - fb)


HEADS = [lambda: nn.Softmax(dim=1), lambda: nn.LogSoftmax(dim=1), lambda: nn.Softmin(dim=-1),
         lambda: nn.Softmax(dim=None)]


@pytest.mark.filterwarnings("ignore:Implicit dimension choice:UserWarning")
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("target", [0, 3, [1, 2, 3, 4]])
def test_summation_to_delta_on_convnets(head, target, images):
    X, background = images
    for model in (convnet(5, head()), Residual(head()).double().eval()):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ApproximationWarning)
            for k in (1, 2, 6):  # DeepLIFT per background row, then DeepSHAP
                bg = background[:k]
                expl = DeepLIFT(model).fit(bg).explain(X, target=target)
                assert np.abs(gap(model, expl, X, bg)).max() < 1e-12
                np.testing.assert_allclose(expl.delta, gap(model, expl, X, bg), atol=1e-12)
            for b in background[:3]:  # one background row at a time: f(x) - f(b)
                expl = DeepLIFT(model).fit(b[None]).explain(X, target=target)
                assert np.abs(gap(model, expl, X, b[None])).max() < 1e-12


def test_summation_to_delta_in_float32(images):
    X, background = (t.float() for t in images)
    model = convnet(5, nn.Softmax(dim=1)).float()
    expl = DeepLIFT(model).fit(background).explain(X, target=2)
    assert np.abs(gap(model, expl, X, background)).max() < 1e-6


@pytest.mark.parametrize("dtype, scale, rtol", [(torch.float32, 300.0, 2e-7),
                                                 (torch.float64, 3000.0, 1e-14)])
@pytest.mark.parametrize("head", [nn.Softmax, nn.LogSoftmax])
def test_saturated_softmax_stays_finite_and_complete(dtype, scale, rtol, head):
    # logits hundreds apart: exp(logit) overflows and the smaller sums underflow
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 5), head(dim=1))
    model = model.to(dtype).eval()
    with torch.no_grad():
        model[2].weight *= scale
    g = torch.Generator().manual_seed(1)
    X, background = torch.randn(50, 6, generator=g), torch.randn(10, 6, generator=g)
    X, background = X.to(dtype), background.to(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ApproximationWarning)
        expl = DeepLIFT(model).fit(background).explain(X)
    assert np.isfinite(expl.values).all()
    # rounding of logits of this size is the floor of what any rule can reach
    logits = np.abs(outputs(model[:-1], torch.cat([X, background]))).max()
    assert logits > scale / 2
    assert np.abs(gap(model, expl, X, background)).max() < rtol * logits


def test_softmax_is_exp_after_logsoftmax(images):
    # Softmax = exp(LogSoftmax): the Rescale rule of that last exp multiplies
    # the LogSoftmax attributions by (p_x - p_b) / (log p_x - log p_b).
    X, background = images
    b = background[:1]
    proba, logp = convnet(5, nn.Softmax(dim=1)), convnet(5, nn.LogSoftmax(dim=1))
    for t in (0, 4):
        ratio = ((outputs(proba, X)[:, t] - outputs(proba, b)[0, t])
                 / (outputs(logp, X)[:, t] - outputs(logp, b)[0, t]))
        a = DeepLIFT(proba).fit(b).explain(X, target=t).values
        c = DeepLIFT(logp).fit(b).explain(X, target=t).values
        np.testing.assert_allclose(a, ratio[:, None, None, None] * c, rtol=1e-9, atol=1e-14)


def test_a_shift_of_every_logit_changes_nothing(images):
    # softmax(s + c) = softmax(s): the rule must not depend on the shift either
    X, background = images
    model, shifted = convnet(5, nn.Softmax(dim=1)), convnet(5, nn.Softmax(dim=1))
    with torch.no_grad():
        shifted[6].bias += 40.0
    a = DeepLIFT(model).fit(background).explain(X, target=1).values
    np.testing.assert_allclose(DeepLIFT(shifted).fit(background).explain(X, target=1).values,
                               a, rtol=1e-8, atol=1e-14)


def test_softmax2d_and_a_softmax_in_the_middle(images):
    X, background = images
    torch.manual_seed(2)
    spatial = nn.Sequential(nn.Conv2d(2, 3, 1), nn.Softmax2d(), nn.Conv2d(3, 2, 3), nn.Flatten(),
                            nn.Linear(72, 3)).double().eval()
    gated = nn.Sequential(nn.Flatten(), nn.Linear(128, 16), nn.Softmax(dim=1), nn.Linear(16, 8),
                          nn.ReLU(), nn.Linear(8, 3), nn.LogSoftmax(dim=1)).double().eval()
    for model in (spatial, gated):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ApproximationWarning)
            expl = DeepLIFT(model).fit(background).explain(X)
        assert np.abs(gap(model, expl, X, background)).max() < 1e-12


class Attention(nn.Module):
    """Self-attention written with products of activations (q k^T, weights v)."""

    def __init__(self, dim=4):
        super().__init__()
        torch.manual_seed(3)
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.softmax, self.out = nn.Softmax(dim=-1), nn.Linear(5 * dim, 2)

    def forward(self, x):  # x: (n, 5 tokens, dim)
        weights = self.softmax(self.q(x) @ self.k(x).transpose(1, 2))
        return self.out((weights @ self.v(x)).flatten(1))


def test_attention_products_are_reported_not_hidden():
    # The softmax has its rule; the products q k^T and weights v are not
    # modules, so DeepLIFT cannot see them: the gap check says so.
    g = torch.Generator().manual_seed(0)
    X, background = 2 * torch.randn(3, 5, 4, generator=g), 2 * torch.randn(2, 5, 4, generator=g)
    model = Attention().eval()
    with pytest.warns(ApproximationWarning, match="summation-to-delta"):
        expl = DeepLIFT(model).fit(background).explain(X, target=0)
    assert np.abs(expl.delta).max() > 1e-3


def test_multihead_attention_is_refused_by_name():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn, self.fc = nn.MultiheadAttention(4, 1, batch_first=True), nn.Linear(20, 2)

        def forward(self, x):
            return self.fc(self.attn(x, x, x)[0].flatten(1))

    X = np.ones((2, 5, 4), np.float32)
    with pytest.raises(ModelTypeError, match=r"no rule for MultiheadAttention \('attn'"):
        DeepLIFT(Block()).fit(np.zeros((1, 5, 4), np.float32)).explain(X)


@pytest.mark.parametrize("fn", [lambda z: F.softmax(z, dim=1), lambda z: z.log_softmax(1)])
def test_functional_softmax_is_caught_by_the_gap_check(fn, images):
    X, background = images

    class Head(nn.Module):
        def forward(self, z):
            return fn(z)

    model = convnet(5, Head())
    with pytest.warns(ApproximationWarning, match="cannot see"):
        DeepLIFT(model).fit(background).explain(X, target=0)


def test_softmax_over_the_batch_axis_is_refused():
    model = nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=0))
    with pytest.raises(ValueError, match=r"Softmax \('1'\).*axis 0.*batch axis"):
        DeepLIFT(model).fit(np.zeros((1, 3), np.float32)).explain(np.ones((2, 3), np.float32))


# ------------------------------------------------------------- captum parity
@pytest.mark.parity
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("residual", [False, True])
def test_parity_with_captum_on_two_class_softmax(residual, images):
    # With logits (z, -z) captum's softmax rule is exact and equals this one.
    captum_attr = pytest.importorskip("captum.attr")
    X, background = images
    head = (PlusMinus(), nn.Softmax(dim=1))
    if residual:
        model = Residual(nn.Sequential(nn.Linear(5, 1), *head), shared=False).double().eval()
    else:
        model = convnet(1, *head)
    for t in (0, 1, [1, 0, 0, 1]):
        tt = torch.as_tensor(t)
        for b in background[:3]:  # DeepLIFT, one baseline at a time
            ours = DeepLIFT(model).fit(b[None]).explain(X, target=t).values
            theirs = captum_attr.DeepLift(model).attribute(X, baselines=b[None].expand_as(X),
                                                           target=tt)
            np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-5)
        ours = DeepLIFT(model).fit(background).explain(X, target=t).values
        theirs = captum_attr.DeepLiftShap(model).attribute(X, baselines=background, target=tt)
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-5)


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, z):
        return self.factor * z


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_parity_with_captum_on_two_class_logsoftmax(images):
    # captum has no LogSoftmax rule (it passes plain gradients through it), so
    # it is compared on the same function written with a module it has a rule
    # for: log_softmax(z, -z)[0] = -softplus(-2 z), [1] = -softplus(2 z).
    captum_attr = pytest.importorskip("captum.attr")
    X, background = images
    ours_model = convnet(1, PlusMinus(), nn.LogSoftmax(dim=1))
    for t, factor in ((0, -2.0), (1, 2.0)):
        theirs_model = convnet(1, Scale(factor), nn.Softplus(), Scale(-1.0))
        with torch.no_grad():
            np.testing.assert_allclose(outputs(theirs_model, X)[:, 0], outputs(ours_model, X)[:, t])
        for k in (1, 6):
            ours = DeepLIFT(ours_model).fit(background[:k]).explain(X, target=t).values
            cls = captum_attr.DeepLift if k == 1 else captum_attr.DeepLiftShap
            bases = background[:1].expand_as(X) if k == 1 else background
            theirs = cls(theirs_model).attribute(X, baselines=bases, target=0)
            np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-5)
