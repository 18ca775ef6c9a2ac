"""SmoothGrad's absolute noise (noise_std), its refusal of zero-range rows, and
SmoothGrad around another gradient explainer, against closed forms and by hand."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from gradient_models import Recorder  # noqa: E402
from skexplain import (DeepLIFT, ExpectedGradients, GradCAM, GradientXInput,  # noqa: E402
                       GuidedBackprop, IntegratedGradients, KernelSHAP, Saliency, SmoothGrad)

nn = torch.nn
X = np.random.default_rng(0).normal(size=(4, 3))
A = np.array([0.5, -1.0, 2.0])
B = np.array([1.0, 0.0, -0.5])


class Quadratic(nn.Module):
    """f(x) = sum_i a_i x_i^2 + b . x (one output)."""

    def __init__(self, a=A, b=B):
        super().__init__()
        self.a = nn.Parameter(torch.as_tensor(a, dtype=torch.float64))
        self.b = nn.Parameter(torch.as_tensor(b, dtype=torch.float64))

    def forward(self, x):
        return (self.a * x**2 + self.b * x).sum(1, keepdim=True)


def mlp(activation=nn.Tanh):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 6), activation(), nn.Linear(6, 2)).double()


def noisy_copies(module, x, **params):
    """The noisy copies SmoothGrad(module, **params) differentiates, (n * S, d)."""
    rec = Recorder(module)
    sg = SmoothGrad(rec, **params).fit(np.zeros((1, x.shape[1])))
    rec.seen.clear()
    sg.explain(x, target=0)
    return torch.cat(rec.seen[1:]).numpy()  # seen[0]: the outputs at x (the targets)


# ------------------------------------------------------------------ truth
@pytest.mark.parametrize("noise_std", [0.01, 3.0, [0.1, 5.0, 0.0]])
def test_smoothgrad_of_saliency_on_a_linear_model_is_the_weights(noise_std):
    torch.manual_seed(1)
    model = nn.Linear(3, 2).double()
    w = model.weight[1].detach().numpy()
    for wrapped in (model, Saliency(model)):
        sg = SmoothGrad(wrapped, noise_std=noise_std, n_samples=7, random_state=0).fit(X)
        np.testing.assert_allclose(sg.explain(X, target=1).values,
                                   np.broadcast_to(w, X.shape), rtol=1e-12)


@pytest.mark.parametrize("variant", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_smoothgrad_of_ig_is_the_closed_form_averaged_over_the_noisy_copies(variant):
    # IG of a quadratic from b to x is a (x^2 - b^2) + b' (x - b) (Gauss-Legendre is
    # exact on the linear integrand); average it over the very copies drawn.
    S, baseline = 6, np.array([[0.5, -0.2, 1.0]])
    params = dict(noise_std=0.3, n_samples=S, random_state=4)
    copies = noisy_copies(Quadratic(), X, **params)
    per_copy = (A * (copies**2 - baseline**2) + B * (copies - baseline)).reshape(4, S, 3)
    expected = {"smoothgrad": per_copy.mean(1), "smoothgrad_sq": (per_copy**2).mean(1),
                "vargrad": (per_copy**2).mean(1) - per_copy.mean(1) ** 2}[variant]
    sg = SmoothGrad(IntegratedGradients(Quadratic(), n_steps=4), variant=variant, **params)
    got = sg.fit(baseline).explain(X, target=0)
    np.testing.assert_allclose(got.values, expected, rtol=1e-10, atol=1e-12)
    assert got.delta is None  # the copies' outputs are not f(x): no completeness claim


def test_absolute_noise_per_feature_has_the_expected_variance():
    # VarGrad of a quadratic: Var(2 a (x + eps)) = 4 a^2 std^2, feature by feature
    std = np.array([0.1, 0.5, 0.0])
    var = SmoothGrad(Quadratic(), noise_std=std, n_samples=4000, variant="vargrad",
                     random_state=0).fit(X).explain(X[:2]).values
    np.testing.assert_allclose(var[:, :2], np.broadcast_to(4 * A[:2]**2 * std[:2]**2, (2, 2)),
                               rtol=0.1)
    np.testing.assert_allclose(var[:, 2], 0.0, atol=1e-12)  # std 0: no noise on it
    copies = noisy_copies(Quadratic(), X, noise_std=std, n_samples=5, random_state=0)
    np.testing.assert_array_equal(copies[:, 2], np.repeat(X[:, 2], 5))


@pytest.mark.parametrize("inner", [Saliency, GradientXInput, GuidedBackprop,
                                   IntegratedGradients, DeepLIFT])
def test_wrapped_explainer_is_averaged_over_the_noisy_copies(inner):
    model, S = mlp(nn.ReLU), 5  # ReLU modules: GuidedBackprop has something to guide
    background = np.random.default_rng(1).normal(size=(3, 3))
    params = dict(noise_std=0.2, n_samples=S, random_state=7)
    copies = noisy_copies(model, X, **params)
    predicted = model(torch.as_tensor(X)).argmax(1).numpy()  # target=None: the class at x
    by_hand = inner(model).fit(background).explain(copies, target=np.repeat(predicted, S))
    sg = SmoothGrad(inner(model), **params).fit(background).explain(X)
    np.testing.assert_allclose(sg.values, by_hand.values.reshape(4, S, 3).mean(1), rtol=1e-10)
    assert sg.metadata["target"] == predicted.tolist()


def test_wrapped_results_do_not_depend_on_batch_sizes_and_the_explainer_is_untouched():
    ig = IntegratedGradients(mlp(), n_steps=5)
    background = np.random.default_rng(2).normal(size=(2, 3))
    ref = SmoothGrad(ig, noise_std=0.3, n_samples=6, random_state=0).fit(background)
    ref = ref.explain(X).values
    for batch_size, inner_batch in [(1, None), (5, 3), (None, 1)]:
        inner = IntegratedGradients(ig.model, n_steps=5, batch_size=inner_batch)
        sg = SmoothGrad(inner, noise_std=0.3, n_samples=6, batch_size=batch_size,
                        random_state=0).fit(background)
        np.testing.assert_allclose(sg.explain(X).values, ref, rtol=1e-12)
        np.testing.assert_array_equal(sg.explain(X).values, sg.explain(X).values)
        assert not hasattr(inner, "model_")  # a fitted clone is used, never the user's
        assert sg.explainer_ is not inner and hasattr(sg.explainer_, "model_")


def test_default_noise_level_is_015_and_zero_is_no_noise():
    model = Quadratic()
    default = SmoothGrad(model, n_samples=4, random_state=0).fit(X).explain(X).values
    explicit = SmoothGrad(model, noise_level=0.15, n_samples=4, random_state=0).fit(X)
    np.testing.assert_array_equal(explicit.explain(X).values, default)
    constant = np.ones((2, 3))  # noise_level=0 asks for no noise: allowed
    plain = SmoothGrad(model, noise_level=0.0, n_samples=3).fit(X).explain(constant)
    np.testing.assert_allclose(plain.values, 2 * A * constant + B)


def test_wrapped_claims():
    exact, approx = SmoothGrad(IntegratedGradients(mlp()))._claims()
    assert exact == {"dummy", "linearity"} and approx == {"symmetry"}
    exact, _ = SmoothGrad(Saliency(mlp(), abs=True))._claims()
    assert exact == {"dummy"}
    _, approx = SmoothGrad(mlp(), noise_std=[0.1, 0.2, 0.1])._claims()
    assert approx == set()  # anisotropic noise: no symmetry even in expectation


# --------------------------------------------------------------- refusals
@pytest.mark.parametrize("rows,message", [
    (np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]),
     r"which is 0 for rows \[1, 2\] \(rows whose values are all equal\)"),
])
def test_zero_range_rows_are_refused_naming_noise_std(rows, message):
    sg = SmoothGrad(Quadratic(), n_samples=3).fit(X)
    with pytest.raises(ValueError, match=message + r".*Give an absolute noise standard "
                       r"deviation instead, e\.g\. SmoothGrad\(model, noise_std=0\.1\)"):
        sg.explain(rows)
    with pytest.raises(ValueError, match=r"noise_level=0\.3 scales the noise"):
        SmoothGrad(Quadratic(), noise_level=0.3).fit(X).explain(rows)
    ok = SmoothGrad(Quadratic(), noise_std=0.1, n_samples=3).fit(X).explain(rows)
    assert np.isfinite(ok.values).all()


def test_single_feature_inputs_are_refused_with_relative_noise():
    model = nn.Linear(1, 2).double()
    x = np.array([[0.5], [-1.0]])
    with pytest.raises(ValueError, match=r"rows \[0, 1\] \(every row of an input with a "
                                         r"single feature\).*noise_std"):
        SmoothGrad(model).fit(x).explain(x)
    SmoothGrad(model, noise_std=0.5, n_samples=3).fit(x).explain(x)


@pytest.mark.parametrize("noise_std,message", [
    ([0.1, 0.2], r"noise_std must be a float or an array of floats broadcastable to a row "
                 r"of shape \(3,\); got list of shape \(2,\)"),
    ([0.1, -0.2, 0.1], r"noise_std must be finite and >= 0 .* from -0\.2 to 0\.1"),
    (np.array([0.1, np.nan, 0.1]), r"noise_std must be finite and >= 0"),
    (-1.0, r"The 'noise_std' parameter of SmoothGrad must be"),
    ("big", r"The 'noise_std' parameter of SmoothGrad must be"),
])
def test_bad_noise_std(noise_std, message):
    with pytest.raises(ValueError, match=message):
        SmoothGrad(Quadratic(), noise_std=noise_std).fit(X)


def test_noise_level_and_noise_std_together_are_refused():
    with pytest.raises(ValueError, match=r"noise_level=0\.1 \(relative to each row's range\) "
                                         r"and noise_std=0\.2 \(absolute\): give one of them"):
        SmoothGrad(Quadratic(), noise_level=0.1, noise_std=0.2).fit(X)


@pytest.mark.parametrize("wrapped,error,message", [
    (lambda m: KernelSHAP(m), TypeError, r"SmoothGrad wraps gradient explainers .*got the "
                                         r"KernelSHAP explainer as model"),
    (lambda m: ExpectedGradients(m), TypeError, r"cannot wrap ExpectedGradients: .*batch_size"),
    (lambda m: SmoothGrad(m), TypeError, r"cannot wrap SmoothGrad"),
])
def test_explainers_that_cannot_be_wrapped_are_refused(wrapped, error, message):
    with pytest.raises(error, match=message):
        SmoothGrad(wrapped(mlp())).fit(X)


def test_cam_and_output_are_refused_when_wrapping():
    conv = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"cannot wrap GradCAM: .*maps of a layer"):
        SmoothGrad(GradCAM(conv)).fit(np.zeros((1, 1, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"output=1 with a wrapped Saliency.*"
                                         r"Saliency\(\.\.\., output=1\) instead"):
        SmoothGrad(Saliency(mlp()), output=1).fit(X)


def test_tools_that_swap_the_model_keep_the_wrapped_explainer():
    import copy

    from skexplain.utils._with_model import clone_with_model

    net = mlp()
    other = copy.deepcopy(net)
    sg = SmoothGrad(IntegratedGradients(net, n_steps=7), noise_std=0.2)
    swapped = clone_with_model(sg, other)
    assert isinstance(swapped.model, IntegratedGradients)
    assert swapped.model.model is other and swapped.model.n_steps == 7
    assert sg.model.model is net  # the original is unchanged
    for bad in ("big", ["a", "b", "c"]):  # tags of invalid parameters: no crash before fit
        SmoothGrad(net, noise_std=bad).__skexplain_tags__()


def test_check_explainer_checks_the_wrapped_explainer_on_its_model():
    from skexplain.testing import check_explainer

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    sg = SmoothGrad(IntegratedGradients(net, n_steps=8), noise_std=0.1, n_samples=5,
                    random_state=0)
    results = check_explainer(sg, checks=["check_fit_attributes", "check_dummy",
                                          "check_linearity", "check_inputs_not_mutated",
                                          "check_batch_size_invariance",
                                          "check_model_randomization_independent"])
    assert {r.status for r in results} == {"passed"}, [r.message for r in results]


def test_refitting_with_a_model_after_an_explainer_uses_plain_gradients():
    model = Quadratic()
    sg = SmoothGrad(Saliency(model), noise_std=0.1, n_samples=3, random_state=0).fit(X)
    assert hasattr(sg, "explainer_")
    sg.set_params(model=model).fit(X)
    assert not hasattr(sg, "explainer_")
    plain = SmoothGrad(model, noise_std=0.1, n_samples=3, random_state=0).fit(X).explain(X)
    np.testing.assert_array_equal(sg.explain(X).values, plain.values)


@pytest.mark.parametrize("inner", ["IntegratedGradients", "Saliency"])
def test_wrapping_an_explainer_with_a_layer_is_refused(inner):
    import skexplain

    net = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).double().eval()
    X = np.random.default_rng(1).normal(size=(3, 4))
    wrapped = getattr(skexplain, inner)(net, layer="1")
    with pytest.raises(TypeError, match=r"cannot wrap .* layer='1'.*without layer="):
        SmoothGrad(wrapped, noise_std=0.1).fit(X)
