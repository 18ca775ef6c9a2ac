"""``HeatmapDisplay``: the attributions of every row and feature as one image."""
import numpy as np

from ._base import (check_finite, check_max_display, feature_names, one_output,
                    require_one_feature_axis)
from ._rows import attribution_label, diverging_cmap, new_axes, short_label, top_and_rest

__all__ = ["HeatmapDisplay"]

_ORDERS = ("hclust", "input", "prediction")
_ORDER_WORDS = {"hclust": "ordered by hierarchical clustering", "input": "as given",
                "prediction": "by f(x) - E[f(X)], descending", None: "in the given order"}
CLIP_PERCENTILE = 99.0
# optimal leaf ordering costs O(n^3): about 1.5 s for 1000 rows, 12 s for 2000
_MAX_OPTIMAL_ORDERING = 1000
# average linkage stores n^2 / 2 distances and costs O(n^2) time: 20000 rows took 49 s
# and 1.6 GB; above this many rows "hclust" falls back to "prediction" (with a warning)
MAX_HCLUST_ROWS = 5000


class HeatmapDisplay:
    """Rows (x axis) by features (y axis), coloured by attribution.

    Features are sorted by mean absolute attribution, most important on top;
    with more features than ``max_display`` the last line sums all the others.
    The colormap is diverging and centred at 0 (blue negative, red positive)
    with symmetric limits at the 99th percentile of the absolute displayed
    attributions, so that one outlier does not wash
    out the rest; larger values saturate.  A line above the image shows each
    row's ``f(x) - E[f(X)]``, the sum of its attributions.

    Build it with :meth:`from_explanation`.

    Parameters
    ----------
    values : array-like of shape (n_rows, n_features)
        Attributions of one output.
    feature_names : list of str
    output_names : list of str, default=None

    Attributes
    ----------
    row_order_ : ndarray of shape (n_rows,)
        Row positions in the order drawn from left to right.
    values_ : ndarray of shape (n_rows, n_displayed)
        The displayed matrix: rows in ``row_order_``, features most important
        first (the last column is the summed "other features" when there are
        more features than ``max_display``).
    feature_names_ : list of str
        Labels of the displayed features, top first.
    image_ : matplotlib AxesImage
        Its array is ``values_.T`` (features down, rows across).
    vmax_ : float
        The colour limits are ``(-vmax_, vmax_)``.
    colorbar_ : matplotlib Colorbar
    prediction_ax_ : matplotlib Axes or None
        The axes above the image with the ``f(x) - E[f(X)]`` line.
    prediction_line_ : matplotlib Line2D or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain import Explanation
    >>> from skexplain.plotting import HeatmapDisplay
    >>> e = Explanation(np.array([[1.0, -3.0], [2.0, 1.0], [0.0, 0.5]]), np.zeros(3),
    ...                 feature_names=["a", "b"])
    >>> HeatmapDisplay.from_explanation(e, order="prediction").row_order_
    array([1, 2, 0])
    """

    def __init__(self, values, feature_names, *, output_names=None):
        self.values = np.asarray(values, dtype=float)
        self.feature_names = list(feature_names)
        self.output_names = output_names

    @classmethod
    def from_explanation(cls, explanation, *, max_display=10, order="hclust", output=None,
                         show_prediction=True, ax=None):
        """Plot the attributions of all rows of ``explanation`` as an image.

        Parameters
        ----------
        explanation : Explanation
            With one feature axis (tabular explanations).
        max_display : int, default=10
            Number of feature lines; the last one sums the remaining features.
        order : {"hclust", "input", "prediction"} or array-like of int, default="hclust"
            Order of the rows from left to right: ``"hclust"`` the leaf order
            of a hierarchical clustering (average linkage, Euclidean distance,
            optimal leaf ordering up to 1000 rows) of the rows' attributions,
            so that rows explained alike sit together (its memory grows as
            the square of the number of rows: above 5000 rows it falls back to
            ``"prediction"`` with a warning); ``"input"`` as given;
            ``"prediction"`` by the sum of the attributions,
            ``f(x) - E[f(X)]``, largest first; or a permutation of
            ``range(n_rows)``.
        output : int or str, default=None
            The output to show (position or name); needed when the explanation
            has several outputs.
        show_prediction : bool, default=True
            Draw the ``f(x) - E[f(X)]`` line above the image.
        ax : matplotlib Axes, default=None

        Returns
        -------
        HeatmapDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import HeatmapDisplay
        >>> e = Explanation(np.array([[1.0, -3.0], [2.0, 1.0], [0.0, 0.5]]), np.zeros(3),
        ...                 feature_names=["a", "b"])
        >>> HeatmapDisplay.from_explanation(e, order="input").row_order_
        array([0, 1, 2])
        """
        require_one_feature_axis(explanation, "heatmap")
        check_max_display(max_display)
        explanation = one_output(explanation, output, "heatmap")
        check_finite(explanation, "heatmap")
        _check_order(order, explanation.n_rows)
        disp = cls(explanation.values, feature_names(explanation),
                   output_names=explanation.output_names)
        return disp.plot(ax=ax, max_display=max_display, order=order,
                         show_prediction=show_prediction)

    def plot(self, *, ax=None, max_display=10, order="hclust", show_prediction=True):
        """Draw the image; returns ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        max_display : int, default=10
        order : str or array-like of int, default="hclust"
            As in :meth:`from_explanation`.
        show_prediction : bool, default=True

        Returns
        -------
        HeatmapDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import HeatmapDisplay
        >>> e = Explanation(np.array([[1.0, -3.0], [2.0, 1.0], [0.0, 0.5]]), np.zeros(3),
        ...                 feature_names=["a", "b"])
        >>> disp = HeatmapDisplay.from_explanation(e)
        >>> disp.plot(order="prediction").row_order_
        array([1, 2, 0])
        """
        check_max_display(max_display)
        if isinstance(order, str) and order == "hclust" and len(self.values) > MAX_HCLUST_ROWS:
            import warnings

            warnings.warn(f"order='hclust' clusters at most {MAX_HCLUST_ROWS} rows (its time "
                          f"and memory grow as the square of the rows); {len(self.values)} "
                          "rows are ordered by prediction instead. Pass order='prediction' "
                          "or explain fewer rows to silence this.", UserWarning, stacklevel=2)
            order = "prediction"
        self.row_order_ = _row_order(order, self.values)
        shown, rest = top_and_rest(np.abs(self.values).mean(axis=0), max_display)
        ordered = self.values[self.row_order_]
        columns = [ordered[:, shown]]
        self.feature_names_ = [self.feature_names[j] for j in shown]
        if len(rest):
            columns.append(ordered[:, rest].sum(axis=1, keepdims=True))
            self.feature_names_.append(f"sum of {len(rest)} other features")
        self.values_ = np.hstack(columns)
        self.vmax_ = _color_limit(self.values_)
        n_rows, n_shown = self.values_.shape
        self.ax_, self.figure_ = new_axes(ax, n_shown, width=9.0, extra=2.8)
        if ax is None and show_prediction:
            # constrained layout ignores insets: keep the top free for the line
            self.figure_.get_layout_engine().set(rect=(0.0, 0.0, 1.0, 0.86))
        self.image_ = self.ax_.imshow(self.values_.T, aspect="auto", cmap=diverging_cmap(),
                                      vmin=-self.vmax_, vmax=self.vmax_)
        self.ax_.set_yticks(np.arange(n_shown), [short_label(n) for n in self.feature_names_])
        self.ax_.tick_params(axis="y", length=0)
        self._row_ticks(n_rows)
        words = _ORDER_WORDS[order if isinstance(order, str) else None]
        self.ax_.set_xlabel(f"rows ({words})")
        self.colorbar_ = self.figure_.colorbar(self.image_, ax=self.ax_, aspect=30,
                                               pad=0.02, fraction=0.05, extend=self._extend())
        self.colorbar_.set_label(attribution_label(self.output_names))
        self.prediction_ax_ = self.prediction_line_ = None
        if show_prediction:
            self._draw_prediction(self.values[self.row_order_].sum(axis=1))
        return self

    def _row_ticks(self, n_rows):
        """Ticks label the rows by their position in the explanation, not in the image."""
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        order = self.row_order_
        self.ax_.xaxis.set_major_locator(MaxNLocator(nbins=min(n_rows, 12), integer=True))
        self.ax_.xaxis.set_major_formatter(FuncFormatter(
            lambda x, _: str(order[int(x)]) if 0 <= int(x) < len(order) and x == int(x)
            else ""))

    def _extend(self):
        big = np.abs(self.values_).max(initial=0.0) > self.vmax_
        return "both" if big else "neither"

    def _draw_prediction(self, totals):
        """``f(x) - E[f(X)]`` per row, in an inset above the image sharing its x axis."""
        inset = self.ax_.inset_axes([0.0, 1.03, 1.0, 0.22], sharex=self.ax_)
        (self.prediction_line_,) = inset.plot(np.arange(len(totals)), totals,
                                              color="#333333", linewidth=1.2,
                                              marker="o" if len(totals) <= 50 else None,
                                              markersize=3)
        inset.axhline(0.0, color="#999999", linewidth=0.6, linestyle="--")
        inset.set_ylabel("f(x) - E[f(X)]", fontsize=8)
        inset.tick_params(axis="x", labelbottom=False, bottom=False)
        inset.tick_params(axis="y", labelsize=8)
        inset.spines[["top", "right"]].set_visible(False)
        self.prediction_ax_ = inset


def _color_limit(matrix):
    """Symmetric colour limit: the 99th percentile of |matrix| (the max if that is 0)."""
    a = np.abs(matrix[np.isfinite(matrix)])
    if a.size == 0:
        return 1.0
    vmax = float(np.percentile(a, CLIP_PERCENTILE))
    if vmax <= 0:
        vmax = float(a.max())
    return vmax if vmax > 0 else 1.0


def _check_order(order, n_rows):
    """``order`` is one of the known names or a permutation of ``range(n_rows)``."""
    if isinstance(order, str):
        if order not in _ORDERS:
            raise ValueError(f"order must be one of {list(_ORDERS)} or a permutation of the "
                             f"row positions; got {order!r}.")
        return order
    arr = np.asarray(order)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":  # bools and floats are no positions
        raise TypeError(f"order must be a name ({', '.join(_ORDERS)}) or a 1-D array of "
                        f"integer row positions; got {order!r}.")
    if len(arr) != n_rows or not np.array_equal(np.sort(arr), np.arange(n_rows)):
        raise ValueError(f"order must be a permutation of range({n_rows}) (each row position "
                         f"once); got {arr.tolist()}.")
    return arr


def _row_order(order, values):
    """Row positions in drawing order (``order`` as in ``from_explanation``)."""
    order = _check_order(order, len(values))
    if not isinstance(order, str):
        return np.asarray(order, dtype=int)
    if order == "input":
        return np.arange(len(values))
    if order == "prediction":
        return np.argsort(-values.sum(axis=1), kind="stable")
    if len(values) < 3:  # one or two rows have a single leaf order
        return np.arange(len(values))
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering

    links = linkage(values, method="average", metric="euclidean")
    if len(values) <= _MAX_OPTIMAL_ORDERING:
        links = optimal_leaf_ordering(links, values)
    return leaves_list(links).astype(int)
