"""Assertion helpers on explanations: additivity and closeness.

Each helper raises ``AssertionError`` with what was measured, where and
against which threshold, and reports its verdict to the pytest plugin's
``--skexplain-report`` (:mod:`skexplain.testing._registry`).  Wrong arguments
raise ``TypeError``, ``KeyError`` or ``ValueError`` instead.
Failures are raised explicitly, never with ``assert``, so ``python -O`` cannot
silence them.  The feature helpers live in :mod:`._assertions_features`.
"""
import numbers

import numpy as np

from .._explanation_compare import column_labels, difference_table, structure_differences
from ._registry import record

__all__ = ["assert_additive", "assert_explanations_close"]

_SHOWN = 5  # worst rows listed in a message


# ---------------------------------------------------------------- shared checks
def check_explanation(explanation, name="explanation"):
    """Refuse anything but an :class:`~skexplain.Explanation` with a TypeError."""
    from ..explanation import Explanation

    if not isinstance(explanation, Explanation):
        raise TypeError(f"{name} must be a skexplain Explanation (explainer.explain(X) returns "
                        f"one); got {type(explanation).__name__}.")
    return explanation


def check_tolerance(value, name):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return float(value)


def select_one_output(explanation, output, helper):
    """``(explanation without output axis, label or None)`` for ``output``.

    A multi-output explanation needs ``output`` (a name or a position); a
    single-output one accepts None or an ``output`` that names its output.
    """
    if output is not None and (isinstance(output, (list, tuple, np.ndarray, bool))
                               or not isinstance(output, (str, numbers.Integral))):
        raise TypeError(f"output must be an output name (str) or position (int); got "
                        f"{output!r} ({type(output).__name__}).")
    names = explanation.output_names
    if not explanation.has_output_axis:
        only = names[0] if names else None
        if output is None:
            return explanation, None
        if str(output) == only or (isinstance(output, numbers.Integral)
                                   and not isinstance(output, bool) and output in (0, -1)):
            return explanation, only if only is not None else output
        raise ValueError(f"output={output!r}: this explanation has a single output "
                         f"(named {only!r}); leave output=None.")
    if output is None:
        if explanation.n_outputs == 1:
            return explanation.select_output(0), names[0] if names else 0
        example = names[-1] if names else explanation.n_outputs - 1
        raise ValueError(
            f"{helper} needs one output, and this explanation holds {explanation.n_outputs} "
            f"(output_names={names}); choose one by name or position, e.g. "
            f"output={example!r}.")
    try:
        index = explanation.output_index(output)
    except IndexError as exc:  # an argument error, not a lookup the caller can catch
        raise ValueError(str(exc)) from None
    return explanation.select_output(index), names[index] if names else index


def output_note(label):
    return "" if label is None else f" (output {label!r})"


def fail(helper, message, *, statistic, threshold, **details):
    __tracebackhide__ = True
    record(helper, passed=False, statistic=statistic, threshold=threshold, message=message,
           **details)
    raise AssertionError(message)


def abs_gap(a, b):
    """``|a - b|``, 0 where both are NaN and inf where only one is."""
    with np.errstate(invalid="ignore"):
        gap = np.abs(a - b)
    both = np.isnan(a) & np.isnan(b)
    return np.where(both, 0.0, np.where(np.isnan(gap), np.inf, gap))


def exceed_ratio(gap, tol):
    """``gap / tol`` (0 for no gap, inf for a NaN gap or a positive gap over tol=0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(gap > 0, gap / tol, 0.0)
    return np.where(np.isnan(gap), np.inf, ratio)


def worst_entry(gap, tol):
    """Flat index of the entry that exceeds its tolerance most (gap / tol)."""
    return int(np.argmax(exceed_ratio(gap, tol)))


# ------------------------------------------------------------------ additivity
def _prediction_array(prediction, expected_shape, full_shape, index):
    if hasattr(prediction, "detach"):  # a torch tensor, without importing torch
        prediction = prediction.detach().cpu().numpy()
    pred = np.asarray(prediction, dtype=float)
    if pred.shape == expected_shape:
        return pred
    if index is not None and pred.shape == full_shape:
        return pred[:, index]
    if len(expected_shape) == 1 and pred.shape == (expected_shape[0], 1):
        return pred[:, 0]
    raise ValueError(
        f"prediction must have shape {expected_shape} (the model output at each explained "
        f"row{', for the explained output' if len(expected_shape) == 1 else ''}, like "
        f"base_values); got {pred.shape}.")


def assert_additive(explanation, atol=1e-6, *, prediction=None, rtol=1e-5, output=None):
    """Assert that attributions add up to the model output (completeness).

    For every row (and output), ``sum(values) + base_values`` must equal the
    model output ``f(x)``: ``|gap| <= atol + rtol * |f(x)|`` with
    ``gap = sum(values) + base_values - f(x)``, the sum running over the
    feature axes.  Shapley explainers and IntegratedGradients,
    ExpectedGradients and DeepLIFT claim this property.

    ``f(x)`` comes from ``prediction`` when given; otherwise from the
    explanation's completeness gap ``delta``, which gradient explainers
    record.  Perturbation explainers do not store ``f(x)``: pass
    ``prediction`` (a ``ValueError`` says so otherwise).

    Parameters
    ----------
    explanation : Explanation
    atol : float, default=1e-6
        Absolute tolerance on the gap, in units of the model output.
    prediction : array-like of shape (n,) or (n, n_outputs), default=None
        The explained output of the model at the explained rows, e.g.
        ``model.predict_proba(X)`` for an explanation of every class, or
        ``model.predict_proba(X)[:, 1]`` for ``target=1``.
    rtol : float, default=1e-5
        Relative tolerance, a fraction of ``|f(x)|``: float32 torch models
        are exact to ~1e-7 of their output, float64 ones to ~1e-15, and a
        wrong attribution formula is off by a sizeable part of it.
    output : str or int, default=None
        Check only this output of a multi-output explanation (all by default).

    Returns
    -------
    None
        The helper returns nothing when the property holds.

    Raises
    ------
    AssertionError
        Naming the rows whose gap exceeds the tolerance, worst first.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skexplain import ExactShapley
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> model = LinearRegression().fit(X, X @ [1.0, -2.0, 0.5])
    >>> expl = ExactShapley(model).fit(X).explain(X[:5])
    >>> assert_additive(expl, prediction=model.predict(X[:5]))
    >>> assert_additive(expl, prediction=model.predict(X[:5]) + 0.1)
    Traceback (most recent call last):
    ...
    AssertionError: attributions do not add up to the model output for 5 of 5 rows...
    """
    __tracebackhide__ = True  # pytest shows the caller's frame, not the helper's
    check_explanation(explanation)
    atol, rtol = check_tolerance(atol, "atol"), check_tolerance(rtol, "rtol")
    full_shape, index, label = explanation.base_values.shape, None, None
    if output is not None:
        index = explanation.output_index(output) if explanation.has_output_axis else None
        explanation, label = select_one_output(explanation, output, "assert_additive")
    axes = tuple(range(1, explanation.values.ndim - explanation.has_output_axis))
    total = explanation.values.sum(axis=axes) + explanation.base_values
    if prediction is not None:
        fx = _prediction_array(prediction, total.shape, full_shape, index)
        source = "prediction"
    elif explanation.delta is not None:
        fx, source = total - explanation.delta, "the explanation's delta"
    else:
        method = explanation.metadata.get("method", "this explainer")
        raise ValueError(
            f"assert_additive needs the model output f(x) at the explained rows: {method}'s "
            "explanation has no completeness gap (delta); pass prediction=, e.g. "
            "model.predict(X) or model.predict_proba(X) for the explained output.")
    gap = total - fx
    tol = atol + rtol * np.abs(fx)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(gap) <= tol)
    worst = np.unravel_index(worst_entry(np.abs(gap), tol), gap.shape)
    statistic, threshold = float(np.abs(gap[worst])), float(tol[worst])
    if not bad.any():
        record("assert_additive", passed=True, statistic=statistic, threshold=threshold,
               output=label, source=source)
        return
    fail("assert_additive", _additive_message(explanation, total, fx, gap, tol, bad, label,
                                              (atol, rtol, source)),
         statistic=statistic, threshold=threshold, output=label, source=source)


def _additive_message(expl, total, fx, gap, tol, bad, label, how):
    atol, rtol, source = how
    rows = np.unique(np.nonzero(bad)[0])
    badness = np.where(bad, np.nan_to_num(np.abs(gap), nan=np.inf), -1.0).reshape(len(gap), -1)
    order = np.argsort(-badness.max(axis=1), kind="stable")[:_SHOWN]
    outputs = expl.output_names or [str(k) for k in range(expl.n_outputs)]
    lines = [f"attributions do not add up to the model output for {len(rows)} of "
             f"{len(gap)} rows{output_note(label)}: |sum(values) + base_values - f(x)| must "
             f"be at most atol={atol:g} + rtol={rtol:g} * |f(x)| (f(x) from {source}); largest "
             "gaps first:"]
    for r in order:
        if not bad[r].any():
            break
        for k in (np.flatnonzero(bad[r]) if gap.ndim == 2 else [None]):
            at = (r,) if k is None else (r, k)
            where = f"row {r}" + ("" if k is None else f", output {outputs[k]!r}")
            lines.append(f"  {where}: sum(values) + base_values = {total[at]:.6g}, f(x) = "
                         f"{fx[at]:.6g}, gap {gap[at]:+.3g} (tolerance {tol[at]:.3g})")
    if len(rows) > _SHOWN:
        lines.append(f"  ... and {len(rows) - _SHOWN} more rows")
    return "\n".join(lines)


# ------------------------------------------------------------------- closeness
def assert_explanations_close(a, b, rtol=1e-5, atol=1e-8, *, output=None):
    """Assert that two explanations hold the same attributions within a tolerance.

    ``a`` is compared with the reference ``b`` as :func:`numpy.isclose` does:
    ``|a - b| <= atol + rtol * |b|`` for every attribution and base value
    (NaN matches NaN).  Shapes, ``feature_names`` and ``output_names`` must be
    equal.  Use it to pin explanations across releases
    (``Explanation.save`` / ``Explanation.load``) or retrained models.

    Parameters
    ----------
    a, b : Explanation
        The explanation under test and the reference.
    rtol : float, default=1e-5
        Relative tolerance, a fraction of ``|b|``.
    atol : float, default=1e-8
        Absolute tolerance.
    output : str or int, default=None
        Compare only this output of multi-output explanations (all by default).

    Returns
    -------
    None
        The helper returns nothing when the property holds.

    Raises
    ------
    AssertionError
        With a per-feature table of the differing attributions, worst first.

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain import Explanation
    >>> ref = Explanation(np.array([[1.0, 2.0]]), np.zeros(1), feature_names=["a", "b"])
    >>> new = Explanation(np.array([[1.0, 2.5]]), np.zeros(1), feature_names=["a", "b"])
    >>> assert_explanations_close(new, ref, atol=0.6)
    >>> assert_explanations_close(new, ref)
    Traceback (most recent call last):
    ...
    AssertionError: explanations differ: 1 of 2 attributions ...
    """
    __tracebackhide__ = True  # pytest shows the caller's frame, not the helper's
    check_explanation(a, "a")
    check_explanation(b, "b")
    rtol, atol = check_tolerance(rtol, "rtol"), check_tolerance(atol, "atol")
    label = None
    if output is not None:
        a, label = select_one_output(a, output, "assert_explanations_close")
        b, _ = select_one_output(b, output, "assert_explanations_close")
    structure = structure_differences(a, b)
    if structure:
        fail("assert_explanations_close",
             "explanations differ in structure" + output_note(label) + ":\n  "
             + "\n  ".join(structure), statistic=None, threshold=None, output=label)
    tol, base_tol = atol + rtol * np.abs(b.values), atol + rtol * np.abs(b.base_values)
    gaps = np.concatenate([abs_gap(a.values, b.values).ravel(),
                           abs_gap(a.base_values, b.base_values).ravel()])
    tols = np.concatenate([tol.ravel(), base_tol.ravel()])
    worst = worst_entry(gaps, tols)
    statistic, threshold = float(gaps[worst]), float(tols[worst])
    n_values, table = difference_table(a.values, b.values, column_labels(a), tolerance=tol,
                                       names=("a", "b"))
    base_gap = abs_gap(a.base_values, b.base_values)
    n_base = int(np.sum(~(base_gap <= base_tol)))
    if not (n_values or n_base):
        record("assert_explanations_close", passed=True, statistic=statistic,
               threshold=threshold, output=label)
        return
    message = (f"explanations differ: {n_values} of {a.values.size} attributions and "
               f"{n_base} of {a.base_values.size} base values beyond atol={atol:g} + "
               f"rtol={rtol:g} * |b|{output_note(label)}.")
    if n_base:
        worst_base = np.unravel_index(worst_entry(base_gap, base_tol), b.base_values.shape)
        message += (f"\n  base_values: largest difference at row {worst_base[0]}: "
                    f"a={a.base_values[worst_base]:.6g}, b={b.base_values[worst_base]:.6g}")
    if n_values:
        message += "\n  " + "\n  ".join(table)
    fail("assert_explanations_close", message, statistic=statistic, threshold=threshold,
         output=label)
