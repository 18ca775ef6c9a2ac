"""Checks of the issue-15 prototype (benchmarks/proto_regression_adjusted.py) against truth."""
import importlib.util
import os

import numpy as np
import pytest

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks",
                     "proto_regression_adjusted.py")
_spec = importlib.util.spec_from_file_location("proto_regression_adjusted", _PATH)
P = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(P)


def _pairwise_game(d, rng):
    M = P.all_masks(d).astype(float)
    A = np.triu(rng.normal(size=(d, d)), 1)
    return np.einsum("si,ij,sj->s", M, A, M) + M @ rng.normal(size=d)


def test_exact_shapley_matches_skexplain_exact():
    from skexplain import ExactShapley
    rng = np.random.default_rng(0)
    bg, X = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))

    def f(Z):
        return Z[:, 0] * Z[:, 1] * Z[:, 2] + np.sin(Z[:, 3]) * Z[:, 4]
    V = P.game_tables(f, X, bg)
    ours = P.exact_shapley(V, 5).mean(axis=1)
    np.testing.assert_allclose(ours, ExactShapley(f).fit(bg).explain(X).values, atol=1e-12)


def test_tree_surrogate_shapley_is_exact():
    rng = np.random.default_rng(1)
    M = P.all_masks(7)
    g = P.TreeSurrogate(M[rng.choice(128, 60)], rng.normal(size=60), np.ones(60))
    np.testing.assert_allclose(g.shapley(), P.exact_shapley(g.values(M), 7), atol=1e-12)


@pytest.mark.parametrize("order", [1, 2])
def test_linear_adjustment_exact_on_order_two_games(order):
    # paired sampling + a linear (or pairwise) surrogate: exact on games of order <= 2
    d, rng = 9, np.random.default_rng(2)
    V = _pairwise_game(d, rng)
    Z, pi, st, plan = P.draw_design(d, 6 * d, rng)
    y = V[P.codes_of(Z)]
    est, _ = P.ra_estimate(Z, y, pi, st, plan, V[0], V[-1],
                           lambda Z, y, w: P.PolySurrogate(Z, y, w, order, 1e-2))
    np.testing.assert_allclose(est, P.exact_shapley(V, d), atol=1e-7)


def test_crossfit_tree_unbiased_and_efficient():
    d, rng = 8, np.random.default_rng(3)
    M = P.all_masks(d).astype(float)
    V = M[:, 0] * M[:, 1] * M[:, 2] - 2 * M[:, 3] * M[:, 4] * M[:, 5] * M[:, 6] + M[:, 7]
    truth = P.exact_shapley(V, d)
    ests = []
    for s in range(60):
        r = np.random.default_rng(s)
        Z, pi, st, plan = P.draw_design(d, 4 * d, r)
        est, _ = P.ra_estimate(Z, V[P.codes_of(Z)], pi, st, plan, V[0], V[-1],
                               lambda Z, y, w: P.TreeSurrogate(Z, y, w, n_estimators=20),
                               crossfit=True, rng=r)
        assert abs(est.sum() - (V[-1] - V[0])) < 1e-9  # efficiency exact
        ests.append(est)
    ests = np.array(ests)
    se = ests.std(axis=0, ddof=1) / np.sqrt(len(ests))
    assert np.all(np.abs(ests.mean(axis=0) - truth) < 4 * se + 1e-9)


def test_input_tree_surrogate_shapley_is_exact():
    # interventional single-reference TreeSHAP of a boosted model, closed form per leaf
    d, rng = 6, np.random.default_rng(4)
    H = rng.normal(size=(400, d))
    g = P.InputTreeSurrogate(H, H[:, 0] * H[:, 1] * H[:, 2] + np.sin(H[:, 3]), n_estimators=15)
    for _ in range(3):
        x, b = rng.normal(size=d), rng.normal(size=d)
        V = P.game_tables(g.values, x[None], b[None])[0, 0]
        np.testing.assert_allclose(g.shapley(x, b), P.exact_shapley(V, d), atol=1e-12)


def test_input_tree_estimate_exact_on_additive_model():
    rng = np.random.default_rng(5)
    bg, X = rng.normal(size=(4, 8)), rng.normal(size=(3, 8))

    def f(Z):
        return np.sin(Z).sum(axis=1) + Z @ np.arange(8.0)
    V = P.game_tables(f, X, bg)
    truth = P.exact_shapley(V, 8).mean(axis=1)
    for cf in (False, True):
        est = P.input_tree_estimate(V, X, bg, 4 * 8, 0, crossfit=cf, two_stage=True)
        np.testing.assert_allclose(est, truth, atol=1e-7)


def test_control_variate_variant_exact_on_additive_model():
    rng = np.random.default_rng(6)
    bg, X = rng.normal(size=(4, 8)), rng.normal(size=(3, 8))

    def f(Z):
        return np.sin(Z).sum(axis=1) + Z @ np.arange(8.0)
    V = P.game_tables(f, X, bg)
    truth = P.exact_shapley(V, 8).mean(axis=1)
    est = P.input_tree_estimate(V, X, bg, 4 * 8, 0, crossfit=False, beta=True)
    np.testing.assert_allclose(est, truth, atol=1e-7)
