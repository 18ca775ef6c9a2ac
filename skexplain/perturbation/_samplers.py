"""Coalition samplers for budgeted Shapley regression (KernelSHAP).

Coalitions are grouped in *strata* of equal size.  With paired sampling a
stratum ``p`` holds the pairs ``{S, complement of S}`` with ``|S| = p <= d/2``
and a sampled *unit* is such a pair (it costs two coalitions); without pairing
a stratum is one size and a unit is one coalition.  A :class:`CoalitionPlan`
says how many units of each stratum a budget buys: the strata the budget can
cover completely are enumerated ("border trick", taken from the outer sizes
inwards), and the rest of the budget is split in proportion to a size
distribution and drawn uniformly *without replacement* within each stratum.
Fixed counts per stratum make every regression weight deterministic: a unit of
stratum ``p`` weighs ``kernel_mass[p] / n_units[p]``.
"""
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from math import comb

import numpy as np

__all__ = ["SIZE_DISTRIBUTIONS", "CoalitionPlan", "plan_coalitions", "sample_units",
           "size_distribution"]

SIZE_DISTRIBUTIONS = ("kernel", "leverage", "sqrt")
# Above this population a stratum is never enumerated to draw from it (memory).
_MAX_TABLE = 200_000
_HUGE = 2**62
# Random 64-bit multipliers hash masks of more than 62 players; a collision
# only makes the sampler redraw a unit, so it cannot bias anything.
_HASH = np.random.default_rng(20240917).integers(1, 2**63, size=4096, dtype=np.int64)


def size_distribution(n_players, sampler):
    """Relative probability of drawing a coalition of each size 1..d-1.

    ``"kernel"``: the Shapley kernel, proportional to ``1 / (s (d - s))``;
    ``"leverage"``: uniform over sizes (the leverage scores of the Shapley
    regression, Musco & Witter 2025); ``"sqrt"``: their geometric mean.

    Returns
    -------
    ndarray of shape (n_players - 1,)

    Examples
    --------
    >>> from skexplain.perturbation._samplers import size_distribution
    >>> size_distribution(4, "kernel") * 12
    array([4., 3., 4.])
    """
    s = np.arange(1, n_players, dtype=float)
    if sampler == "kernel":
        return 1.0 / (s * (n_players - s))
    if sampler == "leverage":
        return np.ones_like(s)
    if sampler == "sqrt":
        return 1.0 / np.sqrt(s * (n_players - s))
    raise ValueError(f"sampler must be one of {SIZE_DISTRIBUTIONS}; got {sampler!r}.")


@dataclass(frozen=True)
class CoalitionPlan:
    """How many units of each stratum to evaluate.

    Attributes
    ----------
    n_players : int
    paired : bool
    sizes : ndarray of shape (n_strata,)
        Coalition size of a stratum (the smaller side of a pair when paired).
    middle : ndarray of bool of shape (n_strata,)
        Paired stratum of size d/2: a pair's two sides have the same size.
    population : ndarray of shape (n_strata,)
        Number of distinct units in the stratum.
    n_units : ndarray of shape (n_strata,)
        Units drawn; equal to ``population`` for an enumerated stratum.
    kernel_mass : ndarray of shape (n_strata,)
        Sum of the Shapley kernel ``(d-1) / (C(d,s) s (d-s))`` over the
        stratum's coalitions.
    shuffled : ndarray of bool of shape (n_strata,) or None, default=None
        Enumerated strata whose units :func:`sample_units` puts in random
        order rather than in table order, so that their prefixes are samples
        too (the nested levels of adaptive allocation).
    """

    n_players: int
    paired: bool
    sizes: np.ndarray
    middle: np.ndarray
    population: np.ndarray
    n_units: np.ndarray
    kernel_mass: np.ndarray
    shuffled: "np.ndarray | None" = None

    @property
    def enumerated(self):
        return self.n_units == self.population

    @property
    def offsets(self):
        """Start of each stratum in the unit layout (strata are contiguous)."""
        return np.concatenate([[0], np.cumsum(self.n_units)[:-1]]).astype(int)

    @property
    def stratum_of_unit(self):
        return np.repeat(np.arange(self.sizes.size), self.n_units)

    @property
    def n_coalitions(self):
        return int(self.n_units.sum()) * (2 if self.paired else 1)

    @property
    def exact(self):
        return bool(np.all(self.enumerated))

    def counts_after_rounds(self, n_rounds):
        """Units of each stratum evaluated after each round, shape (n_rounds, n_strata).

        Enumerated strata come first; a sampled stratum grows evenly, with at
        least two units in the first round so that its spread is estimable.
        """
        frac = np.arange(1, n_rounds + 1)[:, None] / n_rounds
        counts = np.ceil(frac * self.n_units[None, :] - 1e-9).astype(int)
        counts = np.maximum(counts, np.minimum(2, self.n_units)[None, :])
        counts[:, self.enumerated] = self.n_units[self.enumerated]
        return counts


def _strata(n_players, paired):
    d = n_players
    if paired:
        sizes = np.arange(1, d // 2 + 1)
        middle = 2 * sizes == d
        population = [comb(d, p) // (2 if m else 1) for p, m in zip(sizes, middle)]
    else:  # outer sizes first: 1, d-1, 2, d-2, ...
        sizes = np.array(sorted(range(1, d), key=lambda s: (min(s, d - s), s)), dtype=int)
        middle = np.zeros(sizes.size, dtype=bool)
        population = [comb(d, s) for s in sizes]
    # Beyond 2^62 the exact count changes nothing (never enumerated, 1 - m/N = 1).
    population = np.minimum(np.array([min(c, _HUGE) for c in population], dtype=np.int64), _HUGE)
    mass_per_size = (d - 1) / (sizes * (d - sizes))  # C(d,s) coalitions x kernel k(s)
    mass = np.where(paired & ~middle, 2 * mass_per_size, mass_per_size)
    return sizes, middle, population, mass.astype(float)


def _allocate(budget, share, cap):
    """Integer allocation proportional to ``share``, capped, at least one each if possible."""
    alloc = np.zeros(share.size)
    free = np.ones(share.size, dtype=bool)
    while free.any():  # water-filling: strata that hit their cap release budget
        left = budget - alloc[~free].sum()
        trial = left * share * free / share[free].sum()
        hit = free & (trial >= cap)
        if not hit.any():
            alloc[free] = trial[free]
            break
        alloc[hit], free[hit] = cap[hit], False
    units = np.floor(alloc + 1e-9).astype(np.int64)
    order = np.argsort(-(alloc - units), kind="stable")
    extra = int(min(budget, cap.sum(dtype=float)) - units.sum())  # float: no overflow
    for j in order[:max(extra, 0)]:
        units[j] += 1
    units = np.minimum(units, cap)
    for j in np.flatnonzero(units == 0):  # every stratum needs a unit to be represented
        donor = int(np.argmax(units))
        if units[donor] > 1:
            units[donor] -= 1
            units[j] = 1
    return units


def plan_coalitions(n_players, n_samples, sampler="leverage", paired=True):
    """Split a budget of ``n_samples`` coalitions between strata.

    Parameters
    ----------
    n_players : int
        Number of players (features or groups), at least 2.
    n_samples : int
        Coalitions to evaluate (neither empty nor full).  A paired unit costs two.
    sampler : {"leverage", "kernel", "sqrt"}, default="leverage"
        Size distribution of :func:`size_distribution`.
    paired : bool, default=True

    Returns
    -------
    CoalitionPlan

    Examples
    --------
    >>> from skexplain.perturbation._samplers import plan_coalitions
    >>> plan = plan_coalitions(6, 30)
    >>> plan.population.tolist(), plan.n_units.tolist()
    ([6, 15, 10], [6, 6, 3])
    """
    sizes, middle, population, mass = _strata(n_players, paired)
    q = size_distribution(n_players, sampler)
    share = q[sizes - 1] + np.where(paired & ~middle, q[n_players - sizes - 1], 0.0)
    budget = int(n_samples) // (2 if paired else 1)
    n_units = np.zeros(sizes.size, dtype=np.int64)
    rest = np.ones(sizes.size, dtype=bool)
    for j in range(sizes.size):  # border trick, outer strata first
        if budget >= population[j] and budget * share[j] >= (1 - 1e-8) * population[j] * (
                share[rest].sum()):
            n_units[j], rest[j] = population[j], False
            budget -= int(population[j])
        else:
            break
    # The coalitions of size 1 (and d-1) alone identify every direction of
    # the regression: enumerating them whenever affordable makes the design
    # full rank (exact for additive games) and measured more accurate.
    outer = np.flatnonzero(rest & (np.minimum(sizes, n_players - sizes) == 1))
    if outer.size and budget >= population[outer].sum():
        n_units[outer], rest[outer] = population[outer], False
        budget -= int(population[outer].sum())
    if rest.any() and budget > 0:
        n_units[rest] = _allocate(budget, share[rest], population[rest])
    return CoalitionPlan(n_players, bool(paired), sizes, middle, population, n_units, mass)


@lru_cache(maxsize=64)
def _table(n_items, size):
    """All subsets of ``size`` among ``n_items`` as a read-only (C, n_items) bool array."""
    out = np.zeros((comb(n_items, size), n_items), dtype=bool)
    for row, cols in enumerate(combinations(range(n_items), size)):
        out[row, list(cols)] = True
    out.setflags(write=False)
    return out


def _select(uniform, sizes, forced):
    """Uniform subsets by sequential selection, vectorised over all units.

    ``uniform`` has shape (n_players, n_units); unit ``u`` keeps player ``i``
    with probability (still needed) / (players left), which yields every
    subset of size ``sizes[u]`` with equal probability.  ``forced`` units
    always keep player 0 (the canonical side of a middle pair).

    Returns the masks (n_units, n_players) and one int64 code per mask (the
    bit pattern up to 62 players, else a hash: a collision only causes a
    needless redraw).
    """
    n_players = uniform.shape[0]
    weights = (np.int64(1) << np.arange(n_players, dtype=np.int64)) if (
        n_players <= 62) else _HASH[:n_players]
    need = sizes.astype(np.float32)
    out = np.empty(uniform.shape, dtype=bool)  # players first: contiguous writes
    codes = np.where(forced, weights[0], 0).astype(np.int64)
    for i in range(n_players):
        take = np.multiply(uniform[i], np.float32(n_players - i), out=uniform[i]) < need
        if i == 0:  # forced units keep player 0 on top of the ``need`` others
            take &= ~forced
            out[0] = take | forced
        else:
            out[i] = take
        need -= take
        np.add(codes, weights[i], out=codes, where=take)
    return out.T, codes


def _table_units(rngs, plan, j, designs):
    """Distinct units drawn from the full list of a small stratum (random order)."""
    table, k = _stratum_table(plan, j), int(plan.n_units[j])
    keys = np.concatenate([rng.random((int(n), table.shape[0])) for rng, n in zip(rngs, designs)])
    first = np.argpartition(keys, k - 1, axis=1)[:, :k]  # the k smallest keys ...
    order = np.take_along_axis(first, np.argsort(np.take_along_axis(keys, first, axis=1),
                                                 axis=1), axis=1)  # ... in random order
    return table[order]


def _stratum_table(plan, j):
    d, size = plan.n_players, int(plan.sizes[j])
    if not plan.middle[j]:
        return _table(d, size)
    rest = _table(d - 1, size - 1)  # a middle pair is named by its side holding player 0
    return np.concatenate([np.ones((rest.shape[0], 1), dtype=bool), rest], axis=1)


def _dense(plan):
    """Sampled strata small enough to draw from their full list."""
    return (~plan.enumerated) & (16 * plan.n_units > plan.population) & (
        plan.population <= _MAX_TABLE)


def _later_duplicates(codes, group):
    """Flag units whose (group, code) already occurred earlier in the flat order."""
    key = codes * np.int64(-7046029254386353131) + group * np.int64(1442695040888963407)
    order = np.argsort(key, kind="stable")
    dup = np.zeros(codes.size, dtype=bool)
    dup[order[1:][key[order][1:] == key[order][:-1]]] = True
    return dup


def _sparse_units(rngs, plan, designs, strata):
    """Units of large strata: uniform draws, duplicates redrawn until distinct."""
    d, n_designs = plan.n_players, int(designs.sum())
    forced = np.repeat(plan.middle[strata], plan.n_units[strata])
    need = np.repeat(plan.sizes[strata], plan.n_units[strata]) - forced
    n_units = need.size
    uniform = np.concatenate([rng.random((d, int(k) * n_units), dtype=np.float32)
                              for rng, k in zip(rngs, designs)], axis=1)
    out, codes = _select(uniform, np.tile(need, n_designs), np.tile(forced, n_designs))
    stratum = np.tile(np.repeat(strata, plan.n_units[strata]), n_designs)
    group = np.repeat(np.arange(n_designs), n_units) * (strata.max() + 1) + stratum
    row_of_design = np.repeat(np.arange(len(rngs)), designs)
    while True:
        dup = np.flatnonzero(_later_duplicates(codes, group))
        if dup.size == 0:
            return out.reshape(n_designs, n_units, d)
        row_of = row_of_design[dup // n_units]
        # each generator redraws its own designs, in order (``dup`` is sorted,
        # and the designs of a generator are consecutive, so ``row_of`` is
        # sorted too); one selection for all of them (a unit's selection reads
        # only its own column): 1.3 to 0.8 ms per draw of 20 designs of d=12
        starts = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]])
        counts = np.diff(np.r_[starts, row_of.size])
        unif = np.concatenate([rngs[r].random((d, int(k)), dtype=np.float32)
                               for r, k in zip(row_of[starts].tolist(), counts)], axis=1)
        out[dup], codes[dup] = _select(unif, need[dup % n_units], forced[dup % n_units])


def sample_units(rngs, plan, designs):
    """Draw the units of ``plan`` for several independent designs per generator.

    Parameters
    ----------
    rngs : list of numpy.random.Generator
        Independent generators (KernelSHAP uses one per background row and
        game size); each draws its own designs only, so they never depend on
        the other generators.
    plan : CoalitionPlan
    designs : int or array-like of int of shape (len(rngs),)
        Number of independent designs drawn by each generator.

    Returns
    -------
    ndarray of bool of shape (n_designs, n_units, n_players)
        Designs of the first generator first.  Units are in stratum order
        (see ``plan.offsets``); within a sampled stratum the order is random,
        so any prefix is itself a sample without replacement.

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain.perturbation._samplers import plan_coalitions, sample_units
    >>> plan = plan_coalitions(5, 14)
    >>> units = sample_units([np.random.default_rng(0)], plan, 3)
    >>> units.shape, units.sum(axis=2)[0].tolist()
    ((3, 7, 5), [1, 1, 1, 1, 1, 2, 2])
    """
    designs = np.broadcast_to(np.asarray(designs, dtype=int), (len(rngs),))
    d, offsets, dense = plan.n_players, plan.offsets, _dense(plan)
    if plan.shuffled is not None:  # whole strata in random order: drawn as dense ones
        dense = dense | (plan.shuffled & plan.enumerated)
    out = np.empty((int(designs.sum()), int(plan.n_units.sum()), d), dtype=bool)
    for j in np.flatnonzero(plan.enumerated & ~dense & (plan.n_units > 0)):
        out[:, offsets[j]:offsets[j] + plan.n_units[j]] = _stratum_table(plan, j)
    for j in np.flatnonzero(dense):
        out[:, offsets[j]:offsets[j] + plan.n_units[j]] = _table_units(rngs, plan, j, designs)
    sparse = np.flatnonzero(~plan.enumerated & ~dense & (plan.n_units > 0))
    if sparse.size and out.shape[0]:
        cols = np.concatenate([np.arange(offsets[j], offsets[j] + plan.n_units[j])
                               for j in sparse])
        out[:, cols] = _sparse_units(rngs, plan, designs, sparse)
    return out
