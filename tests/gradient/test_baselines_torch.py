"""Per-row baselines (``explain(X, baselines=R)``) on torch models: parity with
captum's per-example ``baselines``, completeness against ``f(R[i])``, token ids
at a layer, pass-through in SmoothGrad, refusals and bad input."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from gradient_models import cnn, mlp  # noqa: E402
from skexplain import (CAM, DeepLIFT, ExactShapley, ExpectedGradients,  # noqa: E402
                       GradCAM, GradientXInput, GuidedBackprop, GuidedGradCAM,
                       IntegratedGradients, KernelSHAP, Occlusion, Saliency, SmoothGrad)

nn = torch.nn
TOL = dict(rtol=1e-5, atol=1e-5)


def captum(cls, model, X, layer=None, **kw):
    captum_attr = pytest.importorskip("captum.attr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make = getattr(captum_attr, cls)
        method = make(model) if layer is None else make(model, layer)
        return method.attribute(X, **kw).detach().numpy()


@pytest.fixture
def rows():
    g = torch.Generator().manual_seed(0)
    return torch.randn(6, 6, generator=g), torch.randn(6, 6, generator=g), torch.randn(
        9, 6, generator=g)


def _f(model, Z, target):
    with torch.no_grad():
        return model(Z)[torch.arange(Z.shape[0]), torch.as_tensor(target)].numpy()


@pytest.mark.parity
@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid"])
def test_integrated_gradients_equals_captum_per_example(rows, method):
    X, R, bg = rows
    model = mlp(nn.Tanh)
    targets = [0, 1, 2, 0, 1, 2]
    explainer = IntegratedGradients(model, n_steps=40, method=method).fit(bg)
    expl = explainer.explain(X, target=targets, baselines=R)
    n = 40 if method == "gausslegendre" else 39  # skexplain's trapezoid weights sum to one
    expected = captum("IntegratedGradients", model, X, baselines=R, target=targets,
                      n_steps=40, method=method)
    np.testing.assert_allclose(expl.values, expected * (40 / n if method != "gausslegendre"
                                                       else 1), **TOL)
    np.testing.assert_allclose(expl.base_values, _f(model, R, targets), **TOL)
    np.testing.assert_allclose(expl.values.sum(1), _f(model, X, targets) - expl.base_values,
                               atol=1e-4)
    assert expl.metadata["baselines"] is True


@pytest.mark.parity
def test_deeplift_equals_captum_per_example(rows):
    X, R, bg = rows
    model = mlp(nn.ReLU, dtype=torch.float64)
    X, R = X.double(), R.double()
    expl = DeepLIFT(model).fit(bg.double()).explain(X, target=1, baselines=R)
    np.testing.assert_allclose(expl.values, captum("DeepLift", model, X, baselines=R, target=1),
                               **TOL)
    # summation-to-delta against each row's own reference: exact
    np.testing.assert_allclose(expl.values.sum(1), _f(model, X, 1) - _f(model, R, 1), atol=1e-10)
    np.testing.assert_allclose(expl.delta, 0, atol=1e-10)


@pytest.mark.parity
def test_occlusion_equals_captum_feature_ablation_per_example(rows):
    X, R, bg = rows
    model = mlp(nn.ReLU)
    expl = Occlusion(model).fit(bg).explain(X, target=2, baselines=R)
    np.testing.assert_allclose(expl.values, captum("FeatureAblation", model, X, baselines=R,
                                                   target=2), **TOL)


@pytest.mark.parity
def test_occlusion_windows_equal_captum_per_example():
    net = cnn()
    g = torch.Generator().manual_seed(1)
    X, R = torch.randn(3, 3, 8, 8, generator=g), torch.randn(3, 3, 8, 8, generator=g)
    expl = Occlusion(net, window=(3, 2, 2), stride=(3, 2, 2)).fit(
        torch.zeros(1, 3, 8, 8)).explain(X, target=[0, 3, 1], baselines=R)
    expected = captum("Occlusion", net, X, sliding_window_shapes=(3, 2, 2), strides=(3, 2, 2),
                      baselines=R, target=[0, 3, 1])
    np.testing.assert_allclose(expl.values, expected, **TOL)


def _text_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Embedding(12, 4), nn.Flatten(), nn.Linear(16, 8), nn.Tanh(),
                         nn.Linear(8, 2)).double()


IDS = torch.tensor([[1, 5, 7, 3], [2, 2, 9, 11], [3, 4, 5, 6]])
PADS = torch.tensor([[0, 5, 0, 3], [0, 0, 0, 0], [3, 0, 5, 0]])


@pytest.mark.parity
def test_layer_integrated_gradients_on_token_ids_equals_captum():
    text = _text_model()
    explainer = IntegratedGradients(text, layer="0").fit(torch.zeros(1, 4, dtype=torch.long))
    expl = explainer.explain(IDS, target=1, baselines=PADS)
    expected = captum("LayerIntegratedGradients", text, IDS, layer=text[0], baselines=PADS,
                      target=1, n_steps=50)
    np.testing.assert_allclose(expl.values, expected, **TOL)
    # completeness at the embedding: every path goes through it
    np.testing.assert_allclose(expl.base_values, _f(text, PADS, 1), atol=1e-12)
    np.testing.assert_allclose(expl.delta, 0, atol=1e-6)
    summed = IntegratedGradients(text, layer="0", layer_reduce="sum").fit(
        torch.zeros(1, 4, dtype=torch.long)).explain(IDS, target=1, baselines=0)
    zeros = torch.zeros_like(IDS)
    np.testing.assert_allclose(summed.values.sum(1), _f(text, IDS, 1) - _f(text, zeros, 1),
                               atol=1e-6)


@pytest.mark.parity
def test_layer_deeplift_on_token_ids_equals_captum():
    text = _text_model()
    expl = DeepLIFT(text, layer="0").fit(torch.zeros(1, 4, dtype=torch.long)).explain(
        IDS, target=0, baselines=PADS)
    expected = captum("LayerDeepLift", text, IDS, layer=text[0], baselines=PADS, target=0)
    np.testing.assert_allclose(expl.values, expected, **TOL)


def test_exact_shapley_over_token_positions_against_each_reference():
    text = _text_model()
    expl = ExactShapley(text).fit(torch.zeros(3, 4, dtype=torch.long)).explain(
        IDS, baselines=PADS)
    for i in range(3):
        alone = ExactShapley(text).fit(PADS[i:i + 1]).explain(IDS[i:i + 1])
        np.testing.assert_allclose(expl.values[i:i + 1], alone.values, atol=1e-12)
    with torch.no_grad():
        np.testing.assert_allclose(expl.values.sum(1), (text(IDS) - text(PADS)).numpy(),
                                   atol=1e-12)


def test_smoothgrad_passes_baselines_to_the_wrapped_explainer(rows):
    X, R, bg = rows
    model = mlp(nn.Tanh)
    ig = IntegratedGradients(model, n_steps=16)
    plain = ig.fit(bg).explain(X, target=1, baselines=R)
    # no noise: exactly the wrapped explainer against the same references
    quiet = SmoothGrad(ig, noise_std=0.0, n_samples=3).fit(bg).explain(X, target=1, baselines=R)
    np.testing.assert_allclose(quiet.values, plain.values, atol=1e-6)
    np.testing.assert_allclose(quiet.base_values, plain.base_values)
    # with noise: the mean of IG over the noisy copies, each against its row's reference
    smooth = SmoothGrad(DeepLIFT(model), noise_std=0.1, n_samples=4, random_state=0).fit(bg)
    noisy = smooth.explain(X, target=1, baselines=R)
    other = smooth.explain(X, target=1, baselines=R + 1)
    assert not np.allclose(noisy.values, other.values)


def test_one_reference_for_every_row_and_a_number(rows):
    X, R, bg = rows
    explainer = IntegratedGradients(mlp(nn.Tanh), n_steps=8).fit(bg)
    full = explainer.explain(X, target=0, baselines=R[:1].expand(6, 6))
    for given in (R[:1], R[0], R[:1].numpy(), R[0].numpy()):
        np.testing.assert_allclose(explainer.explain(X, target=0, baselines=given).values,
                                   full.values, atol=1e-6)
    zero = explainer.explain(X, target=0, baselines=0.0)
    np.testing.assert_allclose(zero.values, explainer.explain(
        X, target=0, baselines=torch.zeros(6, 6)).values, atol=1e-7)


def test_float32_tensor_baselines_and_nothing_stored(rows):
    X, R, bg = rows
    explainer = DeepLIFT(mlp(nn.ReLU)).fit(bg)
    before = dict(vars(explainer))
    R_before = R.clone()
    expl = explainer.explain(X, baselines=R)
    assert expl.values.shape == (6, 6)
    assert vars(explainer).keys() == before.keys()
    assert all(vars(explainer)[k] is before[k] for k in before)
    assert torch.equal(R, R_before)
    # the background is still the default reference
    np.testing.assert_allclose(explainer.explain(X, target=0).base_values,
                               explainer.expected_value_[0])


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("make", [
    lambda: Saliency(mlp()), lambda: GradientXInput(mlp()), lambda: GuidedBackprop(mlp()),
    lambda: ExpectedGradients(mlp(), random_state=0), lambda: SmoothGrad(mlp()),
    lambda: SmoothGrad(Saliency(mlp()))])
def test_explainers_without_a_reference_refuse_baselines(rows, make):
    X, R, bg = rows
    explainer = make().fit(bg)
    name = type(explainer).__name__
    with pytest.raises(TypeError, match=rf"{name}.explain got baselines, but {name} takes no "
                                        r"per-row baselines: .*IntegratedGradients, DeepLIFT"):
        explainer.explain(X, baselines=R)


@pytest.mark.parametrize("cls", [CAM, GradCAM, GuidedGradCAM])
def test_cam_family_refuses_baselines(cls):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 3))
    X = torch.randn(2, 3, 8, 8)
    with pytest.raises(TypeError, match=rf"{cls.__name__}.explain got baselines"):
        cls(model).fit(X).explain(X, baselines=X)


# ---------------------------------------------------------------- bad input
def test_wrong_number_of_rows_and_wrong_shape(rows):
    X, R, bg = rows
    explainer = IntegratedGradients(mlp()).fit(bg)
    with pytest.raises(ValueError, match=r"baselines must have one reference row per row of X "
                                         r"\(6\) or a single row for every row \(1\); got 4 rows"):
        explainer.explain(X, baselines=R[:4])
    with pytest.raises(ValueError, match=r"baselines must have shape \(6, 6\) .* got a tensor "
                                         r"of shape \(6, 5\)"):
        explainer.explain(X, baselines=R[:, :5])
    with pytest.raises(ValueError, match=r"baselines has 5 features, but IntegratedGradients"):
        explainer.explain(X, baselines=R[:, :5].numpy())


@pytest.mark.parametrize("cls", [IntegratedGradients, DeepLIFT])
def test_nan_or_inf_in_baselines(rows, cls):
    X, R, bg = rows
    bad = R.clone()
    bad[2, 1] = float("nan")
    bad[4, 0] = float("inf")
    with pytest.raises(ValueError, match=r"baselines must be finite: rows \[2, 4\]"):
        cls(mlp()).fit(bg).explain(X, baselines=bad)


def test_float_baselines_for_token_ids():
    text = _text_model()
    ig = IntegratedGradients(text, layer="0").fit(torch.zeros(1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"baselines must hold whole numbers for the torch "
                                         r"module Sequential, which takes torch.int64 inputs.*0.5"):
        ig.explain(IDS, baselines=torch.full((3, 4), 0.5))
    kernel = KernelSHAP(text, random_state=0).fit(torch.zeros(1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"baselines must hold whole numbers"):
        kernel.explain(IDS, baselines=np.full((1, 4), 1.5))
    # whole numbers given as floats are token ids (as for X)
    kept = kernel.explain(IDS, baselines=np.zeros((1, 4)))
    assert kept.values.shape == (3, 4, 2)


def test_strings_in_baselines_are_refused(rows):
    X, R, bg = rows
    explainer = IntegratedGradients(mlp()).fit(bg)
    words = np.array([["a", 1, 2, 3, 4, 5]], dtype=object)
    with pytest.raises(TypeError, match=r"baselines must hold numbers for IntegratedGradients; "
                                        r"feature 0 holds the str 'a'"):
        explainer.explain(X, baselines=words)
    with pytest.raises(TypeError, match=r"baselines must be reference rows .* got the str 'zero'"):
        explainer.explain(X, baselines="zero")
