"""Comparing explanations: exact equality and a per-feature table of differences.

Used by ``Explanation.__eq__``, :func:`skexplain.testing.assert_explanations_close`
and the pytest plugin's ``pytest_assertrepr_compare``.  Numpy only.
"""
import numpy as np

__all__ = ["column_labels", "difference_table", "explanations_equal", "structure_differences"]


def structure_differences(a, b):
    """What differs between two explanations besides their numbers (list of str)."""
    found = []
    if a.values.shape != b.values.shape:
        found.append(f"values shapes differ: {a.values.shape} != {b.values.shape}")
    if a.base_values.shape != b.base_values.shape:
        found.append(f"base_values shapes differ: {a.base_values.shape} != "
                     f"{b.base_values.shape}")
    for field in ("feature_names", "output_names"):
        left, right = getattr(a, field), getattr(b, field)
        if left != right:
            found.append(f"{field} differ: {_diff_names(left, right)}")
    return found


def _diff_names(left, right):
    if left is None or right is None or len(left) != len(right):
        return f"{left} != {right}"
    pairs = [f"position {i}: {x!r} != {y!r}" for i, (x, y) in enumerate(zip(left, right))
             if x != y]
    return "; ".join(pairs[:5]) + (f" (and {len(pairs) - 5} more)" if len(pairs) > 5 else "")


def explanations_equal(a, b):
    """True when ``a`` and ``b`` hold the same attributions for the same names.

    ``values`` and ``base_values`` must be equal element by element (NaN equals
    NaN at the same place), ``feature_names`` and ``output_names`` identical.
    """
    if structure_differences(a, b):
        return False
    return bool(np.array_equal(a.values, b.values, equal_nan=True)
                and np.array_equal(a.base_values, b.base_values, equal_nan=True))


def column_labels(explanation):
    """One label per column of ``values.reshape(n, -1)``: feature, then output.

    Named features keep their names, other feature axes give ``"(i, j)"``
    positions; several outputs add ``"[output]"``.
    """
    shape = explanation.feature_shape
    if explanation.feature_names is not None and len(shape) == 1:
        features = list(explanation.feature_names)
    elif len(shape) == 1:
        features = [f"x{i}" for i in range(shape[0])]
    else:
        features = [str(index) for index in np.ndindex(*shape)]
    if not explanation.has_output_axis:
        return features
    outputs = explanation.output_names or [str(k) for k in range(explanation.n_outputs)]
    return [f"{f}[{o}]" for f in features for o in outputs]


def _mismatches(actual, expected, tolerance):
    """Boolean array: where ``actual`` differs from ``expected`` beyond ``tolerance``."""
    both_nan = np.isnan(actual) & np.isnan(expected)
    with np.errstate(invalid="ignore"):
        if tolerance is None:
            differ = actual != expected
        else:
            differ = ~(np.abs(actual - expected) <= tolerance)
    return differ & ~both_nan


def difference_table(actual, expected, labels, *, tolerance=None, max_lines=10,
                     names=("actual", "expected")):
    """A text table of the features whose attributions differ, worst first.

    Parameters
    ----------
    actual, expected : ndarray of shape (n, ...)
        Attributions of the same shape; they are compared as ``(n, n_columns)``.
    labels : list of str
        One label per column (see :func:`column_labels`).
    tolerance : float or ndarray broadcastable to ``expected``, default=None
        Largest allowed ``|actual - expected|``; None compares exactly.
    max_lines : int or None, default=10
        Most features shown; None shows every differing feature.
    names : tuple of str, default=("actual", "expected")
        Column titles of the two sides.

    Returns
    -------
    n_differing : int
        Number of differing entries.
    lines : list of str
        The table (empty when nothing differs).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> n, lines = difference_table(a, a + [[0, 0.5], [0, 0]], ["x", "y"])
    >>> n
    1
    >>> print("\\n".join(lines))
    feature  rows differing  max |diff|  worst row  actual  expected
    y        1 of 2          0.5         0          2       2.5
    """
    n = actual.shape[0]
    a2, e2 = actual.reshape(n, -1), expected.reshape(n, -1)
    tol = None if tolerance is None else np.broadcast_to(tolerance, expected.shape).reshape(n, -1)
    differ = _mismatches(a2, e2, tol)
    with np.errstate(invalid="ignore"):
        gap = np.where(differ, np.abs(a2 - e2), 0.0)
    gap = np.where(differ & np.isnan(gap), np.inf, gap)  # NaN on one side only
    columns = np.flatnonzero(differ.any(axis=0))
    columns = columns[np.argsort(-gap[:, columns].max(axis=0), kind="stable")]
    header = ["feature", "rows differing", "max |diff|", "worst row", names[0], names[1]]
    if tol is not None:
        header.insert(3, "tolerance")
    rows = []
    for c in columns[:max_lines]:
        r = int(np.argmax(gap[:, c]))
        row = [labels[c], f"{int(differ[:, c].sum())} of {n}", _num(gap[r, c]), str(r),
               _num(a2[r, c]), _num(e2[r, c])]
        if tol is not None:
            row.insert(3, _num(tol[r, c]))
        rows.append(row)
    lines = _align([header] + rows) if rows else []
    if max_lines is not None and len(columns) > max_lines:
        lines.append(f"... and {len(columns) - max_lines} more differing features")
    return int(differ.sum()), lines


def _num(x):
    return f"{float(x):.4g}"


def _align(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
