"""skexplain: model explanations the scikit-learn way.

Every explainer is an estimator: ``fit(background)``, ``explain(X)``,
``transform(X)`` and ``plot(X)``.

Names are imported on first use (PEP 562), so that ``import skexplain`` and
the pytest plugin stay cheap: ``from skexplain import KernelSHAP`` imports the
perturbation explainers, not torch's gradient ones.
"""
import importlib

__version__ = "0.1.0.dev0"

# public name -> the submodule that defines it (one entry per name)
_LAZY_NAMES = {
    "BaseExplainer": ".base",
    "DeepLIFT": ".gradient",
    "ExactShapley": ".perturbation",
    "ExpectedGradients": ".gradient",
    "Explanation": ".explanation",
    "GradientXInput": ".gradient",
    "GuidedBackprop": ".gradient",
    "IntegratedGradients": ".gradient",
    "KernelSHAP": ".perturbation",
    "LIME": ".perturbation",
    "LinearSHAP": ".perturbation",
    "Occlusion": ".perturbation",
    "Saliency": ".gradient",
    "SmoothGrad": ".gradient",
    "check_explainer": ".testing",
}
# subpackages reachable as attributes (``skexplain.gradient``) after ``import skexplain``
_SUBMODULES = ("adapters", "base", "exceptions", "explanation", "gradient", "perturbation",
               "plotting", "testing", "utils")

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


def __getattr__(name):
    # Nothing is cached in globals(): a submodule imported again after leaving
    # sys.modules (pytester's in-process runs do that) must not leave a stale
    # class behind; the look-up is a dict access in sys.modules.
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name], __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
