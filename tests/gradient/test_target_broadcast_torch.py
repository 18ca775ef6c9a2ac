"""A target of length 1 applies to every row (as in captum), for the gradient
explainers and for perturbation explainers on torch models; other lengths
than the number of rows are refused clearly."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from gradient_models import cnn, mlp  # noqa: E402
from skexplain import (CAM, DeepLIFT, ExactShapley, ExpectedGradients,  # noqa: E402
                       GradCAM, GradientXInput, GuidedBackprop, GuidedGradCAM,
                       IntegratedGradients, KernelSHAP, Occlusion, Saliency, SmoothGrad)

nn = torch.nn
SEEDED = dict(n_samples=6, random_state=0)
IMAGE = [Saliency, GradientXInput, GuidedBackprop, lambda m: IntegratedGradients(m, n_steps=8),
         DeepLIFT, lambda m: ExpectedGradients(m, **SEEDED), lambda m: SmoothGrad(m, **SEEDED),
         lambda m: GradCAM(m, layer="2"), lambda m: GuidedGradCAM(m, layer="2")]


def gap_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 3))


def same(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.base_values, b.base_values)
    assert a.output_names == b.output_names
    assert a.metadata.get("target") == b.metadata.get("target")


@pytest.mark.parametrize("make", IMAGE + [CAM])
def test_a_length_one_target_applies_to_every_row(make, images):
    X, background = images
    model = (gap_cnn() if make is CAM else cnn()).eval()
    explainer = make(model).fit(background)
    for k in (1, 2):
        single = explainer.explain(X, target=k)
        assert single.metadata["target"] == [k] * 4
        for target in ([k], (k,), np.array([k]), torch.tensor([k]), torch.tensor(k)):
            same(explainer.explain(X, target=target), single)
    # several rows with different targets still work, and so does one row
    per_row = explainer.explain(X, target=[2, 0, 1, 2])
    assert per_row.metadata["target"] == [2, 0, 1, 2]
    same(explainer.explain(X[:1], target=[2]), explainer.explain(X[:1], target=2))


@pytest.mark.parametrize("make", IMAGE + [CAM])
def test_other_lengths_are_refused(make, images):
    X, background = images
    model = (gap_cnn() if make is CAM else cnn()).eval()
    explainer = make(model).fit(background)
    for target in ([0, 1], torch.tensor([0, 1, 2]), np.zeros(6, int)):
        n = len(target)
        with pytest.raises(ValueError, match=rf"target must .*one output per row \(4 entries\); "
                                             rf"got {n} entries \(shape \({n},\)\)"):
            explainer.explain(X, target=target)
    with pytest.raises(ValueError, match=r"got an array of shape \(1, 1\)"):
        explainer.explain(X, target=[[1]])


@pytest.mark.parametrize("make", [ExactShapley, lambda m: KernelSHAP(m, n_samples=32,
                                                                     random_state=0), Occlusion])
def test_perturbation_explainers_on_a_torch_model(make, tabular):
    X, background = tabular
    explainer = make(mlp().eval()).fit(background)
    single = explainer.explain(X, target=1)
    for target in ([1], torch.tensor([1]), np.array([1])):
        same(explainer.explain(X, target=target), single)
    with pytest.raises(ValueError, match=r"one output per row \(8 entries\); got 2 entries"):
        explainer.explain(X, target=torch.tensor([0, 1]))


@pytest.mark.parametrize("make", [lambda m: KernelSHAP(m, n_samples=10, random_state=0),
                                  ExactShapley, Occlusion])
def test_tensor_targets_on_perturbation_explainers(make):
    # a 0-d tensor and a tensor of one entry per row mean their values, as for gradients
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double().eval()
    X = np.random.default_rng(0).normal(size=(3, 4))
    explainer = make(model).fit(X[:2])
    same(explainer.explain(X, target=torch.tensor(2)), explainer.explain(X, target=2))
    same(explainer.explain(X, target=torch.tensor([0, 2, 1])),
         explainer.explain(X, target=[0, 2, 1]))
