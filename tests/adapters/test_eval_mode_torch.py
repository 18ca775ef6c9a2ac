"""The user's torch module keeps its training flags, also under threads.

Each explanation runs with the module in eval mode (Dropout off) and the
flags the user set are restored exactly afterwards, whether one thread or
several share the explainer (and the module), whether the guard is nested,
and whether the call raises.
"""
import copy
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from skexplain import (ExactShapley, IntegratedGradients, KernelSHAP,  # noqa: E402
                       Saliency)
from skexplain.adapters._torch import _HELD, eval_mode  # noqa: E402

N_THREADS, N_ROUNDS = 4, 12


def _dropout_net():
    """A float64 MLP with Dropout(p=0.5), left in train mode like a model mid-training."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(32, 3))
    return net.double().train()


def _flags(module):
    return [m.training for m in module.modules()]


EXPLAINERS = {
    "Saliency": lambda net: Saliency(net),
    "IntegratedGradients": lambda net: IntegratedGradients(net, n_steps=8),
    "KernelSHAP": lambda net: KernelSHAP(net, n_samples=32, batch_size=16, random_state=0),
    "ExactShapley": lambda net: ExactShapley(net, batch_size=64),
}


def _explain(explainer, X):
    return explainer.explain(X, target=1).values


@pytest.mark.parametrize("name", sorted(EXPLAINERS))
def test_threads_sharing_an_explainer_never_see_dropout(name):
    net = _dropout_net()
    rng = np.random.default_rng(0)
    X, background = rng.normal(size=(6, 5)), rng.normal(size=(8, 5))
    explainer = EXPLAINERS[name](net).fit(background)
    # Reference: one thread, on a copy of the module put in eval mode by hand.
    frozen = copy.deepcopy(net).eval()
    expected = _explain(EXPLAINERS[name](frozen).fit(background), X)
    assert _flags(net) == [True] * 5

    barrier = threading.Barrier(N_THREADS, timeout=60)
    results, errors = [], []

    def work():
        try:
            for _ in range(N_ROUNDS):
                barrier.wait()  # every round starts in all threads at once
                results.append(_explain(explainer, X))
        except Exception as exc:  # reported below: a thread's exception is not a failure
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work) for _ in range(N_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results) == N_THREADS * N_ROUNDS
    wrong = [i for i, values in enumerate(results)
             if not np.allclose(values, expected, rtol=1e-10, atol=1e-12)]
    assert not wrong, f"{len(wrong)} of {len(results)} explanations ran with Dropout active"
    assert _flags(net) == [True] * 5, "the user's module was left in another mode"
    assert not _HELD


def test_partly_trained_module_is_restored_exactly():
    net = _dropout_net()
    net[0].eval()
    net[2].eval()
    before = _flags(net)
    assert before == [True, False, True, False, True]
    X = np.random.default_rng(0).normal(size=(4, 5))
    explainer = IntegratedGradients(net, n_steps=4).fit(X)
    explainer.explain(X)
    KernelSHAP(net, n_samples=16, random_state=0).fit(X).explain(X)
    assert _flags(net) == before


def test_nested_guards_restore_on_the_last_exit():
    net = _dropout_net()
    net[3].eval()
    before = _flags(net)
    with eval_mode(net):
        with eval_mode(net[2]):  # an overlapping module: a block of the model
            with eval_mode(net):
                assert _flags(net) == [False] * 5
            assert _flags(net) == [False] * 5
        assert _flags(net) == [False] * 5
    assert _flags(net) == before
    assert not _HELD


def test_overlapping_guards_in_any_order():
    net = _dropout_net()
    before = _flags(net)
    inner = eval_mode(net[2])
    outer = eval_mode(net)
    inner.__enter__()
    outer.__enter__()
    inner.__exit__(None, None, None)  # the block leaves first: the model still holds it
    assert net[2].training is False
    outer.__exit__(None, None, None)
    assert _flags(net) == before


class Boom(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))

    def forward(self, x):
        if x.shape[0] > 1:
            raise RuntimeError("boom")
        return self.body(x)


def test_an_exception_inside_restores_the_flags():
    net = Boom().double().train()
    net.body[0].eval()
    before = _flags(net)
    with pytest.raises(RuntimeError, match="boom"):
        with eval_mode(net):
            raise RuntimeError("boom")
    assert _flags(net) == before
    X = np.zeros((3, 3))
    explainer = Saliency(net).fit(X[:1])  # fit evaluates one row at a time: fine
    with pytest.raises(ValueError, match="boom"):
        explainer.explain(X)
    assert _flags(net) == before
    assert not _HELD
