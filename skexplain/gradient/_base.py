"""``GradientMixin``: the contract shared by every gradient explainer.

A gradient explainer is ``class X(GradientMixin, BaseExplainer)`` and
implements ``_attribute(engine, x, targets, outputs)``.  The mixin builds the
torch adapter in ``fit`` (converting scikit-learn MLPs and linear models),
keeps tensors as tensors in ``explain``, resolves the target (default: the
predicted class) and assembles the :class:`~skexplain.Explanation`: values of
the input's shape with no output axis, ``base_values`` = background mean of
the target output, and ``delta`` for the methods with a completeness property.
This module does not import torch; the engine is imported when explaining.
"""
from numbers import Integral

import numpy as np

from ..base import ExplainerTags
from ..explanation import Explanation
from ..utils._baselines import check_baselines, no_baselines_error
from ..utils._param_validation import Interval
from ..utils._validation import _is_tensor, check_numbers, check_rows

__all__ = ["GRADIENT_CONSTRAINTS", "GradientMixin", "check_finite_background"]

GRADIENT_CONSTRAINTS = {
    "model": "no_validation",
    "output": "no_validation",
    "batch_size": [Interval(Integral, 1, None, closed="left"), None],
}


def _to_numpy(t, dtype=np.float64):
    import torch

    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16
        t = t.float()
    # numpy's single-threaded cast: torch's parallel one costs more on small arrays
    return t.numpy() if dtype is None else t.numpy().astype(dtype, copy=False)


def _check_finite(x, name="X"):
    import torch

    # One reduction: NaN/inf (or an overflow) make the sum non-finite.  On the CPU
    # numpy's single-threaded sum avoids waking torch's thread pool for a tiny op.
    numpy_ok = x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)
    if np.isfinite(float(x.numpy().sum() if numpy_ok else x.sum())):
        return
    bad = ~torch.isfinite(x.flatten(1)).all(dim=1)
    if bad.any():
        rows = torch.nonzero(bad)[:5, 0].tolist()
        raise ValueError(
            f"{name} must be finite: rows {rows} contain NaN or infinite values, where the "
            "model's gradients are undefined."
        )


def check_finite_background(background, owner):
    """Refuse background rows with NaN or inf: gradients there are undefined."""
    values = check_numbers(background, name="background", owner=owner)
    if values.dtype.kind != "f":
        return
    bad = ~np.isfinite(values.reshape(values.shape[0], -1)).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = rows[:5].tolist()
        more = f" and {rows.size - 5} more" if rows.size > 5 else ""
        raise ValueError(
            f"background rows {shown}{more} contain NaN or infinite values; {owner} needs "
            "finite background rows (the model's outputs and gradients are undefined there)."
        )


class GradientMixin:
    """Shared behaviour of the gradient explainers (put before BaseExplainer).

    Class attributes read by the mixin:

    - ``_completeness``: ``"exact"``, ``"approximate"`` or None; with a value,
      ``Explanation.delta`` reports ``sum(values) - (f(x) - base_values)``.
    - ``_axioms`` / ``_approximate_axioms``: the other properties claimed
      (``"dummy"``, ``"symmetry"``, ``"linearity"``), exactly or up to a
      sampling error; :func:`~skexplain.testing.check_explainer` tests each
      claim.  :meth:`_claims` may narrow them by parameter.
    - ``_needs_outputs``: compute ``f(x)`` before the gradient passes (for the
      delta and to resolve ``target=None``); otherwise the predicted class is
      taken in the gradient pass itself.
    - ``_takes_baselines``: ``explain(X, baselines=...)`` is accepted, and
      ``_attribute`` then gets them (a tensor of X's shape) as ``baselines=``.
    """

    _completeness = None
    _axioms = frozenset()
    _approximate_axioms = frozenset()
    _needs_outputs = False
    _takes_baselines = False

    def _claims(self):
        """``(exact, approximate)`` sets of axioms claimed with these parameters."""
        exact, approximate = set(self._axioms), set(self._approximate_axioms)
        if self._completeness == "exact":
            exact.add("completeness")
        elif self._completeness == "approximate":
            approximate.add("completeness")
        return exact, approximate

    def __skexplain_tags__(self):
        exact, approximate = self._claims()
        return ExplainerTags(axioms=exact, approximate_axioms=approximate,
                             model_types={"torch"}, all_outputs=False,
                             stochastic="random_state" in self.get_params(deep=False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False  # refused: gradients at NaN are undefined
        tags.input_tags.string = False  # the engine needs numbers (object arrays are cast)
        return tags

    def _make_model(self, background):
        from ..adapters._sklearn_torch import as_torch_model

        from .._multi_input import packed_adapter

        check_finite_background(background, type(self).__name__)
        model = packed_adapter(self, background, integer_inputs="float",
                               batch_size=self.batch_size) or as_torch_model(
            self.model, output=self.output, sample=background, batch_size=self.batch_size)
        self._check_integer_inputs(model)
        return model

    def _check_integer_inputs(self, model):
        """Refuse a module taking integer inputs (token ids): they have no gradient."""
        if not model.takes_integers:
            return
        import torch

        dtypes = getattr(model, "input_dtypes", None)
        which = "" if dtypes is None else " (input{} {})".format(
            "s" if sum(d is not None for d in dtypes) > 1 else "",
            ", ".join(str(k) for k, d in enumerate(dtypes) if d is not None))
        embeddings = [name for name, sub in model.module.named_modules()
                      if isinstance(sub, (torch.nn.Embedding, torch.nn.EmbeddingBag))]
        example = f" (e.g. layer={embeddings[0]!r}, its embedding)" if embeddings else ""
        layer = ("pass layer=" if hasattr(self, "layer_reduce") else
                 "use an explainer that takes layer= (IntegratedGradients, Saliency, ...)")
        raise TypeError(
            f"{type(self).__name__} cannot differentiate {model.describe()} with respect to "
            f"its input: it takes {model.input_dtype} inputs{which} (token ids or codes), which "
            f"have no gradient. To attribute at a layer's output, {layer}{example}; or "
            "use a perturbation explainer (KernelSHAP, ExactShapley) over the positions.")

    def _check_rows(self, X):
        """Rows to explain; tensors stay tensors (and on their device)."""
        if not _is_tensor(X):
            return check_rows(self, X)
        shape = tuple(X.shape[1:])
        if X.dim() < 2 or X.shape[0] == 0 or shape != tuple(self.feature_shape_):
            raise ValueError(
                f"X must have shape (n, {', '.join(map(str, self.feature_shape_))}) with n >= 1 "
                f"like the background {type(self).__name__} was fitted on; got a tensor "
                f"of shape {tuple(X.shape)}."
            )
        return X

    def _check_baselines(self, X, baselines):
        if not self._takes_baselines:
            raise no_baselines_error(self)
        return check_baselines(self, baselines, X.shape[0], keep_tensors=True)

    def _transform_output_names(self):
        # One target per row and no output axis: transform has one column per feature.
        return []

    def _hooks(self):
        """Context-manager factory for the engine (None: plain gradients)."""
        return None

    def _engine(self, forward_args=None):
        from ._engine import GradientEngine

        return GradientEngine(self.model_, batch_size=self.batch_size, hooks=self._hooks(),
                              forward_args=forward_args)

    def _explain(self, X, target=None, baselines=None, forward_args=None):
        import torch

        engine = self._engine(forward_args)
        extra, base = {}, None
        # Tensors made under a caller's inference_mode could not enter autograd.
        with torch.inference_mode(False):
            x = engine.to_tensor(X)
            _check_finite(x)
            if baselines is not None:  # row i against its own reference: base f_t(r_i)
                extra["baselines"] = refs = engine.to_tensor(baselines, name="baselines")
                _check_finite(refs, "baselines")
            outputs = engine.outputs(x) if self._needs_outputs else None
            targets = engine.resolve_targets(target, x.shape[0], outputs)
            result = self._attribute(engine, x, targets, outputs, **extra)
            if baselines is not None:  # refs[i] runs with row i's forward arguments
                base = engine.outputs(refs).gather(1, result["targets"][:, None])[:, 0]
                result["baselines"] = True
            elif forward_args is not None:  # the background mean with each row's arguments
                base = self._row_base_values(engine, result["targets"])
        return self._explanation(X, engine, outputs, base=base, **result)

    def _row_base_values(self, engine, targets):
        """``mean_b f_t(b, args_r)`` per explained row ``r`` (ndarray of shape (n,))."""
        import torch

        from ..adapters._torch import eval_mode

        refs = engine.to_tensor(self.background_, name="background")
        n, m = targets.shape[0], refs.shape[0]
        w = self.background_weights_
        w = torch.as_tensor(np.full(m, 1.0 / m) if w is None else w, dtype=torch.float64,
                            device=refs.device)
        step = max(1, engine.chunk_size(refs[0].numel()) // m)  # rows per pass
        base = []
        with torch.no_grad(), eval_mode(self.model_.module):
            for r0 in range(0, n, step):
                rows = engine.arange(r0, r0 + step, n)
                out = engine._forward(refs.repeat(rows.shape[0], *([1] * (refs.dim() - 1))),
                                      rows.repeat_interleave(m))
                picked = out.gather(1, targets[rows].repeat_interleave(m)[:, None])[:, 0]
                base.append(picked.double().view(-1, m) @ w)
        return _to_numpy(torch.cat(base))

    def _attribute(self, engine, x, targets, outputs):
        """Return a dict with ``values`` and ``targets`` (tensors), optionally
        ``delta``, ``stderr``, ``extras`` (a dict of tensors) and metadata entries.
        Explainers with ``_takes_baselines`` also take ``baselines=`` (a tensor like x)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _explanation(self, X, engine, outputs, *, values, targets, base=None, delta=None,
                     stderr=None, extras=None, data=None, **meta):
        positions = engine.positions(targets)
        if base is None:
            base = self._expected_value_array()[positions]
        elif _is_tensor(base):
            base = _to_numpy(base)
        if self._completeness is not None and delta is None:
            fx = outputs.gather(1, targets[:, None])[:, 0]
            delta = values.flatten(1).sum(1) - fx
            delta = _to_numpy(delta) + base
        elif delta is not None:
            delta = _to_numpy(delta)
        names = self.model_.output_names
        same = positions.size and np.all(positions == positions[0])
        if data is not None:  # attributions to a layer: its output
            data = _to_numpy(data, dtype=None)
        else:
            data = _to_numpy(X, dtype=None) if _is_tensor(X) else np.asarray(X)
        same_shape = tuple(values.shape[1:]) == tuple(self.feature_shape_)
        return Explanation(
            _to_numpy(values), base, data, self._feature_names() if same_shape else None,
            [names[positions[0]]] if same else None,
            stderr=None if stderr is None else _to_numpy(stderr), delta=delta,
            extras=None if extras is None else {k: _to_numpy(v) for k, v in extras.items()},
            metadata=self._metadata(target=positions.tolist(), **meta))
