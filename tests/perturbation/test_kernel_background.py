"""KernelSHAP below one identified design per game: a random sample of each
row's background games, against the truth (ExactShapley, a finite population
of known games)."""
import warnings

import numpy as np
import pytest

from skexplain import ExactShapley, KernelSHAP
from skexplain.perturbation._kernel_background import (
    MIN_GAMES, _every_size, background_sampling, regression_estimate, sample_games)
from skexplain.perturbation._kernel_designs import Sampling


def interactions(X):
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1] * X[:, 2] + np.sin(2 * X[:, 3]) * X[:, 4]
            + np.tanh(X[:, 5] - X[:, 6]) * X[:, 7] + X[:, 0] * X[:, 6])


def rel_error(est, truth):
    return np.abs(est - truth).mean() / np.abs(truth).mean()


# ------------------------------------------------------------- when it applies

@pytest.mark.parametrize("n_samples, paired, n_background, applies", [
    (5, True, 100, True),     # 5 < 2 * 8: games not identified; 20 games of 24
    (13, True, 100, True),
    (14, True, 100, False),   # near 2 * 8 all games measured better
    (5, True, 80, False),     # 5 / 24 * 80 < MIN_GAMES games
    ("auto", True, 100, False),
    (5, False, 100, True),    # unpaired: 8 coalitions identify a game; 41 of 12
    (7, False, 100, False),
])
def test_background_sampling_applies_below_an_identified_design(n_samples, paired,
                                                                n_background, applies):
    sampling = Sampling(n_samples, "leverage", paired)
    sample = background_sampling(sampling, 8, np.full(n_background, 1.0 / n_background))
    assert (sample is not None) == applies
    if applies:
        per_game = _every_size(8, "leverage", paired)
        assert sample.n_samples == per_game
        assert sample.game_fraction == pytest.approx(n_samples / per_game)
        assert sample.game_fraction * n_background >= MIN_GAMES


def test_the_games_design_samples_every_size_and_knows_its_error():
    from skexplain.perturbation._kernel_background import _known_error

    for d in (3, 5, 8, 13):
        for paired in (True, False):
            n = _every_size(d, "leverage", paired)
            plan = Sampling(n, "leverage", paired).plan(d)
            assert plan.exact or np.all((plan.n_units > 0) | (plan.population == 0))
            assert _known_error(plan)
            smaller = Sampling(n - 1, "leverage", paired).plan(d)
            assert n - 1 < (2 if paired else 1) * d + d // 2 or not _known_error(smaller)
    # a design whose sampled sizes hold one unit each cannot estimate its error
    assert not _known_error(Sampling(22, "leverage", True).plan(8))


def test_a_full_budget_is_never_sampled():
    # d=2: 2 coalitions are all of them, below 2 * d
    assert background_sampling(Sampling(2, "leverage", True), 2, np.ones(500)) is None


def test_skewed_weights_count_by_their_effective_size():
    sampling = Sampling(6, "leverage", True)
    assert background_sampling(sampling, 8, np.ones(120)) is not None
    skewed = np.random.default_rng(0).lognormal(sigma=1.5, size=120)  # effective size ~26
    assert background_sampling(sampling, 8, skewed) is None


# ------------------------------------------------------------- which games

def _sizes(rng, n=30, nb=90):
    size = rng.integers(0, 6, size=(n, nb))
    size[0] = 3  # a row without ties
    size[1, :10], size[1, 10:] = 3, 0  # a row with fewer games than MIN_GAMES
    return size


def test_each_row_plays_its_share_of_its_own_games():
    size = _sizes(np.random.default_rng(0))
    played = sample_games(size, 0.3, seed=7)
    domain = size >= 2
    assert not (played & ~domain).any()
    m = domain.sum(axis=1)
    expected = np.minimum(m, np.maximum(MIN_GAMES, np.floor(0.3 * m)))
    np.testing.assert_array_equal(played.sum(axis=1), expected)
    assert played[1].sum() == 10  # all of them


def test_a_rows_games_do_not_depend_on_the_other_rows():
    size = _sizes(np.random.default_rng(1))
    together = sample_games(size, 0.4, seed=3)
    for r in (0, 5, 17):
        np.testing.assert_array_equal(sample_games(size[r:r + 1], 0.4, seed=3)[0],
                                      together[r])


def test_games_are_a_uniform_sample():
    size = np.full((1, 50), 4)
    size[0, ::7] = 1  # not in the domain: never played
    domain = size[0] >= 2
    counts = sum(sample_games(size, 0.3, seed=s)[0].astype(int) for s in range(3000))
    assert counts[~domain].sum() == 0
    k, m = max(MIN_GAMES, int(0.3 * domain.sum())), domain.sum()
    p = k / m
    z = (counts[domain] - 3000 * p) / np.sqrt(3000 * p * (1 - p))
    assert np.abs(z).max() < 4.5, z
    chi2 = (z ** 2).sum()  # about chi-square with m - 1 degrees of freedom
    assert chi2 < m + 5 * np.sqrt(2 * m), chi2


# ------------------------------------------------- the regression estimator

def _population(rng, n=3, nb=80, g=5, k_out=2):
    """Games whose values are known exactly (efficient: they sum to f(x) - f(b))."""
    fx, fb = rng.normal(size=(n, k_out)), rng.normal(size=(nb, k_out))
    phi = rng.normal(size=(n, nb, g, k_out)) + 0.8 * (fx[:, None] - fb[None])[:, :, None] / g
    phi += ((fx[:, None] - fb[None]) - phi.sum(axis=2))[:, :, None] / g
    weights = rng.random(nb) + 0.5
    return phi, fx, fb, weights / weights.sum()


def test_all_games_played_gives_the_plain_sums():
    rng = np.random.default_rng(0)
    phi, fx, fb, w = _population(rng)
    var = rng.random(phi.shape)
    everything = np.ones(phi.shape[:2], dtype=bool)
    total, variance = regression_estimate(phi, var, everything, everything, w, fx, fb)
    np.testing.assert_allclose(total, np.einsum("b,rbgk->rgk", w, phi), atol=1e-12)
    np.testing.assert_allclose(variance, np.einsum("b,rbgk->rgk", w ** 2, var), atol=1e-12)


def test_the_estimate_is_efficient():
    rng = np.random.default_rng(1)
    phi, fx, fb, w = _population(rng)
    domain = np.ones(phi.shape[:2], dtype=bool)
    domain[:, :5] = False  # e.g. games of one group, summed apart
    played = sample_games(np.where(domain, 3, 1), 0.3, seed=0)
    total, _ = regression_estimate(phi, np.zeros_like(phi), played, domain, w, fx, fb)
    expected = np.einsum("rb,b,rbk->rk", domain, w, fx[:, None] - fb[None])
    np.testing.assert_allclose(total.sum(axis=1), expected, atol=1e-12)


def test_unbiased_and_calibrated_over_the_samples_of_a_known_population():
    # games known exactly: all the error is the choice of games, which the
    # two-stage variance (here its between-games term) must measure
    rng = np.random.default_rng(2)
    phi, fx, fb, w = _population(rng, n=2, nb=120, g=4, k_out=1)
    domain = np.ones(phi.shape[:2], dtype=bool)
    truth = np.einsum("b,rbgk->rgk", w, phi)
    runs = [regression_estimate(phi, np.zeros_like(phi), sample_games(
        np.full(domain.shape, 3), 0.25, seed=s), domain, w, fx, fb) for s in range(1500)]
    est = np.stack([r[0] for r in runs])
    se = np.sqrt(np.stack([r[1] for r in runs]))
    sd = est.std(axis=0, ddof=1)
    assert np.all(np.abs(est.mean(axis=0) - truth) < 4 * sd / np.sqrt(len(runs)))
    coverage = (np.abs(est - truth) < 1.96 * se).mean()
    assert 0.92 < coverage < 0.975, coverage
    ratio = np.sqrt((se ** 2).mean(axis=0)) / sd
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio


def test_an_unknown_variance_of_a_game_is_replaced_by_the_spread():
    rng = np.random.default_rng(3)
    phi, fx, fb, w = _population(rng)
    domain = np.ones(phi.shape[:2], dtype=bool)
    played = sample_games(np.full(domain.shape, 3), 0.3, seed=1)
    known = regression_estimate(phi, np.zeros_like(phi), played, domain, w, fx, fb)[1]
    unknown = regression_estimate(phi, np.full(phi.shape, np.nan), played, domain, w, fx,
                                  fb)[1]
    assert np.isfinite(unknown).all()
    assert np.all(unknown >= known)  # can only overstate the error


# ----------------------------------------------------- KernelSHAP end to end

@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(100, 8)), rng.normal(size=(4, 8))
    truth = ExactShapley(interactions).fit(background).explain(X).values
    return background, X, truth


def _explain(background, X, model=interactions, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # equal allocation warns: games not identified
        return KernelSHAP(model, **kw).fit(background).explain(X)


def test_a_sample_of_identified_games_beats_every_game_unidentified():
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor

    X, y = load_diabetes(return_X_y=True)
    model = GradientBoostingRegressor(n_estimators=50, random_state=0).fit(X, y)
    background, X = X[:100], X[100:104]
    truth = ExactShapley(model).fit(background).explain(X).values
    errors, rows = {}, {}
    for allocation in ("equal", "adaptive"):
        runs = [_explain(background, X, model=model, n_samples=10, allocation=allocation,
                         random_state=s) for s in range(4)]
        errors[allocation] = np.mean([rel_error(r.values, truth) for r in runs])
        rows[allocation] = max(r.metadata["n_model_rows"] for r in runs)
    assert runs[0].metadata["allocation"] == "background sample"
    assert rows["adaptive"] <= 10 * 100 * X.shape[0] + X.shape[0]  # n_samples per game, f(x)
    assert errors["adaptive"] < 0.5 * errors["equal"], errors  # measured 0.3


def test_background_sample_keeps_efficiency_and_calibrated_errors(problem):
    background, X, truth = problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # identified games: no warning
        runs = [KernelSHAP(interactions, n_samples=6, random_state=s).fit(background)
                .explain(X[:2]) for s in range(200)]
    assert {r.metadata["allocation"] for r in runs} == {"background sample"}
    for r in runs[:20]:
        np.testing.assert_allclose(r.values.sum(axis=1) + r.base_values, interactions(X[:2]),
                                   atol=1e-10)
    est, se = np.stack([r.values for r in runs]), np.stack([r.stderr for r in runs])
    sd = est.std(axis=0, ddof=1)
    # the games' own designs (24 coalitions of 8 players) keep a ratio bias of
    # order 1/n that no choice of games removes: measured up to 0.2 of the spread
    assert np.all(np.abs(est.mean(axis=0) - truth[:2]) < 0.4 * sd)
    ratio = np.sqrt((se ** 2).mean(axis=0)) / sd
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    coverage = (np.abs(est - truth[:2]) < 1.96 * se).mean()
    assert 0.93 <= coverage <= 0.97, coverage


def test_a_rows_values_depend_on_its_own_games_only(problem):
    background, X, _ = problem
    whole = _explain(background, X, n_samples=6, random_state=4)
    assert whole.metadata["allocation"] == "background sample"
    alone = _explain(background, X[2:3], n_samples=6, random_state=4)
    small = _explain(background, X, n_samples=6, random_state=4, batch_size=100)
    jobs = _explain(background, X, n_samples=6, random_state=4, batch_size=100, n_jobs=2)
    np.testing.assert_allclose(alone.values[0], whole.values[2], atol=1e-12)
    for other in (small, jobs):
        np.testing.assert_allclose(other.values, whole.values, atol=1e-12)
        np.testing.assert_allclose(other.stderr, whole.stderr, atol=1e-12)
    assert small.metadata["n_model_rows"] == whole.metadata["n_model_rows"]


def test_background_sample_with_ties_weights_and_groups(problem):
    background, X, _ = problem
    X = X.copy()
    X[:, :2] = background[0, :2]  # smaller games
    X[0, :] = background[3]  # a row equal to a background row
    X[1, :7] = background[:60, :7].mean(axis=0)
    background = background.copy()
    background[40:, :7] = X[1, :7]  # row 1 ties in 7 of 8 features with 60 rows
    weights = np.linspace(1.0, 4.0, background.shape[0])
    groups = [[0, 1], [2], [3, 4], [5], [6], [7]]
    truth = ExactShapley(interactions, feature_groups=groups).fit(
        background, sample_weight=weights).explain(X).values
    errors = {}
    for allocation in ("equal", "adaptive"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # equal allocation: games not identified
            runs = [KernelSHAP(interactions, n_samples=5, allocation=allocation,
                               feature_groups=groups, random_state=s)
                    .fit(background, sample_weight=weights).explain(X) for s in range(5)]
        errors[allocation] = np.mean([rel_error(r.values, truth) for r in runs])
        for r in runs:
            np.testing.assert_allclose(r.values.sum(axis=1) + r.base_values, interactions(X),
                                       atol=1e-10)
    assert runs[0].metadata["allocation"] == "background sample"
    assert errors["adaptive"] < errors["equal"], errors


def test_several_outputs_and_unpaired_designs():
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_wine(return_X_y=True)
    X = X[:, :10]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    rng = np.random.default_rng(0)
    rows = rng.permutation(len(X))
    background, X = X[rows[:100]], X[rows[100:104]]
    truth = ExactShapley(model, output="predict_proba").fit(background).explain(X).values
    errors = {}
    for allocation in ("equal", "adaptive"):
        runs = [_explain(background, X, model=model, output="predict_proba", n_samples=5,
                         paired=False, allocation=allocation, random_state=s)
                for s in range(6)]
        errors[allocation] = np.mean([rel_error(r.values, truth) for r in runs])
    assert runs[0].metadata["allocation"] == "background sample"
    assert runs[0].values.shape == truth.shape == (4, 10, 3)
    proba = model.predict_proba(X)
    for r in runs:
        np.testing.assert_allclose(r.values.sum(axis=1) + r.base_values, proba, atol=1e-10)
    assert errors["adaptive"] < 0.85 * errors["equal"], errors  # measured 0.69 on class 0


def test_a_row_playing_all_its_games_has_finite_errors_when_they_are_small():
    # unpaired designs sized for 8 players cannot estimate the error of games
    # of 5 (rows tying the background in 3 features): the spread stands in
    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(100, 8)), rng.normal(size=(2, 8))
    background[15:, 1:] = X[0, 1:]  # 85 games of one group
    background[:15, :3] = X[0, :3]  # 15 games of 5 groups, all played
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expl = KernelSHAP(interactions, n_samples=5, paired=False, random_state=0).fit(
            background).explain(X)
    assert expl.metadata["allocation"] == "background sample"
    assert np.isfinite(expl.stderr).all()
    np.testing.assert_allclose(expl.values.sum(axis=1) + expl.base_values, interactions(X),
                               atol=1e-10)
