"""Feature columns for displays: numeric or categorical, and the "auto" colour feature.

No matplotlib here: this is plain numpy, shared by the scatter display.
"""
import numbers

import numpy as np

from ._rows import is_missing, numeric_column

__all__ = ["Column", "encode_column", "resolve_feature", "auto_color_feature"]

MISSING = "missing"


class Column:
    """A feature's values ready to plot.

    ``numeric`` columns hold floats in ``values`` (NaN where missing);
    categorical columns hold integer codes into ``categories`` (sorted labels,
    with ``"missing"`` last when some values are missing).
    """

    def __init__(self, values, categories=None):
        self.values = values
        self.categories = categories

    @property
    def numeric(self):
        return self.categories is None

    def as_numbers(self):
        """Floats: the values, or the category codes (missing -> NaN for numbers only)."""
        return self.values.astype(float)



def encode_column(column):
    """Encode one data column (1-D array, any dtype) as a :class:`Column`.

    Real numbers (and missing values among them) stay numeric; strings, bools,
    pandas categories and any other objects become categories labelled by
    ``str(value)`` and sorted, so the axis does not depend on row order.
    """
    column = np.asarray(column)
    as_numbers = numeric_column(column)
    if as_numbers is not None:
        return Column(as_numbers)
    missing = np.array([is_missing(v) for v in column], dtype=bool)
    labels = np.array([str(v) for v in column], dtype=object)
    categories = sorted(set(labels[~missing]))
    codes = np.empty(len(column), dtype=int)
    index = {c: i for i, c in enumerate(categories)}
    codes[~missing] = [index[c] for c in labels[~missing]]
    if missing.any():
        # Missing strings are a category of their own (an encoder may treat them
        # so), drawn last: nothing is dropped.
        codes[missing] = len(categories)
        categories = categories + [MISSING]
    return Column(codes, categories)



def resolve_feature(feature, names, param):
    """Position of ``feature`` (a name or an integer position) among ``names``."""
    if isinstance(feature, str):
        if feature not in names:
            raise ValueError(f"{param}={feature!r} is not a feature of this explanation; "
                             f"known features: {names}.")
        return names.index(feature)
    if isinstance(feature, (bool, np.bool_)) or not isinstance(feature, numbers.Integral):
        raise TypeError(f"{param} must be a feature name or an integer position; got "
                        f"{feature!r} of type {type(feature).__name__}.")
    if not -len(names) <= feature < len(names):
        raise ValueError(f"{param}={feature} is out of range for {len(names)} features "
                         f"({names}).")
    return int(feature) % len(names)


def _bins(x, n_bins):
    """Bin labels: categories as they are, numbers in ``n_bins`` equal-count bins."""
    order = np.argsort(x, kind="stable")
    labels = np.empty(len(x), dtype=int)
    labels[order] = np.arange(len(x)) * n_bins // len(x)
    return labels


def _mean_abs_correlation(a, v, bins):
    """Size-weighted mean over bins of ``|corr(a, v)|`` within each bin.

    Absolute values per bin, because an interaction flips the sign of the
    correlation across the plotted feature's range (for ``x0 * x1`` the
    spread follows ``x1`` upwards where ``x0 > 0`` and downwards where
    ``x0 < 0``): pooled, it would cancel.
    """
    total, weight = 0.0, 0
    for b in np.unique(bins):
        sel = (bins == b) & np.isfinite(v)
        if sel.sum() < 3:
            continue
        da, dv = a[sel] - a[sel].mean(), v[sel] - v[sel].mean()
        denom = np.sqrt((da ** 2).sum() * (dv ** 2).sum())
        weight += sel.sum()
        if denom > 0:
            total += sel.sum() * abs((da * dv).sum()) / denom
    return total / weight if weight else 0.0


def auto_color_feature(x_column, attributions, columns, exclude):
    """The feature that best explains the vertical spread of a dependence plot.

    Heuristic (deterministic): rows are grouped by the plotted feature
    (its categories, or ``max(1, min(10, n // 10))`` equal-count bins of its
    sorted values); within each group, the absolute correlation between the
    attributions and another feature's values (category codes for
    categorical features; rows where it is missing left out) measures how
    much of the spread that feature follows.  The feature with the largest
    group-size-weighted mean of these correlations wins; ties go to the first
    feature.  A spread not explained by the plotted
    feature's own value is what an interaction looks like, so the winner is a
    candidate interaction partner, not a proof of one.

    Parameters
    ----------
    x_column : Column
        The plotted feature (rows with missing numeric values already removed).
    attributions : ndarray of shape (n,)
    columns : list of Column
        Every feature, on the same rows.
    exclude : int
        Position of the plotted feature (never chosen).

    Returns
    -------
    int or None
        The chosen position, or None when no other feature has a usable
        (non-zero, finite) score.
    """
    n = len(attributions)
    if x_column.numeric:
        bins = _bins(x_column.values, max(1, min(10, n // 10)))
    else:
        bins = x_column.values
    best, best_score = None, 0.0
    for j, col in enumerate(columns):
        if j == exclude:
            continue
        score = _mean_abs_correlation(attributions, col.as_numbers(), bins)
        if score > best_score + 1e-12:
            best, best_score = j, score
    return best
