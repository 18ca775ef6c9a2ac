"""The engine of :class:`~skexplain.KernelSHAP`: designs, their evaluation and solve.

Background row ``b`` gets one design of coalitions per game size ``m`` (the
number of groups in which a row differs from ``b``), played by every row of
the block that differs from ``b`` in ``m`` groups.  Its coalitions come from a
generator seeded by (seed, b, m) only, so a row's estimate does not depend on
the other rows explained with it, nor on ``batch_size`` or ``n_jobs``.

Memory is bounded by a working budget as large as one ``predict`` call's
hybrid rows (:meth:`Task.work_bytes`), whatever the background size and the
number of rows: designs are drawn and factored a *chunk* of background rows
at a time (:class:`_Designs`, half of the budget), played by the rows in
*pieces* (:class:`_Games`, whose coalition values and solver temporaries
take the other half), and each estimate goes straight into the weighted sums
``sum_b w_b phi_b`` and ``sum_b w_b^2 var_b`` of its row (:class:`_Block`).
Nothing is held per (row, background row) but the game sizes.  When designs
can serve again (later blocks of rows, later rounds), those that fit in a
quarter of the budget are cached (:class:`DesignCache`); the others are drawn
and factored again, which costs no model calls.

With ``tol`` the sampled coalitions are evaluated in rounds and every round
solves each game again from all its values so far: a block keeps the values
of its games between rounds, so it holds as many rows as a quarter of the
budget allows (at least one, whatever the background).
"""
import sys
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from ._coalitions import CoalitionEvaluator
from ._lattice import group_differences
from ._samplers import plan_coalitions, sample_units
from ._solvers import SharedDesign

__all__ = ["DesignCache", "Task", "explain_block", "row_blocks"]

# With ``tol``, the sampled coalitions are evaluated in this many rounds.
_ROUNDS = 8
# Floor of the working budget: below a few MiB the interpreter's own noise
# dominates, and smaller chunks would only add calls.
_MIN_WORK_BYTES = 16 * 2**20
# Floats one stored coalition value costs while its piece is solved: the
# value, the evaluated pair it comes from and the solver's temporaries.
_COPIES_PER_VALUE = 8


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

    def plan(self, n_players):
        """The :class:`~skexplain.perturbation._samplers.CoalitionPlan` of a design."""
        return _cached_plan(n_players, self.budget(n_players), self.sampler, self.paired)

    def work_bytes(self, X, evaluator=None):
        """The working budget: as many float64 numbers as one ``predict`` call's hybrids."""
        evaluator = self.evaluator() if evaluator is None else evaluator
        rows = evaluator.design_chunk_rows(X)
        return max(_MIN_WORK_BYTES, 8 * rows * max(evaluator.builder.n_columns, 1))


def row_blocks(task, X, n_workers):
    """Blocks of rows whose per-row state fits in a quarter of the working budget."""
    evaluator = task.evaluator()
    n, nb = X.shape[0], task.weights.size
    g, k = evaluator.n_groups, task.background_values.shape[1]
    per_row = 16 * nb  # game sizes, and the groups of single-group games
    if task.tol is not None:  # a row's coalition values are kept between rounds
        units = min(task.budget(g), 2 ** min(g, 40)) // (2 if task.paired else 1)
        per_row += 8 * nb * max(units, 1) * k
    size = max(1, task.work_bytes(X, evaluator) // 4 // per_row)
    size = min(size, -(-n // n_workers))
    return [np.arange(s, min(s + size, n)) for s in range(0, n, size)]


class DesignCache:
    """Drawn and factored designs, kept while they fit in ``n_bytes`` (never evicted:
    rounds and blocks revisit designs cyclically, where eviction would thrash)."""

    def __init__(self, n_bytes):
        self.free = int(n_bytes)
        self.items = {}

    def get(self, key, make):
        if key in self.items:
            return self.items[key]
        value = make()
        size = value.nbytes if isinstance(value, np.ndarray) else sum(
            a.nbytes for a in vars(value).values() if isinstance(a, np.ndarray))
        if size <= self.free:
            self.items[key] = value
            self.free -= size
        return value


class _Designs:
    """The designs with ``m`` players of the background rows ``bgs`` (a chunk)."""

    def __init__(self, task, seed, m, bgs, n_rounds, cache):
        self.m, self.bgs, self.cache = m, bgs, cache
        self.plan = plan = task.plan(m)
        self.counts = plan.counts_after_rounds(n_rounds)
        self.sides = 2 if task.paired else 1
        self.tag = (m, bgs.tobytes())

        def draw():
            rngs = [np.random.default_rng([seed, int(b), m]) for b in bgs]
            return sample_units(rngs, plan, 1)  # (designs, units, m)

        self.units = cache.get(("units",) + self.tag, draw)

    def round_units(self, j):
        """Unit positions first evaluated in round ``j``."""
        before = self.counts[j - 1] if j else np.zeros_like(self.counts[0])
        return np.concatenate([np.arange(o + a, o + c) for o, a, c in zip(
            self.plan.offsets, before, self.counts[j])]).astype(int)

    def done(self, j):
        """Unit positions evaluated in rounds 0..j, and their strata."""
        plan, counts = self.plan, self.counts[j]
        stratum = plan.stratum_of_unit
        done = np.flatnonzero((np.arange(stratum.size) - plan.offsets[stratum])
                              < counts[stratum])
        return done, stratum[done]

    def factor(self, j):
        """The :class:`SharedDesign` of the units evaluated in rounds 0..j."""
        plan, counts = self.plan, self.counts[j]
        done, stratum = self.done(j)
        return self.cache.get(("design", j) + self.tag, lambda: SharedDesign(
            self.units[:, done], plan.kernel_mass[stratum] / counts[stratum],
            stratum=stratum, finite=1.0 - counts / plan.population,
            full_rank=self._full_rank(counts)))

    def _full_rank(self, counts):
        """Every coalition of size 1 (or d - 1) evaluated identifies every direction."""
        plan = self.plan
        singles = np.minimum(plan.sizes, plan.n_players - plan.sizes) == 1
        complete = singles & (counts == plan.population)
        return bool(plan.population[complete].sum() >= plan.n_players)


def _design_bytes(plan):
    """Memory of one factored design: per unit and player a mask and four floats."""
    units, m = int(plan.n_units.sum()), plan.n_players
    return units * m * 34 + 24 * m * m


class _Games:
    """The games some rows of a block play on the designs of a chunk (a piece).

    Design ``i`` is played by the rows ``rows[i, valid[i]]`` (indices into the
    block), padded with its first row to a common width; ``players`` maps the
    design's players to each row's groups.
    """

    def __init__(self, designs, rows, member, active, k):
        # the designs are not kept: between rounds only the values are
        plays = member.T  # (designs, rows of the piece)
        n_rows = plays.sum(axis=1)
        order = np.argsort(~plays, axis=1, kind="stable")[:, :max(n_rows.max(), 1)]
        self.valid = np.arange(order.shape[1])[None, :] < n_rows[:, None]
        local = np.where(self.valid, order, order[:, :1])
        self.rows = rows[local]
        self.embedded = active is not None
        self.players = None  # player p is group p unless the design is embedded
        if self.embedded:
            act = active[local, np.arange(designs.bgs.size)[:, None]]  # (designs, width, g)
            self.players = np.argsort(~act, axis=2, kind="stable")[:, :, :designs.m]
        # f(x_S, b) - f(x_notS, b) of each pair (paired), else f(x_S, b)
        self.values = np.zeros(self.rows.shape + (designs.units.shape[1], k))

    def requests(self, designs, units, live):
        """(rows, background row, masks, players) of each design for ``evaluate_designs``."""
        out, slots = [], []
        if units.size == 0:
            return out, slots
        small = designs.units[:, units]
        masks = np.concatenate([small, ~small], axis=1) if designs.sides == 2 else small
        playing = self.valid & live[self.rows]
        everyone = playing.all(axis=1)
        width = np.arange(self.rows.shape[1])
        for i, b in enumerate(designs.bgs.tolist()):
            sel = width if everyone[i] else np.flatnonzero(playing[i])
            if sel.size == 0:
                continue
            players = self.players[i, sel] if self.embedded else None
            out.append((self.rows[i, sel], b, masks[i], players))
            slots.append((i, sel))
        return out, slots

    def store(self, designs, slots, values, units):
        if units.size == 0:  # an enumerated design has nothing left after round 0
            return
        contiguous = units[-1] - units[0] + 1 == units.size
        cols = slice(units[0], units[-1] + 1) if contiguous else units
        for (i, sel), got in zip(slots, values):
            if designs.sides == 2:  # a pair only enters through its difference
                got = got[:, :units.size] - got[:, units.size:]
            if sel.size == self.rows.shape[1] and contiguous:
                self.values[i, :, cols] = got
            else:
                self.values[i, sel[:, None], units[None, :]] = got

    def solve(self, designs, j, factored, block, live):
        """Estimates and variances from rounds 0..j, added to the sums of the live rows."""
        fb = block.task.background_values
        plan, counts = designs.plan, designs.counts[j]
        done, _ = designs.done(j)
        d = block.fx[self.rows] - fb[designs.bgs][:, None, :]  # (designs, width, k)
        y = self.values if done.size == self.values.shape[2] else self.values[:, :, done]
        if designs.sides == 2:  # a pair enters as one row (see _solvers)
            target = (y + d[:, :, None, :]) * 0.5
        else:
            target = y - fb[designs.bgs][:, None, None, :]
        est, v = factored.solve(target, d)
        del target, y
        if np.any((counts == 0) & (plan.population > 0)):
            v[:] = np.nan  # a coalition size left out: its error is unknown
        playing = self.valid & live[self.rows]
        w = block.task.weights[designs.bgs]
        if not self.embedded and playing.all() and (self.rows == self.rows[:1]).all():
            # the common case: every design played by the same rows, all groups
            block.phi[self.rows[0]] += np.einsum("d,dwgk->wgk", w, est)
            block.var[self.rows[0]] += np.einsum("d,dwgk->wgk", w ** 2, v)
            return
        for i in range(designs.bgs.size):
            sel = np.flatnonzero(playing[i])
            if sel.size:
                rows = self.rows[i, sel]
                where = (rows[:, None], self.players[i, sel]) if self.embedded else rows
                block.phi[where] += w[i] * est[i, sel]
                block.var[where] += w[i] ** 2 * v[i, sel]


@lru_cache(maxsize=64)
def _cached_plan(n_players, n_samples, sampler, paired):
    plan = plan_coalitions(n_players, n_samples, sampler, paired)
    for field in fields(plan):
        value = getattr(plan, field.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared between calls: never modified
    return plan


class _Block:
    """A block of rows: game sizes, ``f(x)`` and the weighted sums of the estimates."""

    def __init__(self, task, X, seed, cache):
        self.task, self.X, self.seed, self.cache = task, X, seed, cache
        self.evaluator = task.evaluator()
        self.work = task.work_bytes(X, self.evaluator)
        self.x_codes, self.b_codes = self.evaluator.builder.comparable_codes(X)
        n, g, k = X.shape[0], self.evaluator.n_groups, task.background_values.shape[1]
        self.size, self.singles = self._sizes()
        self.phi, self.var = np.zeros((n, g, k)), np.zeros((n, g, k))
        self.fixed = None  # the sums of the single-group games (known with f(x))
        self.fx, self.used = None, 0

    def differences(self, rows, bgs):
        """(rows, bgs, n_groups) bool: where each row differs from each background row."""
        return group_differences(self.x_codes[rows], self.b_codes[bgs],
                                 self.evaluator.group_of_column)

    def _sizes(self):
        """Groups in which each row differs from each background row, and the
        (row, background row, group) of every single-group game."""
        n, nb = self.X.shape[0], self.b_codes.shape[0]
        # a few bytes per (row, background row, column) while they are compared
        step = max(1, self.work // 4 // (4 * nb * max(1, self.evaluator.builder.n_columns)))
        size = np.empty((n, nb), dtype=np.min_scalar_type(self.evaluator.n_groups))
        singles = []
        for s in range(0, n, step):
            active = self.differences(np.arange(s, min(s + step, n)), np.arange(nb))
            size[s:s + step] = active.sum(axis=2)
            rows, bgs = np.nonzero(size[s:s + step] == 1)
            singles.append((rows + s, bgs, np.argmax(active[rows, bgs], axis=1)))
        return size, tuple(np.concatenate(a) for a in zip(*singles))

    def evaluate(self, requests):
        """Values of the requested designs; ``f(x)`` rides along with the first call."""
        if self.fx is None:
            g = self.evaluator.n_groups
            whole = (np.arange(self.X.shape[0]), 0, np.ones((1, g), dtype=bool), None)
            values, used = self.evaluator.evaluate_designs(self.X, [whole] + requests)
            self.fx, values = values[0][:, 0], values[1:]
            self._single_group_games()
        else:
            values, used = self.evaluator.evaluate_designs(self.X, requests)
        self.used += used
        return values

    def _single_group_games(self):
        """A row differing from b in one group gives it the whole difference."""
        rows, bgs, groups = self.singles
        self.fixed = np.zeros_like(self.phi)
        delta = self.fx[rows] - self.task.background_values[bgs]
        np.add.at(self.fixed, (rows, groups), self.task.weights[bgs][:, None] * delta)
        self.phi[:] = self.fixed

    def chunks(self, n_rounds):
        """(m, background rows) of the designs, half of the budget at a time."""
        size = self.size
        for m in np.unique(size[size >= 2]).tolist():
            bgs = np.flatnonzero((size == m).any(axis=0))
            step = max(1, self.work // 2 // _design_bytes(self.task.plan(m)))
            for s in range(0, bgs.size, step):
                yield _Designs(self.task, self.seed, m, bgs[s:s + step], n_rounds, self.cache)

    def pieces(self, designs):
        """The games of a chunk, a piece of rows at a time (half of the budget each)."""
        member = self.size[:, designs.bgs] == designs.m
        rows = np.flatnonzero(member.any(axis=1))
        k, m = self.phi.shape[2], designs.m
        per_game = (8 * (_COPIES_PER_VALUE * designs.units.shape[1] * k + m)
                    + 4 * self.evaluator.builder.n_columns)  # values, players, differences
        step = max(1, self.work // 2 // (per_game * designs.bgs.size))
        embedded = m < self.phi.shape[1]  # then the players differ from row to row
        for s in range(0, rows.size, step):
            sub = rows[s:s + step]
            active = self.differences(sub, designs.bgs) if embedded else None
            yield _Games(designs, sub, member[sub], active, k)


def explain_block(task, X, seed, cache=None):
    """Explain a block of rows; returns (phi, variance, model rows, converged).

    ``phi`` and ``variance`` (n, n_groups, n_outputs) are the weighted sums
    over background rows.  ``cache`` (a :class:`DesignCache`) carries designs
    from one block to the next when blocks run one after the other.
    """
    n = X.shape[0]
    n_rounds = _ROUNDS if task.tol is not None else 1
    if cache is None:  # with rounds, units drawn in the first serve them all
        cache = DesignCache(task.work_bytes(X) // 4 if n_rounds > 1 else 0)
    block = _Block(task, X, seed, cache)
    converged = np.zeros(n, dtype=bool)
    kept = []  # with rounds, the games of every chunk keep their values
    for j in range(n_rounds):
        live = ~converged
        if j:
            block.phi[live], block.var[live] = block.fixed[live], 0.0
        chunks = block.chunks(n_rounds)
        for c, designs in enumerate(chunks):
            if j == 0:
                games = block.pieces(designs)
                if n_rounds > 1:
                    games = list(games)
                    kept.append(games)
            else:  # the same draw again, from the cache or drawn anew
                games = kept[c]
            _play(block, designs, games, j, live)
            del games
        if block.fx is None:  # no game of two or more groups: f(x) alone
            block.evaluate([])
        if task.verbose:
            print(f"[KernelSHAP] round {j + 1}/{n_rounds}: {int(live.sum())} rows, "
                  f"{block.used} model rows so far", file=sys.stderr)
        if task.tol is not None:
            converged |= _converged(block.phi, block.var, task.tol)
            if converged.all():
                break
    return block.phi, block.var, block.used, converged


def _play(block, designs, games, j, live):
    """Evaluate the units of round ``j`` of each piece of a chunk and solve it."""
    units, factored = designs.round_units(j), None
    for piece in games:
        requests, slots = piece.requests(designs, units, live)
        piece.store(designs, slots, block.evaluate(requests), units)
        if (piece.valid & live[piece.rows]).any():
            factored = designs.factor(j) if factored is None else factored
            piece.solve(designs, j, factored, block, live)
        del piece  # before the next piece is made


def _converged(est, var, tol):
    """Rows whose largest standard error is below ``tol`` times the spread of values."""
    se = np.sqrt(var)
    spread = est.max(axis=1) - est.min(axis=1)
    with np.errstate(invalid="ignore"):
        return np.all(se.max(axis=1) < tol * spread, axis=1)
