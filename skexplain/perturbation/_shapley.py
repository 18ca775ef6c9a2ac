"""Closed-form pieces of exact Shapley computation on a full table of v(S).

With every coalition value known, Shapley values and pairwise interaction
values are linear maps of the table; we build the coefficient matrices once
per number of players and apply them with one matrix product.
"""
from functools import lru_cache
from math import comb

import numpy as np

__all__ = ["all_masks", "shapley_from_table", "interactions_from_table"]


def all_masks(m):
    """All 2^m coalitions of m players as a (2^m, m) bool array (bit i = player i)."""
    codes = np.arange(2**m, dtype=np.int64)
    return ((codes[:, None] >> np.arange(m)) & 1).astype(bool)


@lru_cache(maxsize=32)
def _shapley_coefficients(m):
    """C[S, i] such that phi_i = sum_S C[S, i] v(S)."""
    masks = all_masks(m)
    size = masks.sum(axis=1)
    # w(s) = s!(m-s-1)!/m! = 1 / (m * C(m-1, s)), for s = 0..m-1
    w = np.array([1.0 / (m * comb(m - 1, s)) for s in range(m)] + [0.0])
    with_i = w[np.maximum(size - 1, 0)][:, None]
    without_i = w[np.minimum(size, m)][:, None]
    coef = np.where(masks, with_i, -without_i)
    coef.setflags(write=False)
    return coef


def shapley_from_table(values, m):
    """Shapley values from v over all 2^m coalitions (ordered as :func:`all_masks`).

    Parameters
    ----------
    values : ndarray of shape (n, 2^m, k)
    m : int

    Returns
    -------
    ndarray of shape (n, m, k)
    """
    if m == 0:
        return np.zeros((values.shape[0], 0, values.shape[2]))
    coef = _shapley_coefficients(m)
    return np.einsum("nsk,si->nik", values, coef)


def _pair_weights(m, size, shift):
    """w2(size - shift) with w2(t) = t!(m-t-2)!/(2(m-1)!), zero outside 0..m-2."""
    t = size - shift
    table = np.array([1.0 / (2 * (m - 1) * comb(m - 2, s)) for s in range(m - 1)])
    ok = (t >= 0) & (t <= m - 2)
    return np.where(ok, table[np.clip(t, 0, m - 2)], 0.0)


def interactions_from_table(values, m, shapley):
    """Shapley interaction values (Grabisch-Roubens index, split in halves).

    Off-diagonal entries are half the pairwise interaction index, so the
    matrix is symmetric; the diagonal is ``phi_i - sum_{j != i} Phi_ij`` so
    that every row sums to the Shapley value (the convention of
    ``shap.TreeExplainer.shap_interaction_values``).

    Parameters
    ----------
    values : ndarray of shape (n, 2^m, k)
    m : int
    shapley : ndarray of shape (n, m, k)

    Returns
    -------
    ndarray of shape (n, m, m, k)
    """
    n, _, k = values.shape
    out = np.zeros((n, m, m, k))
    if m == 1:
        out[:, 0, 0] = shapley[:, 0]
    if m <= 1:
        return out
    z = all_masks(m).astype(float)
    zbar = 1.0 - z
    size = z.sum(axis=1).astype(int)
    both = values * _pair_weights(m, size, 2)[None, :, None]
    neither = values * _pair_weights(m, size, 0)[None, :, None]
    one = values * _pair_weights(m, size, 1)[None, :, None]
    out = (np.einsum("nsk,si,sj->nijk", both, z, z, optimize=True)
           + np.einsum("nsk,si,sj->nijk", neither, zbar, zbar, optimize=True)
           - np.einsum("nsk,si,sj->nijk", one, z, zbar, optimize=True)
           - np.einsum("nsk,si,sj->nijk", one, zbar, z, optimize=True))
    diag = np.arange(m)
    out[:, diag, diag] = 0.0
    out[:, diag, diag] = shapley - out.sum(axis=2)
    return out
