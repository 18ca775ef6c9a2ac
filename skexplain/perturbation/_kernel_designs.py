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
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from ._coalitions import CoalitionEvaluator
from ._samplers import CoalitionPlan, plan_coalitions, sample_units
from ._seeding import generators
from ._solvers import SharedDesign

__all__ = ["Design", "DrawnUnits", "Sampling", "Task", "draw_units"]

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


@lru_cache(maxsize=64)
def _cached_plan(n_players, n_samples, sampler, paired):
    plan = plan_coalitions(n_players, n_samples, sampler, paired)
    for field in fields(plan):
        value = getattr(plan, field.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared between calls: never modified
    return plan


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

    Rounds of ``tol`` and later blocks of rows play the same designs again.
    Keeping their units (one byte per unit and player) cut a ``tol`` run on
    a cheap model (d=14, 100 background rows, 2048 coalitions, 4 blocks of
    rows) from 0.45 to 0.32 s.  Factored designs are not kept: they change
    from round to round and take 34 times the memory.
    """

    def __init__(self, seed: int, n_bytes: int):
        self.seed, self.free, self.kept = seed, int(n_bytes), {}

    def get(self, bgs, plan):
        """Units of the designs of ``plan.n_players`` players of ``bgs``, drawn or kept."""
        m, bgs = plan.n_players, bgs.tolist()
        missing = [b for b in bgs if (b, m) not in self.kept]
        if len(missing) == len(bgs):  # nothing kept: the fresh draw as it comes
            units = draw_units(self.seed, missing, m, plan)
            drawn = dict(zip(missing, units))
        else:
            drawn = dict(zip(missing, draw_units(self.seed, missing, m, plan))) if missing else {}
            units = np.stack([drawn[b] if b in drawn else self.kept[b, m] for b in bgs])
        for b, u in drawn.items():
            if u.nbytes <= self.free:
                self.kept[b, m] = u
                self.free -= u.nbytes
        return units


class OneDesign(DrawnUnits):
    """Every background row plays the design of background row 0.

    For per-row baselines (each row against one reference of its own): a
    row's values are then those of an explainer fitted on its reference
    alone, whatever the other rows and references of the call.
    """

    def get(self, bgs, plan):
        units = super().get(np.zeros(1, dtype=int), plan)
        return np.broadcast_to(units, (len(bgs),) + units.shape[1:])


class Design:
    """The designs of ``m`` players of a chunk of background rows ``bgs``.

    ``units[i]`` are the coalitions (the first side of each pair when
    paired) of background row ``bgs[i]``, in stratum order; round ``j`` of
    ``tol`` evaluates the first ``counts[j]`` units of each stratum.
    """

    def __init__(self, task: Task, drawn: DrawnUnits, m: int, bgs: np.ndarray):
        self.m, self.bgs, self.sides = m, bgs, task.sampling.sides
        self.plan = task.sampling.plan(m)
        self.counts = self.plan.counts_after_rounds(task.n_rounds)
        self.units = drawn.get(bgs, self.plan)

    @property
    def n_units(self) -> int:
        return self.units.shape[1]

    def round_units(self, j):
        """Unit positions first evaluated in round ``j``."""
        before = self.counts[j - 1] if j else np.zeros_like(self.counts[0])
        return np.concatenate([np.arange(o + a, o + c) for o, a, c in zip(
            self.plan.offsets, before, self.counts[j])]).astype(int)

    def evaluated(self, j):
        """Unit positions evaluated in rounds 0..j, and their strata."""
        plan, counts = self.plan, self.counts[j]
        stratum = plan.stratum_of_unit
        if j == self.counts.shape[0] - 1 or np.array_equal(counts, plan.n_units):
            return np.arange(stratum.size), stratum  # the whole plan
        done = np.flatnonzero((np.arange(stratum.size) - plan.offsets[stratum])
                              < counts[stratum])
        return done, stratum[done]

    def factor(self, j):
        """The weighted, factored regression of the units evaluated in rounds 0..j."""
        plan, counts = self.plan, self.counts[j]
        done, stratum = self.evaluated(j)
        weight = plan.kernel_mass[stratum] / counts[stratum]  # Shapley kernel per unit
        return SharedDesign(self.units[:, done], weight, stratum=stratum,
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


def design_bytes(plan):
    """Memory of one factored design: per unit and player a mask and four floats."""
    units, m = int(plan.n_units.sum()), plan.n_players
    return units * m * 34 + 24 * m * m
