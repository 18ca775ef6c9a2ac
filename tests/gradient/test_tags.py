"""The tags of the gradient explainers say what they accept and what they satisfy."""
import numpy as np
import pytest

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
