"""Gradient explainers for torch modules (and scikit-learn MLPs / linear models).

All of them run through :class:`~skexplain.gradient._engine.GradientEngine`,
the only code that calls ``torch.autograd.grad``.  Importing this package does
not import torch.
"""
from ._cam import CAM
from ._deeplift import DeepLIFT
from ._expected_gradients import ExpectedGradients
from ._grad_cam import GradCAM, GuidedGradCAM
from ._guided_backprop import GuidedBackprop
from ._integrated_gradients import IntegratedGradients
from ._paths import quadrature
from ._saliency import GradientXInput, Saliency
from ._smoothgrad import SmoothGrad

__all__ = ["CAM", "DeepLIFT", "ExpectedGradients", "GradCAM", "GradientXInput", "GuidedBackprop",
           "GuidedGradCAM", "IntegratedGradients", "Saliency", "SmoothGrad", "quadrature"]
