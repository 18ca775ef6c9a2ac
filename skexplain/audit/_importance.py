"""Global importance with uncertainty: mean |attribution| per feature.

The 95% interval is a percentile bootstrap over the explained rows (seeded):
it says how much the ranking could move with another sample of rows.  When
the explainer estimates (KernelSHAP), ``stderr`` adds the estimator's own
standard error of the mean, ``sqrt(sum_r se_r^2) / n``.
"""
import numpy as np
import pandas as pd

__all__ = ["N_BOOTSTRAP", "bootstrap_mean_abs", "importance_table", "main_values"]

#: Bootstrap resamples of the explained rows.
N_BOOTSTRAP = 1000


def main_values(values, main_output):
    """(n, d) attributions of the main view: one output, or |.| summed over classes."""
    if values.ndim == 2:
        return values
    if main_output is None:
        return None
    return values[..., main_output]


def _abs_main(values, main_output):
    if values.ndim == 2:
        return np.abs(values)
    if main_output is None:  # multi-class: the sum over classes of |attribution|
        return np.abs(values).sum(axis=-1)
    return np.abs(values[..., main_output])


def bootstrap_mean_abs(abs_values, *, n_boot=N_BOOTSTRAP, random_state=0):
    """2.5% and 97.5% percentiles of the bootstrap mean of each column.

    Parameters
    ----------
    abs_values : ndarray of shape (n, d)

    Returns
    -------
    low, high : ndarray of shape (d,)

    Examples
    --------
    >>> import numpy as np
    >>> low, high = bootstrap_mean_abs(np.ones((10, 2)))
    >>> low.tolist(), high.tolist()
    ([1.0, 1.0], [1.0, 1.0])
    """
    n = abs_values.shape[0]
    rng = np.random.default_rng(random_state)
    # multinomial weights: one resample per row of ``counts``, all means in one product
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)
    means = counts @ abs_values / n
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    return low, high


def importance_table(expl, main_output, *, random_state=0):
    """One row per feature, sorted by ``mean_abs`` (largest first).

    Columns: ``feature``, ``mean_abs`` (mean |attribution| of the main view),
    ``ci_low``, ``ci_high`` (bootstrap 95% interval), ``stderr`` (estimator's
    standard error of the mean; NaN for exact methods), ``share`` (of the
    total mean_abs), ``rank`` (1 = largest), then for classifiers one
    ``mean_abs[<class>]`` column per class.
    """
    values = np.asarray(expl.values, dtype=float)
    abs_main = _abs_main(values, main_output)
    mean_abs = abs_main.mean(axis=0)
    low, high = bootstrap_mean_abs(abs_main, random_state=random_state)
    stderr = np.full(mean_abs.shape, np.nan)
    if expl.stderr is not None:
        se = np.asarray(expl.stderr, dtype=float)
        se = se if se.ndim == 2 else (np.sqrt((se ** 2).sum(axis=-1)) if main_output is None
                                      else se[..., main_output])
        stderr = np.sqrt((se ** 2).sum(axis=0)) / values.shape[0]
    total = mean_abs.sum()
    frame = pd.DataFrame({
        "feature": list(expl.feature_names),
        "mean_abs": mean_abs, "ci_low": low, "ci_high": high, "stderr": stderr,
        "share": mean_abs / total if total > 0 else np.zeros_like(mean_abs),
    })
    if values.ndim == 3:
        for k, name in enumerate(expl.output_names):
            frame[f"mean_abs[{name}]"] = np.abs(values[..., k]).mean(axis=0)
    frame = frame.sort_values("mean_abs", ascending=False, kind="stable")
    frame.insert(6, "rank",
                 np.arange(1, len(frame) + 1))
    return frame.reset_index(drop=True)
