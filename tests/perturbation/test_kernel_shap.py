"""KernelSHAP against truth: ExactShapley, closed forms, axioms; API and plumbing."""
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from skexplain import ExactShapley, KernelSHAP
from skexplain.exceptions import ApproximationWarning, NotFittedError

from _truth import nonlinear_f, permutation_shapley


def interactions(X):
    """Interactions of order 2 to 4 and a dummy feature (the last one)."""
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) * X[:, 3] + np.tanh(X[:, 0] + X[:, 4])
            + X[:, 1] * X[:, 3] * X[:, 4] + 0.5 * X[:, 2] * X[:, 3] * X[:, 4] * X[:, 1])


@pytest.fixture
def data(rng):
    return rng.normal(size=(5, 6)), rng.normal(size=(4, 6))


# ------------------------------------------------------------------ truth
@pytest.mark.parametrize("kw", [{}, {"paired": False}, {"sampler": "leverage"},
                                {"sampler": "sqrt"}])
def test_equals_exact_when_budget_enumerates(data, kw):
    background, X = data
    exact = ExactShapley(interactions).fit(background).explain(X)
    expl = KernelSHAP(interactions, n_samples=62, random_state=0, **kw).fit(background).explain(X)
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)
    np.testing.assert_allclose(expl.stderr, 0.0, atol=1e-12)  # nothing was sampled


def test_equals_permutation_definition_small(rng):
    background, X = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    expl = KernelSHAP(nonlinear_f, n_samples=14, random_state=0).fit(background).explain(X)
    for r in range(2):
        np.testing.assert_allclose(expl.values[r], permutation_shapley(nonlinear_f, X[r],
                                                                       background), atol=1e-10)


@pytest.mark.parametrize("n_samples", [16, 18, 25, 40, 90, 96])  # 96: adaptive
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_for_additive_models_from_2d_coalitions(rng, n_samples, seed):
    d = 8

    def additive(X):
        return np.sin(X[:, 0]) + X[:, 1] ** 2 - 3 * X[:, 2] + np.abs(X[:, 3]) + X[:, 5:].sum(1)

    background, X = rng.normal(size=(6, d)), rng.normal(size=(5, d))
    expected = np.stack([np.sin(X[:, 0]) - np.sin(background[:, 0]).mean(),
                         X[:, 1] ** 2 - (background[:, 1] ** 2).mean(),
                         -3 * (X[:, 2] - background[:, 2].mean()),
                         np.abs(X[:, 3]) - np.abs(background[:, 3]).mean(), np.zeros(5),
                         *(X[:, j] - background[:, j].mean() for j in range(5, d))], axis=1)
    with warnings.catch_warnings():  # below ~3d some sizes go unsampled: stderr NaN
        warnings.simplefilter("ignore", ApproximationWarning)
        expl = KernelSHAP(additive, n_samples=n_samples, random_state=seed).fit(
            background).explain(X)
    np.testing.assert_allclose(expl.values, expected, atol=1e-9)


def test_paired_sampling_exact_for_pairwise_interactions(rng):
    d = 9
    W = np.triu(rng.normal(size=(d, d)), 1)

    def quadratic(X):
        return X @ np.arange(d) + np.einsum("ni,ij,nj->n", X, W, X)

    background, X = rng.normal(size=(4, d)), rng.normal(size=(3, d))
    exact = ExactShapley(quadratic).fit(background).explain(X).values
    expl = KernelSHAP(quadratic, n_samples=40, random_state=3).fit(background).explain(X)
    np.testing.assert_allclose(expl.values, exact, atol=1e-9)


@pytest.mark.parametrize("kw", [{}, {"paired": False}, {"tol": 0.05}, {"n_samples": 12}])
def test_efficiency_every_row(data, kw):
    background, X = data
    kw = {"n_samples": 30, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximationWarning)
        expl = KernelSHAP(interactions, random_state=0, **kw).fit(background).explain(X)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, interactions(X),
                               atol=1e-10, rtol=0)


def test_dummy_feature_within_its_standard_error(rng):
    background, X = rng.normal(size=(8, 6)), rng.normal(size=(40, 6))
    expl = KernelSHAP(interactions, n_samples=30, random_state=0).fit(background).explain(X)
    z = expl.values[:, 5] / expl.stderr[:, 5]  # feature 5 is not used by the model
    assert np.all(expl.stderr[:, 5] > 0)
    assert np.mean(np.abs(z) < 1.0) > 0.6 and np.all(np.abs(z) < 4.0)


def test_feature_equal_to_every_background_row_gets_exactly_zero(rng):
    background, X = rng.normal(size=(5, 6)), rng.normal(size=(3, 6))
    background[:, 2] = X[:, 2] = 0.7
    expl = KernelSHAP(interactions, n_samples=20, random_state=0).fit(background).explain(X)
    assert np.all(expl.values[:, 2] == 0.0) and np.all(expl.stderr[:, 2] == 0.0)


def test_estimates_close_to_truth_and_better_with_budget(rng):
    background, X = rng.normal(size=(10, 10)), rng.normal(size=(6, 10))
    f = lambda Z: interactions(Z[:, :6]) + np.tanh(Z[:, 6] * Z[:, 7]) * Z[:, 8] + Z[:, 9]  # noqa
    exact = ExactShapley(f).fit(background).explain(X).values
    errors = []
    for n_samples in (40, 160, 640):
        expl = KernelSHAP(f, n_samples=n_samples, random_state=0).fit(background).explain(X)
        errors.append(np.abs(expl.values - exact).mean() / np.abs(exact).mean())
    assert errors[0] < 0.25 and errors[2] < errors[1] < errors[0] and errors[2] < 0.02


def test_tiny_budget_is_finite_and_sensible(rng):
    d = 12
    background, X = rng.normal(size=(6, d)), rng.normal(size=(4, d))
    f = lambda Z: interactions(Z[:, :6]) + Z[:, 6:].sum(1)  # noqa: E731
    exact = ExactShapley(f).fit(background).explain(X).values
    for n_samples in (d + 2, d + 6, 2 * d - 2):
        with pytest.warns(ApproximationWarning, match="too small to identify"):
            expl = KernelSHAP(f, n_samples=n_samples, random_state=0).fit(background).explain(X)
        assert np.all(np.isfinite(expl.values))
        assert np.abs(expl.values - exact).max() < 3 * np.abs(exact).max()
        np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, f(X), atol=1e-10)
        assert np.isnan(expl.stderr).any()


# ------------------------------------------------------- data and models
def test_dataframe_pipeline_raw_columns(string_frame, string_pipeline):
    frame, _ = string_frame
    background, X = frame.iloc[:12], frame.iloc[20:26]
    exact = ExactShapley(string_pipeline).fit(background).explain(X)
    expl = KernelSHAP(string_pipeline, n_samples=14, random_state=0).fit(background).explain(X)
    assert expl.feature_names == ["age", "city", "income", "score"]
    assert expl.values.shape == (6, 4, 2)
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)
    partial = KernelSHAP(string_pipeline, n_samples=9, random_state=0).fit(background)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximationWarning)
        approx = partial.explain(X)
    np.testing.assert_allclose(approx.values.sum(1) + approx.base_values,
                               string_pipeline.predict_proba(X), atol=1e-10)
    assert list(X.columns) == ["age", "city", "income", "score"]  # input untouched


def test_multi_output_and_target(rng):
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    explainer = KernelSHAP(model, n_samples=12, random_state=0).fit(X[::10])
    expl = explainer.explain(X[:5])
    exact = ExactShapley(model).fit(X[::10]).explain(X[:5])
    assert expl.values.shape == (5, 4, 3) and expl.stderr.shape == (5, 4, 3)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, model.predict_proba(X[:5]),
                               atol=1e-10)
    assert np.abs(expl.values - exact.values).max() < 0.1
    one = explainer.explain(X[:5], target=2)
    np.testing.assert_allclose(one.values, expl.values[..., 2])


def test_feature_groups_match_exact(rng):
    background, X = rng.normal(size=(5, 6)), rng.normal(size=(3, 6))
    groups = {"a": [0, 1], "b": [2, 3, 4]}
    exact = ExactShapley(interactions, feature_groups=groups).fit(background).explain(X)
    expl = KernelSHAP(interactions, n_samples=6, feature_groups=groups,
                      random_state=0).fit(background).explain(X)
    assert expl.feature_names == ["a", "b", "x5"]
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)


def test_image_like_input_with_patches(rng):
    def f(X):  # (n, 2, 4) inputs
        return np.tanh(X[:, 0, :2].sum(1) * X[:, 1, 2:].sum(1)) + X[:, 1, 0] * X[:, 0, 3]

    background, X = rng.normal(size=(3, 2, 4)), rng.normal(size=(2, 2, 4))
    patches = np.array([[0, 0, 1, 1], [2, 2, 3, 3]])
    exact = ExactShapley(f, feature_groups=patches).fit(background).explain(X)
    expl = KernelSHAP(f, n_samples=14, feature_groups=patches, random_state=0).fit(
        background).explain(X)
    assert expl.values.shape == (2, 4)
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)


def test_weighted_background(rng):
    background, X = rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    exact = ExactShapley(nonlinear_f).fit(background, sample_weight=weights).explain(X)
    expl = KernelSHAP(nonlinear_f, n_samples=30, random_state=0).fit(
        background, sample_weight=weights).explain(X)
    np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)
    np.testing.assert_allclose(expl.base_values, exact.base_values)


# ------------------------------------------------ randomness and plumbing
def test_random_state_determinism(data):
    background, X = data
    a = KernelSHAP(interactions, n_samples=24, random_state=3).fit(background).explain(X)
    b = KernelSHAP(interactions, n_samples=24, random_state=3).fit(background).explain(X)
    c = KernelSHAP(interactions, n_samples=24, random_state=4).fit(background).explain(X)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.stderr, b.stderr)
    assert not np.allclose(a.values, c.values)


def test_results_independent_of_batch_size_and_n_jobs(data):
    background, X = data
    ref = KernelSHAP(interactions, n_samples=24, random_state=0).fit(background).explain(X)
    for kw in ({"batch_size": 7}, {"batch_size": 1}, {"n_jobs": 2}):
        other = KernelSHAP(interactions, n_samples=24, random_state=0, **kw).fit(
            background).explain(X)
        np.testing.assert_allclose(other.values, ref.values, rtol=0, atol=1e-13)
        np.testing.assert_allclose(other.stderr, ref.stderr, rtol=0, atol=1e-13)
        assert other.metadata["n_model_rows"] == ref.metadata["n_model_rows"]


def test_dask_backend_matches_n_jobs_1(data):
    distributed = pytest.importorskip("distributed")
    background, X = data
    ref = KernelSHAP(interactions, n_samples=24, random_state=0).fit(background).explain(X)
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster), parallel_config(backend="dask"):
            out = KernelSHAP(interactions, n_samples=24, random_state=0, n_jobs=2).fit(
                background).explain(X)
    np.testing.assert_allclose(out.values, ref.values, rtol=0, atol=1e-13)


def test_model_rows_counted(data):
    background, X = data
    calls = []

    def counting(Z):
        calls.append(len(Z))
        return interactions(Z)

    explainer = KernelSHAP(counting, n_samples=20, random_state=0).fit(background)
    calls.clear()
    expl = explainer.explain(X)
    assert expl.metadata["n_model_rows"] == sum(calls)
    # paired: 10 pairs of coalitions per background row, plus f(x) once per row
    assert sum(calls) == 4 * (20 * 5 + 1)


@pytest.mark.parametrize("batch_size", [None, 5, 1])
def test_evaluate_designs_plays_rows_against_one_background_row(rng, batch_size):
    from skexplain.adapters import as_model
    from skexplain.perturbation import CoalitionEvaluator

    from _truth import value_function

    background, X = rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    evaluator = CoalitionEvaluator(as_model(nonlinear_f, sample=background), background,
                                   batch_size=batch_size)
    full = rng.random((6, 5)) < 0.5  # five players = the five columns
    small = rng.random((7, 3)) < 0.5  # three players, different groups in each row
    players = np.array([[0, 2, 4], [1, 2, 3]])
    designs = [(np.array([0, 2]), 3, full, None), (np.array([2, 1]), 0, small, players),
               (np.array([], dtype=int), 1, full, None)]
    values, n_rows = evaluator.evaluate_designs(X, designs)
    assert n_rows == 2 * 6 + 2 * 7 and values[2].shape == (0, 6, 1)
    for (rows, b, masks, who), got in zip(designs[:2], values):
        for r, row in enumerate(rows):
            groups = np.arange(5)[None].repeat(len(rows), 0) if who is None else who
            expected = [value_function(nonlinear_f, X[row], background[[b]], groups[r][m])
                        for m in masks]
            np.testing.assert_allclose(got[r, :, 0], expected, atol=1e-12)


def test_evaluate_designs_on_dataframes_keeps_dtypes(string_frame, string_pipeline):
    from skexplain.adapters import as_model
    from skexplain.perturbation import CoalitionEvaluator

    frame, _ = string_frame
    background, X = frame.iloc[:3], frame.iloc[3:5]
    model = as_model(string_pipeline, sample=background)
    evaluator = CoalitionEvaluator(model, background, batch_size=4)
    masks = np.eye(frame.shape[1], dtype=bool)[:3]
    values, n_rows = evaluator.evaluate_designs(X, [(np.array([0, 1]), 2, masks, None)])
    for r in range(2):
        for c, mask in enumerate(masks):
            hybrid = background.iloc[[2]].copy()
            hybrid.iloc[0, np.flatnonzero(mask)] = X.iloc[r, np.flatnonzero(mask)]
            np.testing.assert_allclose(values[0][r, c], model.predict(hybrid)[0], atol=1e-12)
    assert n_rows == 6


def test_tol_stops_early_and_reports(data):
    background, X = data
    full = KernelSHAP(interactions, n_samples=56, random_state=0).fit(background).explain(X)
    loose = KernelSHAP(interactions, n_samples=56, tol=0.2, random_state=0).fit(
        background).explain(X)
    assert loose.metadata["converged"] == [True] * 4
    assert loose.metadata["n_model_rows"] < full.metadata["n_model_rows"]
    se, spread = loose.stderr.max(1), np.ptp(loose.values, axis=1)
    assert np.all(se < 0.2 * spread)
    with pytest.warns(ApproximationWarning, match="did not reach tol"):
        strict = KernelSHAP(interactions, n_samples=40, tol=1e-6, random_state=0).fit(
            background).explain(X)
    assert strict.metadata["converged"] == [False] * 4


def test_tol_rounds_with_an_enumerated_design(rng):
    background, X = rng.normal(size=(4, 6)), rng.normal(size=(3, 6))
    background[:2, :3] = X[0, :3]  # row 0 plays 3-player games: enumerated in round 0
    at_once = KernelSHAP(interactions, n_samples=30, random_state=0).fit(background).explain(X)
    with pytest.warns(ApproximationWarning, match="did not reach tol"):
        rounds = KernelSHAP(interactions, n_samples=30, tol=1e-9, random_state=0).fit(
            background).explain(X)
    # every round spent: the same coalitions as evaluating the budget at once
    np.testing.assert_allclose(rounds.values, at_once.values, atol=1e-10)
    np.testing.assert_allclose(rounds.stderr, at_once.stderr, atol=1e-10)
    assert rounds.metadata["n_model_rows"] == at_once.metadata["n_model_rows"]


def test_verbose_prints_progress(data, capsys):
    background, X = data
    KernelSHAP(interactions, n_samples=20, random_state=0).fit(background).explain(X)
    assert capsys.readouterr().err == ""
    KernelSHAP(interactions, n_samples=20, verbose=1, random_state=0).fit(background).explain(X)
    err = capsys.readouterr().err
    assert "[KernelSHAP] round 1/1" in err and "4/4 rows explained, 404 model rows" in err


def test_clone_pickle_and_not_fitted(data):
    background, X = data
    explainer = KernelSHAP(interactions, n_samples=20, random_state=0)
    with pytest.raises(NotFittedError):
        explainer.explain(X)
    assert clone(explainer).get_params()["n_samples"] == 20
    fitted = pickle.loads(pickle.dumps(explainer.fit(background)))
    np.testing.assert_array_equal(fitted.explain(X).values, explainer.explain(X).values)


def test_inputs_not_mutated(data):
    background, X = data
    b0, x0 = background.copy(), X.copy()
    frame = pd.DataFrame(X, columns=list("abcdef"))
    KernelSHAP(interactions, n_samples=20, random_state=0).fit(background).explain(X)
    np.testing.assert_array_equal(background, b0)
    np.testing.assert_array_equal(X, x0)
    KernelSHAP(interactions, n_samples=20).fit(frame).explain(frame)
    np.testing.assert_array_equal(frame.to_numpy(), x0)


@pytest.mark.parametrize("params, match", [
    ({"n_samples": 1}, "'n_samples' parameter"),
    ({"n_samples": "many"}, "'n_samples' parameter"),
    ({"sampler": "uniform"}, "'sampler' parameter"),
    ({"paired": "yes"}, "'paired' parameter"),
    ({"tol": 0.0}, "'tol' parameter"),
    ({"random_state": "x"}, "'random_state' parameter"),
    ({"verbose": -1}, "'verbose' parameter"),
    ({"batch_size": 0}, "'batch_size' parameter"),
    ({"feature_groups": "ab"}, "'feature_groups' parameter"),
])
def test_bad_parameters(data, params, match):
    with pytest.raises(ValueError, match=match):
        KernelSHAP(interactions, **params).fit(data[0])


def test_bad_rows(data):
    background, X = data
    explainer = KernelSHAP(interactions, n_samples=20).fit(background)
    with pytest.raises(ValueError, match="X has 5 features, but KernelSHAP is expecting 6 features"):
        explainer.explain(X[:, :5])


# -------------------------------------------------- sampler and solver units
from skexplain.perturbation._samplers import plan_coalitions, sample_units  # noqa: E402
from skexplain.perturbation._shapley import all_masks  # noqa: E402
from skexplain.perturbation._solvers import solve_shapley_regression  # noqa: E402


@pytest.mark.parametrize("paired", [True, False])
@pytest.mark.parametrize("d, n_samples", [(5, 8), (6, 30), (9, 27), (10, 200), (12, 5000)])
def test_plan_respects_budget_and_enumerates_outer_sizes(d, n_samples, paired):
    plan = plan_coalitions(d, n_samples, paired=paired)
    assert plan.n_coalitions <= min(n_samples, 2**d - 2)
    assert np.all(plan.n_units <= plan.population)
    covered = plan.population.sum() * (2 if paired else 1)
    assert covered == 2**d - 2  # the strata partition the proper coalitions
    if n_samples >= 2 * d:  # singletons (and their complements) are always enumerated
        assert np.all(plan.enumerated[np.minimum(plan.sizes, d - plan.sizes) == 1])
    if n_samples >= 2**d - 2:
        assert plan.exact


@pytest.mark.parametrize("sampler", ["leverage", "kernel"])
def test_plan_for_many_players_spends_the_budget(sampler):
    plan = plan_coalitions(100, 400, sampler)  # C(100, 50) overflows int64
    assert plan.n_coalitions == 400 and plan.n_units.min() >= 1
    units = sample_units([np.random.default_rng(0)], plan, 2)
    assert units.shape == (2, 200, 100)
    assert all(len({u.tobytes() for u in design}) == 200 for design in units)


def test_sampled_units_are_distinct_uniform_and_per_row(rng):
    plan = plan_coalitions(8, 60)
    units = sample_units([np.random.default_rng(s) for s in range(300)], plan, 2)
    assert units.shape == (600, 30, 8)
    np.testing.assert_array_equal(units.sum(2), np.broadcast_to(
        plan.sizes[plan.stratum_of_unit], (600, 30)))
    assert all(len({u.tobytes() for u in design}) == 30 for design in units)
    middle = plan.stratum_of_unit == plan.sizes.size - 1
    assert units[:, middle, 0].all()  # a middle pair is named by its side holding player 0
    counts = units[:, plan.offsets[2]:plan.offsets[3]].sum(axis=(0, 1))
    assert counts.min() > 0.9 * counts.mean()  # every player equally likely
    alone = sample_units([np.random.default_rng(7)], plan, 2)
    np.testing.assert_array_equal(alone, units[14:16])  # row 7's designs


def test_solver_equals_brute_force_constrained_least_squares(rng):
    d, m, k = 6, 25, 2
    masks = all_masks(d)[1:-1]
    units = masks[rng.choice(len(masks), m, replace=False)][None].repeat(3, 0)
    target, weight = rng.normal(size=(3, m, k)), rng.uniform(0.5, 2.0, m)
    delta = rng.normal(size=(3, k))
    phi, _ = solve_shapley_regression(units, target, weight, delta)
    for b in range(3):  # KKT system of min sum w (t - z phi)^2 s.t. sum(phi) = delta
        Z = units[b].astype(float)
        kkt = np.block([[2 * Z.T @ (weight[:, None] * Z), np.ones((d, 1))],
                        [np.ones((1, d)), np.zeros((1, 1))]])
        for j in range(k):
            rhs = np.concatenate([2 * Z.T @ (weight * target[b, :, j]), [delta[b, j]]])
            np.testing.assert_allclose(phi[b, :, j], np.linalg.solve(kkt, rhs)[:d], atol=1e-10)


def test_shared_design_solves_each_game_as_if_alone(rng):
    from skexplain.perturbation._solvers import SharedDesign

    plan = plan_coalitions(7, 40)
    units = sample_units([np.random.default_rng(s) for s in range(3)], plan, 1)
    stratum = plan.stratum_of_unit
    weight = plan.kernel_mass[stratum] / plan.n_units[stratum]
    finite = 1.0 - plan.n_units / plan.population
    target, delta = rng.normal(size=(3, 4, units.shape[1], 2)), rng.normal(size=(3, 4, 2))
    phi, var = SharedDesign(units, weight, stratum=stratum, finite=finite).solve(target, delta)
    assert phi.shape == var.shape == (3, 4, 7, 2)
    for g in range(4):
        alone = solve_shapley_regression(units, target[:, g], weight, delta[:, g],
                                         stratum=stratum, finite=finite)
        np.testing.assert_allclose(phi[:, g], alone[0], atol=1e-12)
        np.testing.assert_allclose(var[:, g], alone[1], atol=1e-12)
    np.testing.assert_allclose(phi.sum(axis=2), delta, atol=1e-12)


def test_fewer_units_than_directions_give_the_same_pseudo_inverse(rng):
    # the units' side (an eigendecomposition of u x u) against the players' side
    from skexplain.perturbation._solvers import (_pseudo_inverse, _thin_pseudo_inverse,
                                                 zero_sum_basis)

    for d, u in [(4, 1), (4, 2), (9, 3), (9, 7), (30, 5), (64, 2)]:
        basis = zero_sum_basis(d)
        z = rng.random((3, u, d)) < 0.4
        z[0, -1] = z[0, 0]  # a repeated unit: rank below u
        x, weight = z.astype(float) @ basis, rng.random(u) + 0.2
        gram = np.matmul((x * weight[:, None]).transpose(0, 2, 1), x)
        inverse, unidentified = _pseudo_inverse(gram, basis)
        thin, thin_unidentified = _thin_pseudo_inverse(x, weight, basis)
        np.testing.assert_allclose(thin, inverse, atol=1e-9 * np.abs(inverse).max())
        np.testing.assert_array_equal(thin_unidentified, unidentified)


# ------------------------------------------- shared designs and hybrid rows
def test_row_values_do_not_depend_on_the_other_rows(rng):
    background, X = rng.normal(size=(6, 8)), rng.normal(size=(5, 8))
    background[:, 3] = np.round(background[:, 3])  # ties: rows play designs of 7 and 8 players
    X[:, 3] = np.round(X[:, 3])
    f = lambda Z: interactions(Z[:, :6]) + Z[:, 6] * Z[:, 7] * Z[:, 3]  # noqa: E731
    explainer = KernelSHAP(f, n_samples=30, random_state=0).fit(background)
    together = explainer.explain(X)
    for rows in ([2], [4, 0], [3, 3, 1]):
        alone = explainer.explain(X[rows])
        np.testing.assert_allclose(alone.values, together.values[rows], rtol=0, atol=1e-12)
        np.testing.assert_allclose(alone.stderr, together.stderr[rows], rtol=0, atol=1e-12)
    exact = ExactShapley(f).fit(background).explain(X)
    full = KernelSHAP(f, n_samples=254, random_state=0).fit(background).explain(X)
    np.testing.assert_allclose(full.values, exact.values, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int16, bool, object])
def test_fill_grid_copies_values_exactly(rng, dtype):
    from skexplain.perturbation._hybrids import HybridBuilder

    values = rng.normal(size=(9, 5)) * 10
    if np.dtype(dtype).kind in "fO":  # values a bit copy must keep: NaN, -0.0, inf
        values[0, 1], values[1, 2], values[2, 3] = np.nan, -0.0, np.inf
    data = values.astype(dtype) if dtype is not object else values.astype(object)
    background, X = data[:3], data[3:]
    builder = HybridBuilder(background)
    rows, masks = np.array([5, 0, 2]), rng.random((4, 5)) < 0.5
    out = np.empty((3, 4, 5), dtype=builder.grid_dtype(X))
    builder.fill_grid(out, X, rows, 1, masks)
    expected = np.where(masks[None], X[rows][:, None, :], background[1][None, None, :])
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.view(np.uint8) if dtype is not object else out,
                                  expected.view(np.uint8) if dtype is not object else expected)
    per_row = rng.random((3, 4, 5)) < 0.5
    builder.fill_grid(out, X, rows, 2, per_row)
    expected = np.where(per_row, X[rows][:, None, :], background[2][None, None, :])
    np.testing.assert_array_equal(out.astype(str), expected.astype(str))


@pytest.mark.parametrize("x_dtype, b_dtype", [
    (np.float64, np.float64), (np.float32, np.float32), (np.int64, np.int64), (bool, bool),
    (np.int64, np.float64), (object, object)])
def test_fill_grids_writes_each_design_as_fill_grid_does(rng, x_dtype, b_dtype):
    from skexplain.perturbation._hybrids import HybridBuilder

    values = rng.normal(size=(12, 5)) * 10
    values[3, 4] = values[7, 0] = 0.0
    if np.dtype(x_dtype).kind in "fO":  # NaN, -0.0 and inf copied bit for bit
        values[0, 1], values[4, 2], values[5, 3] = np.nan, -0.0, np.inf
    if x_dtype is bool:
        values = values > 0
    background, X = values[:4].astype(b_dtype), values[4:].astype(x_dtype)
    builder = HybridBuilder(background)
    dtype_out = builder.grid_dtype(X)
    # every design its own background row, coalition count and rows (one without any)
    rows = [np.array([5, 0, 2]), np.array([7]), np.array([], dtype=int), np.array([1, 1, 6, 3])]
    bgs = [3, 0, 2, 1]
    masks = [rng.random((c, 5)) < 0.5 for c in (4, 2, 3, 6)]
    outs = [np.empty((len(r), m.shape[0], 5), dtype=dtype_out) for r, m in zip(rows, masks)]
    builder.fill_grids(outs, X, rows, bgs, masks)
    for out, r, b, m in zip(outs, rows, bgs, masks):
        expected = np.where(m[None], X[r][:, None, :], background[b][None, None, :])
        assert out.dtype == expected.dtype
        if x_dtype is object:
            np.testing.assert_array_equal(out.astype(str), expected.astype(str))
        else:
            np.testing.assert_array_equal(out.view(np.uint8), expected.view(np.uint8))


def test_blocks_reuse_designs_with_the_same_result(rng, monkeypatch):
    import skexplain.perturbation._kernel_designs as designs_module

    background, X = rng.normal(size=(6, 6)), rng.normal(size=(9, 6))
    background[:, 2] = np.round(background[:, 2])  # ties change the designs from row to row
    X[:, 2] = np.round(X[:, 2])

    def explain(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ApproximationWarning)
            return KernelSHAP(interactions, n_samples=30, random_state=0, **kw).fit(
                background).explain(X)

    refs = [explain(), explain(tol=0.3)]
    monkeypatch.setattr(designs_module, "_MIN_WORK_BYTES", 1)  # one row per block
    for ref, kw in zip(refs, ({}, {"tol": 0.3})):
        for n_jobs in (None, 2):
            out = explain(n_jobs=n_jobs, batch_size=1, **kw)
            np.testing.assert_allclose(out.values, ref.values, rtol=0, atol=1e-12)
            np.testing.assert_allclose(out.stderr, ref.stderr, rtol=0, atol=1e-12)
            assert out.metadata["n_model_rows"] == ref.metadata["n_model_rows"]
