"""Per-row baselines together with several inputs and additional_forward_args.

Row i is explained against its own reference r_i = (r_i^a, r_i^b), every
model call made for it (its reference included) taking its own forward
arguments: checked against captum (IntegratedGradients, DeepLift,
FeatureAblation, LayerIntegratedGradients with the same baselines and
arguments), brute-force Shapley values against each row's reference, the
base values f(r_i, args_i), rows explained alone, and bad input.
"""
import itertools
from math import factorial

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from skexplain import (DeepLIFT, ExactShapley, IntegratedGradients, KernelSHAP,  # noqa: E402
                       Occlusion)

N = 4


class TwoInputMask(nn.Module):
    """forward(a (n, 3), b (n, 2, 2), mask (n, 6)): the mask gates the hidden units."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 6), nn.Linear(4, 6)
        self.act, self.head = nn.Tanh(), nn.Linear(6, 3)

    def forward(self, a, b, mask):
        return self.head(self.act(self.a(a) + self.b(b.flatten(1))) * mask)


class MaskedText(nn.Module):
    """Token ids and a per-row mask applied before the layer ``proj``."""

    def __init__(self):
        super().__init__()
        self.emb, self.proj, self.head = nn.Embedding(10, 4), nn.Linear(4, 5), nn.Linear(5, 2)

    def forward(self, ids, mask):
        h = torch.tanh(self.proj(self.emb(ids) * mask[..., None]))
        return self.head(h.mean(1))


@pytest.fixture
def problem():
    torch.manual_seed(0)
    model = TwoInputMask().double().eval()
    g = torch.Generator().manual_seed(1)
    rand = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    X = (rand(N, 3), rand(N, 2, 2))
    R = (rand(N, 3), rand(N, 2, 2))
    mask = (torch.rand(N, 6, generator=g) > 0.3).double()
    mask[0] = 1.0  # rows with different masks, one fully open
    background = (rand(5, 3), rand(5, 2, 2))
    return model, X, R, mask, background


def _fit(cls, model, background, **kw):
    return cls(model, **kw).fit(background,
                                additional_forward_args=(torch.ones(5, 6, dtype=torch.float64),))


def _f(model, X, mask, target):
    with torch.no_grad():
        return model(*X, mask)[:, target].numpy()


# ---------------------------------------------------------------- captum parity
@pytest.mark.parametrize("ours, theirs", [(IntegratedGradients, "IntegratedGradients"),
                                          (DeepLIFT, "DeepLift")])
def test_captum_parity_tuple_baselines_and_row_args(problem, ours, theirs):
    ca = pytest.importorskip("captum.attr")
    model, X, R, mask, background = problem
    expl = _fit(ours, model, background).explain(X, target=2, baselines=R,
                                                 additional_forward_args=(mask,))
    kw = {"n_steps": 50, "method": "gausslegendre"} if theirs == "IntegratedGradients" else {}
    ref = getattr(ca, theirs)(model).attribute(X, baselines=R, target=2,
                                               additional_forward_args=(mask,), **kw)
    assert isinstance(expl, tuple) and len(expl) == 2
    for part, cap in zip(expl, ref):
        assert part.values.shape == tuple(cap.shape)
        np.testing.assert_allclose(part.values, cap.detach().numpy(), atol=1e-5)
        # base f_t(r_i, mask_i): the reference runs with its row's mask
        np.testing.assert_allclose(part.base_values, _f(model, R, mask, 2), atol=1e-12)
        assert part.metadata["baselines"] is True
    total = sum(p.values.reshape(N, -1).sum(1) for p in expl)
    np.testing.assert_allclose(total, _f(model, X, mask, 2) - _f(model, R, mask, 2),
                               atol=1e-6 if ours is DeepLIFT else 1e-3)


def test_occlusion_matches_captum_feature_ablation(problem):
    ca = pytest.importorskip("captum.attr")
    model, X, R, mask, background = problem
    a, b = _fit(Occlusion, model, background).explain(X, target=1, baselines=R,
                                                      additional_forward_args=(mask,))
    ca_a, ca_b = ca.FeatureAblation(model).attribute(X, baselines=R, target=1,
                                                     additional_forward_args=(mask,))
    np.testing.assert_allclose(a.values, ca_a.numpy(), atol=1e-12)
    np.testing.assert_allclose(b.values, ca_b.numpy(), atol=1e-12)
    np.testing.assert_allclose(a.base_values, _f(model, R, mask, 1), atol=1e-12)


def test_occlusion_background_mean_with_row_args_matches_captum(problem):
    """Without baselines: the background mean is occluded in, each row with its mask
    (fit on several background rows and per-row arguments used to fail)."""
    ca = pytest.importorskip("captum.attr")
    model, X, R, mask, background = problem
    a, b = _fit(Occlusion, model, background).explain(X, target=0,
                                                      additional_forward_args=(mask,))
    mean = tuple(t.mean(0, keepdim=True).expand_as(x) for t, x in zip(background, X))
    ca_a, ca_b = ca.FeatureAblation(model).attribute(X, baselines=mean, target=0,
                                                     additional_forward_args=(mask,))
    np.testing.assert_allclose(a.values, ca_a.numpy(), atol=1e-12)
    np.testing.assert_allclose(b.values, ca_b.numpy(), atol=1e-12)
    # base: the background's mean prediction, each row's mask with every background row
    base = [_f(model, background, mask[i:i + 1].expand(5, -1), 0).mean() for i in range(N)]
    np.testing.assert_allclose(a.base_values, base, atol=1e-12)


# ------------------------------------------------------------------ truth
def _brute_shapley(model, x, r, mask_row, target):
    """Shapley values of the 7 packed features of (x, r) with one row's mask."""
    xa, ra = np.concatenate([x[0].ravel(), x[1].ravel()]), np.concatenate(
        [r[0].ravel(), r[1].ravel()])
    d = xa.size

    def v(S):
        z = torch.as_tensor(np.where(S, xa, ra))[None]
        return _f(model, (z[:, :3], z[:, 3:].reshape(1, 2, 2)), mask_row[None], target)[0]

    phi = np.zeros(d)
    for S in itertools.product([0, 1], repeat=d):
        S = np.array(S, bool)
        for i in np.flatnonzero(~S):
            w = factorial(S.sum()) * factorial(d - S.sum() - 1) / factorial(d)
            T = S.copy()
            T[i] = True
            phi[i] += w * (v(T) - v(S))
    return phi


def test_exact_shapley_tuple_baselines_equals_brute_force(problem):
    model, X, R, mask, background = problem
    a, b = _fit(ExactShapley, model, background).explain(X, target=0, baselines=R,
                                                         additional_forward_args=(mask,))
    assert a.values.shape == (N, 3) and b.values.shape == (N, 2, 2)
    for i in range(N):
        phi = _brute_shapley(model, (X[0][i].numpy(), X[1][i].numpy()),
                             (R[0][i].numpy(), R[1][i].numpy()), mask[i], 0)
        np.testing.assert_allclose(np.concatenate([a.values[i], b.values[i].ravel()]), phi,
                                   atol=1e-12)
    np.testing.assert_allclose(a.base_values, _f(model, R, mask, 0), atol=1e-12)
    np.testing.assert_array_equal(a.base_values, b.base_values)


def test_kernel_shap_efficiency_against_row_reference(problem):
    model, X, R, mask, background = problem
    a, b = _fit(KernelSHAP, model, background, n_samples=60, random_state=0).explain(
        X, target=2, baselines=R, additional_forward_args=(mask,))
    total = a.values.sum(1) + b.values.reshape(N, -1).sum(1)
    np.testing.assert_allclose(total + a.base_values, _f(model, X, mask, 2), atol=1e-10)
    np.testing.assert_allclose(a.base_values, _f(model, R, mask, 2), atol=1e-12)


def test_shared_argument_and_one_number_for_every_input(problem):
    """A plain (non-tensor) argument: all rows in one call; 0.0 = a zero row per input."""
    model, X, R, mask, background = problem

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, a, b, scale):
            return self.inner(a, b, torch.ones(a.shape[0], 6, dtype=a.dtype)) * scale

    ex = ExactShapley(Scaled(), output=1).fit(background, additional_forward_args=(3.0,))
    zero = ex.explain(X, baselines=0.0, additional_forward_args=(3.0,))
    tup = ex.explain(X, baselines=(torch.zeros(3, dtype=torch.float64), np.zeros((1, 2, 2))),
                     additional_forward_args=(3.0,))
    for p, q in zip(zero, tup):
        np.testing.assert_allclose(p.values, q.values, atol=1e-14)
    ones = torch.ones(1, 6, dtype=torch.float64)
    f0 = 3.0 * _f(model, (torch.zeros(1, 3, dtype=torch.float64),
                          torch.zeros(1, 2, 2, dtype=torch.float64)), ones, 1)
    np.testing.assert_allclose(zero[0].base_values, np.repeat(f0, N), atol=1e-12)
    # the shared case explains all rows in one call (no per-row copies)
    assert zero[0].metadata["n_references"] == 1


@pytest.mark.parametrize("cls", [ExactShapley, IntegratedGradients])
def test_tuple_baselines_without_forward_args(problem, cls):
    """Several inputs, no forward arguments: a number for one input, rows for the other."""
    model, X, R, mask, background = problem
    ones = torch.ones(N, 6, dtype=torch.float64)

    class Open(nn.Module):  # the mask closed over: every unit open
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, a, b):
            return self.inner(a, b, torch.ones(a.shape[0], 6, dtype=a.dtype))

    explainer = cls(Open(), **({"output": 1} if cls is ExactShapley else {})).fit(background)
    expl = explainer.explain(X, **({} if cls is ExactShapley else {"target": 1}),
                             baselines=(0.0, R[1]))
    zero = (torch.zeros_like(X[0]), R[1])
    np.testing.assert_allclose(expl[0].base_values, _f(model, zero, ones, 1), atol=1e-12)
    if cls is ExactShapley:
        for i in range(N):
            phi = _brute_shapley(model, (X[0][i].numpy(), X[1][i].numpy()),
                                 (np.zeros(3), R[1][i].numpy()), ones[i], 1)
            np.testing.assert_allclose(
                np.concatenate([expl[0].values[i], expl[1].values[i].ravel()]), phi, atol=1e-12)
    else:
        assert np.abs(expl[0].delta).max() < 1e-4


def test_token_id_input_baselines_must_be_whole_numbers():
    class IdsAndFloats(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.lin, self.out = nn.Embedding(6, 3), nn.Linear(2, 3), nn.Linear(3, 1)

        def forward(self, ids, x):
            return self.out(self.emb(ids).mean(1) + self.lin(x))

    torch.manual_seed(0)
    ids, x = torch.randint(0, 6, (3, 4)), torch.randn(3, 2)
    ex = ExactShapley(IdsAndFloats()).fit((torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 2)))
    a, b = ex.explain((ids, x), baselines=(torch.zeros(3, 4, dtype=torch.long), 0.5))
    assert a.data.dtype == np.int64 and a.values.shape == (3, 4)
    with pytest.raises(ValueError, match=r"baselines\[0\] must hold whole numbers for input 0"):
        ex.explain((ids, x), baselines=(np.full((3, 4), 0.5), 0.0))


def test_completeness_base_is_reference_with_row_args(problem):
    """IG: sum of values + base f(r_i, args_i) = f(x_i, args_i); changing row 1's mask
    changes only row 1's base value."""
    model, X, R, mask, background = problem
    ig = _fit(IntegratedGradients, model, background, n_steps=64)
    expl = ig.explain(X, target=1, baselines=R, additional_forward_args=(mask,))
    np.testing.assert_allclose(expl[0].base_values, _f(model, R, mask, 1), atol=1e-12)
    assert np.abs(expl[0].delta).max() < 1e-4
    other = mask.clone()
    other[1] = 1.0 - other[1]
    moved = ig.explain(X, target=1, baselines=R, additional_forward_args=(other,))
    same = [0, 2, 3]
    np.testing.assert_allclose(moved[0].base_values[same], expl[0].base_values[same])
    assert moved[0].base_values[1] != pytest.approx(expl[0].base_values[1])


# ------------------------------------------------------------------ layer
@pytest.fixture
def text():
    torch.manual_seed(3)
    model = MaskedText().double().eval()
    g = torch.Generator().manual_seed(4)
    ids = torch.randint(1, 10, (N, 6), generator=g)
    refs = torch.randint(0, 10, (N, 6), generator=g)
    mask = (torch.rand(N, 6, generator=g) > 0.4).double()
    return model, ids, refs, mask


def test_layer_ig_baselines_and_row_mask_equal_the_row_alone(text):
    model, ids, refs, mask = text
    ig = IntegratedGradients(model, layer="proj").fit(
        torch.zeros(2, 6, dtype=torch.long),
        additional_forward_args=(torch.ones(2, 6, dtype=torch.float64),))
    expl = ig.explain(ids, target=1, baselines=refs, additional_forward_args=(mask,))
    for i in range(N):
        alone = ig.explain(ids[i:i + 1], target=1, baselines=refs[i:i + 1],
                           additional_forward_args=(mask[i:i + 1],))
        np.testing.assert_allclose(expl.values[i], alone.values[0], atol=1e-12)
        np.testing.assert_allclose(expl.base_values[i], alone.base_values[0], atol=1e-12)
    # every path goes through proj: completeness at the layer with base f(r_i, mask_i)
    with torch.no_grad():
        fx, fr = model(ids, mask)[:, 1].numpy(), model(refs, mask)[:, 1].numpy()
    np.testing.assert_allclose(expl.base_values, fr, atol=1e-12)
    np.testing.assert_allclose(expl.values.reshape(N, -1).sum(1), fx - fr, atol=1e-3)


def test_layer_ig_baselines_and_row_mask_match_captum(text):
    ca = pytest.importorskip("captum.attr")
    model, ids, refs, mask = text
    ours = IntegratedGradients(model, layer="proj").fit(
        torch.zeros(1, 6, dtype=torch.long),
        additional_forward_args=(torch.ones(1, 6, dtype=torch.float64),)).explain(
        ids, target=0, baselines=refs, additional_forward_args=(mask,))
    theirs = ca.LayerIntegratedGradients(model, model.proj).attribute(
        ids, baselines=refs, target=0, additional_forward_args=(mask,), n_steps=50,
        method="gausslegendre")
    np.testing.assert_allclose(ours.values, theirs.detach().numpy(), atol=1e-5)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, words", [
    (lambda R: R[:1], ["baselines", "tuple of 2", "got a tuple of 1"]),
    (lambda R: R + R[:1], ["baselines", "tuple of 2", "got a tuple of 3"]),
    (lambda R: torch.cat([R[0], R[1].flatten(1)], 1), ["baselines", "tuple of 2",
                                                       "single Tensor of shape (4, 7)"]),
    (lambda R: (R[0], R[1][:, :1]), ["baselines[1]", "(4, 2, 2)", "(4, 1, 2)"]),
    (lambda R: (R[0][:, :2], R[1]), ["baselines[0]", "(4, 3)", "(4, 2)"]),
    (lambda R: (R[0][:3], R[1][:3]), ["baselines[0]", "(4)", "3 rows"]),
    (lambda R: (R[0], R[1][:2]), ["baselines[1]", "(4)", "2 rows"]),
])
def test_bad_tuple_baselines(problem, make, words):
    model, X, R, mask, background = problem
    ig = _fit(IntegratedGradients, model, background)
    with pytest.raises(ValueError) as info:
        ig.explain(X, target=0, baselines=make(R), additional_forward_args=(mask,))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_bad_tuple_baselines_perturbation(problem):
    model, X, R, mask, background = problem
    ex = _fit(ExactShapley, model, background)
    with pytest.raises(ValueError, match=r"baselines\[1\] has feature shape \(3, 2\)"):
        ex.explain(X, baselines=(R[0], np.zeros((N, 3, 2))), additional_forward_args=(mask,))
    with pytest.raises(ValueError, match=r"baselines must be a tuple of 2 entries"):
        ex.explain(X, baselines=np.zeros((N, 7)), additional_forward_args=(mask,))


def test_refusing_explainer_refuses_before_checking_the_tuple(problem):
    from skexplain import Saliency

    model, X, R, mask, background = problem
    sal = _fit(Saliency, model, background)
    with pytest.raises(TypeError, match="takes no per-row baselines"):
        sal.explain(X, target=0, baselines=R[:1], additional_forward_args=(mask,))
