"""Building hybrid rows ``(x_S, b_notS)`` for arrays and DataFrames.

DataFrames are rebuilt column by column so that every column keeps its dtype
(strings, categoricals, nullable integers): a Pipeline then sees exactly the
kind of data it was trained on.  Where X's values do not fit the background's
dtype (a category the background never saw, 1.5 in an integer column), a
column takes the dtype that carries both exactly, or the value is refused
(:func:`skexplain.utils._dtypes.hybrid_dtype`): a cast never changes a value.
"""
import numpy as np
import pandas as pd

from ..utils._dtypes import as_hybrid_dtype, hybrid_dtype, typed_codes

__all__ = ["HybridBuilder"]


def _bits_of(dtype):
    """The integer dtype whose bits copy ``dtype``'s values exactly (None: the
    values are objects or of an odd size, and are copied as values)."""
    if dtype.kind not in "fiub" or dtype.itemsize not in (1, 2, 4, 8):
        return None
    return np.dtype(f"i{dtype.itemsize}")


class HybridBuilder:
    """Make model inputs from explained rows, column masks and the background.

    Parameters
    ----------
    background : ndarray of shape (n_background, \\*feature_shape) or DataFrame
    """

    def __init__(self, background):
        self.is_frame = isinstance(background, pd.DataFrame)
        self.n_background = background.shape[0]
        if self.is_frame:
            self.columns = background.columns
            self.background = background.reset_index(drop=True)
            self.feature_shape = (background.shape[1],)
        else:
            self.feature_shape = tuple(background.shape[1:])
            self.background_flat = background.reshape(self.n_background, -1)
        self.n_columns = int(np.prod(self.feature_shape))

    def build(self, X, mid_rows, mid_masks, full_rows):
        """Hybrids for ``mid_rows`` (n_background rows each), then ``X[full_rows]``.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*feature_shape)
        mid_rows : ndarray of int of shape (u,)
        mid_masks : ndarray of bool of shape (u, n_columns)
        full_rows : ndarray of int of shape (f,)

        Returns
        -------
        ndarray or DataFrame with ``u * n_background + f`` rows
        """
        if self.is_frame:
            return self._build_frame(X, mid_rows, mid_masks, full_rows)
        flat = X.reshape(X.shape[0], -1)
        hybrid = np.where(mid_masks[:, None, :], flat[mid_rows][:, None, :],
                          self.background_flat[None, :, :])
        hybrid = hybrid.reshape(-1, self.n_columns)
        if len(full_rows):
            hybrid = np.concatenate([hybrid, flat[full_rows].astype(hybrid.dtype)], axis=0)
        return hybrid.reshape((-1,) + self.feature_shape)

    def build_pairs(self, X, rows, backgrounds, masks):
        """One hybrid per triple: ``X[rows[i]]`` where ``masks[i]``, else background row.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n, \\*feature_shape)
        rows, backgrounds : ndarray of int of shape (t,)
        masks : ndarray of bool of shape (t, n_columns)
        """
        if self.is_frame:
            n = X.shape[0]
            return self._frame({
                j: pool.take(np.where(masks[:, j], rows, n + backgrounds))
                for j, pool in enumerate(self._pools(X))})
        flat = X.reshape(X.shape[0], -1)
        # the gather already made a fresh array: convert without a second copy
        hybrid = self.background_flat[backgrounds].astype(
            np.result_type(flat, self.background_flat), copy=False)
        np.copyto(hybrid, flat[rows], where=masks)  # one temporary less than np.where
        return hybrid.reshape((-1,) + self.feature_shape)

    def fill_grid(self, out, X, rows, background_row, masks):
        """Write the hybrids of ``rows`` against one background row into ``out``.

        ``out[r, c]`` is ``X[rows[r]]`` where ``masks[c]`` (or ``masks[r, c]``)
        is True and background row ``background_row`` elsewhere; broadcasting
        the two sources costs one pass over ``out`` (no gathered copies).
        With an array of ``D`` background rows, ``out[i, r, c]`` is the hybrid
        of ``rows[r]`` with ``background_row[i]`` under ``masks[i, c]``: one
        pass for ``D`` designs played by the same rows.

        Parameters
        ----------
        out : ndarray of shape (R, C, n_columns) or (D, R, C, n_columns)
            Buffer of the dtype of :meth:`grid_dtype` (arrays only).
        X : ndarray of shape (n, \\*feature_shape)
        rows : ndarray of int of shape (R,)
        background_row : int or ndarray of int of shape (D,)
        masks : ndarray of bool of shape (C, n_columns), (R, C, n_columns)
            or, with ``D`` background rows, (D, C, n_columns) or (D, R, C, n_columns)
        """
        flat = X.reshape(X.shape[0], -1)
        b = self.background_flat[background_row].astype(out.dtype)
        x = flat[rows].astype(out.dtype)[:, None, :]  # (R, 1, n_columns)
        if b.ndim == 2:  # D designs: (D, 1, 1, n) against (1, R, 1, n)
            b, x = b[:, None, None, :], x[None]
            masks = masks[:, None] if masks.ndim == 3 else masks  # (D, 1 or R, C, n)
        ints = _bits_of(out.dtype)
        if ints is None:
            np.copyto(out, b)
            np.copyto(out, np.broadcast_to(x, out.shape), where=masks)
            return out
        # Bit selection ``b ^ ((x ^ b) & m)`` with m all ones where the mask is
        # set: an exact copy of either value (NaN included), 3x faster than a
        # masked copy because it runs as two vectorised integer passes.
        bits = masks.astype(ints)
        np.negative(bits, out=bits)
        view, b_bits = out.view(ints), b.view(ints)
        np.bitwise_and(bits, x.view(ints) ^ b_bits, out=view)
        np.bitwise_xor(view, b_bits, out=view)
        return out

    def fill_grids(self, outs, X, rows, background_rows, masks):
        """:meth:`fill_grid` for several designs, each played by rows of its own.

        ``outs[i]`` (R_i, C_i, n_columns) gets the hybrids of ``X[rows[i]]``
        with background row ``background_rows[i]`` under ``masks[i]`` (C_i,
        n_columns).  The rows and the masks' bits are prepared once for all
        designs, then two integer passes write each design: the games above
        adaptive allocation's pilot (a different subset of rows per
        background row) took 63 fills per call of 0.05 ms each, mostly the
        preparation (d=12, 20 background rows, 20 rows).

        Parameters
        ----------
        outs : sequence of ndarray of shape (R_i, C_i, n_columns)
            Buffers of the dtype of :meth:`grid_dtype` (arrays only).
        X : ndarray of shape (n, \\*feature_shape)
        rows : sequence of ndarray of int of shape (R_i,)
        background_rows : sequence of int
        masks : sequence of ndarray of bool of shape (C_i, n_columns)
        """
        dtype = outs[0].dtype
        ints = _bits_of(dtype)
        if ints is None:
            for out, r, b, m in zip(outs, rows, background_rows, masks):
                self.fill_grid(out, X, r, b, m)
            return
        flat = X.reshape(X.shape[0], -1)
        b_bits = self.background_flat[np.asarray(background_rows)].astype(dtype).view(ints)
        sizes = np.array([len(r) for r in rows])
        x_bits = flat[np.concatenate(rows)].astype(dtype).view(ints)
        # x ^ b of every row against its design's background row
        np.bitwise_xor(x_bits, np.repeat(b_bits, sizes, axis=0), out=x_bits)
        starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        for i, (out, m) in enumerate(zip(outs, masks)):
            bits = m.astype(ints)
            np.negative(bits, out=bits)
            view = out.view(ints)
            np.bitwise_and(bits[None], x_bits[starts[i]:starts[i + 1], None, :], out=view)
            np.bitwise_xor(view, b_bits[i], out=view)

    def grid_dtype(self, X):
        """dtype of hybrids of ``X`` and the background (arrays only)."""
        return np.result_type(X, self.background_flat)

    def grid_frame(self, X, rows, background_row, masks):
        """DataFrame version of :meth:`fill_grid`: ``R * C`` rows, row-major."""
        n_cols = masks.shape[-2]
        masks = np.broadcast_to(masks, (len(rows), n_cols, self.n_columns))
        return self.build_pairs(X, np.repeat(rows, n_cols),
                                np.full(len(rows) * n_cols, background_row),
                                masks.reshape(-1, self.n_columns))

    def comparable_codes(self, X):
        """Per-column codes of ``X`` and of the background that compare like values.

        DataFrame columns are factorised jointly in their hybrid dtype (so
        strings, categories and missing values compare by value, and a value
        that no dtype holds together with the background is refused here,
        before any model call).  Object values compare by type and value
        (``True``, ``1`` and ``1.0`` differ); other arrays are returned as they
        are.

        Returns
        -------
        x_codes : ndarray of shape (n, n_columns)
        b_codes : ndarray of shape (n_background, n_columns)
        """
        n = X.shape[0]
        if not self.is_frame:
            flat = X.reshape(n, -1)
            if flat.dtype != object and self.background_flat.dtype != object:
                return flat, self.background_flat
            pools = np.concatenate([flat.astype(object), self.background_flat.astype(object)])
            pools = pools.T
        else:
            pools = self._pools(X)
        codes = np.empty((n + self.n_background, self.n_columns), dtype=np.int64)
        for j, pool in enumerate(pools):
            # values equal in the hybrid dtype are the same model input; object
            # values only when of the same type too (True, 1 and 1.0 differ)
            by_type = isinstance(pool, np.ndarray) and pool.dtype == object
            codes[:, j] = (typed_codes(pool) if by_type
                           else pd.factorize(pool, use_na_sentinel=False)[0])
        return codes[:n], codes[n:]

    def _pools(self, X):
        """Per column: X's values then the background's, in the column's hybrid dtype.

        Hybrid columns are gathered from these with ``take`` (row ``i`` of X is
        position ``i``, background row ``b`` is ``len(X) + b``), which keeps
        any dtype (categorical, nullable, datetime) without a cast per row.
        """
        pools = []
        for name in self.columns:
            b, x = self.background[name], X[name]
            dtype = hybrid_dtype(name, b, x)
            pools.append(_concat_values(as_hybrid_dtype(x, dtype), as_hybrid_dtype(b, dtype)))
        return pools

    def _frame(self, data):
        # explicit object columns: pandas would infer ``str`` for strings
        frame = pd.DataFrame({j: pd.Series(v, dtype=object, copy=False)
                              if isinstance(v, np.ndarray) and v.dtype == object else v
                              for j, v in data.items()}, copy=False)
        frame.columns = self.columns
        return frame

    def _build_frame(self, X, mid_rows, mid_masks, full_rows):
        n = X.shape[0]
        from_background = n + np.arange(self.n_background)[None, :]
        data = {}
        for j, pool in enumerate(self._pools(X)):
            index = np.where(mid_masks[:, j, None], mid_rows[:, None], from_background).ravel()
            data[j] = pool.take(np.concatenate([index, full_rows]) if len(full_rows) else index)
        return self._frame(data)


def _concat_values(x, background):
    """The values of two Series of one dtype, end to end (a numpy or extension array)."""
    if isinstance(x.dtype, np.dtype):
        return np.concatenate([x.to_numpy(), background.to_numpy()])
    if isinstance(x.dtype, pd.CategoricalDtype):  # same categories: concatenate the codes
        return pd.Categorical.from_codes(
            np.concatenate([x.cat.codes.to_numpy(), background.cat.codes.to_numpy()]),
            dtype=x.dtype)
    return type(x.array)._concat_same_type([x.array, background.array])
