"""KernelSHAP keeps the designs of an int ``random_state`` between explain calls:
values identical to a fresh explainer's, whatever changed in between."""
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from skexplain import KernelSHAP


def interactions(X):
    X = np.asarray(X, dtype=float)
    return X[:, 0] * X[:, 1] + np.sin(X[:, 2]) * X[:, 3] + np.tanh(X[:, 4] - X[:, 5])


@pytest.fixture
def data():
    # d=7: adaptive allocation starts at 12 coalitions per feature (84), below 2^7 - 2
    rng = np.random.default_rng(0)
    return rng.normal(size=(30, 7)), rng.normal(size=(5, 7)), rng.normal(size=(30, 7))


def _fresh(background, X, **kw):
    return KernelSHAP(interactions, **kw).fit(background).explain(X)


def _same(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.stderr, b.stderr)
    assert a.metadata["n_model_rows"] == b.metadata["n_model_rows"]


@pytest.mark.parametrize("kw", [{"n_samples": 18}, {"n_samples": 84},
                                {"n_samples": 84, "allocation": "equal"},
                                {"n_samples": 40, "tol": 0.01}])
def test_a_second_call_reuses_the_designs_and_gives_the_same_values(data, kw):
    background, X, _ = data
    explainer = KernelSHAP(interactions, random_state=3, **kw).fit(background)
    first = explainer.explain(X)
    assert first.metadata["allocation"] == kw.get("allocation", (
        "adaptive" if kw["n_samples"] == 84 and "tol" not in kw else "equal"))
    assert explainer._designs._kept[1].factored  # designs kept for the next call
    _same(explainer.explain(X), first)
    _same(explainer.explain(X[2:4]), _fresh(background, X[2:4], random_state=3, **kw))


def test_whatever_changes_between_calls_gives_a_fresh_explainers_values(data):
    background, X, other = data
    explainer = KernelSHAP(interactions, n_samples=84, random_state=3).fit(background)
    assert explainer.explain(X).metadata["allocation"] == "adaptive"
    for params in ({"n_samples": 40}, {"random_state": 4}, {"paired": False},
                   {"sampler": "kernel"}, {"batch_size": 50}, {"tol": 0.01}, {"tol": None},
                   {"allocation": "equal"}, {"tol": 0.01}, {"n_samples": 18},
                   {"tol": None, "n_samples": 84}, {"allocation": "adaptive"}):
        explainer.set_params(**params)
        kw = {k: v for k, v in explainer.get_params().items() if k != "model"}
        _same(explainer.explain(X), _fresh(background, X, **kw))
    explainer.fit(other)  # a new background: its own designs
    kw = {k: v for k, v in explainer.get_params().items() if k != "model"}
    _same(explainer.explain(X), _fresh(other, X, **kw))


def test_threads_sharing_an_explainer_get_the_same_values(data):
    background, X, _ = data
    explainer = KernelSHAP(interactions, n_samples=84, random_state=1).fit(background)
    expected = _fresh(background, X, n_samples=84, random_state=1)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: explainer.explain(X), range(8)))
    for r in results:
        _same(r, expected)


def test_no_designs_are_kept_without_an_int_random_state(data):
    background, X, _ = data
    explainer = KernelSHAP(interactions, n_samples=84,
                           random_state=np.random.RandomState(0)).fit(background)
    explainer.explain(X)
    assert explainer._designs._kept is None


def test_an_explainer_with_kept_designs_pickles(data):
    background, X, _ = data
    explainer = KernelSHAP(interactions, n_samples=84, random_state=2).fit(background)
    first = explainer.explain(X)
    _same(pickle.loads(pickle.dumps(explainer)).explain(X), first)


def test_an_explainer_fitted_before_the_cache_existed_still_explains(data):
    background, X, _ = data
    explainer = KernelSHAP(interactions, n_samples=84, random_state=2).fit(background)
    first = explainer.explain(X)
    del explainer._designs  # as unpickled from a version without it
    _same(explainer.explain(X), first)
