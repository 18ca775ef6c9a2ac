"""Testing tools for explainers: check_explainer, sanity checks, metrics.

``check_explainer`` is scikit-learn's ``check_estimator`` for explainers:
API conformance, the axioms an explainer claims in its tags, and the
randomization sanity checks of Adebayo et al. (2018).  This package imports
neither torch nor matplotlib; they are imported when a torch model is
randomized or a report is plotted.
"""
from . import metrics
from ._check_explainer import (ALL_CHECKS, CheckResult, CheckResults, check_explainer,
                               parametrize_with_checks)
from ._check_utils import DEFAULT_THRESHOLDS, CheckFailedWarning, CheckFailure
from ._controls import ConstantExplainer, RandomExplainer
from ._randomize import randomizable_layers, randomize_model, train_on_permuted_labels
from ._report import SanityReport
from ._sanity import (METRICS, data_randomization, map_similarity,
                      model_parameter_randomization, similarity_scores)

__all__ = [
    "ALL_CHECKS",
    "CheckFailedWarning",
    "CheckFailure",
    "CheckResult",
    "CheckResults",
    "ConstantExplainer",
    "DEFAULT_THRESHOLDS",
    "METRICS",
    "RandomExplainer",
    "SanityReport",
    "check_explainer",
    "data_randomization",
    "map_similarity",
    "metrics",
    "model_parameter_randomization",
    "parametrize_with_checks",
    "randomizable_layers",
    "randomize_model",
    "similarity_scores",
    "train_on_permuted_labels",
]
