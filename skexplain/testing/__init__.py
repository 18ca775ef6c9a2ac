"""Testing tools for explainers and explanations.

``check_explainer`` is scikit-learn's ``check_estimator`` for explainers:
API conformance, the axioms an explainer claims in its tags, and the
randomization sanity checks of Adebayo et al. (2018).  The ``assert_*``
helpers state properties of explanations in a test suite (the pytest plugin,
:mod:`skexplain.testing.pytest_plugin`, reports them).  Names are imported
on first use (PEP 562), so that importing the pytest plugin imports no
explainer; no name imports torch or matplotlib until a torch model is
randomized or a report is plotted.
"""
from .._lazy import lazy_attributes

# public name -> the submodule that defines it (one entry per name)
_LAZY_NAMES = {
    "ALL_CHECKS": "._check_explainer",
    "CheckFailedWarning": "._check_utils",
    "CheckFailure": "._check_utils",
    "CheckResult": "._check_explainer",
    "CheckResults": "._check_explainer",
    "ConstantExplainer": "._controls",
    "DEFAULT_THRESHOLDS": "._check_utils",
    "METRICS": "._sanity",
    "RandomExplainer": "._controls",
    "SanityReport": "._report",
    "assert_additive": "._assertions",
    "assert_explanations_close": "._assertions",
    "assert_feature_unused": "._assertions_features",
    "assert_passes_sanity_checks": "._assertions_sanity",
    "assert_sign": "._assertions_features",
    "assert_top_features": "._assertions_features",
    "bracket_language": "._char_lstm",
    "check_explainer": "._check_explainer",
    "data_randomization": "._sanity",
    "map_similarity": "._sanity",
    "model_parameter_randomization": "._sanity",
    "parametrize_with_checks": "._check_explainer",
    "randomizable_layers": "._randomize",
    "randomize_model": "._randomize",
    "similarity_scores": "._sanity",
    "train_on_permuted_labels": "._randomize",
}
# public submodules, reachable as attributes (``skexplain.testing.metrics``)
_SUBMODULES = ("metrics", "pytest_plugin")

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
    "assert_additive",
    "assert_explanations_close",
    "assert_feature_unused",
    "assert_passes_sanity_checks",
    "assert_sign",
    "assert_top_features",
    "bracket_language",
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


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY_NAMES, _SUBMODULES)
