"""``WaterfallDisplay``: one row, from the base value to the prediction."""
import numbers

import numpy as np

from ._base import (check_finite, check_max_display, feature_names, one_output,
                    require_one_feature_axis)
from ._rows import (BLUE, RED, attribution_label, format_number, new_axes, short_label,
                    top_and_rest)

__all__ = ["WaterfallDisplay"]


class WaterfallDisplay:
    """How one row's attributions add up from ``E[f(X)]`` to ``f(x)``.

    The bottom bar starts at the base value (``explanation.base_values``) and
    each bar starts where the previous one ended; the top bar ends at
    ``f(x) = base value + sum of the attributions`` (the model's output for
    methods with a completeness axiom, e.g. Shapley values; for other methods
    it is the sum the attributions explain, not necessarily the prediction).
    The largest attribution is on top; with more features than
    ``max_display`` the smallest are collapsed into one "N other features" bar
    at the bottom.  Red bars raise the output, blue bars lower it.

    Build it with :meth:`from_explanation`.

    Parameters
    ----------
    values : array-like of shape (n_features,)
        Attributions of one row and one output.
    base_value : float
    feature_names : list of str
    data : array-like of shape (n_features,), default=None
        The row's feature values, shown as ``"name = value"``.
    output_names : list of str, default=None

    Attributes
    ----------
    contributions_ : ndarray of shape (n_displayed,)
        The displayed attributions in drawing order (bottom bar first).
    labels_ : list of str
        The feature labels in drawing order.
    bars_ : matplotlib BarContainer
        One rectangle per displayed attribution, in drawing order.
    base_value_ : float
    prediction_ : float
        ``base_value_ + contributions_.sum()``.
    value_texts_ : list of matplotlib Text
        The ``"+3.2"`` labels, in drawing order.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain import Explanation
    >>> from skexplain.plotting import WaterfallDisplay
    >>> e = Explanation(np.array([[1.0, -3.0, 0.5]]), np.array([10.0]),
    ...                 data=np.array([[2.0, 5.0, 1.0]]), feature_names=["a", "b", "c"])
    >>> disp = WaterfallDisplay.from_explanation(e, row=0)
    >>> disp.labels_, disp.prediction_
    (['c = 1', 'a = 2', 'b = 5'], 8.5)
    """

    def __init__(self, values, base_value, feature_names, *, data=None, output_names=None):
        self.values = np.asarray(values, dtype=float)
        self.base_value = float(base_value)
        self.feature_names = list(feature_names)
        self.data = None if data is None else np.asarray(data)
        self.output_names = output_names

    @classmethod
    def from_explanation(cls, explanation, row=0, *, max_display=10, output=None, ax=None):
        """Plot the attributions of one row of ``explanation``.

        Parameters
        ----------
        explanation : Explanation
            With one feature axis (tabular explanations).
        row : int, default=0
            Position of the row in ``explanation`` (negative counts from the end).
        max_display : int, default=10
            Number of bars; the last one collapses the remaining features.
        output : int or str, default=None
            The output to show (position or name); needed when the explanation
            has several outputs.
        ax : matplotlib Axes, default=None

        Returns
        -------
        WaterfallDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import WaterfallDisplay
        >>> e = Explanation(np.array([[1.0, -3.0, 0.5]]), np.array([10.0]),
        ...                 data=np.array([[2.0, 5.0, 1.0]]), feature_names=["a", "b", "c"])
        >>> WaterfallDisplay.from_explanation(e, max_display=2).labels_
        ['2 other features', 'b = 5']
        """
        require_one_feature_axis(explanation, "waterfall")
        check_max_display(max_display)
        row = _check_row(row, explanation.n_rows)
        explanation = one_output(explanation, output, "waterfall")
        check_finite(explanation, "waterfall", rows=slice(row, row + 1))
        data = explanation.data
        data = data[row] if data is not None and data.shape == explanation.values.shape else None
        disp = cls(explanation.values[row], explanation.base_values[row],
                   feature_names(explanation), data=data, output_names=explanation.output_names)
        return disp.plot(ax=ax, max_display=max_display)

    def plot(self, *, ax=None, max_display=10):
        """Draw the bars; returns ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        max_display : int, default=10

        Returns
        -------
        WaterfallDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import WaterfallDisplay
        >>> e = Explanation(np.array([[1.0, -3.0, 0.5]]), np.array([10.0]),
        ...                 data=np.array([[2.0, 5.0, 1.0]]), feature_names=["a", "b", "c"])
        >>> disp = WaterfallDisplay.from_explanation(e)
        >>> disp.plot(max_display=3).prediction_
        8.5
        """
        check_max_display(max_display)
        self._layout(max_display)
        n = len(self.contributions_)
        self.ax_, self.figure_ = new_axes(ax, n + 1)
        starts = self.base_value + np.r_[0.0, np.cumsum(self.contributions_)[:-1]]
        colors = [RED if v >= 0 else BLUE for v in self.contributions_]
        self.bars_ = self.ax_.barh(np.arange(n), self.contributions_, left=starts,
                                   color=colors, height=0.7, zorder=3)
        self.base_value_ = self.base_value
        self.prediction_ = float(self.base_value + self.contributions_.sum())
        self.ax_.set_yticks(np.arange(n), [short_label(n) for n in self.labels_])
        self.ax_.set_ylim(-1.5, n + 0.5)
        self._set_xlim(starts)
        self._mark_base_and_prediction(n)
        self.value_texts_ = [self._value_text(i, s, v, c) for i, (s, v, c) in
                             enumerate(zip(starts, self.contributions_, colors))]
        # the axis is the model's output scale (E[f(X)] ... f(x)), not attribution units
        self.ax_.set_xlabel(attribution_label(self.output_names).replace(
            "attribution", "model output", 1))
        self.ax_.spines[["top", "right", "left"]].set_visible(False)
        self.ax_.tick_params(axis="y", length=0)
        return self

    def _layout(self, max_display):
        """Order the bars: the "other features" bar first, then the smallest to the largest."""
        shown, rest = top_and_rest(np.abs(self.values), max_display)
        contributions = [self.values[j] for j in shown[::-1]]
        labels = [self._label(j) for j in shown[::-1]]
        if len(rest):
            contributions.insert(0, self.values[rest].sum())
            labels.insert(0, f"{len(rest)} other features")
        self.contributions_ = np.asarray(contributions, dtype=float)
        self.labels_ = labels

    def _label(self, j):
        if self.data is None:
            return self.feature_names[j]
        value = self.data[j]
        shown = (format_number(value, 4) if isinstance(value, numbers.Real)
                 and not isinstance(value, (bool, np.bool_)) else str(value))
        return f"{self.feature_names[j]} = {shown}"

    def _set_xlim(self, starts):
        ends = starts + self.contributions_
        lo = min(starts.min(), ends.min(), self.base_value)
        hi = max(starts.max(), ends.max(), self.base_value)
        pad = 0.15 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
        self.ax_.set_xlim(lo - pad, hi + pad)

    def _mark_base_and_prediction(self, n):
        """Dashed lines at E[f(X)] and f(x), labelled below and above the bars."""
        style = dict(color="#777777", linewidth=0.8, linestyle="--", zorder=1)
        self.ax_.plot([self.base_value] * 2, [-1.0, 0.0], **style)
        self.ax_.plot([self.prediction_] * 2, [n - 1, n], **style)
        self.base_text_ = self._edge_text(self.base_value, -1.05, "top",
                                          f"E[f(X)] = {format_number(self.base_value, 4)}")
        self.prediction_text_ = self._edge_text(self.prediction_, n - 0.05, "bottom",
                                                f"f(x) = {format_number(self.prediction_, 4)}")

    def _edge_text(self, x, y, va, text):
        lo, hi = self.ax_.get_xlim()
        # keep the label inside the axes: anchor it on the side away from the nearer edge
        ha = "left" if x < lo + 0.25 * (hi - lo) else "right" if x > hi - 0.25 * (
            hi - lo) else "center"
        return self.ax_.text(x, y, text, ha=ha, va=va, fontsize=10, color="#333333")

    def _value_text(self, i, start, value, color):
        """``+3.2`` inside a wide bar (white) or just past the end of a narrow one."""
        lo, hi = self.ax_.get_xlim()
        # float noise (an unused feature's 1e-14) reads as zero at the axis' scale
        shown = 0.0 if abs(value) < 1e-9 * max(hi - lo, abs(self.base_value)) else value
        label = format_number(shown, 3, sign=True)
        end = start + value
        if abs(value) > 0.12 * (hi - lo):
            return self.ax_.text((start + end) / 2, i, label, ha="center", va="center",
                                 color="white", fontsize=9, fontweight="bold", zorder=4)
        ha = "left" if value >= 0 else "right"
        gap = 0.005 * (hi - lo) * (1 if value >= 0 else -1)
        return self.ax_.text(end + gap, i, label, ha=ha, va="center", color=color,
                             fontsize=9, zorder=4)


def _check_row(row, n_rows):
    """``row`` as a non-negative position; an integer in [-n_rows, n_rows)."""
    if isinstance(row, (bool, np.bool_)) or not isinstance(row, numbers.Integral):
        raise TypeError(f"row must be an integer position of a row; got {row!r} "
                        f"({type(row).__name__}).")
    if not -n_rows <= row < n_rows:
        raise ValueError(f"row must be in [-{n_rows}, {n_rows}) for an explanation of "
                         f"{n_rows} rows; got {row}.")
    return int(row) % n_rows
