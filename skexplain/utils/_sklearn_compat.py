"""What skexplain reads from fitted scikit-learn transformers, in one place.

LinearSHAP needs to know which raw column feeds each output column of a
fitted preprocessing step.  Everything here uses public attributes
(``OneHotEncoder.categories_``, ``drop_idx_``, ``infrequent_categories_``,
``get_feature_names_out``; ``ColumnTransformer.transformers_``,
``feature_names_in_``, ``output_indices_``) and cross-checks the result
against the step's own output width, so that a change in scikit-learn shows
up as a clear error here instead of a silent wrong mapping elsewhere.
"""
import numbers

import numpy as np

__all__ = ["column_transformer_parts", "onehot_output_widths", "resolve_columns"]


def onehot_output_widths(encoder):
    """Number of output columns of each input column of a fitted OneHotEncoder.

    Parameters
    ----------
    encoder : fitted sklearn.preprocessing.OneHotEncoder

    Returns
    -------
    ndarray of int of shape (n_features_in,), or None when the count does not
    match ``len(encoder.get_feature_names_out())`` (an unknown encoder version).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> enc = OneHotEncoder(drop="first").fit(np.array([[0, 1], [1, 2], [2, 1]]))
    >>> onehot_output_widths(enc).tolist()
    [2, 1]
    """
    widths = np.array([len(c) for c in encoder.categories_], dtype=int)
    try:  # only defined when infrequent categories are grouped
        infrequent = encoder.infrequent_categories_
    except AttributeError:
        infrequent = [None] * widths.size
    for i, cats in enumerate(infrequent):
        if cats is not None:
            widths[i] -= len(cats) - 1  # the infrequent ones share one column
    drop = getattr(encoder, "drop_idx_", None)
    if drop is not None:
        widths -= np.array([d is not None for d in drop], dtype=int)
    if widths.sum() != len(encoder.get_feature_names_out()):
        return None
    return widths


def resolve_columns(spec, feature_names_in, n_columns):
    """Positions selected by a fitted ColumnTransformer's column specification.

    Parameters
    ----------
    spec : int, str, slice, list or array of int, str or bool
        A column specification as stored in ``ColumnTransformer.transformers_``
        (callables are already resolved there).
    feature_names_in : ndarray of str or None
        The ColumnTransformer's ``feature_names_in_`` (DataFrame input).
    n_columns : int

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> resolve_columns(slice("b", "c"), ["a", "b", "c", "d"], 4).tolist()
    [1, 2]
    >>> resolve_columns([True, False, True], None, 3).tolist()
    [0, 2]
    """
    names = None if feature_names_in is None else [str(c) for c in feature_names_in]
    positions = np.arange(n_columns)
    if isinstance(spec, slice):
        if isinstance(spec.start, str) or isinstance(spec.stop, str):
            start = 0 if spec.start is None else _position(spec.start, names)
            stop = n_columns - 1 if spec.stop is None else _position(spec.stop, names)
            return positions[start:stop + 1]  # label slices include their end
        return positions[spec]
    values = np.atleast_1d(np.asarray(spec, dtype=object if isinstance(spec, str) else None))
    if values.size == 0:
        return np.zeros(0, dtype=int)
    if values.dtype.kind == "b":
        return np.flatnonzero(values)
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        return positions[values.astype(int)]
    return np.asarray([_position(v, names) for v in values], dtype=int)


def _position(label, names):
    if isinstance(label, numbers.Integral):
        return int(label)
    if names is None or str(label) not in names:
        raise ValueError(f"column {str(label)!r} is not among the ColumnTransformer's input "
                         f"columns {names}.")
    return names.index(str(label))


def column_transformer_parts(ct, n_columns):
    """``(name, transformer, input positions, output slice)`` of a fitted ColumnTransformer.

    Dropped transformers and empty selections are left out; the remainder is
    included when it produces columns.
    """
    names_in = getattr(ct, "feature_names_in_", None)
    parts = []
    for name, trans, spec in ct.transformers_:
        out = getattr(ct, "output_indices_", {}).get(name, slice(0, 0))
        if (isinstance(trans, str) and trans == "drop") or out.stop == out.start:
            continue
        parts.append((name, trans, resolve_columns(spec, names_in, n_columns), out))
    return parts
