"""Randomization sanity checks as ``check_explainer`` checks.

They wrap :func:`model_parameter_randomization` and
:func:`data_randomization` on the check data; the verdict is the mean
Spearman correlation of |attributions| against
``thresholds["randomization_max_similarity"]`` and every metric is reported
in the result's details.
"""
import numpy as np

from ..utils._with_model import explained_model
from ._check_utils import CheckFailure, Measurement, SkipCheck
from ._randomize import randomizable_layers
from ._sanity import data_randomization, model_parameter_randomization

__all__ = ["check_model_randomization_cascading", "check_model_randomization_independent",
           "check_data_randomization"]


def _repeats(data):
    """Tabular models have few weights: average 5 random draws (images: one)."""
    return 5 if np.ndim(data.X) == 2 else 1


def _verdict(report):
    details = {"steps": report.steps, "scores": report.to_frame().to_dict(orient="list"),
               **report.details}
    message = (f"mean {report.metric} similarity between explanations of the trained and "
               f"the randomized models ({report.test}) = {report.statistic:.3g} (threshold: at "
               f"most {report.threshold:g})")
    if not report.passed:
        raise CheckFailure(message + "; the explanation barely depends on what was "
                           "randomized.", statistic=report.statistic,
                           threshold=report.threshold, details=details)
    return Measurement(report.statistic, report.threshold, message, details)


def _model_randomization(name, explainer_orig, data, mode):
    explainer = data.explainer(explainer_orig)
    model = explained_model(explainer)
    if not randomizable_layers(model):
        raise SkipCheck(f"the model {type(model).__name__} has no parameters that "
                        "can be randomized (torch modules, sklearn MLPs and linear models).")
    report = model_parameter_randomization(
        explainer, data.X, background=data.background, mode=mode,
        threshold=data.thresholds["randomization_max_similarity"],
        n_repeats=_repeats(data), random_state=data.random_state)
    return _verdict(report)


def check_model_randomization_cascading(name, explainer_orig, data):
    """Explanations change as layers are re-initialised from the output down."""
    return _model_randomization(name, explainer_orig, data, "cascading")


def check_model_randomization_independent(name, explainer_orig, data):
    """Explanations change when any single layer is re-initialised."""
    return _model_randomization(name, explainer_orig, data, "independent")


def check_data_randomization(name, explainer_orig, data):
    """Explanations change when the model is retrained on permuted labels.

    A torch module without ``train_fn`` is retrained by the default trainer of
    :func:`~skexplain.testing.data_randomization` (on a re-initialised copy).
    """
    explainer = data.explainer(explainer_orig)
    if data.y is None:
        raise SkipCheck("data randomization needs the labels y of the training data.")
    report = data_randomization(
        explainer, data.X_train, data.y, X_explain=data.X, background=data.background,
        train_fn=data.train_fn, threshold=data.thresholds["randomization_max_similarity"],
        n_repeats=_repeats(data), random_state=data.random_state)
    return _verdict(report)
