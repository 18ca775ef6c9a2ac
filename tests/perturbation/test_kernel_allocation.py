"""KernelSHAP's adaptive allocation: the levels, the allocation rule, and the
estimator against the truth (ExactShapley, closed forms)."""
import warnings

import numpy as np
import pytest

from skexplain import ExactShapley, KernelSHAP
from skexplain.perturbation._kernel_allocation import allocate_levels
from skexplain.perturbation._kernel_designs import LEVELS, Sampling
from skexplain.perturbation._samplers import sample_units


def interactions(X):
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1] * X[:, 2] + np.sin(2 * X[:, 3]) * X[:, 4]
            + np.tanh(X[:, 5] - X[:, 6]) * X[:, 7] + 0.5 * X[:, 8])


def rel_error(est, truth):
    return np.abs(est - truth).mean() / np.abs(truth).mean()


# ---------------------------------------------------------------- the rule

def _steps(n_games, n_levels=6, step=10.0):
    rows = np.tile(step * (1 + np.arange(n_levels)), (1, n_games, 1))
    factor = np.tile(1.0 / (1 + np.arange(n_levels)), (1, n_games, 1))  # var ~ 1 / rows
    return rows, factor


def test_allocation_spends_at_most_the_budget_and_follows_the_variance():
    rows, factor = _steps(4)
    pilot_var = np.array([[9.0, 1.0, 0.0, 4.0]])
    level = allocate_levels(pilot_var, np.ones(4), rows, factor, np.array([80.0]))
    spent = np.take_along_axis(rows[0], level[0][:, None], axis=1).sum()
    assert spent <= 80
    assert level[0, 2] == 0  # an exact game gets nothing more
    assert level[0, 0] > level[0, 3] > level[0, 1]  # more variance, more coalitions


def test_allocation_approaches_neyman():
    # var_b / n_b is smallest for n_b proportional to sigma_b: sigmas 3 and 1
    n_levels = 40
    rows = np.tile(np.arange(1, n_levels + 1, dtype=float), (1, 2, 1))
    factor = 1.0 / rows
    level = allocate_levels(np.array([[9.0, 1.0]]), np.ones(2), rows, factor, np.array([40.0]))
    n_b = level[0] + 1
    assert n_b.sum() <= 40
    assert abs(n_b[0] / n_b[1] - 3.0) < 0.35, n_b


def test_allocation_weighs_games_by_their_weight():
    rows, factor = _steps(2)
    level = allocate_levels(np.array([[1.0, 1.0]]), np.array([1.0, 0.0]), rows, factor,
                            np.array([60.0]))
    assert level[0, 1] == 0 and level[0, 0] > 0  # a game of weight 0 is worth nothing


def test_equal_variances_get_levels_within_one_step():
    rows, factor = _steps(5)
    level = allocate_levels(np.ones((1, 5)), np.ones(5), rows, factor, np.array([100.0]))
    assert level.max() - level.min() <= 1


def test_unknown_pilot_variance_counts_as_the_rows_largest():
    rows, factor = _steps(3)
    level = allocate_levels(np.array([[np.nan, 4.0, 1.0]]), np.ones(3), rows, factor,
                            np.array([60.0]))
    assert abs(level[0, 0] - level[0, 1]) <= 1  # tied with the largest (budget for 3 steps)
    assert min(level[0, 0], level[0, 1]) >= level[0, 2]
    none_known = allocate_levels(np.full((1, 3), np.nan), np.ones(3), rows, factor,
                                 np.array([60.0]))
    assert none_known.max() - none_known.min() <= 1  # then as if all were equal


def test_no_budget_beyond_the_pilot_keeps_every_game_at_the_pilot():
    rows, factor = _steps(3)
    level = allocate_levels(np.ones((2, 3)), np.ones(3), np.repeat(rows, 2, axis=0),
                            np.repeat(factor, 2, axis=0), np.array([30.0, 0.0]))
    assert np.all(level == 0)


# -------------------------------------------------------------- the levels

@pytest.mark.parametrize("d, n_samples, paired, sampler", [
    (7, 84, True, "leverage"), (8, 96, True, "kernel"), (10, 120, False, "leverage"),
    (12, 200, True, "sqrt"), (24, 400, True, "leverage"), (9, 108, True, "leverage")])
def test_levels_are_nested_stratified_samples(d, n_samples, paired, sampler):
    levels = Sampling(n_samples, sampler, paired, adaptive=True).levels(d)
    assert levels.nested
    plan, counts = levels.plan, levels.counts
    assert counts.shape == (len(LEVELS), plan.sizes.size)
    assert np.all(np.diff(counts, axis=0) >= 0) and np.all(counts <= plan.population)
    assert np.array_equal(levels.n_at, counts.sum(axis=1))
    assert levels.rows[1] >= levels.equal_rows >= levels.rows[0]
    units = sample_units([np.random.default_rng(3)], plan, 1)[0][levels.order]
    for j in range(len(LEVELS)):
        prefix = units[:levels.n_at[j]]
        stratum = levels.stratum[:levels.n_at[j]]
        assert np.array_equal(np.bincount(stratum, minlength=plan.sizes.size), counts[j])
        sizes = prefix.sum(axis=1)
        assert np.all(np.minimum(sizes, d - sizes) == np.minimum(plan.sizes[stratum],
                                                                  d - plan.sizes[stratum]))
        assert len({u.tobytes() for u in prefix}) == prefix.shape[0]  # without replacement


def test_a_shuffled_stratum_is_a_uniform_sample_at_every_level():
    # d=7, 84 coalitions: the pairs of size 2 (21) are enumerated at the top
    # level but sampled by the pilot, which must then draw them uniformly
    levels = Sampling(84, "leverage", True, adaptive=True).levels(7)
    plan = levels.plan
    j = int(np.flatnonzero(plan.shuffled)[0])
    assert levels.counts[0, j] < plan.population[j] == plan.n_units[j]
    hits = {}
    for seed in range(600):
        units = sample_units([np.random.default_rng(seed)], plan, 1)[0][levels.order]
        first = units[:levels.n_at[0]][levels.stratum[:levels.n_at[0]] == j]
        for u in first:
            hits[u.tobytes()] = hits.get(u.tobytes(), 0) + 1
    counts = np.array(list(hits.values()))
    assert len(counts) == plan.population[j]
    expected = 600 * levels.counts[0, j] / plan.population[j]
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 50, chi2  # 20 degrees of freedom: p ~ 2e-4 at 50


def test_small_budgets_have_one_level():
    levels = Sampling(77, "leverage", True, adaptive=True).levels(7)  # below 12 per player
    assert not levels.nested
    assert Sampling(84, "leverage", True, adaptive=True).levels(7).nested  # 12 per player
    exact = Sampling(200, "leverage", True, adaptive=True).levels(6)  # covers 2^6 - 2
    assert not exact.nested


# ----------------------------------------------------------- the estimator

@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(12, 9)), rng.normal(size=(6, 9))
    truth = ExactShapley(interactions).fit(background).explain(X).values
    return background, X, truth


def _explain(background, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return KernelSHAP(interactions, **kw).fit(background).explain(X)


def test_adaptive_is_more_accurate_than_equal_at_the_same_model_rows(problem):
    background, X, truth = problem
    errors, rows = {}, {}
    for allocation in ("equal", "adaptive"):
        runs = [_explain(background, X, n_samples=144, allocation=allocation, random_state=s)
                for s in range(8)]
        errors[allocation] = np.mean([rel_error(r.values, truth) for r in runs])
        rows[allocation] = runs[0].metadata["n_model_rows"]
        assert {r.metadata["allocation"] for r in runs} == {allocation}
    assert rows["adaptive"] <= rows["equal"]
    assert errors["adaptive"] < 0.9 * errors["equal"], errors


def test_adaptive_keeps_efficiency_and_is_unbiased(problem):
    background, X, truth = problem
    runs = [_explain(background, X[:2], n_samples=108, random_state=s) for s in range(150)]
    assert {r.metadata["allocation"] for r in runs} == {"adaptive"}
    est = np.stack([r.values for r in runs])
    fx = interactions(X[:2])
    for r in runs:
        np.testing.assert_allclose(r.values.sum(axis=1) + r.base_values, fx, atol=1e-10)
    se_of_mean = est.std(axis=0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(est.mean(axis=0) - truth[:2]) < 4 * se_of_mean + 1e-12)


def test_adaptive_is_exact_on_an_additive_game():
    rng = np.random.default_rng(1)
    background, X, w = rng.normal(size=(7, 9)), rng.normal(size=(4, 9)), rng.normal(size=9)
    expl = KernelSHAP(lambda Z: np.asarray(Z) @ w, n_samples=108,
                      random_state=0).fit(background).explain(X)
    assert expl.metadata["allocation"] == "adaptive"
    np.testing.assert_allclose(expl.values, (X - background.mean(axis=0)) * w, atol=1e-10)
    np.testing.assert_allclose(expl.stderr, 0.0, atol=1e-8)


def test_a_rows_values_depend_on_nothing_but_its_own_games(problem):
    background, X, _ = problem
    whole = _explain(background, X, n_samples=108, random_state=4)
    alone = _explain(background, X[3:4], n_samples=108, random_state=4)
    small = _explain(background, X, n_samples=108, random_state=4, batch_size=300)
    jobs = _explain(background, X, n_samples=108, random_state=4, batch_size=300, n_jobs=2)
    np.testing.assert_allclose(jobs.values, whole.values, atol=1e-12)
    np.testing.assert_allclose(alone.values[0], whole.values[3], atol=1e-12)
    np.testing.assert_allclose(small.values, whole.values, atol=1e-12)
    np.testing.assert_allclose(small.stderr, whole.stderr, atol=1e-12)
    assert whole.metadata["n_model_rows"] == small.metadata["n_model_rows"]


def test_adaptive_with_ties_and_weights(problem):
    # rows equal to background rows in some features play smaller games
    background, X, _ = problem
    X = X.copy()
    X[:, :3] = background[0, :3]
    X[0] = background[5]  # a row equal to a background row: that game is 0
    weights = np.linspace(1.0, 3.0, background.shape[0])
    truth = ExactShapley(interactions).fit(background, sample_weight=weights).explain(X).values
    errors = {}
    for allocation in ("equal", "adaptive"):
        runs = [KernelSHAP(interactions, n_samples=120, allocation=allocation, random_state=s)
                .fit(background, sample_weight=weights).explain(X) for s in range(6)]
        errors[allocation] = np.mean([rel_error(r.values, truth) for r in runs])
        for r in runs:
            np.testing.assert_allclose(r.values.sum(axis=1) + r.base_values, interactions(X),
                                       atol=1e-10)
    assert errors["adaptive"] < errors["equal"], errors


@pytest.mark.parametrize("setting", [
    {"tol": 0.05}, {"n_samples": 40}, {"link": "logit"}, {"one_background_row": True}])
def test_equal_allocation_where_adaptive_does_not_apply(setting):
    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(5, 9)), rng.normal(size=(2, 9))

    def proba(Z):
        p = 1.0 / (1.0 + np.exp(-interactions(Z)))
        return np.column_stack([1 - p, p])

    kw = dict(setting)
    model = interactions
    if kw.pop("link", None):
        model, kw["link"], kw["output"] = proba, "logit", 1
    if kw.pop("one_background_row", None):
        background = background[:1]
    kw.setdefault("n_samples", 160)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expl = KernelSHAP(model, random_state=0, **kw).fit(background).explain(X)
    assert expl.metadata["allocation"] == "equal"


def test_baselines_use_equal_allocation():
    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(5, 9)), rng.normal(size=(2, 9))
    expl = KernelSHAP(interactions, n_samples=160, random_state=0).fit(background).explain(
        X, baselines=background[:2])
    assert expl.metadata["allocation"] == "equal"


def test_bad_allocation_is_refused():
    with pytest.raises(ValueError, match="allocation"):
        KernelSHAP(interactions, allocation="neyman").fit(np.zeros((2, 9)))


def test_an_unknown_pilot_error_does_not_leak_into_other_games(monkeypatch):
    # a game whose pilot cannot estimate its error (NaN variance) and then
    # moves to a higher level must not turn the row's standard errors into NaN
    import skexplain.perturbation._kernel_designs as designs

    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(6, 9)), rng.normal(size=(3, 9))
    real = designs.NestedDesign.error_unknown

    def pilot_unknown(self, j):
        return True if j == 0 else real(self, j)

    monkeypatch.setattr(designs.NestedDesign, "error_unknown", pilot_unknown)
    expl = KernelSHAP(interactions, n_samples=108, random_state=0).fit(background).explain(X)
    assert expl.metadata["allocation"] == "adaptive"
    assert np.isfinite(expl.stderr).all()


def test_a_step_that_does_not_fit_leaves_the_budget_to_cheaper_ones():
    # game A's next step (cost 100) does not fit the 96 rows left after its
    # first; game B's first step (cost 96) does, and must be taken
    rows = np.array([[[96.0, 192.0, 292.0], [96.0, 192.0, 292.0]]])
    factor = np.tile([1.0, 0.5, 0.33], (1, 2, 1))
    level = allocate_levels(np.array([[10.0, 1.0]]), np.ones(2), rows, factor,
                            np.array([384.0]))
    assert level.tolist() == [[1, 1]]


@pytest.mark.parametrize("model", ["float32", "offset"])
def test_additive_games_stop_at_the_pilot_despite_round_off(model):
    # round-off of a float32 output, or of a large offset, is not variance:
    # an additive game needs nothing beyond the pilot (half the model rows)
    rng = np.random.default_rng(2)
    background, X, w = rng.normal(size=(6, 9)), rng.normal(size=(3, 9)), rng.normal(size=9)
    if model == "float32":
        def f(Z):
            return (np.asarray(Z) @ w).astype(np.float32)
    else:
        def f(Z):
            return 1e8 + np.asarray(Z) @ w
    runs = {a: KernelSHAP(f, n_samples=108, allocation=a, random_state=0).fit(background)
            .explain(X) for a in ("equal", "adaptive")}
    rows = {a: e.metadata["n_model_rows"] for a, e in runs.items()}
    assert rows["adaptive"] < 0.6 * rows["equal"], rows
    np.testing.assert_allclose(runs["adaptive"].values, runs["equal"].values, atol=1e-6)
