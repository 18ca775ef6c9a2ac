"""Perturbation explainers: a sampler of masks, weights and a solver over
:class:`CoalitionEvaluator`."""
from ._coalitions import CoalitionEvaluator
from ._exact import ExactShapley
from ._kernel_shap import KernelSHAP
from ._linear import LinearSHAP
from ._occlusion import Occlusion

__all__ = ["CoalitionEvaluator", "ExactShapley", "KernelSHAP", "LinearSHAP", "Occlusion"]
