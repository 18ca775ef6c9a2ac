"""skexplain: model explanations the scikit-learn way.

Every explainer is an estimator: ``fit(background)``, ``explain(X)``,
``transform(X)`` and ``plot(X)``.

Names are imported on first use (PEP 562), so that ``import skexplain`` and
the pytest plugin stay cheap: ``from skexplain import KernelSHAP`` imports the
perturbation explainers, not torch's gradient ones.
"""
from ._lazy import lazy_attributes

__version__ = "0.1.0.dev0"

# public name -> the submodule that defines it (one entry per name)
_LAZY_NAMES = {
    "AuditReport": ".audit",
    "BaseExplainer": ".base",
    "CAM": ".gradient",
    "DeepLIFT": ".gradient",
    "ExactShapley": ".perturbation",
    "ExpectedGradients": ".gradient",
    "Explanation": ".explanation",
    "GradCAM": ".gradient",
    "GradientXInput": ".gradient",
    "GuidedBackprop": ".gradient",
    "GuidedGradCAM": ".gradient",
    "IntegratedGradients": ".gradient",
    "KernelSHAP": ".perturbation",
    "LIME": ".perturbation",
    "LinearSHAP": ".perturbation",
    "Occlusion": ".perturbation",
    "Saliency": ".gradient",
    "SmoothGrad": ".gradient",
    "audit": ".audit",
    "check_explainer": ".testing",
}
# subpackages reachable as attributes (``skexplain.gradient``) after ``import skexplain``
_SUBMODULES = ("adapters", "base", "exceptions", "explanation", "gradient", "perturbation",
               "plotting", "recurrent", "testing", "utils")

__all__ = [
    "AuditReport",
    "BaseExplainer",
    "CAM",
    "DeepLIFT",
    "ExactShapley",
    "ExpectedGradients",
    "Explanation",
    "GradCAM",
    "GradientXInput",
    "GuidedBackprop",
    "GuidedGradCAM",
    "IntegratedGradients",
    "KernelSHAP",
    "LIME",
    "LinearSHAP",
    "Occlusion",
    "Saliency",
    "SmoothGrad",
    "audit",
    "check_explainer",
    "__version__",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY_NAMES, _SUBMODULES)
