"""KernelSHAP standard errors are calibrated: 200 independent runs against the truth.

Each run has its own ``random_state``, so its coalitions are drawn
independently of the other runs.
"""
import numpy as np
import pytest

from skexplain import ExactShapley, KernelSHAP

N_REPEATS = 200


def nonlinear(X):
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) * X[:, 3]
            + np.tanh(X[:, 0] + X[:, 4] - X[:, 5]) + X[:, 1] * X[:, 3] * X[:, 5])


@pytest.fixture(scope="module")
def runs():
    rng = np.random.default_rng(0)
    background, X = rng.normal(size=(4, 6)), rng.normal(size=(3, 6))
    truth = ExactShapley(nonlinear).fit(background).explain(X).values
    explainer = KernelSHAP(nonlinear, n_samples=40).fit(background)
    runs = [explainer.set_params(random_state=seed).explain(X) for seed in range(N_REPEATS)]
    values = np.stack([r.values for r in runs], axis=1)
    stderr = np.stack([r.stderr for r in runs], axis=1)
    shape = (3, N_REPEATS, 6)
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
    assert 0.90 <= coverage <= 0.99
