"""Similarity metrics between attribution maps.

These are the measures of the *sanity checks for saliency maps* (Adebayo et
al., NeurIPS 2018): a map from a trained model is compared with one from a
randomized model, and a method passes when the two are dissimilar. They are
plain functions of two arrays and can be used on their own. SSIM and HOG
follow scikit-image's definitions so that values are comparable with it, but
only numpy and scipy are needed.
"""

import numbers

import numpy as np
from scipy import ndimage, stats

__all__ = [
    "spearman_rank_correlation",
    "structural_similarity",
    "hog_features",
    "hog_pearson_correlation",
    "top_k_intersection",
]

_BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
# Same epsilon as Dalal & Triggs / scikit-image, so that all-zero blocks map
# to zeros instead of dividing by zero.
_HOG_EPS = 1e-5
# Gaussian filter truncation giving the 11-tap window of Wang et al. (2004)
# for sigma=1.5; the default SSIM window size is derived from it.
_SSIM_TRUNCATE = 3.5


def _as_array(x, name):
    """Return a float64 copy of ``x`` (never a view, so inputs are not mutated)."""
    if hasattr(x, "detach"):  # torch tensors, without importing torch
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array-like; got {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be an array-like of real numbers; got "
            f"{type(x).__name__} with dtype {arr.dtype}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    arr = arr.astype(np.float64)  # astype copies by default
    n_bad = arr.size - np.count_nonzero(np.isfinite(arr))
    if n_bad:
        raise ValueError(f"{name} must contain only finite values; got {n_bad} NaN or infinite entries")
    return arr


def _as_pair(a, b):
    a, b = _as_array(a, "a"), _as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    return a, b


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool; got {value!r}")


def _check_number(value, name, *, positive):
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    ok = ok and np.isfinite(value) and (value > 0 if positive else value >= 0)
    if not ok:
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be a finite {kind} number; got {value!r}")
    return float(value)


def _check_int_pair(value, name):
    pair = tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else (value,)
    if len(pair) != 2 or not all(_is_int(v) and v >= 1 for v in pair):
        raise ValueError(f"{name} must be a pair of positive integers; got {value!r}")
    return int(pair[0]), int(pair[1])


def _pearson(x, y):
    """Pearson correlation, defined as 0.0 when either input is constant."""
    # A constant vector has zero variance, so the correlation is 0/0. Returning
    # 0.0 ("no linear relationship") keeps threshold comparisons meaningful,
    # whereas NaN would make every comparison silently False.
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    xc, yc = x - x.mean(), y - y.mean()
    r = np.dot(xc, yc) / np.sqrt(np.dot(xc, xc) * np.dot(yc, yc))
    return float(np.clip(r, -1.0, 1.0))  # rounding may overshoot +-1 slightly


def spearman_rank_correlation(a, b, *, absolute=False):
    """Spearman rank correlation between two attribution maps.

    Parameters
    ----------
    a, b : array-like of shape (...)
        Attribution maps of the same (arbitrary) shape; they are flattened.
        Torch tensors are accepted and detached.
    absolute : bool, default=False
        If True, compare ``|a|`` and ``|b|``. Adebayo et al. report both
        variants, because many methods have an arbitrary sign.

    Returns
    -------
    rho : float
        Pearson correlation of the average ranks (ties get the mean of their
        ranks, as in :func:`scipy.stats.rankdata`), in ``[-1, 1]``. It is
        ``0.0`` if either map is constant: such a map carries no ranking
        information, and NaN would break threshold comparisons.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.1, -0.4], [0.3, 0.9]])
    >>> spearman_rank_correlation(a, 2 * a)
    1.0
    >>> spearman_rank_correlation(a, -a)
    -1.0
    >>> spearman_rank_correlation(a, -a, absolute=True)
    1.0
    """
    a, b = _as_pair(a, b)
    _check_bool(absolute, "absolute")
    if absolute:
        a, b = np.abs(a), np.abs(b)
    return _pearson(stats.rankdata(a.ravel()), stats.rankdata(b.ravel()))


def _ssim_channel(x, y, win_size, data_range, gaussian_weights, sigma, cov_norm, K1, K2):
    """Mean SSIM of two 2-D float arrays (Wang et al. 2004, Eq. 13)."""
    if gaussian_weights:
        def filt(z):
            return ndimage.gaussian_filter(z, sigma=sigma, truncate=_SSIM_TRUNCATE, mode="reflect")
    else:
        def filt(z):
            return ndimage.uniform_filter(z, size=win_size, mode="reflect")
    ux, uy = filt(x), filt(y)
    vx = cov_norm * (filt(x * x) - ux * ux)
    vy = cov_norm * (filt(y * y) - uy * uy)
    vxy = cov_norm * (filt(x * y) - ux * uy)
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    ssim = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    # Pixels closer than the window radius to the border see reflected data;
    # they are left out of the mean, as in scikit-image.
    pad = (win_size - 1) // 2
    return ssim[pad:ssim.shape[0] - pad, pad:ssim.shape[1] - pad].mean()


def structural_similarity(a, b, *, data_range=None, win_size=None, gaussian_weights=False,
                          sigma=1.5, use_sample_covariance=True, K1=0.01, K2=0.03,
                          channel_axis=None):
    """Mean structural similarity index (SSIM) between two maps.

    Same value as :func:`skimage.metrics.structural_similarity` called with
    the same arguments and an explicit ``data_range``.

    Parameters
    ----------
    a, b : array-like of shape (H, W), or 3-D if ``channel_axis`` is given
        Maps to compare, of the same shape.
    data_range : float, optional
        Dynamic range of the data. If None (default), it is
        ``max(a.max(), b.max()) - min(a.min(), b.min())``. This differs from
        scikit-image, which requires it for float input: attribution maps
        have no natural range, so the joint range of the two maps is used.
    win_size : odd int, optional
        Window side, in ``[3, min(H, W)]``. Defaults to 7, or to
        ``2 * int(3.5 * sigma + 0.5) + 1`` (11 for ``sigma=1.5``) with
        Gaussian weights, as in scikit-image. The mean is taken over the map
        cropped by ``(win_size - 1) // 2`` pixels on each side.
    gaussian_weights : bool, default=False
        Use a Gaussian window of width ``sigma`` instead of a uniform one.
    sigma : float, default=1.5
        Standard deviation of the Gaussian window.
    use_sample_covariance : bool, default=True
        Divide (co)variances by ``N - 1`` (``N = win_size**2``) instead of
        ``N``. False with Gaussian weights matches Wang et al. (2004).
    K1, K2 : float, default=0.01, 0.03
        Non-negative stabilization constants.
    channel_axis : int, optional
        If given, the input is 3-D and the SSIM is averaged over this axis.

    Returns
    -------
    ssim : float
        Mean SSIM, at most 1 (identical maps). It is ``1.0`` when
        ``data_range`` is None and both maps are the same constant (the
        formula would give 0/0).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(64.0).reshape(8, 8)
    >>> structural_similarity(a, a)
    1.0
    >>> structural_similarity(a, a.T) < 1.0
    True
    """
    a, b = _as_pair(a, b)
    for flag, name in ((gaussian_weights, "gaussian_weights"),
                       (use_sample_covariance, "use_sample_covariance")):
        _check_bool(flag, name)
    sigma = _check_number(sigma, "sigma", positive=True)
    K1, K2 = _check_number(K1, "K1", positive=False), _check_number(K2, "K2", positive=False)
    a, b = _move_channels_last(a, b, channel_axis)
    if win_size is None:
        win_size = 2 * int(_SSIM_TRUNCATE * sigma + 0.5) + 1 if gaussian_weights else 7
    if not _is_int(win_size) or win_size < 3 or win_size % 2 == 0:
        raise ValueError(f"win_size must be an odd integer >= 3; got {win_size!r}")
    if win_size > min(a.shape[:2]):
        raise ValueError(f"win_size must not exceed the smaller spatial side of the maps "
                         f"({min(a.shape[:2])} for spatial shape {a.shape[:2]}); got {win_size}")
    if data_range is None:
        data_range = max(a.max(), b.max()) - min(a.min(), b.min())
        if data_range == 0:  # both maps are the same constant
            return 1.0
    data_range = _check_number(data_range, "data_range", positive=True)
    # scikit-image uses N = win_size**2 even for Gaussian weights; keep it.
    n_pix = win_size**2
    cov_norm = n_pix / (n_pix - 1) if use_sample_covariance else 1.0
    values = [_ssim_channel(a[..., c], b[..., c], win_size, data_range, gaussian_weights,
                            sigma, cov_norm, K1, K2) for c in range(a.shape[2])]
    return float(np.mean(values))


def _move_channels_last(a, b, channel_axis):
    """Return (H, W, C) views; 2-D input gets a singleton channel axis."""
    if channel_axis is None:
        if a.ndim != 2:
            raise ValueError(f"a and b must be 2-D arrays when channel_axis is None; "
                             f"got shape {a.shape}")
        return a[..., None], b[..., None]
    if a.ndim != 3:
        raise ValueError(f"a and b must be 3-D arrays when channel_axis is given; got shape {a.shape}")
    if not _is_int(channel_axis) or not -3 <= channel_axis <= 2:
        raise ValueError(f"channel_axis must be None or an integer in [-3, 2]; got {channel_axis!r}")
    return np.moveaxis(a, channel_axis, -1), np.moveaxis(b, channel_axis, -1)


def _cell_histograms(image, orientations, cell, n_cells):
    """Magnitude-weighted orientation histogram of each cell, averaged per pixel."""
    # Centered differences; border rows/columns get a zero gradient instead
    # of a one-sided difference (scikit-image's convention).
    g_row, g_col = np.zeros_like(image), np.zeros_like(image)
    g_row[1:-1, :] = image[2:, :] - image[:-2, :]
    g_col[:, 1:-1] = image[:, 2:] - image[:, :-2]
    magnitude = np.hypot(g_col, g_row)
    # Unsigned orientation in degrees, in [0, 180).
    orientation = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    # Bin i holds edges[i] <= angle < edges[i + 1], with edges computed exactly
    # like scikit-image so that angles on a bin edge land in the same bin. An
    # angle that rounds to >= the last edge falls in no bin (weight 0).
    edges = (180.0 / orientations) * np.arange(orientations + 1)
    bins = np.searchsorted(edges, orientation, side="right") - 1
    weights = np.where(bins < orientations, magnitude, 0.0)
    bins = np.minimum(bins, orientations - 1)
    # Pixels beyond the last full cell are ignored.
    rows, cols = n_cells[0] * cell[0], n_cells[1] * cell[1]
    cell_index = (np.arange(rows)[:, None] // cell[0]) * n_cells[1] + np.arange(cols) // cell[1]
    flat = cell_index * orientations + bins[:rows, :cols]
    hist = np.bincount(flat.ravel(), weights=weights[:rows, :cols].ravel(),
                       minlength=n_cells[0] * n_cells[1] * orientations)
    return hist.reshape(n_cells[0], n_cells[1], orientations) / (cell[0] * cell[1])


def _normalize_blocks(blocks, method):
    axes = (2, 3, 4)  # one norm per block: over its cells and orientations
    if method in ("L1", "L1-sqrt"):
        out = blocks / (np.abs(blocks).sum(axis=axes, keepdims=True) + _HOG_EPS)
        return np.sqrt(out) if method == "L1-sqrt" else out
    out = blocks / np.sqrt((blocks**2).sum(axis=axes, keepdims=True) + _HOG_EPS**2)
    if method == "L2-Hys":  # clip large components (Lowe 2004), renormalize
        out = np.minimum(out, 0.2)
        out = out / np.sqrt((out**2).sum(axis=axes, keepdims=True) + _HOG_EPS**2)
    return out


def hog_features(image, *, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(3, 3),
                 block_norm="L2-Hys"):
    """Histogram of Oriented Gradients (HOG) descriptor of a 2-D map.

    Same definition as ``skimage.feature.hog(..., feature_vector=True)`` on a
    grayscale image: centered gradients (zero on the border rows/columns),
    unsigned orientations in ``[0, 180)``, per-cell histograms of magnitude
    votes without interpolation (divided by the cell area), then
    normalization of overlapping blocks. Values agree with scikit-image to
    about 1e-7: it sums the cell histograms in single precision, while this
    function works in float64 throughout (also for float32 input).

    Parameters
    ----------
    image : array-like of shape (H, W)
        Map to describe. Rows/columns beyond the last full cell are ignored.
    orientations : int, default=9
        Number of orientation bins.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size in pixels (rows, columns).
    cells_per_block : (int, int), default=(3, 3)
        Block size in cells (rows, columns).
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalization; ``'L2-Hys'`` is L2, clipping at 0.2, then L2.

    Returns
    -------
    features : ndarray of shape (n_blocks_row * n_blocks_col * cells_per_block[0] \
* cells_per_block[1] * orientations,)
        Float64 descriptor, where ``n_blocks_row = H // pixels_per_cell[0]
        - cells_per_block[0] + 1`` (same for columns).

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((8, 8))
    >>> image[:, 4:] = 1.0
    >>> hog_features(image, pixels_per_cell=(2, 2), cells_per_block=(2, 2)).shape
    (324,)
    """
    image = _as_array(image, "image")
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D array; got shape {image.shape}")
    if not _is_int(orientations) or orientations < 1:
        raise ValueError(f"orientations must be a positive integer; got {orientations!r}")
    cell = _check_int_pair(pixels_per_cell, "pixels_per_cell")
    block = _check_int_pair(cells_per_block, "cells_per_block")
    if block_norm not in _BLOCK_NORMS:
        raise ValueError(f"block_norm must be one of {_BLOCK_NORMS}; got {block_norm!r}")
    n_cells = (image.shape[0] // cell[0], image.shape[1] // cell[1])
    if n_cells[0] < block[0] or n_cells[1] < block[1]:
        raise ValueError(
            f"image of shape {image.shape} is too small for pixels_per_cell={cell} and "
            f"cells_per_block={block}; expected at least {cell[0] * block[0]} rows and "
            f"{cell[1] * block[1]} columns")
    hist = _cell_histograms(image, int(orientations), cell, n_cells)
    # (n_blocks_row, n_blocks_col, orientations, b_row, b_col) -> orientations last
    blocks = np.lib.stride_tricks.sliding_window_view(hist, block, axis=(0, 1))
    blocks = np.moveaxis(blocks, 2, -1)
    return _normalize_blocks(blocks, block_norm).ravel()


def hog_pearson_correlation(a, b, *, orientations=9, pixels_per_cell=(2, 2),
                            cells_per_block=(2, 2), block_norm="L2-Hys"):
    """Pearson correlation between the HOG descriptors of two maps.

    Parameters
    ----------
    a, b : array-like of shape (H, W)
        Maps to compare, of the same shape.
    orientations, pixels_per_cell, cells_per_block, block_norm
        Passed to :func:`hog_features`. The defaults differ from it: 2x2-pixel
        cells and 2x2-cell blocks, so that small maps (e.g. 8x8 digits, at
        least 4x4) work out of the box. Use larger cells for large images.

    Returns
    -------
    r : float
        Correlation in ``[-1, 1]``; ``0.0`` if either descriptor is constant
        (e.g. a constant map, whose gradients are all zero), because a
        constant vector has no variance to correlate.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((8, 8))
    >>> a[2:6, 2:6] = 1.0
    >>> hog_pearson_correlation(a, a)
    1.0
    >>> hog_pearson_correlation(a, np.roll(a, 2, axis=1)) < 1.0
    True
    """
    a, b = _as_pair(a, b)
    kwargs = dict(orientations=orientations, pixels_per_cell=pixels_per_cell,
                  cells_per_block=cells_per_block, block_norm=block_norm)
    return _pearson(hog_features(a, **kwargs), hog_features(b, **kwargs))


def top_k_intersection(a, b, k, *, absolute=True):
    """Fraction of the top-k entries of ``a`` that are also top-k in ``b``.

    Parameters
    ----------
    a, b : array-like of shape (...)
        Maps of the same shape; they are flattened.
    k : int
        Number of top entries, ``1 <= k <= a.size``.
    absolute : bool, default=True
        Rank entries by absolute value (attribution magnitude) rather than
        by signed value.

    Returns
    -------
    fraction : float
        ``|top_k(a) & top_k(b)| / k``, in ``[0, 1]``. Ties are broken in
        favour of the earlier (flattened, C-order) position, so the result
        is deterministic.

    Examples
    --------
    >>> top_k_intersection([4, 3, 2, 1], [1, 3, 2, 4], k=2)
    0.5
    >>> top_k_intersection([4, -3, 2, 1], [1, 3, 2, 4], k=2, absolute=False)
    0.0
    """
    a, b = _as_pair(a, b)
    _check_bool(absolute, "absolute")
    if not _is_int(k) or not 1 <= k <= a.size:
        raise ValueError(f"k must be an integer in [1, {a.size}]; got {k!r}")
    if absolute:
        a, b = np.abs(a), np.abs(b)
    # Stable sort of the negated scores: descending, ties by position.
    top_a = np.argsort(-a.ravel(), kind="stable")[:k]
    top_b = np.argsort(-b.ravel(), kind="stable")[:k]
    return np.intersect1d(top_a, top_b).size / k
