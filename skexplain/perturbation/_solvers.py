"""Constrained weighted least squares for Shapley regression, with standard errors.

The Shapley values of a game ``v`` solve (Charnes et al. 1988)

    min_phi  sum_S k(S) (v(S) - v(empty) - z_S . phi)^2   s.t.  sum(phi) = v(full) - v(empty)

over the coalitions ``S`` (``z_S`` their 0/1 masks, ``k`` the Shapley kernel).
A paired unit ``{S, complement}`` enters as one row with target
``t = (y(S) - y(comp) + delta) / 2`` and twice the weight: the two rows of the
pair and that one row have the same normal equations.  The constraint is
enforced exactly by writing ``phi = delta / d + Q gamma`` with ``Q`` an
orthonormal basis of the vectors summing to zero, so efficiency holds to
rounding error whatever the weights.

Many games share one *design* (the same coalitions and weights): KernelSHAP
explains every row against a background row with the coalitions drawn for
that background row.  Everything that depends on the design only - the
normal equations, their inverse, the leverages - is computed once per design
(:class:`SharedDesign`); each game then costs a few matrix products that are
linear in the number of players, instead of quadratic.

Standard errors come from linearising the estimator around the solution (a
sandwich estimator) with the variance of a stratified sample drawn without
replacement: a stratum contributes ``(1 - m/N) m s^2`` where ``s^2`` is the
spread of its units' influence, so enumerated strata contribute nothing.
Residuals are divided by ``1 - leverage`` (HC3, MacKinnon & White 1985),
which keeps the errors calibrated when a stratum holds few rows.

``A^-1 b`` with both ``A`` and ``b`` estimated from the sample (the ratio form
that makes KernelSHAP far less noisy than plugging in the exact ``A``) is
biased at order 1/m; the same stratified moments give that bias to second
order and it is subtracted (:meth:`SharedDesign._ratio_bias`), so that the
estimate is centred on the truth within its standard error.
"""
from functools import lru_cache

import numpy as np

__all__ = ["SharedDesign", "solve_shapley_regression", "zero_sum_basis"]

# Eigenvalues of the normal equations below this fraction of the largest mark
# directions the sampled coalitions do not identify (designs of 0/1 masks are
# either singular or have a relative eigenvalue far above it).
_IDENTIFIED = 1e-7
# A variance group needs this many rows for its ratio-bias term to be estimated.
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


class SharedDesign:
    """The design-dependent half of the Shapley regression, for a stack of designs.

    Parameters
    ----------
    units : ndarray of bool of shape (n_designs, n_units, d)
        Coalition masks of the regression rows (the first side of a pair).
    weight : ndarray of shape (n_units,)
        Regression weight of each row, common to all designs.
    stratum : ndarray of int of shape (n_units,), default=None
        Sampling stratum of each row; with ``finite``, :meth:`solve` also
        returns variances.
    finite : ndarray of shape (n_strata,), default=None
        Finite-population factor ``1 - m/N`` of each stratum (``m`` rows
        evaluated out of ``N``): zero for an enumerated stratum.
    full_rank : bool, default=False
        The caller knows every design identifies every direction (skips an
        eigendecomposition).
    """

    def __init__(self, units, weight, *, stratum=None, finite=None, full_rank=False):
        n_designs, n_units, d = units.shape
        weight = np.asarray(weight, dtype=float)
        self.n_players = d
        self.with_variance = finite is not None
        if stratum is None:
            stratum, finite = np.zeros(n_units, dtype=int), np.zeros(1)
        finite = np.asarray(finite, dtype=float)
        sampled = (finite[stratum] > 0) & (weight > 0)
        group, factor = _variance_groups(stratum, sampled, finite)
        # Rows ordered by variance group (unsampled rows first): every group is
        # then a contiguous slice and its sums are plain matrix products.
        self.order = np.argsort(group, kind="stable")
        self.in_order = bool(np.all(self.order == np.arange(n_units)))
        group = group[self.order]
        self.weight = weight[self.order]
        self.size = units.sum(axis=2)[:, self.order].astype(float)  # (designs, units)
        self.basis = basis = zero_sum_basis(d)
        x = units[:, self.order].reshape(-1, d).astype(float) @ basis
        self.x = x = x.reshape(n_designs, n_units, d - 1)
        if n_units < d - 1 and not full_rank:  # fewer rows than directions: singular
            self.inverse, self.unidentified = _thin_pseudo_inverse(x, self.weight, basis)
        else:
            gram = np.matmul((x * self.weight[:, None]).transpose(0, 2, 1), x)
            if full_rank:
                self.inverse = np.linalg.inv(gram)
                self.unidentified = np.zeros((n_designs, d), dtype=bool)
            else:
                self.inverse, self.unidentified = _pseudo_inverse(gram, basis)
        self.xg = np.matmul(x, self.inverse)  # x_u A^-1
        self.slices = _group_slices(group, factor.size)
        self.factor = factor
        self.sampled_from = int(np.searchsorted(group, 0))
        self.n_sampled = n_units - self.sampled_from
        if self.n_sampled:
            self.leverage = self.weight * np.einsum("bri,bri->br", self.xg, x)
            # (L x_u)_i with L = Q A^-1: how a unit's score moves each attribution
            self.spread_basis = np.matmul(self.xg, basis.T)  # (designs, units, d)

    def solve(self, target, delta):
        """Shapley values (and variances) of the games played on each design.

        Parameters
        ----------
        target : ndarray of shape (n_designs, n_games, n_units, n_outputs)
            ``v(S) - v(empty)``, or the paired target ``t`` (module docstring),
            in the unit order given to the constructor.
        delta : ndarray of shape (n_designs, n_games, n_outputs)
            ``v(full) - v(empty)`` of each game.

        Returns
        -------
        phi : ndarray of shape (n_designs, n_games, d, n_outputs)
        variance : ndarray of shape (n_designs, n_games, d, n_outputs) or None

        Notes
        -----
        Each output column is solved on its own, so several target sets on
        the same coalitions (say a model's values and a surrogate's) are
        solved at once by stacking them along the last axis; the variance of
        a difference of two sets is that of a column holding the difference.
        """
        n_designs, n_games, n_units, n_out = target.shape
        d = self.n_players
        # games x outputs as the rows of matrix products over the units
        if not self.in_order:
            target = target[:, :, self.order]
        t = target.transpose(0, 1, 3, 2).reshape(n_designs, -1, n_units)
        even = (delta / d).reshape(n_designs, -1)
        resid0 = t - even[:, :, None] * self.size[:, None, :]
        gamma = np.matmul(resid0 * self.weight, self.xg)  # (designs, games x outputs, d - 1)
        variance = None
        if self.n_sampled:  # enumerated strata add neither bias nor variance
            score = resid0 - np.matmul(gamma, self.x.transpose(0, 2, 1))
            score[:, :, : self.sampled_from] = 0.0
            score *= self.weight
            gamma += self._ratio_bias(score)
            if self.with_variance:
                variance = self._variance(score)
        elif self.with_variance:
            variance = np.zeros((n_designs, even.shape[1], d))
        phi = even[:, :, None] + np.matmul(gamma, self.basis.T)
        phi = phi.reshape(n_designs, n_games, n_out, d).transpose(0, 1, 3, 2)
        if variance is None:
            return phi, None
        variance[np.broadcast_to(self.unidentified[:, None, :], variance.shape)] = np.nan
        return phi, variance.reshape(n_designs, n_games, n_out, d).transpose(0, 1, 3, 2)

    def _ratio_bias(self, score):
        """Second-order correction of the ratio bias of the least-squares estimate.

        With ``A`` and ``b`` both estimated from the sample, ``A^-1 b`` has a
        bias of order 1/m: ``-A^-1 E[dA A^-1 dE]`` with ``dE`` the fluctuation
        of the residual score.  Under stratified sampling without replacement
        the expectation is a sum over strata of ``(1 - m/N) m / (m - 1)``
        times the sample covariance of ``w x x^T`` and ``A^-1 w x r``, which
        reduces to leverages and stratum means of the scores.  Returns the
        correction to add to ``gamma`` (designs, games x outputs, d - 1).
        """
        total = np.zeros(score.shape[:2] + (self.x.shape[2],))
        for (lo, hi), factor in zip(self.slices, self.factor):
            if hi - lo < _MIN_BIAS_ROWS or not np.isfinite(factor):
                continue
            e, x = score[:, :, lo:hi], self.x[:, lo:hi]
            mean_score = np.matmul(e, x) / (hi - lo)
            along = np.matmul(mean_score, self.xg[:, lo:hi].transpose(0, 2, 1))
            coef = self.leverage[:, None, lo:hi] * e - self.weight[lo:hi] * along
            total += factor * np.matmul(coef, x)
        return np.matmul(total, self.inverse)

    def _variance(self, score):
        """Stratified sandwich variance of every attribution.

        A group of ``m`` sampled rows contributes ``factor`` times the scatter
        of its influences ``a_u = s_u L x_u`` (``s_u`` the HC3 score):
        ``sum a_u^2 - (sum a_u)^2 / m`` per attribution.
        """
        if np.isnan(self.factor).any():  # a lone stratum: spread unknown
            return np.full(score.shape[:2] + (self.n_players,), np.nan)
        lo = self.sampled_from
        # HC3: a residual at the fitted value understates the error of a row
        # by (1 - leverage); dividing keeps the errors calibrated at small budgets.
        scale = score[:, :, lo:] / np.clip(1.0 - self.leverage[:, None, lo:], 1e-3, 1.0)
        spread = self.spread_basis[:, lo:]
        row_factor = np.repeat(self.factor, [hi - l for l, hi in self.slices])
        variance = np.matmul(scale * scale * row_factor, spread * spread)
        for (a, b), factor in zip(self.slices, self.factor):
            sums = np.matmul(scale[:, :, a - lo:b - lo], spread[:, a - lo:b - lo])
            variance -= (factor / (b - a)) * sums * sums
        return variance


def solve_shapley_regression(units, target, weight, delta, *, stratum=None, finite=None,
                             full_rank=False):
    """Solve the efficiency-constrained Shapley regression, one game per design.

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
    stratum, finite, full_rank
        As in :class:`SharedDesign`.

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
    design = SharedDesign(units, weight, stratum=stratum, finite=finite, full_rank=full_rank)
    phi, variance = design.solve(target[:, None], delta[:, None])
    return phi[:, 0], None if variance is None else variance[:, 0]


def _group_slices(group, n_groups):
    """(start, stop) of each variance group in rows sorted by group."""
    starts = np.searchsorted(group, np.arange(n_groups))
    stops = np.searchsorted(group, np.arange(n_groups), side="right")
    return list(zip(starts.tolist(), stops.tolist()))


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
    keep, inv_lam = _identified(lam)
    inverse = np.matmul(vec * inv_lam[:, None, :], np.ascontiguousarray(vec.transpose(0, 2, 1)))
    lost = np.matmul(basis[None], vec * (~keep)[:, None, :])  # (designs, d, d - 1)
    return inverse, np.abs(lost).max(axis=2) > 1e-8


def _identified(lam):
    """Which eigenvalues (designs, r) mark identified directions (above
    ``_IDENTIFIED`` times the largest), and their inverses (zero elsewhere)."""
    keep = (lam > _IDENTIFIED * np.maximum(lam[:, -1:], 0.0)) & (lam > 0)
    return keep, np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)


def _thin_pseudo_inverse(x, weight, basis):
    """:func:`_pseudo_inverse` from the units' side, when there are fewer units
    ``u`` than directions: the nonzero eigenvalues of ``A = B^T B`` (``B`` the
    weighted rows) are those of the (u, u) matrix ``B B^T``, whose
    eigenvectors ``p`` give ``A``'s as ``B^T p / sqrt(lambda)``.  An
    eigendecomposition of size u rather than d - 1 (d=64 with 2 coalitions per
    design: 0.7 against 8.5 ms per 100 designs).

    A feature is unidentified when its row of ``basis`` is not in the span
    of the kept eigenvectors (what is left of it after projecting is nonzero).
    """
    b = x * np.sqrt(weight)[:, None]  # (designs, u, d - 1)
    lam, vec = np.linalg.eigh(np.matmul(b, b.transpose(0, 2, 1)))
    keep, inv_lam = _identified(lam)
    inv_sqrt = np.where(keep, 1.0 / np.sqrt(np.where(keep, lam, 1.0)), 0.0)
    eigvec = np.matmul(b.transpose(0, 2, 1), vec * inv_sqrt[:, None, :])  # (designs, d-1, u)
    inverse = np.matmul(eigvec * inv_lam[:, None, :], eigvec.transpose(0, 2, 1))
    along = np.matmul(basis[None], eigvec)  # (designs, d, u): each feature's kept part
    left = 1.0 - (along ** 2).sum(axis=2)  # each row of the basis has norm 1 - 1/d
    left -= 1.0 / basis.shape[0]
    return inverse, left > 1e-12


def _variance_groups(stratum, sampled, finite):
    """Group the sampled rows for the spread estimate; returns (group of row, factor).

    A stratum contributes ``(1 - m/N) m / (m - 1)`` times the squared
    deviations of its rows' influences from their mean.  A stratum with one
    sampled row has no measurable spread: as in the collapsed-strata
    estimator of survey sampling it is pooled with the nearest sampled
    stratum (which can only overstate the variance).  With no partner the
    variance is unknown (NaN).  Rows that are not sampled get group -1.
    """
    # bincounts rather than np.unique: this runs once per design chunk and call
    per_stratum = np.bincount(stratum[sampled], minlength=finite.size)
    labels = np.flatnonzero(per_stratum)
    counts = per_stratum[labels]
    owner = labels.copy()
    pairable = labels[counts > 1]
    if pairable.size:
        for i in np.flatnonzero(counts == 1):
            owner[i] = pairable[np.argmin(np.abs(pairable - labels[i]))]
    # the nearest pairable stratum is monotone in the label: ``owner`` is sorted
    index = np.concatenate([[0], np.cumsum(owner[1:] != owner[:-1])])[:labels.size]
    n_groups = int(index[-1]) + 1 if index.size else 0
    size = np.bincount(index, weights=counts, minlength=n_groups)
    keep = np.zeros(n_groups)
    np.maximum.at(keep, index, finite[labels])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(size > 1, keep * size / (size - 1), np.nan)
    group_of_stratum = np.full(finite.size, -1)
    group_of_stratum[labels] = index
    return np.where(sampled, group_of_stratum[stratum], -1), factor
