"""``CoalitionEvaluator``: the value function ``v(S) = mean_b f(x_S, b_notS)``.

This is the only code of the perturbation explainers that calls the model.
Work is split into *units* (one explained row x one mask).  A unit whose mask
is neither empty nor full costs ``n_background`` model rows (the hybrids
``x_S, b_notS``); a full mask costs one row (``f(x)``) and an empty mask none
(``v(empty)`` is the background mean computed at fit).  Units are packed into
chunks of at most ``batch_size`` model rows, one ``predict`` per chunk, and
chunks may run in parallel through joblib.  Each unit is averaged on its own,
so results do not depend on ``batch_size`` or ``n_jobs``.
"""
import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from ..utils._parallel import n_workers
from ..utils._validation import select_rows

from ._groups import column_groups
from ._hybrids import HybridBuilder
from ._lattice import difference_codes, evaluate_subset_table, group_differences
from ._shapley import all_masks
from ._units import evaluate_chunks, first_unit, job_inputs

__all__ = ["CoalitionEvaluator"]

# Bound on the memory of one chunk of hybrid rows (float64 numbers).
_CHUNK_BYTES = 64 * 2**20
_MAX_AUTO_ROWS = 2**17
# Single-reference designs are evaluated through one reused buffer of hybrid
# rows.  2^14 rows per call measured best on every benchmark model (KernelSHAP
# in benchmarks/RESULTS.md): up to 1.7x faster than 2^17 on numpy models and
# MLPs, whose inputs and activations then stay in cache, as fast on trees, and
# enough rows to amortise a model's fixed cost per call.
_DESIGN_CHUNK_ROWS = 2**14


class CoalitionEvaluator:
    """Evaluate coalition values for many rows and many masks at once.

    Parameters
    ----------
    model : skexplain.adapters.Model
        The adapted model (``predict(X) -> (n, n_outputs)``).
    background : ndarray or DataFrame of shape (n_background, \\*feature_shape)
        Values for the features outside a coalition.
    background_weights : ndarray of shape (n_background,), default=None
        Weights summing to one; None means uniform.
    feature_groups : list of array-like of int, default=None
        Column positions (in the flattened feature axes) switched together by
        one mask entry.  None: one group per column.
    base_value : ndarray of shape (n_outputs,), default=None
        ``v(empty)``; the (weighted) mean of ``background_predictions`` when None.
    background_predictions : ndarray of shape (n_background, n_outputs), default=None
        ``model.predict(background)`` if already known (explainers compute it
        at fit); computed here when None.
    batch_size : int, default=None
        Maximum number of model rows per ``predict`` call (at least one
        coalition, i.e. ``n_background`` rows).  None picks a size bounded by
        64 MiB of hybrid data (and at most 2^14 rows for :meth:`evaluate_designs`).
    n_jobs : int, default=None
        Number of joblib workers over chunks of rows; honours
        ``joblib.parallel_config`` (e.g. ``backend="dask"``).

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain.adapters import as_model
    >>> from skexplain.perturbation import CoalitionEvaluator
    >>> bg = np.zeros((2, 3))
    >>> model = as_model(lambda X: X.sum(axis=1), sample=bg)
    >>> ev = CoalitionEvaluator(model, bg)
    >>> values, n_rows = ev.evaluate(np.ones((1, 3)), [[1, 0, 1], [1, 1, 1]])
    >>> values[0, :, 0], n_rows
    (array([2., 3.]), 3)
    """

    def __init__(self, model, background, *, background_weights=None, feature_groups=None,
                 base_value=None, background_predictions=None, batch_size=None, n_jobs=None):
        self.model = model
        self.builder = HybridBuilder(background)
        self.background_weights = background_weights
        n_columns = self.builder.n_columns
        self.group_of_column = column_groups(feature_groups, n_columns)
        self.n_groups = int(self.group_of_column.max()) + 1 if n_columns else 0
        self._groups_are_columns = bool(np.array_equal(self.group_of_column,
                                                       np.arange(n_columns)))
        preds = (model.predict(background) if background_predictions is None
                 else np.asarray(background_predictions, dtype=float))
        self.background_predictions = preds
        if base_value is None:  # v(empty), computed as BaseExplainer.fit does
            base_value = preds.mean(0) if background_weights is None else background_weights @ preds
        self.base_value = np.asarray(base_value, dtype=float).reshape(-1)
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    @property
    def n_background(self):
        return self.builder.n_background

    def _units_per_chunk(self):
        nb = self.n_background
        rows = self.batch_size
        if rows is None:
            rows = min(_MAX_AUTO_ROWS, _CHUNK_BYTES // (8 * max(self.builder.n_columns, 1)))
        return max(1, int(rows) // nb)

    def evaluate(self, X, masks):
        """Coalition values and the number of model rows evaluated.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*feature_shape)
            Rows to explain.
        masks : array-like of bool of shape (n_masks, n_groups) or (n, n_masks, n_groups)
            ``True`` takes the group from ``x``, ``False`` from the background.
            A 2-D array applies the same masks to every row.

        Returns
        -------
        values : ndarray of shape (n, n_masks, n_outputs)
            ``mean_b f(x_S, b_notS)`` for each row and mask.
        n_model_rows : int
            Model rows evaluated (coinciding hybrids are evaluated once).

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.adapters import as_model
        >>> from skexplain.perturbation import CoalitionEvaluator
        >>> bg = np.zeros((2, 3))
        >>> ev = CoalitionEvaluator(as_model(lambda X: X.sum(axis=1), sample=bg), bg)
        >>> values, n_rows = ev.evaluate(np.ones((1, 3)), [[1, 0, 1], [0, 0, 0]])
        >>> values[0, :, 0]
        array([2., 0.])
        """
        masks = np.asarray(masks, dtype=bool)
        n = X.shape[0]
        if masks.ndim not in (2, 3) or masks.shape[-1] != self.n_groups or (
                masks.ndim == 3 and masks.shape[0] != n):
            raise ValueError(
                f"masks must have shape (n_masks, {self.n_groups}) or ({n}, n_masks, "
                f"{self.n_groups}); got {masks.shape}."
            )
        n_masks = masks.shape[-2]
        total = n * n_masks
        if total == 0:
            return np.zeros((n, n_masks, self.base_value.shape[0])), 0
        bounds = self._chunk_bounds(total)
        jobs = self._split(bounds)
        call = delayed(evaluate_chunks)
        args = (self.model, self.builder, self.background_weights,
                None if self._groups_are_columns else self.group_of_column, self.base_value)
        if len(jobs) == 1:
            results = [evaluate_chunks(*args, X, masks, jobs[0])]
        else:
            results = Parallel(n_jobs=self.n_jobs)(
                call(*args, *job_inputs(X, masks, job, n_masks), job - first_unit(job, n_masks))
                for job in jobs)
        values = np.concatenate([r[0] for r in results], axis=0)
        return values.reshape(n, n_masks, -1), int(sum(r[1] for r in results))

    def group_differences(self, X):
        """(n, n_background, n_groups) bool: where each row differs from each b.

        Equal values (strings, categories and NaN included) compare equal.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*feature_shape)
            Rows to explain.

        Returns
        -------
        ndarray of bool of shape (n, n_background, n_groups)
            True where a group of the row differs from that background row.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.adapters import as_model
        >>> from skexplain.perturbation import CoalitionEvaluator
        >>> bg = np.zeros((2, 3))
        >>> ev = CoalitionEvaluator(as_model(lambda X: X.sum(axis=1), sample=bg), bg)
        >>> ev.group_differences(np.array([[1.0, 0.0, 1.0]]))[0, 0]
        array([ True, False,  True])
        """
        x_codes, b_codes = self.builder.comparable_codes(X)
        step = max(1, 2**24 // max(1, self.n_background * self.builder.n_columns))
        return np.concatenate([
            group_differences(x_codes[i:i + step], b_codes, self.group_of_column)
            for i in range(0, X.shape[0], step)], axis=0)

    def evaluate_designs(self, X, designs):
        """``f(x_S, b_notS)`` of rows against single background rows: no averaging.

        The values of single-reference games (KernelSHAP draws one design of
        coalitions per background row and plays it against every row).  One
        model row per (row, coalition); designs are packed into ``predict``
        calls of at most ``batch_size`` rows.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*feature_shape)
        designs : list of tuple (rows, background_row, masks, players)
            ``rows`` (R,) int: rows of ``X``; ``background_row``: int;
            ``masks`` (C, m) bool: coalitions over the design's ``m`` players;
            ``players`` (R, m) int: the group each player stands for in each
            row, or None when player ``p`` is group ``p`` (``m == n_groups``).
            Groups no player stands for are taken from the background row.

        Returns
        -------
        values : list of ndarray of shape (R, C, n_outputs), one per design
        n_model_rows : int

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.adapters import as_model
        >>> from skexplain.perturbation import CoalitionEvaluator
        >>> bg = np.zeros((2, 3))
        >>> ev = CoalitionEvaluator(as_model(lambda X: X.sum(axis=1), sample=bg), bg)
        >>> masks = np.array([[True, False], [True, True]])
        >>> values, n_rows = ev.evaluate_designs(np.ones((1, 3)), [(np.array([0]), 1, masks,
        ...                                                         np.array([[0, 2]]))])
        >>> values[0][0, :, 0], n_rows
        (array([1., 2.]), 2)
        """
        k = self.background_predictions.shape[1]
        out = [np.empty((len(rows), masks.shape[0], k)) for rows, _, masks, _ in designs]
        step = self.design_chunk_rows(X)
        pieces = [p for i, design in enumerate(designs) for p in _pieces(i, design, step)]
        chunks, size = [[]], 0
        for piece in pieces:
            n_rows = _piece_rows(piece)
            if size + n_rows > step and chunks[-1]:
                chunks.append([])
                size = 0
            chunks[-1].append(piece)
            size += n_rows
        buffer = None
        if not self.builder.is_frame and pieces:
            buffer = np.empty((max(sum(map(_piece_rows, c)) for c in chunks),
                               self.builder.n_columns),
                              dtype=self.builder.grid_dtype(X))
        used = 0
        for chunk in chunks:
            if not chunk:
                continue
            batch = self._grid_batch(X, designs, chunk, buffer)
            preds = self.model.predict(batch)
            start = 0
            for i, rs, cs in chunk:
                n_rows = _piece_rows((i, rs, cs))
                out[i][rs, cs] = preds[start:start + n_rows].reshape(
                    rs.stop - rs.start, cs.stop - cs.start, k)
                start += n_rows
            used += start
        return out, used

    def design_chunk_rows(self, X):
        """Rows per call for :meth:`evaluate_designs`: ``batch_size``, or 2^14 within 64 MiB.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*feature_shape)
            Rows to explain (their dtype sets the bytes per hybrid row).

        Returns
        -------
        int
            Hybrid rows per model call.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.adapters import as_model
        >>> from skexplain.perturbation import CoalitionEvaluator
        >>> bg = np.zeros((2, 3))
        >>> ev = CoalitionEvaluator(as_model(lambda X: X.sum(axis=1), sample=bg), bg)
        >>> ev.design_chunk_rows(np.ones((1, 3)))
        16384
        """
        if self.batch_size is not None:
            return int(self.batch_size)
        row_bytes = max(self.builder.n_columns, 1) * (
            8 if self.builder.is_frame else self.builder.grid_dtype(X).itemsize)
        return max(1, min(_DESIGN_CHUNK_ROWS, _CHUNK_BYTES // row_bytes))

    def _grid_batch(self, X, designs, chunk, buffer):
        """The model input of one chunk of design pieces."""
        if self.builder.is_frame:
            frames = []
            for i, rs, cs in chunk:
                rows, background_row, masks, players = designs[i]
                column_masks = self._column_masks(
                    masks[cs], None if players is None else players[rs])
                frames.append(self.builder.grid_frame(X, rows[rs], background_row, column_masks))
            return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        ncols, start = self.builder.n_columns, 0
        alone = []  # designs of rows of their own, players as groups: filled together
        for run in _same_rows_runs(designs, chunk):
            i, rs, cs = run[0]
            rows, background_row, masks, players = designs[i]
            n_rows = _piece_rows(run[0]) * len(run)
            view = buffer[start:start + n_rows].reshape(len(run), rs.stop - rs.start, -1, ncols)
            if len(run) == 1 and players is None:
                alone.append((view[0], rows[rs], background_row, self._column_masks(masks[cs],
                                                                                    None)))
            elif len(run) == 1:
                self.builder.fill_grid(view[0], X, rows[rs], background_row, self._column_masks(
                    masks[cs], players[rs]))
            else:  # designs played by the same rows: one pass (measured 0.3 ms per call)
                self.builder.fill_grid(
                    view, X, rows[rs], np.array([designs[j][1] for j, _, _ in run]),
                    np.stack([self._column_masks(designs[j][2][cs], None if designs[j][3] is None
                                                 else designs[j][3][rs]) for j, _, _ in run]))
            start += n_rows
        if alone:
            views, rows, background_rows, masks = zip(*alone)
            self.builder.fill_grids(views, X, rows, background_rows, masks)
        return buffer[:start].reshape((-1,) + self.builder.feature_shape)

    def _column_masks(self, masks, players):
        """Column masks (C, n_columns), or (R, C, n_columns) when players differ by row."""
        g = self.group_of_column
        if players is None:
            return masks if self._groups_are_columns else masks[:, g]
        n_rows, m = players.shape
        position = np.full((n_rows, self.n_groups), m)  # m: a column of False
        position[np.arange(n_rows)[:, None], players] = np.arange(m)
        extended = np.concatenate([masks, np.zeros((masks.shape[0], 1), dtype=bool)], axis=1)
        return extended[:, position[:, g]].transpose(1, 0, 2)

    def evaluate_subsets(self, X, active, group_diff):
        """Values of all 2^m coalitions of the ``active`` groups, other groups from x.

        Groups outside ``active`` must equal every background row for every
        row of ``X`` (they cannot change a hybrid).  For each row and
        background row only the coalitions restricted to the groups where they
        differ are evaluated (see :mod:`skexplain.perturbation._lattice`).

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*feature_shape)
        active : ndarray of int of shape (m,)
        group_diff : ndarray of bool of shape (n, n_background, n_groups)
            From :meth:`group_differences`.

        Returns
        -------
        values : ndarray of shape (n, 2^m, n_outputs)
            Coalition ``c`` holds group ``active[i]`` from x when bit ``i`` of ``c`` is set.
        n_model_rows : int
            Model rows evaluated.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.adapters import as_model
        >>> from skexplain.perturbation import CoalitionEvaluator
        >>> bg = np.zeros((2, 3))
        >>> ev = CoalitionEvaluator(as_model(lambda X: X.sum(axis=1), sample=bg), bg)
        >>> x = np.array([[1.0, 0.0, 1.0]])   # group 1 equals the background
        >>> values, n_rows = ev.evaluate_subsets(x, [0, 2], ev.group_differences(x))
        >>> values[0, :, 0]   # coalitions {}, {0}, {2}, {0, 2}
        array([0., 1., 1., 2.])
        """
        active = np.asarray(active, dtype=int)
        diff = difference_codes(group_diff, active)
        if not _pairs_pay_off(diff, active.size):
            return self.evaluate(X, _subset_masks(active, self.n_groups))
        args = (self.model, self.builder, self.background_weights, self.group_of_column)
        rest = (active, self.background_predictions, self._units_per_chunk() * self.n_background)
        n, workers = X.shape[0], n_workers(self.n_jobs)
        if workers <= 1 or n == 1:
            return evaluate_subset_table(*args, X, diff, *rest)
        blocks = [b for b in np.array_split(np.arange(n), min(workers, n)) if b.size]
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(evaluate_subset_table)(*args, select_rows(X, b), diff[b], *rest)
            for b in blocks)
        return (np.concatenate([r[0] for r in results], axis=0),
                int(sum(r[1] for r in results)))

    def _chunk_bounds(self, total):
        step = self._units_per_chunk()
        starts = np.arange(0, total, step)
        return np.stack([starts, np.minimum(starts + step, total)], axis=1)

    def _split(self, bounds):
        workers = n_workers(self.n_jobs)
        if workers <= 1 or len(bounds) == 1:
            return [bounds]
        return [b for b in np.array_split(bounds, min(workers, len(bounds))) if len(b)]


# Building hybrids pair by pair costs about 25% more per model row than
# broadcasting a coalition over the whole background, so deduplication is used
# only when it removes more model rows than that.
_MIN_PAIR_SAVING = 0.15


def _pieces(index, design, step):
    """Split a design into (index, row slice, column slice) of at most ``step`` model rows."""
    rows, _, masks, _ = design
    n_rows, n_cols = len(rows), masks.shape[0]
    if n_rows == 0 or n_cols == 0:
        return []
    if n_cols >= step:
        return [(index, slice(r, r + 1), slice(c, min(c + step, n_cols)))
                for r in range(n_rows) for c in range(0, n_cols, step)]
    per = step // n_cols
    return [(index, slice(r, min(r + per, n_rows)), slice(0, n_cols))
            for r in range(0, n_rows, per)]


def _same_rows_runs(designs, chunk):
    """Consecutive pieces of designs played by the same rows (their hybrids: one pass).

    Rows are compared by identity: a caller passes one array for the designs
    that share their rows (comparing contents cost as much as it saved).
    """
    runs, last = [], None
    for piece in chunk:
        i, rs, cs = piece
        rows, _, masks, players = designs[i]
        key = (id(rows), rs, cs, masks.shape, players is None)
        if runs and last == key:
            runs[-1].append(piece)
        else:
            runs.append([piece])
        last = key
    return runs


def _piece_rows(piece):
    """Model rows of a (design index, row slice, column slice) piece."""
    _, rs, cs = piece
    return (rs.stop - rs.start) * (cs.stop - cs.start)


def _pairs_pay_off(diff, m):
    """Whether evaluating distinct hybrids only saves enough model rows."""
    sizes = np.zeros(diff.shape, dtype=np.int64)
    for bit in range(m):
        sizes += (diff >> bit) & 1
    pending = np.sum(2.0 ** sizes - 2)
    naive = diff.size * (2.0 ** m - 2)
    return pending < (1 - _MIN_PAIR_SAVING) * naive


def _subset_masks(active, n_groups):
    """Masks of all coalitions of ``active`` (bit i = active[i]); others from x.

    Groups outside ``active`` equal the background, so they may come from x
    or b; taking x except in the empty coalition keeps v(empty) and v(full)
    free of hybrids.
    """
    small = all_masks(active.size)
    masks = np.repeat(small.any(axis=1)[:, None], n_groups, axis=1)
    masks[:, active] = small
    return masks
