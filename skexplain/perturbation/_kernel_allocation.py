"""Adaptive allocation: how many coalitions each background game of a row gets.

The value of row ``x`` is ``sum_b w_b phi_b`` over the single-reference games
``v_b``, estimated independently, so its variance is ``sum_b w_b^2 var_b``.
Some games are nearly additive (their estimate is almost exact from few
coalitions) and others carry high-order interactions: spending the row's
budget equally on every game wastes it on the first.  Neyman allocation
spends it where the variance is: ``n_b`` proportional to ``w_b sigma_b``.

Every game first plays a pilot (level 0, half the budget), whose stratified
variance estimates ``var_b`` tell ``sigma_b``.  The designs are nested
(:class:`~skexplain.perturbation._kernel_designs.Levels`): level ``l`` adds
coalitions to level ``l - 1``, so the pilot's model rows are never wasted.
:func:`allocate_levels` then picks a level per game, greedily by variance
removed per model row, until the row has spent what equal allocation would
have spent.  A row's levels depend on its own pilot only, so its estimate
does not depend on the other rows, on ``batch_size`` or on ``n_jobs``.
"""
import numpy as np

__all__ = ["allocate_levels"]


def allocate_levels(pilot_var, weights, rows, var_factor, budget):
    """Level of each game of each row, spending at most ``budget`` model rows per row.

    Parameters
    ----------
    pilot_var : ndarray of shape (n_rows, n_games)
        Variance of each game's estimate at level 0 (summed over players and
        outputs); NaN where unknown, zero for no game or an exact one.
    weights : ndarray of shape (n_games,)
        Weight ``w_b`` of each game in the row's value.
    rows : ndarray of shape (n_rows, n_games, n_levels)
        Model rows a game costs up to each level (non-decreasing).
    var_factor : ndarray of shape (n_rows, n_games, n_levels)
        Variance at each level relative to level 0 (non-increasing).
    budget : ndarray of shape (n_rows,)
        Model rows each row may spend in all.

    Returns
    -------
    ndarray of int of shape (n_rows, n_games)

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain.perturbation._kernel_allocation import allocate_levels
    >>> rows = np.tile([10.0, 20.0, 40.0], (1, 2, 1))
    >>> factor = np.tile([1.0, 0.5, 0.25], (1, 2, 1))
    >>> allocate_levels(np.array([[4.0, 0.0]]), np.ones(2), rows, factor, np.array([50]))
    array([[2, 0]])
    """
    pilot_var = _known(pilot_var)
    var = (weights ** 2)[None, :, None] * pilot_var[:, :, None] * var_factor
    cost = np.diff(rows, axis=2)
    removed = -np.diff(var, axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(cost > 0, removed / cost, 0.0)
    # a step is worth at most the steps before it: a game's levels are taken in order
    gain = np.minimum.accumulate(gain, axis=2)
    n, n_games, n_steps = gain.shape
    flat_gain, flat_cost = gain.reshape(n, -1), cost.reshape(n, -1)
    order = np.argsort(-flat_gain, axis=1, kind="stable")  # level order kept on ties
    # the steps in that order, one column per position
    worth = np.take_along_axis(flat_gain, order, axis=1) > 0
    step_cost = np.take_along_axis(flat_cost, order, axis=1)
    game, step = order // n_steps, order % n_steps
    # the cheapest step worth taking from each position on: when no row's
    # spare budget reaches it, nothing later fits either
    cheapest = np.minimum.accumulate(np.where(worth, step_cost, np.inf)[:, ::-1],
                                     axis=1)[:, ::-1]
    spare = budget - rows[:, :, 0].sum(axis=1)
    level = np.zeros((n, n_games), dtype=int)
    rows_at = np.arange(n)
    # Steps by decreasing gain, for all rows at once.  A step that does not
    # fit is skipped, and so are the later steps of its game (a game's
    # levels are taken in order); cheaper steps of other games still fit.
    for position in range(order.shape[1]):
        if not (cheapest[:, position] <= spare).any():  # (sorted: worthless steps last)
            break
        g, cost_here = game[:, position], step_cost[:, position]
        take = worth[:, position] & (cost_here <= spare) & (level[rows_at, g] == step[:, position])
        level[rows_at[take], g[take]] += 1
        spare = spare - np.where(take, cost_here, 0.0)
    return level


def _known(pilot_var):
    """Unknown variances (a pilot that missed a coalition size) take the row's largest."""
    pilot_var = np.asarray(pilot_var, dtype=float)
    unknown = ~np.isfinite(pilot_var)
    if not unknown.any():
        return pilot_var
    finite = np.where(unknown, -np.inf, pilot_var)
    largest = finite.max(axis=1, keepdims=True)
    largest = np.where(np.isfinite(largest) & (largest > 0), largest, 1.0)
    return np.where(unknown, largest, pilot_var)
