"""The rows of :class:`~skexplain.KernelSHAP`: their games, evaluation and sums.

Row ``x`` and background row ``b`` play the single-reference game
``v_b(S) = f(x_S, b_notS)`` over the ``m`` groups where they differ.  Its
coalitions are those of the design of ``(b, m)``
(:class:`~skexplain.perturbation._kernel_designs.Design`), and its estimate
goes straight into the weighted sums ``sum_b w_b phi_b`` and
``sum_b w_b^2 var_b`` of the row (:class:`RowSums`): nothing is held per
(row, background row) but the game sizes.

For one :func:`explain_block` call the steps are:

- game sizes (:class:`RowSums`): a game of one group gets the whole
  difference ``f(x) - f(b)`` and needs no design; a game of no group is 0;
- for each game size ``m`` and chunk of background rows, the designs are
  drawn and played by the rows a piece at a time (:class:`Games`); the
  pieces of all sizes are evaluated by the
  :class:`~skexplain.perturbation.CoalitionEvaluator` in batches of one
  ``predict`` call's rows, then each is solved by its design's
  :class:`~skexplain.perturbation._solvers.SharedDesign` and added to the
  row sums (:class:`_Solver`);
- with ``tol`` this is repeated in rounds: the games of a block keep their
  values and every round solves them again from all values so far;
- with adaptive allocation (:func:`_explain_adaptive`) every game first
  plays its pilot, the levels are chosen per row
  (:mod:`~skexplain.perturbation._kernel_allocation`), and the games above
  the pilot are played again, chunk by chunk and level by level;
- with a sample of the background (:func:`_explain_background_sample`) each
  row plays only its sampled games, kept per game, and the regression
  estimator of ``_kernel_background`` sums them.
"""
import sys

import numpy as np

from ._kernel_allocation import allocate_levels
from ._kernel_background import regression_estimate, sample_games
from ._kernel_designs import Design, DrawnUnits, design_bytes
from ._lattice import group_differences

__all__ = ["Games", "RowSums", "explain_block", "row_blocks"]

# Floats one stored coalition value costs while its piece is solved: the
# value, the evaluated pair it comes from and the solver's temporaries.
_COPIES_PER_VALUE = 8


def row_blocks(task, X, n_workers):
    """Blocks of rows whose per-row state fits in a quarter of the working budget."""
    n, nb = X.shape[0], task.weights.size
    g, k = task.evaluator.n_groups, task.background_values.shape[1]
    per_row = 16 * nb  # game sizes, and the groups of single-group games
    if task.sampling.adaptive:  # the pilot's values and estimates (the levels
        units = int(task.sampling.levels(g).n_at[0])  # above are played piece by piece)
        per_row += 8 * nb * (units + 2 * g) * k
    elif task.sampling.game_fraction < 1:  # the played games' estimates and the
        per_row += 64 * nb * g * k  # regression estimator's temporaries (8 copies)
    elif task.tol is not None:  # a row's coalition values are kept between rounds
        units = min(task.sampling.budget(g), 2 ** min(g, 40)) // task.sampling.sides
        per_row += 8 * nb * max(units, 1) * k
    size = max(1, task.work_bytes(X) // 4 // per_row)
    size = min(size, -(-n // n_workers))
    return [np.arange(s, min(s + size, n)) for s in range(0, n, size)]


class RowSums:
    """A block of rows: game sizes, ``f(x)`` and the weighted sums of the estimates.

    ``phi`` and ``var`` (n, n_groups, n_outputs) are ``sum_b w_b phi_b`` and
    ``sum_b w_b^2 var_b`` (estimates of different background rows are
    independent).  With ``pairs`` (n,) row ``i`` plays only the game of
    background row ``pairs[i]`` (per-row baselines): the others have no group.
    """

    def __init__(self, task, X, pairs=None):
        self.task, self.X, self.pairs = task, X, pairs
        self.evaluator = task.evaluator
        self.work = task.work_bytes(X)
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
        if self.pairs is not None:
            return self._paired_sizes()
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

    def _paired_sizes(self):
        """Sizes and single-group games when row i plays background row ``pairs[i]`` only."""
        n, nb, rows = self.X.shape[0], self.b_codes.shape[0], np.arange(self.X.shape[0])
        active = paired_differences(self.x_codes, self.b_codes[self.pairs],
                                    self.evaluator.group_of_column)
        size = np.zeros((n, nb), dtype=np.min_scalar_type(self.evaluator.n_groups))
        size[rows, self.pairs] = active.sum(axis=1)
        single = np.flatnonzero(active.sum(axis=1) == 1)
        return size, (single, self.pairs[single], np.argmax(active[single], axis=1))

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

    def restart(self, live):
        """Forget the sampled games of the live rows before a new round solves them again."""
        self.phi[live], self.var[live] = self.fixed[live], 0.0

    def add(self, games, est, var, weights, playing):
        """Add ``w_b est`` and ``w_b^2 var`` of the ``playing`` games of a piece to their rows.

        ``weights`` (designs,) weighs each background row of the chunk; zero
        weights leave a background row out (e.g. for sums over a subset).
        ``playing`` (designs, width) is :meth:`Games.playing`.
        """
        if games.players is None and playing.all() and (games.rows == games.rows[:1]).all():
            # every design played by the same rows, on all groups (no ties)
            self.phi[games.rows[0]] += np.einsum("d,dwgk->wgk", weights, est)
            self.var[games.rows[0]] += np.einsum("d,dwgk->wgk", weights ** 2, var)
            return
        # np.add.at adds in array order: design after design, as a loop would
        design, slot = np.nonzero(playing)
        rows, w = games.rows[design, slot], weights[design][:, None, None]
        where = games.group_index(design, slot, rows)
        np.add.at(self.phi, where, w * est[design, slot])
        np.add.at(self.var, where, w ** 2 * var[design, slot])

    def chunks(self):
        """The designs, (m, background rows) half of the budget at a time (drawn lazily)."""
        size = self.size
        for m in np.unique(size[size >= 2]).tolist():
            bgs = np.flatnonzero((size == m).any(axis=0))
            # a nested design is sized by its equal level too: above it only
            # the designs some game needs are factored (sizing by the top level
            # made 34 chunks of 3 designs on d=64 with 100 background rows, each
            # drawn and factored apart: 2-3 times slower)
            step = max(1, self.work // 2 // design_bytes(self.task.sampling.plan(m)))
            for s in range(0, bgs.size, step):
                yield m, bgs[s:s + step]

    def pieces(self, design):
        """The games played on ``design``, a piece of rows at a time (half of the budget each)."""
        member = self.size[:, design.bgs] == design.m
        rows = np.flatnonzero(member.any(axis=1))
        k, m = self.phi.shape[2], design.m
        per_game = (8 * (_COPIES_PER_VALUE * design.typical_units * k + m)
                    + 4 * self.evaluator.builder.n_columns)  # values, players, differences
        step = max(1, self.work // 2 // (per_game * design.bgs.size))
        embedded = m < self.phi.shape[1]  # then the players differ from row to row
        for s in range(0, rows.size, step):
            sub = rows[s:s + step]
            active = self.differences(sub, design.bgs) if embedded else None
            yield Games(design, sub, member[sub], active, k)


def _compact(mask):
    """Slots of the True entries of each row of ``mask`` (designs, n), moved to
    the front: (positions, valid), both (designs, width); a padding slot
    repeats the first position of its row."""
    counts = mask.sum(axis=1)
    order = np.argsort(~mask, axis=1, kind="stable")[:, :max(int(counts.max()), 1)]
    valid = np.arange(order.shape[1])[None, :] < counts[:, None]
    return np.where(valid, order, order[:, :1]), valid


class Games:
    """The games some rows play on the designs of a chunk (a piece), and their values.

    The designs are stacked to be solved together, so each is played by the
    same number of rows: design ``i`` is played by ``rows[i, valid[i]]``,
    padded with its first row.  (Stacked solves measured 5 to 30 times
    faster than one solve per design: 20 designs of d=10, 0.03 vs 0.79 ms;
    100 designs of d=14 played by 10 rows, 9.6 vs 51 ms.)  ``players[i, r]`` are the groups of the
    design's players in that row (None: player ``p`` is group ``p``).
    """

    def __init__(self, design, rows, member, active, k):
        plays = member.T  # (designs, rows of the piece)
        if plays.all():  # no padding: every design played by every row
            self.valid = np.ones(plays.shape, dtype=bool)
            local = np.broadcast_to(np.arange(rows.size), plays.shape)
        else:
            local, self.valid = _compact(plays)
        self.rows = rows[local]
        self.piece_rows = rows  # the rows of a design that every row plays, in order
        self.players = None
        if active is not None:  # a design of fewer players than groups
            act = active[local, np.arange(design.bgs.size)[:, None]]  # (designs, width, g)
            self.players = np.argsort(~act, axis=2, kind="stable")[:, :, :design.m]
        # f(x_S, b) - f(x_notS, b) of each pair (paired), else f(x_S, b)
        self.values = np.zeros(self.rows.shape + (design.first_units, k))

    def subset(self, keep, n_units):
        """The games ``keep`` (designs, width) in a piece of their own, with room
        for ``n_units`` units and the values stored so far (a level's games)."""
        new = object.__new__(Games)
        order, new.valid = _compact(keep)
        new.rows = np.take_along_axis(self.rows, order, axis=1)
        new.piece_rows = None
        new.players = None if self.players is None else np.take_along_axis(
            self.players, order[:, :, None], axis=1)
        have = self.values.shape[2]
        new.values = np.zeros(new.rows.shape + (n_units, self.values.shape[3]))
        new.values[:, :, :have] = np.take_along_axis(self.values, order[:, :, None, None], axis=1)
        return new

    def group_index(self, design_of, slot, *per_game):
        """Index of the players of games ``(design_of, slot)`` in an array indexed
        by ``per_game`` (index arrays, e.g. the games' rows) then by group."""
        if self.players is None:  # player p is group p
            return per_game
        return tuple(i[:, None] for i in per_game) + (self.players[design_of, slot],)

    def playing(self, design, live):
        """(designs, width) bool: the games whose row is ``live`` (n,) or whose
        (row, background row) pair is ``live`` (n, n_background)."""
        if live.ndim == 1:
            return self.valid & live[self.rows]
        return self.valid & live[self.rows, design.bgs[:, None]]

    def requests(self, design, units, live):
        """(rows, background row, masks, players) of each design for ``evaluate_designs``."""
        out, slots = [], []
        if units.size == 0:
            return out, slots
        small = design.units[:, units]
        masks = np.concatenate([small, ~small], axis=1) if design.sides == 2 else small
        playing = self.playing(design, live)
        everyone = playing.all(axis=1)
        width = np.arange(self.rows.shape[1])
        # one rows array for the designs that every row plays: the evaluator
        # then builds their hybrids in one pass (a design that some rows do
        # not play, e.g. for a tie, leaves the others sharing theirs: 24
        # hybrid fills per call became 12 on an MLP, d=12, 20 background rows)
        shared = self.rows[0] if (self.rows == self.rows[:1]).all() else None
        if shared is None and self.piece_rows is not None and (
                self.piece_rows.size == width.size):
            shared = self.piece_rows
        for i, b in enumerate(design.bgs.tolist()):
            sel = width if everyone[i] else np.flatnonzero(playing[i])
            if sel.size == 0:
                continue
            players = None if self.players is None else self.players[i, sel]
            rows = shared if everyone[i] and shared is not None else self.rows[i, sel]
            out.append((rows, b, masks[i], players))
            slots.append((i, sel))
        return out, slots

    def store(self, design, slots, values, units):
        """Keep the values of ``units`` (a pair enters through its difference)."""
        if units.size == 0:  # an enumerated design has nothing left after round 0
            return
        contiguous = units[-1] - units[0] + 1 == units.size
        cols = slice(units[0], units[-1] + 1) if contiguous else units
        for (i, sel), got in zip(slots, values):
            if design.sides == 2:
                got = got[:, :units.size] - got[:, units.size:]
            if sel.size == self.rows.shape[1] and contiguous:
                self.values[i, :, cols] = got
            else:
                self.values[i, sel[:, None], units[None, :]] = got

    def targets(self, design, j, fx, fb):
        """Regression targets and totals of rounds 0..j (see ``_solvers``).

        Returns ``target`` (designs, width, units, k) and ``delta`` =
        ``f(x) - f(b)`` (designs, width, k).  Further target sets on the same
        coalitions (e.g. a surrogate's values) can be solved at once by
        concatenating them along the last axis.
        """
        done, _ = design.evaluated(j)
        delta = fx[self.rows] - fb[design.bgs][:, None, :]
        if done.size == self.values.shape[2]:
            y = self.values
        elif done.size and done[-1] == done.size - 1:  # a prefix (nested designs)
            y = self.values[:, :, :done.size]
        else:
            y = self.values[:, :, done]
        if design.sides == 2:  # a pair enters as one row
            return (y + delta[:, :, None, :]) * 0.5, delta
        return y - fb[design.bgs][:, None, None, :], delta


def explain_block(task, X, drawn, pairs=None):
    """Explain a block of rows; returns (phi, variance, model rows, converged).

    ``phi`` and ``variance`` (n, n_groups, n_outputs) are the weighted sums
    over background rows.  ``drawn`` (a :class:`DrawnUnits` or an int seed)
    gives the units of the designs.  ``pairs`` (n,): the one background row
    each row is explained against (see :class:`RowSums`).
    """
    if not isinstance(drawn, DrawnUnits):  # with rounds, keep the units of round 0
        drawn = DrawnUnits(drawn, task.work_bytes(X) // 4 if task.n_rounds > 1 else 0)
    if task.sampling.adaptive:
        return _explain_adaptive(task, X, drawn)
    if task.sampling.game_fraction < 1:
        return _explain_background_sample(task, X, drawn)
    sums = RowSums(task, X, pairs)
    converged = np.zeros(X.shape[0], dtype=bool)
    kept = [] if task.n_rounds > 1 else None  # the games keep their values between rounds
    call_rows = task.evaluator.design_chunk_rows(X)
    for j in range(task.n_rounds):
        live = ~converged
        if j:
            sums.restart(live)
        solver = _Solver(sums, j, live)
        for batch in _batches(_plays(sums, drawn, kept), j, live, call_rows):
            solver.evaluate_and_solve(batch)
        if sums.fx is None:  # no game of two or more groups: f(x) alone
            sums.evaluate([])
        if task.verbose:
            print(f"[KernelSHAP] round {j + 1}/{task.n_rounds}: {int(live.sum())} rows, "
                  f"{sums.used} model rows so far", file=sys.stderr)
        if task.tol is not None:
            converged |= _converged(sums.phi, sums.var, task.tol)
            if converged.all():
                break
    return sums.phi, sums.var, sums.used, converged


def _explain_adaptive(task, X, drawn):
    """:func:`explain_block` under adaptive allocation (see ``_kernel_allocation``).

    1. Every game plays its pilot (level 0); its estimates are kept per game.
    2. Each row's games get their levels from the pilot's variances.
    3. The games left at the pilot enter the row sums with its estimates.
    4. The others are played again, in pieces of one level each: the
       coalitions above the pilot are evaluated, and each game is solved on
       all the units of its level.
    """
    sums = RowSums(task, X)
    kept, call_rows = [], task.evaluator.design_chunk_rows(X)
    has_game = sums.size >= 2
    pilot = _play_per_game(sums, drawn, kept, has_game, call_rows)
    rows, factor, budget = _level_arrays(task, sums.size)
    level = allocate_levels(pilot.spread(sums), task.weights, rows, factor, budget)
    level[~has_game] = -1
    pilot.add_to(sums, level == 0)
    del pilot  # free the pilot's estimates
    _play_levels(sums, drawn, kept, level, call_rows)
    if task.verbose:
        print(f"[KernelSHAP] games per level {np.bincount(level[level >= 0]).tolist()}, "
              f"{sums.used} model rows", file=sys.stderr)
    return sums.phi, sums.var, sums.used, np.ones(X.shape[0], dtype=bool)


def _explain_background_sample(task, X, drawn):
    """:func:`explain_block` on a sample of each row's games (see ``_kernel_background``).

    The played games keep their estimates per game, as the pilot does; the
    regression estimator then gives each row's sum over all its games.
    """
    sums = RowSums(task, X)
    domain = sums.size >= 2
    played = sample_games(sums.size, task.sampling.game_fraction, drawn.seed)
    sums.size = np.where(domain & ~played, 0, sums.size)  # the others are not played
    games = _play_per_game(sums, drawn, None, played, task.evaluator.design_chunk_rows(X))
    total, var = regression_estimate(games.phi, games.var, played, domain, task.weights,
                                     sums.fx, task.background_values)
    sums.phi += total
    sums.var += var
    if task.verbose:
        print(f"[KernelSHAP] {int(played.sum())} of {int(domain.sum())} background games "
              f"played, {sums.used} model rows", file=sys.stderr)
    return sums.phi, sums.var, sums.used, np.ones(X.shape[0], dtype=bool)


def _play_per_game(sums, drawn, kept, live, call_rows):
    """Play round 0 of the games ``live`` (n, n_background) and keep their
    estimates per game (a :class:`_Pilot`) instead of adding them to the row
    sums; ``f(x)`` is known afterwards."""
    games = _Pilot(sums)
    solver = _Solver(sums, 0, live, sink=games.record)
    for batch in _batches(_plays(sums, drawn, kept), 0, live, call_rows):
        solver.evaluate_and_solve(batch)
    if sums.fx is None:  # no game of two or more groups: f(x) alone
        sums.evaluate([])
    return games


class _Pilot:
    """The pilot's estimates and variances per game (row, background row)."""

    def __init__(self, sums):
        n, nb = sums.size.shape
        self.phi, self.var = np.zeros((2, n, nb) + sums.phi.shape[1:])

    def record(self, design, games, est, var, playing):
        """A :class:`_Solver` sink: keep the estimates of the playing games."""
        design_of, slot = np.nonzero(playing)
        at = games.group_index(design_of, slot, games.rows[design_of, slot],
                               design.bgs[design_of])
        self.phi[at], self.var[at] = est[playing], var[playing]

    def spread(self, sums):
        """Each game's variance, summed over players and outputs; zero below 1e-12
        of the game's scale (its values, f(x) and f(b) squared), so that exact
        games get no more coalitions: an additive game's round-off is about
        1e-31 of it in float64, 1e-14 for a float32 model.  A game that precise
        needs no more coalitions either."""
        spread = self.var.sum(axis=(2, 3))
        scale = ((self.phi ** 2).sum(axis=(2, 3)) + (sums.fx ** 2).sum(axis=1)[:, None]
                 + (sums.task.background_values ** 2).sum(axis=1)[None, :])
        return np.where(spread <= 1e-12 * scale, 0.0, spread)

    def add_to(self, sums, stays):
        """Add the games ``stays`` (n, n_background) to the row sums; the others are
        zeroed first (in place: the pilot is done), as 0 * NaN would be NaN."""
        self.phi[~stays], self.var[~stays] = 0.0, 0.0
        w = sums.task.weights
        sums.phi += np.einsum("b,rbgk->rgk", w, self.phi)
        sums.var += np.einsum("b,rbgk->rgk", w ** 2, self.var)


def _play_levels(sums, drawn, kept, level, call_rows):
    """Evaluate and solve the games above the pilot, each on the units of its level.

    The plays come chunk by chunk and level by level, so one factored design
    (a chunk's, at one level) is alive at a time, as the memory budget assumes.
    """
    solvers = {j: _Solver(sums, j, level == j) for j in range(1, sums.task.n_rounds)}
    current = None
    for batch in _calls(_extensions(sums, drawn, kept, level), call_rows):
        _evaluate_and_store(sums, batch)
        for design, games, units, requests, slots, j in batch:
            if (design, j) != current:  # free the last factored design first
                for solver in solvers.values():
                    solver.release()
                current = (design, j)
            solvers[j].solve(design, games)


def _extensions(sums, drawn, kept, level):
    """The games of each level above the pilot, in pieces of their own with their
    pilot's values, and the coalitions they still need, as plays ending in the level.

    A level's piece holds only that level's games, so the values kept beyond
    the pilot are those of the games being evaluated, at their own size.
    """
    def needed(bgs):
        return bool((level[:, bgs] >= 1).any())

    for design, pieces in _chunks_of(_plays(sums, drawn, kept, needed)):
        of_games = [np.where(g.valid, level[g.rows, design.bgs[:, None]], -1) for g in pieces]
        for j in range(1, design.counts.shape[0]):  # chunk by chunk, level by level
            units = design.units_between(0, j)
            for games, of_game in zip(pieces, of_games):
                if (of_game == j).any():
                    piece = games.subset(of_game == j, int(design.levels.n_at[j]))
                    requests, slots = piece.requests(design, units, level == j)
                    yield design, piece, units, requests, slots, j


def _chunks_of(plays):
    """(design, its pieces) from the (design, piece) plays of :func:`_plays`."""
    design, pieces = None, []
    for next_design, games in plays:
        if next_design is not design and pieces:
            yield design, pieces
            pieces = []
        design = next_design
        pieces.append(games)
    if pieces:
        yield design, pieces


def _level_arrays(task, size):
    """Each game's rows and variance factor per level, and each row's budget:
    the rows equal allocation would spend on its games."""
    n, nb = size.shape
    n_levels = task.n_rounds
    rows, factor = np.zeros((n, nb, n_levels)), np.ones((n, nb, n_levels))
    equal = np.zeros((n, nb))
    for m in np.unique(size[size >= 2]).tolist():
        levels, where = task.sampling.levels(m), size == m
        rows[where], factor[where], equal[where] = levels.rows, levels.var_factor, levels.equal_rows
    return rows, factor, equal.sum(axis=1)


def paired_differences(x_codes, b_codes, group_of_column):
    """(n, n_groups) bool: where row i of ``x_codes`` differs from row i of ``b_codes``."""
    differ = np.asarray(x_codes != b_codes, dtype=bool)
    if x_codes.dtype.kind == "f" or b_codes.dtype.kind == "f":  # NaN equals NaN
        differ &= ~(np.isnan(x_codes.astype(float)) & np.isnan(b_codes.astype(float)))
    order = np.argsort(group_of_column, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group_of_column[order]) != 0])
    return np.logical_or.reduceat(differ[:, order], starts, axis=1)


def _plays(sums, drawn, kept, needed=None):
    """(design, games), chunk after chunk and piece after piece.

    The first pass makes the games (and keeps them in ``kept`` when there are
    rounds); later passes play the kept games again on the same designs,
    skipping the chunks of background rows ``bgs`` where ``needed(bgs)`` is
    False (their designs are then not even drawn).
    """
    for c, (m, bgs) in enumerate(sums.chunks()):
        again = kept is not None and c < len(kept)
        if again and needed is not None and not needed(bgs):
            continue
        design = Design.of(sums.task, drawn, m, bgs)
        if again:
            pieces = kept[c]
        else:
            pieces = sums.pieces(design)
            if kept is not None:
                pieces = list(pieces)
                kept.append(pieces)
        for games in pieces:
            yield design, games


def _batches(plays, j, live, call_rows):
    """The plays of round ``j`` with their requests, grouped into one ``predict`` call's rows."""
    def with_requests():
        for design, games in plays:
            units = design.round_units(j)
            yield (design, games, units) + games.requests(design, units, live)
    return _calls(with_requests(), call_rows)


def _calls(plays, call_rows):
    """Plays ``(design, games, units, requests, slots, ...)`` grouped into calls of ``call_rows``.

    Designs of every game size and chunk then share calls: a model with a
    fixed cost per call (sklearn's input validation) pays it once per
    ``call_rows`` rows rather than once per game size.  A piece larger than
    a call is a batch of its own (the evaluator splits it).
    """
    batch, rows = [], 0
    for play in plays:
        design, units, requests = play[0], play[2], play[3]
        n_rows = sum(len(r[0]) for r in requests) * units.size * design.sides
        if batch and rows + n_rows > call_rows:
            yield batch
            batch, rows = [], 0
        batch.append(play)
        rows += n_rows
    if batch:
        yield batch


class _Solver:
    """Evaluates batches of plays, then solves each game and adds it to the row sums.

    A design is factored once for all its pieces and dropped as soon as a
    batch or a piece of another design comes (a chunk's pieces are
    consecutive): one factored design at a time, as the memory budget assumes.
    """

    def __init__(self, sums, j, live, sink=None):
        self.sums, self.j, self.live = sums, j, live
        self.design, self.factored, self.which = None, None, None
        # where the estimates of the playing games go: the row sums by default
        self.sink = sink or (lambda design, games, est, var, playing: sums.add(
            games, est, var, sums.task.weights[design.bgs], playing))

    def release(self):
        """Drop the factored design (it is the largest thing the solver holds)."""
        self.design, self.factored = None, None

    def evaluate_and_solve(self, batch):
        if batch[0][0] is not self.design:  # done with it: free it before evaluating
            self.release()
        _evaluate_and_store(self.sums, batch)
        for design, games, *_ in batch:
            if games.playing(design, self.live).any():
                self.solve(design, games)

    def solve(self, design, games):
        """The solver: estimates and variances of a piece's games, added to the row sums."""
        if design is not self.design:
            self.release()  # before the next one is factored
            self.which = self._designs_used(design)
            self.design, self.factored = design, design.factor(self.j, self.which)
        sums, j = self.sums, self.j
        target, delta = games.targets(design, j, sums.fx, sums.task.background_values)
        if self.which is not None:
            target, delta = target[self.which], delta[self.which]
        est, var = self.factored.solve(target, delta)
        del target
        if design.error_unknown(j):
            var[:] = np.nan
        playing = games.playing(design, self.live)
        if self.which is not None:  # the other designs have no game to solve here
            est, var = _scatter(est, self.which, playing.shape[0]), _scatter(
                var, self.which, playing.shape[0])
        self.sink(design, games, est, var, playing)

    def _designs_used(self, design):
        """With live (row, background row) pairs: the designs of the chunk that
        some live game plays (None: all), so that only those are factored."""
        if self.live.ndim == 1:
            return None
        used = np.flatnonzero(self.live[:, design.bgs].any(axis=0))
        return None if used.size == design.bgs.size else used


def _scatter(values, which, n_designs):
    """``values`` of designs ``which`` in an array of all designs (zeros elsewhere)."""
    out = np.zeros((n_designs,) + values.shape[1:])
    out[which] = values
    return out


def _evaluate_and_store(sums, batch):
    """Evaluate a batch of plays in one call and store the values in their games."""
    values = sums.evaluate([r for play in batch for r in play[3]])
    start = 0
    for design, games, units, requests, slots, *_ in batch:
        games.store(design, slots, values[start:start + len(requests)], units)
        start += len(requests)


def _converged(est, var, tol):
    """Rows whose largest standard error is below ``tol`` times the spread of values."""
    se = np.sqrt(var)
    spread = est.max(axis=1) - est.min(axis=1)
    with np.errstate(invalid="ignore"):
        return np.all(se.max(axis=1) < tol * spread, axis=1)
