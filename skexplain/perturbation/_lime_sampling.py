"""LIME's sampling: per-column statistics learned at fit, and the shared design.

Tabular mode samples every column independently from the background's
(weighted) marginal, as the lime package does.  A donor value is drawn for
each (sample, column) by the inverse CDF of the column's values sorted in a
canonical order (numbers by value, categories by category or by type and
text), from one uniform number per (sample, column): the draw is the same
for a shuffled background and for integer weights replaced by repeated rows.
The interpretable feature of a discretised or categorical column is 1 when
the donor falls in x's bin (or equals x's category), and the model sees the
donor values (lime's un-discretised sample; row 0 is x itself).  Giving the
model x's own value where the donor is in x's bin (a coalition of x's
features) was measured too: closer to exact Shapley values, but further
from the lime package (top-5 Jaccard 0.71-0.74 against 0.84-0.89 for
donors, benchmarks/RESULTS.md).  Without a discretizer, numeric columns are
lime's ``mean + scale * N(0, 1)``.

Group mode switches each group on (x's values) or off (a background row drawn
per sample) with probability 1/2, as lime_image does with superpixels.
"""
import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ..utils._dtypes import typed_codes

__all__ = ["TabularStats", "draw_group_design", "draw_tabular_design", "group_samples",
           "refuse_normal_draws_of_ids", "resolve_categorical", "tabular_samples"]

_PERCENTILES = {"quartile": (25, 50, 75), "decile": tuple(range(10, 100, 10))}


def _column(background, c):
    if isinstance(background, pd.DataFrame):
        return background.iloc[:, c]
    return background.reshape(background.shape[0], -1)[:, c]


def _numeric_values(col):
    """A column as float64 (missing values as NaN)."""
    if isinstance(col, pd.Series):
        return col.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(col, dtype=float)


def _is_number(value):
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def _auto_categorical(background):
    """Columns treated as categories when ``categorical_features="auto"``."""
    if isinstance(background, pd.DataFrame):
        return np.array([is_bool_dtype(t) or not is_numeric_dtype(t)
                         for t in background.dtypes])
    flat = background.reshape(background.shape[0], -1)
    if flat.dtype.kind == "b":
        return np.ones(flat.shape[1], dtype=bool)
    if flat.dtype.kind in "iuf":
        return np.zeros(flat.shape[1], dtype=bool)
    return np.array([not all(_is_number(v) for v in flat[:, c]) for c in range(flat.shape[1])])


def resolve_categorical(categorical_features, background, feature_names):
    """Boolean mask of the categorical columns (validated).

    Parameters
    ----------
    categorical_features : "auto", array-like of names or positions, or None
    background : ndarray or DataFrame
    feature_names : list of str or None
    """
    auto = _auto_categorical(background)
    if isinstance(categorical_features, str):  # "auto" (checked by the constraints)
        return auto
    n = auto.size
    mask = np.zeros(n, dtype=bool)
    for col in ([] if categorical_features is None else list(categorical_features)):
        if isinstance(col, (int, np.integer)) and not isinstance(col, (bool, np.bool_)):
            if not -n <= col < n:
                raise ValueError(f"categorical_features: column position {col} is out of "
                                 f"range for {n} columns.")
            mask[col] = True
        elif feature_names is not None and str(col) in feature_names:
            mask[feature_names.index(str(col))] = True
        else:
            raise ValueError(f"categorical_features: unknown column {col!r}; known columns: "
                             f"{feature_names if feature_names is not None else list(range(n))}.")
    strings = np.flatnonzero(auto & ~mask)
    if strings.size:
        name = feature_names[strings[0]] if feature_names else int(strings[0])
        raise ValueError(
            f"categorical_features must list every column that does not hold numbers; column "
            f"{name!r} holds non-numbers (or booleans) and is not listed. Add it, or use "
            "categorical_features='auto'.")
    return mask


def _codes(values):
    """Codes equal exactly for values of the same type and value (unhashables by repr)."""
    values = np.asarray(values, dtype=object)
    try:
        return typed_codes(values)
    except TypeError:
        keys = np.empty(len(values), dtype=object)
        keys[:] = [(type(v), repr(v)) for v in values]
        return pd.factorize(keys, use_na_sentinel=False)[0]


def _category_rank(col):
    """A sort key per value: category order, else (type name, text) of the value."""
    if isinstance(getattr(col, "dtype", None), pd.CategoricalDtype):
        return col.cat.codes.to_numpy()
    values = np.asarray(col, dtype=object)
    codes = _codes(values)
    first = np.unique(codes, return_index=True)[1]
    keys = [(type(values[i]).__name__, str(values[i])) for i in first]
    rank = np.empty(len(first), dtype=np.int64)
    rank[sorted(range(len(first)), key=keys.__getitem__)] = np.arange(len(first))
    return rank[codes]


def _weighted_percentiles(values, weights, percentiles):
    """Averaged inverted-CDF percentiles (weights act as repeated rows)."""
    order = np.argsort(values, kind="stable")
    v, cdf = values[order], np.cumsum(weights[order])
    cdf /= cdf[-1]
    out = []
    for p in np.asarray(percentiles) / 100.0:
        i = min(int(np.searchsorted(cdf, p - 1e-12)), v.size - 1)
        tie = abs(cdf[i] - p) <= 1e-12 and i + 1 < v.size
        out.append((v[i] + v[i + 1]) / 2 if tie else v[i])
    return np.array(out)


def _bins(values, edges):
    """Bin of each value (lime's ``searchsorted(edges, v)``); NaN in a bin of its own."""
    bins = np.searchsorted(edges, values)
    return np.where(np.isnan(values), edges.size + 1, bins)


class TabularStats:
    """What ``LIME.fit`` learns per column in tabular mode.

    Attributes are lists with one entry per (flattened) column:
    ``kind`` ("categorical", "binned" or "continuous"), ``order`` and ``cdf``
    (background rows in canonical value order and their cumulative weights,
    for the donor draw), ``edges`` and ``bin_freq`` (binned columns),
    ``categories`` (categorical columns: values and frequencies), ``mean``
    and ``scale`` (continuous columns).
    """

    def __init__(self, background, weights, categorical, discretizer):
        n_bg = background.shape[0]
        w = np.full(n_bg, 1.0 / n_bg) if weights is None else weights
        self.kind, self.order, self.cdf = [], [], []
        self.edges, self.bin_freq, self.categories = [], [], []
        n_columns = categorical.size
        self.mean, self.scale = np.full(n_columns, np.nan), np.full(n_columns, np.nan)
        for c in range(n_columns):
            col = _column(background, c)
            if categorical[c]:
                key = _category_rank(col)
                self._categories(col, key, w)
                kind = "categorical"
            else:
                key = _numeric_values(col)
                kind = self._numeric(c, key, w, discretizer)
            order = np.argsort(key, kind="stable")
            self.kind.append(kind)
            self.order.append(order)
            self.cdf.append(np.cumsum(w[order]))

    def _categories(self, col, key, w):
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        values = np.asarray(col, dtype=object)[first]
        self.categories.append((values, np.bincount(inverse.ravel(), weights=w)))
        self.edges.append(None)
        self.bin_freq.append(None)

    def _numeric(self, c, values, w, discretizer):
        self.categories.append(None)
        present = ~np.isnan(values)
        if discretizer is None:
            self.edges.append(None)
            self.bin_freq.append(None)
            if present.any():
                wp = w[present] / w[present].sum()
                self.mean[c] = wp @ values[present]
                std = np.sqrt(wp @ (values[present] - self.mean[c]) ** 2)
                self.scale[c] = std if std > 0 else 1.0  # StandardScaler's convention
            else:
                self.mean[c], self.scale[c] = 0.0, 1.0
            return "continuous"
        edges = (np.unique(_weighted_percentiles(values[present], w[present],
                                                 _PERCENTILES[discretizer]))
                 if present.any() else np.zeros(0))
        self.edges.append(edges)
        self.bin_freq.append(np.bincount(_bins(values, edges)[present],
                                         weights=w[present], minlength=edges.size + 1))
        return "binned"

    @property
    def continuous(self):
        return np.array([k == "continuous" for k in self.kind])

    def keys(self, builder, X, background):
        """Comparable keys (bins or category codes) of X's and the background's values.

        Returns
        -------
        x_keys : ndarray of shape (n, n_columns)
        b_keys : ndarray of shape (n_background, n_columns)
        """
        n, n_bg, C = X.shape[0], background.shape[0], len(self.kind)
        x_keys, b_keys = np.full((n, C), -1, np.int64), np.full((n_bg, C), -1, np.int64)
        categorical = [c for c in range(C) if self.kind[c] == "categorical"]
        if categorical:
            xc, bc = builder.comparable_codes(X)
            for c in categorical:
                # joint codes of both: equal values share a code
                codes = pd.factorize(np.concatenate([np.asarray(xc[:, c]),
                                                     np.asarray(bc[:, c])]))[0]
                x_keys[:, c], b_keys[:, c] = codes[:n], codes[n:]
        for c in range(C):
            if self.kind[c] == "binned":
                x_keys[:, c] = _bins(_numeric_values(_column(X, c)), self.edges[c])
                b_keys[:, c] = _bins(_numeric_values(_column(background, c)), self.edges[c])
        return x_keys, b_keys

    def scaled(self, X):
        """(x - mean) / scale of the continuous columns (0 elsewhere), shape (n, C)."""
        out = np.zeros((X.shape[0], len(self.kind)))
        for c in np.flatnonzero(self.continuous):
            values = _numeric_values(_column(X, c))
            if np.isnan(values).any():
                row = int(np.flatnonzero(np.isnan(values))[0])
                raise ValueError(
                    f"X holds a missing value in numeric column {c} (row {row}): with "
                    "discretizer=None LIME scales x by the column's mean and std and cannot "
                    "place it. Use discretizer='quartile' (missing values form their own "
                    "bin) or impute X.")
            out[:, c] = (values - self.mean[c]) / self.scale[c]
        return out


def _inverse_cdf(cdf, order, u):
    return order[np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), order.size - 1)]


def draw_tabular_design(stats, background, rng, n_samples):
    """The donors every explained row plays (row 0 stands for x itself).

    Returns
    -------
    donors : ndarray of shape (n_samples, \\*feature_shape) or DataFrame
        Donor values; continuous columns hold ``mean + scale * N(0, 1)``.
    rows : ndarray of int of shape (n_samples, n_columns)
        Background row of each donor value (-1 for continuous columns).
    normals : ndarray of shape (n_samples, n_columns)
        The standard normal draws (zeros for non-continuous columns).
    """
    C = len(stats.kind)
    uniform = np.vstack([np.zeros((1, C)), rng.random_sample((n_samples - 1, C))])
    cont = stats.continuous
    normals = np.zeros((n_samples, C))
    if cont.any():
        normals[1:] = rng.standard_normal((n_samples - 1, C))
        normals[:, ~cont] = 0.0
    rows = np.full((n_samples, C), -1, dtype=np.int64)
    for c in np.flatnonzero(~cont):
        rows[:, c] = _inverse_cdf(stats.cdf[c], stats.order[c], uniform[:, c])
    values = stats.mean + stats.scale * normals
    if isinstance(background, pd.DataFrame):
        data = {}
        for c, name in enumerate(background.columns):
            data[name] = (pd.Series(values[:, c]) if cont[c] else
                          background[name].take(rows[:, c]).reset_index(drop=True))
        return pd.DataFrame(data, columns=background.columns), rows, normals
    flat = background.reshape(background.shape[0], -1)
    donors = flat[np.where(rows < 0, 0, rows), np.arange(C)]
    if cont.any():
        donors = donors.astype(np.result_type(donors, np.float64))
        donors[:, cont] = values[:, cont]
    return donors.reshape((n_samples,) + background.shape[1:]), rows, normals


def tabular_samples(x_keys, donor_keys, normals, x_scaled, continuous):
    """Interpretable samples and model masks of a chunk of rows.

    Parameters
    ----------
    x_keys : ndarray of shape (r, C)
    donor_keys : ndarray of shape (S, C)
        Keys of the donors (ignored for continuous columns).
    normals, x_scaled : ndarray of shape (S, C) and (r, C)
    continuous : ndarray of bool of shape (C,)

    Returns
    -------
    Z : ndarray of shape (r, S, C)
        1 where the donor shares x's bin or category; ``N(0, 1)`` draws on
        continuous columns; row 0 is x's own interpretable row.
    masks : ndarray of bool of shape (r, S, C)
        Where the model input takes x's value: row 0 only (the others are
        the donors).
    """
    same = (x_keys[:, None, :] == donor_keys[None]) & ~continuous
    same[:, 0, :] = True
    Z = same.astype(float)
    if continuous.any():
        Z[:, 1:, continuous] = normals[None, 1:, continuous]
        Z[:, 0, continuous] = x_scaled[:, continuous]
    masks = np.zeros(same.shape, dtype=bool)
    masks[:, 0, :] = True
    return Z, masks


def draw_group_design(n_groups, weights, rng, n_samples):
    """(on (S, G) bool with row 0 all True, background row per sample (S,))."""
    on = np.vstack([np.ones((1, n_groups), dtype=bool),
                    rng.randint(0, 2, size=(n_samples - 1, n_groups)).astype(bool)])
    u = np.concatenate([[0.0], rng.random_sample(n_samples - 1)])
    cdf = np.cumsum(weights)
    return on, _inverse_cdf(cdf, np.arange(weights.size), u)


def group_samples(on):
    """Interpretable samples (1, S, G) and their cosine distance to the all-ones row."""
    count = on.sum(axis=1)
    cosine = np.where(count > 0, np.sqrt(count / on.shape[1]), 0.0)
    return on.astype(float)[None], 1.0 - cosine


def refuse_normal_draws_of_ids(model, discretizer, categorical, names):
    """Refuse ``discretizer=None`` on a model taking token ids or codes (a torch module
    with integer or boolean inputs): normal draws around them are no ids."""
    if discretizer is not None or not getattr(model, "takes_integers", False):
        return
    continuous = [names[j] for j in np.flatnonzero(~np.asarray(categorical))]
    if continuous:
        shown = continuous[:5] + (["..."] if len(continuous) > 5 else [])
        raise ValueError(
            f"LIME(discretizer=None) draws mean + std * N(0, 1) values for the numeric "
            f"columns ({', '.join(map(str, shown))}), but {model.describe()} takes "
            f"{model.input_dtype} inputs (token ids or codes), which such draws are not. "
            "Use the default discretizer='quartile' (the model sees background values), "
            "list every column in categorical_features (each position's ids drawn from the "
            "background), or use feature_groups with a padding row as background "
            "(positions on or off).")
