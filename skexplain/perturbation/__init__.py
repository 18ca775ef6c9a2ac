"""Perturbation explainers: a sampler of masks, weights and a solver over
:class:`CoalitionEvaluator`."""
from ._coalitions import CoalitionEvaluator
from ._exact import ExactShapley

__all__ = ["CoalitionEvaluator", "ExactShapley"]
