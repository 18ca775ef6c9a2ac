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


def _available(kind):
    from ..plotting import _DISPLAYS

    return kind in _DISPLAYS


def _figure(kind, caption, draw, figsize, notes):
    if not _available(kind):
        notes.append(f"The {kind!r} display is not available in this version of skexplain.")
        return []
    return [{"caption": caption, "png": png_base64(draw, figsize)}]


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
    notes, names = [], list(expl.feature_names)
    d, figs = len(names), {}
    n_show = min(d, 15)
    shown, caption = expl, "Mean |attribution| per feature (largest first)"
    if main is None and expl.has_output_axis:
        # the main view of several classes: |attribution| summed over classes (per-class
        # bars are in the per-class section)
        from ..explanation import Explanation

        shown = Explanation(np.abs(np.asarray(expl.values, float)).sum(axis=-1),
                            np.zeros(expl.n_rows), feature_names=names)
        caption = "Mean |attribution| per feature, summed over classes (largest first)"
    bar_kw = {} if main is None else _output_kw(expl, main)
    figs["importance"] = _figure(
        "bar", caption, lambda ax: shown.plot("bar", ax=ax, max_display=n_show, **bar_kw),
        (8, 0.35 * n_show + 1.5), notes)
    outputs = [main] if (main is not None or not expl.has_output_axis) else list(
        range(min(expl.n_outputs, MAX_CLASS_FIGURES)))
    figs["summary"] = []
    for k in outputs:
        title = "" if k is None or not expl.has_output_axis else f" (class {expl.output_names[k]})"
        figs["summary"] += _figure(
            "beeswarm", "Every explained row's attribution per feature, coloured by the "
            f"feature's value{title}",
            lambda ax, k=k: expl.plot("beeswarm", ax=ax, max_display=n_show,
                                      **_output_kw(expl, k)),
            (8, 0.4 * n_show + 1.5), notes)
    figs["dependence"] = []
    data = expl.data
    one_column_each = data is not None and np.ndim(data) == 2 and np.shape(data)[1] == d
    if not one_column_each:
        notes.append("Dependence plots need one data column per feature; feature groups "
                     "(or an explanation without data) have none, so they are left out.")
    for name in table["feature"].iloc[:top] if one_column_each else []:
        k = _class_of(expl, names.index(name), main)
        figs["dependence"] += _figure(
            "scatter", f"{name}: value against attribution" + (
                "" if k is None else f" (class {expl.output_names[k]})"),
            lambda ax, name=name, k=k: expl.plot("scatter", ax=ax, feature=name, color="auto",
                                                 **_output_kw(expl, k)),
            (6.5, 4.2), notes)
    figs["per_class"] = []
    if classifier and expl.has_output_axis:
        figs["per_class"] = _figure(
            "bar", "Mean |attribution| per feature and class",
            lambda ax: expl.plot("bar", ax=ax, max_display=n_show),
            (8, 0.5 * n_show + 1.5), notes)
    figs["example_rows"] = []
    k_rows = main if main is not None or not expl.has_output_axis else 0
    for label, row, value in _example_rows(predictions, k_rows):
        figs["example_rows"] += _figure(
            "waterfall", f"Row {row_ids[row]} of X: the {label} prediction among the "
            f"explained rows ({value:.4g})", lambda ax, row=row: expl.plot("waterfall", ax=ax, row=row,
                                                    **_output_kw(expl, k_rows)),
            (8, 0.35 * min(d, 10) + 2), notes)
    figs["notes"] = sorted(set(notes))
    return figs
