"""The tags of the gradient explainers say what they accept and what they satisfy."""
import numpy as np
import pytest
from sklearn.base import clone

import skexplain
from skexplain.gradient._base import GradientMixin

torch = pytest.importorskip("torch")

GRADIENT_EXPLAINERS = sorted(
    (getattr(skexplain, name) for name in skexplain.__all__
     if isinstance(getattr(skexplain, name), type)
     and issubclass(getattr(skexplain, name), GradientMixin)), key=lambda c: c.__name__)


def test_every_gradient_explainer_is_covered():
    assert {c.__name__ for c in GRADIENT_EXPLAINERS} >= {
        "Saliency", "GradientXInput", "SmoothGrad", "GuidedBackprop", "IntegratedGradients",
        "ExpectedGradients", "DeepLIFT"}


@pytest.mark.parametrize("cls", GRADIENT_EXPLAINERS, ids=lambda c: c.__name__)
def test_sklearn_tags_refuse_nan_and_strings_as_fit_does(cls):
    tags = cls(torch.nn.Linear(2, 1)).__sklearn_tags__()
    assert tags.input_tags.allow_nan is False
    assert tags.input_tags.string is False
    # ... and what the tags say is what fit does.
    with pytest.raises(ValueError, match="NaN"):
        cls(torch.nn.Linear(2, 1)).fit(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(TypeError, match="must hold numbers"):
        cls(torch.nn.Linear(2, 1)).fit(np.array([[0.0, "a"], [1.0, 2.0]], dtype=object))


def test_perturbation_explainers_keep_accepting_nan_and_strings():
    tags = skexplain.KernelSHAP(None).__sklearn_tags__()
    assert tags.input_tags.allow_nan and tags.input_tags.string


# ------------------------------------------------------------------ axioms
from skexplain import (DeepLIFT, ExpectedGradients, GradientXInput,  # noqa: E402
                       GuidedBackprop, IntegratedGradients, Saliency, SmoothGrad)
from skexplain.testing import check_explainer  # noqa: E402
from skexplain.testing._check_utils import DEFAULT_THRESHOLDS  # noqa: E402
from skexplain.testing._toy_models import axiom_data  # noqa: E402

nn = torch.nn

CLAIMS = {  # explainer: (exact, approximate)
    Saliency(None): ({"dummy", "symmetry", "linearity"}, set()),
    Saliency(None, abs=True): ({"dummy", "symmetry"}, set()),
    GradientXInput(None): ({"dummy", "symmetry", "linearity"}, set()),
    SmoothGrad(None, random_state=0): ({"dummy", "linearity"}, {"symmetry"}),
    SmoothGrad(None, variant="vargrad", random_state=0): ({"dummy"}, {"symmetry"}),
    GuidedBackprop(None): (set(), set()),
    IntegratedGradients(None): ({"dummy", "symmetry", "linearity"}, {"completeness"}),
    ExpectedGradients(None, random_state=0): ({"dummy", "linearity"},
                                              {"completeness", "symmetry"}),
    DeepLIFT(None): ({"completeness", "dummy", "linearity"}, set()),
}
AXIOM_CHECKS = {"dummy": "check_dummy", "symmetry": "check_symmetry",
                "linearity": "check_linearity", "completeness": "check_efficiency"}


def _name(explainer):
    params = explainer.get_params(deep=False)
    extra = ",".join(f"{k}={params[k]}" for k in ("abs", "variant") if k in params
                     and params[k] not in (False, "smoothgrad"))
    return f"{type(explainer).__name__}({extra})"


@pytest.mark.parametrize("explainer", list(CLAIMS), ids=_name)
def test_claimed_axioms(explainer):
    tags = explainer.__skexplain_tags__()
    assert (set(tags.axioms), set(tags.approximate_axioms)) == CLAIMS[explainer]


@pytest.mark.parametrize("explainer", [e for e in CLAIMS if any(CLAIMS[e])], ids=_name)
def test_check_explainer_runs_and_passes_every_claimed_axiom(explainer):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    exact, approximate = CLAIMS[explainer]
    explainer = clone(explainer).set_params(model=model)
    checks = sorted({AXIOM_CHECKS[a] for a in exact | approximate})
    results = check_explainer(explainer, checks=checks)
    assert {r.check: r.status for r in results} == {c: "passed" for c in checks}
    for result in results:  # an exact claim is held to round-off, not to 5%
        if result.check in {AXIOM_CHECKS[a] for a in exact}:
            assert result.threshold == DEFAULT_THRESHOLDS["exact_rtol"]


def _relu_pair_net():
    """``relu(x0 + x1) - relu(-x0 - x1) - relu(x1) + relu(-x1) + relu(x2)``, which is
    ``x0 + relu(x2)``: feature 1 has weights, yet the function ignores it."""
    first, second = nn.Linear(3, 5, bias=False).double(), nn.Linear(5, 1, bias=False).double()
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 1, 0], [-1, -1, 0], [0, 1, 0], [0, -1, 0],
                                         [0, 0, 1]]))
        second.weight.copy_(torch.tensor([[1.0, -1, -1, 1, 1]]))
    return nn.Sequential(first, nn.ReLU(), second)


DUMMY = [Saliency, GradientXInput, DeepLIFT, lambda m: SmoothGrad(m, random_state=0),
         lambda m: SmoothGrad(m, variant="smoothgrad_sq", random_state=0),
         IntegratedGradients, lambda m: ExpectedGradients(m, random_state=0)]


@pytest.mark.parametrize("make", DUMMY, ids=["Saliency", "GradientXInput", "DeepLIFT",
                                             "SmoothGrad", "SmoothGrad_sq", "IG", "EG"])
def test_dummy_holds_for_a_feature_with_weights_the_function_ignores(make):
    X, background = axiom_data(n_features=3, random_state=1)
    model = _relu_pair_net()
    values = make(model).fit(background).explain(X).values
    assert np.abs(values[:, 1]).max() < 1e-12
    assert np.abs(values[:, 0]).max() > 0.1


def test_guided_backprop_claims_no_dummy_for_good_reason():
    X, background = axiom_data(n_features=3, random_state=1)
    values = GuidedBackprop(_relu_pair_net()).fit(background).explain(X).values
    assert np.abs(values[:, 1]).max() > 0.5  # the cut negative branch credits feature 1


class Symmetric(nn.Module):
    """A smooth function symmetric in features 0 and 1, not built from equal weights."""

    def __init__(self):
        super().__init__()
        self.register_buffer("slope", torch.tensor(3.0, dtype=torch.float64))  # float64

    def forward(self, x):
        x0, x1, x2, x3 = x.unbind(1)
        return ((x0 - x1) ** 2 * x2 + torch.sin(x0 + x1) + x0 * x1 * x3
                + torch.tanh(self.slope * x0) + torch.tanh(self.slope * x1))[:, None]


@pytest.mark.parametrize("make, tol", [
    (Saliency, 1e-12), (lambda m: Saliency(m, abs=True), 1e-12), (GradientXInput, 1e-12),
    (IntegratedGradients, 1e-12), (lambda m: SmoothGrad(m, n_samples=400, random_state=0), 0.2),
    (lambda m: ExpectedGradients(m, n_samples=4000, random_state=0), 0.2),
], ids=["Saliency", "Saliency_abs", "GradientXInput", "IG", "SmoothGrad", "EG"])
def test_symmetry_holds_for_a_smooth_symmetric_function(make, tol):
    X, background = axiom_data()  # rows with x0 == x1, background closed under the swap
    values = make(Symmetric()).fit(background).explain(X).values
    scale = np.abs(values).max()
    assert np.abs(values[:, 0] - values[:, 1]).max() <= tol * scale


def _tanh_net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.ReLU(),
                         nn.Linear(5, 1)).double()


class SideBySide(nn.Module):
    def __init__(self, f, g):
        super().__init__()
        self.f, self.g = f, g

    def forward(self, x):
        return self.f(x) + self.g(x)


@pytest.mark.parametrize("make", [
    Saliency, GradientXInput, DeepLIFT, lambda m: IntegratedGradients(m, n_steps=7),
    lambda m: SmoothGrad(m, n_samples=20, random_state=3),
    lambda m: ExpectedGradients(m, n_samples=30, random_state=3),
], ids=["Saliency", "GradientXInput", "DeepLIFT", "IG", "SmoothGrad", "EG"])
def test_linearity_holds_for_two_deeper_networks_side_by_side(make):
    X, background = axiom_data()
    f, g = _tanh_net(1), _tanh_net(2)

    def values(model):
        return make(model).fit(background).explain(X).values

    both = values(SideBySide(f, g))
    np.testing.assert_allclose(both, values(f) + values(g), rtol=1e-10, atol=1e-12)
