"""Adaptive allocation below one identified design per game: a sample of the background.

The value of row ``x`` is ``T = sum_b w_b phi_b`` over the single-reference
games ``v_b``.  A game's regression identifies every attribution from about
``sides * d`` coalitions (``d`` players, ``d - 1`` free directions); below
that its unidentified part is split evenly, an error that a larger
background does not average away (a GBR on diabetes, d=10, 100 background
rows, 10 coalitions per game: 0.41 relative error).  The row's budget then
buys more by playing fewer games, each well identified: ``k`` of them, a
random sample of the row's ``M`` games of two or more groups, each with the
smallest design that reaches every coalition size and estimates its own
error (:func:`_every_size`, about ``3 d`` paired), at least
:data:`MIN_GAMES` of them, for at most the model rows of ``n_samples`` on
every background row.  At these budgets the spread between
games, not the coalitions, dominates the error (the same GBR: 0.12 with 33
games of 30 coalitions).

Which games: a random order of the background rows, drawn from the call's
seed alone, and each row plays the first ``k`` of its ``M`` games in that
order.  A row's sample is then a simple random sample of its own games that
does not depend on the other rows explained with it.

The estimate is the survey-sampling regression estimator (Cochran 1977,
7.1) with the auxiliary ``a_b = f(x) - f(b)``, whose total over the row's
games is known: with ``y_b = M w_b phi_b`` and ``alpha_b = M w_b a_b``,

    T_hat = mean(y) + beta (A - mean(alpha)),  beta = cov(y, alpha) / var(alpha)

over the sampled games (per player and output).  Each game is efficient
(``sum_players y_b = alpha_b``), so the slopes sum to one over the players
and ``sum T_hat = A`` exactly: efficiency holds as for the full background.
Its variance has the two terms of two-stage sampling (Cochran 1977, 10.8):
the spread of the residuals between games, times ``(1 - k/M) / k``, and the
games' own variances, times ``k / M``, scaled for the ``k - 2`` degrees of
freedom of the spread (:func:`_student_factor`).  A game whose own variance
is unknown puts the spread of the estimates in its place, which includes it
and can only overstate the error.  The games' own designs keep the ratio
bias of small regressions (order ``1 / n``), which no choice of games
removes: up to 0.3 of the standard error at d=8 with 25 of 100 games, more
on games far from additive (the user guide gives the figures).
"""
from dataclasses import replace
from functools import lru_cache

import numpy as np

from ._kernel_designs import Sampling
from ._solvers import _variance_groups

__all__ = ["MIN_GAMES", "background_sampling", "regression_estimate", "sample_games"]

# Below this fraction of ``sides * n_groups`` coalitions per game, sampled
# games measured more accurate than all games with designs that do not
# identify them: 0.32-0.58 times the error at 1 to 1.5 coalitions per player
# (paired), 0.77-0.91 at 1.6 on a GBR, a forest, an MLP, boosted trees and a
# logistic regression (d=9-10, 100 background rows); at 1.8 all games
# measured better on four of the five (1.08-2.3 times the error, with
# designs of 2.8 d) (benchmarks/bench_kernel_background.py).
_UNIDENTIFIED = 0.875
# A row plays at least this many games (or all it has): the spread between
# games is estimated from them (with k - 2 degrees of freedom, which
# :func:`_student_factor` accounts for).
MIN_GAMES = 20


def background_sampling(sampling, n_groups, weights):
    """The :class:`Sampling` of a background sample, or None where it does not apply.

    It applies when ``n_samples`` is well below ``sides * n_groups`` (7/8 of
    it; and does not cover every coalition) and the budget still buys
    :data:`MIN_GAMES` identified games from the background, counted by its
    effective size ``(sum w)^2 / sum w^2`` (``weights``, shape
    (n_background,)): games are drawn with equal probability, which serves
    skewed weights badly (lognormal weights of sigma 1.5 on 120 rows,
    effective size 26: 1.3 times the error of every game, 78% coverage).
    """
    if sampling.n_samples == "auto" or sampling.plan(n_groups).exact:
        return None
    if int(sampling.n_samples) >= _UNIDENTIFIED * sampling.sides * n_groups:
        return None
    per_game = _every_size(n_groups, sampling.sampler, sampling.paired)
    fraction = int(sampling.n_samples) / per_game
    effective = weights.sum() ** 2 / (weights ** 2).sum()
    if fraction * effective < MIN_GAMES:
        return None
    return replace(sampling, n_samples=per_game, game_fraction=fraction)


@lru_cache(maxsize=64)
def _every_size(n_players, sampler, paired):
    """The smallest budget from ``sides * d + d // 2`` whose design samples
    every coalition size and knows its own standard error (every sampled
    stratum pools with another unit, see ``_solvers._variance_groups``):
    about 3 coalitions per player paired, 1.5 unpaired.  (Paired designs of
    ``2.75 d`` sample most sizes once: their errors were unknown and their
    ratio bias uncorrected.  Unpaired, d=8, 200 background rows: 1 per
    player gave 1.2 times the error; 2 per player enumerate the sizes 1 and
    d - 1 only, whose bias left 95% intervals covering 81-84%.)"""
    sides = 2 if paired else 1
    n = sides * n_players + n_players // 2
    while not _known_error(Sampling(n, sampler, paired).plan(n_players)):
        n += 1
    return n


def _known_error(plan):
    """Whether a design of ``plan`` reaches every size and estimates its own error."""
    if plan.exact:
        return True
    if np.any((plan.n_units == 0) & (plan.population > 0)):
        return False
    finite = 1.0 - plan.n_units / plan.population
    sampled = finite[plan.stratum_of_unit] > 0
    _, factor = _variance_groups(plan.stratum_of_unit, sampled, finite)
    return bool(np.isfinite(factor).all())


def sample_games(size, fraction, seed):
    """(n, n_background) bool: the games of two or more groups each row plays.

    Row ``r`` plays ``k_r = max(MIN_GAMES, floor(fraction * M_r))`` of its
    ``M_r`` such games (all when ``k_r >= M_r``), the first in an order of the
    background rows drawn from ``seed`` alone.
    """
    n, nb = size.shape
    domain = size >= 2
    m = domain.sum(axis=1)
    k = np.minimum(m, np.maximum(MIN_GAMES, np.floor(fraction * m))).astype(int)
    # key (seed, 0, 1): designs are keyed (seed, b, m) with m >= 2
    rank = np.empty(nb, dtype=int)
    rank[np.random.default_rng([seed, 0, 1]).permutation(nb)] = np.arange(nb)
    ranks = np.sort(np.where(domain, rank, nb), axis=1)
    last = ranks[np.arange(n), np.maximum(k - 1, 0)]  # rank of each row's k-th game
    return domain & (rank[None, :] <= last[:, None]) & (k > 0)[:, None]


def regression_estimate(phi, var, played, domain, weights, fx, fb):
    """The rows' values and variances from the games they played.

    Parameters
    ----------
    phi, var : ndarray of shape (n, n_background, n_groups, n_outputs)
        Estimate and variance of each played game (anything elsewhere).
    played, domain : ndarray of bool of shape (n, n_background)
        The games played, and all games of two or more groups.
    weights : ndarray of shape (n_background,)
    fx : ndarray of shape (n, n_outputs)
    fb : ndarray of shape (n_background, n_outputs)

    Returns
    -------
    total, variance : ndarray of shape (n, n_groups, n_outputs)
        Estimates of ``sum_b w_b phi_b`` over the domain, and their variances.
    """
    n, nb, g, k_out = phi.shape
    m = domain.sum(axis=1).astype(float)  # (n,)
    k = played.sum(axis=1).astype(float)
    on = played[:, :, None, None]
    scale = m[:, None] * weights[None, :]  # (n, nb): M w_b
    y = np.where(on, scale[:, :, None, None] * phi, 0.0)
    gap = fx[:, None, :] - fb[None, :, :]  # (n, nb, outputs)
    alpha = np.where(played[:, :, None], scale[:, :, None] * gap, 0.0)
    total_alpha = np.einsum("rb,b,rbk->rk", domain, weights, gap)
    per = np.maximum(k, 1.0)
    y_bar = y.sum(axis=1) / per[:, None, None]  # (n, g, outputs)
    a_bar = alpha.sum(axis=1) / per[:, None]
    y_dev = np.where(on, y - y_bar[:, None], 0.0)
    a_dev = np.where(played[:, :, None], alpha - a_bar[:, None], 0.0)
    beta = _slopes(y_dev, a_dev, alpha, k, g)
    total = y_bar + beta * (total_alpha - a_bar)[:, None, :]
    resid = y_dev - beta[:, None] * a_dev[:, :, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (resid ** 2).sum(axis=1) / (k - 2)[:, None, None]
        spread[k <= 2] = np.nan
        own = np.where(on, scale[:, :, None, None] ** 2 * var, 0.0).sum(axis=1)
        own /= per[:, None, None]
        sampled = (k / np.maximum(m, 1.0))[:, None, None]  # k / M
        # an unknown own variance (e.g. an unpaired game of fewer players than
        # the design was sized for): the spread, which includes it, in its place
        own = np.where(np.isnan(own) & (k > 2)[:, None, None], spread, own)
        variance = ((1 - sampled) * spread + sampled * own) / per[:, None, None]
    variance *= _student_factor(k)[:, None, None]
    variance[k == m] = (own / per[:, None, None])[k == m]  # every game played: no sampling
    empty = m == 0
    total[empty], variance[empty] = 0.0, 0.0
    return total, variance


def _student_factor(k):
    """``(t / z)^2`` at 97.5% for ``k - 2`` degrees of freedom (1 where k <= 2).

    The spread between games is estimated from ``k`` of them, so the
    estimate's error over its standard error follows Student's t with
    ``k - 2`` degrees of freedom, and ``+-1.96`` standard errors would cover
    94% at 25 games (measured 92-94% on two synthetic models, d=8).  Scaled
    by this factor (1.11 at 25 games, 1.05 at 50), the standard errors keep
    the nominal coverage of normal intervals.
    """
    from scipy.stats import norm, t

    df = np.maximum(k - 2, 1.0)
    return np.where(k > 2, (t.ppf(0.975, df) / norm.ppf(0.975)) ** 2, 1.0)


def _slopes(y_dev, a_dev, alpha, k, n_groups):
    """The regression slopes (n, n_groups, outputs); 1 / n_groups each where the
    sample cannot give them (fewer than 3 games, or ``alpha`` constant)."""
    s_aa = (a_dev ** 2).sum(axis=1)  # (n, outputs)
    s_ya = np.einsum("rbgk,rbk->rgk", y_dev, a_dev)
    floor = 1e-24 * (alpha ** 2).sum(axis=1) + 1e-300
    fit = (s_aa > floor) & (k >= 3)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = s_ya / np.where(fit, s_aa, 1.0)[:, None, :]
    return np.where(fit[:, None, :], beta, 1.0 / n_groups)
