"""check_explainer on convolutional torch modules without X: the built-in toy images.

A module whose first parametrised layer is ``nn.Conv1d``/``nn.Conv2d`` gets
random images of side 8 (16 or 32 when its forward pass needs them) with
labels a CNN can learn (top-left minus bottom-right quadrant mean), and a
trained copy; the user's module is never trained.
"""
import copy

import numpy as np
import pytest

from skexplain import Saliency
from skexplain.testing import check_explainer
from skexplain.testing._toy_models import make_check_data

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain.testing._toy_torch import (input_shape, toy_image_labels,  # noqa: E402
                                          toy_problem)


def gap_cnn(in_channels=1, n_out=3, conv=nn.Conv2d, pool=nn.AdaptiveAvgPool2d):
    torch.manual_seed(0)
    return nn.Sequential(conv(in_channels, 6, 3, padding=1), nn.ReLU(),
                         conv(6, 8, 3, padding=1), nn.ReLU(), pool(1), nn.Flatten(),
                         nn.Linear(8, n_out))


def _state(module):
    return copy.deepcopy(module.state_dict()), [m.training for m in module.modules()]


def _unchanged(module, state):
    params, flags = state
    return (all(torch.equal(v, module.state_dict()[k]) for k, v in params.items())
            and [m.training for m in module.modules()] == flags)


@pytest.mark.parametrize("make, shape", [
    (lambda: gap_cnn(), (1, 8, 8)),
    (lambda: gap_cnn(3), (3, 8, 8)),
    (lambda: gap_cnn(2, conv=nn.Conv1d, pool=nn.AdaptiveAvgPool1d), (2, 8)),
    # a Flatten -> Linear head fixes the size: 8 fails, 16 is the first that fits
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 14 * 14, 2)),
     (1, 16, 16)),
    (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 30 * 30, 2)),
     (1, 32, 32)),
    (lambda: nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2)), (5,)),
])
def test_input_shape_follows_the_first_layer_and_the_forward_pass(make, shape):
    module = make()
    state = _state(module)
    assert input_shape(module) == shape
    assert _unchanged(module, state)


def test_input_shape_refuses_other_first_layers():
    module = nn.Sequential(nn.Conv3d(1, 2, 3), nn.Flatten(), nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"cannot build a toy input .* Sequential \(its first "
                                         r"layer is not nn.Linear, nn.Conv1d or nn.Conv2d\); "
                                         "pass X"):
        input_shape(module)


def test_toy_image_labels_follow_the_quadrant_signal():
    X = np.zeros((2, 1, 8, 8))
    X[0, :, :4, :4] = 1.0  # bright top-left: high signal
    X[1, :, 4:, 4:] = 1.0  # bright bottom-right: low signal
    np.testing.assert_allclose(toy_image_labels(X, 1), [1.0, -1.0])
    assert list(toy_image_labels(X, 2)) == [1, 0]
    signal = np.zeros((2, 3, 8))
    signal[0, :, :2] = 2.0
    np.testing.assert_allclose(toy_image_labels(signal, 1), [2.0, 0.0])
    y = toy_image_labels(np.random.default_rng(0).normal(size=(90, 1, 8, 8)), 3)
    assert np.bincount(y).tolist() == [30, 30, 30]  # balanced quantile bins


@pytest.mark.parametrize("conv, pool, shape", [
    (nn.Conv2d, nn.AdaptiveAvgPool2d, (80, 1, 8, 8)),
    (nn.Conv1d, nn.AdaptiveAvgPool1d, (80, 1, 8)),
])
def test_toy_problem_trains_a_copy_that_learns_the_labels(conv, pool, shape):
    module = gap_cnn(conv=conv, pool=pool)
    state = _state(module)
    trained, X, y = toy_problem(module)
    assert trained is not module and _unchanged(module, state)
    assert X.shape == shape and sorted(set(y)) == [0, 1, 2]
    with torch.no_grad():
        predicted = trained(torch.as_tensor(X, dtype=torch.float32)).argmax(1).numpy()
    assert np.mean(predicted == y) > 0.9  # learnable: the randomization checks mean something


def test_check_data_of_a_cnn_are_toy_images_and_a_trained_copy():
    module = gap_cnn()
    data = make_check_data(Saliency(module))
    assert data.X.shape == (8, 1, 8, 8) and data.background.shape == (20, 1, 8, 8)
    assert data.X_train.shape == (80, 1, 8, 8) and data.model is not module


def test_saliency_on_a_gap_cnn_passes_check_explainer_without_x():
    module = gap_cnn()
    state = _state(module)
    results = check_explainer(Saliency(module))
    assert results.passed
    assert results["check_output_shapes"].status == "passed"
    for name in ("check_model_randomization_cascading", "check_model_randomization_independent",
                 "check_data_randomization"):
        assert results[name].status == "passed" and results[name].statistic < 0.5
    assert _unchanged(module, state)


def test_gradcam_on_a_gap_cnn_passes_check_explainer_without_x():
    # (GradCAM(relu=False), GuidedGradCAM and CAM get the same in tests/test_common.py)
    from skexplain import GradCAM

    module = gap_cnn()
    state = _state(module)
    results = check_explainer(GradCAM(module))
    assert results.passed
    assert results["check_output_shapes"].message.startswith("values (8, 1, 8, 8)")
    assert results["check_model_randomization_cascading"].statistic < 0.5
    assert _unchanged(module, state)


def test_gradcam_on_a_conv1d_net_passes_check_explainer_without_x():
    from skexplain import GradCAM

    module = gap_cnn(conv=nn.Conv1d, pool=nn.AdaptiveAvgPool1d)
    results = check_explainer(GradCAM(module), checks=[
        "check_output_shapes", "check_batch_size_invariance", "check_data_randomization"])
    assert results.passed
    assert results["check_output_shapes"].message.startswith("values (8, 1, 8)")
