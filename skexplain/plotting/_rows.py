"""Helpers shared by the per-row displays (beeswarm, waterfall, heatmap).

matplotlib is imported inside the functions only, so that importing
:mod:`skexplain.plotting` stays cheap.
"""
import math
import numbers

import numpy as np

__all__ = ["BLUE", "GREY", "MAX_LABEL", "RED", "attribution_label", "diverging_cmap",
           "format_number", "is_missing", "new_axes", "numeric_column", "output_suffix",
           "red_blue_cmap", "short_label", "top_and_rest"]

# Negative/low is blue and positive/high is red in every display, so that a
# colour means the same thing in the beeswarm, the waterfall and the heatmap.
BLUE = "#1E88E5"
RED = "#FF0D57"
GREY = "#9E9E9E"


def red_blue_cmap():
    """Blue (low) to red (high) through purple: the middle is not the grey of "no data"."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("skexplain_blue_red", [BLUE, RED])


def diverging_cmap():
    """Blue (negative), white (zero), red (positive)."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("skexplain_blue_white_red", [BLUE, "#FFFFFF", RED])


def new_axes(ax, n_rows, *, width=8.0, per_row=0.42, extra=1.6):
    """``(ax, figure)``: ``ax`` itself, or a new figure as tall as its ``n_rows`` rows need.

    A new figure uses constrained layout so that long feature names and the
    colorbar fit without the caller calling ``tight_layout``.
    """
    if ax is not None:
        return ax, ax.figure
    import matplotlib.pyplot as plt

    height = min(max(extra + per_row * n_rows, 3.0), 30.0)
    figure, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax, figure


def top_and_rest(importance, max_display):
    """Feature positions to draw one by one (most important first) and the rest.

    With more features than ``max_display`` the last displayed slot is the
    sum of all the others (as shap does), so ``max_display - 1`` features are
    drawn on their own; otherwise every feature is, and ``rest`` is empty.
    """
    order = np.argsort(-np.asarray(importance, dtype=float), kind="stable")
    if len(order) <= max_display:
        return order, order[:0]
    return order[:max_display - 1], order[max_display - 1:]


def _is_real(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def numeric_column(column):
    """The column as floats, or None when it is not numeric.

    Strings, booleans and any other objects make the column categorical
    (None); missing values (None, NaN, ``pd.NA``) become NaN.  Object columns
    of numbers (a DataFrame with a string column gives object ``data`` for
    every column) are numeric.
    """
    column = np.asarray(column)
    if column.dtype.kind in "iuf":
        return column.astype(float)
    if column.dtype.kind != "O":
        return None
    out = np.empty(len(column))
    for i, v in enumerate(column):
        if _is_real(v):
            out[i] = float(v)
        elif is_missing(v):
            out[i] = np.nan
        else:
            return None
    return out


def is_missing(v):
    """True for None, NaN, ``pd.NA``, ``NaT``; False for anything else (arrays included)."""
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def output_suffix(output_names):
    """``" (<output>)"`` naming a single output, or ``""``.

    A regressor's single output is named ``"output"``: that adds nothing, so
    it gets no suffix either.
    """
    if output_names and len(output_names) == 1 and output_names[0] != "output":
        return f" ({output_names[0]})"
    return ""


def attribution_label(output_names):
    """Axis label: ``"attribution (<output>)"``, the unit of the values."""
    if output_names and len(output_names) == 1:
        return "attribution" + output_suffix(output_names)
    return "attribution (model output)"


def format_number(x, digits=3, *, sign=False):
    """A short label for a number: ``digits`` significant digits, no exponent below 1e6."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    plus = "+" if sign else ""
    if x != 0 and (abs(x) >= 10 ** digits and abs(x) < 1e6):
        return f"{x:{plus},.0f}"
    return f"{x:{plus}.{digits}g}"


#: Longest label drawn in full; a 200-character column name would squeeze the plot away.
MAX_LABEL = 40


def short_label(text, width=MAX_LABEL):
    """``text`` to draw: its middle cut to an ellipsis beyond ``width``, ``$`` escaped.

    The start and the end are kept: long column names often differ only in
    a suffix.  Attributes keep the full names; only the drawn text is cut.
    """
    text = str(text)
    if len(text) > width:
        tail = (width - 1) // 3
        text = text[:width - 1 - tail] + "\u2026" + text[len(text) - tail:]
    # matplotlib reads text between two "$" as mathtext: "$5-$10" would lose its dollars
    return text.replace("$", "\\$")
