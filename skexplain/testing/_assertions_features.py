"""Assertion helpers on features: top features, unused features, direction of effect.

They read one output of an explanation with one feature axis (tabular
explanations).  Global importance is the mean absolute attribution over the
explained rows (``aggregate="mean_abs"``) or its root mean square (``"rms"``),
as :meth:`skexplain.Explanation.global_importance` computes it.
"""
import numbers

import numpy as np
from scipy.stats import rankdata

from ._assertions import check_explanation, fail, output_note, select_one_output
from ._registry import record

__all__ = ["assert_feature_unused", "assert_sign", "assert_top_features"]

_AGGREGATES = {"mean_abs": "mean |attribution|", "rms": "root mean square attribution"}


def _tabular(explanation, output, helper):
    """``(explanation of one output, output label, feature labels)``."""
    check_explanation(explanation)
    explanation, label = select_one_output(explanation, output, helper)
    if len(explanation.feature_shape) != 1 or explanation.metadata.get("interactions"):
        raise ValueError(f"{helper} needs attributions with one feature axis (tabular); this "
                         f"explanation has feature shape {explanation.feature_shape}.")
    names = explanation.feature_names or [f"x{i}" for i in range(explanation.feature_shape[0])]
    return explanation, label, names


def _positions(features, names, param):
    """Positions of ``features`` (a name, a position or a list of them), in order."""
    single = isinstance(features, (str, numbers.Integral))
    items = [features] if single else features
    if not isinstance(items, (list, tuple)) or not items:
        raise TypeError(f"{param} must be a feature name or position, or a non-empty list of "
                        f"them; got {features!r}.")
    found = []
    for f in items:
        if isinstance(f, str):
            if f not in names:
                raise KeyError(f"{param}: unknown feature {f!r}; known features: {names}.")
            found.append(names.index(f))
        elif isinstance(f, numbers.Integral) and not isinstance(f, bool):
            if not -len(names) <= f < len(names):
                raise ValueError(f"{param}: feature position {f} is out of range for "
                                 f"{len(names)} features {names}.")
            found.append(int(f) % len(names))
        else:
            raise TypeError(f"{param} must hold feature names (str) or positions (int); got "
                            f"{f!r} ({type(f).__name__}).")
    if len(set(found)) != len(found):
        raise ValueError(f"{param} names a feature twice: {features!r}.")
    return found


def _importance(explanation, aggregate, helper, names, label):
    """Global importance per feature; non-finite attributions fail the assertion."""
    if not isinstance(aggregate, str) or aggregate not in _AGGREGATES:
        raise ValueError(f"aggregate must be one of {sorted(_AGGREGATES)}; got {aggregate!r}.")
    bad = ~np.isfinite(explanation.values)
    if bad.any():
        rows, cols = np.nonzero(bad)
        fail(helper, f"attributions are not finite (NaN or inf){output_note(label)} for "
             f"features {sorted({names[c] for c in cols})} in rows "
             f"{sorted(set(rows.tolist()))[:10]}", statistic=None, threshold=None,
             output=label)
    return explanation.global_importance(aggregate)


def _ranking(importance, names, shown):
    """``"1. age 0.21 (52%), 2. ..."`` for the ``shown`` most important features."""
    total = importance.sum()
    order = np.argsort(-importance, kind="stable")[:shown]
    return ", ".join(f"{i + 1}. {names[j]} {importance[j]:.4g}"
                     + (f" ({importance[j] / total:.1%})" if total > 0 else "")
                     for i, j in enumerate(order))


def assert_top_features(explanation, expected, k=None, aggregate="mean_abs", *,
                        ordered=False, output=None):
    """Assert that the given features are among the ``k`` most important.

    A feature is among the top ``k`` when fewer than ``k`` *other* features
    have an importance at least as large: a tie at the boundary fails, so
    an explanation of all zeros never passes by accident.

    Parameters
    ----------
    explanation : Explanation
        Tabular attributions (one feature axis).
    expected : str, int or list of str or int
        Feature names (or positions).
    k : int, default=None
        How many top places count; None uses ``len(expected)``.  Must be in
        ``[len(expected), n_features]``.
    aggregate : {"mean_abs", "rms"}, default="mean_abs"
        Global importance of a feature over the explained rows.
    ordered : bool, default=False
        Also require the ranking order: ``expected[0]`` first, ``expected[1]``
        second, ...; then ``k`` must be None or ``len(expected)``.
    output : str or int, default=None
        The output to read; required when the explanation has several.

    Returns
    -------
    None
        The helper returns nothing when the property holds.

    Raises
    ------
    AssertionError
        Naming the missing features, their rank and the ranking.

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain import Explanation
    >>> expl = Explanation(np.array([[3.0, -1.0, 0.2], [2.0, 1.5, -0.1]]), np.zeros(2),
    ...                    feature_names=["income", "age", "zip"])
    >>> assert_top_features(expl, ["income", "age"])
    >>> assert_top_features(expl, "zip", k=2)
    Traceback (most recent call last):
    ...
    AssertionError: features ['zip'] are not among the top 2 by mean |attribution| ...
    """
    __tracebackhide__ = True  # pytest shows the caller's frame, not the helper's
    explanation, label, names = _tabular(explanation, output, "assert_top_features")
    wanted = _positions(expected, names, "expected")
    if k is None:
        k = len(wanted)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not (
            len(wanted) <= k <= len(names)):
        raise ValueError(f"k must be an integer from len(expected)={len(wanted)} to the number "
                         f"of features {len(names)}; got {k!r}.")
    if ordered and k != len(wanted):
        raise ValueError(f"ordered=True checks the first len(expected)={len(wanted)} places; "
                         f"k must be None or {len(wanted)}; got {k}.")
    imp = _importance(explanation, aggregate, "assert_top_features", names, label)
    # strict rank: 1 + the number of *other* features at least as important
    rank = {j: int(np.sum(imp >= imp[j])) for j in wanted}
    if ordered:
        missing = [j for i, j in enumerate(wanted)
                   if not all(imp[j] > imp[o] for o in range(len(names))
                              if o not in wanted[:i + 1])]
    else:
        missing = [j for j in wanted if rank[j] > k]
    statistic = max(rank.values())
    if not missing:
        record("assert_top_features", passed=True, statistic=statistic, threshold=k,
               output=label, aggregate=aggregate)
        return
    by = f"{_AGGREGATES[aggregate]}{output_note(label)} over {explanation.n_rows} rows"
    detail = "; ".join(f"{names[j]!r} has {imp[j]:.4g} and {rank[j] - 1} other features at "
                       f"least as much" for j in missing)
    message = (f"the ranking by {by} does not start with {[names[j] for j in wanted]} in this "
               f"order: {detail}." if ordered else
               f"features {[names[j] for j in missing]} are not among the top {k} by {by}: "
               f"{detail}.")
    message += f"\n  ranking: {_ranking(imp, names, max(k, statistic) + 2)}"
    fail("assert_top_features", message, statistic=statistic, threshold=k, output=label,
         aggregate=aggregate)


def assert_feature_unused(explanation, feature, max_share=0.01, *, aggregate="mean_abs",
                          output=None):
    """Assert that a feature takes at most ``max_share`` of the total importance.

    The share of a feature is its importance (mean absolute attribution by default)
    divided by the sum over all features.  For Shapley values of a model that
    never reads the feature the share is exactly zero (the dummy axiom).

    Parameters
    ----------
    explanation : Explanation
        Tabular attributions (one feature axis).
    feature : str, int or list of str or int
        The feature(s) that must be unused; each is checked on its own.
    max_share : float, default=0.01
        Largest share allowed, in ``[0, 1)``.
    aggregate : {"mean_abs", "rms"}, default="mean_abs"
    output : str or int, default=None
        The output to read; required when the explanation has several.

    Returns
    -------
    None
        The helper returns nothing when the property holds.

    Raises
    ------
    AssertionError
        With the feature's share and the rows where it weighs most.

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain import Explanation
    >>> expl = Explanation(np.array([[3.0, 0.0], [2.0, 0.5]]), np.zeros(2),
    ...                    feature_names=["income", "gender"])
    >>> assert_feature_unused(expl, "gender", max_share=0.1)
    >>> assert_feature_unused(expl, "gender")
    Traceback (most recent call last):
    ...
    AssertionError: feature 'gender' is used: 9.09% of the total mean |attribution| ...
    """
    __tracebackhide__ = True  # pytest shows the caller's frame, not the helper's
    explanation, label, names = _tabular(explanation, output, "assert_feature_unused")
    which = _positions(feature, names, "feature")
    ok = isinstance(max_share, numbers.Real) and not isinstance(max_share, bool)
    if not (ok and 0 <= max_share < 1):
        raise ValueError(f"max_share must be a number in [0, 1); got {max_share!r}.")
    imp = _importance(explanation, aggregate, "assert_feature_unused", names, label)
    total = imp.sum()
    share = imp / total if total > 0 else np.zeros_like(imp)
    used = [j for j in which if not share[j] <= max_share]
    statistic = float(max(share[j] for j in which))
    if not used:
        record("assert_feature_unused", passed=True, statistic=statistic,
               threshold=float(max_share), output=label, aggregate=aggregate)
        return
    values = np.abs(explanation.values)
    row_total = values.sum(axis=1)
    lines = []
    for j in used:
        rows = [r for r in np.argsort(-values[:, j], kind="stable")[:5] if values[r, j] > 0]
        top = ", ".join(f"row {r}: {explanation.values[r, j]:+.4g}"
                        + (f" ({values[r, j] / row_total[r]:.0%} of the row)"
                           if row_total[r] > 0 else "") for r in rows)
        lines.append(f"feature {names[j]!r} is used: {share[j]:.2%} of the total "
                     f"{_AGGREGATES[aggregate]} ({imp[j]:.4g} of {total:.4g}) over "
                     f"{explanation.n_rows} rows{output_note(label)}, threshold: at most "
                     f"{max_share:.2%}.\n  largest attributions: {top}")
    fail("assert_feature_unused", "\n".join(lines), statistic=statistic,
         threshold=float(max_share), output=label, aggregate=aggregate)


_SIGNS = {"positive": 1, "negative": -1, 1: 1, -1: -1}


def _numeric_column(explanation, j, name):
    """The feature's data as floats (NaN where missing); strings are refused."""
    data = explanation.data
    groups = explanation.metadata.get("params", {}).get("feature_groups", "None")
    if groups != "None":
        # a group's attribution has no single column of data to correlate with,
        # and a group's position need not be its column's position
        raise ValueError(f"assert_sign needs one attribution per data column; this explanation "
                         f"attributes feature groups (feature_groups={groups}), whose values "
                         "are not one column of explanation.data. Explain without "
                         "feature_groups to test the direction of a feature's effect.")
    if data is None or data.ndim != 2 or data.shape[1] != explanation.feature_shape[0]:
        raise ValueError(f"assert_sign needs the explained rows in explanation.data (one "
                         f"column per feature); got "
                         f"{'no data' if data is None else f'data of shape {data.shape}'}.")
    column = data[:, j]
    if column.dtype.kind in "biuf":
        return column.astype(float)
    values = np.full(len(column), np.nan)
    for i, v in enumerate(column):
        if isinstance(v, (str, bytes)):
            raise ValueError(f"feature {name!r} holds strings (e.g. {v!r}): a direction of "
                             "effect needs ordered numbers; assert_sign applies to numeric "
                             "features only.")
        if isinstance(v, numbers.Real):
            values[i] = float(v)
        elif not (v is None or _is_missing(v)):
            raise ValueError(f"feature {name!r} holds {type(v).__name__} values (e.g. {v!r});"
                             " assert_sign applies to numeric features only.")
    return values


def _is_missing(v):
    try:
        return bool(v != v) or type(v).__name__ in ("NAType", "NaTType")
    except TypeError:  # pd.NA refuses bool()
        return True


def _spearman(x, y):
    rx, ry = rankdata(x), rankdata(y)
    return float(np.corrcoef(rx, ry)[0, 1])


def assert_sign(explanation, feature, sign, *, min_correlation=0.5, output=None):
    """Assert the direction of a feature's effect: attributions grow with its value.

    The direction is the sign of the Spearman rank correlation, over the
    explained rows, between the feature's values (``explanation.data``) and its
    attributions: for a model whose output increases with the feature
    (``sign="positive"``) the attribution of a row with a larger value is
    larger.  For an additive model the Shapley value of feature ``j`` is
    ``f_j(x_j) - E f_j(X_j)``, a monotone function of ``x_j``, and the
    correlation is 1.  The test needs rows where the feature varies; rows
    where it is missing (None, NaN) are left out.

    Parameters
    ----------
    explanation : Explanation
        Tabular attributions (one feature axis) with ``data``.
    feature : str or int
        A numeric feature (strings are refused with a ``ValueError``).
    sign : {"positive", "negative", 1, -1}
        The expected direction.
    min_correlation : float, default=0.5
        The correlation must be at least this (``"positive"``) or at most
        its opposite (``"negative"``); in ``(0, 1]``.
    output : str or int, default=None
        The output to read; required when the explanation has several.

    Returns
    -------
    None
        The helper returns nothing when the property holds.

    Raises
    ------
    AssertionError
        With the correlation and the mean attribution at the feature's
        lowest and highest values.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skexplain import ExactShapley
    >>> X = np.random.default_rng(0).normal(size=(40, 2))
    >>> model = LinearRegression().fit(X, 2 * X[:, 0] - X[:, 1])
    >>> expl = ExactShapley(model).fit(X).explain(X[:20])
    >>> assert_sign(expl, 0, "positive")
    >>> assert_sign(expl, 1, "positive")
    Traceback (most recent call last):
    ...
    AssertionError: feature 'x1' does not have a positive effect: ...
    """
    __tracebackhide__ = True  # pytest shows the caller's frame, not the helper's
    explanation, label, names = _tabular(explanation, output, "assert_sign")
    if isinstance(sign, bool) or not isinstance(sign, (str, numbers.Integral)) or (
            sign not in _SIGNS):
        raise ValueError(f"sign must be 'positive', 'negative', 1 or -1; got {sign!r}.")
    direction = _SIGNS[sign]
    ok = isinstance(min_correlation, numbers.Real) and not isinstance(min_correlation, bool)
    if not (ok and 0 < min_correlation <= 1):
        raise ValueError(f"min_correlation must be a number in (0, 1]; got "
                         f"{min_correlation!r}.")
    if not isinstance(feature, (str, numbers.Integral)):
        raise TypeError(f"feature must be one feature name or position; got {feature!r}.")
    (j,) = _positions(feature, names, "feature")
    x = _numeric_column(explanation, j, names[j])
    keep = ~np.isnan(x)
    x, phi = x[keep], explanation.values[keep, j]
    if len(x) < 3 or np.all(x == x[0]):
        raise ValueError(f"feature {names[j]!r} must take at least two values over at least 3 "
                         f"explained rows (missing values left out); got {len(x)} rows with "
                         f"values {np.unique(x)[:5].tolist()}. Explain rows where it varies.")
    word = "positive" if direction > 0 else "negative"
    threshold = direction * float(min_correlation)
    constant = bool(np.all(phi == phi[0]))
    rho = 0.0 if constant else _spearman(x, phi)
    if direction * rho >= min_correlation:
        record("assert_sign", passed=True, statistic=rho, threshold=threshold,
               feature=names[j], sign=word, output=label)
        return
    order = np.argsort(x, kind="stable")
    m = max(1, len(x) // 5)
    low, high = order[:m], order[-m:]
    message = (f"feature {names[j]!r} does not have a {word} effect{output_note(label)}: "
               + (f"its attributions are constant ({phi[0]:.4g}) over {len(x)} rows"
                  if constant else
                  f"the Spearman correlation between its values and its attributions over "
                  f"{len(x)} rows is {rho:.3f}")
               + f" (threshold: {'at least' if direction > 0 else 'at most'} {threshold:g}).\n"
               f"  mean attribution at its {m} lowest values ({x[low].min():.4g} to "
               f"{x[low].max():.4g}): {phi[low].mean():+.4g}; at its {m} highest "
               f"({x[high].min():.4g} to {x[high].max():.4g}): {phi[high].mean():+.4g}")
    fail("assert_sign", message, statistic=rho, threshold=threshold, feature=names[j],
         sign=word, output=label)
