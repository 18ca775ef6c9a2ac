"""Failure explanations of ``assert expl == other`` for the pytest plugin.

Imported by ``pytest_assertrepr_compare`` only when an
:class:`~skexplain.Explanation` is compared, so numpy is already loaded.
"""
import numpy as np

from .._explanation_compare import column_labels, difference_table, structure_differences

__all__ = ["compare_explanations", "compare_with_approx", "is_approx"]


def is_approx(obj):
    """Whether ``obj`` is what ``pytest.approx`` returns (without pytest's private names)."""
    return type(obj).__name__.startswith("Approx") and hasattr(obj, "expected") and all(
        hasattr(obj, a) for a in ("rel", "abs"))


def _short(expl):
    method = expl.metadata.get("method", "Explanation")
    return f"{method}(n_rows={expl.n_rows}, feature_shape={expl.feature_shape})"


def compare_explanations(left, right, max_lines=10):
    """Lines explaining why ``left == right`` is False (exact comparison)."""
    lines = [f"{_short(left)} == {_short(right)}"]
    structure = structure_differences(left, right)
    if structure:
        return lines + structure
    n_values, table = difference_table(left.values, right.values, column_labels(left),
                                       max_lines=max_lines, names=("left", "right"))
    if n_values:
        lines.append(f"values differ at {n_values} of {left.values.size} entries (exact "
                     "comparison; pytest.approx(expected) allows a tolerance):")
        lines += ["  " + line for line in table]
    n_base, table = difference_table(left.base_values.reshape(len(left), -1),
                                     right.base_values.reshape(len(right), -1),
                                     _base_labels(left), max_lines=max_lines,
                                     names=("left", "right"))
    if n_base:
        lines.append(f"base_values differ at {n_base} of {left.base_values.size} entries:")
        lines += ["  " + line for line in table]
    return lines


def _base_labels(expl):
    if not expl.has_output_axis:
        return ["base_values"]
    outputs = expl.output_names or [str(k) for k in range(expl.n_outputs)]
    return [f"base_values[{o}]" for o in outputs]


def _approx_tolerance(approx, expected):
    """pytest.approx's tolerance: max(rel * |expected|, abs), or abs alone when only abs is set."""
    absolute = 1e-12 if approx.abs is None else float(approx.abs)
    if approx.rel is None and approx.abs is not None:
        return np.full(expected.shape, absolute)
    rel = 1e-6 if approx.rel is None else float(approx.rel)
    return np.maximum(rel * np.abs(expected), absolute)


def compare_with_approx(expl, approx, max_lines=10):
    """Lines explaining why ``expl == pytest.approx(expected)`` is False."""
    lines = [f"{_short(expl)} == {approx!r}"[:200]]
    try:
        expected = np.asarray(approx.expected, dtype=float)
        expected = np.broadcast_to(expected, expl.values.shape) if expected.ndim == 0 else expected
    except (TypeError, ValueError):
        return lines + [f"pytest.approx compares the values of an Explanation: expected must "
                        f"be numbers of shape {expl.values.shape}."]
    if expected.shape != expl.values.shape:
        return lines + [f"shapes differ: the explanation's values {expl.values.shape}, "
                        f"expected {expected.shape}"]
    n, table = difference_table(expl.values, expected, column_labels(expl),
                                tolerance=_approx_tolerance(approx, expected),
                                max_lines=max_lines, names=("values", "expected"))
    lines.append(f"values differ beyond pytest.approx's tolerance at {n} of {expected.size} "
                 "entries:")
    return lines + ["  " + line for line in table]
