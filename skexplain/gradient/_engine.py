"""``GradientEngine``: the only code in skexplain that calls ``torch.autograd.grad``.

An engine is built for one ``explain`` call (never stored on an explainer) and
owns everything between the explainer and the user's module: moving inputs to
the module's device and dtype, resolving targets, splitting the (row, step)
points into memory-bounded chunks, putting the module in eval mode and
installing temporary hooks, and one forward + one backward pass per chunk.
"""
import contextlib

import numpy as np
import torch

from ..adapters._torch import eval_mode
from ..exceptions import ModelEvaluationError
from ..utils._validation import check_numbers, complex_error

__all__ = ["GradientEngine", "sum_rows"]

# Input elements per forward+backward pass when batch_size is None.  On the CPU,
# 64 MiB of float32 inputs: activations scale with it, so this bounds memory for
# big images while keeping tabular and small-image problems in a single pass.  On
# a GPU big passes are what make it fast; a pass that runs out of memory is
# split in two and retried (only when batch_size is None).
_CHUNK_ELEMENTS = {"cpu": 2**24, "cuda": 2**28}


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

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skexplain.adapters import as_model
    >>> from skexplain.gradient._engine import GradientEngine
    >>> module = torch.nn.Linear(3, 2)
    >>> engine = GradientEngine(as_model(module, sample=np.zeros((1, 3))))
    >>> x = engine.to_tensor(np.ones((4, 3)))
    >>> grads = []
    >>> engine.run(4, 3, lambda a, b, _: ((x[a:b], engine.resolve_targets(1, b - a)), None),
    ...            lambda aux, g, out, t: grads.append(g))
    >>> bool(torch.allclose(grads[0], module.weight[1].expand(4, 3)))
    True
    """

    def __init__(self, model, *, batch_size=None, hooks=None):
        self.model = model
        self.batch_size = batch_size
        self.hooks = hooks
        self.device = model.device
        self.dtype = model.dtype

    # -------------------------------------------------------------- inputs
    def to_tensor(self, X, *, name="X"):
        """``X`` (array or tensor) as a tensor on the module's device and dtype."""
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
        """Grad mode on, module in eval mode and temporary hooks installed."""
        module = self.model.module
        with torch.inference_mode(False), torch.enable_grad(), eval_mode(module):
            if self.hooks is None:
                yield None
            else:
                with self.hooks(module) as state:
                    yield state

    def outputs(self, x):
        """Module outputs on ``x``, without gradients: Tensor of shape (n, n_columns)."""
        # forward-only passes gain little from size: the conservative budget everywhere
        step = self.batch_size or max(1, _CHUNK_ELEMENTS["cpu"] // max(x[0].numel(), 1))
        with torch.no_grad(), eval_mode(self.model.module):
            parts = [self._forward(x[i:i + step]) for i in range(0, x.shape[0], step)]
        return torch.cat(parts)

    def run(self, n_points, point_numel, make, consume, group=1):
        """One forward+backward pass per chunk of at most ``chunk_size`` points.

        Parameters
        ----------
        n_points : int
            Number of points, enumerated ``0..n_points-1``.
        point_numel : int
            Input elements per point (sets the default chunk size).
        make : callable
            ``make(start, stop, hook_state) -> (batch, aux)`` where ``batch`` is
            ``(points, targets[, weights[, n_select]])`` for :meth:`backward`.
        consume : callable
            ``consume(aux, grads, outputs, targets)`` receives the results.
        group : int, default=1
            Points come in groups of this size (e.g. the steps of one path):
            chunks hold whole groups when a group fits in one.
        """
        step = _aligned(self.chunk_size(point_numel), group)
        with self.session() as state:
            start = 0
            while start < n_points:
                stop = min(start + step, n_points)
                if step < group:  # a group split over chunks: never straddle two groups
                    stop = min(stop, (start // group + 1) * group)
                batch = aux = result = None  # free the previous pass first
                try:
                    batch, aux = make(start, stop, state)
                    result = self.backward(*batch)
                except torch.cuda.OutOfMemoryError as exc:
                    self._check_retry(exc, stop - start)
                if result is None:  # out of memory: retry in halves, the failed pass freed
                    batch = aux = None
                    torch.cuda.empty_cache()
                    step = _aligned(max(1, (stop - start) // 2), group)
                    continue
                consume(aux, *result)
                start = stop

    def _check_retry(self, exc, size):
        """Raise unless a default-sized pass can be split after running out of memory."""
        if self.batch_size is not None or size == 1:
            raise ModelEvaluationError(
                f"{self.model.describe()} ran out of GPU memory on a pass of {size} points; "
                f"lower batch_size (now {self.batch_size}). {exc}"
            ) from exc

    def backward(self, points, targets=None, weights=None, n_select=None):
        """Gradient of ``sum_i weights_i * f(points)[i, targets_i]`` w.r.t. ``points``.

        Only the first ``n_select`` rows (default: all) are selected; with
        ``targets=None`` each selects its argmax.  Call inside :meth:`session`.

        Returns
        -------
        grads : Tensor of the shape of ``points``
        outputs : Tensor of shape (len(points), n_columns), detached
        targets : LongTensor of shape (n_select,)
        """
        # A leaf: autograd refuses in-place changes to it, so the caller's data is safe.
        leaf = points.detach().requires_grad_(True)
        out = self._forward(leaf)
        head = out if n_select is None else out[:n_select]
        if targets is None:
            targets = head.detach().argmax(dim=1)
        selected = head.gather(1, targets[:, None]).squeeze(1)
        if weights is not None:
            selected = selected * weights
        if not selected.requires_grad:
            raise ModelEvaluationError(
                f"{self.model.describe()} returned outputs that do not depend differentiably "
                "on its input (does its forward call .detach(), .numpy() or torch.no_grad()?)."
            )
        (grads,) = torch.autograd.grad(selected.sum(), leaf, allow_unused=True)
        grads = torch.zeros_like(leaf) if grads is None else grads
        return grads, out.detach(), targets

    def _forward(self, batch):
        try:
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
