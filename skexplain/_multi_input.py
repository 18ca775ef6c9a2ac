"""Several attributed inputs and ``additional_forward_args`` for every explainer.

``fit`` and ``explain`` pack a tuple of inputs into one array of rows (see
:mod:`skexplain.utils._inputs`) so that the explainers' machinery runs
unchanged on a torch adapter that unpacks them; the packed explanation is
split back into one :class:`~skexplain.Explanation` per input.

Extra forward arguments follow captum's rule: every tensor or array is per
row, anything else is passed as is.  The gradient engine gathers them by the
explained row of every point; the perturbation explainers explain each row
with a model bound to that row's arguments (so every hybrid of row ``r``
carries ``r``'s mask), its base value being the background mean with those
arguments.  Per-row ``baselines`` (a tuple like ``X``, checked and packed by
:func:`skexplain.utils._baselines.check_baselines`) compose with them: the
copy bound to row ``r``'s arguments explains ``r`` against its reference.
"""
import copy

import numpy as np

from .adapters import is_torch_module
from .explanation import Explanation
from .utils._inputs import (InputSpec, check_forward_args, has_row_args, is_input_tuple,
                            pack_inputs)
from .utils._validation import select_rows

__all__ = ["explain_rows_with_args", "packed_adapter", "prepare_explain", "prepare_fit",
           "split_explanation"]


def _torch_module(explainer):
    """The torch module explained, or None (scikit-learn models, wrapped explainers)."""
    model = explainer.model
    return model if is_torch_module(model) else None


def prepare_fit(explainer, X, forward_args):
    """``(background, spec, args)``: packed background rows, their spec (None for one
    input) and the checked ``additional_forward_args`` of the background rows."""
    module = _torch_module(explainer)
    several = is_input_tuple(X)
    if not several and forward_args is None:
        return X, None, None
    cls = type(explainer).__name__
    if module is None:
        what = "several inputs (a tuple)" if several else "additional_forward_args"
        if hasattr(explainer.model, "explain"):  # SmoothGrad around an explainer
            raise TypeError(
                f"{cls} wrapping {type(explainer.model).__name__} does not take {what}; pass "
                f"the torch module itself: {cls}(module).")
        raise TypeError(
            f"{cls} takes {what} for torch modules only (forward(input_0, input_1, ..., "
            f"*additional_forward_args)); the model is a {type(explainer.model).__name__}. "
            "Pass the background as one array.")
    spec = None
    if several:
        _check_forward_takes(module, len(X), cls)
        spec = InputSpec.from_inputs(X, name="background")
        X = pack_inputs(X, spec, name="background")
        if hasattr(X, "detach"):
            X = X.detach().cpu().numpy()
    return X, spec, _checked_args(module, X, forward_args)


def _checked_args(module, X, forward_args):
    """``additional_forward_args`` checked against the rows of ``X`` (an array, a
    tensor, or a list of rows), their arrays made tensors on the module's device."""
    from .adapters._torch import module_device, module_dtype

    n = len(X) if isinstance(X, (tuple, list)) else X.shape[0]
    return check_forward_args(forward_args, n, device=module_device(module),
                              float_dtype=module_dtype(module))


def _check_forward_takes(module, k, cls):
    """Refuse a tuple of ``k`` inputs for a ``forward`` taking fewer positional arguments
    (rows given as a tuple would otherwise fail inside the module's call)."""
    import inspect

    try:
        params = inspect.signature(module.forward).parameters.values()
    except (TypeError, ValueError):  # no signature to read: the call will tell
        return
    kinds = [p.kind for p in params]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return
    takes = sum(kind in (inspect.Parameter.POSITIONAL_ONLY,
                         inspect.Parameter.POSITIONAL_OR_KEYWORD) for kind in kinds)
    if takes < k:
        raise ValueError(
            f"{cls}.fit got a tuple of {k} entries, which is read as several inputs, one per "
            f"argument of forward; but {type(module).__name__}.forward takes {takes} "
            f"positional argument{'s' * (takes != 1)}. Pass rows as one array or tensor, "
            "or as a list of rows.")


def packed_adapter(explainer, background, *, integer_inputs, batch_size=None):
    """The torch adapter for a packed (or argument-taking) fit; None otherwise."""
    spec = getattr(explainer, "input_spec_", None)
    args = getattr(explainer, "_fit_forward_args", None)
    if spec is None and args is None:
        return None
    if spec is None:
        from .adapters._torch import TorchModel

        return TorchModel(explainer.model, output=explainer.output, sample=background,
                          batch_size=batch_size, integer_inputs=integer_inputs,
                          forward_args=args)
    from .adapters._torch_packed import PackedTorchModel

    return PackedTorchModel(explainer.model, spec, output=explainer.output, sample=background,
                            batch_size=batch_size, integer_inputs=integer_inputs,
                            forward_args=args)


def prepare_explain(explainer, X, forward_args):
    """``(rows, args)``: ``X`` packed as at fit, ``additional_forward_args`` checked."""
    spec = getattr(explainer, "input_spec_", None)
    several = is_input_tuple(X) or (spec is not None and isinstance(X, tuple))
    cls = type(explainer).__name__
    if spec is None and several:
        raise ValueError(
            f"X is a tuple of {len(X)} inputs, but {cls} was fitted on a single input; "
            "fit it on a tuple of background inputs (one per input of the model) first.")
    if spec is not None:
        if not several:
            raise ValueError(
                f"X must be a tuple of {spec.n_inputs} inputs like the background {cls} was "
                f"fitted on; got a single {type(X).__name__}.")
        X = pack_inputs(X, spec, name="X")
    if forward_args is None:
        if getattr(explainer, "_fitted_with_forward_args", False):
            raise TypeError(
                f"{cls} was fitted with additional_forward_args, so explain needs them too: "
                "pass additional_forward_args=... for the rows of X (the base values were "
                "computed with the fit-time arguments; without them the model would run "
                "with its defaults). To explain without arguments, fit without them.")
        return X, None
    module = _torch_module(explainer)
    if module is None:
        raise TypeError(f"{cls} takes additional_forward_args for torch modules only; the "
                        f"model is a {type(explainer.model).__name__}.")
    return X, _checked_args(module, X, forward_args)


def split_explanation(explainer, expl):
    """One Explanation per input (a tuple) from the explanation of packed rows.

    ``base_values`` and ``delta`` (the completeness gap of the sum over all
    inputs) are the same in each; ``metadata["input"]`` is the input's position.
    """
    spec = explainer.input_spec_
    if tuple(expl.feature_shape) != (spec.width,) or getattr(
            explainer, "feature_groups_", None) is not None:
        return expl  # at a layer (one tensor), or over groups of the packed columns
    n, out = expl.n_rows, expl.values.shape[2:]
    data = spec.unpack_numpy(expl.data) if expl.data is not None else [None] * spec.n_inputs
    parts = []
    for k, shape in enumerate(spec.shapes):
        cols = spec.columns(k)
        values = expl.values[:, cols].reshape((n,) + shape + out)
        stderr = None if expl.stderr is None else expl.stderr[:, cols].reshape(values.shape)
        names = expl.feature_names[cols] if expl.feature_names and len(shape) == 1 else None
        parts.append(Explanation(values, expl.base_values, data[k], names, expl.output_names,
                                 stderr=stderr, delta=expl.delta, extras=expl.extras,
                                 metadata={**expl.metadata, "input": k}))
    return tuple(parts)


def explain_rows_with_args(explainer, X, target, args, baselines=None):
    """A perturbation explainer's explanation with ``additional_forward_args``.

    Each row is explained by a shallow copy of the explainer whose model
    passes that row's arguments with every hybrid of the row (shared
    arguments only: all rows at once), its background predictions and base
    value recomputed with them.  The explainer itself is not changed.  With
    per-row ``baselines`` the bound copy then explains its row against the
    row's reference (a copy rebased on it, see
    :mod:`skexplain.perturbation._baselines`), so ``f(r_i)`` and every hybrid
    of ``x_i`` and ``r_i`` get row ``i``'s arguments.
    """
    n = X.shape[0]
    groups = [np.arange(n)] if not has_row_args(args) else [np.array([r]) for r in range(n)]
    per_row = np.ndim(target) == 1 and len(target) == n
    parts = []
    for rows in groups:
        bound = _bound_copy(explainer, args, int(rows[0]), background=baselines is None)
        sub_target = [target[r] for r in rows] if per_row else target
        extra = {} if baselines is None else {"baselines": select_rows(baselines, rows)}
        parts.append(bound._explain(select_rows(X, rows), target=sub_target, **extra))
    from .perturbation._baselines import same_rows, stack_rows

    expl = stack_rows(parts, groups, n)  # per-row metadata kept per row, model rows summed
    if baselines is not None and len(parts) > 1:
        expl.metadata["n_references"] = len(same_rows(baselines))
    return expl


def _bound_copy(explainer, args, row, *, background=True):
    """A shallow copy of a fitted explainer evaluating its model with ``row``'s arguments.

    ``background=False``: the background's predictions are not recomputed
    (per-row baselines replace the background before they are read).
    """
    bound = copy.copy(explainer)
    bound.model_ = explainer.model_.bind_args(args, row=row)
    if not background:
        return bound
    bound._set_background_predictions(bound.model_.predict(explainer.background_))
    if getattr(explainer, "link", "identity") != "identity":
        bound._fit_link()
    if hasattr(explainer, "reference_prediction_"):  # Occlusion: its one reference row
        ref = bound.model_.predict(explainer.reference_)
        bound.reference_prediction_ = float(ref[0, 0]) if ref.shape[1] == 1 else ref[0]
    return bound
