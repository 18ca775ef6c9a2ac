"""Several attributed inputs and additional_forward_args: truth, per-row masks, dtypes."""
import functools
import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skexplain import (DeepLIFT, ExactShapley, ExpectedGradients, GradientXInput,  # noqa: E402
                       IntegratedGradients, KernelSHAP, LIME, Occlusion, Saliency, SmoothGrad)


class TwoInputs(torch.nn.Module):
    """f(a, b, mask) = head(relu(A a + B b) * mask): two inputs, an optional mask."""

    def __init__(self, d_a=3, shape_b=(1, 2), hidden=5, n_out=2):
        super().__init__()
        self.a = torch.nn.Linear(d_a, hidden)
        self.b = torch.nn.Linear(int(np.prod(shape_b)), hidden)
        self.relu = torch.nn.ReLU()
        self.head = torch.nn.Linear(hidden, n_out)

    def forward(self, a, b, mask=None, scale=1.0):
        h = self.relu(self.a(a) + self.b(b.flatten(1)))
        if mask is not None:
            h = h * mask
        return self.head(h) * scale


class Closed(torch.nn.Module):
    """The same model with one row's mask closed over (a single row explained alone)."""

    def __init__(self, model, mask):
        super().__init__()
        self.model, self.mask = model, mask

    def forward(self, a, b):
        return self.model(a, b, self.mask.expand(a.shape[0], -1))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return TwoInputs().double().eval()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    bg = (rng.normal(size=(4, 3)), rng.normal(size=(4, 1, 2)))
    X = (rng.normal(size=(5, 3)), rng.normal(size=(5, 1, 2)))
    mask = rng.uniform(0.2, 1.5, size=(5, 5))
    return bg, X, mask


def _f(model, a, b, mask=None):
    with torch.no_grad():
        return model(torch.as_tensor(a), torch.as_tensor(b),
                     None if mask is None else torch.as_tensor(mask)).numpy()


def test_integrated_gradients_linear_closed_form_per_input():
    torch.manual_seed(1)
    lin_a, lin_b = torch.nn.Linear(3, 1).double(), torch.nn.Linear(4, 1).double()

    class Linear2(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin_a, self.lin_b = lin_a, lin_b

        def forward(self, a, b):
            return self.lin_a(a) + self.lin_b(b.flatten(1))

    rng = np.random.default_rng(1)
    bg = (rng.normal(size=(3, 3)), rng.normal(size=(3, 2, 2)))
    X = (rng.normal(size=(4, 3)), rng.normal(size=(4, 2, 2)))
    a_expl, b_expl = IntegratedGradients(Linear2(), n_steps=4).fit(bg).explain(X)
    w_a = lin_a.weight.detach().numpy()[0]
    w_b = lin_b.weight.detach().numpy()[0].reshape(2, 2)
    np.testing.assert_allclose(a_expl.values, w_a * (X[0] - bg[0].mean(0)), atol=1e-12)
    np.testing.assert_allclose(b_expl.values, w_b * (X[1] - bg[1].mean(0)), atol=1e-12)
    assert a_expl.metadata["input"] == 0 and b_expl.metadata["input"] == 1
    np.testing.assert_array_equal(a_expl.data, X[0])
    np.testing.assert_array_equal(b_expl.data, X[1])


@pytest.mark.parametrize("cls, kw", [(IntegratedGradients, {"n_steps": 200}), (DeepLIFT, {})])
def test_completeness_over_the_sum_of_inputs(model, data, cls, kw):
    bg, X, _ = data
    parts = cls(model, **kw).fit(bg).explain(X, target=1)
    total = sum(p.values.reshape(len(X[0]), -1).sum(1) for p in parts)
    gap = _f(model, *X)[:, 1] - _f(model, *bg)[:, 1].mean()
    # delta is the gap of the sum over all inputs (quadrature error for IG at ReLU kinks)
    np.testing.assert_allclose(total - gap, parts[0].delta, atol=1e-10)
    np.testing.assert_allclose(total, gap, atol=1e-6 if cls is DeepLIFT else 1e-3)
    for p in parts:  # base values and the total gap are the same in each
        np.testing.assert_array_equal(p.base_values, parts[0].base_values)
        np.testing.assert_array_equal(p.delta, parts[0].delta)


def _brute_shapley(value, n_players):
    phi = np.zeros(n_players)
    for i in range(n_players):
        others = [j for j in range(n_players) if j != i]
        for size in range(n_players):
            for S in itertools.combinations(others, size):
                w = math.factorial(size) * math.factorial(n_players - size - 1) / math.factorial(
                    n_players)
                phi[i] += w * (value(set(S) | {i}) - value(set(S)))
    return phi


def test_exact_shapley_over_two_inputs_equals_brute_force(model, data):
    bg, X, _ = data
    a_expl, b_expl = ExactShapley(model).fit(bg).explain(X, target=0)
    for r in range(2):
        x = np.concatenate([X[0][r], X[1][r].ravel()])
        B = np.concatenate([bg[0], bg[1].reshape(4, -1)], axis=1)

        def value(S):
            H = B.copy()
            H[:, sorted(S)] = x[sorted(S)]
            return _f(model, H[:, :3], H[:, 3:].reshape(-1, 1, 2))[:, 0].mean()

        phi = _brute_shapley(value, 5)
        np.testing.assert_allclose(a_expl.values[r], phi[:3], atol=1e-10)
        np.testing.assert_allclose(b_expl.values[r].ravel(), phi[3:], atol=1e-10)


@pytest.mark.parametrize("make", [
    lambda m: IntegratedGradients(m, n_steps=16),
    lambda m: DeepLIFT(m),
    lambda m: Saliency(m),
    lambda m: GradientXInput(m),
    lambda m: ExactShapley(m),
    lambda m: KernelSHAP(m, n_samples=64, random_state=0),
    lambda m: Occlusion(m),
], ids=["IG", "DeepLIFT", "Saliency", "GxI", "Exact", "Kernel", "Occlusion"])
def test_per_row_mask_equals_each_row_alone_with_its_mask(model, data, make):
    bg, X, mask = data
    bg_mask = np.ones((4, 5))
    parts = make(model).fit(bg, additional_forward_args=(bg_mask,)).explain(
        X, target=1, additional_forward_args=(mask,))
    for r in range(len(mask)):
        alone = make(Closed(model, torch.as_tensor(mask[r:r + 1]))).fit(bg).explain(
            (X[0][r:r + 1], X[1][r:r + 1]), target=1)
        for p, q in zip(parts, alone):
            np.testing.assert_allclose(p.values[r:r + 1], q.values, atol=1e-10)
            np.testing.assert_allclose(p.base_values[r:r + 1], q.base_values, atol=1e-12)
    # the mask matters: without it the answer differs
    plain = make(model).fit(bg).explain(X, target=1)
    assert not np.allclose(plain[0].values, parts[0].values)


def test_base_values_with_per_row_arguments_and_expected_value(model, data):
    bg, X, mask = data
    bg_mask = np.full((4, 5), 0.5)
    ig = IntegratedGradients(model).fit(bg, additional_forward_args=(bg_mask,))
    np.testing.assert_allclose(ig.expected_value_, _f(model, *bg, bg_mask).mean(0), atol=1e-12)
    a_expl, _ = ig.explain(X, target=0, additional_forward_args=(mask,))
    expected = [_f(model, *bg, np.repeat(mask[r:r + 1], 4, 0))[:, 0].mean() for r in range(5)]
    np.testing.assert_allclose(a_expl.base_values, expected, atol=1e-12)
    # the random explainers (draws depend on the rows explained together) too
    for e in (ExpectedGradients(model, n_samples=20, random_state=0),
              SmoothGrad(model, noise_std=0.1, n_samples=5, random_state=0)):
        parts = e.fit(bg, additional_forward_args=(bg_mask,)).explain(
            X, target=0, additional_forward_args=(mask,))
        np.testing.assert_allclose(parts[1].base_values, expected, atol=1e-12)


def test_shared_non_tensor_argument_is_passed_as_is(model, data):
    bg, X, _ = data
    ig = IntegratedGradients(model).fit(bg, additional_forward_args=(None, 2.0))
    parts = ig.explain(X, target=0, additional_forward_args=(None, 2.0))
    once = IntegratedGradients(model).fit(bg).explain(X, target=0)
    np.testing.assert_allclose(parts[0].values, 2 * once[0].values, atol=1e-10)
    kernel = ExactShapley(model).fit(bg).explain(X, target=0, additional_forward_args=(None, 2.0))
    exact = ExactShapley(model).fit(bg).explain(X, target=0)
    np.testing.assert_allclose(kernel[1].values, 2 * exact[1].values, atol=1e-10)


@pytest.mark.parametrize("cls", [IntegratedGradients, DeepLIFT, Saliency])
def test_results_do_not_depend_on_batch_size(model, data, cls):
    bg, X, mask = data
    kw = dict(additional_forward_args=(mask,))
    one = cls(model, batch_size=3).fit(bg).explain(X, target=1, **kw)
    full = cls(model).fit(bg).explain(X, target=1, **kw)
    for p, q in zip(one, full):
        np.testing.assert_allclose(p.values, q.values, atol=1e-12)


class IdsAndFloats(torch.nn.Module):
    """Token ids (an embedding) beside float features; refuses float ids."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(7, 3)
        self.lin = torch.nn.Linear(2, 3)
        self.head = torch.nn.Linear(3, 2)

    def forward(self, ids, feats, mask=None):
        assert ids.dtype == torch.int64 and feats.is_floating_point()
        e = self.emb(ids)
        if mask is not None:
            e = e * mask[..., None]
        return self.head(torch.tanh(e.sum(1) + self.lin(feats)))


@pytest.mark.parametrize("cls, kw", [(ExactShapley, {}),
                                     (KernelSHAP, {"n_samples": 64, "random_state": 0})])
def test_ids_and_floats_keep_their_dtypes(cls, kw):
    torch.manual_seed(0)
    model = IdsAndFloats()
    bg = (np.zeros((1, 4), dtype=np.int64), np.zeros((1, 2), dtype=np.float32))
    X = (np.array([[1, 2, 3, 4], [6, 5, 0, 1]]), np.ones((2, 2), dtype=np.float32))
    ids_expl, feat_expl = cls(model, **kw).fit(bg).explain(X, target=1)
    assert ids_expl.values.shape == (2, 4) and feat_expl.values.shape == (2, 2)
    assert ids_expl.data.dtype.kind == "i" and feat_expl.data.dtype == np.float32
    np.testing.assert_array_equal(ids_expl.data, X[0])
    with torch.no_grad():
        fx = model(torch.as_tensor(X[0]), torch.as_tensor(X[1]))[:, 1].numpy()
        f0 = model(torch.as_tensor(bg[0]), torch.as_tensor(bg[1]))[:, 1].numpy()
    total = ids_expl.values.sum(1) + feat_expl.values.sum(1)
    np.testing.assert_allclose(total, fx - f0, atol=1e-5)


def test_layer_attribution_with_ids_and_a_per_row_mask():
    torch.manual_seed(0)
    model = IdsAndFloats()
    bg = (np.zeros((2, 4), dtype=np.int64), np.zeros((2, 2), dtype=np.float32))
    # the float features equal the background's: every path goes through the layer
    X = (np.array([[1, 2, 3, 4], [6, 5, 0, 1]]), np.zeros((2, 2), dtype=np.float32))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=np.float32)
    ig = IntegratedGradients(model, layer="emb", layer_reduce="sum", n_steps=64).fit(
        bg, additional_forward_args=(np.ones((2, 4), dtype=np.float32),))
    expl = ig.explain(X, target=0, additional_forward_args=(mask,))
    assert expl.values.shape == (2, 4)  # one Explanation: the layer is one tensor
    assert np.abs(expl.delta).max() < 1e-5  # completeness at the layer
    # masked tokens get nothing
    np.testing.assert_allclose(expl.values[mask == 0], 0, atol=1e-7)
    for r in range(2):
        class Alone(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = model
                self.emb = model.emb

            def forward(self, ids, feats, _m=torch.as_tensor(mask[r:r + 1])):
                return self.inner(ids, feats, _m.expand(ids.shape[0], -1))

        alone = IntegratedGradients(Alone(), layer="emb", layer_reduce="sum", n_steps=64).fit(
            bg).explain((X[0][r:r + 1], X[1][r:r + 1]), target=0)
        np.testing.assert_allclose(expl.values[r], alone.values[0], atol=1e-6)
        np.testing.assert_allclose(expl.base_values[r], alone.base_values[0], atol=1e-6)


def test_lime_on_two_float_inputs(model, data):
    bg, X, _ = data
    parts = LIME(model, n_samples=200, random_state=0).fit(bg).explain(X, target=0)
    assert [p.values.shape for p in parts] == [(5, 3), (5, 1, 2)]


def test_transform_and_feature_names_concatenate_inputs(model, data):
    bg, X, _ = data
    sal = Saliency(model).fit(bg)
    parts = sal.explain(X, target=0)
    flat = np.concatenate([p.values.reshape(5, -1) for p in parts], axis=1)
    assert sal.transform(X).shape == (5, 5)
    assert list(sal.get_feature_names_out()) == [
        "input0[0]", "input0[1]", "input0[2]", "input1[0]", "input1[1]"]
    assert parts[0].feature_names == ["input0[0]", "input0[1]", "input0[2]"]
    np.testing.assert_allclose(
        flat, np.concatenate([p.values.reshape(5, -1) for p in sal.explain(X, target=0)], 1))


def test_inputs_and_model_are_not_mutated(model, data):
    bg, X, mask = data
    bg_t = tuple(torch.as_tensor(b).clone() for b in bg)
    X_t = tuple(torch.as_tensor(x).clone() for x in X)
    copies = [t.clone() for t in bg_t + X_t]
    mask_t = torch.as_tensor(mask).clone()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    try:
        for cls in (IntegratedGradients, DeepLIFT, ExactShapley):
            cls(model).fit(bg_t).explain(X_t, target=0, additional_forward_args=(mask_t,))
        assert model.training
    finally:
        model.eval()
    for t, c in zip(bg_t + X_t, copies):
        assert torch.equal(t, c)
    assert torch.equal(mask_t, torch.as_tensor(mask))
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k])
    assert not model._forward_hooks and not model.relu._forward_hooks


def test_functools_partial_shares_a_tensor(model, data):
    bg, X, _ = data
    shared = torch.full((1, 5), 0.5, dtype=torch.float64)

    class Shared(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, a, b):
            return functools.partial(self.model, mask=shared.expand(a.shape[0], -1))(a, b)

    parts = IntegratedGradients(Shared()).fit(bg).explain(X, target=0)
    per_row = IntegratedGradients(model).fit(
        bg, additional_forward_args=(shared.expand(4, -1),)).explain(
        X, target=0, additional_forward_args=(shared.expand(5, -1),))
    np.testing.assert_allclose(parts[0].values, per_row[0].values, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda m: ExpectedGradients(m, layer="relu", n_samples=30, random_state=0),
    lambda m: IntegratedGradients(m, layer="relu", n_steps=8),
    lambda m: DeepLIFT(m, layer="relu"),
    lambda m: Saliency(m, layer="relu"),
], ids=["EG", "IG", "DeepLIFT", "Saliency"])
def test_layer_with_per_row_mask_equals_the_row_alone(make):
    """The references' layer outputs are taken with each row's mask (one row at a time,
    so that ExpectedGradients draws the same references)."""

    class MaskBefore(torch.nn.Module):  # the mask acts before the layer "relu"
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Linear(3, 4)
            self.relu = torch.nn.ReLU()
            self.head = torch.nn.Linear(4, 2)

        def forward(self, a, mask):
            return self.head(self.relu(self.emb(a) * mask))

    class Alone(torch.nn.Module):
        def __init__(self, inner, mask):
            super().__init__()
            self.inner, self.relu, self.mask = inner, inner.relu, mask

        def forward(self, a):
            return self.inner(a, self.mask.expand(a.shape[0], -1))

    torch.manual_seed(0)
    model = MaskBefore().double()
    rng = np.random.default_rng(3)
    bg, X, mask = rng.normal(size=(3, 3)), rng.normal(size=(2, 3)), rng.uniform(size=(2, 4))
    fitted = make(model).fit(bg, additional_forward_args=(np.ones((3, 4)),))
    for r in range(2):
        ours = fitted.explain(X[r:r + 1], target=0, additional_forward_args=(mask[r:r + 1],))
        alone = make(Alone(model, torch.as_tensor(mask[r:r + 1]))).fit(bg).explain(
            X[r:r + 1], target=0)
        np.testing.assert_allclose(ours.values, alone.values, atol=1e-10)
        np.testing.assert_allclose(ours.base_values, alone.base_values, atol=1e-12)


def test_ids_and_mask_as_two_attributed_integer_inputs():
    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(6, 3)
            self.head = torch.nn.Linear(3, 2)

        def forward(self, ids, mask):
            assert ids.dtype == torch.int64
            return self.head((self.emb(ids) * mask[..., None]).sum(1))

    torch.manual_seed(0)
    model = Text()
    bg = (np.zeros((1, 4), dtype=np.int64), np.zeros((1, 4), dtype=np.int64))
    X = (np.array([[1, 2, 3, 4]]), np.array([[1, 1, 1, 0]]))
    ig = IntegratedGradients(model, layer="emb", layer_reduce="sum").fit(bg)
    expl = ig.explain(X, target=1)  # attributions to the embedding: one Explanation
    assert expl.values.shape == (1, 4)
    np.testing.assert_allclose(expl.values[0, 3], 0, atol=1e-7)  # masked token
    ids_expl, mask_expl = ExactShapley(model).fit(bg).explain(X, target=1)
    assert ids_expl.data.dtype.kind == mask_expl.data.dtype.kind == "i"
    with torch.no_grad():
        fx = model(*map(torch.as_tensor, X))[0, 1].item()
        f0 = model(*map(torch.as_tensor, bg))[0, 1].item()
    assert abs(ids_expl.values.sum() + mask_expl.values.sum() - (fx - f0)) < 1e-5
