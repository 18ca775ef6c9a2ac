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


# ---- the honest version: cross-fitted surrogate combined through SharedDesign
def _interaction_model(Z):
    return Z[:, 0] * Z[:, 1] * Z[:, 2] + np.sin(Z[:, 3]) * Z[:, 4] + Z[:, 5] * (Z[:, 0] > 0)


def _tiny(f, d=6, nb=4, n=3, seed=7):
    rng = np.random.default_rng(seed)
    bg, X = rng.normal(size=(nb, d)), rng.normal(size=(n, d))
    V = P.game_tables(f, X, bg)
    return V, X, bg, P.exact_shapley(V, d).mean(axis=1)


def test_tree_game_shapley_is_exact_for_every_row_and_background_row():
    d, rng = 5, np.random.default_rng(8)
    H = rng.normal(size=(300, d))
    g = P.InputTreeSurrogate(H, _interaction_model(np.c_[H, H[:, :1]]), 10, kind="hgb")
    X, bg = rng.normal(size=(3, d)), rng.normal(size=(2, d))
    V = P.game_tables(g.values, X, bg)  # (n, nb, 2^d)
    np.testing.assert_allclose(P.tree_game_shapley(g, X, bg),
                               P.exact_shapley(V, d).transpose(1, 0, 2), atol=1e-12)


def test_solver_part_reproduces_kernelshap():
    from skexplain import KernelSHAP
    V, X, bg, _ = _tiny(_interaction_model)
    est, var = P.combine(P.crossfit_parts(V, X, bg, 30, 4, 1, n_iter=2, crossfit=False), "zero")
    ks = KernelSHAP(_interaction_model, n_samples=30, random_state=4).fit(bg).explain(X)
    np.testing.assert_allclose(est, ks.values, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(var), ks.stderr, atol=1e-12)


@pytest.mark.parametrize("name", ["cf2_fold", "cf2_game", "cf5_fold", "nocf_fold", "rows2_fold",
                                  "half2_fold", "diag2_fold", "diag2_all"])
def test_honest_variants_exact_on_additive_games(name):
    V, X, bg, truth = _tiny(lambda Z: np.sin(Z).sum(axis=1) + Z @ np.arange(6.0), nb=5)
    # 28: each half-budget design (half2) still holds every coalition of size 1
    out, _ = P.honest_estimates(V, X, bg, 28, 0, [name], n_iter=10)
    est, var = out[name]
    np.testing.assert_allclose(est, truth, atol=1e-9)
    np.testing.assert_allclose(var, 0.0, atol=1e-18)


def test_fixed_beta_is_not_exact_on_additive_games():
    # why beta is estimated: beta = 1 carries the surrogate's non-additive error
    V, X, bg, truth = _tiny(lambda Z: np.sin(Z).sum(axis=1) + Z @ np.arange(6.0))
    out, _ = P.honest_estimates(V, X, bg, 20, 0, ["cf2_one"], n_iter=10)
    assert np.abs(out["cf2_one"][0] - truth).max() > 1e-6


@pytest.mark.parametrize("name", ["cf2_fold", "cf2_game", "cf2_one", "nocf_fold", "diag2_all"])
def test_honest_variants_exact_at_full_budget_and_efficient(name):
    V, X, bg, truth = _tiny(_interaction_model)
    out, _ = P.honest_estimates(V, X, bg, 2 ** 6 - 2, 1, [name], n_iter=10)
    np.testing.assert_allclose(out[name][0], truth, atol=1e-10)
    np.testing.assert_allclose(out[name][1], 0.0, atol=1e-20)
    out, _ = P.honest_estimates(V, X, bg, 16, 1, [name], n_iter=10)
    gap = out[name][0].sum(axis=1) - (V[:, :, -1] - V[:, :, 0]).mean(axis=1)
    np.testing.assert_allclose(gap, 0.0, atol=1e-12)


@pytest.mark.parametrize("name", ["cf2_fold", "cf2_one", "diag2_all"])
def test_crossfitted_estimate_unbiased_over_seeds(name):
    V, X, bg, truth = _tiny(_interaction_model, n=2)
    ests = np.array([P.honest_estimates(V, X, bg, 18, s, [name], n_iter=8)[0][name][0]
                     for s in range(40)])
    se = ests.std(axis=0, ddof=1) / np.sqrt(len(ests))
    assert np.all(np.abs(ests.mean(axis=0) - truth) < 4 * se + 1e-9)
