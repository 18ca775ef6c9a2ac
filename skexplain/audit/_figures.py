"""The audit's figures, drawn with skexplain's displays and kept as base64 PNG.

Every figure is created on its own Figure, saved to memory and closed at
once, so an audit leaves ``plt.get_fignums()`` as it found it.
"""
import base64
import io

import numpy as np

__all__ = ["make_figures", "png_base64"]

_DPI = 100
#: Classes shown one by one (beeswarm per class) before the rest are left to the table.
MAX_CLASS_FIGURES = 4


def png_base64(draw, figsize):
    """Call ``draw(ax)`` on a new figure; return the PNG as base64 text (figure closed)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    try:
        draw(ax)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=_DPI)
    finally:
        plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(caption, draw, figsize):
    return [{"caption": caption, "png": png_base64(draw, figsize)}]


def _bars_with_intervals(display, table):
    """Draw the table's bootstrap 95% intervals as error bars on ``display``'s bars."""
    by_name = table.set_index("feature")
    labels = list(display.feature_names)  # in tick order (the drawn labels may be shortened)
    widths = np.array([p.get_width() for p in display.bars_[0].patches])
    low = widths - by_name.loc[labels, "ci_low"].to_numpy(float)
    high = by_name.loc[labels, "ci_high"].to_numpy(float) - widths
    display.intervals_ = display.ax_.errorbar(
        widths, np.arange(len(labels)), xerr=np.clip([low, high], 0, None), fmt="none",
        ecolor="#24292f", elinewidth=1, capsize=3, label="95% bootstrap interval")
    display.ax_.legend(loc="lower right", frameon=False)
    return display


def _output_kw(expl, k):
    return {} if not expl.has_output_axis else {"output": k}


def _class_of(expl, j, main):
    """The output a feature's single-output figures show: the main one, or where it matters most."""
    if not expl.has_output_axis:
        return None
    if main is not None:
        return main
    return int(np.argmax(np.abs(np.asarray(expl.values)[:, j]).mean(axis=0)))


def _example_rows(predictions, k):
    """Rows with the highest, the median and the lowest prediction of output ``k``."""
    p = np.asarray(predictions, float)
    p = p if p.ndim == 1 else p[:, 0 if k is None else k]
    order = np.argsort(p, kind="stable")
    picks = {"highest": int(order[-1]), "median": int(order[len(order) // 2]),
             "lowest": int(order[0])}
    seen, out = set(), []
    for label, row in picks.items():
        if row not in seen:
            seen.add(row)
            out.append((label, row, float(p[row])))
    return out


def make_figures(expl, table, main, top, predictions, classifier, row_ids):
    """dict of section -> list of ``{"caption", "png"}``, plus ``"notes"``.

    ``row_ids`` labels the explained rows as in X (its index, or positions).
    """
    notes, n_show = [], min(len(expl.feature_names), 15)
    figs = {
        "importance": _importance_figure(expl, table, main, n_show),
        "summary": _summary_figures(expl, main, n_show),
        "dependence": _dependence_figures(expl, table, main, top, notes),
        "per_class": [],
        "example_rows": _example_row_figures(expl, main, predictions, row_ids),
    }
    if classifier and expl.has_output_axis:
        figs["per_class"] = _figure(
            "Mean |attribution| per feature and class",
            lambda ax: expl.plot("bar", ax=ax, max_display=n_show), (8, 0.5 * n_show + 1.5))
    figs["notes"] = sorted(set(notes))
    return figs


def _importance_figure(expl, table, main, n_show):
    from ..explanation import Explanation

    names = list(expl.feature_names)
    # the bars' intervals are the table's bootstrap ones (the estimator's standard errors
    # are in the table): a copy without stderr, or BarDisplay would draw both
    shown = Explanation(expl.values, expl.base_values, feature_names=names,
                        output_names=expl.output_names)
    caption = "Mean |attribution| per feature (largest first), with 95% bootstrap intervals"
    if main is None and expl.has_output_axis:
        # the main view of several classes: |attribution| summed over classes (per-class
        # bars are in the per-class section)
        shown = Explanation(np.abs(np.asarray(expl.values, float)).sum(axis=-1),
                            np.zeros(expl.n_rows), feature_names=names)
        caption = ("Mean |attribution| per feature, summed over classes (largest first), "
                   "with 95% bootstrap intervals")
    bar_kw = {} if main is None else _output_kw(expl, main)
    return _figure(caption, lambda ax: _bars_with_intervals(
        shown.plot("bar", ax=ax, max_display=n_show, **bar_kw), table), (8, 0.35 * n_show + 1.5))


def _summary_figures(expl, main, n_show):
    outputs = [main] if (main is not None or not expl.has_output_axis) else list(
        range(min(expl.n_outputs, MAX_CLASS_FIGURES)))
    figs = []
    for k in outputs:
        title = "" if k is None or not expl.has_output_axis else f" (class {expl.output_names[k]})"
        caption = ("Every explained row's attribution per feature, coloured by the feature's "
                   f"value{title}")
        figs += _figure(caption, lambda ax, k=k: expl.plot(
            "beeswarm", ax=ax, max_display=n_show, **_output_kw(expl, k)), (8, 0.4 * n_show + 1.5))
    return figs


def _dependence_figures(expl, table, main, top, notes):
    names, data = list(expl.feature_names), expl.data
    if data is None or np.ndim(data) != 2 or np.shape(data)[1] != len(names):
        notes.append("Dependence plots need one data column per feature; feature groups "
                     "(or an explanation without data) have none, so they are left out.")
        return []
    figs = []
    for name in table["feature"].iloc[:top]:
        k = _class_of(expl, names.index(name), main)
        caption = f"{name}: value against attribution" + (
            "" if k is None else f" (class {expl.output_names[k]})")
        figs += _figure(caption, lambda ax, name=name, k=k: expl.plot(
            "scatter", ax=ax, feature=name, color="auto", **_output_kw(expl, k)), (6.5, 4.2))
    return figs


def _example_row_figures(expl, main, predictions, row_ids):
    k_rows = main if main is not None or not expl.has_output_axis else 0
    what = ("prediction" if not expl.has_output_axis or main is not None else
            f"predicted probability of class {expl.output_names[k_rows]}")
    figs = []
    for label, row, value in _example_rows(predictions, k_rows):
        caption = f"Row {row_ids[row]} of X: the {label} {what} among the explained rows " \
                  f"({value:.4g})"
        figs += _figure(caption, lambda ax, row=row: expl.plot(
            "waterfall", ax=ax, row=row, **_output_kw(expl, k_rows)),
            (8, 0.35 * min(len(expl.feature_names), 10) + 2))
    return figs
