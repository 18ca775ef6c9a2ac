"""``ImageDisplay``: an attribution map overlaid on the image it explains.

The helpers here (channel layout, map, colour limits, displayable input) are
shared with :mod:`._image_grid`.  matplotlib is imported inside functions only.
"""
import numbers

import numpy as np

from ._base import one_output
from ._rows import attribution_label, diverging_cmap, output_suffix

__all__ = ["ImageDisplay"]

MODES = ("signed", "abs")
ABS_CMAP = "inferno"
# channel counts that make a last axis look like colour channels: (H, W, 1|3|4)
_CHANNEL_LAST_SIZES = (1, 3, 4)


# ------------------------------------------------------------------ helpers
def check_image_params(mode, alpha, clip_percentile):
    """Validate the parameters shared by the image displays."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}; got {mode!r}.")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1]; got {alpha!r}.")
    if (isinstance(clip_percentile, bool) or not isinstance(clip_percentile, numbers.Real)
            or not 0 < clip_percentile <= 100):
        raise ValueError(f"clip_percentile must be a number in (0, 100]; got "
                         f"{clip_percentile!r}.")


def image_layout(feature_shape, kind="image"):
    """Where the channel axis of one row is: None (H, W), ``"first"`` or ``"last"``.

    A 3-D row is channel-last when its last axis has 1, 3 or 4 entries and its
    first axis does not (``(28, 28, 1)``, ``(32, 32, 3)``); otherwise it is
    channel-first, torch's layout, with any number of channels.  A 2-D row
    is one channel ((H, W); a (C, L) signal is drawn as a C x L image).
    """
    shape = tuple(feature_shape)
    if len(shape) == 2:
        return None
    if len(shape) == 3:
        if shape[-1] in _CHANNEL_LAST_SIZES and shape[0] not in _CHANNEL_LAST_SIZES:
            return "last"
        return "first"
    raise ValueError(
        f"The {kind!r} plot needs image attributions of shape (n, H, W), (n, C, H, W) or "
        f"(n, H, W, C) (after choosing one output); got values of shape (n, "
        f"{', '.join(map(str, shape))}). Use a tabular display (e.g. 'bar') for (n, d).")


def attribution_map(values, layout, mode):
    """The (H, W) map of one row: channels summed (``"abs"``: their absolute values).

    A map repeated on every channel (CAM and Grad-CAM broadcast theirs) is
    shown once, not multiplied by the number of channels.
    """
    values = np.asarray(values, dtype=float)
    if mode == "abs":
        values = np.abs(values)
    if layout is None:
        return values
    axis = 0 if layout == "first" else -1
    first = np.take(values, [0], axis=axis)
    if np.array_equal(values, np.broadcast_to(first, values.shape)):
        return np.squeeze(first, axis=axis)
    return values.sum(axis=axis)


def color_limits(amap, mode, clip_percentile):
    """``(vmin, vmax)``: +-percentile(|map|) (signed) or (0, percentile(map)) (abs).

    When the percentile is 0 (a sparse map) the maximum is used instead, and
    an all-zero map gets the limits 1 so that nothing divides by zero.
    """
    a = np.abs(amap)
    lim = float(np.percentile(a, clip_percentile))
    if lim <= 0:
        lim = float(a.max(initial=0.0))
    if lim <= 0:
        lim = 1.0
    return (-lim, lim) if mode == "signed" else (0.0, lim)


def display_image(data, layout, feature_shape, kind="image"):
    """One row of ``data`` as an (H, W) grayscale or (H, W, 3) RGB array in [0, 1].

    Three channels are drawn as RGB; any other number of channels as the
    channel mean in grayscale.  The row is min-max scaled as a whole (a
    constant row becomes 0.5), so that imshow never clips.
    """
    arr = np.asarray(data)
    if arr.shape != tuple(feature_shape):
        raise ValueError(f"The {kind!r} plot needs explanation.data with the shape of the "
                         f"attributions, {tuple(feature_shape)} per row; got {arr.shape}.")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"The {kind!r} plot needs numeric explanation.data (an image); got "
                        f"dtype {arr.dtype}.")
    arr = arr.astype(float)
    if not np.isfinite(arr).all():
        raise ValueError(f"The {kind!r} plot needs finite explanation.data; this row has "
                         f"{int((~np.isfinite(arr)).sum())} NaN or infinite value(s).")
    if layout == "first":
        arr = np.moveaxis(arr, 0, -1)
    if layout is not None:
        arr = arr if arr.shape[-1] == 3 else arr.mean(axis=-1)
    lo, hi = arr.min(), arr.max()
    if hi > lo:
        return (arr - lo) / (hi - lo)
    return np.full_like(arr, 0.5)


def check_finite_row(values, row, kind="image"):
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"The {kind!r} plot needs finite attributions; row {row} of "
                         f"explanation.values has {int(bad.sum())} NaN or infinite value(s).")


def row_position(index, n_rows, name="index"):
    """``index`` as a position in ``range(n_rows)`` (negative counts from the end)."""
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{name} must be an integer row position; got {index!r}.")
    if not -n_rows <= index < n_rows:
        raise IndexError(f"{name}={index} is out of range for an explanation of {n_rows} "
                         f"row(s).")
    return int(index) % n_rows


def default_cmap(mode, cmap):
    if cmap is not None:
        return cmap
    return diverging_cmap() if mode == "signed" else ABS_CMAP


def draw_cell(ax, image, amap, *, mode, alpha, clip_percentile, cmap):
    """The input (when given) with the map over it; returns ``(input image, map image)``.

    The input is drawn only when the map lets it show through (``alpha < 1``).
    """
    vmin, vmax = color_limits(amap, mode, clip_percentile)
    shown = None
    if image is not None and alpha < 1:
        shown = (ax.imshow(image, vmin=0.0, vmax=1.0) if image.ndim == 3
                 else ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0))
    heat = ax.imshow(amap, cmap=default_cmap(mode, cmap), vmin=vmin, vmax=vmax,
                     alpha=alpha if shown is not None else 1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    return shown, heat


# ------------------------------------------------------------------ display
class ImageDisplay:
    """An attribution map over its input image.

    ``"signed"`` mode sums the attributions over the channels and draws them
    with a diverging colormap (blue negative, white zero, red positive)
    centred at zero with limits ``+-percentile(|map|, clip_percentile)``;
    ``"abs"`` mode sums the absolute attributions over the channels and draws
    them from 0 to ``percentile(map, clip_percentile)`` with a sequential
    colormap.  A map repeated on every channel (CAM, Grad-CAM) is drawn
    once, not summed.  Larger values saturate, so that one outlier does not
    wash out the rest.  The input is drawn below in grayscale (RGB when it has 3
    channels), min-max scaled to [0, 1].

    Build it with :meth:`from_explanation`.

    Parameters
    ----------
    attribution_map : array-like of shape (H, W)
    image : array-like of shape (H, W) or (H, W, 3) in [0, 1], default=None
    mode : {"signed", "abs"}, default="signed"
    output_names : list of str, default=None
    title : str, default=None

    Attributes
    ----------
    image_ : matplotlib AxesImage or None
        The input (None without ``image`` or when ``alpha`` is 1).
    heatmap_ : matplotlib AxesImage
        The map; its clim is ``(vmin_, vmax_)``.
    vmin_, vmax_ : float
    colorbar_ : matplotlib Colorbar
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain import Explanation
    >>> from skexplain.plotting import ImageDisplay
    >>> values = np.zeros((1, 1, 4, 4)); values[0, 0, 1, 2] = 2.0
    >>> e = Explanation(values, np.zeros(1), data=np.ones((1, 1, 4, 4)))
    >>> disp = ImageDisplay.from_explanation(e, clip_percentile=100)
    >>> disp.heatmap_.get_clim()
    (-2.0, 2.0)
    """

    def __init__(self, attribution_map, image=None, *, mode="signed", output_names=None,
                 title=None):
        self.attribution_map = np.asarray(attribution_map, dtype=float)
        self.image = None if image is None else np.asarray(image, dtype=float)
        self.mode = mode
        self.output_names = output_names
        self.title = title

    @classmethod
    def from_explanation(cls, explanation, *, index=0, output=None, mode="signed", alpha=0.6,
                         clip_percentile=99.0, cmap=None, ax=None):
        """Overlay the map of row ``index`` on ``explanation.data[index]``.

        Parameters
        ----------
        explanation : Explanation
            Attributions of shape (n, C, H, W), (n, H, W, C) (C of 1, 3 or 4
            on the last axis and not on the first) or (n, H, W), plus an
            output axis when there are several outputs.
        index : int, default=0
            The row to show.
        output : int or str, default=None
            The output to show; needed when the explanation has several.
        mode : {"signed", "abs"}, default="signed"
        alpha : float in [0, 1], default=0.6
            Opacity of the map over the input.
        clip_percentile : float in (0, 100], default=99.0
            The colour limit is this percentile of the absolute map.
        cmap : str or Colormap, default=None
            None: blue-white-red (signed) or ``"inferno"`` (abs).
        ax : matplotlib Axes, default=None

        Returns
        -------
        ImageDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import ImageDisplay
        >>> values = np.zeros((1, 1, 4, 4)); values[0, 0, 1, 2] = 2.0
        >>> e = Explanation(values, np.zeros(1), data=np.ones((1, 1, 4, 4)))
        >>> ImageDisplay.from_explanation(e, mode="abs", clip_percentile=100).heatmap_.get_clim()
        (0.0, 2.0)
        """
        check_image_params(mode, alpha, clip_percentile)
        explanation = one_output(explanation, output, "image")
        shape = explanation.feature_shape
        layout = image_layout(shape)
        row = row_position(index, explanation.n_rows)
        values = explanation.values[row]
        check_finite_row(values, row)
        image = None
        if explanation.data is not None:
            image = display_image(explanation.data[row], layout, shape)
        disp = cls(attribution_map(values, layout, mode), image, mode=mode,
                   output_names=explanation.output_names,
                   title=f"row {row}{output_suffix(explanation.output_names)}")
        return disp.plot(ax=ax, alpha=alpha, clip_percentile=clip_percentile, cmap=cmap)

    def plot(self, *, ax=None, alpha=0.6, clip_percentile=99.0, cmap=None):
        """Draw the input and the map; returns ``self``.

        Parameters are those of :meth:`from_explanation`.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        alpha : float in [0, 1], default=0.6
            Opacity of the map over the input.
        clip_percentile : float in (0, 100], default=99.0
            The colour limit is this percentile of the absolute map.
        cmap : str or Colormap, default=None
            None: blue-white-red (signed) or ``"inferno"`` (abs).

        Returns
        -------
        ImageDisplay
            ``self``, with ``ax_``, ``figure_`` and ``heatmap_`` set.

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import ImageDisplay
        >>> values = np.zeros((1, 1, 4, 4)); values[0, 0, 1, 2] = 2.0
        >>> e = Explanation(values, np.zeros(1), data=np.ones((1, 1, 4, 4)))
        >>> disp = ImageDisplay.from_explanation(e)
        >>> disp.plot(clip_percentile=100).heatmap_.get_clim()
        (-2.0, 2.0)
        """
        check_image_params(self.mode, alpha, clip_percentile)
        if ax is None:  # constrained layout keeps the colorbar's label clear of the image
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(5.0, 4.0), layout="constrained")
        self.ax_, self.figure_ = ax, ax.figure
        self.image_, self.heatmap_ = draw_cell(
            self.ax_, self.image, self.attribution_map, mode=self.mode, alpha=alpha,
            clip_percentile=clip_percentile, cmap=cmap)
        self.vmin_, self.vmax_ = self.heatmap_.get_clim()
        self.colorbar_ = self.figure_.colorbar(self.heatmap_, ax=self.ax_, fraction=0.046,
                                               pad=0.04)
        self.colorbar_.set_label(
            attribution_label(self.output_names) if self.mode == "signed"
            else "|attribution|" + output_suffix(self.output_names))
        if self.title:
            self.ax_.set_title(self.title)
        return self
