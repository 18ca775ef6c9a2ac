"""The engine of :class:`~skexplain.KernelSHAP`: designs, their evaluation and solve.

A block of explained rows is explained against the background with one
:class:`_DesignGroup` per game size ``m`` (the number of groups in which a row
differs from a background row).  A group holds one design per background row,
played by every row of the block with that size; its coalitions are evaluated
through :meth:`~skexplain.perturbation.CoalitionEvaluator.evaluate_designs`
and solved by :class:`~skexplain.perturbation._solvers.SharedDesign`.
"""
import sys
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from ._coalitions import CoalitionEvaluator
from ._samplers import plan_coalitions, sample_units
from ._solvers import SharedDesign

__all__ = ["Task", "explain_block"]

# With ``tol``, the sampled coalitions are evaluated in this many rounds.
_ROUNDS = 8


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to explain a block of rows (picklable)."""

    model: object
    background: object
    background_values: np.ndarray  # f(b), shape (n_background, n_outputs)
    weights: np.ndarray  # background weights, summing to one
    groups: object
    n_samples: object
    sampler: str
    paired: bool
    tol: object
    batch_size: object
    verbose: int

    def evaluator(self):
        """One evaluator for all designs (``evaluate_designs`` picks the background row)."""
        return CoalitionEvaluator(
            self.model, self.background, feature_groups=self.groups,
            background_predictions=self.background_values, batch_size=self.batch_size,
            n_jobs=1)

    def budget(self, n_players):
        """Coalitions per design: ``2 m + 2048`` for "auto", like shap."""
        if self.n_samples == "auto":
            return 2 * n_players + 2048
        return int(self.n_samples)


class _DesignGroup:
    """The designs with ``m`` players of one block: one per background row.

    Design ``i`` holds the coalitions drawn for background row ``bgs[i]`` and
    ``m`` players; it is played by every row of the block that differs from
    that background row in exactly ``m`` groups (``players`` maps the design's
    players to those groups).  Its coalitions come from a generator seeded by
    (seed, background row, m) only, so a row's estimate does not depend on
    the other rows explained with it, nor on ``batch_size`` or ``n_jobs``.
    """

    def __init__(self, task, seed, active, member, n_rounds, cache):
        self.bgs = np.flatnonzero(member.any(axis=0))
        self.cache = cache
        plays = member[:, self.bgs].T  # (designs, rows of the block)
        n_rows = plays.sum(axis=1)
        # each design's rows first, padded with its first row to a common count;
        # the padding is never evaluated
        order = np.argsort(~plays, axis=1, kind="stable")[:, :n_rows.max()]
        self.valid = np.arange(order.shape[1])[None, :] < n_rows[:, None]
        self.rows = np.where(self.valid, order, order[:, :1])
        act = active[self.rows, self.bgs[:, None]]  # (designs, width, n_groups)
        m = int(act[0, 0].sum())
        self.players = np.argsort(~act, axis=2, kind="stable")[:, :, :m]
        self.embedded = m < active.shape[2]
        self.plan = _cached_plan(m, task.budget(m), task.sampler, task.paired)

        def draw():
            rngs = [np.random.default_rng([seed, int(b), m]) for b in self.bgs]
            return sample_units(rngs, self.plan, 1)  # (designs, units, m)

        self.units = self._cached(("units", m), draw)
        self.counts = self.plan.counts_after_rounds(n_rounds)
        self.sides = 2 if task.paired else 1
        # f(x_S, b) - f(x_notS, b) of each pair (paired), else f(x_S, b)
        self.values = np.zeros(self.rows.shape + (self.units.shape[1],
                                                  task.background_values.shape[1]))

    def round_units(self, j):
        """Unit positions first evaluated in round ``j``."""
        before = self.counts[j - 1] if j else np.zeros_like(self.counts[0])
        return np.concatenate([np.arange(o + a, o + c) for o, a, c in zip(
            self.plan.offsets, before, self.counts[j])]).astype(int)

    def designs(self, units, live):
        """(rows, background row, masks, players) of each design for ``evaluate_designs``."""
        out, slots = [], []
        if units.size == 0:
            return out, slots
        small = self.units[:, units]
        masks = np.concatenate([small, ~small], axis=1) if self.sides == 2 else small
        playing = self.valid & live[self.rows]
        everyone = playing.all(axis=1)
        width = np.arange(self.rows.shape[1])
        for i, b in enumerate(self.bgs.tolist()):
            sel = width if everyone[i] else np.flatnonzero(playing[i])
            if sel.size == 0:
                continue
            players = self.players[i, sel] if self.embedded else None
            out.append((self.rows[i, sel], b, masks[i], players))
            slots.append((i, sel))
        return out, slots

    def store(self, slots, values, units):
        if units.size == 0:  # an enumerated design has nothing left after round 0
            return
        contiguous = units[-1] - units[0] + 1 == units.size
        cols = slice(units[0], units[-1] + 1) if contiguous else units
        for (i, sel), got in zip(slots, values):
            if self.sides == 2:  # a pair only enters through its difference
                got = got[:, :units.size] - got[:, units.size:]
            if sel.size == self.rows.shape[1] and contiguous:
                self.values[i, :, cols] = got
            else:
                self.values[i, sel[:, None], units[None, :]] = got

    def solve(self, j, delta, base, live, phi, var):
        """Estimates and variances from rounds 0..j, written for the live rows."""
        plan, counts = self.plan, self.counts[j]
        stratum = plan.stratum_of_unit
        done = np.flatnonzero((np.arange(stratum.size) - plan.offsets[stratum])
                              < counts[stratum])  # units evaluated so far
        stratum = stratum[done]
        design = self._cached(("design", plan.n_players, j), lambda: SharedDesign(
            self.units[:, done], plan.kernel_mass[stratum] / counts[stratum],
            stratum=stratum, finite=1.0 - counts / plan.population,
            full_rank=self._full_rank(counts)))
        d = delta[self.rows, self.bgs[:, None]]  # (designs, width, k)
        y = self.values if done.size == self.values.shape[2] else self.values[:, :, done]
        if self.sides == 2:  # a pair enters as one row (see _solvers)
            target = (y + d[:, :, None, :]) * 0.5
        else:
            target = y - base[self.bgs][:, None, None, :]
        est, v = design.solve(target, d)
        if np.any((counts == 0) & (plan.population > 0)):
            v[:] = np.nan  # a coalition size left out: its error is unknown
        i, r = np.nonzero(self.valid & live[self.rows])
        rows, bgs, players = self.rows[i, r], self.bgs[i], self.players[i, r]
        phi[rows[:, None], bgs[:, None], players] = est[i, r]
        var[rows[:, None], bgs[:, None], players] = v[i, r]

    def _cached(self, key, make):
        """``make()``, or what it gave for the same key and background rows in an
        earlier block (designs depend on nothing else); one entry per key."""
        tag = self.bgs.tobytes()
        if self.cache is not None and key in self.cache and self.cache[key][0] == tag:
            return self.cache[key][1]
        value = make()
        if self.cache is not None:
            self.cache[key] = (tag, value)
        return value

    def _full_rank(self, counts):
        """Every coalition of size 1 (or d - 1) evaluated identifies every direction."""
        plan = self.plan
        singles = np.minimum(plan.sizes, plan.n_players - plan.sizes) == 1
        complete = singles & (counts == plan.population)
        return bool(plan.population[complete].sum() >= plan.n_players)


@lru_cache(maxsize=64)
def _cached_plan(n_players, n_samples, sampler, paired):
    plan = plan_coalitions(n_players, n_samples, sampler, paired)
    for field in fields(plan):
        value = getattr(plan, field.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared between calls: never modified
    return plan


def _evaluate_round(evaluator, X, live, groups, j, extra=()):
    """Evaluate the units of round ``j`` of every design for the live rows, in one pass.

    Each (row, design) pair is a single-reference game, so a coalition costs
    exactly one model row: ``f(x_S, b_notS)``.  ``extra`` designs share the
    model calls; their values are returned with the number of model rows.
    """
    designs, owners = list(extra), []
    for grp in groups:
        units = grp.round_units(j)
        part, slots = grp.designs(units, live)
        designs += part
        owners.append((grp, slots, units, len(part)))
    values, used = evaluator.evaluate_designs(X, designs)
    start = len(extra)
    for grp, slots, units, count in owners:
        grp.store(slots, values[start:start + count], units)
        start += count
    return used, values[:len(extra)]


def explain_block(task, X, seed, active, cache=None):
    """Explain a block of rows; returns (phi, variance, model rows, converged).

    ``cache`` (a dict) carries the designs drawn and factored for one block to
    the next when blocks run one after the other.
    """
    n, nb, g = active.shape
    evaluator = task.evaluator()
    size = active.sum(axis=2)
    n_rounds = _ROUNDS if task.tol is not None else 1
    groups = [_DesignGroup(task, seed, active, size == m, n_rounds, cache)
              for m in np.unique(size[size >= 2])]
    # f(x) is the coalition of every group against any background row: it
    # rides along with the first round instead of costing a call of its own
    whole = (np.arange(n), 0, np.ones((1, g), dtype=bool), None)
    converged = np.zeros(n, dtype=bool)
    used = 0
    for j in range(n_rounds):
        live = ~converged
        got, extra = _evaluate_round(evaluator, X, live, groups, j, [whole] if j == 0 else [])
        used += got
        if j == 0:
            delta = extra[0][:, 0][:, None, :] - task.background_values[None]  # (n, nb, k)
            phi = np.zeros((n, nb, g, delta.shape[2]))
            var = np.zeros_like(phi)
            rows1, bgs1 = np.nonzero(size == 1)  # one differing group takes the whole difference
            phi[rows1, bgs1, np.argmax(active[rows1, bgs1], axis=1)] = delta[rows1, bgs1]
        for grp in groups:
            grp.solve(j, delta, task.background_values, live, phi, var)
        if task.verbose:
            print(f"[KernelSHAP] round {j + 1}/{n_rounds}: {int(live.sum())} rows, "
                  f"{used} model rows so far", file=sys.stderr)
        if task.tol is not None:
            converged |= _converged(phi, var, task.weights, task.tol)
            if converged.all():
                break
    return (np.einsum("b,nbgk->ngk", task.weights, phi),
            np.einsum("b,nbgk->ngk", task.weights ** 2, var), used, converged)


def _converged(phi, var, weights, tol):
    """Rows whose largest standard error is below ``tol`` times the spread of values."""
    est = np.einsum("b,nbgk->ngk", weights, phi)
    se = np.sqrt(np.einsum("b,nbgk->ngk", weights ** 2, var))
    spread = est.max(axis=1) - est.min(axis=1)
    with np.errstate(invalid="ignore"):
        return np.all(se.max(axis=1) < tol * spread, axis=1)
