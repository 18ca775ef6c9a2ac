"""The engine of :class:`~skexplain.KernelSHAP`: sampler, weights and solver per design.

Background row ``b`` gets one *design* of coalitions per game size ``m`` (the
number of groups in which an explained row differs from ``b``; the groups
where they agree are dummies of that game and are left out).  A design is
made in three steps, in this order:

1. **sampler** - :func:`draw_units` draws the coalitions of a
   :class:`~skexplain.perturbation._samplers.CoalitionPlan` from a generator
   seeded by ``(seed, b, m)`` only, so a row's estimate depends neither on
   the other rows explained with it nor on ``batch_size`` or ``n_jobs``;
2. **weights** - a unit of stratum ``p`` weighs ``kernel_mass[p] / count[p]``
   (:meth:`Design.factor`);
3. **solver** - :class:`~skexplain.perturbation._solvers.SharedDesign`
   factors the design once and solves the game of every row that plays it.

The coalition values come from
:meth:`~skexplain.perturbation.CoalitionEvaluator.evaluate_designs`; the
rows and their games are in :mod:`~skexplain.perturbation._kernel_games`.

Memory is bounded by a working budget as large as one ``predict`` call's
hybrid rows (:meth:`Task.work_bytes`): designs are drawn and factored a
*chunk* of background rows at a time (half of the budget) and played by the
rows a *piece* at a time (the other half).  With ``tol`` the sampled units
are evaluated in rounds (:meth:`CoalitionPlan.counts_after_rounds`); the
drawn units serve every round and block while they fit in a quarter of the
budget (:class:`DrawnUnits`), else they are drawn again (no model calls).
"""
import threading
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from ._coalitions import CoalitionEvaluator
from ._samplers import CoalitionPlan, plan_coalitions, sample_units
from ._seeding import generators
from ._solvers import SharedDesign

__all__ = ["DesignCache", "Design", "DrawnUnits", "NestedDesign", "Sampling", "Task", "draw_units"]

# With ``tol``, the sampled coalitions are evaluated in this many rounds.
ROUNDS = 8
# Floor of the working budget: below a few MiB the interpreter's own noise
# dominates, and smaller chunks would only add calls.
_MIN_WORK_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Sampling:
    """Which coalitions a design of ``m`` players holds (the sampler's settings)."""

    n_samples: "int | str"  # coalitions per design, or "auto": 2 m + 2048 like shap
    sampler: str  # size distribution, see ``_samplers.size_distribution``
    paired: bool  # a unit is a coalition and its complement
    adaptive: bool = False  # budgets per game from a pilot (``_kernel_allocation``)
    # below 1: each row plays a random sample of its games (``_kernel_background``)
    game_fraction: float = 1.0

    @property
    def sides(self) -> int:
        """Coalitions evaluated per unit."""
        return 2 if self.paired else 1

    def budget(self, n_players: int) -> int:
        if self.n_samples == "auto":
            return 2 * n_players + 2048
        return int(self.n_samples)

    def plan(self, n_players: int) -> CoalitionPlan:
        return _cached_plan(n_players, self.budget(n_players), self.sampler, self.paired)

    def levels(self, n_players: int) -> "Levels":
        """The nested levels of a design of ``n_players`` under adaptive allocation."""
        return _cached_levels(n_players, self.budget(n_players), self.sampler, self.paired)


@lru_cache(maxsize=64)
def _cached_plan(n_players, n_samples, sampler, paired):
    plan = plan_coalitions(n_players, n_samples, sampler, paired)
    for field in fields(plan):
        value = getattr(plan, field.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared between calls: never modified
    return plan


# Budgets of the levels of adaptive allocation, as multiples of ``n_samples``:
# level 0 is the pilot every game plays, level 1 what equal allocation spends.
# Six levels (0.5, 1, 1.5, 2, 3, 4) measured 0-10% lower error on the forest
# and the boosted classifier, but 1.5 times the time outside the model on a
# GBR (d=10, 20 background rows, 80 coalitions): 0.092 against 0.061 s.
LEVELS = (0.5, 1.0, 2.0, 4.0)
# The pilot is half the budget.  A game left at its pilot keeps the pilot's
# ratio bias (order 1 / n, as equal allocation's): at 8 coalitions per player
# 0.2 of its spread (d=8, 400 seeds), against 0.1 for equal, for a 24% lower
# RMSE.  A pilot of 5 or 6 per player removed the bias and most of the gain
# (RMSE 0.066 and 0.079 against 0.060 and equal's 0.079); from 12 per player
# neither shows a bias.
# Adaptive allocation starts at this many coalitions per player.  At 4 per
# player the pilot is too noisy to allocate by (no gain); at 8 it measured
# 0.58-0.87x equal allocation's error, with the pilot's bias above, but its
# fixed cost per call (designs drawn for 4 times the budget, a factorisation
# per level, the second pass) is not paid back on cheap models: a cold call
# on 20 rows of an MLP (d=12, 20 background rows) took 1.8 times one bare
# predict over the same rows, against 1.2 for equal allocation, and 0.88 on
# 100 rows.  From 12 per player it took 1.2-1.3 there, and the error was 0.78-0.95x
# equal allocation's on the MLP, a GBR, a forest and boosted trees (RESULTS.md).
MIN_ADAPTIVE_PER_PLAYER = 12


@dataclass(frozen=True)
class Levels:
    """Nested designs: level ``l`` evaluates the first ``counts[l]`` units of each stratum.

    ``plan`` is the top level, drawn once; strata it enumerates but a lower
    level samples are drawn in random order (``plan.shuffled``), so that
    every level is a stratified sample without replacement.  ``rows[l]`` is
    the coalitions a game evaluates up to level ``l``, ``var_factor[l]`` its
    variance relative to level 0 (equal spread in every stratum), and
    ``equal_rows`` what equal allocation spends on the game.
    """

    plan: CoalitionPlan
    counts: np.ndarray  # (len(LEVELS), n_strata)
    rows: np.ndarray  # (len(LEVELS),)
    var_factor: np.ndarray  # (len(LEVELS),)
    equal_rows: int
    order: np.ndarray  # the plan's unit positions, level after level
    stratum: np.ndarray  # stratum of each unit in that order
    n_at: np.ndarray  # (len(LEVELS),) units evaluated up to each level

    @property
    def nested(self) -> bool:
        """Whether a game can get more than the pilot (else one level: the equal design)."""
        return bool(self.rows[-1] > self.rows[0])


@lru_cache(maxsize=64)
def _cached_levels(n_players, n_samples, sampler, paired):
    equal = _cached_plan(n_players, n_samples, sampler, paired)
    if n_samples < MIN_ADAPTIVE_PER_PLAYER * n_players or equal.exact:
        counts = np.tile(equal.n_units, (len(LEVELS), 1))  # one level: the equal design
        top = equal
    else:
        plans = [plan_coalitions(n_players, max(2, int(f * n_samples)), sampler, paired)
                 for f in LEVELS]
        counts = np.maximum.accumulate(np.stack([p.n_units for p in plans]), axis=0)
        top = plans[-1]
        # a stratum too large to shuffle is evaluated whole from level 0 on
        whole = top.enumerated & (top.population > _MAX_SHUFFLED)
        counts[:, whole] = top.population[whole]
        shuffled = top.enumerated & ~whole & (counts[0] < top.population)
        top = CoalitionPlan(top.n_players, top.paired, top.sizes, top.middle, top.population,
                            top.n_units, top.kernel_mass, shuffled)
        for value in (top.n_units, top.population, top.shuffled):
            value.setflags(write=False)
    sides = 2 if paired else 1
    rows = counts.sum(axis=1) * sides
    sampled = counts < top.population
    spread = np.where(sampled, top.kernel_mass ** 2 * (1.0 / np.maximum(counts, 1)
                                                       - 1.0 / top.population), 0.0)
    total = spread.sum(axis=1)
    var_factor = total / total[0] if total[0] > 0 else np.zeros(len(LEVELS))
    # level-major layout: the units of level l are a prefix, after those of l - 1
    before = np.vstack([np.zeros_like(counts[:1]), counts[:-1]])
    order = np.concatenate([top.offsets[p] + np.arange(a, c) for lo, hi in zip(before, counts)
                            for p, (a, c) in enumerate(zip(lo, hi))]).astype(int)
    stratum = top.stratum_of_unit[order]
    n_at = counts.sum(axis=1)
    for value in (counts, rows, var_factor, order, stratum, n_at):
        value.setflags(write=False)
    return Levels(top, counts, rows, var_factor, equal.n_coalitions, order, stratum, n_at)


# Largest stratum put in random order for nested levels (its table is built).
_MAX_SHUFFLED = 200_000


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to explain a block of rows (picklable)."""

    evaluator: CoalitionEvaluator  # the model, background and groups; ``n_jobs=1``
    weights: np.ndarray  # (n_background,) background weights, summing to one
    sampling: Sampling
    tol: "float | None"  # stop a row once its standard errors are small enough
    verbose: int

    @property
    def background_values(self) -> np.ndarray:
        """``f(b)``, shape (n_background, n_outputs)."""
        return self.evaluator.background_predictions

    @property
    def n_rounds(self) -> int:
        if self.sampling.adaptive:
            return len(LEVELS)
        return ROUNDS if self.tol is not None else 1

    def work_bytes(self, X) -> int:
        """The working budget: as many float64 numbers as one ``predict`` call's hybrids."""
        rows = self.evaluator.design_chunk_rows(X)
        return max(_MIN_WORK_BYTES, 8 * rows * max(self.evaluator.builder.n_columns, 1))


def draw_units(seed, bgs, n_players, plan):
    """The sampler: units of ``plan`` for background rows ``bgs``, (len(bgs), units, m).

    Background row ``b`` draws from ``default_rng([seed, b, m])`` (built for
    all rows at once by :func:`~skexplain.perturbation._seeding.generators`)
    and from nothing else: its design is the same whichever rows play it.
    """
    return sample_units(generators(seed, bgs, n_players), plan, 1)


class DrawnUnits:
    """Units drawn per (background row, game size), kept while they fit in ``n_bytes``.

    Rounds of ``tol``, the passes of adaptive allocation and later blocks of
    rows play the same designs again.  Keeping their units cut a ``tol`` run
    on a cheap model (d=14, 100 background rows, 2048 coalitions, 4 blocks
    of rows) from 0.45 to 0.32 s.  They are kept as bits (one bit per unit
    and player): adaptive allocation's top-level designs are 4 times larger,
    and unpacked they did not fit (d=64, 100 background rows: drawing took
    a quarter of the time).  Factored designs are not kept: they change from
    round to round and take 34 times the memory of unpacked units.
    """

    def __init__(self, seed: int, n_bytes: int):
        self.seed, self.free, self.kept = seed, int(n_bytes), {}
        # factored designs, kept in a budget of their own (see ``factored_design``)
        self.free_factored, self.factored = int(n_bytes), {}

    def factored_design(self, key, make, n_bytes):
        """The factored design ``key``: kept from an earlier call, or ``make()`` (and
        kept while ``n_bytes`` fits).  Explainers with an int ``random_state`` keep
        their ``DrawnUnits`` between explain calls, which draw and factor the same
        designs again: the fixed cost of a call of one row against 20 background
        rows fell from 2.0 to 1.4 ms (d=10, 20 coalitions)."""
        design = self.factored.get(key)
        if design is None:
            design = make()
            if n_bytes <= self.free_factored:
                self.factored[key] = design
                self.free_factored -= n_bytes
        return design

    def get(self, bgs, plan, order=None):
        """Units of the designs of ``plan.n_players`` players of ``bgs``, drawn or
        kept (in the unit ``order`` given, e.g. level after level)."""
        m, bgs = plan.n_players, bgs.tolist()
        missing = [b for b in bgs if (b, m) not in self.kept]
        fresh = draw_units(self.seed, missing, m, plan) if missing else None
        if fresh is not None and order is not None:
            fresh = fresh[:, order]
        if len(missing) == len(bgs):  # nothing kept: the fresh draw as it comes
            units = fresh
            drawn = dict(zip(missing, units))
        else:
            drawn = dict(zip(missing, fresh)) if missing else {}
            units = np.stack([drawn[b] if b in drawn else self._unpack(b, m) for b in bgs])
        for b, u in drawn.items():
            n_bytes = u.shape[0] * -(-m // 8)  # packed: a bit per unit and player
            if n_bytes <= self.free:  # (packing is skipped when nothing is kept)
                self.kept[b, m] = np.packbits(u, axis=-1)
                self.free -= n_bytes
        return units

    def _unpack(self, b, m):
        return np.unpackbits(self.kept[b, m], axis=-1, count=m).view(bool)


class DesignCache:
    """The :class:`DrawnUnits` of the last int ``random_state``, kept between explain calls.

    Made at ``fit`` (a new background, new designs) and filled by ``explain``:
    the designs depend on the seed, the sampler's settings and the working
    budget only, never on the rows, so threads sharing an explainer get the
    same values whichever call filled it (a lock guards the swap).  Pickling
    drops what it holds.
    """

    def __init__(self):
        self._lock, self._kept = threading.Lock(), None

    def units(self, key, make):
        """The kept :class:`DrawnUnits` of ``key``, or ``make()`` kept in their place."""
        with self._lock:
            if self._kept is None or self._kept[0] != key:
                self._kept = (key, make())
            return self._kept[1]

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()


class OneDesign(DrawnUnits):
    """Every background row plays the design of background row 0.

    For per-row baselines (each row against one reference of its own): a
    row's values are then those of an explainer fitted on its reference
    alone, whatever the other rows and references of the call.
    """

    def get(self, bgs, plan, order=None):
        units = super().get(np.zeros(1, dtype=int), plan, order)
        return np.broadcast_to(units, (len(bgs),) + units.shape[1:])


class Design:
    """The designs of ``m`` players of a chunk of background rows ``bgs``.

    ``units[i]`` are the coalitions (the first side of each pair when
    paired) of background row ``bgs[i]``, in stratum order; round ``j`` of
    ``tol`` evaluates the first ``counts[j]`` units of each stratum.
    """

    def __init__(self, task: Task, drawn: DrawnUnits, m: int, bgs: np.ndarray):
        self.m, self.bgs, self.sides, self.drawn = m, bgs, task.sampling.sides, drawn
        self.plan = task.sampling.plan(m)
        self.counts = self.plan.counts_after_rounds(task.n_rounds)
        self.units = drawn.get(bgs, self.plan)

    @staticmethod
    def of(task: Task, drawn: DrawnUnits, m: int, bgs: np.ndarray) -> "Design":
        """The design of ``(m, bgs)`` for ``task``: nested under adaptive allocation."""
        return (NestedDesign if task.sampling.adaptive else Design)(task, drawn, m, bgs)

    @property
    def n_units(self) -> int:
        return self.units.shape[1]

    @property
    def first_units(self) -> int:
        """Units a game stores from round 0 on (all of them: rounds of ``tol`` fill them)."""
        return self.n_units

    @property
    def typical_units(self) -> int:
        """Units a game evaluates on average, which sizes the pieces of rows."""
        return self.n_units

    def round_units(self, j):
        """Unit positions first evaluated in round ``j``."""
        return self.units_between(j - 1, j)

    def units_between(self, lo, hi):
        """Unit positions evaluated by round ``hi`` but not by round ``lo`` (-1: none)."""
        before = self.counts[lo] if lo >= 0 else np.zeros_like(self.counts[0])
        return np.concatenate([np.arange(o + a, o + c) for o, a, c in zip(
            self.plan.offsets, before, self.counts[hi])]).astype(int)

    def evaluated(self, j):
        """Unit positions evaluated in rounds 0..j, and their strata."""
        plan, counts = self.plan, self.counts[j]
        stratum = plan.stratum_of_unit
        if j == self.counts.shape[0] - 1 or np.array_equal(counts, plan.n_units):
            return np.arange(stratum.size), stratum  # the whole plan
        done = np.flatnonzero((np.arange(stratum.size) - plan.offsets[stratum])
                              < counts[stratum])
        return done, stratum[done]

    def factor(self, j, which=None):
        """The weighted, factored regression of the units evaluated in rounds 0..j
        (of the designs ``which`` only, positions in ``bgs``, when given)."""
        bgs = self.bgs if which is None else self.bgs[which]
        key = (type(self).__name__, self.m, bgs.tobytes(), j)
        return self.drawn.factored_design(key, lambda: self._factor(j, which),
                                          design_bytes(self.plan) * bgs.size)

    def _factor(self, j, which):
        plan, counts = self.plan, self.counts[j]
        done, stratum = self.evaluated(j)
        weight = plan.kernel_mass[stratum] / counts[stratum]  # Shapley kernel per unit
        units = self.units if which is None else self.units[which]
        return SharedDesign(units[:, done], weight, stratum=stratum,
                            finite=1.0 - counts / plan.population,
                            full_rank=self._full_rank(counts))

    def error_unknown(self, j):
        """A coalition size left out of rounds 0..j: the standard errors are unknown."""
        return bool(np.any((self.counts[j] == 0) & (self.plan.population > 0)))

    def _full_rank(self, counts):
        """Every coalition of size 1 (or d - 1) evaluated identifies every direction."""
        plan = self.plan
        singles = np.minimum(plan.sizes, plan.n_players - plan.sizes) == 1
        complete = singles & (counts == plan.population)
        return bool(plan.population[complete].sum() >= plan.n_players)


class NestedDesign(Design):
    """The nested levels of a design (adaptive allocation): round ``j`` is level ``j``.

    Its units are laid out level after level (:class:`Levels`), so that the
    units of levels 0..j are a prefix: a game stores the pilot's values and
    grows only when its level asks for more.
    """

    def __init__(self, task: Task, drawn: DrawnUnits, m: int, bgs: np.ndarray):
        self.m, self.bgs, self.sides, self.drawn = m, bgs, task.sampling.sides, drawn
        self.levels = task.sampling.levels(m)
        self.plan, self.counts = self.levels.plan, self.levels.counts
        self.units = drawn.get(bgs, self.plan, self.levels.order)

    @property
    def first_units(self) -> int:
        return int(self.levels.n_at[0])

    @property
    def typical_units(self) -> int:
        return int(self.levels.n_at[1])  # the equal level: the row's budget on average

    def units_between(self, lo, hi):
        start = int(self.levels.n_at[lo]) if lo >= 0 else 0
        return np.arange(start, int(self.levels.n_at[hi]))

    def evaluated(self, j):
        n = int(self.levels.n_at[j])
        return np.arange(n), self.levels.stratum[:n]


def design_bytes(plan):
    """Memory of one factored design: per unit and player a mask and four floats."""
    units, m = int(plan.n_units.sum()), plan.n_players
    return units * m * 34 + 24 * m * m
