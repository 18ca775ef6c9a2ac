"""Swapping an explainer's model when a parameter is a submodule of the model.

``GradCAM(net, layer=net[2])`` set onto a randomized or retrained copy of
``net`` must use the copy's layer ``"2"``, not the original's (which is not
part of the copy: its fit would refuse it, or worse, explain the wrong net).
``clone_with_model`` renames such parameters; every place that swaps the
model goes through it.
"""
import copy

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from skexplain import CAM, ExactShapley, GradCAM
from skexplain.testing import (check_explainer, data_randomization,
                               model_parameter_randomization)
from skexplain.utils._with_model import clone_with_model, submodule_params

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain.testing._toy_torch import toy_problem  # noqa: E402


def gap_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 8, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))


@pytest.fixture(scope="module")
def problem():
    return toy_problem(gap_cnn())


def test_submodules_of_the_model_become_their_dotted_names():
    net = gap_cnn()
    stranger = nn.Conv2d(1, 1, 3)
    assert submodule_params(GradCAM(net, layer=net[2])) == {"layer": "2"}
    assert submodule_params(CAM(net, layer=net[3], fc=net[6])) == {"layer": "3", "fc": "6"}
    assert submodule_params(GradCAM(net, layer="2")) == {}
    assert submodule_params(GradCAM(net, layer=stranger)) == {}  # not ours to rename
    assert submodule_params(ExactShapley(Ridge())) == {}
    shared = nn.ReLU()  # a module reached under two names: the first one listed
    twice = nn.Sequential(nn.Conv2d(1, 2, 3), shared, nn.Conv2d(2, 2, 3), shared)
    assert submodule_params(GradCAM(twice, layer=shared)) == {"layer": "1"}


def test_clone_with_model_follows_the_copy_and_changes_nothing():
    net = gap_cnn()
    explainer = CAM(net, layer=net[3], fc=net[6], upsample="nearest")
    copied = copy.deepcopy(net)
    clone = clone_with_model(explainer, copied)
    assert clone.model is copied and clone.layer == "3" and clone.fc == "6"
    assert clone.upsample == "nearest"
    assert explainer.model is net and explainer.layer is net[3] and explainer.fc is net[6]
    same = clone_with_model(explainer, net)  # the same model: parameters kept as given
    assert same.layer is net[3] and same.fc is net[6]
    X = torch.randn(4, 1, 8, 8)
    fitted = clone.fit(X)
    assert fitted.layer_ == "3" and fitted.fc_ == "6"


def test_a_layer_given_as_a_module_follows_the_randomized_copies(problem):
    model, X, _ = problem
    by_module = GradCAM(model, layer=model[2])
    by_name = GradCAM(model, layer="2")
    for mode in ("cascading", "independent"):
        reports = [model_parameter_randomization(e, X[:6], background=X[6:16], mode=mode)
                   for e in (by_module, by_name)]
        np.testing.assert_array_equal(reports[0].to_frame()["spearman_abs"],
                                      reports[1].to_frame()["spearman_abs"])
    assert by_module.layer is model[2]  # the explainer given is left as it was


def test_a_layer_given_as_a_module_follows_the_retrained_copies(problem):
    model, X, y = problem
    reports = [data_randomization(GradCAM(model, layer=layer), X, y, X_explain=X[:6])
               for layer in (model[2], "2")]
    assert reports[0].statistic == reports[1].statistic


def test_check_explainer_trains_a_copy_and_renames_the_layer():
    net = gap_cnn()
    checks = ["check_fit_attributes", "check_model_randomization_cascading",
              "check_data_randomization"]
    results = check_explainer(GradCAM(net, layer=net[2]), checks=checks)
    assert results.passed
