"""``ScatterDisplay``: a feature's value against its attribution (dependence plot)."""
import numpy as np

from ._base import (axes_and_figure, check_finite, feature_names, one_output,
                    require_one_feature_axis)
from ._columns import auto_color_feature, encode_column, resolve_feature
from ._rows import output_suffix, short_label

__all__ = ["ScatterDisplay"]

_JITTER = 0.2  # half-width of the spread of dots around a category's position


def _check_data(explanation):
    data, d = explanation.data, explanation.feature_shape[0]
    if data is None or data.ndim != 2 or data.shape[1] != d:
        got = "no data" if data is None else f"data of shape {data.shape}"
        raise ValueError(
            f"The 'scatter' plot needs explanation.data with one column per feature "
            f"(shape (n, {d})); got {got}. Explain rows with an explainer, or pass "
            "data= to Explanation.")
    return data


class ScatterDisplay:
    """A feature's value (x) against its attribution (y), one dot per row.

    Shows how the attribution of a feature depends on its value (shap's
    dependence or scatter plot).  Dots may be coloured by another feature: a
    vertical spread at one x value that follows the colour hints at an
    interaction.  Numeric features use a plain axis; strings, bools and
    pandas categories use a categorical axis (sorted labels, dots spread
    sideways by a small deterministic jitter).  Build it with
    :meth:`from_explanation`.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Feature values, or category codes when ``categories`` is given.
    attributions : ndarray of shape (n,)
    feature_name : str
    categories : list of str, default=None
        Category labels in axis order (``x`` holds their positions).
    color_values : ndarray of shape (n,), default=None
        Numbers (NaN where missing) or category codes of the colour feature.
    color_name : str, default=None
    color_categories : list of str, default=None
        Labels of the colour feature when it is categorical.
    ylabel : str, default="attribution"
    n_missing : int, default=0
        Rows left out because their feature value is a missing number (said
        in the x label).

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    scatter_ : matplotlib PathCollection
        Its offsets are ``(x position, attribution)``; for a numeric colour
        feature its array holds the colour values.
    categories_ : list of str or None
        Category labels in axis order (None for a numeric feature).
    color_feature_ : str or None
        The colour feature (resolved when ``color="auto"``).
    colorbar_ : matplotlib Colorbar or None
        For a numeric colour feature.
    legend_ : matplotlib Legend or None
        For a categorical colour feature: one entry per category.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain import Explanation
    >>> from skexplain.plotting import ScatterDisplay
    >>> data = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
    >>> e = Explanation(np.array([[-1.0, 0.5], [0.0, -0.5], [1.0, 0.5]]), np.zeros(3),
    ...                 data=data, feature_names=["size", "kind"])
    >>> disp = ScatterDisplay.from_explanation(e, "size", color="kind")
    >>> disp.scatter_.get_offsets()[:, 0].tolist()
    [1.0, 2.0, 3.0]
    >>> [t.get_text() for t in disp.legend_.get_texts()]
    ['a', 'b']
    """

    def __init__(self, x, attributions, feature_name, *, categories=None, color_values=None,
                 color_name=None, color_categories=None, ylabel="attribution", n_missing=0):
        self.x = np.asarray(x)
        self.attributions = np.asarray(attributions, dtype=float)
        self.feature_name = feature_name
        self.categories = categories
        self.color_values = None if color_values is None else np.asarray(color_values)
        self.color_name = color_name
        self.color_categories = color_categories
        self.ylabel = ylabel
        self.n_missing = n_missing

    @classmethod
    def from_explanation(cls, explanation, feature, *, color=None, output=None, ax=None):
        """Plot ``feature``'s value against its attribution for every row.

        Parameters
        ----------
        explanation : Explanation
            With one feature axis and ``data`` holding one column per feature.
        feature : str or int
            The feature, by name or position.
        color : None, str or int, default=None
            None draws every dot in one colour; a feature name or position
            colours by that feature (colormap and colourbar for numbers, a
            palette and a legend for categories); ``"auto"`` picks the feature
            that best explains the vertical spread (within groups of similar
            ``feature`` values, the feature whose values correlate most with
            the attributions' deviations from the group mean; category codes
            for categorical features; ``feature`` itself excluded; one colour
            when there is no other feature).
        output : int or str, default=None
            The output to show, by position or name; required when the
            explanation has several outputs.
        ax : matplotlib Axes, default=None

        Returns
        -------
        ScatterDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import ScatterDisplay
        >>> data = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
        >>> e = Explanation(np.array([[-1.0, 0.5], [0.0, -0.5], [1.0, 0.5]]), np.zeros(3),
        ...                 data=data, feature_names=["size", "kind"])
        >>> disp = ScatterDisplay.from_explanation(e, "size")
        >>> disp.scatter_.get_offsets()[:, 1].tolist()   # the attributions of "size"
        [-1.0, 0.0, 1.0]
        """
        require_one_feature_axis(explanation, "scatter")
        explanation = one_output(explanation, output, "scatter")
        check_finite(explanation, "scatter")
        data = _check_data(explanation)
        names = feature_names(explanation)
        j = resolve_feature(feature, names, "feature")
        columns = [encode_column(data[:, k]) for k in range(len(names))]
        keep = ~np.isnan(columns[j].values) if columns[j].numeric else np.ones(len(data), bool)
        columns = [type(c)(c.values[keep], c.categories) for c in columns]
        attributions = explanation.values[keep, j]
        c = cls._color_position(color, names, j, columns, attributions)
        disp = cls(
            columns[j].values, attributions, names[j], categories=columns[j].categories,
            color_values=None if c is None else columns[c].values,
            color_name=None if c is None else names[c],
            color_categories=None if c is None else columns[c].categories,
            ylabel=(f"attribution of {short_label(names[j])}"
                    f"{output_suffix(explanation.output_names)}"),
            n_missing=int((~keep).sum()))
        return disp.plot(ax=ax)

    @staticmethod
    def _color_position(color, names, j, columns, attributions):
        if color is None:
            return None
        if isinstance(color, str) and color == "auto":
            return auto_color_feature(columns[j], attributions, columns, j)
        c = resolve_feature(color, names, "color")
        if c == j:
            raise ValueError(f"color={color!r} is the plotted feature itself ({names[j]!r}); "
                             "choose another feature, 'auto' or None.")
        return c

    def plot(self, *, ax=None, cmap="coolwarm", s=16, alpha=0.8):
        """Draw the dots, the zero line and the colour key; returns ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        cmap : str or Colormap, default="coolwarm"
            Colormap of a numeric colour feature (low blue, high red).  Its
            range is the feature's 5th to 95th percentile, so that a few
            outliers do not wash out the others (the colourbar's arrows say
            so); missing values are grey.
        s : float, default=16
            Dot area in points squared.
        alpha : float, default=0.8

        Returns
        -------
        ScatterDisplay
            ``self``, with ``ax_``, ``figure_`` and ``scatter_`` set.

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import ScatterDisplay
        >>> data = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
        >>> e = Explanation(np.array([[-1.0, 0.5], [0.0, -0.5], [1.0, 0.5]]), np.zeros(3),
        ...                 data=data, feature_names=["size", "kind"])
        >>> disp = ScatterDisplay.from_explanation(e, "size", color="kind")
        >>> disp.plot(s=30).scatter_.get_sizes().tolist()
        [30]
        """
        self.ax_, self.figure_ = axes_and_figure(ax)
        x = self.x.astype(float)
        if self.categories is not None:
            # Seeded: the same data gives the same picture.
            x = x + np.random.default_rng(0).uniform(-_JITTER, _JITTER, len(x))
        self.zero_line_ = self.ax_.axhline(0, color="0.5", linewidth=0.8, zorder=0)
        self.colorbar_, self.legend_ = None, None
        kwargs = self._color_kwargs(cmap)
        self.scatter_ = self.ax_.scatter(x, self.attributions, s=s, alpha=alpha,
                                         linewidths=0, **kwargs)
        self.categories_ = None if self.categories is None else list(self.categories)
        self.color_feature_ = self.color_name
        self._decorate(kwargs)
        return self

    def _color_kwargs(self, cmap):
        import matplotlib as mpl

        if self.color_values is None:
            return {"color": "C0"}
        if self.color_categories is not None:
            palette = _palette(len(self.color_categories))
            return {"c": palette[self.color_values.astype(int)]}
        values = self.color_values.astype(float)
        finite = values[np.isfinite(values)]
        lo, hi = (np.percentile(finite, [5, 95]) if finite.size else (0.0, 1.0))
        if lo == hi:  # a near-constant feature: fall back to its full range
            lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            lo, hi = (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)
        cmap = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
        # Missing colour values are drawn grey (the default "bad" colour is transparent).
        return {"c": values, "cmap": cmap.with_extremes(bad="0.75"), "vmin": lo, "vmax": hi}

    def _decorate(self, kwargs):
        ax = self.ax_
        xlabel = short_label(self.feature_name)
        if self.n_missing:
            rows = "row" if self.n_missing == 1 else "rows"
            xlabel += f"  ({self.n_missing} {rows} with a missing value not shown)"
        ax.set_xlabel(xlabel)
        ax.set_ylabel(self.ylabel)
        if self.categories is not None:
            long = sum(len(c) for c in self.categories) > 40 or len(self.categories) > 8
            ax.set_xticks(range(len(self.categories)),
                          [short_label(c) for c in self.categories],
                          rotation=45 if long else 0, ha="right" if long else "center")
            ax.set_xlim(-0.5, len(self.categories) - 0.5)
        if "cmap" in kwargs:
            self._add_colorbar(kwargs)
        elif self.color_categories is not None:
            self._add_legend()
        ax.set_title(None if self.color_name is None else
                     f"coloured by {short_label(self.color_name)}", fontsize="medium")

    def _add_colorbar(self, kwargs):
        values = self.color_values.astype(float)
        finite = values[np.isfinite(values)]
        below = finite.size and finite.min() < kwargs["vmin"]
        above = finite.size and finite.max() > kwargs["vmax"]
        extend = {(0, 0): "neither", (1, 0): "min", (0, 1): "max", (1, 1): "both"}[
            (int(bool(below)), int(bool(above)))]
        label = self.color_name
        n_bad = int(np.isnan(values).sum())
        if n_bad:
            label += f" (grey: {n_bad} missing)"
        self.colorbar_ = self.figure_.colorbar(self.scatter_, ax=self.ax_, extend=extend,
                                               label=label)
        self.colorbar_.solids.set_alpha(1)

    def _add_legend(self):
        from matplotlib.lines import Line2D

        palette = _palette(len(self.color_categories))
        handles = [Line2D([], [], linestyle="", marker="o", markersize=6, color=palette[i],
                          label=label) for i, label in enumerate(self.color_categories)]
        many = len(handles) > 8
        self.legend_ = self.ax_.legend(
            handles=handles, title=self.color_name, fontsize="small",
            loc="upper left" if many else "best",
            bbox_to_anchor=(1.01, 1.0) if many else None)


def _palette(n):
    """``n`` distinct RGBA colours: tab10, tab20, then evenly spaced on turbo."""
    import matplotlib as mpl

    if n <= 20:
        name = "tab10" if n <= 10 else "tab20"
        return mpl.colors.to_rgba_array(mpl.colormaps[name].colors[:n])
    return mpl.colormaps["turbo"](np.linspace(0.05, 0.95, n))
