"""Feature groups: several columns switched on and off by one mask entry.

Examples are the one-hot block of a categorical column, a set of correlated
measurements, or the pixels of an image patch.
"""
import numbers

import numpy as np

__all__ = ["column_groups", "resolve_feature_groups"]


def column_groups(groups, n_columns):
    """Group index of every column, from a list of column-position arrays."""
    if groups is None:
        return np.arange(n_columns)
    owner = np.full(n_columns, -1)
    for g, cols in enumerate(groups):
        owner[np.asarray(cols, dtype=int)] = g
    if np.any(owner < 0):
        raise ValueError(f"columns {np.flatnonzero(owner < 0).tolist()} belong to no group.")
    return owner


def _position(col, feature_names, n_columns, name):
    if isinstance(col, numbers.Integral) and not isinstance(col, bool):
        if 0 <= col < n_columns:
            return int(col)
        raise ValueError(f"{name}: column position {col} is out of range [0, {n_columns}).")
    if feature_names is not None and str(col) in feature_names:
        return feature_names.index(str(col))
    raise ValueError(f"{name}: unknown column {col!r}; known columns: {feature_names}.")


def _label_array_groups(labels, n_columns):
    labels = np.asarray(labels).reshape(-1)
    if labels.shape[0] != n_columns or labels.dtype.kind not in "iu":
        raise ValueError(
            "feature_groups given as an array must hold one integer label per feature "
            f"({n_columns}); got shape {np.shape(labels)} and dtype {labels.dtype}."
        )
    uniq = np.unique(labels)
    groups = [np.flatnonzero(labels == u) for u in uniq]
    return groups, [f"group_{u}" for u in uniq]


def resolve_feature_groups(feature_groups, feature_names, n_columns):
    """Turn the user's ``feature_groups`` into (list of column arrays, names).

    Parameters
    ----------
    feature_groups : dict, list of lists, ndarray of int labels or None
        ``{name: [columns]}`` (columns by name or position), a list of column
        lists (named by their first column), or one integer label per feature
        (image segments).  Columns in no group form a group of their own, and
        groups keep the order of their first column.
    feature_names : list of str or None
    n_columns : int

    Returns
    -------
    groups : list of ndarray of int, or None when there is no grouping
    names : list of str or None
    """
    if feature_groups is None:
        return None, feature_names
    if isinstance(feature_groups, np.ndarray):
        return _label_array_groups(feature_groups, n_columns)
    if isinstance(feature_groups, dict):
        items = [(str(k), v) for k, v in feature_groups.items()]
    elif isinstance(feature_groups, (list, tuple)):
        items = [(None, v) for v in feature_groups]
    else:
        raise TypeError(
            "feature_groups must be a dict {name: columns}, a list of column lists or an "
            f"integer label array; got {type(feature_groups).__name__}."
        )
    owner = np.full(n_columns, -1)
    user_groups = []
    for g, (label, cols) in enumerate(items):
        cols = [cols] if isinstance(cols, (str, numbers.Integral)) else list(cols)
        if not cols:
            raise ValueError(f"feature_groups: group {label or g} is empty.")
        pos = [_position(c, feature_names, n_columns, "feature_groups") for c in cols]
        if np.any(owner[pos] >= 0):
            raise ValueError(f"feature_groups: column(s) {cols} appear in more than one group.")
        owner[pos] = g
        name = label if label is not None else (
            feature_names[pos[0]] if feature_names else f"group_{g}")
        user_groups.append((name, np.asarray(sorted(pos))))
    groups, names, seen = [], [], set()
    for col in range(n_columns):
        g = owner[col]
        if g < 0:
            groups.append(np.asarray([col]))
            names.append(feature_names[col] if feature_names else f"x{col}")
        elif g not in seen:
            seen.add(g)
            groups.append(user_groups[g][1])
            names.append(user_groups[g][0])
    _refuse_duplicate_names(names)
    return groups, names


def _refuse_duplicate_names(names):
    # expl[:, name] and get_feature_names_out must name one column each
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(
                f"feature_groups must give every output feature its own name; {name!r} names "
                "a group and another group or ungrouped column. Rename the group.")
        seen.add(name)
