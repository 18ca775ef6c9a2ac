"""Randomization sanity checks of torch models, and the paper's headline result
(Adebayo et al., 2018) reproduced on a small CNN trained on sklearn's digits
(skipped without torch)."""
import copy

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skexplain.testing import (data_randomization, model_parameter_randomization,
                               randomizable_layers, randomize_model)

torch = pytest.importorskip("torch")
nn = torch.nn

RNG = np.random.default_rng(0)
X_TAB = RNG.normal(size=(60, 4))
Y_TAB = 2 * X_TAB[:, 0] - X_TAB[:, 1] + X_TAB[:, 2] * X_TAB[:, 3]


class HeadFirst(nn.Module):
    """Registers its output layer before its body (forward order differs)."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(6, 2)
        self.body = nn.Sequential(nn.Linear(4, 6), nn.ReLU())

    def forward(self, x):
        return self.head(self.body(x))


def test_torch_layers_follow_the_forward_pass():
    torch.manual_seed(0)
    model = HeadFirst()
    assert randomizable_layers(model) == ["body.0", "head"]  # registration order, reversed
    assert randomizable_layers(model, X_TAB[:2]) == ["head", "body.0"]  # from the output down
    assert not any(m._forward_hooks for m in model.modules())


def test_torch_randomization_uses_reset_parameters_on_a_copy():
    torch.manual_seed(0)
    model = HeadFirst()
    state = copy.deepcopy(model.state_dict())
    rng_state = torch.random.get_rng_state()
    new = randomize_model(model, ["head"], random_state=0)
    assert torch.equal(torch.random.get_rng_state(), rng_state)  # global RNG untouched
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    assert torch.equal(new.body[0].weight, model.body[0].weight)
    assert not torch.equal(new.head.weight, model.head.weight)
    assert new.head.weight.abs().max() <= 1 / np.sqrt(6)  # nn.Linear's kaiming-uniform bound
    both = randomize_model(model, ["head", "body.0"], random_state=0)
    assert torch.equal(both.head.weight, new.head.weight)  # cascading == independent draws


def _train_mlp(model, X, y, epochs=60):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    return model


def test_torch_data_randomization_with_train_fn():
    from skexplain import Saliency

    torch.manual_seed(0)
    y = (Y_TAB > 0).astype(int)
    model = _train_mlp(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)), X_TAB, y)
    state = copy.deepcopy(model.state_dict())
    report = data_randomization(Saliency(model), X_TAB, y, train_fn=_train_mlp, n_repeats=2)
    assert report.passed, report.to_frame()
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    # Without train_fn the default trainer retrains a re-initialised copy.
    assert data_randomization(Saliency(model), X_TAB, y, n_repeats=2).passed
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())


# ----------------------------------------- Adebayo et al.: the headline finding
@pytest.fixture(scope="module")
def digits_cnn():
    """A small CNN trained on 8x8 digits in about a second on 2 CPU cores."""
    torch.set_num_threads(2)
    torch.manual_seed(0)
    X, y = load_digits(return_X_y=True)
    X = torch.tensor((X / 16.0).reshape(-1, 1, 8, 8), dtype=torch.float32)
    y = torch.tensor(y)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    order = torch.Generator().manual_seed(0)
    for _ in range(4):
        perm = torch.randperm(len(X), generator=order)
        for start in range(0, len(X), 128):
            idx = perm[start:start + 128]
            opt.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    accuracy = float((model(X).argmax(1) == y).float().mean())
    return model, X.numpy(), accuracy


def test_cascading_randomization_digits_cnn(digits_cnn):
    from skexplain import GuidedBackprop, Saliency

    model, X, accuracy = digits_cnn
    assert accuracy > 0.9
    rows, background = X[1500:1524], X[:16]
    saliency = model_parameter_randomization(Saliency(model), rows, background=background)
    guided = model_parameter_randomization(GuidedBackprop(model), rows, background=background)
    assert saliency.steps == ["8", "6", "2", "0"]  # logits first, first conv last
    assert set(saliency.scores) == {"spearman_abs", "spearman", "ssim", "hog", "top_k"}
    # Paper: gradients change as soon as the top layer is randomized; Guided
    # Backprop stays nearly invariant (Adebayo et al., Fig. 2).
    assert saliency.passed and saliency.statistic < 0.35
    assert not guided.passed and guided.statistic > 0.6
    assert saliency.to_frame().loc["8", "spearman_abs"] < guided.to_frame().loc["8",
                                                                                "spearman_abs"]


def test_check_explainer_on_the_digits_cnn(digits_cnn):
    from skexplain import GuidedBackprop, Saliency
    from skexplain.testing import check_explainer

    model, X, _ = digits_cnn
    checks = ["check_model_randomization_cascading", "check_wrong_width", "check_pickle"]
    assert check_explainer(Saliency(model), X[:40], checks=checks).passed
    guided = check_explainer(GuidedBackprop(model), X[:40], checks=checks, on_fail=None)
    assert [r.check for r in guided.failed] == ["check_model_randomization_cascading"]


def test_check_explainer_needs_x_for_a_conv_net():
    from skexplain import Saliency
    from skexplain.testing import check_explainer

    # a Flatten -> Linear head that no side of 8, 16 or 32 fits (2 * s'^2 != 50)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(50, 2))
    with pytest.raises(ValueError, match=r"cannot build a toy input for the torch module "
                                         r"Sequential: its first layer is Conv2d.*\(n, 1, s, "
                                         r"s\) for s in \(8, 16, 32\); pass X"):
        check_explainer(Saliency(model))
