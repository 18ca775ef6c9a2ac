"""LIME's local surrogates: weighted ridge in closed form and feature selection.

Every function works on a batch of explained rows at once: interpretable
samples ``Z`` of shape (r, S, m) (or (1, S, m) when every row shares them, as
in group mode), kernel weights ``w`` of shape (r, S) (or (1, S)) and model
outputs ``Y`` of shape (r, S, k).  The weighted ridge with an intercept,
``min sum_s w_s (y_s - c - z_s b)^2 + alpha |b|^2``, is solved from the
weighted, centred normal equations (what sklearn's ``Ridge`` solves with
``sample_weight``), for every row and output in one batched ``solve``.
Feature selection (as the lime package: forward selection, highest weights,
lasso path) gives a mask of kept features per row and output; the others get
exactly zero.
"""
import numpy as np
from sklearn.base import clone
from sklearn.linear_model import lars_path
from sklearn.metrics import r2_score

__all__ = ["Moments", "fit_custom", "select_features", "weighted_ridge"]

# lime's regularisation of the selection fits (Ridge(alpha=0) for forward
# selection, Ridge(alpha=0.01) for highest weights).
_HIGHEST_WEIGHTS_ALPHA = 0.01
# A candidate whose centred column is (numerically) in the span of the chosen
# ones adds nothing to the fit.
_COLLINEAR = 1e-10


class Moments:
    """Weighted means and centred cross products of a batch.

    Attributes
    ----------
    zbar : ndarray of shape (r | 1, m)
    ybar : ndarray of shape (r, k)
    gram : ndarray of shape (r | 1, m, m)
        ``Zc^T W Zc``.
    cross : ndarray of shape (r, m, k)
        ``Zc^T W Yc``.
    """

    def __init__(self, Z, w, Y):
        sw = w.sum(axis=-1)
        self.zbar = np.matmul(w[:, None, :], Z)[:, 0, :] / sw[:, None]
        self.ybar = np.matmul(w[:, None, :], Y)[:, 0, :] / sw[:, None]
        Zc = Z - self.zbar[:, None, :]
        Zw = (Zc * w[:, :, None]).transpose(0, 2, 1)
        self.gram = np.matmul(Zw, Zc)
        self.cross = np.matmul(Zw, Y - self.ybar[:, None, :])


def weighted_ridge(Z, w, Y, alpha=1.0, mask=None, moments=None):
    """Closed-form weighted ridge with intercept, per row and output.

    Parameters
    ----------
    Z : ndarray of shape (r, S, m) or (1, S, m)
        Interpretable samples; ``Z[:, 0]`` is the explained row's.
    w : ndarray of shape (r, S) or (1, S)
        Sample weights (kernel values).
    Y : ndarray of shape (r, S, k)
        Model outputs.
    alpha : float, default=1.0
    mask : ndarray of bool of shape (r, k, m), default=None
        Features kept per row and output; the others get exactly 0 (the fit
        is the ridge on the kept columns only).  None keeps all.
    moments : Moments, default=None
        Precomputed :class:`Moments` of (Z, w, Y).

    Returns
    -------
    coef : ndarray of shape (r, k, m)
    intercept, score, local_pred : ndarray of shape (r, k)
        The intercept, the weighted R^2 (as ``sklearn.metrics.r2_score``) and
        the surrogate's prediction at ``Z[:, 0]``.
    """
    mo = Moments(Z, w, Y) if moments is None else moments
    m = Z.shape[-1]
    eye = np.eye(m)
    if mask is None:
        coef = np.linalg.solve(mo.gram + alpha * eye, mo.cross).transpose(0, 2, 1)
    else:
        keep = mask.astype(float)
        # Unselected features: a unit diagonal and a zero right-hand side, so
        # their coefficient is 0 and the others solve the ridge on the kept block.
        gram = (mo.gram[:, None] * keep[..., :, None] * keep[..., None, :]
                + eye * np.where(mask, alpha, 1.0)[..., None, :])
        rhs = mo.cross.transpose(0, 2, 1) * keep
        coef = np.linalg.solve(gram, rhs[..., None])[..., 0]
    intercept = mo.ybar - np.einsum("rm,rkm->rk", np.broadcast_to(mo.zbar, coef.shape[::2]),
                                    coef)
    return (coef, intercept, *_score(Z, w, Y, coef, intercept, mo.ybar))


def _score(Z, w, Y, coef, intercept, ybar):
    pred = np.matmul(Z, coef.transpose(0, 2, 1)) + intercept[:, None, :]
    residual = np.einsum("rs,rsk->rk", np.broadcast_to(w, Y.shape[:2]), (Y - pred) ** 2)
    total = np.einsum("rs,rsk->rk", np.broadcast_to(w, Y.shape[:2]),
                      (Y - ybar[:, None, :]) ** 2)
    # r2_score's force_finite convention for a constant target
    score = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0),
                     np.where(residual > 0, 0.0, 1.0))
    return score, pred[:, 0, :]


def select_features(method, n_features, Z, w, Y, moments):
    """Mask (r, k, m) of the features kept by ``method`` (lime's procedures).

    ``"auto"`` is forward selection for ``n_features <= 6``, else highest
    weights.  Forward selection adds, one at a time, the feature that most
    raises the weighted R^2 of the least-squares fit (lime's
    ``Ridge(alpha=0)``); highest weights keeps the largest
    ``|coef_j * z0_j|`` of a ridge (alpha=0.01) on all features; lasso
    keeps the features of the least regularised point of the weighted lasso
    path with at most ``n_features`` non-zero coefficients.
    """
    if method == "auto":
        method = "forward" if n_features <= 6 else "highest_weights"
    if method == "forward":
        return _forward(moments.gram, moments.cross, n_features)
    if method == "highest_weights":
        coef = weighted_ridge(Z, w, Y, _HIGHEST_WEIGHTS_ALPHA, moments=moments)[0]
        strength = np.abs(coef * Z[:, None, 0, :])
        order = np.argsort(-strength, axis=-1, kind="stable")[..., :n_features]
        mask = np.zeros(coef.shape, dtype=bool)
        np.put_along_axis(mask, order, True, axis=-1)
        return mask
    return _lasso(Z, w, Y, n_features)


def _forward(gram, cross, n_features):
    """Greedy forward selection; the R^2 gain of a candidate is its squared
    partial covariance over its partial variance given the chosen features."""
    r, m, k = cross.shape
    G = np.broadcast_to(gram[:, None], (r, k, m, m))
    b = cross.transpose(0, 2, 1)
    diag = np.diagonal(G, axis1=-2, axis2=-1)
    chosen = np.zeros((r, k, 0), dtype=int)
    mask = np.zeros((r, k, m), dtype=bool)
    for _ in range(min(n_features, m)):
        num, den = b, diag
        if chosen.shape[-1]:
            rows = np.take_along_axis(G, chosen[..., None], axis=-2)  # (r, k, t, m)
            inv = np.linalg.pinv(np.take_along_axis(rows, chosen[..., None, :], axis=-1))
            a = np.matmul(inv, np.take_along_axis(b, chosen, axis=-1)[..., None])
            num = b - (rows * a).sum(axis=-2)
            den = diag - (rows * np.matmul(inv, rows)).sum(axis=-2)
        useful = den > _COLLINEAR * np.maximum(diag, np.finfo(float).tiny)
        gain = np.where(useful, num ** 2 / np.where(useful, den, 1.0), 0.0)
        gain[mask] = -np.inf
        best = np.argmax(gain, axis=-1)  # the first of equal gains, as lime
        np.put_along_axis(mask, best[..., None], True, axis=-1)
        chosen = np.concatenate([chosen, best[..., None]], axis=-1)
    return mask


def _lasso(Z, w, Y, n_features):
    r, S, m = np.broadcast_shapes(Z.shape, (Y.shape[0], 1, 1))
    mask = np.zeros((r, Y.shape[2], m), dtype=bool)
    for i in range(r):
        z, wi = Z[min(i, Z.shape[0] - 1)], w[min(i, w.shape[0] - 1)]
        root = np.sqrt(wi)[:, None]
        zc = (z - np.average(z, axis=0, weights=wi)) * root
        for j in range(Y.shape[2]):
            y = Y[i, :, j]
            yc = (y - np.average(y, weights=wi)) * root[:, 0]
            coefs = lars_path(zc, yc, method="lasso")[2]
            kept = np.arange(m)
            # lime: the least regularised point with at most n_features non-zeros
            for col in range(coefs.shape[1] - 1, 0, -1):
                kept = np.flatnonzero(coefs[:, col])
                if kept.size <= n_features:
                    break
            mask[i, j, kept] = True
    return mask


def fit_custom(surrogate, Z, w, Y, mask):
    """Fit a clone of ``surrogate`` per row and output (any regressor with ``coef_``).

    Returns the same quantities as :func:`weighted_ridge`.
    """
    r, k, m = mask.shape
    coef, intercept = np.zeros((r, k, m)), np.zeros((r, k))
    score, local = np.zeros((r, k)), np.zeros((r, k))
    for i in range(r):
        z, wi = Z[min(i, Z.shape[0] - 1)], w[min(i, w.shape[0] - 1)]
        for j in range(k):
            cols = np.flatnonzero(mask[i, j])
            est = clone(surrogate).fit(z[:, cols], Y[i, :, j], sample_weight=wi)
            coef[i, j, cols] = np.ravel(est.coef_)
            intercept[i, j] = float(np.ravel(getattr(est, "intercept_", 0.0))[0])
            pred = est.predict(z[:, cols])
            score[i, j] = r2_score(Y[i, :, j], pred, sample_weight=wi)
            local[i, j] = float(np.ravel(pred)[0])
    return coef, intercept, score, local
