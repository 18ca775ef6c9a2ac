"""skexplain: model explanations the scikit-learn way.

Every explainer is an estimator: ``fit(background)``, ``explain(X)``,
``transform(X)`` and ``plot(X)``.
"""
from .base import BaseExplainer
from .explanation import Explanation
from .perturbation import LIME, ExactShapley, KernelSHAP, LinearSHAP, Occlusion
from .gradient import (DeepLIFT, ExpectedGradients, GradientXInput, GuidedBackprop,
                       IntegratedGradients, Saliency, SmoothGrad)
from .testing import check_explainer

__version__ = "0.1.0.dev0"

__all__ = [
    "BaseExplainer",
    "DeepLIFT",
    "ExactShapley",
    "ExpectedGradients",
    "Explanation",
    "GradientXInput",
    "GuidedBackprop",
    "IntegratedGradients",
    "KernelSHAP",
    "LIME",
    "LinearSHAP",
    "Occlusion",
    "Saliency",
    "SmoothGrad",
    "check_explainer",
    "__version__",
]
