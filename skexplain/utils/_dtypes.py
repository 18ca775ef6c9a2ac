"""One dtype per DataFrame column for rows that mix X and the background.

A hybrid row ``(x_S, b_notS)`` takes some columns from an explained row and
the others from a background row, so each hybrid column holds values of both.
Casting X's values to the background's dtype can change them without a word
(a category the background never saw becomes NaN, 1.5 becomes 1 in an integer
column, 0.5 becomes True in a bool column), so the hybrid dtype of a column is

1. the background's dtype when X has the same one;
2. X's dtype when it extends the background's (a categorical with more
   categories, in the same order when ordered; a wider numeric dtype such as
   float64 for an int64 background);
3. the background's dtype when every value of X survives the cast to it;
4. for a categorical background, the union of its categories and X's new
   values (appended, unordered background only);
5. a common dtype of both that holds every value (Float64 for an Int64
   background and X = 1.5), never ``object``;

and otherwise the value is refused with a ``ValueError`` naming the column,
the value and its row.
"""
import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

__all__ = ["align_rows", "as_hybrid_dtype", "hybrid_dtype", "typed_codes"]


def hybrid_dtype(name, background, x):
    """The dtype that carries every value of ``background`` and ``x`` exactly.

    Parameters
    ----------
    name : str
        Column name, for error messages.
    background, x : Series
        The background's column and X's column.

    Returns
    -------
    dtype

    Raises
    ------
    ValueError
        When no dtype other than ``object`` holds both columns' values.

    Examples
    --------
    >>> import pandas as pd
    >>> from skexplain.utils._dtypes import hybrid_dtype
    >>> bg = pd.Series(["red", "blue"], dtype="category")
    >>> hybrid_dtype("color", bg, pd.Series(["green"])).categories.tolist()
    ['blue', 'red', 'green']
    """
    bg, xt = background.dtype, x.dtype
    if _same_dtype(xt, bg):
        return bg
    if _extends(xt, bg) and _all_fit(background, xt):  # int64 above 2**53 is no float64
        return xt
    fits = _fits(x, bg)
    if fits is not None and fits.all():
        return bg
    if isinstance(bg, pd.CategoricalDtype):
        return _union_categories(name, bg, x, fits)
    common = _common_dtype(bg, xt)
    if common != object and _all_fit(x, common) and _all_fit(background, common):
        return common
    position, value = _first_misfit(x, bg, fits)
    raise ValueError(
        f"X column {name!r} holds {value!r} (row {position}), which the background's "
        f"dtype {bg} cannot hold exactly, and no dtype other than object holds both "
        "(hybrid rows mix values of X and of the background in one column). Give X "
        "values of the background's dtypes, e.g. X.astype(background.dtypes).")


def as_hybrid_dtype(series, dtype):
    """``series`` cast to ``dtype`` (a lossless cast, see :func:`hybrid_dtype`)."""
    return series if _same_dtype(series.dtype, dtype) else series.astype(dtype)


def align_rows(background, X):
    """``X`` with each column in its hybrid dtype (a new frame; X is not modified).

    Computing the dtypes once for all the rows explained makes them the same
    for every chunk of rows (new categories get the same codes everywhere).
    Columns without a hybrid dtype are left as they are: the hybrid builder
    refuses them where hybrids are needed.  Arrays are returned unchanged.
    """
    if not isinstance(X, pd.DataFrame) or not isinstance(background, pd.DataFrame):
        return X
    changed = {}
    for name in background.columns:
        try:
            dtype = hybrid_dtype(name, background[name], X[name])
        except ValueError:
            continue
        if not _same_dtype(X[name].dtype, dtype):
            changed[name] = dtype
    return X.astype(changed) if changed else X


def _same_dtype(a, b):
    if isinstance(a, pd.CategoricalDtype) or isinstance(b, pd.CategoricalDtype):
        # unordered categoricals compare equal whatever the order of their
        # categories, but the codes then differ: require the same order
        return (isinstance(a, pd.CategoricalDtype) and isinstance(b, pd.CategoricalDtype)
                and a.ordered == b.ordered and a.categories.equals(b.categories))
    return a == b


def _extends(x, bg):
    """Whether dtype ``x`` holds every value of dtype ``bg`` (a dtype-only test)."""
    if isinstance(bg, pd.CategoricalDtype):
        if not isinstance(x, pd.CategoricalDtype) or x.ordered != bg.ordered:
            return False
        position = x.categories.get_indexer(bg.categories)
        return bool((position >= 0).all() and (not bg.ordered or (np.diff(position) > 0).all()))
    if isinstance(x, pd.CategoricalDtype):
        return False
    numeric = [is_numeric_dtype(t) and not is_bool_dtype(t) for t in (x, bg)]
    return all(numeric) and _common_dtype(bg, x) == x


def _common_dtype(a, b):
    """pandas' common dtype of ``a`` and ``b`` (what concatenation would give)."""
    return pd.concat([pd.Series([], dtype=a), pd.Series([], dtype=b)]).dtype


def _fits(series, dtype):
    """Per value of ``series``: whether it survives a cast to ``dtype``.

    None when the cast raises (then some value does not fit, but which one is
    left to :func:`_first_misfit`, which only runs to write an error message).
    """
    if isinstance(dtype, pd.CategoricalDtype):  # a cast would make unknown values NaN
        return np.asarray(series.isna() | series.isin(dtype.categories), dtype=bool)
    try:
        with np.errstate(all="ignore"):
            cast = series.astype(dtype)
    except (TypeError, ValueError, OverflowError):
        return None
    return _equal_values(series.to_numpy(dtype=object), cast.to_numpy(dtype=object))


def _all_fit(series, dtype):
    fits = _fits(series, dtype)
    return fits is not None and bool(fits.all())


def _equal_values(a, b):
    """Elementwise equality of two object arrays, missing equal to missing."""
    missing_a, missing_b = pd.isna(a), pd.isna(b)
    equal = missing_a & missing_b
    both = ~missing_a & ~missing_b
    if both.any():
        equal[both] = [_equal(u, v) for u, v in zip(a[both], b[both])]
    return equal


def _equal(u, v):
    if str(getattr(u, "tzinfo", None)) != str(getattr(v, "tzinfo", None)):
        return False  # the same instant in another time zone is another value to a model
    try:
        return bool(u == v)
    except (TypeError, ValueError):  # values whose == is not a bool
        return False


def typed_codes(values):
    """Codes of object values that are equal only when type and value are.

    ``==`` (and so ``pd.factorize``) calls ``True``, ``1`` and ``1.0`` equal,
    and ``None`` and NaN, but a model may treat them differently: hybrids are
    only deduplicated, and features only called equal, when they are the same
    value of the same type.

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain.utils._dtypes import typed_codes
    >>> typed_codes(np.array([1, True, 1.0, 1, None, np.nan], dtype=object)).tolist()
    [0, 1, 2, 0, 3, 4]
    """
    keys = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        keys[i] = (type(value), "<missing>" if _is_missing(value) else value)
    return pd.factorize(keys, use_na_sentinel=False)[0]


def _is_missing(value):
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like values: never "missing"
        return False


def _first_misfit(x, dtype, fits):
    """(position, value) of the first value of ``x`` that ``dtype`` cannot hold."""
    if fits is None:
        fits = np.array([_all_fit(x.iloc[[i]], dtype) for i in range(len(x))])
    position = int(np.flatnonzero(~fits)[0])
    return position, x.iloc[position]


def _union_categories(name, bg, x, fits):
    if isinstance(x.dtype, pd.CategoricalDtype):
        new = x.dtype.categories[~x.dtype.categories.isin(bg.categories)]
    else:
        values = x.to_numpy(dtype=object)
        new = pd.Index(pd.unique(values[~fits]), dtype=object)
    if bg.ordered:
        position, value = _first_misfit(x, bg, fits)
        raise ValueError(
            f"X column {name!r} holds {value!r} (row {position}), which is not among the "
            f"ordered categories {list(bg.categories)} of the background, and an ordered "
            "category has no place in that order. Give X an ordered CategoricalDtype that "
            "extends the background's categories in the same order, or add the category "
            "to the background.")
    return pd.CategoricalDtype(bg.categories.append(new), ordered=False)
