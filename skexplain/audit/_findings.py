"""Findings in plain words, each computed from the audit's numbers.

A finding is a dict ``{"kind", "severity", "text"}``; ``severity`` is
``"info"`` or ``"warning"`` (the HTML styles warnings).  Every generator
returns a list (empty when it has nothing true to say).
"""
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

__all__ = ["CONCENTRATION_SHARE", "DIRECTION_MIN_R", "NEGLIGIBLE_SHARE", "additivity_findings",
           "agreement_findings", "categorical_finding", "concentration_findings",
           "direction_finding", "fmt", "is_categorical", "is_null", "negligible_findings",
           "null_findings", "order_findings", "sanity_findings", "score_findings"]

#: Concentration: the fewest features whose shares add up to this.
CONCENTRATION_SHARE = 0.7
#: |Spearman r| between a feature's value and its attribution to call the effect monotonic.
DIRECTION_MIN_R = 0.7
#: Share of the total mean |attribution| below which a feature is negligible.
NEGLIGIBLE_SHARE = 0.01
#: Mean per-row Spearman of two explainers above which they are said to agree.
AGREEMENT_MIN_R = 0.7
#: Attributions at most this fraction of the largest |prediction| are float rounding.
NULL_RTOL = 1e-9


def fmt(x):
    """A number in 3 significant digits (no exponent for ordinary sizes)."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _finding(kind, text, severity="info"):
    return {"kind": kind, "severity": severity, "text": text}


def is_categorical(column):
    """True for strings, pandas categoricals, booleans and numbers with <= 2 values."""
    column = pd.Series(column)
    if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype.kind not in "iuf":
        return True
    return column.nunique(dropna=True) <= 2


def _name_list(names, limit=6):
    """``a, b, c`` or ``a, b, c and 7 more``: a sentence stays readable with 30 features."""
    names = [str(n) for n in names]
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"


def is_null(values, predictions):
    """True when every attribution is float rounding next to the predictions' size.

    A model that ignores its inputs (a constant) gets attributions of 1e-19
    rather than exact zeros; ranking or correlating them would report noise.
    """
    values = np.abs(np.asarray(values, dtype=float))
    scale = float(np.max(np.abs(np.asarray(predictions, dtype=float)), initial=0.0))
    return bool(np.all(values <= NULL_RTOL * scale))


def null_findings(values):
    """The one thing to say about all-zero attributions."""
    top = float(np.max(np.abs(np.asarray(values, dtype=float)), initial=0.0))
    return [_finding("null", f"Every attribution is zero up to float rounding (largest "
                             f"|attribution| {top:.1e}): the model's output does not change "
                             "with any feature on the explained rows, so no feature can be "
                             "ranked or described.", "warning")]


def concentration_findings(table):
    """How few features carry most of the total mean |attribution|."""
    shares = table["share"].to_numpy()
    if len(shares) < 3 or shares.sum() <= 0:
        return []
    k = int(np.searchsorted(np.cumsum(shares), CONCENTRATION_SHARE) + 1)
    k = min(k, len(shares))
    names = _name_list(table["feature"].iloc[:k])
    carried = float(shares[:k].sum())
    return [_finding("concentration",
                     f"{k} of {len(shares)} features carry {carried:.0%} of the total mean "
                     f"|attribution| ({names}).")]


def order_findings(table, top):
    """Adjacent top features whose bootstrap intervals overlap: their order is uncertain."""
    out = []
    head = table.iloc[:top]
    for i in range(len(head) - 1):
        a, b = head.iloc[i], head.iloc[i + 1]
        # below NEGLIGIBLE_SHARE the order is that of noise: the negligible finding says so
        if b.get("share", 1.0) < NEGLIGIBLE_SHARE:
            break
        if b["ci_high"] >= a["ci_low"] and a["mean_abs"] > 0:
            out.append(_finding(
                "uncertain_order",
                f"The order of {a['feature']} (#{i + 1}) and {b['feature']} (#{i + 2}) is "
                f"uncertain: their 95% bootstrap intervals overlap ({fmt(a['ci_low'])} to "
                f"{fmt(a['ci_high'])} and {fmt(b['ci_low'])} to {fmt(b['ci_high'])})."))
    return out


def direction_finding(name, x, phi, target):
    """Numeric feature: does a higher value raise or lower ``target``?"""
    x, phi = np.asarray(x, dtype=float), np.asarray(phi, dtype=float)
    ok = np.isfinite(x) & np.isfinite(phi)
    if ok.sum() < 5 or np.ptp(x[ok]) == 0 or np.ptp(phi[ok]) == 0:
        return []
    r = float(spearmanr(x[ok], phi[ok]).statistic)
    if abs(r) >= DIRECTION_MIN_R:
        verb = "raises" if r > 0 else "lowers"
        return [_finding("direction", f"Higher {name} {verb} {target} (Spearman r between "
                                      f"{name} and its attribution = {r:.2f}).")]
    return [_finding("direction",
                     f"The effect of {name} on {target} is not monotonic in {name} or depends "
                     f"on other features (Spearman r between value and attribution = "
                     f"{r:.2f}); see its dependence plot.")]


def categorical_finding(name, x, phi, target, min_rows=3):
    """Categorical feature: the category with the highest against the lowest mean attribution."""
    frame = pd.DataFrame({"x": pd.Series(x, dtype=object).astype(str).to_numpy(),
                          "phi": np.asarray(phi, dtype=float)})
    stats = frame.groupby("x")["phi"].agg(["mean", "size"])
    stats = stats[stats["size"] >= min_rows].sort_values("mean")
    if len(stats) < 2:
        return []
    low, high = stats.index[0], stats.index[-1]
    diff = float(stats["mean"].iloc[-1] - stats["mean"].iloc[0])
    return [_finding("categorical",
                     f"{name} = {high} raises {target} by {fmt(diff)} on average compared with "
                     f"{name} = {low} (mean attribution {stats['mean'].iloc[-1]:+.3g} on "
                     f"{int(stats['size'].iloc[-1])} rows vs {stats['mean'].iloc[0]:+.3g} on "
                     f"{int(stats['size'].iloc[0])} rows).")]


def negligible_findings(table):
    """Features whose share of the total mean |attribution| is below NEGLIGIBLE_SHARE."""
    small = table[table["share"] < NEGLIGIBLE_SHARE]
    if small.empty or len(small) == len(table):
        return []
    names = _name_list(small["feature"])
    return [_finding("negligible",
                     f"{len(small)} feature(s) have a negligible effect on the explained rows "
                     f"(each under {NEGLIGIBLE_SHARE:.0%} of the total mean |attribution|): "
                     f"{names}.")]


def sanity_findings(sanity):
    """Verdict of the data-randomization check (or why it was skipped)."""
    if not sanity["ran"]:
        return [_finding("sanity", f"Sanity check {sanity['reason']}", "warning")]
    stat, thr = sanity["statistic"], sanity["threshold"]
    if sanity["passed"]:
        return [_finding("sanity",
                         f"Sanity check passed: the explanations change when the model is "
                         f"retrained on permuted labels ({sanity['metric']} similarity "
                         f"{stat:.2f} <= {thr:.2f}), so they reflect what the model learned.")]
    return [_finding("sanity",
                     f"Sanity check FAILED: a model retrained on permuted labels gets similar "
                     f"explanations ({sanity['metric']} similarity {stat:.2f} > {thr:.2f}); "
                     "the attributions may reflect the data more than the model.", "warning")]


def agreement_findings(agree, main_name, other_name):
    """Verdict of the two-explainer comparison."""
    if agree is None:
        return []
    rho, overlap, k = agree["spearman_mean"], agree["top_k_overlap"], agree["k"]
    if len(agree["top_k_main"]) < 2:
        return [_finding("agreement", f"{main_name} and {other_name} explain a single "
                                      "feature: there is no ranking to compare.")]
    if rho is None:
        return [_finding("agreement", f"{main_name} and {other_name} could not be compared: "
                                      "the attributions of every compared row are constant.",
                         "warning")]
    words = "agree" if rho >= AGREEMENT_MIN_R else "disagree"
    text = (f"{main_name} and {other_name} {words} on the top features: mean per-row Spearman "
            f"{rho:.2f}, and {round(overlap * k)} of the top {k} features are shared.")
    return [_finding("agreement", text, "info" if rho >= AGREEMENT_MIN_R else "warning")]


def additivity_findings(add, main_name):
    """Efficiency: attributions add up to the prediction minus the base value."""
    if add is None:
        return []
    gap, scale = add["max_gap"], add["prediction_range"]
    tol = 1e-6 * max(scale, 1.0)
    if gap <= tol:
        return [_finding("additivity", f"{main_name} attributions add up to the prediction "
                                       f"minus the base value (max error {gap:.1e}).")]
    return [_finding("additivity",
                     f"{main_name} attributions miss the prediction by up to {fmt(gap)} (the "
                     f"predictions span {fmt(scale)}).", "warning" if gap > 0.01 * scale
                     else "info")]


def score_findings(score):
    """The model's score on the data given."""
    if score is None:
        return []
    return [_finding("score", f"The model's {score['name']} on the data given is "
                              f"{score['value']:.3f} (we cannot tell whether these are the "
                              "rows it was trained on, where scores are optimistic).")]
