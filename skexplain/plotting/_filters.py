"""``FilterDisplay`` and ``ActivationDisplay``: what a convolutional layer holds and sees.

torch and the layer helpers are imported inside the functions: importing
:mod:`skexplain.plotting` does not import torch.
"""
import math

import numpy as np

from ..utils._validation import check_positive_int
from ._image import row_position

__all__ = ["ActivationDisplay", "FilterDisplay"]


def tile_axes(ax, n_tiles):
    """``(axes, figure, bounding_ax)``: a near-square grid of at least ``n_tiles`` Axes.

    With ``ax=None`` a new figure holds the grid; with one Axes the grid is
    drawn inside it (as sklearn's partial dependence display does), that Axes
    turned off and returned as ``bounding_ax``.  Cells past ``n_tiles`` are off.
    """
    n_cols = math.ceil(math.sqrt(n_tiles))
    n_rows = math.ceil(n_tiles / n_cols)
    if ax is None:
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(n_rows, n_cols, squeeze=False, layout="constrained",
                                    figsize=(1.2 * n_cols + 1.2, 1.2 * n_rows + 0.6))
        bounding = None
    else:
        if not hasattr(ax, "inset_axes"):
            raise TypeError(f"ax must be one matplotlib Axes (the grid is drawn inside it); "
                            f"got {type(ax).__name__}.")
        bounding, figure = ax, ax.figure
        bounding.set_axis_off()
        gap = 0.04
        w, h = (1 - gap * (n_cols - 1)) / n_cols, (1 - gap * (n_rows - 1)) / n_rows
        axes = np.array([[bounding.inset_axes([c * (w + gap), 1 - h - r * (h + gap), w, h])
                          for c in range(n_cols)] for r in range(n_rows)], dtype=object)
    for k, cell in enumerate(axes.flat):
        cell.set_xticks([])
        cell.set_yticks([])
        if k >= n_tiles:
            cell.set_axis_off()
    return axes, figure, bounding


def _title(figure, bounding, text):
    if bounding is None:
        figure.suptitle(text)
    else:
        bounding.set_title(text)


def minmax(a):
    """``a`` scaled to [0, 1] as a whole (a constant array becomes 0.5)."""
    a = np.asarray(a, dtype=float)
    lo, hi = a.min(), a.max()
    return (a - lo) / (hi - lo) if hi > lo else np.full_like(a, 0.5)


def _first_conv(model):
    import torch

    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Conv2d):
            return name, module
    raise ValueError(f"layer=None takes the first torch.nn.Conv2d of the model and "
                     f"{type(model).__name__} has none; pass layer= (a Conv2d or its name).")


def _check_module(model):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")


class FilterDisplay:
    """The kernels of a 2-D convolution, one tile per filter.

    A filter with 3 input channels is drawn as an RGB tile; any other filter
    as a grayscale tile of its mean over the input channels (the kernel it
    applies to an input whose channels are equal; for one input channel, the
    kernel itself).  Each tile is min-max scaled on its own, so tiles show
    each filter's pattern, not the filters' relative sizes.

    Build it with :meth:`from_module`.

    Parameters
    ----------
    weights : ndarray of shape (n_filters, in_channels, kh, kw)
    layer_name : str, default=""

    Attributes
    ----------
    weights_ : ndarray of shape (n_shown, in_channels, kh, kw)
        The kernels drawn, as stored in the layer.
    tiles_ : ndarray of shape (n_shown, kh, kw, 3) or (n_shown, kh, kw)
        What each tile shows: ``weights_`` (RGB: channels last; else the
        channel mean) min-max scaled per filter.
    images_ : list of matplotlib AxesImage
        One per filter, in filter order.
    axes_ : ndarray of matplotlib Axes of shape (grid rows, grid columns)
    bounding_ax_ : matplotlib Axes or None
        The ``ax`` given, holding the grid.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import torch
    >>> from skexplain.plotting import FilterDisplay
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 5), torch.nn.ReLU())
    >>> disp = FilterDisplay.from_module(net)
    >>> disp.weights_.shape, disp.tiles_.shape
    ((8, 3, 5, 5), (8, 5, 5, 3))
    """

    def __init__(self, weights, layer_name=""):
        self.weights = np.asarray(weights, dtype=float)
        self.layer_name = layer_name

    @classmethod
    def from_module(cls, model, *, layer=None, max_filters=64, ax=None):
        """Draw the first ``max_filters`` kernels of a ``torch.nn.Conv2d`` of ``model``.

        Parameters
        ----------
        model : torch.nn.Module
        layer : torch.nn.Conv2d or str, default=None
            The layer (a submodule of ``model`` or its dotted name); None
            takes the first ``Conv2d`` in ``model.named_modules()`` order.
        max_filters : int, default=64
        ax : matplotlib Axes, default=None
            Axes inside which the grid is drawn; None creates a figure.

        Returns
        -------
        FilterDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import torch
        >>> from skexplain.plotting import FilterDisplay
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 5), torch.nn.ReLU())
        >>> FilterDisplay.from_module(net, layer="0", max_filters=4).tiles_.shape
        (4, 5, 5, 3)
        """
        import torch

        from ..adapters._torch_layers import resolve_layer

        _check_module(model)
        check_positive_int(max_filters, "max_filters")
        name, module = _first_conv(model) if layer is None else resolve_layer(model, layer)
        if not isinstance(module, torch.nn.Conv2d):
            raise TypeError(f"layer must be a torch.nn.Conv2d (its kernels are drawn as "
                            f"images); got {name!r}, a {type(module).__name__}.")
        weights = module.weight.detach().to("cpu", torch.float64).numpy()
        return cls(weights, name).plot(ax=ax, max_filters=max_filters)

    def plot(self, *, ax=None, max_filters=64):
        """Draw the tiles; returns ``self``.  Parameters as in :meth:`from_module`.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes inside which the grid is drawn; None creates a figure.
        max_filters : int, default=64
            Kernels drawn (the first ones).

        Returns
        -------
        FilterDisplay
            ``self``, with ``weights_``, ``tiles_``, ``images_``, ``axes_`` and ``figure_``.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import torch
        >>> from skexplain.plotting import FilterDisplay
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 5), torch.nn.ReLU())
        >>> disp = FilterDisplay.from_module(net)
        >>> len(disp.plot(max_filters=2).images_)
        2
        """
        check_positive_int(max_filters, "max_filters")
        self.weights_ = self.weights[:max_filters]
        rgb = self.weights_.shape[1] == 3
        self.tiles_ = np.stack([minmax(np.moveaxis(w, 0, -1) if rgb else w.mean(axis=0))
                                for w in self.weights_])
        self.axes_, self.figure_, self.bounding_ax_ = tile_axes(ax, len(self.tiles_))
        self.images_ = []
        for k, tile in enumerate(self.tiles_):
            cell = self.axes_.flat[k]
            self.images_.append(cell.imshow(tile, vmin=0.0, vmax=1.0) if rgb else
                                cell.imshow(tile, cmap="gray", vmin=0.0, vmax=1.0))
        n_all, n_in, kh, kw = self.weights.shape
        what = "RGB, " if rgb else ("" if n_in == 1 else f"mean of {n_in} input channels, ")
        _title(self.figure_, self.bounding_ax_, f"layer {self.layer_name!r}: "
               f"{len(self.tiles_)} of {n_all} filters ({what}{kh}x{kw})")
        return self


class ActivationDisplay:
    """The activation maps of one layer for one input, one tile per channel.

    All tiles share one colour scale (the minimum to the maximum of the maps
    drawn), so that their brightness compares across channels.

    Build it with :meth:`from_module`.

    Parameters
    ----------
    activations : ndarray of shape (K, H, W)
    layer_name : str, default=""

    Attributes
    ----------
    activations_ : ndarray of shape (K, H, W)
        The layer's output for the input (every channel, drawn or not).
    images_ : list of matplotlib AxesImage
        One per drawn channel; ``images_[k]`` shows ``activations_[k]``.
    colorbar_ : matplotlib Colorbar
    axes_ : ndarray of matplotlib Axes of shape (grid rows, grid columns)
    bounding_ax_ : matplotlib Axes or None
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import torch
    >>> from skexplain.plotting import ActivationDisplay
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
    >>> ActivationDisplay.from_module(net, torch.ones(2, 1, 6, 6), layer="1").activations_.shape
    (4, 4, 4)
    """

    def __init__(self, activations, layer_name=""):
        self.activations = np.asarray(activations, dtype=float)
        self.layer_name = layer_name

    @classmethod
    def from_module(cls, model, X, *, layer, index=0, max_maps=32, ax=None):
        """Run ``model`` on ``X[index]`` and draw the output channels of ``layer``.

        Parameters
        ----------
        model : torch.nn.Module
            Run in eval mode without gradients; its modes and hooks are
            restored afterwards.
        X : array-like or Tensor of shape (n, \\*input_shape)
            Rows the model accepts; numpy arrays are converted to the dtype
            and device of the model's parameters.
        layer : torch.nn.Module or str
            A submodule whose output has shape (n, K, H, W) (e.g. a conv, its
            ReLU or a block), or its dotted name.
        index : int, default=0
            The row of ``X`` to show.
        max_maps : int, default=32
            Channels drawn (the first ones); ``activations_`` keeps them all.
        ax : matplotlib Axes, default=None
            Axes inside which the grid is drawn; None creates a figure.

        Returns
        -------
        ActivationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import torch
        >>> from skexplain.plotting import ActivationDisplay
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
        >>> disp = ActivationDisplay.from_module(net, torch.ones(2, 1, 6, 6), layer="1", max_maps=2)
        >>> len(disp.images_)
        2
        """
        from ..adapters._torch_layers import layer_output, resolve_layer
        from ..exceptions import ModelEvaluationError

        _check_module(model)
        check_positive_int(max_maps, "max_maps")
        name, module = resolve_layer(model, layer)
        x = _one_row(model, X, index)
        try:
            out = layer_output(model, module, x, layer_name=name)
        except ModelEvaluationError:
            raise
        except Exception as exc:  # the model refused X: say so in terms of X, not torch's
            raise ModelEvaluationError(
                f"X must be a batch of inputs of {type(model).__name__}, shape (n, "
                f"*input_shape); the model raised {type(exc).__name__} on X[{index}] (a batch "
                f"of shape {tuple(x.shape)}, from X of shape {_shape(X)}): {exc}") from exc
        if out.dim() != 4:
            raise ValueError(f"layer {name!r} must output feature maps of shape (n, K, H, W); "
                             f"it gives shape {tuple(out.shape)}. Choose a 2-D convolution, "
                             "its activation or a block of them.")
        return cls(out[0].to("cpu").double().numpy(), name).plot(ax=ax, max_maps=max_maps)

    def plot(self, *, ax=None, max_maps=32):
        """Draw the maps; returns ``self``.  Parameters as in :meth:`from_module`.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes inside which the grid is drawn; None creates a figure.
        max_maps : int, default=32
            Channels drawn (the first ones).

        Returns
        -------
        ActivationDisplay
            ``self``, with ``activations_``, ``images_``, ``colorbar_``, ``axes_`` and
            ``figure_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import torch
        >>> from skexplain.plotting import ActivationDisplay
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
        >>> disp = ActivationDisplay.from_module(net, torch.ones(2, 1, 6, 6), layer="1")
        >>> len(disp.plot(max_maps=3).images_)
        3
        """
        check_positive_int(max_maps, "max_maps")
        self.activations_ = self.activations
        shown = self.activations_[:max_maps]
        vmin, vmax = float(shown.min()), float(shown.max())
        if vmax <= vmin:  # constant maps: any non-empty range draws them
            vmin, vmax = vmin - 0.5, vmax + 0.5
        self.axes_, self.figure_, self.bounding_ax_ = tile_axes(ax, len(shown))
        self.images_ = [self.axes_.flat[k].imshow(a, cmap="viridis", vmin=vmin, vmax=vmax)
                        for k, a in enumerate(shown)]
        self.colorbar_ = self.figure_.colorbar(
            self.images_[0], ax=list(self.axes_.flat) if self.bounding_ax_ is None
            else self.bounding_ax_, shrink=0.8)
        self.colorbar_.set_label("activation")
        _title(self.figure_, self.bounding_ax_,
               f"layer {self.layer_name!r}: {len(shown)} of {len(self.activations_)} "
               "channels")
        return self


def _shape(X):
    return tuple(X.shape) if hasattr(X, "shape") else np.shape(X)


def _one_row(model, X, index):
    """``X[index]`` as a batch of one tensor on the model's device and dtype."""
    import torch

    if isinstance(X, torch.Tensor):
        x = X
    else:
        arr = np.asarray(X)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"X must be numeric (an image batch); got dtype {arr.dtype}.")
        param = next(iter(model.parameters()), None)
        x = torch.as_tensor(arr, dtype=torch.float32 if param is None else param.dtype,
                            device=None if param is None else param.device)
    if x.dim() < 2:
        raise ValueError(f"X must have shape (n, *input_shape) with a row axis; got shape "
                         f"{tuple(x.shape)}.")
    row = row_position(index, x.shape[0])
    return x[row:row + 1]
