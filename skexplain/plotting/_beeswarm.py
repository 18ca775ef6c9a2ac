"""``BeeswarmDisplay``: every row's attribution per feature (shap's summary plot)."""
import numpy as np

from ._base import (check_finite, check_max_display, feature_names, one_output,
                    require_one_feature_axis)
from ._rows import (GREY, attribution_label, new_axes, numeric_column, red_blue_cmap,
                    short_label, top_and_rest)

__all__ = ["BeeswarmDisplay"]

_N_BINS = 100  # bins across the x range in which points are stacked


class BeeswarmDisplay:
    """One row of dots per feature: x is the attribution, colour the feature's value.

    Features are sorted by mean absolute attribution, most important on top.
    With more features than ``max_display`` the last row is the sum of the
    attributions of all the others.  Dots are spread vertically where they
    are dense (a deterministic swarm: the same input draws the same picture).
    The colour is the feature's value scaled to its 5th-95th percentile (values
    beyond are clipped), blue low and red high; features whose data are not
    numeric (strings, booleans, other objects), missing values, and features
    without data are grey.

    Build it with :meth:`from_explanation`.

    Parameters
    ----------
    values : array-like of shape (n_rows, n_features)
        Attributions of one output.
    feature_names : list of str
    data : array-like of shape (n_rows, n_features), default=None
        The explained rows (object dtype allowed).  None draws every dot grey.
    output_names : list of str, default=None
        The name of the output, used in the x label.

    Attributes
    ----------
    values_ : ndarray of shape (n_rows, n_displayed)
        The plotted attributions, one column per displayed row, top row first
        (the last column is the summed "other features" when there are more
        features than ``max_display``).
    feature_names_ : list of str
        Labels of the displayed rows, top first.
    color_values_ : ndarray of shape (n_rows, n_displayed)
        The scaled feature values in [0, 1] that set the colours; NaN for grey.
    collections_ : list of matplotlib PathCollection
        One per displayed row, top first.
    colorbar_ : matplotlib Colorbar or None
        None when ``color_bar=False`` or no displayed feature has numeric data.
    zero_line_ : matplotlib Line2D
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain import Explanation
    >>> from skexplain.plotting import BeeswarmDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 3))
    >>> e = Explanation(X * [1.0, -3.0, 0.1], np.zeros(50), data=X,
    ...                 feature_names=["a", "b", "c"])
    >>> disp = BeeswarmDisplay.from_explanation(e)
    >>> disp.feature_names_
    ['b', 'a', 'c']
    """

    def __init__(self, values, feature_names, *, data=None, output_names=None):
        self.values = np.asarray(values, dtype=float)
        self.feature_names = list(feature_names)
        self.data = None if data is None else np.asarray(data)
        self.output_names = output_names

    @classmethod
    def from_explanation(cls, explanation, *, max_display=10, output=None, color_bar=True,
                         ax=None):
        """Plot the attributions of every row of ``explanation``.

        Parameters
        ----------
        explanation : Explanation
            With one feature axis (tabular explanations).
        max_display : int, default=10
            Number of rows of dots; the last one sums the remaining features.
        output : int or str, default=None
            The output to show (position or name); needed when the explanation
            has several outputs.
        color_bar : bool, default=True
            Draw the "feature value" colorbar.
        ax : matplotlib Axes, default=None
            A new figure, as tall as the rows need, when None.

        Returns
        -------
        BeeswarmDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import BeeswarmDisplay
        >>> X = np.random.default_rng(0).normal(size=(50, 3))
        >>> e = Explanation(X * [1.0, -3.0, 0.1], np.zeros(50), data=X,
        ...                 feature_names=["a", "b", "c"])
        >>> BeeswarmDisplay.from_explanation(e, max_display=2).feature_names_
        ['b', 'sum of 2 other features']
        """
        require_one_feature_axis(explanation, "beeswarm")
        check_max_display(max_display)
        explanation = one_output(explanation, output, "beeswarm")
        check_finite(explanation, "beeswarm")
        data = explanation.data
        if data is not None and data.shape != explanation.values.shape:
            data = None  # data that do not match the features one to one cannot colour them
        disp = cls(explanation.values, feature_names(explanation), data=data,
                   output_names=explanation.output_names)
        return disp.plot(ax=ax, max_display=max_display, color_bar=color_bar)

    def plot(self, *, ax=None, max_display=10, color_bar=True):
        """Draw the swarm; returns ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        max_display : int, default=10
        color_bar : bool, default=True

        Returns
        -------
        BeeswarmDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import BeeswarmDisplay
        >>> X = np.random.default_rng(0).normal(size=(50, 3))
        >>> e = Explanation(X * [1.0, -3.0, 0.1], np.zeros(50), data=X,
        ...                 feature_names=["a", "b", "c"])
        >>> disp = BeeswarmDisplay.from_explanation(e)
        >>> disp.plot(max_display=2, color_bar=False) is disp
        True
        """
        check_max_display(max_display)
        self._layout(max_display)
        n_shown = len(self.feature_names_)
        self.ax_, self.figure_ = new_axes(ax, n_shown)
        cmap = red_blue_cmap()
        self.collections_ = []
        for i in range(n_shown):
            x = self.values_[:, i]
            y = (n_shown - 1 - i) + _swarm_offsets(x)
            scaled = self.color_values_[:, i]
            colors = np.where(np.isnan(scaled)[:, None], _rgba(GREY),
                              cmap(np.nan_to_num(scaled)))
            self.collections_.append(self.ax_.scatter(
                x, y, c=colors, s=16, linewidths=0, zorder=3, rasterized=len(x) > 500))
        self.zero_line_ = self.ax_.axvline(0.0, color="#777777", linewidth=0.8, zorder=1)
        self.ax_.set_yticks(np.arange(n_shown)[::-1],
                            [short_label(n) for n in self.feature_names_])
        self.ax_.set_ylim(-0.6, n_shown - 0.4)
        for y in range(n_shown):  # faint guides help read a dot's row across the plot
            self.ax_.axhline(y, color="#cccccc", linewidth=0.5, linestyle=":", zorder=0)
        self.ax_.set_xlabel(attribution_label(self.output_names))
        self.ax_.spines[["top", "right", "left"]].set_visible(False)
        self.ax_.tick_params(axis="y", length=0)
        self.colorbar_ = None
        if color_bar and not np.all(np.isnan(self.color_values_)):
            self.colorbar_ = self._draw_colorbar(cmap)
        return self

    def _layout(self, max_display):
        """Order the features and build ``values_``, ``feature_names_``, ``color_values_``."""
        n, d = self.values.shape
        shown, rest = top_and_rest(np.abs(self.values).mean(axis=0), max_display)
        columns = [self.values[:, j] for j in shown]
        colors = [_scaled_colors(None if self.data is None else self.data[:, j], n)
                  for j in shown]
        names = [self.feature_names[j] for j in shown]
        if len(rest):
            columns.append(self.values[:, rest].sum(axis=1))
            colors.append(np.full(n, np.nan))  # a sum of features has no single value
            names.append(f"sum of {len(rest)} other features")
        self.values_ = np.column_stack(columns) if columns else np.empty((n, 0))
        self.color_values_ = np.column_stack(colors) if colors else np.empty((n, 0))
        self.feature_names_ = names

    def _draw_colorbar(self, cmap):
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        mappable = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=cmap)
        bar = self.figure_.colorbar(mappable, ax=self.ax_, ticks=[0.0, 1.0], aspect=40,
                                    pad=0.01, fraction=0.05)
        bar.set_ticklabels(["low", "high"])
        bar.set_label("feature value", labelpad=-8)
        bar.outline.set_visible(False)
        return bar


def _rgba(color):
    from matplotlib.colors import to_rgba

    return np.asarray(to_rgba(color))


def _scaled_colors(column, n):
    """Feature values scaled to [0, 1] by their 5th and 95th percentiles; NaN means grey."""
    if column is None:
        return np.full(n, np.nan)
    x = numeric_column(column)
    if x is None or np.all(np.isnan(x)):
        return np.full(n, np.nan)
    lo, hi = np.nanpercentile(x, [5, 95])
    if hi <= lo:  # a concentrated column: fall back to the full range
        lo, hi = np.nanmin(x), np.nanmax(x)
    if hi <= lo:  # a constant column: one colour, in the middle
        return np.where(np.isnan(x), np.nan, 0.5)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _swarm_offsets(x, n_bins=_N_BINS, half_height=0.4):
    """Vertical offsets in [-half_height, half_height] that stack points of similar x.

    Points are binned on x; within a bin they take the layers 0, +1, -1, +2,
    -2, ... in order of x (ties by position), so the swarm is as wide as the
    density and the same input always gives the same offsets.
    """
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return np.zeros(0)
    span = np.ptp(x)
    bins = np.zeros(len(x), dtype=int) if span == 0 else np.round(
        (n_bins - 1) * (x - x.min()) / span).astype(int)
    order = np.lexsort((np.arange(len(x)), x, bins))
    sorted_bins = bins[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_bins)) + 1]
    starts = np.repeat(first, np.diff(np.r_[first, len(x)]))
    rank = np.arange(len(x)) - starts
    layer = np.where(rank % 2 == 1, (rank + 1) // 2, -(rank // 2))
    offsets = np.empty(len(x))
    offsets[order] = layer
    # 4 layers at least per half row: a sparse row keeps dots close to its line
    return offsets * (half_height / max(np.abs(offsets).max(), 4))
