"""Fixes from the review of issue 16 (torch models)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from skexplain import (DeepLIFT, ExactShapley, IntegratedGradients, KernelSHAP,  # noqa: E402
                       Occlusion, Saliency)
from skexplain.exceptions import ModelEvaluationError  # noqa: E402


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x, scale=1.0):
        return self.lin(x) * scale


class Masked(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x, mask):
        return self.lin(x * mask)


def _data():
    torch.manual_seed(0)
    return (torch.randn(5, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64))


EXPLAINERS = [lambda m: KernelSHAP(m, random_state=0), ExactShapley,
              lambda m: Occlusion(m, window=1), IntegratedGradients]


# 1. fitted with additional_forward_args: explain needs them too -------------
@pytest.mark.parametrize("make", EXPLAINERS)
def test_fit_with_args_then_explain_without_them_is_refused(make):
    B, X = _data()
    explainer = make(Scaled().double()).fit(B, additional_forward_args=(10.0,))
    with pytest.raises(TypeError, match="fitted with additional_forward_args.*explain needs"):
        explainer.explain(X)


@pytest.mark.parametrize("make", EXPLAINERS)
def test_fit_with_args_then_explain_with_them_is_complete(make):
    B, X = _data()
    model = Scaled().double()
    expl = make(model).fit(B, additional_forward_args=(10.0,)).explain(
        X, additional_forward_args=(10.0,))
    with torch.no_grad():
        fx, base = model(X, 10.0)[:, 0].numpy(), float(model(B, 10.0).mean())
    np.testing.assert_allclose(expl.base_values, base, atol=1e-10)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, fx, atol=1e-6)


@pytest.mark.parametrize("make", EXPLAINERS)
def test_explain_with_args_after_a_fit_without_them_stays_allowed(make):
    B, X = _data()
    model = Scaled().double()
    expl = make(model).fit(B).explain(X, additional_forward_args=(10.0,))
    with torch.no_grad():
        np.testing.assert_allclose(expl.base_values, float(model(B, 10.0).mean()), atol=1e-10)


def test_refit_without_args_forgets_the_fit_time_args():
    B, X = _data()
    explainer = ExactShapley(Scaled().double()).fit(B, additional_forward_args=(10.0,))
    explainer.fit(B)
    assert explainer.explain(X).values.shape == (3, 4)


@pytest.mark.parametrize("cls", [ExactShapley, Saliency])
def test_a_missing_forward_argument_points_to_additional_forward_args(cls):
    B, _ = _data()
    with pytest.raises((TypeError, ModelEvaluationError),
                       match=r"missing 1 required positional argument: 'mask'.*"
                             r"additional_forward_args"):
        cls(Masked().double()).fit(B)


def test_a_type_error_inside_forward_is_not_blamed_on_its_arguments():
    def helper(x, y):
        return x + y

    class Broken(nn.Module):
        def forward(self, x):
            return helper(x)  # the user's own bug: forward itself was called right

    with pytest.raises(ModelEvaluationError) as info:
        Saliency(Broken()).fit(np.zeros((2, 3), dtype=np.float32))
    assert "additional_forward_args" not in str(info.value)


# 2. only a tuple is several inputs; a list is rows ---------------------------
def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)).double()


@pytest.mark.parametrize("make", [Saliency, IntegratedGradients,
                                  lambda m: KernelSHAP(m, n_samples=128, random_state=0)])
@pytest.mark.parametrize("kind", ["tensors", "arrays"])
def test_a_list_of_per_row_nd_items_is_rows(make, kind):
    cnn = _cnn()
    torch.manual_seed(1)
    rows = [torch.randn(1, 6, 6, dtype=torch.float64) for _ in range(4)]
    if kind == "arrays":
        rows = [r.numpy() for r in rows]
    expected = make(cnn).fit(np.stack([np.asarray(r) for r in rows])).explain(
        np.stack([np.asarray(r) for r in rows[:2]]), target=0)
    expl = make(cnn).fit(rows).explain(rows[:2], target=0)
    assert not isinstance(expl, tuple) and expl.values.shape == (2, 1, 6, 6)
    np.testing.assert_allclose(expl.values, expected.values, atol=1e-12)


@pytest.mark.parametrize("cls", [Saliency, ExactShapley])
def test_a_tuple_longer_than_forward_takes_is_refused_clearly(cls):
    rows = tuple(np.random.default_rng(0).normal(size=(1, 1, 6, 6)) for _ in range(4))
    with pytest.raises(ValueError, match=r"tuple of 4 entries, which is read as several inputs"
                                         r".*Sequential\.forward takes 1 positional argument"
                                         r".*as a list of rows"):
        cls(_cnn()).fit(rows)


def test_a_tuple_for_a_forward_with_var_args_is_not_checked():
    class Sum(nn.Module):
        def forward(self, *inputs):
            return sum(x.sum(1, keepdim=True) for x in inputs)

    parts = (np.ones((3, 2)), np.ones((3, 4)))
    expl = IntegratedGradients(Sum().double()).fit(parts).explain(parts)
    assert isinstance(expl, tuple) and len(expl) == 2


def test_a_list_is_not_several_inputs_at_explain_either():
    class Two(nn.Module):
        def forward(self, a, b):
            return a.sum(1, keepdim=True) * b.sum(1, keepdim=True)

    parts = (np.ones((3, 2)), np.ones((3, 4)))
    explainer = Saliency(Two().double()).fit(parts)
    with pytest.raises(ValueError, match="X must be a tuple of 2 inputs.*got a single list"):
        explainer.explain(list(parts))


@pytest.mark.parametrize("as_lists", [False, True])
def test_a_list_of_rows_with_per_row_forward_args(as_lists):
    torch.manual_seed(0)
    model = Masked().double()
    B = np.random.default_rng(0).normal(size=(5, 4))
    rows = [list(r) for r in B] if as_lists else [torch.from_numpy(r) for r in B]
    mask = torch.ones(5, 4, dtype=torch.float64)
    explainer = ExactShapley(model).fit(rows, additional_forward_args=(mask,))
    with torch.no_grad():
        assert explainer.expected_value_ == pytest.approx(float(model(torch.from_numpy(B),
                                                                      mask).mean()))
    expl = explainer.explain(rows[:2], additional_forward_args=(mask[:2],))
    with torch.no_grad():
        fx = model(torch.from_numpy(B[:2]), mask[:2])[:, 0].numpy()
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, fx, atol=1e-10)


# 3. DeepLIFT(softmax_rule="captum"): one pass when batch_size is None ---------
def _softmax_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 3 * 3, 4), nn.Softmax(dim=1)).double()


@pytest.fixture
def tiny_passes(monkeypatch):
    """A default pass of a few points only, so that automatic splitting would act."""
    from skexplain.gradient import _engine

    monkeypatch.setattr(_engine, "_CHUNK_ELEMENTS", {"cpu": 2 * 49 * 3, "cuda": 2 * 49 * 3})


def test_captum_softmax_rule_runs_all_pairs_in_one_pass(tiny_passes):
    model = _softmax_cnn()
    torch.manual_seed(1)
    X, bg = torch.randn(6, 1, 7, 7, dtype=torch.float64), torch.randn(5, 1, 7, 7,
                                                                      dtype=torch.float64)
    auto = DeepLIFT(model, softmax_rule="captum").fit(bg).explain(X, target=1)
    one = DeepLIFT(model, softmax_rule="captum", batch_size=30).fit(bg).explain(X, target=1)
    np.testing.assert_allclose(auto.values, one.values, rtol=0, atol=1e-15)


@pytest.mark.filterwarnings("ignore:Setting forward, backward hooks:UserWarning")
def test_captum_softmax_rule_matches_captum_despite_a_small_default_pass(tiny_passes):
    captum_attr = pytest.importorskip("captum.attr")
    model = _softmax_cnn()
    torch.manual_seed(2)
    X, bg = torch.randn(6, 1, 7, 7, dtype=torch.float64), torch.randn(5, 1, 7, 7,
                                                                      dtype=torch.float64)
    ours = DeepLIFT(model, softmax_rule="captum").fit(bg).explain(X, target=1)
    theirs = captum_attr.DeepLiftShap(model).attribute(X, baselines=bg, target=1)
    np.testing.assert_allclose(ours.values, theirs.detach().numpy(), rtol=0, atol=1e-10)


# 4. bool baselines refused by the gradient explainers too ---------------------
@pytest.mark.parametrize("flag", [True, torch.tensor(True)])
def test_gradient_explainers_refuse_bool_baselines(flag):
    B, X = _data()
    with pytest.raises(TypeError, match=r"baselines must be reference rows.*got the bool"):
        IntegratedGradients(Scaled().double()).fit(B).explain(X, baselines=flag)


def test_a_bool_entry_of_per_input_baselines_is_refused_by_position():
    class Two(nn.Module):
        def forward(self, a, b):
            return a.sum(1, keepdim=True) * b.sum(1, keepdim=True)

    parts = (np.ones((3, 2)), np.ones((3, 4)))
    explainer = IntegratedGradients(Two().double()).fit(parts)
    with pytest.raises(TypeError, match=r"baselines\[1\] must be reference rows.*bool"):
        explainer.explain(parts, baselines=(0.0, True))


def test_nan_baselines_of_a_torch_model_are_refused_by_perturbation_explainers():
    B, X = _data()
    with pytest.raises(ValueError, match="baselines hold NaN"):
        ExactShapley(Scaled().double()).fit(B).explain(X, baselines=float("nan"))
