"""``ImageGridDisplay``: several explanations of the same images side by side."""
import numbers

import numpy as np

from ._base import one_output
from ._image import (attribution_map, check_finite_row, check_image_params, display_image,
                     draw_cell, image_layout, row_position)
from ._rows import short_label

__all__ = ["ImageGridDisplay"]

#: Most rows drawn when ``rows=None`` (a bigger grid is unreadable; choose with ``rows=``).
MAX_ROWS = 16


def _named_explanations(explanations):
    """``[(name, Explanation), ...]`` from a dict or a list of pairs."""
    from ..explanation import Explanation

    if isinstance(explanations, Explanation):
        raise TypeError("explanations must be a dict {method name: Explanation} (or a list of "
                        "(name, Explanation) pairs); got a single Explanation. Use "
                        "ImageDisplay for one explanation.")
    pairs = list(explanations.items()) if isinstance(explanations, dict) else explanations
    try:
        pairs = [(str(name), expl) for name, expl in pairs]
    except (TypeError, ValueError):
        raise TypeError("explanations must be a dict {method name: Explanation} or a list of "
                        f"(name, Explanation) pairs; got {type(explanations).__name__}.") from None
    if not pairs:
        raise ValueError("explanations must hold at least one (name, Explanation); got none.")
    for name, expl in pairs:
        if not isinstance(expl, Explanation):
            raise TypeError(f"explanations[{name!r}] must be an Explanation; got "
                            f"{type(expl).__name__}.")
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"explanations must have distinct method names; got {names}.")
    return pairs


def _check_same_images(pairs):
    """Every explanation explains the same rows: same count, shape and data."""
    first_name, first = pairs[0]
    for name, expl in pairs[1:]:
        if expl.n_rows != first.n_rows or expl.feature_shape != first.feature_shape:
            raise ValueError(
                f"explanations must explain the same images: {first_name!r} has "
                f"{first.n_rows} rows of shape {first.feature_shape}, {name!r} has "
                f"{expl.n_rows} of shape {expl.feature_shape}.")
    with_data = [(n, e) for n, e in pairs if e.data is not None]
    for name, expl in with_data[1:]:
        ref_name, ref = with_data[0]
        if expl.data.shape != ref.data.shape or not np.array_equal(expl.data, ref.data):
            raise ValueError(f"explanations must explain the same images: the data of "
                             f"{name!r} differs from the data of {ref_name!r}.")
    return with_data[0][1].data if with_data else None


def _row_positions(rows, n_rows):
    if rows is None:
        if n_rows > MAX_ROWS:
            raise ValueError(f"The image grid draws at most {MAX_ROWS} rows by default and the "
                             f"explanations have {n_rows}; choose them with rows= (e.g. "
                             f"rows=range({MAX_ROWS})).")
        return list(range(n_rows))
    if isinstance(rows, numbers.Integral) and not isinstance(rows, bool):
        rows = [rows]
    try:
        rows = list(rows)
    except TypeError:
        raise TypeError(f"rows must be None, a row position or a list of row positions; got "
                        f"{rows!r}.") from None
    if not rows:
        raise ValueError("rows must select at least one row; got an empty selection.")
    return [row_position(r, n_rows, name="rows") for r in rows]


def _row_label(explanations, row):
    """The explained output's name of ``row`` if an explanation tells it, else ``row i``."""
    for expl in explanations:
        names = expl.output_names
        if names and len(names) == 1 and names[0] != "output":
            return names[0]
        target = expl.metadata.get("target")
        if isinstance(target, (list, tuple)) and len(target) == expl.n_rows:
            return f"row {row}: target {target[row]}"
    return f"row {row}"


def _grid_axes(ax, n_rows, n_cols):
    """A (n_rows, n_cols) array of Axes: new ones, or the given ones checked."""
    if ax is None:
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(n_rows, n_cols, squeeze=False, layout="constrained",
                                    figsize=(1.9 * n_cols + 0.6, 1.9 * n_rows + 0.4))
        return axes, figure
    axes = np.asarray(ax, dtype=object)
    if axes.ndim == 1 and 1 in (n_rows, n_cols) and axes.size == n_rows * n_cols:
        axes = axes.reshape(n_rows, n_cols)
    if axes.shape != (n_rows, n_cols):
        raise ValueError(f"ax must be an array of Axes of shape ({n_rows}, {n_cols}) (rows x "
                         f"columns of the grid); got shape {axes.shape}.")
    if not all(hasattr(a, "imshow") for a in axes.flat):
        raise TypeError("ax must hold matplotlib Axes; got "
                        f"{sorted({type(a).__name__ for a in axes.flat})}.")
    return axes, axes.flat[0].figure


class ImageGridDisplay:
    """Attribution maps of several methods for the same images, one row per image.

    The first column shows the input (with ``show_input``), each further
    column one method.  Each cell has its own colour scale, clipped at the
    ``clip_percentile`` of its absolute map, as in the comparison figures of
    Adebayo et al. (2018): the maps are compared by their shape, not by their
    scale, which differs between methods.

    Build it with :meth:`from_explanations`.

    Parameters
    ----------
    maps : array-like of shape (n_rows, n_methods, H, W)
    images : array-like of shape (n_rows, H, W) or (n_rows, H, W, 3), default=None
        Inputs scaled to [0, 1].
    method_names : list of str
    row_labels : list of str
    mode : {"signed", "abs"}, default="abs"

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_columns)
    heatmaps_ : ndarray of matplotlib AxesImage of shape (n_rows, n_methods)
    inputs_ : ndarray of matplotlib AxesImage of shape (n_rows,) or None
        The first column's images (None when ``show_input`` is False).
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain import Explanation
    >>> from skexplain.plotting import ImageGridDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(2, 1, 6, 6))
    >>> maps = {"a": Explanation(rng.normal(size=X.shape), np.zeros(2), data=X),
    ...         "b": Explanation(rng.normal(size=X.shape), np.zeros(2), data=X)}
    >>> ImageGridDisplay.from_explanations(maps).axes_.shape
    (2, 3)
    """

    def __init__(self, maps, method_names, row_labels, *, images=None, mode="abs"):
        self.maps = np.asarray(maps, dtype=float)
        self.method_names = list(method_names)
        self.row_labels = list(row_labels)
        self.images = images
        self.mode = mode

    @classmethod
    def from_explanations(cls, explanations, *, rows=None, output=None, mode="abs", alpha=1.0,
                          clip_percentile=99.0, cmap=None, show_input=True, titles=None,
                          ax=None):
        """Draw the maps of every explanation for the rows ``rows``.

        Parameters
        ----------
        explanations : dict of str to Explanation, or list of (str, Explanation)
            Explanations of the same images (same rows and data), one per
            method, in column order; values as in
            :meth:`ImageDisplay.from_explanation`.
        rows : int or list of int, default=None
            The images to show (rows of the grid); None shows all of them,
            refusing more than 16.
        output : int or str, default=None
            The output shown, for explanations with several outputs.
        mode : {"signed", "abs"}, default="abs"
        alpha : float in [0, 1], default=1.0
            Opacity of the maps over their input; 1 draws the maps alone.
        clip_percentile : float in (0, 100], default=99.0
            Per cell, the colour limit is this percentile of its absolute map.
        cmap : str or Colormap, default=None
            None: blue-white-red (signed) or ``"inferno"`` (abs).
        show_input : bool, default=True
            Draw the inputs in a first column.
        titles : list of str, default=None
            Column titles of the methods; default their names.
        ax : ndarray of matplotlib Axes of shape (n_rows, n_columns), default=None
            None creates a figure sized to the grid.

        Returns
        -------
        ImageGridDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import ImageGridDisplay
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(size=(2, 1, 6, 6))
        >>> maps = {"a": Explanation(rng.normal(size=X.shape), np.zeros(2), data=X),
        ...         "b": Explanation(rng.normal(size=X.shape), np.zeros(2), data=X)}
        >>> ImageGridDisplay.from_explanations(maps, rows=[1], show_input=False).axes_.shape
        (1, 2)
        """
        check_image_params(mode, alpha, clip_percentile)
        pairs = [(n, one_output(e, output, "image")) for n, e in _named_explanations(explanations)]
        data = _check_same_images(pairs)
        shape = pairs[0][1].feature_shape
        layout = image_layout(shape)
        positions = _row_positions(rows, pairs[0][1].n_rows)
        if show_input and data is None:
            raise ValueError("show_input=True needs the images: no explanation has data; "
                             "pass show_input=False to draw the maps alone.")
        maps = np.empty((len(positions), len(pairs)) + _spatial(shape, layout))
        for j, (_, expl) in enumerate(pairs):
            for i, row in enumerate(positions):
                check_finite_row(expl.values[row], row)
                maps[i, j] = attribution_map(expl.values[row], layout, mode)
        images = None if data is None else [display_image(data[r], layout, shape)
                                             for r in positions]
        names = [n for n, _ in pairs] if titles is None else _titles(titles, len(pairs))
        labels = [_row_label([e for _, e in pairs], r) for r in positions]
        disp = cls(maps, names, labels, images=images, mode=mode)
        return disp.plot(ax=ax, alpha=alpha, clip_percentile=clip_percentile, cmap=cmap,
                         show_input=show_input)

    def plot(self, *, ax=None, alpha=1.0, clip_percentile=99.0, cmap=None, show_input=True):
        """Draw the grid; returns ``self``.  Parameters as in :meth:`from_explanations`.

        Parameters
        ----------
        ax : ndarray of matplotlib Axes of shape (n_rows, n_columns), default=None
            None creates a figure sized to the grid.
        alpha : float in [0, 1], default=1.0
            Opacity of the maps over their input; 1 draws the maps alone.
        clip_percentile : float in (0, 100], default=99.0
            Per cell, the colour limit is this percentile of its absolute map.
        cmap : str or Colormap, default=None
            None: blue-white-red (signed) or ``"inferno"`` (abs).
        show_input : bool, default=True
            Draw the inputs in a first column.

        Returns
        -------
        ImageGridDisplay
            ``self``, with ``axes_``, ``figure_`` and ``heatmaps_`` set.

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import ImageGridDisplay
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(size=(2, 1, 6, 6))
        >>> maps = {"a": Explanation(rng.normal(size=X.shape), np.zeros(2), data=X),
        ...         "b": Explanation(rng.normal(size=X.shape), np.zeros(2), data=X)}
        >>> disp = ImageGridDisplay.from_explanations(maps)
        >>> disp.plot(show_input=False).heatmaps_.shape
        (2, 2)
        """
        check_image_params(self.mode, alpha, clip_percentile)
        if show_input and self.images is None:
            raise ValueError("show_input=True needs the images; this display has none.")
        n_rows, n_methods = self.maps.shape[:2]
        first = 1 if show_input else 0
        self.axes_, self.figure_ = _grid_axes(ax, n_rows, n_methods + first)
        self.heatmaps_ = np.empty((n_rows, n_methods), dtype=object)
        self.inputs_ = np.empty(n_rows, dtype=object) if show_input else None
        for i in range(n_rows):
            image = None if self.images is None else self.images[i]
            if show_input:
                cell = self.axes_[i, 0]
                self.inputs_[i] = (cell.imshow(image, vmin=0.0, vmax=1.0) if image.ndim == 3
                                   else cell.imshow(image, cmap="gray", vmin=0.0, vmax=1.0))
                cell.set_xticks([])
                cell.set_yticks([])
            for j in range(n_methods):
                _, self.heatmaps_[i, j] = draw_cell(
                    self.axes_[i, first + j], image, self.maps[i, j], mode=self.mode,
                    alpha=alpha, clip_percentile=clip_percentile, cmap=cmap)
            self.axes_[i, 0].set_ylabel(short_label(self.row_labels[i]))
        if show_input:
            self.axes_[0, 0].set_title("input")
        for j, name in enumerate(self.method_names):
            self.axes_[0, first + j].set_title(short_label(name, width=24))
        return self


def _spatial(shape, layout):
    if layout is None:
        return tuple(shape)
    return tuple(shape[1:]) if layout == "first" else tuple(shape[:-1])


def _titles(titles, n):
    shown = None if isinstance(titles, str) else [str(t) for t in titles]
    if shown is None or len(shown) != n:
        raise ValueError(f"titles must be a list of {n} column titles (one per method); got "
                         f"{titles!r}.")
    return shown
