"""Run every applicable check on every public explainer (imbalanced-learn's pattern).

Explainers are discovered from ``skexplain.__all__``, so a new explainer is
checked as soon as it is exported.  ``INIT_PARAMS`` gives the instances to
check; an explainer missing from it gets a default model chosen from its tags
(an sklearn regressor, else a small torch MLP).  ``EXPECTED_FAILED_CHECKS``
lists known failures with their reason (marked xfail, not strict).
"""
import inspect
import warnings

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import (
    parametrize_with_checks as sklearn_parametrize_with_checks)

import skexplain
from skexplain import LIME, ExactShapley, KernelSHAP, LinearSHAP, Occlusion
from skexplain.exceptions import ApproximationWarning
from skexplain.base import BaseExplainer
from skexplain.testing import parametrize_with_checks

INIT_PARAMS = {
    ExactShapley: [
        dict(model=GradientBoostingRegressor(n_estimators=20, max_depth=2, random_state=0)),
        dict(model=LogisticRegression()),  # several outputs, randomizable coefficients
        # Groups and interactions change the feature axes of values, transform and
        # get_feature_names_out.  On the 4-feature axiom problem, [0, 2] leaves the
        # dummy feature 3 alone (checked) and [2, 3] the symmetric pair 0, 1.
        dict(model=Ridge(), feature_groups=[[0, 2]]),
        dict(model=LogisticRegression(), interactions=True),
        dict(model=LogisticRegression(), feature_groups={"pair": [2, 3]}, interactions=True),
    ],
    KernelSHAP: [
        dict(model=Ridge(), random_state=0),
        dict(model=LogisticRegression(), feature_groups={"pair": [2, 3]}, random_state=0),
    ],
    LIME: [
        dict(model=Ridge(), n_samples=2000, random_state=0),
        dict(model=LogisticRegression(), n_samples=2000, discretizer=None, random_state=0),
        dict(model=Ridge(), n_samples=2000, feature_groups=[[0, 2]], n_features=2,
             random_state=0),
    ],
    Occlusion: [
        dict(model=GradientBoostingRegressor(n_estimators=20, max_depth=2, random_state=0)),
        dict(model=LogisticRegression(), feature_groups=[[0, 2]]),
        # a sliding window claims linearity only (a window credits a feature for its
        # neighbours); over the 5 columns of the toy problem the last window is cut off
        dict(model=LogisticRegression(), window=2, stride=2),
    ],
}

# Known failures: {explainer class name: {check name: reason}} (none at present).
# GuidedGradCAM is not listed although Adebayo et al. (2018) found Guided Grad-CAM nearly
# invariant to randomization: on this GAP CNN the layer keeps the input's 8x8 resolution,
# so the product with guided backprop follows Grad-CAM's full-resolution map, which
# randomization changes (measured: similarities -0.001 cascading, 0.013 independent,
# 0.052 data, threshold 0.5).  The paper's failure needs a coarse layer map (pooling
# below the layer); a check that passes is not marked as failing.
EXPECTED_FAILED_CHECKS = {}


def public_explainers():
    """Explainer classes exported by skexplain (BaseExplainer subclasses)."""
    classes = {getattr(skexplain, name, None) for name in skexplain.__all__}
    return sorted((c for c in classes if inspect.isclass(c) and issubclass(c, BaseExplainer)
                   and c is not BaseExplainer), key=lambda c: c.__name__)


def _torch_mlp():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


# Image explainers need inputs with a channel axis and spatial axes: they are checked
# on a small GAP CNN, on check_explainer's built-in toy images of 1x8x8.  Each gets the
# instances listed here, {} being the default; CAM's explicit layer and fc are modules
# of the model, which the checks must follow into the copies they train and randomize.
IMAGE_EXPLAINERS = {
    "CAM": [lambda net: {}, lambda net: dict(layer=net[3], fc=net[6])],
    "GradCAM": [lambda net: {}, lambda net: dict(relu=False)],
    "GuidedGradCAM": [lambda net: {}],
}


def _torch_gap_cnn():
    import torch

    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))


def default_params(cls):
    """A model chosen from the explainer's tags, and random_state=0 if it has one."""
    model_types = cls(None).__skexplain_tags__().model_types
    if "sklearn" in model_types:
        params = dict(model=Ridge())
    else:
        try:
            make = _torch_gap_cnn if cls.__name__ in IMAGE_EXPLAINERS else _torch_mlp
            params = dict(model=make())
        except ImportError:
            return None
    if "random_state" in inspect.signature(cls).parameters:
        params["random_state"] = 0
    return params


def instances():
    for cls in public_explainers():
        for params in INIT_PARAMS.get(cls, [default_params(cls)]):
            if params is not None:
                for extra in IMAGE_EXPLAINERS.get(cls.__name__, [lambda net: {}]):
                    yield cls(**params, **extra(params["model"]))


def expected_failed_checks(explainer):
    return EXPECTED_FAILED_CHECKS.get(type(explainer).__name__, {})


@parametrize_with_checks(list(instances()), expected_failed_checks=expected_failed_checks)
def test_explainer_checks(explainer, check):
    check(explainer)


def test_every_public_explainer_is_checked():
    checked = {type(e) for e in instances()}
    assert ExactShapley in checked
    kinds = [e.get_params() for e in instances() if isinstance(e, (ExactShapley, KernelSHAP))]
    assert any(p["feature_groups"] is not None for p in kinds)
    assert any(p.get("interactions") for p in kinds)
    # Only explainers that need an optional dependency that is missing are left out.
    assert all(default_params(c) is None for c in set(public_explainers()) - checked)


# --------------------------------------------------------------------------
# scikit-learn's own estimator checks (as imbalanced-learn runs them), with
# models of any width: the checks fit on random data of 1 to 30 columns.
def sklearn_instances():
    from anywidth_models import AnyWidthFunction, torch

    yield ExactShapley(AnyWidthFunction())
    yield KernelSHAP(AnyWidthFunction(), n_samples=64, random_state=0)
    yield LIME(AnyWidthFunction(), n_samples=64, random_state=0)
    yield Occlusion(AnyWidthFunction())
    # an imputer: LinearSHAP's tags allow NaN where the model does
    linear = make_pipeline(SimpleImputer(keep_empty_features=True), Ridge())
    yield LinearSHAP(linear.fit(_LINEAR_X, _LINEAR_X @ np.arange(1.0, 4.0)))
    if torch is not None:
        from anywidth_models import AnyWidthNet

        for name in GRADIENT_EXPLAINERS:
            cls = getattr(skexplain, name)
            params = {"random_state": 0} if "random_state" in cls(None).get_params() else {}
            yield cls(AnyWidthNet(), **params)


# sklearn's estimator checks fit and transform 2-D (tabular) data only, which image
# explainers refuse by design (X needs a channel axis and a spatial axis): not run on them.
SKLEARN_EXCLUDED = {name: ("an image method: it refuses the 2-D data that every sklearn "
                           "estimator check feeds") for name in IMAGE_EXPLAINERS}
GRADIENT_EXPLAINERS = ("DeepLIFT", "ExpectedGradients", "GradientXInput", "GuidedBackprop",
                       "IntegratedGradients", "Saliency", "SmoothGrad")
_LINEAR_X = np.random.default_rng(0).normal(size=(20, 3))

_TORCH_HASH = ("joblib.hash of a torch module differs from that of its deepcopy (tensors "
               "pickle by storage identity), so sklearn cannot compare them; skexplain's "
               "check_inputs_not_mutated compares the module's state and modes instead")
_FIXED_WIDTH = ("LinearSHAP explains a linear model whose coef_ fixes the width (3 columns); "
                "this check fits on data of another width, which the model refuses")
SKLEARN_EXPECTED_FAILED_CHECKS = {
    "ExactShapley": {
        "check_sample_weight_equivalence_on_dense_data": (
            "30 varying features: 2^30 coalitions per row, refused above max_features "
            "(TooManyFeaturesError) by design"),
    },
    "LinearSHAP": {name: _FIXED_WIDTH for name in (
        "check_estimators_overwrite_params", "check_estimators_fit_returns_self",
        "check_readonly_memmap_input", "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit", "check_estimators_dtypes",
        "check_sample_weights_pandas_series", "check_sample_weights_not_an_array",
        "check_sample_weights_shape", "check_sample_weights_not_overwritten",
        "check_sample_weight_equivalence_on_dense_data", "check_dtype_object",
        "check_fit2d_1sample", "check_fit2d_1feature", "check_fit_idempotent",
        "check_fit_check_is_fitted", "check_n_features_in")},
    **{name: {"check_estimators_overwrite_params": _TORCH_HASH} for name in GRADIENT_EXPLAINERS},
}
SKLEARN_EXPECTED_FAILED_CHECKS["ExpectedGradients"]["check_sample_weight_equivalence_on_dense_data"] = (
    "ExpectedGradients samples background rows: weights used as probabilities and repeated "
    "rows draw different samples (equal in distribution, not draw by draw)")
_NOISE_BY_POSITION = ("the noise is drawn for the batch from random_state, so a row's values "
                      "depend on its position among the rows explained with it (reproducible "
                      "for a fixed seed and batch, not invariant to reordering or subsets)")
for _name in ("ExpectedGradients", "SmoothGrad"):
    SKLEARN_EXPECTED_FAILED_CHECKS[_name].update({
        "check_methods_sample_order_invariance": _NOISE_BY_POSITION,
        "check_methods_subset_invariance": _NOISE_BY_POSITION})
SKLEARN_EXPECTED_FAILED_CHECKS["SmoothGrad"]["check_estimators_dtypes"] = (
    "its integer rows include a constant row: noise relative to a row's range would be zero "
    "there, so SmoothGrad refuses it and asks for noise_std (issue 16)")


def sklearn_expected_failed_checks(explainer):
    return SKLEARN_EXPECTED_FAILED_CHECKS.get(type(explainer).__name__, {})


@sklearn_parametrize_with_checks(list(sklearn_instances()),
                                 expected_failed_checks=sklearn_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximationWarning)  # tiny budgets on purpose
        check(estimator)


def test_every_public_explainer_meets_sklearn_checks():
    checked = {type(e).__name__ for e in sklearn_instances()}
    expected = {c.__name__ for c in public_explainers()} - set(SKLEARN_EXCLUDED)
    try:
        import torch  # noqa: F401
    except ImportError:
        expected -= set(GRADIENT_EXPLAINERS)
    assert checked == expected
