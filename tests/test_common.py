"""Run every applicable check on every public explainer (imbalanced-learn's pattern).

Explainers are discovered from ``skexplain.__all__``, so a new explainer is
checked as soon as it is exported.  ``INIT_PARAMS`` gives the instances to
check; an explainer missing from it gets a default model chosen from its tags
(an sklearn regressor, else a small torch MLP).  ``EXPECTED_FAILED_CHECKS``
lists known failures with their reason (marked xfail, not strict).
"""
import inspect

from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge

import skexplain
from skexplain import ExactShapley, KernelSHAP
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
}

# Known failures: {explainer class name: {check name: reason}} (none at present).
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


def default_params(cls):
    """A model chosen from the explainer's tags, and random_state=0 if it has one."""
    model_types = cls(None).__skexplain_tags__().model_types
    if "sklearn" in model_types:
        params = dict(model=Ridge())
    else:
        try:
            params = dict(model=_torch_mlp())
        except ImportError:
            return None
    if "random_state" in inspect.signature(cls).parameters:
        params["random_state"] = 0
    return params


def instances():
    for cls in public_explainers():
        for params in INIT_PARAMS.get(cls, [default_params(cls)]):
            if params is not None:
                yield cls(**params)


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
