"""``layer=`` on IntegratedGradients, ExpectedGradients, Saliency, GradientXInput, DeepLIFT.

Text classifiers built in code (token ids -> nn.Embedding -> LSTM or mean
pool -> Linear): completeness at the layer, truths of linear heads, parity
with captum's Layer* attributions, and the errors for bad layers.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from sklearn.base import clone  # noqa: E402
from torch import nn  # noqa: E402

from skexplain import (DeepLIFT, ExpectedGradients, GradientXInput,  # noqa: E402
                       IntegratedGradients, Saliency)
from skexplain.exceptions import ModelEvaluationError  # noqa: E402

VOCAB, DIM, T = 40, 6, 7


class LSTMText(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, DIM)
        self.lstm = nn.LSTM(DIM, 5, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, ids):
        hidden, _ = self.lstm(self.emb(ids))
        return self.head(hidden[:, -1])


class PoolText(nn.Module):
    """Embedding -> Linear -> ReLU -> mean over tokens -> Linear (DeepLIFT-able)."""

    def __init__(self, relu=True):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, DIM)
        self.proj = nn.Linear(DIM, 8)
        self.act = nn.ReLU() if relu else nn.Identity()
        self.head = nn.Linear(8, 3)

    def forward(self, ids):
        return self.head(self.act(self.proj(self.emb(ids))).mean(1))


class Unused(PoolText):
    def __init__(self):
        super().__init__()
        self.spare = nn.Linear(DIM, DIM)


def _model(cls=LSTMText, dtype=torch.float64, **kw):
    torch.manual_seed(0)
    return cls(**kw).to(dtype)


def _ids(n=4, seed=0):
    return torch.randint(1, VOCAB, (n, T), generator=torch.Generator().manual_seed(seed))


PAD = torch.zeros(1, T, dtype=torch.long)


def _f(model, ids, target):
    with torch.no_grad():
        return model(ids)[:, target].double().numpy()


# ------------------------------------------------------------- completeness
@pytest.mark.parametrize("cls, atol", [(LSTMText, 1e-6), (PoolText, 2e-3)])
def test_integrated_gradients_completeness_at_the_embedding(cls, atol):
    # smooth (LSTM): Gauss-Legendre is accurate; ReLU kinks cost accuracy
    model = _model(cls)
    X = _ids()
    background = _ids(3, seed=1)
    expl = IntegratedGradients(model, layer="emb", n_steps=64).fit(background).explain(X, target=2)
    assert expl.values.shape == (4, T, DIM)
    # sum over the layer = f(x) - mean_b f(b): the embedding carries every path
    gap = expl.values.sum((1, 2)) - (_f(model, X, 2) - _f(model, background, 2).mean())
    np.testing.assert_allclose(gap, 0, atol=atol)
    np.testing.assert_allclose(expl.delta, gap, atol=1e-12)
    assert expl.metadata["layer"] == "emb"


def test_integrated_gradients_at_a_hidden_layer_of_an_mlp():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 6), nn.Tanh(),
                        nn.Linear(6, 2)).double()
    X, background = torch.randn(5, 4, dtype=torch.float64), torch.zeros(1, 4)
    expl = IntegratedGradients(mlp, layer=mlp[1], n_steps=64).fit(background).explain(X, target=0)
    assert expl.values.shape == (5, 6)
    with torch.no_grad():
        gap = mlp(X)[:, 0] - mlp(background.double())[:, 0]
    np.testing.assert_allclose(expl.values.sum(1), gap.numpy(), atol=1e-8)
    np.testing.assert_allclose(expl.data, torch.tanh(mlp[0](X)).detach().numpy(), atol=1e-12)


def test_layer_reduce_sum_gives_one_value_per_token_and_keeps_completeness():
    model = _model()
    X = _ids()
    full = IntegratedGradients(model, layer="emb").fit(PAD).explain(X, target=1)
    summed = IntegratedGradients(model, layer="emb", layer_reduce="sum").fit(PAD).explain(
        X, target=1)
    assert summed.values.shape == (4, T)
    np.testing.assert_allclose(summed.values, full.values.sum(-1), atol=1e-12)
    np.testing.assert_allclose(summed.delta, full.delta, atol=1e-12)
    np.testing.assert_array_equal(summed.data, X.numpy())  # the token ids
    assert summed.feature_names == [f"x{i}" for i in range(T)]
    # unsummed, the data is the layer's output (what was attributed)
    with torch.no_grad():
        np.testing.assert_allclose(full.data, model.emb(X).numpy(), atol=0)
    assert full.feature_names is None


def test_deeplift_summation_to_delta_at_the_embedding_and_deepshap():
    model = _model(PoolText)
    X, background = _ids(), _ids(3, seed=2)
    one = DeepLIFT(model, layer="emb").fit(PAD).explain(X, target=0)
    gap = one.values.sum((1, 2)) - (_f(model, X, 0) - _f(model, PAD, 0))
    np.testing.assert_allclose(gap, 0, atol=1e-12)
    many = DeepLIFT(model, layer="emb", layer_reduce="sum").fit(background).explain(X, target=0)
    gap = many.values.sum(1) - (_f(model, X, 0) - _f(model, background, 0).mean())
    np.testing.assert_allclose(gap, 0, atol=1e-12)
    np.testing.assert_allclose(many.delta, 0, atol=1e-12)


def test_linear_head_truth_ig_eg_gradient_times_input_deeplift():
    # above the embedding the model is linear: every method gives
    # (a_x - a_b) * W_t / T per token and dimension
    model = _model(PoolText, relu=False)
    X = _ids()
    W = (model.head.weight @ model.proj.weight).detach()[1] / T  # (DIM,)
    with torch.no_grad():
        a_x, a_b = model.emb(X), model.emb(PAD)
    truth = ((a_x - a_b) * W).numpy()
    for explainer in (IntegratedGradients(model, layer="emb", n_steps=3),
                      ExpectedGradients(model, layer="emb", n_samples=5, random_state=0),
                      DeepLIFT(model, layer="emb")):
        expl = explainer.fit(PAD).explain(X, target=1)
        np.testing.assert_allclose(expl.values, truth, atol=1e-12)
    # GradientXInput at a layer: activation * gradient; Saliency: the gradient
    gxi = GradientXInput(model, layer="emb").fit(PAD).explain(X, target=1)
    np.testing.assert_allclose(gxi.values, (a_x * W).numpy(), atol=1e-12)
    sal = Saliency(model, layer="emb").fit(PAD).explain(X, target=1)
    np.testing.assert_allclose(sal.values, np.broadcast_to(W.numpy(), (4, T, DIM)), atol=1e-12)


def test_expected_gradients_at_a_layer_reports_stderr_of_the_summed_values():
    model = _model()
    X, background = _ids(2), _ids(6, seed=3)
    eg = ExpectedGradients(model, layer="emb", layer_reduce="sum", n_samples=400,
                           random_state=0).fit(background)
    expl = eg.explain(X, target=0)
    assert expl.values.shape == expl.stderr.shape == (2, T)
    assert (expl.stderr > 0).any()
    # completeness in expectation: the sampled gap is a few standard errors at most
    gap = expl.values.sum(1) - (_f(model, X, 0) - _f(model, background, 0).mean())
    bound = 6 * np.sqrt((expl.stderr ** 2).sum(1)) * np.sqrt(T)
    assert (np.abs(gap) < bound).all()
    np.testing.assert_array_equal(eg.explain(X, target=0).values, expl.values)


# -------------------------------------------------------- parity with captum
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("method", ["gausslegendre", "riemann_right"])
def test_parity_layer_integrated_gradients(dtype, method):
    captum_attr = pytest.importorskip("captum.attr")
    model = _model(LSTMText, dtype=dtype)
    X = _ids(5)
    baseline = torch.full((1, T), 3, dtype=torch.long)
    ours = IntegratedGradients(model, layer="emb", n_steps=20, method=method).fit(
        baseline).explain(X, target=2)
    ref = captum_attr.LayerIntegratedGradients(model, model.emb).attribute(
        X, baseline, target=2, n_steps=20, method=method)
    np.testing.assert_allclose(ours.values, ref.detach().double().numpy(), atol=1e-5)
    summed = IntegratedGradients(model, layer=model.emb, layer_reduce="sum", n_steps=20,
                                 method=method).fit(baseline).explain(X, target=2)
    np.testing.assert_allclose(summed.values, ref.sum(-1).detach().double().numpy(), atol=1e-5)


def test_parity_layer_gradient_x_activation_and_saliency():
    captum_attr = pytest.importorskip("captum.attr")
    model = _model(LSTMText)
    X = _ids(5)
    targets = [0, 1, 2, 1, 0]
    ours = GradientXInput(model, layer="emb").fit(PAD).explain(X, target=targets)
    ref = captum_attr.LayerGradientXActivation(model, model.emb).attribute(X, target=targets)
    np.testing.assert_allclose(ours.values, ref.detach().numpy(), atol=1e-10)
    grad = captum_attr.LayerGradientXActivation(model, model.emb, multiply_by_inputs=False)
    ours = Saliency(model, layer="emb").fit(PAD).explain(X, target=targets)
    np.testing.assert_allclose(ours.values, grad.attribute(X, target=targets).detach().numpy(),
                               atol=1e-10)


def test_parity_layer_deeplift():
    captum_attr = pytest.importorskip("captum.attr")
    model = _model(PoolText)
    X = _ids(5)
    ours = DeepLIFT(model, layer="emb").fit(PAD).explain(X, target=1)
    ref = captum_attr.LayerDeepLift(model, model.emb).attribute(X, PAD, target=1)
    np.testing.assert_allclose(ours.values, ref.detach().numpy(), atol=1e-10)


# ------------------------------------------------------------------- contract
def test_tensor_and_array_inputs_agree_and_no_hook_is_left():
    model = _model()
    X = _ids()
    explainer = IntegratedGradients(model, layer="emb", n_steps=8).fit(PAD.numpy())
    a = explainer.explain(X, target=0).values
    b = explainer.explain(X.numpy(), target=0).values
    np.testing.assert_array_equal(a, b)
    for sub in model.modules():
        assert not sub._forward_hooks and not sub._forward_pre_hooks


def test_clone_shares_the_layer_module():
    model = _model()
    explainer = IntegratedGradients(model, layer=model.emb, layer_reduce="sum")
    copy = clone(explainer)
    assert copy.layer is model.emb and copy.model is model
    assert copy.fit(PAD).layer_ == "emb"


def test_transform_and_feature_names_follow_the_layer():
    model = _model()
    X = _ids(3)
    full = GradientXInput(model, layer="emb").fit(PAD)
    assert full.transform(X).shape == (3, T * DIM)
    assert len(full.get_feature_names_out()) == T * DIM
    assert full.get_feature_names_out()[0] == "emb_0"
    summed = GradientXInput(model, layer="emb", layer_reduce="sum").fit(PAD)
    assert summed.transform(X).shape == (3, T)
    assert list(summed.get_feature_names_out()) == [f"x{i}" for i in range(T)]


def test_default_target_is_the_predicted_class_at_a_layer():
    model = _model()
    X = _ids()
    expl = Saliency(model, layer="emb").fit(PAD).explain(X)
    with torch.no_grad():
        assert expl.metadata["target"] == model(X).argmax(1).tolist()


# ----------------------------------------------------------------- bad input
def test_misspelt_layer_name_lists_close_names():
    with pytest.raises(ValueError, match=r"layer='embb' is not a submodule.*Did you mean 'emb'"):
        IntegratedGradients(_model(), layer="embb").fit(PAD)


def test_layer_not_called_by_the_forward_pass_is_refused_at_fit():
    model = _model(Unused)
    with pytest.raises(ModelEvaluationError, match="'spare' was not called"):
        Saliency(model, layer="spare").fit(PAD)


def test_module_outside_the_model_is_refused():
    with pytest.raises(ValueError, match="not part of the model"):
        IntegratedGradients(_model(), layer=nn.Embedding(3, 2)).fit(PAD)


def test_layer_reduce_needs_a_layer_and_a_token_axis():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match="layer_reduce='sum'.*needs layer="):
        IntegratedGradients(mlp, layer_reduce="sum").fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="needs at least two axes per row"):
        IntegratedGradients(mlp, layer="1", layer_reduce="sum").fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="layer_reduce"):
        IntegratedGradients(mlp, layer="1", layer_reduce="mean").fit(np.zeros((1, 3)))


def test_integer_layer_output_is_refused():
    class Ids(nn.Module):  # an identity whose output is still the token ids
        def forward(self, ids):
            return ids

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.ids = Ids()
            self.emb = nn.Embedding(VOCAB, 2)

        def forward(self, ids):
            return self.emb(self.ids(ids)).sum((1, 2))[:, None]

    with pytest.raises(ValueError, match="layer='ids' returns torch.int64 values"):
        IntegratedGradients(Model(), layer="ids").fit(PAD)
