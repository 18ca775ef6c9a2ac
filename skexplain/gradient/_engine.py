"""``GradientEngine``: the only code in skexplain that calls ``torch.autograd.grad``.

An engine is built for one ``explain`` call (never stored on an explainer) and
owns everything between the explainer and the user's module: moving inputs to
the module's device and dtype, resolving targets, splitting the (row, step)
points into memory-bounded chunks, putting the module in eval mode and
installing temporary hooks, and one forward + one backward pass per chunk.

An explainer talks to it in two small types: for each chunk it builds a
:class:`Batch` (the points, what to differentiate, and its own bookkeeping in
``aux``) and receives a :class:`Pass` (the gradients, the outputs, and the
chosen layer's output and gradient when the engine has a ``layer``).
"""
import contextlib
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import torch

from ..adapters._torch import eval_mode
from ..adapters._torch_layers import capture_output
from ..exceptions import ModelEvaluationError
from ..utils._validation import check_numbers, complex_error

__all__ = ["Batch", "GradientEngine", "Pass", "sum_rows"]

# Input elements per forward+backward pass when batch_size is None.  On the CPU,
# 64 MiB of float32 inputs: activations scale with it, so this bounds memory for
# big images while keeping tabular and small-image problems in a single pass.  On
# a GPU big passes are what make it fast; a pass that runs out of memory is
# split in two and retried (only when batch_size is None).
_CHUNK_ELEMENTS = {"cpu": 2**24, "cuda": 2**28}


@dataclass
class Batch:
    """The points of one forward+backward pass and what to differentiate.

    The pass differentiates ``sum_i weights_i * f(points)[i, targets_i]`` over
    the first ``n_select`` points (default: all).

    Attributes
    ----------
    points : Tensor of shape (n_points, \\*input_shape)
    targets : LongTensor of shape (n_select,) or None
        Output column per selected point; None selects each one's argmax.
    weights : Tensor of shape (n_select,) or None
    n_select : int or None
    aux : object
        The caller's bookkeeping for this chunk, handed back in ``Pass.batch``.
    layer_values : Tensor or None
        With an engine ``layer``: values that replace the layer's output in
        this pass (of the shape it returns on ``points``); the layers after
        it compute on them, and ``Pass.layer_grads`` is taken with respect
        to them (layer Integrated Gradients moves along a path there).
    rows : LongTensor of shape (n_points,) or None
        The explained row of each point: the engine's per-row
        ``forward_args`` are taken at these rows (needed when it has some).
    """

    points: torch.Tensor
    targets: Optional[torch.Tensor] = None
    weights: Optional[torch.Tensor] = None
    n_select: Optional[int] = None
    aux: Any = None
    layer_values: Optional[torch.Tensor] = None
    rows: Optional[torch.Tensor] = None


@dataclass
class Pass:
    """What one forward+backward pass over a :class:`Batch` gives.

    Attributes
    ----------
    batch : Batch
    grads : Tensor of the shape of ``batch.points`` or None
        Gradient with respect to the points (None when the engine was built
        with ``input_grads=False``).
    outputs : Tensor of shape (n_points, n_columns)
        The model's outputs, detached.
    targets : LongTensor of shape (n_select,)
        The output column differentiated for each selected point.
    activations : Tensor or None
        The engine's ``layer`` output (detached), when it has a layer.
    layer_grads : Tensor or None
        Gradient with respect to ``activations``.
    """

    batch: Batch
    grads: Optional[torch.Tensor]
    outputs: torch.Tensor
    targets: torch.Tensor
    activations: Optional[torch.Tensor] = None
    layer_grads: Optional[torch.Tensor] = None


class GradientEngine:
    """Batched gradients of selected model outputs with respect to the inputs.

    Parameters
    ----------
    model : TorchModel
        The adapter of the module to differentiate (see
        :class:`skexplain.adapters.TorchModel`).
    batch_size : int, default=None
        Most points (explained rows x steps or samples, or row/reference
        pairs) per forward+backward pass.
        None: at most 2**24 input elements per pass on the CPU and 2**28 on
        a GPU, where a pass that runs out of memory is split.  Results do
        not depend on it.
    hooks : callable, default=None
        ``hooks(module)`` returns a context manager installing temporary hooks
        (see :mod:`skexplain.gradient._hooks`); it is entered once per
        :meth:`run`, and what it yields is passed to ``make``.
    layer : (str, torch.nn.Module), default=None
        A submodule of the model (dotted name, module) whose output and its
        gradient each pass also returns (``Pass.activations``,
        ``Pass.layer_grads``).
    input_grads : bool, default=True
        Differentiate with respect to the input points.  With a ``layer``
        and ``input_grads=False`` the backward pass stops at the layer.
    forward_args : tuple or None, default=None
        ``additional_forward_args`` of the explained rows (checked: per-row
        tensors have one entry per row), passed to the module after the
        input; each point gets its row's (``Batch.rows``).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skexplain.adapters import as_model
    >>> from skexplain.gradient._engine import GradientEngine
    >>> module = torch.nn.Linear(3, 2)
    >>> engine = GradientEngine(as_model(module, sample=np.zeros((1, 3))))
    >>> x = engine.to_tensor(np.ones((4, 3)))
    >>> passes = []
    >>> engine.run(4, 3, lambda a, b, _: Batch(x[a:b], engine.resolve_targets(1, b - a)),
    ...            passes.append)
    >>> bool(torch.allclose(passes[0].grads, module.weight[1].expand(4, 3)))
    True
    """

    def __init__(self, model, *, batch_size=None, hooks=None, layer=None, input_grads=True,
                 forward_args=None):
        self.model = model
        self.forward_args = forward_args
        self.batch_size = batch_size
        self.hooks = hooks
        self.layer = layer
        self.input_grads = input_grads
        self._capture = None  # the layer's LayerCapture while a session is open
        if layer is None and not input_grads:
            raise ValueError("GradientEngine needs a layer when input_grads=False.")
        self.device = model.device
        self.dtype = model.dtype

    # -------------------------------------------------------------- inputs
    def to_tensor(self, X, *, name="X"):
        """``X`` (array or tensor) as a tensor on the module's device and dtype."""
        if self.model.takes_integers:  # token ids stay exact integers (or booleans)
            x = self.model.to_tensor(X)
            return x.clone() if x.is_inference() else x
        if torch.is_tensor(X):
            if X.is_complex():  # the cast below would drop the imaginary part
                raise complex_error(name, X.dtype)
            x = X.detach().to(device=self.device, dtype=self.dtype)
            return x.clone() if x.is_inference() else x
        arr = np.asarray(X)
        if arr.dtype.kind not in "biuf":
            arr = check_numbers(X, name=name, owner=self.model.describe())
        return self.model.to_tensor(arr)

    def chunk_size(self, point_numel):
        """Points per forward+backward pass for points of ``point_numel`` elements."""
        if self.batch_size is not None:
            return int(self.batch_size)
        budget = _CHUNK_ELEMENTS.get(self.device.type, _CHUNK_ELEMENTS["cpu"])
        return max(1, budget // max(int(point_numel), 1))

    # ------------------------------------------------------------- targets
    def resolve_targets(self, target, n, outputs=None):
        """Output column (of the module's full output) explained for each row.

        Parameters
        ----------
        target : None, int, label or array-like of shape (n,)
            None: the predicted class (argmax of ``outputs``); returns None
            when ``outputs`` is None so that the caller takes the argmax in
            its own forward pass.
        n : int
            Number of rows.
        outputs : Tensor of shape (n, n_columns), default=None

        Returns
        -------
        LongTensor of shape (n,) on the device, or None
        """
        model = self.model
        if target is None:
            if model.column is not None:
                cols = np.full(n, model.column)
            elif outputs is None:
                return None
            else:
                return outputs.argmax(dim=1)
        else:
            if torch.is_tensor(target):
                target = target.tolist()
            if np.ndim(target) == 0:
                pos = np.full(n, model.resolve_output(target))
            elif np.ndim(target) == 1 and len(target) == n:
                pos = _positions(model, target)
            else:
                raise ValueError(
                    f"target must be None, one output, or one output per row ({n} "
                    f"entries); got an array of shape {np.shape(target)}."
                )
            cols = pos if model.column is None else np.full(n, model.column)
        return torch.as_tensor(cols, dtype=torch.long, device=self.device)

    def positions(self, columns):
        """Positions in ``model.output_names`` of module output ``columns`` (ndarray)."""
        cols = columns.detach().cpu().numpy().astype(int)
        return cols if self.model.column is None else np.zeros_like(cols)

    # -------------------------------------------------------------- passes
    @contextlib.contextmanager
    def session(self):
        """Grad mode on, module in eval mode and temporary hooks installed.

        Yields what the ``hooks`` context yields (None without hooks).
        """
        module = self.model.module
        with contextlib.ExitStack() as stack:
            stack.enter_context(torch.inference_mode(False))
            stack.enter_context(torch.enable_grad())
            stack.enter_context(eval_mode(module))
            self._capture = None
            if self.layer is not None:
                name, layer = self.layer
                self._capture = stack.enter_context(
                    capture_output(layer, name, leaf=not self.input_grads))
            yield None if self.hooks is None else stack.enter_context(self.hooks(module))

    def outputs(self, x):
        """Module outputs on ``x``, without gradients: Tensor of shape (n, n_columns)."""
        # forward-only passes gain little from size: the conservative budget everywhere
        step = self.batch_size or max(1, _CHUNK_ELEMENTS["cpu"] // max(x[0].numel(), 1))
        with torch.no_grad(), eval_mode(self.model.module):
            parts = [self._forward(x[i:i + step], self.arange(i, i + step, x.shape[0]))
                     for i in range(0, x.shape[0], step)]
        return torch.cat(parts)

    def arange(self, start, stop, n=None):
        """Rows ``start..stop-1`` (clipped to ``n``) as a LongTensor on the device."""
        return torch.arange(start, stop if n is None else min(stop, n), device=self.device)

    def run(self, n_points, point_numel, make, consume, group=1, one_pass=False):
        """One forward+backward pass per chunk of at most ``chunk_size`` points.

        Parameters
        ----------
        n_points : int
            Number of points, enumerated ``0..n_points-1``.
        point_numel : int
            Input elements per point (sets the default chunk size).
        make : callable
            ``make(start, stop, hook_state) -> Batch`` for the points
            ``start..stop-1``.
        consume : callable
            ``consume(Pass)`` receives each pass's results.
        group : int, default=1
            Points come in groups of this size (e.g. the steps of one path):
            chunks hold whole groups when a group fits in one.
        one_pass : bool, default=False
            All points in one pass, whatever their size, never split after
            running out of memory (for rules whose values depend on the
            composition of the pass; only when ``batch_size`` is None).
        """
        step = n_points if one_pass else _aligned(self.chunk_size(point_numel), group)
        with self.session() as state:
            start = 0
            while start < n_points:
                stop = min(start + step, n_points)
                if step < group:  # a group split over chunks: never straddle two groups
                    stop = min(stop, (start // group + 1) * group)
                batch = result = None  # free the previous pass first
                try:
                    batch = make(start, stop, state)
                    result = self.backward(batch)
                except torch.cuda.OutOfMemoryError as exc:
                    self._check_retry(exc, stop - start, one_pass)
                if result is None:  # out of memory: retry in halves, the failed pass freed
                    batch = None
                    torch.cuda.empty_cache()
                    step = _aligned(max(1, (stop - start) // 2), group)
                    continue
                consume(result)
                start = stop

    def _check_retry(self, exc, size, one_pass=False):
        """Raise unless a default-sized pass can be split after running out of memory."""
        if one_pass:
            raise ModelEvaluationError(
                f"{self.model.describe()} ran out of GPU memory on the single pass of {size} "
                "points this rule needs (its values depend on the pass); set batch_size to "
                f"split it, knowing that the values then depend on batch_size. {exc}"
            ) from exc
        if self.batch_size is not None or size == 1:
            raise ModelEvaluationError(
                f"{self.model.describe()} ran out of GPU memory on a pass of {size} points; "
                f"lower batch_size (now {self.batch_size}). {exc}"
            ) from exc

    def backward(self, batch):
        """One forward+backward pass over ``batch`` (call inside :meth:`session`).

        Returns
        -------
        Pass
        """
        # A leaf: autograd refuses in-place changes to it, so the caller's data is safe.
        leaf = batch.points.detach().requires_grad_(self.input_grads)
        if batch.layer_values is not None:
            self._capture.replacement = batch.layer_values
        try:
            out = self._forward(leaf, batch.rows)
        finally:
            if self._capture is not None:
                self._capture.replacement = None
        head = out if batch.n_select is None else out[:batch.n_select]
        targets = batch.targets
        if targets is None:
            targets = head.detach().argmax(dim=1)
        selected = head.gather(1, targets[:, None]).squeeze(1)
        if batch.weights is not None:
            selected = selected * batch.weights
        wrt = [leaf] if self.input_grads else []
        activations = None if self._capture is None else self._capture.take()
        if activations is not None:
            wrt.append(activations)
        if not selected.requires_grad:
            wrt_name = "its input" if self.input_grads else f"layer {self.layer[0]!r}"
            raise ModelEvaluationError(
                f"{self.model.describe()} returned outputs that do not depend differentiably "
                f"on {wrt_name} (does its forward call .detach(), .numpy() or torch.no_grad()"
                f"{'' if self.input_grads else ', or do the explained outputs bypass it'}?)."
            )
        grads = torch.autograd.grad(selected.sum(), wrt, allow_unused=True)
        grads = [torch.zeros_like(t) if g is None else g for t, g in zip(wrt, grads)]
        return Pass(batch, grads[0] if self.input_grads else None, out.detach(), targets,
                    None if activations is None else activations.detach(),
                    grads[-1] if activations is not None else None)

    def row_args(self, rows):
        """The forward arguments of the points of explained ``rows`` (a LongTensor)."""
        args = self.forward_args
        if args is None:
            return ()
        if rows is None and any(torch.is_tensor(a) for a in args):
            raise RuntimeError("internal error: a Batch without rows met per-row "
                               "additional_forward_args")  # pragma: no cover
        return tuple(a[rows] if torch.is_tensor(a) else a for a in args)

    def _forward(self, batch, rows=None):
        args = None if self.forward_args is None else self.row_args(rows)
        try:
            if args is not None:
                return self.model.forward(batch, args)
            return self.model.forward(batch)
        except torch.cuda.OutOfMemoryError:
            raise  # run() retries with smaller passes
        except RuntimeError as exc:  # torch reports shape/device/memory errors this way
            hint = " Lower batch_size to use less memory." if "out of memory" in str(exc) else ""
            raise ModelEvaluationError(
                f"{self.model.describe()} raised {type(exc).__name__} while skexplain computed "
                f"gradients on a batch of shape {tuple(batch.shape)}: {exc}{hint}"
            ) from exc


def _aligned(step, group):
    """Whole groups per chunk when a group fits in one."""
    return step - step % group if step >= group else step


def _positions(model, target):
    """Output positions of one target per row (vectorised for plain integers)."""
    arr = np.asarray(target)
    if arr.dtype.kind not in "iu" or model.output_labels is not None:
        return np.asarray([model.resolve_output(t) for t in target], dtype=int)
    k = model.n_outputs
    bad = (arr < -k) | (arr >= k)
    if bad.any():
        model.resolve_output(int(arr[bad][0]))  # raises the adapter's error
    return arr % k


def sum_rows(total, contrib, start, group):
    """``total[r] += contrib`` summed over the points of each row ``r``.

    The points ``start .. start + len(contrib) - 1`` of a row-major enumeration
    with ``group`` points per row: whole rows are summed with one reshape, the
    partial rows at both ends separately (``index_add_`` is serial on CPU).
    """
    n, pos = contrib.shape[0], min((-start) % group, contrib.shape[0])
    if pos:
        total[start // group] += contrib[:pos].sum(0)
    full = (n - pos) // group
    if full:
        row = (start + pos) // group
        total[row:row + full] += contrib[pos:pos + full * group].unflatten(0, (full, group)).sum(1)
        pos += full * group
    if pos < n:
        total[(start + pos) // group] += contrib[pos:].sum(0)
