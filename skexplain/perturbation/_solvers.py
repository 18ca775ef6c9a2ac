"""Constrained weighted least squares for Shapley regression, with standard errors.

The Shapley values of a game ``v`` solve (Charnes et al. 1988)

    min_phi  sum_S k(S) (v(S) - v(empty) - z_S . phi)^2   s.t.  sum(phi) = v(full) - v(empty)

over the coalitions ``S`` (``z_S`` their 0/1 masks, ``k`` the Shapley kernel).
A paired unit ``{S, complement}`` enters as one row with target
``t = (y(S) - y(comp) + delta) / 2`` and twice the weight: the two rows of the
pair and that one row have the same normal equations.  The constraint is
enforced exactly by writing ``phi = delta / d + Q gamma`` with ``Q`` an
orthonormal basis of the vectors summing to zero, so efficiency holds to
rounding error whatever the weights.  Everything is vectorised over designs
(explained row x background row) and model outputs.

Standard errors come from linearising the estimator around the solution (a
sandwich estimator) with the variance of a stratified sample drawn without
replacement: a stratum contributes ``(1 - m/N) m s^2`` where ``s^2`` is the
spread of its units' influence, so enumerated strata contribute nothing.
Residuals are divided by ``1 - leverage`` (HC3, MacKinnon & White 1985),
which keeps the errors calibrated when a stratum holds few rows.

``A^-1 b`` with both ``A`` and ``b`` estimated from the sample (the ratio form
that makes KernelSHAP far less noisy than plugging in the exact ``A``) is
biased at order 1/m; the same stratified moments give that bias to second
order and it is subtracted (:func:`_ratio_bias`), so that the estimate is
centred on the truth within its standard error.
"""
from functools import lru_cache

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["solve_shapley_regression", "zero_sum_basis"]

# Eigenvalues of the normal equations below this fraction of the largest mark
# directions the sampled coalitions do not identify (designs of 0/1 masks are
# either singular or have a relative eigenvalue far above it).
_IDENTIFIED = 1e-7
# Bound on the floats of one temporary (designs x units x players) array.
_CHUNK = 2**22
_MIN_BIAS_ROWS = 4


@lru_cache(maxsize=32)
def zero_sum_basis(n_players):
    """Orthonormal basis of ``{x : sum(x) = 0}`` as a (d, d - 1) read-only array.

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain.perturbation._solvers import zero_sum_basis
    >>> q = zero_sum_basis(3)
    >>> q.shape, bool(np.allclose(q.sum(axis=0), 0)), bool(np.allclose(q.T @ q, np.eye(2)))
    ((3, 2), True, True)
    """
    centred = np.eye(n_players) - 1.0 / n_players
    basis = np.linalg.qr(centred)[0][:, : n_players - 1]
    basis.setflags(write=False)
    return basis


def solve_shapley_regression(units, target, weight, delta, *, stratum=None, finite=None,
                             full_rank=False):
    """Solve the efficiency-constrained Shapley regression for many designs.

    Parameters
    ----------
    units : ndarray of bool of shape (n_designs, n_units, d)
        Coalition masks of the regression rows (the first side of a pair).
    target : ndarray of shape (n_designs, n_units, n_outputs)
        ``v(S) - v(empty)``, or the paired target ``t`` (see module docstring).
    weight : ndarray of shape (n_units,)
        Regression weight of each row (zero for rows not evaluated yet).
    delta : ndarray of shape (n_designs, n_outputs)
        ``v(full) - v(empty)``.
    stratum : ndarray of int of shape (n_units,), default=None
        Sampling stratum of each row; with ``finite``, variances are returned.
    finite : ndarray of shape (n_strata,), default=None
        Finite-population factor ``1 - m/N`` of each stratum (``m`` rows
        evaluated out of ``N``): zero for an enumerated stratum.

    Returns
    -------
    phi : ndarray of shape (n_designs, d, n_outputs)
    variance : ndarray of shape (n_designs, d, n_outputs) or None

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain.perturbation._shapley import all_masks
    >>> from skexplain.perturbation._solvers import solve_shapley_regression
    >>> masks = all_masks(3)[1:-1]                  # all coalitions but empty and full
    >>> v = masks @ np.array([1.0, 2.0, 3.0])       # an additive game
    >>> size = masks.sum(1)
    >>> weight = 2.0 / (3 * size * (3 - size))      # the Shapley kernel for d=3
    >>> phi, _ = solve_shapley_regression(masks[None], v[None, :, None], weight,
    ...                                   np.array([[6.0]]))
    >>> phi[0, :, 0].round(12)
    array([1., 2., 3.])
    """
    n_designs, n_units, d = units.shape
    n_out = target.shape[2]
    phi = np.empty((n_designs, d, n_out))
    variance = None if finite is None else np.empty((n_designs, d, n_out))
    step = max(1, _CHUNK // max(1, n_units * d))
    # Thousands of small matrix products: one BLAS thread each is as fast on an
    # idle machine, 5x faster on a busy one (threads wait for each other), and
    # makes the result independent of the BLAS thread count.
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, n_designs, step):
            sl = slice(start, start + step)
            out = _solve_chunk(units[sl], target[sl], weight, delta[sl], stratum, finite,
                               full_rank)
            phi[sl] = out[0]
            if variance is not None:
                variance[sl] = out[1]
    return phi, variance


def _solve_chunk(units, target, weight, delta, stratum, finite, full_rank):
    n_designs, n_units, d = units.shape
    basis = zero_sum_basis(d)
    even = delta / d
    # the masks in zero-sum coordinates, with one BLAS call for all designs
    x = (units.reshape(-1, d).astype(float) @ basis).reshape(n_designs, n_units, d - 1)
    resid0 = target - units.sum(axis=2)[:, :, None] * even[:, None, :]
    xwt = (x * weight[None, :, None]).transpose(0, 2, 1)
    gram = np.matmul(xwt, x)
    if full_rank:
        inverse, unidentified = np.linalg.inv(gram), np.zeros((n_designs, d), dtype=bool)
    else:
        inverse, unidentified = _pseudo_inverse(gram, basis)
    gamma = np.matmul(inverse, np.matmul(xwt, resid0))
    variance = np.zeros((n_designs, d, target.shape[2]))
    finite = np.zeros(1) if finite is None else np.asarray(finite, dtype=float)
    sampled = (finite[stratum] > 0) & (weight > 0) if stratum is not None else weight < 0
    if sampled.any():  # enumerated strata add neither bias nor variance
        xg = np.matmul(x, inverse)
        leverage = weight * np.einsum("bri,bri->br", xg, x)
        resid = resid0 - np.matmul(x, gamma)
        group, factor = _variance_groups(stratum, sampled, finite)
        score = resid * np.where(sampled, weight, 0.0)[None, :, None]
        gamma = gamma + _ratio_bias(x, xg, inverse, leverage, score, weight, group, factor)
        # HC3: a residual at the fitted value understates the error of a row
        # by (1 - leverage); dividing keeps the errors calibrated at small budgets.
        score = score / np.clip(1.0 - leverage, 1e-3, 1.0)[:, :, None]
        spread = _stratified_spread(x, score, group, factor)
        lmat = np.matmul(basis, inverse)  # phi moves by lmat @ (change of x^T W resid)
        variance = np.einsum("bij,bkjl,bil->bik", lmat, spread, lmat, optimize=True)
    phi = even[:, None, :] + np.matmul(basis, gamma)
    variance[unidentified] = np.nan
    return phi, (None if stratum is None else variance)


def _ratio_bias(x, xg, inverse, leverage, score, weight, group, factor):
    """Second-order correction of the ratio bias of the least-squares estimate.

    With ``A`` and ``b`` both estimated from the sample, ``A^-1 b`` has a bias
    of order 1/m: ``-A^-1 E[dA A^-1 dE]`` with ``dE`` the fluctuation of the
    residual score.  Under stratified sampling without replacement the
    expectation is a sum over strata of ``(1 - m/N) m / (m - 1)`` times the
    sample covariance of ``w x x^T`` and ``A^-1 w x r``, which reduces to
    leverages and stratum means of the scores.  Returns the correction to add
    to ``gamma`` (designs, d - 1, n_outputs).
    """
    sizes = np.bincount(np.maximum(group, 0), minlength=factor.size)
    known = (group >= 0) & np.isfinite(factor[np.maximum(group, 0)]) & (
        sizes[np.maximum(group, 0)] >= _MIN_BIAS_ROWS)
    unit_factor = np.where(known, factor[np.maximum(group, 0)], 0.0)
    onehot = (group[None, :] == np.arange(factor.size)[:, None]).astype(float)
    onehot /= np.maximum(onehot.sum(axis=1, keepdims=True), 1.0)
    out = np.empty((x.shape[0], x.shape[2], score.shape[2]))
    for k in range(score.shape[2]):
        e = score[:, :, k]
        mean_score = np.matmul(onehot[None] * e[:, None, :], x)  # (designs, groups, d - 1)
        along = np.einsum("bri,bri->br", xg, mean_score[:, np.maximum(group, 0)])
        coef = unit_factor * (leverage * e - weight * along)
        out[:, :, k] = np.matmul(inverse, np.einsum("bri,br->bi", x, coef)[:, :, None])[:, :, 0]
    return out


def _pseudo_inverse(gram, basis):
    """Inverse of the normal equations on the directions the design identifies.

    Directions with an eigenvalue below ``_IDENTIFIED`` times the largest are
    not identified by the sampled coalitions (budgets under 2d): their
    coefficient is set to zero, i.e. the total is split evenly along them, and
    the features they touch get a NaN variance.

    Returns the (pseudo-)inverse and a bool array (n_designs, d) of features
    whose attribution the design does not identify.
    """
    lam, vec = np.linalg.eigh(gram)
    keep = lam > _IDENTIFIED * np.maximum(lam[:, -1:], 0.0)
    keep &= lam > 0
    inv_lam = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    inverse = np.matmul(vec * inv_lam[:, None, :], np.ascontiguousarray(vec.transpose(0, 2, 1)))
    lost = np.matmul(basis[None], vec * (~keep)[:, None, :])  # (designs, d, d - 1)
    return inverse, np.abs(lost).max(axis=2) > 1e-8


def _variance_groups(stratum, sampled, finite):
    """Group the sampled rows for the spread estimate; returns (group of row, factor).

    A stratum contributes ``(1 - m/N) m / (m - 1)`` times the squared
    deviations of its rows' influences from their mean.  A stratum with one
    sampled row has no measurable spread: as in the collapsed-strata
    estimator of survey sampling it is pooled with the nearest sampled
    stratum (which can only overstate the variance).  With no partner the
    variance is unknown (NaN).  Rows that are not sampled get group -1.
    """
    labels, counts = np.unique(stratum[sampled], return_counts=True)
    owner = labels.copy()
    pairable = labels[counts > 1]
    if pairable.size:
        for i in np.flatnonzero(counts == 1):
            owner[i] = pairable[np.argmin(np.abs(pairable - labels[i]))]
    groups, index = np.unique(owner, return_inverse=True)
    size = np.bincount(index, weights=counts)
    keep = np.zeros(groups.size)
    np.maximum.at(keep, index, finite[labels])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(size > 1, keep * size / (size - 1), np.nan)
    group = np.full(stratum.shape, -1)
    group[sampled] = index[np.searchsorted(labels, stratum[sampled])]
    return group, factor


def _stratified_spread(x, scale, group, factor):
    """Per output, sum over groups of ``factor`` times the scatter matrix of ``scale * x``.

    ``x`` (designs, rows, p) and ``scale`` (designs, rows, n_outputs); rows
    of group -1 must have zero scale.  Returns (designs, n_outputs, p, p).
    The scatter of a group is ``sum a a^T - (sum a)(sum a)^T / m``.
    """
    onehot = (group[None, :] == np.arange(factor.size)[:, None]).astype(float)
    counts = onehot.sum(axis=1)
    row_factor = np.where(group >= 0, factor[np.maximum(group, 0)], 0.0)
    out = np.empty((x.shape[0], scale.shape[2], x.shape[2], x.shape[2]))
    for k in range(scale.shape[2]):
        s = scale[:, :, k]
        squares = np.matmul((x * (row_factor * s * s)[:, :, None]).transpose(0, 2, 1), x)
        sums = np.matmul(onehot[None] * s[:, None, :], x)  # (designs, groups, p)
        means = sums * (factor / counts)[None, :, None]
        out[:, k] = squares - np.einsum("bgi,bgj->bij", sums, means)
    return out
