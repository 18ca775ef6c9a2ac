"""Perturbation explainers: a sampler of masks, weights and a solver over
:class:`CoalitionEvaluator`."""
from ._coalitions import CoalitionEvaluator
from ._groups import grid_segments
from ._exact import ExactShapley
from ._kernel_shap import KernelSHAP
from ._lime import LIME
from ._linear import LinearSHAP
from ._occlusion import Occlusion

__all__ = ["CoalitionEvaluator", "ExactShapley", "KernelSHAP", "LIME", "LinearSHAP",
           "Occlusion", "grid_segments"]
