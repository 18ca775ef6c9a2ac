"""The contract shared by every gradient explainer (shapes, targets, batching,
errors, the user's module left untouched, devices)."""
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from gradient_models import TinyResNet, assert_unchanged, cnn, mlp, snapshot  # noqa: E402
from skexplain import (DeepLIFT, ExpectedGradients, GradientXInput, GuidedBackprop,  # noqa: E402
                       IntegratedGradients, Saliency, SmoothGrad)
from skexplain.exceptions import ModelEvaluationError, ModelTypeError  # noqa: E402

nn = torch.nn
ALL = [Saliency, GradientXInput, GuidedBackprop, IntegratedGradients, DeepLIFT,
       ExpectedGradients, SmoothGrad]
SMALL = {IntegratedGradients: dict(n_steps=8), ExpectedGradients: dict(n_samples=8, random_state=0),
         SmoothGrad: dict(n_samples=6, random_state=0)}


def make(cls, model, **kw):
    return cls(model, **{**SMALL.get(cls, {}), **kw})


@pytest.mark.parametrize("cls", ALL)
def test_values_have_the_input_shape_and_base_values_the_background_mean(cls, images):
    X, background = images
    model = cnn().eval()
    expl = make(cls, model).fit(background).explain(X)
    assert expl.values.shape == (4, 3, 8, 8) and expl.base_values.shape == (4,)
    with torch.no_grad():
        out = model(X)
        mean_bg = model(background).mean(0)
    predicted = out.argmax(1).numpy()
    assert expl.metadata["target"] == predicted.tolist()
    np.testing.assert_allclose(expl.base_values, mean_bg.numpy()[predicted], rtol=1e-5)
    np.testing.assert_array_equal(expl.data, X.numpy())
    assert (expl.delta is not None) == (cls in (IntegratedGradients, DeepLIFT, ExpectedGradients))


@pytest.mark.filterwarnings("ignore:GuidedBackprop found no nn.ReLU")
@pytest.mark.parametrize("cls", ALL)
def test_results_do_not_depend_on_batch_size(cls, tabular):
    X, background = tabular
    model = mlp(nn.ELU)
    ref = make(cls, model).fit(background).explain(X, target=1)
    for batch_size in (1, 7, 20):  # inside one path, across paths, whole paths
        got = make(cls, model, batch_size=batch_size).fit(background).explain(X, target=1)
        np.testing.assert_allclose(got.values, ref.values, rtol=1e-5, atol=1e-6)
        if ref.delta is not None:
            np.testing.assert_allclose(got.delta, ref.delta, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("cls", ALL)
def test_the_module_is_left_exactly_as_it_was(cls, images):
    X, background = images
    model = TinyResNet()  # train mode, in-place ReLU called twice, BatchNorm
    model.block1.bn1.eval()  # mixed flags must survive too
    model.head[2].weight.requires_grad_(False)
    before = snapshot(model)
    explainer = make(cls, model).fit(background)
    explainer.explain(X)
    explainer.explain(X[:1], target=2)
    assert_unchanged(model, before)


@pytest.mark.parametrize("cls", ALL)
def test_inputs_are_not_mutated_and_tensors_or_arrays_give_the_same_result(cls, tabular):
    X, background = tabular
    X_copy = X.copy()
    model = mlp(nn.ReLU)
    explainer = make(cls, model).fit(torch.as_tensor(background))
    from_numpy = explainer.explain(X)
    from_tensor = explainer.explain(torch.as_tensor(X))
    np.testing.assert_allclose(from_tensor.values, from_numpy.values, rtol=1e-6)
    np.testing.assert_array_equal(X, X_copy)


def test_target_forms(tabular):
    X, background = tabular
    model = mlp()
    explainer = IntegratedGradients(model, n_steps=4).fit(background)
    per_row = [0, 1, 2, 0, 1, 2, 0, 1]
    expl = explainer.explain(X, target=per_row)
    assert expl.metadata["target"] == per_row and expl.output_names is None
    for t in (0, 1, 2):
        single = explainer.explain(X, target=t)
        assert single.output_names == [f"output_{t}"]
        rows = [i for i, p in enumerate(per_row) if p == t]
        np.testing.assert_allclose(expl.values[rows], single.values[rows], rtol=1e-6)
    np.testing.assert_allclose(explainer.explain(X, target=torch.tensor(per_row)).values,
                               expl.values)
    assert explainer.explain(X, target=-1).metadata["target"] == [2] * 8


def test_output_parameter_restricts_the_model_to_one_column(tabular):
    X, background = tabular
    model = mlp()
    one = Saliency(model, output=2).fit(background)
    assert one.model_.output_names == ["output_2"]
    np.testing.assert_allclose(one.explain(X).values,
                               Saliency(model).fit(background).explain(X, target=2).values)
    with pytest.raises(ValueError, match="target 1 is not an output"):
        one.explain(X, target=1)


@pytest.mark.parametrize("cls", ALL)
def test_bad_targets_and_inputs_raise_clear_errors(cls, tabular):
    X, background = tabular
    explainer = make(cls, mlp()).fit(background)
    with pytest.raises(ValueError, match=r"target 3 is not an output.*position in \[0, 3\)"):
        explainer.explain(X, target=3)
    with pytest.raises(ValueError, match=r"one output per row \(8 entries\); got .*\(3,\)"):
        explainer.explain(X, target=[0, 1, 2])
    with pytest.raises(ValueError, match="X has 5 features, but .* is expecting 6 features"):
        explainer.explain(X[:, :5])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 6\).*got a tensor of shape"):
        explainer.explain(torch.zeros(2, 5))
    X_nan = X.copy()
    X_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"X must be finite: rows \[3\] contain NaN"):
        explainer.explain(X_nan)


def test_models_that_cannot_be_differentiated_raise(tabular):
    X, background = tabular
    with pytest.raises(ModelTypeError, match="must be a torch.nn.Module .*got the function"):
        Saliency(lambda x: x.sum(1)).fit(background)

    class Detached(nn.Module):
        def forward(self, x):
            return x.detach() @ torch.ones(6, 2)

    with pytest.raises(ModelEvaluationError, match="do not depend differentiably"):
        Saliency(Detached()).fit(background).explain(X)

    class Picky(nn.Linear):
        def forward(self, x):
            if x.shape[0] > 5:
                raise RuntimeError("too many rows")
            return super().forward(x)

    with pytest.raises(ModelEvaluationError, match=r"raised RuntimeError .* shape \(8, 6\)"):
        Saliency(Picky(6, 2)).fit(background).explain(X)


def test_parameters_are_validated_in_fit(tabular):
    _, background = tabular
    with pytest.raises(ValueError, match="'n_steps' parameter of IntegratedGradients"):
        IntegratedGradients(mlp(), n_steps=0).fit(background)
    with pytest.raises(ValueError, match="'method' parameter of IntegratedGradients"):
        IntegratedGradients(mlp(), method="simpson").fit(background)
    with pytest.raises(ValueError, match="n_steps >= 2"):
        IntegratedGradients(mlp(), method="riemann_trapezoid", n_steps=1).fit(background)
    with pytest.raises(ValueError, match="'variant' parameter of SmoothGrad"):
        SmoothGrad(mlp(), variant="median").fit(background)
    with pytest.raises(ValueError, match="'batch_size' parameter of DeepLIFT"):
        DeepLIFT(mlp(), batch_size=0).fit(background)


@pytest.mark.parametrize("cls", ALL)
def test_estimator_api(cls, tabular):
    X, background = tabular
    explainer = make(cls, mlp())
    with pytest.raises(NotFittedError):
        explainer.explain(X)
    fitted = explainer.fit(background)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(again.explain(X).values, fitted.explain(X).values, rtol=1e-6)
    assert clone(explainer).get_params() == explainer.get_params()
    assert fitted.transform(X).shape == (8, 6)
    assert list(fitted.get_feature_names_out()) == [f"x{i}" for i in range(6)]
    tags = fitted.__skexplain_tags__()
    assert tags.model_types == {"torch"} and not tags.all_outputs
    assert tags.stochastic == (cls in (SmoothGrad, ExpectedGradients))


def test_explain_works_under_no_grad_and_inference_mode(tabular):
    X, background = tabular
    explainer = IntegratedGradients(mlp(), n_steps=4).fit(background)
    ref = explainer.explain(X).values
    with torch.no_grad():
        np.testing.assert_allclose(explainer.explain(X).values, ref)
    with torch.inference_mode():
        np.testing.assert_allclose(explainer.explain(X).values, ref)


def test_sequences_of_embeddings_and_float64_modules():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.GELU(), nn.Flatten(), nn.Linear(7 * 4, 2)).double()
    X = torch.randn(3, 7, 5, dtype=torch.float64)
    expl = DeepLIFT(model).fit(torch.zeros(1, 7, 5)).explain(X)
    assert expl.values.shape == (3, 7, 5)
    assert np.abs(expl.delta).max() < 1e-12


def test_low_precision_modules():
    model = nn.Linear(3, 2).to(torch.bfloat16)
    expl = Saliency(model).fit(np.zeros((1, 3))).explain(np.ones((2, 3)), target=1)
    np.testing.assert_allclose(expl.values, model.weight[1].float().expand(2, 3).detach(),
                               rtol=1e-2)


def test_importing_skexplain_does_not_import_torch():
    code = "import sys, skexplain; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cls", ALL)
def test_cuda_matches_cpu_and_keeps_the_module_on_its_device(cls, images):
    X, background = images
    cpu_model = TinyResNet().eval()
    gpu_model = TinyResNet().eval().cuda()
    before = snapshot(gpu_model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = make(cls, gpu_model).fit(background).explain(X.cuda())
    ref = make(cls, cpu_model).fit(background).explain(X)
    tol = 1e-2 if cls is SmoothGrad else 1e-4  # SmoothGrad noise comes from the device RNG
    if cls is not SmoothGrad:
        np.testing.assert_allclose(got.values, ref.values, rtol=tol, atol=tol)
    assert got.values.shape == ref.values.shape
    assert next(gpu_model.parameters()).is_cuda
    assert_unchanged(gpu_model, before)


def test_passes_that_run_out_of_gpu_memory_are_split_unless_batch_size_is_set(tabular):
    X, background = tabular

    class Hungry(nn.Module):  # "runs out of memory" on passes of more than 24 points
        def __init__(self):
            super().__init__()
            self.net = mlp(nn.Tanh)

        def forward(self, x):
            if x.shape[0] > 24:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
            return self.net(x)

    model = Hungry()
    ref = IntegratedGradients(model.net, n_steps=8).fit(background).explain(X)
    got = IntegratedGradients(model, n_steps=8).fit(background).explain(X)
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-5, atol=1e-7)
    with pytest.raises(ModelEvaluationError, match="out of GPU memory on a pass of 40 points"):
        IntegratedGradients(model, n_steps=8, batch_size=40).fit(background).explain(X)


def test_concurrent_explanations_do_not_see_each_others_hooks(tabular):
    from concurrent.futures import ThreadPoolExecutor

    X, background = tabular
    model = mlp(nn.ReLU)  # one module shared by explainers with different hooks
    explainers = [DeepLIFT(model).fit(background), GuidedBackprop(model).fit(background),
                  Saliency(model).fit(background), IntegratedGradients(model, n_steps=4).fit(
                      background)]
    expected = [e.explain(X).values for e in explainers]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: explainers[i % 4].explain(X).values, range(24)))
    for i, values in enumerate(results):
        np.testing.assert_allclose(values, expected[i % 4], rtol=1e-6, atol=1e-7)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
