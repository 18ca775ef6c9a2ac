"""Perturbation explainers on torch models that take token ids or booleans (issue 16).

The hybrids ``(x_S, b_notS)`` of integer rows are integer rows: they reach
the module as int64 (or bool) tensors, never rounded through a float dtype.
"""
import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from skexplain import (LIME, ExactShapley, GradientXInput, IntegratedGradients,  # noqa: E402
                       KernelSHAP, Occlusion, Saliency)
from skexplain.adapters import TorchModel  # noqa: E402
from skexplain.exceptions import ModelEvaluationError  # noqa: E402


class EmbeddingMean(nn.Module):
    """Token ids -> embedding -> mean over positions -> tanh -> linear (2 outputs)."""

    def __init__(self, vocab=30, dim=4):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.lin = nn.Linear(dim, 2)

    def forward(self, ids):
        return self.lin(torch.tanh(self.emb(ids).mean(1)))


def _model():
    torch.manual_seed(0)
    return EmbeddingMean().double()


def _data(seed=0, n=3, n_background=2, T=5):
    rng = np.random.RandomState(seed)
    return rng.randint(0, 30, (n, T)), rng.randint(0, 30, (n_background, T))


def _forward(model, rows):
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(rows), dtype=torch.long)).numpy()


def brute_force_shapley(model, X, background):
    """Shapley values of ``v(S) = mean_b f(x_S, b_notS)`` by enumerating every S."""
    n, T = X.shape
    out = np.zeros((n, T, 2))
    for i in range(n):
        v = {}
        for size in range(T + 1):
            for S in itertools.combinations(range(T), size):
                hybrid = background.copy()
                hybrid[:, list(S)] = X[i, list(S)]
                v[S] = _forward(model, hybrid).mean(0)
        for j in range(T):
            for S in v:
                if j in S:
                    continue
                w = math.factorial(len(S)) * math.factorial(T - len(S) - 1) / math.factorial(T)
                out[i, j] += w * (v[tuple(sorted(S + (j,)))] - v[S])
    return out


def test_exact_shapley_over_token_positions_equals_brute_force():
    model = _model()
    X, background = _data()
    expl = ExactShapley(model).fit(background).explain(X)
    np.testing.assert_allclose(expl.values, brute_force_shapley(model, X, background),
                               atol=1e-12)
    assert expl.data.dtype.kind == "i"


def test_kernel_shap_at_full_budget_equals_brute_force():
    model = _model()
    X, background = _data(seed=1)
    T = X.shape[1]
    expl = KernelSHAP(model, n_samples=2**T, random_state=0).fit(background).explain(X)
    np.testing.assert_allclose(expl.values, brute_force_shapley(model, X, background),
                               atol=1e-10)


def test_occlusion_on_token_ids_is_the_drop_per_position():
    model = _model()
    X, _ = _data(seed=2)
    pad = np.zeros((1, X.shape[1]), dtype=np.int64)
    expl = Occlusion(model).fit(pad).explain(X)
    fx = _forward(model, X)
    for j in range(X.shape[1]):
        occluded = X.copy()
        occluded[:, j] = 0
        np.testing.assert_allclose(expl.values[:, j], fx - _forward(model, occluded),
                                   atol=1e-12)


@pytest.mark.parametrize("background", [[[1, 2, 3], [2, 2, 3]], [[2, 2, 2], [8, 8, 8]]])
def test_occlusion_refuses_a_mean_reference_for_token_ids(background):
    # a mean of token ids is no token (4.5), or another token (5 from 2 and 8): refused
    model = _model()
    with pytest.raises(ValueError, match=r"integer inputs .* one reference row .* 2 rows"):
        Occlusion(model).fit(np.array(background))


def test_lime_runs_on_token_ids_and_sends_integer_rows():
    seen = []

    class Spy(EmbeddingMean):
        def forward(self, ids):
            seen.append(ids.dtype)
            return super().forward(ids)

    torch.manual_seed(0)
    model = Spy().double()
    X, background = _data(seed=3, n_background=8)
    expl = LIME(model, n_samples=300, random_state=0).fit(background).explain(X, target=1)
    assert expl.values.shape == (3, 5)
    assert np.isfinite(expl.values).all()
    assert set(seen) == {torch.int64}


def test_token_ids_above_2_to_the_24_are_not_rounded():
    big = 2**24 + 1  # float32(2**24 + 1) == 2**24

    class IsBig(nn.Module):
        def forward(self, ids):
            return (ids == big).double().sum(1)

    model = IsBig()
    X = np.array([[big, 2**24, 7]], dtype=np.int64)
    background = np.zeros((1, 3), dtype=np.int64)
    expl = ExactShapley(model).fit(background).explain(X)
    np.testing.assert_allclose(expl.values[0], [1.0, 0.0, 0.0], atol=1e-12)
    adapter = TorchModel(model, sample=X)
    assert adapter.input_dtype == torch.int64
    np.testing.assert_array_equal(adapter.to_tensor(X).numpy(), X)
    # the same from a tensor and from an unsigned array
    np.testing.assert_array_equal(adapter.to_tensor(torch.as_tensor(X)).numpy(), X)
    np.testing.assert_array_equal(adapter.to_tensor(X.astype(np.uint64)).numpy(), X)


class MaskModel(nn.Module):
    """A boolean mask per position: torch.where needs a bool condition."""

    def __init__(self, T=4):
        super().__init__()
        self.on = nn.Parameter(torch.linspace(-1, 2, T, dtype=torch.float64))
        self.off = nn.Parameter(torch.linspace(0.5, -0.5, T, dtype=torch.float64))

    def forward(self, mask):
        z = torch.where(mask, self.on, self.off)
        return (z.sum(1) + z[:, 0] * z[:, 1])[:, None]


def test_boolean_inputs_exact_shapley_equals_brute_force():
    model = MaskModel()
    X = np.array([[True, False, True, True], [False, True, True, False]])
    background = np.array([[False, False, False, False], [True, True, False, False]])
    expl = ExactShapley(model).fit(background).explain(X)
    assert TorchModel(model, sample=X).input_dtype == torch.bool

    def f(rows):
        with torch.no_grad():
            return model(torch.as_tensor(rows)).numpy()[:, 0]

    T = X.shape[1]
    for i in range(X.shape[0]):
        for j in range(T):
            total = 0.0
            for size in range(T):
                for S in itertools.combinations([k for k in range(T) if k != j], size):
                    w = math.factorial(size) * math.factorial(T - size - 1) / math.factorial(T)
                    with_j, without = background.copy(), background.copy()
                    with_j[:, list(S) + [j]] = X[i, list(S) + [j]]
                    without[:, list(S)] = X[i, list(S)]
                    total += w * (f(with_j).mean() - f(without).mean())
            assert expl.values[i, j] == pytest.approx(total, abs=1e-12)
    # efficiency, with the hybrids built as booleans
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, f(X),
                               atol=1e-12)
    kernel = KernelSHAP(model, n_samples=2**T, random_state=0).fit(background).explain(X)
    np.testing.assert_allclose(kernel.values, expl.values, atol=1e-10)
    for explainer in (Occlusion(model).fit(background[:1]),
                      LIME(model, n_samples=100, random_state=0).fit(background)):
        assert np.isfinite(explainer.explain(X).values).all()


def test_boolean_model_refuses_non_binary_values():
    model = MaskModel()
    adapter = TorchModel(model, sample=np.zeros((1, 4), dtype=bool))
    assert adapter.to_tensor(np.array([[0, 1, 1, 0]])).dtype == torch.bool
    with pytest.raises(ValueError, match="0/1"):
        adapter.to_tensor(np.array([[0, 2, 1, 0]]))
    with pytest.raises(ValueError, match=r"whole numbers \(0 or 1\)"):
        adapter.to_tensor(np.array([[0.0, 0.5, 1.0, 0.0]]))


def test_whole_floats_are_accepted_and_fractions_refused():
    model = _model()
    X, background = _data(seed=4)
    explainer = ExactShapley(model).fit(background)
    np.testing.assert_allclose(explainer.explain(X.astype(float)).values,
                               explainer.explain(X).values, atol=0)
    with pytest.raises(ValueError, match="whole numbers"):
        explainer.explain(X + 0.5)


def test_user_model_and_data_are_not_mutated():
    model = _model()
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    X, background = _data(seed=5)
    X_copy, b_copy = X.copy(), background.copy()
    for explainer in (ExactShapley(model), KernelSHAP(model, n_samples=64, random_state=0)):
        explainer.fit(background).explain(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(background, b_copy)
    assert model.training and all(m.training for m in model.modules())
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k])


def test_float_models_given_integer_data_still_get_floats():
    # an MLP on integer-valued features: the int64 attempt fails, floats are used
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    X = np.array([[1, 2, 3], [0, -1, 4]])
    adapter = TorchModel(mlp, sample=X)
    assert adapter.input_dtype is None and adapter.to_tensor(X).dtype == torch.float32
    expl = ExactShapley(mlp).fit(np.zeros((1, 3), dtype=int)).explain(X)
    with torch.no_grad():
        fx = mlp(torch.as_tensor(X, dtype=torch.float32)).numpy()[:, 0]
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, fx,
                               rtol=1e-5)
    # gradient explainers try floats first, as before
    assert Saliency(mlp).fit(X).model_.input_dtype is None


def test_a_module_refusing_both_dtypes_reports_both_errors():
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("broken model")

    with pytest.raises(ModelEvaluationError, match="broken model.*raised too"):
        TorchModel(Broken(), sample=np.zeros((1, 3), dtype=int))


@pytest.mark.parametrize("cls", [Saliency, GradientXInput, IntegratedGradients])
def test_gradient_explainers_refuse_token_ids_without_layer(cls):
    model = _model()
    _, background = _data()
    with pytest.raises(TypeError, match=r"int64 inputs.*pass layer= \(e\.g\. layer='emb'"):
        cls(model).fit(background)


@pytest.mark.parametrize("make", [ExactShapley, IntegratedGradients])
def test_token_ids_given_as_floats_are_refused_naming_the_dtype(make):
    # torch's own message ("Expected tensor for argument #1 'indices' ...") names neither
    # the background nor the fix
    with pytest.raises(ModelEvaluationError, match=r"takes integer inputs .* floats \(float64\)"
                                                   r".* np\.int64"):
        make(_model()).fit(np.zeros((1, 3)))


def test_a_float_model_refusing_floats_keeps_its_own_error():
    class Fails(torch.nn.Module):
        def forward(self, x):
            raise RuntimeError("broken model")

    with pytest.raises(ModelEvaluationError, match="broken model"):
        ExactShapley(Fails()).fit(np.zeros((1, 3)))
