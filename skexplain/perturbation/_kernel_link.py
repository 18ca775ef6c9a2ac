"""KernelSHAP under a nonlinear link: one design shared by the whole background.

With ``link="logit"`` the game is ``v(S) = logit(mean_b f(x_S, b_notS))``
(:mod:`~skexplain.perturbation._link`).  It is not the mean of the
single-reference games ``v_b``, so KernelSHAP's default engine (one design
per background row, :mod:`~skexplain.perturbation._kernel_games`) does not
apply.  Here a row draws *one* design of coalitions over the groups in which
it differs from some background row, as ``shap.KernelExplainer`` does; each
coalition is evaluated on every background row, averaged with the
background weights, and linked.  A coalition therefore costs
``n_background`` model rows, as in shap, and ``n_samples`` coalitions cost
``n_samples * n_background`` model rows per row, about as many as the
identity engine with the same ``n_samples``.

The design of ``m`` players is that of background row 0 of the default
engine, drawn from ``(seed, 0, m)`` only, so a row's values do not depend on
the rows explained with it.  It is solved by the same
:class:`~skexplain.perturbation._solvers.SharedDesign` (exact efficiency,
ratio-bias correction, stratified standard errors), and equals
:class:`~skexplain.ExactShapley` when the budget covers every coalition.
"""
import numpy as np

from ..utils._validation import select_rows
from ._kernel_designs import Design, DrawnUnits
from ._kernel_games import _converged
from ._link import apply_link

__all__ = ["explain_linked"]

# Coalition values held at once per block of rows (float64 numbers).
_BLOCK_FLOATS = 2**22


def explain_linked(task, evaluator, X, seed, link):
    """Explain ``X`` in link space; returns (phi, variance, model rows, converged).

    Parameters
    ----------
    task : Task
        Sampling, ``tol`` and rounds (its evaluator is not used).
    evaluator : CoalitionEvaluator
        Averages over the background with the background weights.
    X : ndarray or DataFrame of shape (n, \\*feature_shape)
    seed : int
    link : str

    Returns
    -------
    phi, variance : ndarray of shape (n, n_groups, n_outputs)
    n_model_rows : int
    converged : ndarray of bool of shape (n,)
    """
    n, g = X.shape[0], evaluator.n_groups
    fx, used = evaluator.evaluate(X, np.ones((1, g), dtype=bool))
    v_full = apply_link(fx[:, 0], link, evaluator.model, "the explained rows")
    v_empty = apply_link(evaluator.base_value, link, evaluator.model, "the background mean")
    delta = v_full - v_empty  # (n, k)
    phi, var = np.zeros((n, g, delta.shape[1])), np.zeros((n, g, delta.shape[1]))
    converged = np.zeros(n, dtype=bool)
    varying = evaluator.group_differences(X).any(axis=1)
    patterns, pattern_of_row = np.unique(varying, axis=0, return_inverse=True)
    drawn = DrawnUnits(seed, 0)
    for p, pattern in enumerate(patterns):
        rows, active = np.flatnonzero(pattern_of_row.reshape(-1) == p), np.flatnonzero(pattern)
        if active.size <= 1:  # no coalition to sample: the whole difference, or nothing
            phi[rows[:, None], active] = delta[rows][:, None]
            converged[rows] = True
            continue
        design = Design(task, drawn, active.size, np.zeros(1, dtype=int))
        step = max(1, _BLOCK_FLOATS // (design.n_units * design.sides * delta.shape[1]))
        for s in range(0, rows.size, step):
            sub = rows[s:s + step]
            result = _play(task, evaluator, select_rows(X, sub), design, active,
                           v_empty, delta[sub], link)
            phi[sub[:, None], active] = result[0]
            var[sub[:, None], active] = result[1]
            used += result[2]
            converged[sub] = result[3]
    return phi, var, used, converged


def _play(task, evaluator, X, design, active, v_empty, delta, link):
    """Rounds of one design played by rows ``X`` whose varying groups are ``active``."""
    n, k = X.shape[0], delta.shape[1]
    values = np.zeros((n, design.n_units, k))  # v(S) - v(comp) when paired, else v(S)
    phi, var = np.zeros((n, active.size, k)), np.zeros((n, active.size, k))
    converged, used = np.zeros(n, dtype=bool), 0
    units_of = design.units[0]
    for j in range(task.n_rounds):
        live = np.flatnonzero(~converged)
        units = design.round_units(j)
        if units.size:
            small = units_of[units]
            sides = [small, ~small] if design.sides == 2 else [small]
            # groups that equal every background row come from x (either is the same hybrid)
            masks = np.ones((len(sides) * units.size, evaluator.n_groups), dtype=bool)
            masks[:, active] = np.concatenate(sides)
            got, n_rows = evaluator.evaluate(select_rows(X, live), masks)
            used += n_rows
            got = apply_link(got, link, evaluator.model)
            if design.sides == 2:
                got = got[:, :units.size] - got[:, units.size:]
            values[live[:, None], units[None, :]] = got
        done, _ = design.evaluated(j)
        y, d = values[live][:, done], delta[live]
        # the regression targets of _solvers (a pair enters through its difference)
        target = (y + d[:, None]) * 0.5 if design.sides == 2 else y - v_empty
        est, v = design.factor(j).solve(target[None], d[None])
        if design.error_unknown(j):
            v[:] = np.nan
        phi[live], var[live] = est[0], v[0]
        if task.tol is None:
            break
        converged[live] = _converged(est[0], v[0], task.tol)
        if converged.all():
            break
    return phi, var, used, converged
