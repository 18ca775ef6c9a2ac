"""Feature groups: several columns switched on and off by one mask entry.

Examples are the one-hot block of a categorical column, a set of correlated
measurements, or the pixels of an image patch.
"""
import numbers

import numpy as np

__all__ = ["FeatureGroupsMixin", "column_groups", "grid_segments", "resolve_feature_groups"]


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


def _label_array_groups(labels, n_columns, feature_shape=None):
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise ValueError(
            "feature_groups given as an array must hold one integer label per feature "
            f"({n_columns}); got shape {labels.shape} and dtype {labels.dtype}."
        )
    labels = _broadcast_segments(labels, n_columns, feature_shape)
    uniq = np.unique(labels)
    missing = np.setdiff1d(np.arange(uniq[0], uniq[-1] + 1), uniq)
    if missing.size:
        shown = missing[:10].tolist() + (["..."] if missing.size > 10 else [])
        raise ValueError(
            f"feature_groups: segment labels must be consecutive integers (any start); "
            f"labels run from {uniq[0]} to {uniq[-1]} but {missing.size} are missing: "
            f"{shown}.")
    groups = [np.flatnonzero(labels == u) for u in uniq]
    return groups, [f"group_{u}" for u in uniq]


def _broadcast_segments(labels, n_columns, feature_shape):
    """One label per flattened feature from a map of the feature shape, of its
    trailing dims ((H, W) for (C, H, W) inputs) or of its leading dims ((H, W)
    for (H, W, C)); a flat array of ``n_columns`` labels is taken as it is."""
    shape = (n_columns,) if feature_shape is None else tuple(feature_shape)
    if labels.shape == shape or (labels.ndim == 1 and labels.size == n_columns):
        return labels.reshape(-1)
    k = labels.ndim
    if 0 < k < len(shape):
        if labels.shape == shape[len(shape) - k:]:  # channels first: broadcast over them
            return np.broadcast_to(labels, shape).reshape(-1)
        if labels.shape == shape[:k]:  # channels last
            return np.broadcast_to(labels.reshape(labels.shape + (1,) * (len(shape) - k)),
                                   shape).reshape(-1)
    raise ValueError(
        f"feature_groups given as a segment map must have the feature shape {shape}, or "
        f"its trailing or leading dimensions (e.g. (H, W) for (C, H, W) or (H, W, C) "
        f"inputs); got shape {labels.shape}.")


def grid_segments(feature_shape, patch_shape):
    """Integer segment map of a regular grid of patches, for ``feature_groups``.

    Patches of ``patch_shape`` tile the trailing dimensions of
    ``feature_shape`` (the last patch along a dimension is cut at the
    border); leading dimensions not covered by ``patch_shape`` (channels of a
    (C, H, W) image) share the labels.  Labels are 0, 1, ... in C order.

    Parameters
    ----------
    feature_shape : tuple of int
        Shape of one input (without the row axis), e.g. (3, 32, 32).
    patch_shape : tuple of int
        Shape of a patch over the last ``len(patch_shape)`` dimensions, e.g.
        (8, 8); pass (8, 8, 3) to cover the channels of an (H, W, C) input.

    Returns
    -------
    labels : ndarray of int of shape feature_shape

    Examples
    --------
    >>> from skexplain.perturbation import grid_segments
    >>> grid_segments((1, 4, 5), (2, 2))[0]
    array([[0, 0, 1, 1, 2],
           [0, 0, 1, 1, 2],
           [3, 3, 4, 4, 5],
           [3, 3, 4, 4, 5]])
    """
    feature_shape = _positive_shape(feature_shape, "feature_shape")
    patch_shape = _positive_shape(patch_shape, "patch_shape")
    if len(patch_shape) > len(feature_shape):
        raise ValueError(f"patch_shape {patch_shape} has more dimensions than feature_shape "
                         f"{feature_shape}.")
    trailing = feature_shape[len(feature_shape) - len(patch_shape):]
    counts = [-(-n // p) for n, p in zip(trailing, patch_shape)]
    index = np.meshgrid(*[np.arange(n) // p for n, p in zip(trailing, patch_shape)],
                        indexing="ij")
    labels = np.ravel_multi_index(index, counts) if index else np.zeros((), dtype=int)
    return np.broadcast_to(labels, feature_shape).copy()


def _positive_shape(shape, name):
    try:
        shape = tuple(int(s) for s in (shape if np.ndim(shape) else [shape]))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a tuple of positive integers; got {shape!r}.") from exc
    if not shape or min(shape) < 1:
        raise ValueError(f"{name} must be a non-empty tuple of positive integers; got {shape}.")
    return shape


def resolve_feature_groups(feature_groups, feature_names, n_columns, feature_shape=None):
    """Turn the user's ``feature_groups`` into (list of column arrays, names).

    Parameters
    ----------
    feature_groups : dict, list of lists, ndarray of int labels or None
        ``{name: [columns]}`` (columns by name or position), a list of column
        lists (named by their first column), or one integer label per feature
        (image segments: a map of the feature shape, of its trailing or leading
        dimensions, with consecutive labels).  Columns in no group form a
        group of their own, and groups keep the order of their first column.
    feature_names : list of str or None
    n_columns : int
    feature_shape : tuple of int, default=None
        Shape of one input, for segment maps; None means ``(n_columns,)``.

    Returns
    -------
    groups : list of ndarray of int, or None when there is no grouping
    names : list of str or None
    """
    if feature_groups is None:
        return None, feature_names
    if isinstance(feature_groups, np.ndarray):
        return _label_array_groups(feature_groups, n_columns, feature_shape)
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


class FeatureGroupsMixin:
    """Perturbation explainers whose ``feature_groups`` parameter groups columns.

    One place resolves the parameter at fit (against the input's names and
    feature shape, so segment maps of images work everywhere) and names the
    attributed features.
    """

    def _fit_feature_groups(self):
        """Set ``feature_groups_`` and ``feature_names_out_``; return the groups."""
        self.feature_groups_, self.feature_names_out_ = resolve_feature_groups(
            self.feature_groups, self._feature_names(), self.n_features_in_,
            self.feature_shape_)
        return self.feature_groups_

    def _feature_names_out_groups(self):
        return self.feature_names_out_
