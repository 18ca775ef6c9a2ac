"""What :class:`~skexplain.Occlusion` occludes: sliding windows or single features/groups.

A *window set* hands out occlusion masks a chunk at a time (``True`` keeps
``x``, ``False`` takes the reference), so that no ``(n_windows, n_columns)``
array is ever held at once, and turns the differences ``f(x) - f(x with
window w occluded)`` into attributions.

Sliding windows follow captum's ``Occlusion`` exactly: along a dimension of
size ``D``, a window of size ``w`` moved by ``s`` takes ``ceil((D - w) / s) + 1``
positions anchored at 0, the last one cut off at the border, and a feature's
attribution is the mean of the differences of the windows covering it.
Windows form a product grid, so both the coverage counts and the sums over
covering windows factor over dimensions: one small matrix product per
dimension instead of a loop over windows.
"""
import math
from functools import reduce
from numbers import Integral

import numpy as np

__all__ = ["FeatureAblation", "SlidingWindows", "check_windows"]

# Bytes of occlusion masks built at once (one bool per window and column).
_MASK_BYTES = 2**24


def _sizes(value, name, feature_shape, owner):
    """``value`` as one positive int per dimension of ``feature_shape``."""
    rank = len(feature_shape)
    if isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)):
        sizes = (int(value),) * rank
    else:
        sizes = tuple(np.asarray(value).reshape(-1).tolist()) if isinstance(
            value, np.ndarray) else tuple(value)
        if len(sizes) != rank:
            raise ValueError(
                f"{owner}: {name} must have one size per non-batch dimension of the input "
                f"({rank} for inputs of feature shape {feature_shape}), or be one int; got "
                f"{value!r} ({len(sizes)} sizes).")
        if not all(isinstance(v, Integral) and not isinstance(v, (bool, np.bool_))
                   for v in sizes):
            raise TypeError(f"{owner}: {name} must hold integers; got {value!r}.")
        sizes = tuple(int(v) for v in sizes)
    if min(sizes) < 1:
        raise ValueError(f"{owner}: every entry of {name} must be a positive integer; got "
                         f"{value!r}.")
    return sizes


def check_windows(window, stride, feature_shape, owner="Occlusion"):
    """Validate ``window`` and ``stride`` against the input's feature shape.

    Parameters
    ----------
    window : int or sequence of int
    stride : int, sequence of int or None (1 along every dimension)
    feature_shape : tuple of int
    owner : str, default="Occlusion"
        Named in error messages.

    Returns
    -------
    window, stride : tuple of int, one entry per dimension of ``feature_shape``
    """
    window = _sizes(window, "window", feature_shape, owner)
    stride = _sizes(1 if stride is None else stride, "stride", feature_shape, owner)
    for dim, (size, w, s) in enumerate(zip(feature_shape, window, stride)):
        if w > size:
            raise ValueError(
                f"{owner}: window {window} does not fit in the input: {w} > {size} along "
                f"dimension {dim} of the feature shape {feature_shape}.")
        if s > size:
            raise ValueError(
                f"{owner}: stride {stride} is larger than the input: {s} > {size} along "
                f"dimension {dim} of the feature shape {feature_shape}.")
        if s > w and w < size:
            # captum refuses this too: features between two windows would be
            # covered by none, and their mean over covering windows undefined.
            raise ValueError(
                f"{owner}: stride {stride} is larger than window {window} along dimension "
                f"{dim} ({s} > {w}), which would leave features that no window covers; "
                "use a stride at most the window size.")
    return window, stride


class SlidingWindows:
    """A grid of (possibly cut-off) boxes over the flattened feature axes.

    Parameters
    ----------
    feature_shape, window, stride : tuple of int
        Validated by :func:`check_windows`.

    Examples
    --------
    >>> import numpy as np
    >>> windows = SlidingWindows((5,), (2,), (2,))
    >>> windows.counts, windows.masks(0, 3).astype(int).tolist()
    ((3,), [[0, 0, 1, 1, 1], [1, 1, 0, 0, 1], [1, 1, 1, 1, 0]])
    >>> windows.average(np.array([[[1.0], [2.0], [4.0]]]))[0, :, 0].tolist()
    [1.0, 1.0, 2.0, 2.0, 4.0]
    """

    def __init__(self, feature_shape, window, stride):
        self.feature_shape = tuple(feature_shape)
        self.counts = tuple(math.ceil((size - w) / s) + 1
                            for size, w, s in zip(feature_shape, window, stride))
        self.n_windows = math.prod(self.counts)
        self.n_columns = math.prod(self.feature_shape)
        # covers[j][p, i]: window position i along dimension j covers index p
        self.covers = []
        for size, w, s, c in zip(self.feature_shape, window, stride, self.counts):
            start = np.arange(c) * s
            index = np.arange(size)[:, None]
            self.covers.append((index >= start) & (index < start + w))

    def chunk(self):
        """Windows per chunk of masks."""
        return max(1, _MASK_BYTES // max(self.n_columns, 1))

    def masks(self, start, stop):
        """Masks of windows ``start:stop`` (C order over the grid): (m, n_columns) bool."""
        position = np.unravel_index(np.arange(start, stop), self.counts)
        rank = len(self.feature_shape)
        inside = [cover[:, pos].T.reshape((-1,) + (1,) * j + (cover.shape[0],)
                                          + (1,) * (rank - j - 1))
                  for j, (cover, pos) in enumerate(zip(self.covers, position))]
        box = reduce(np.logical_and, inside)
        return ~np.broadcast_to(box, (stop - start,) + self.feature_shape).reshape(
            stop - start, -1)

    def average(self, diffs):
        """Mean over covering windows: (n, n_windows, k) -> (n, n_columns, k)."""
        n, _, k = diffs.shape
        grid = diffs.reshape((n,) + self.counts + (k,))
        for j, cover in enumerate(self.covers):
            grid = np.moveaxis(np.tensordot(grid, cover.astype(float), axes=([1 + j], [1])),
                               -1, 1 + j)
        counts = reduce(np.multiply.outer, [cover.sum(axis=1) for cover in self.covers])
        return (grid / counts[..., None]).reshape(n, -1, k)


class FeatureAblation:
    """One window per feature (or feature group): the attribution is the difference.

    Parameters
    ----------
    n_groups : int
    """

    def __init__(self, n_groups):
        self.n_windows = self.n_columns = int(n_groups)

    def chunk(self):
        """Windows per chunk of masks."""
        return max(1, _MASK_BYTES // max(self.n_columns, 1))

    def masks(self, start, stop):
        """Every group kept but one: (stop - start, n_groups) bool."""
        masks = np.ones((stop - start, self.n_columns), dtype=bool)
        masks[np.arange(stop - start), np.arange(start, stop)] = False
        return masks

    def average(self, diffs):
        """Each feature is covered by its own window only."""
        return diffs
