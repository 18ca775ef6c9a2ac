"""Per-row baselines for the perturbation explainers: a one-row background per row.

With ``explain(X, baselines=R)`` row ``i`` is explained against the single
reference ``R[i]``: its interventional Shapley values (or occlusion
differences, or LIME's surrogate with ``R[i]`` as the "off" value) with the
background replaced by that one row, ``base_values[i] = f(R[i])``.

Rows sharing a reference are explained together by a *rebased* shallow copy
of the fitted explainer, whose background is that row: every guarantee of the
explainer (efficiency, standard errors, ``tol``, ``link``) holds as if it had
been fitted on it, and the explainer itself is never changed.  A single
reference (one row or a number for every row) costs what a one-row background
costs; ``n`` distinct references cost ``n`` explain calls of one row each.
"""
import copy

import numpy as np
import pandas as pd

from ..explanation import Explanation
from ..utils._baselines import check_baselines
from ..utils._dtypes import align_rows
from ..utils._validation import select_rows
from ._coalitions import CoalitionEvaluator

__all__ = ["align_together", "check_perturbation_baselines", "explain_against", "rebased",
           "same_rows"]


def check_perturbation_baselines(explainer, X, baselines):
    """``baselines`` validated for ``explainer`` (which may refuse them first)."""
    refuse = getattr(explainer, "_refuse_baselines", None)
    if refuse is not None:
        refuse()
    data = check_baselines(explainer, baselines, X.shape[0])
    _refuse_new_nan(explainer.background_, data)
    return data.reset_index(drop=True) if hasattr(data, "iloc") else data


def _refuse_new_nan(background, data, name="baselines"):
    """Refuse NaN in a column of ``data`` where the background has none.

    NaN where the background has NaN too is the user's data (a pipeline
    that imputes); elsewhere it would reach the model as a value it never
    saw in the reference, and its error would not name ``baselines``.
    """
    if hasattr(background, "columns") and hasattr(data, "columns"):
        data = data[list(background.columns)]
    new, old = _nan_columns(data), _nan_columns(background)
    if new.shape != old.shape or not (new & ~old).any():
        return
    new &= ~old
    col = int(np.flatnonzero(new)[0])
    where = (f"column {background.columns[col]!r}" if hasattr(background, "columns")
             else f"feature {col} (flat index)")
    raise ValueError(
        f"{name} hold NaN in {int(new.sum())} feature(s), e.g. {where}, where the background "
        "has none: the model would be evaluated on missing values it was not given at fit. "
        f"Pass finite {name} (NaN is accepted only where the background itself has NaN, "
        "for models that impute).")


def _nan_columns(data):
    """Per flat feature: whether any row holds NaN (or None in object columns)."""
    if hasattr(data, "iloc"):
        return data.isna().to_numpy().any(axis=0)
    values = np.asarray(data.detach().cpu() if hasattr(data, "detach") else data)
    flat = values.reshape(values.shape[0], -1)
    if flat.dtype.kind == "O":
        return pd.isna(flat).any(axis=0)
    if flat.dtype.kind in "fc":
        return np.isnan(flat).any(axis=0)
    return np.zeros(flat.shape[1], dtype=bool)


def rebased(explainer, reference, preds=None):
    """A shallow copy of the fitted ``explainer`` refitted on the one row ``reference``.

    Only the background-dependent state is recomputed (``_fit`` runs on the
    copy); the model adapter is shared.  ``preds`` (1, n_outputs): the
    model's output at ``reference``, if known.
    """
    view = copy.copy(explainer)
    if preds is None:
        preds = CoalitionEvaluator(explainer.model_, reference).background_predictions
    view.background_ = reference
    view.background_weights_ = None
    view._set_background_predictions(preds)
    view._fit(reference)
    return view


def explain_against(explainer, X, baselines, explain_rows):
    """Explain each row of ``X`` against its own row of ``baselines``.

    Parameters
    ----------
    explainer : fitted perturbation explainer
    X, baselines : ndarray or DataFrame of shape (n, \\*feature_shape)
    explain_rows : callable
        ``explain_rows(view, rows, X_rows) -> Explanation`` explains the rows
        ``rows`` (positions in X), given as ``X_rows``, with the rebased
        explainer ``view``.

    Returns
    -------
    Explanation
        The rows in the order of X; ``metadata["baselines"]`` is True and
        ``metadata["n_references"]`` counts the distinct references.
    """
    n = X.shape[0]
    X, baselines = align_together(explainer.background_, X, baselines)
    groups = same_rows(baselines)
    firsts = np.array([rows[0] for rows in groups])
    # the references' outputs in one call (their rows of the model's input)
    references = select_rows(baselines, firsts)
    preds = CoalitionEvaluator(explainer.model_, references).background_predictions
    parts = []
    for j, rows in enumerate(groups):
        view = rebased(explainer, select_rows(baselines, rows[:1]), preds[j:j + 1])
        parts.append(explain_rows(view, rows, X if len(groups) == 1 else select_rows(X, rows)))
    expl = stack_rows(parts, groups, n)
    expl.metadata.update(baselines=True, n_references=len(groups))
    return expl


def align_together(background, X, baselines):
    """X and the references with the same hybrid dtypes (categories, ints vs floats)."""
    if not isinstance(X, pd.DataFrame):
        return X, baselines
    both = align_rows(background, pd.concat([X, baselines], ignore_index=True))
    return both.iloc[:X.shape[0]], both.iloc[X.shape[0]:].reset_index(drop=True)


def same_rows(baselines):
    """Positions of equal rows, grouped, in order of first appearance (list of int arrays).

    Rows are compared by their bytes (arrays) or values (DataFrames); equal
    rows that compare unequal (NaN) only form separate groups.
    """
    n = baselines.shape[0]
    if hasattr(baselines, "iloc"):
        keys = list(baselines.itertuples(index=False, name=None))
    else:
        flat = np.ascontiguousarray(np.asarray(baselines).reshape(n, -1))
        keys = [row.tobytes() for row in flat] if flat.dtype.kind != "O" else [
            tuple(row) for row in flat]
    groups = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return [np.asarray(rows) for rows in groups.values()]


def stack_rows(parts, groups, n):
    """One Explanation from ``parts[g]`` explaining the rows ``groups[g]`` of X."""
    if len(parts) == 1:
        return parts[0]
    inverse = np.empty(n, dtype=int)
    inverse[np.concatenate(groups)] = np.arange(n)

    def cat(arrays):
        return None if any(a is None for a in arrays) else np.concatenate(arrays)[inverse]

    first = parts[0]
    names = first.output_names if all(p.output_names == first.output_names for p in parts) else None
    extras = {k: cat([p.extras[k] for p in parts]) for k in first.extras}
    return Explanation(
        cat([p.values for p in parts]), cat([p.base_values for p in parts]),
        cat([p.data for p in parts]), first.feature_names, names,
        stderr=cat([p.stderr for p in parts]), delta=cat([p.delta for p in parts]),
        extras=extras, metadata=_merge_metadata([p.metadata for p in parts], groups, inverse))


# metadata lists with one entry per explained row (KernelSHAP's tol, Occlusion's targets)
_PER_ROW = {"converged", "selected_outputs"}


def _merge_metadata(metas, groups, inverse):
    """Entries shared by every part once; model rows summed; per-row lists reordered."""
    merged = {}
    for key in metas[0]:
        values = [m.get(key) for m in metas]
        per_row = all(isinstance(v, list) and len(v) == len(g) for v, g in zip(values, groups))
        if key == "n_model_rows":
            merged[key] = int(sum(values))
        elif key in _PER_ROW and per_row:
            flat = [item for v in values for item in v]
            merged[key] = [flat[i] for i in inverse]
        elif all(_equal(v, values[0]) for v in values):
            merged[key] = values[0]
        elif per_row:
            flat = [item for v in values for item in v]
            merged[key] = [flat[i] for i in inverse]
        else:  # differs by reference: one entry per distinct reference
            merged[key] = values
    return merged


def _equal(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays: no single truth value
        return False
