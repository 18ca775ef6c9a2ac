"""The audit's checks of the explanations: data randomization, agreement, additivity."""
import numpy as np
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, clone

__all__ = ["AGREEMENT_ROWS", "SANITY_BACKGROUND", "SANITY_REPEATS", "SANITY_ROWS", "additivity",
           "agreement",
           "sanity_check"]

#: Rows explained by the trained model and each permuted-label model in the sanity
#: check.  With the background below, the check costs about a third of the main
#: explanation at the defaults (it cost twice the main explanation with 20 rows and
#: the full background: 153 s of a 240 s audit of a 13-feature HistGradientBoosting
#: classifier on wine).
SANITY_ROWS = 10
#: Background rows of the sanity check: it compares two models explained with the
#: same settings, so a smaller (seeded) subsample of the audit's background keeps
#: it cheap without favouring either model.
SANITY_BACKGROUND = 20
#: Label permutations averaged by the sanity check.  One permutation can by
#: chance give a linear model coefficients of the same signs as the trained
#: one (similarity 0.71 seen on a 4-feature logistic regression, against
#: 0.01 and -0.21 for two other seeds); the mean of three makes that unlikely.
SANITY_REPEATS = 3
#: Rows explained by the second explainer of the agreement check.
AGREEMENT_ROWS = 50


def sanity_check(explainer, model, X, y, X_rows, background, random_state):
    """Data randomization (Adebayo et al. 2018) on a few rows; a dict for the report.

    The model is cloned and refitted on permuted labels of ``(X, y)`` (the
    user's model is untouched); the explanations of ``X_rows`` by both models
    are compared with the signed Spearman correlation.
    """
    from ..testing import data_randomization

    if y is None:
        return {"ran": False, "reason": "skipped: no y given (the model is refitted on "
                "permuted labels of y)."}
    if not isinstance(model, BaseEstimator):
        return {"ran": False, "reason": "skipped: the model is not a scikit-learn estimator, "
                "so it cannot be cloned and refitted on permuted labels."}
    rows = X_rows[:SANITY_ROWS]
    background = _subsample(background, SANITY_BACKGROUND, random_state)
    report = data_randomization(clone(explainer), X, y, X_explain=rows, background=background,
                                n_repeats=SANITY_REPEATS, random_state=random_state)
    score = report.details.get("permuted_train_score")
    return {"ran": True, "test": "data randomization (labels permuted, model refitted)",
            "metric": report.metric, "statistic": float(report.statistic),
            "threshold": float(report.threshold), "passed": bool(report.passed),
            "n_rows": int(len(rows)), "n_background": int(len(background)),
            "n_permutations": SANITY_REPEATS,
            "permuted_train_score": score,
            "reason": "ran on a clone of the model refitted on permuted labels of y."}


def _subsample(rows, n, random_state):
    """At most ``n`` of ``rows`` (a DataFrame, array or list), drawn without replacement."""
    if len(rows) <= n:
        return rows
    take = np.sort(np.random.default_rng(random_state).choice(len(rows), n, replace=False))
    return rows.iloc[take] if hasattr(rows, "iloc") else np.asarray(rows)[take]


def _per_row_spearman(a, b):
    """Spearman of each row of a against the same row of b (NaN when a row is constant)."""
    out = np.full(a.shape[0], np.nan)
    for r in range(a.shape[0]):
        if np.ptp(a[r]) > 0 and np.ptp(b[r]) > 0:
            out[r] = spearmanr(a[r], b[r]).statistic
    return out


def agreement(main_values, other_values, top_index, k):
    """Agreement of two explainers on the same rows.

    Parameters
    ----------
    main_values, other_values : ndarray of shape (n, d) or (n, d, n_outputs)
    top_index : list of int
        The main explainer's top features (Spearman is computed over them).
    k : int
        Size of the top sets compared.

    Returns
    -------
    dict with ``spearman_mean`` (mean over rows and outputs of the per-row
    Spearman of signed attributions over ``top_index``), ``spearman_rows``
    (rows where it was defined), ``top_k_overlap`` (|top-k main & top-k other|
    / k of the global mean-|attribution| rankings) and both top-k lists.
    """
    a, b = np.asarray(main_values, float), np.asarray(other_values, float)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    rhos = np.concatenate([_per_row_spearman(a[:, top_index, o], b[:, top_index, o])
                           for o in range(a.shape[-1])])
    defined = rhos[np.isfinite(rhos)]
    rank_a = np.argsort(-np.abs(a).sum(axis=-1).mean(axis=0), kind="stable")[:k]
    rank_b = np.argsort(-np.abs(b).sum(axis=-1).mean(axis=0), kind="stable")[:k]
    return {"spearman_mean": float(defined.mean()) if defined.size else None,
            "spearman_rows": int(defined.size), "k": int(k),
            "top_k_overlap": len(set(rank_a) & set(rank_b)) / k,
            "top_k_main": [int(i) for i in rank_a], "top_k_other": [int(i) for i in rank_b]}


def additivity(expl, predictions):
    """max |sum of attributions + base value - f(x)| and the scale of f (for a relative view)."""
    values = np.asarray(expl.values, float)
    total = values.sum(axis=1) + np.asarray(expl.base_values, float)
    predictions = np.asarray(predictions, float).reshape(total.shape)
    gap = float(np.max(np.abs(total - predictions)))
    scale = float(np.ptp(predictions)) if predictions.size > 1 else 0.0
    return {"max_gap": gap, "prediction_range": scale}
