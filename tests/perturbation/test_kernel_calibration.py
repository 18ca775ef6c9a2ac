"""KernelSHAP standard errors are calibrated: 200 independent runs against the truth.

Each run has its own ``random_state``, so its coalitions are drawn
independently of the other runs.  Both allocations are checked: with
adaptive allocation the budgets of the games depend on the pilot's own
estimates, which must neither bias the values nor spoil the errors.
"""
import numpy as np
import pytest

from skexplain import ExactShapley, KernelSHAP

N_REPEATS = 200


def nonlinear(X):
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) * X[:, 3]
            + np.tanh(X[:, 0] + X[:, 4] - X[:, 5]) + X[:, 1] * X[:, 3] * X[:, 5])


def nonlinear8(X):
    """``nonlinear`` and a three-way interaction of two more features."""
    X = np.asarray(X, dtype=float)
    return nonlinear(X[:, :6]) + X[:, 6] * X[:, 7] * X[:, 0]


# (model, n_features, n_samples, allocation): 40 coalitions of 6 features is
# below adaptive allocation's threshold (12 per feature), 96 of 8 at it.
CASES = {"equal": (nonlinear, 6, 40, "equal"), "adaptive": (nonlinear8, 8, 96, "adaptive")}


@pytest.fixture(scope="module", params=sorted(CASES))
def runs(request):
    model, d, n_samples, allocation = CASES[request.param]
    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(4, d)), rng.normal(size=(3, d))
    truth = ExactShapley(model).fit(background).explain(X).values
    explainer = KernelSHAP(model, n_samples=n_samples, allocation=allocation).fit(background)
    runs = [explainer.set_params(random_state=seed).explain(X) for seed in range(N_REPEATS)]
    assert {r.metadata["allocation"] for r in runs} == {allocation}
    values = np.stack([r.values for r in runs], axis=1)
    stderr = np.stack([r.stderr for r in runs], axis=1)
    shape = (3, N_REPEATS, d)
    assert values.shape == shape
    return truth, values, stderr


def test_mean_estimate_within_three_standard_errors_of_truth(runs):
    truth, est, _ = runs
    se_of_mean = est.std(axis=1, ddof=1) / np.sqrt(N_REPEATS)
    assert np.all(np.abs(est.mean(axis=1) - truth) < 3 * se_of_mean)


def test_reported_stderr_matches_empirical_spread(runs):
    _, est, stderr = runs
    ratio = np.sqrt((stderr ** 2).mean(axis=1)) / est.std(axis=1, ddof=1)
    assert np.all((ratio > 0.7) & (ratio < 1.3)), ratio


def test_nominal_95_intervals_cover(runs):
    truth, est, stderr = runs
    coverage = np.mean(np.abs(est - truth[:, None]) <= 1.96 * stderr)
    assert 0.93 <= coverage <= 0.97, coverage
