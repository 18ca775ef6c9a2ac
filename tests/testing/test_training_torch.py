"""The default trainer of torch modules, and the data-randomization check it enables.

A torch module cannot be refitted like an sklearn estimator, so without a
``train_fn`` the check trains copies by full-batch Adam; the built-in toy
problem gives torch modules labels they can learn.
"""
import copy

import numpy as np
import pytest

from skexplain import IntegratedGradients, Saliency
from skexplain.testing import ConstantExplainer, check_explainer, data_randomization

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain.testing._toy_torch import toy_labels, toy_problem, train_module  # noqa: E402


def _mlp(n_out=3, dropout=False):
    torch.manual_seed(0)
    layers = [nn.Linear(5, 16), nn.ReLU()] + ([nn.Dropout(0.2)] if dropout else [])
    return nn.Sequential(*layers, nn.Linear(16, n_out))


def _snapshot(module):
    return copy.deepcopy(module.state_dict()), [m.training for m in module.modules()]


def _same(module, snapshot):
    state, flags = snapshot
    return (all(torch.equal(v, module.state_dict()[k]) for k, v in state.items())
            and [m.training for m in module.modules()] == flags)


@pytest.mark.parametrize("n_out", [1, 3])
def test_train_module_learns_the_toy_labels_on_a_copy(n_out):
    module = _mlp(n_out, dropout=True)
    module[2].eval()  # a partly frozen module keeps its flags
    before = _snapshot(module)
    rng_state = torch.random.get_rng_state()
    X = np.random.default_rng(0).normal(size=(80, 5))
    y = toy_labels(X, n_out)
    trained = train_module(module, X, y, random_state=1)
    assert trained is not module and _same(module, before)
    assert torch.equal(torch.random.get_rng_state(), rng_state)  # global RNG untouched
    assert [m.training for m in trained.modules()] == before[1]
    with torch.no_grad():
        out = trained.eval()(torch.as_tensor(X, dtype=torch.float32)).numpy()
    if n_out == 1:
        assert 1 - np.mean((out[:, 0] - y) ** 2) / np.var(y) > 0.9  # R^2
    else:
        assert np.bincount(y).min() >= 26  # balanced classes (quantile bins)
        assert np.mean(out.argmax(1) == y) > 0.9


def test_train_module_is_deterministic_and_seeded():
    X = np.random.default_rng(0).normal(size=(40, 5))
    y = toy_labels(X, 3)
    module = _mlp(dropout=True)
    a, b = (train_module(module, X, y, random_state=0) for _ in range(2))
    c = train_module(module, X, y, random_state=1)  # another Dropout draw
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    assert not torch.equal(a[-1].weight, c[-1].weight)


@pytest.mark.parametrize("y, got", [
    (np.arange(40) % 5, r"at most 3 distinct\) .*got an array of shape \(40,\) .*5 distinct"),
    (np.zeros((40, 2)), r"got an array of shape \(40, 2\)"),
    (np.zeros(40), r"got an array of shape \(40,\) and dtype float64 with 1 distinct"),
])
def test_train_module_refuses_labels_it_cannot_fit(y, got):
    X = np.zeros((40, 5))
    with pytest.raises(ValueError, match=r"^y must be one number per row .*" + got):
        train_module(_mlp(3), X, y)


def test_toy_problem_trains_a_copy():
    module = _mlp(3)
    before = _snapshot(module)
    trained, X, y = toy_problem(module)
    assert _same(module, before) and trained is not module
    assert X.shape == (80, 5) and set(np.unique(y)) == {0, 1, 2}


@pytest.mark.parametrize("explainer", [Saliency, IntegratedGradients])
def test_check_data_randomization_runs_on_torch_without_train_fn(explainer):
    module = _mlp(3)
    before = _snapshot(module)
    result = check_explainer(explainer(module), checks=["check_data_randomization"])[0]
    assert result.status == "passed", result.message
    assert result.statistic < 0.3  # measured: about -0.14 to 0.05
    assert _same(module, before)


def test_check_data_randomization_fails_an_explainer_that_ignores_the_torch_model():
    result = check_explainer(ConstantExplainer(_mlp(3)), checks=["check_data_randomization"],
                             on_fail=None)[0]
    assert result.status == "failed" and result.statistic == 1.0


def test_data_randomization_with_user_data_and_no_train_fn():
    X = np.random.default_rng(1).normal(size=(60, 5))
    y = toy_labels(X, 3)
    module = train_module(_mlp(3), X, y)
    before = _snapshot(module)
    report = data_randomization(Saliency(module), X, y, n_repeats=2)
    assert report.passed and report.statistic < 0.3
    assert _same(module, before)
    results = check_explainer(Saliency(module), X, y, checks=["check_data_randomization"])
    assert results[0].status == "passed"
