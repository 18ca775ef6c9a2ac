"""Adapter for torch ``nn.Module``s (CPU or CUDA, any input shape).

The module is evaluated in ``eval()`` mode with gradients off; the training
flag of every submodule is restored afterwards, and nothing (hooks, buffers,
attributes) is left on the user's module.  torch is imported lazily so that
tabular users never pay for it.

Why this module holds the one piece of module-level state of skexplain
--------------------------------------------------------------------------
An explainer, and the user's module, may be shared by threads.  Switching a
module to eval mode and back per call is then a race: a second thread that
enters while the first is inside saves the flags as ``False``; the first,
leaving, switches Dropout/BatchNorm back to training while the second still
computes, and the second, leaving last, leaves the module in eval mode.
:func:`eval_mode` therefore coordinates the threads through ``_HELD``, a
registry guarded by ``_LOCK``: one entry per *submodule* currently held in
eval mode by some caller, with its original flag and a count of the callers
holding it.  The first caller to hold a submodule saves its flag, later
(concurrent or nested) callers only count, and the last one to leave restores
the flag.  Counting per submodule also covers two explainers holding
overlapping modules (a model and one of its blocks).  The registry holds
coordination between threads only, never state on the user's module; an
entry lives only while a caller is inside ``eval_mode`` (that caller keeps
the module alive, so the ``id`` keys cannot be reused), and keys are ids
rather than the modules themselves so that modules defining ``__eq__`` (and
thus no hash) work too.
"""
import threading
import numbers
from contextlib import contextmanager

import numpy as np

from ..exceptions import ModelEvaluationError
from ._base import Model, take_rows
from ._token_ids import check_token_ids, find_id_embedding

__all__ = ["TorchModel", "eval_mode", "module_device", "module_dtype"]


# See the module docstring: {id(submodule): [submodule, saved training flag, holders]}.
_HELD = {}
_LOCK = threading.Lock()


@contextmanager
def eval_mode(module):
    """Hold ``module`` in eval mode; restore every submodule's flag when the last holder leaves.

    Safe under concurrent and nested use: callers in any thread that hold the
    same module (or overlapping modules) at the same time all run in eval
    mode, and the flags seen before the first of them entered are restored
    after the last of them left.

    Parameters
    ----------
    module : torch.nn.Module

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    >>> net[0].eval()  # doctest: +ELLIPSIS
    Linear(...)
    >>> with eval_mode(net):
    ...     with eval_mode(net):  # nested use, as in a gradient session
    ...         print(net.training, net[1].training)
    False False
    >>> net.training, net[0].training, net[1].training
    (True, False, True)
    """
    subs = list(module.modules())
    with _LOCK:
        fresh = []
        for sub in subs:
            entry = _HELD.get(id(sub))
            if entry is None:
                _HELD[id(sub)] = [sub, sub.training, 1]
                fresh.append(sub)
            else:
                entry[2] += 1
        try:
            if fresh:  # submodules held by others are in eval mode already
                module.eval()
        except BaseException:
            _release(subs)
            raise
    try:
        yield module
    finally:
        with _LOCK:
            _release(subs)


def _release(subs):
    """Drop one hold on each of ``subs``; restore the flag of those no longer held."""
    for sub in subs:
        entry = _HELD[id(sub)]
        entry[2] -= 1
        if entry[2] == 0:
            del _HELD[id(sub)]
            sub.training = entry[1]


def module_device(module):
    """Device of the module's first parameter or buffer (CPU if it has none)."""
    import torch

    for tensor in list(module.parameters()) + list(module.buffers()):
        return tensor.device
    return torch.device("cpu")


def module_dtype(module):
    """Floating dtype of the module's first floating parameter (float32 if none)."""
    import torch

    for tensor in list(module.parameters()) + list(module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32


class TorchModel(Model):
    """Explain the outputs of a torch ``nn.Module``.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a tensor of shape (n, \\*input_shape) to (n,) or (n, k).
    output : "auto" or int, default="auto"
        ``"auto"`` keeps every output (e.g. all logits); an integer keeps one.
    sample : array-like or tensor
        A row used once to learn the number of outputs.
    batch_size : int, default=None
        Rows per forward pass; None sends each call in one pass.
    integer_inputs : {"keep", "float"}, default="keep"
        What is tried first when ``sample`` holds integers or booleans (token
        ids for an ``nn.Embedding``, masks): ``"keep"`` passes them as int64
        (or bool) tensors, exactly, and falls back to the module's floating
        dtype if the module refuses them; ``"float"`` (the gradient
        explainers, which differentiate floats) tries the floating dtype
        first.  Floating samples always go in the module's dtype.

    Attributes
    ----------
    input_dtype : torch.dtype or None
        ``torch.int64`` or ``torch.bool`` when the module takes integer or
        boolean inputs as such (chosen on ``sample``); None: the module's
        floating dtype.
    id_embedding : tuple (str, int) or None
        The name and ``num_embeddings`` of the ``nn.Embedding`` the module
        calls on its integer input itself (None when there is none): ids
        outside its range are refused by :meth:`check_ids`, by name.
    """

    def __init__(self, module, output="auto", sample=None, batch_size=None,
                 integer_inputs="keep", forward_args=None):
        self.module = module
        self.output = output
        self.batch_size = batch_size
        self.input_dtype = None
        self.id_embedding = None
        if sample is None:
            raise ValueError("TorchModel needs a sample row to learn its number of outputs.")
        # the sample's own additional_forward_args (its first row) for the first call only
        self.bound_args, self.bound_row = forward_args, None
        try:
            n_all = self._first_call(take_rows(sample, 1), integer_inputs).shape[1]
        finally:
            self.bound_args = None
        names = ["output"] if n_all == 1 else [f"output_{i}" for i in range(n_all)]
        if output == "auto":
            self.output_names = names
        elif isinstance(output, numbers.Integral) and not isinstance(output, bool) and (
                -n_all <= output < n_all):
            self.column = int(output) % n_all
            self.output_names = [names[self.column]]
        else:
            raise ValueError(
                f"output must be 'auto' or an output index in [0, {n_all}) for "
                f"{type(module).__name__}; got {output!r}."
            )

    def _first_call(self, sample, integer_inputs):
        """The module's output on ``sample``, choosing how integer samples are passed."""
        import torch

        kind = _integer_kind(sample)
        if kind is None:
            try:
                return self.predict_all_columns(sample)
            except ModelEvaluationError as exc:
                self._refuse_float_ids(sample, exc)
                raise
        native = torch.bool if kind == "b" else torch.int64
        if kind == "i":  # before torch's "index out of range in self" on a bad id
            ids = _exact_tensor(sample, native, self.device, self.describe())
            args = self._args_for(0, 1)  # the sample's forward arguments, if any
            self.id_embedding = find_id_embedding(self.module, ids,
                                                  lambda: self.module(ids, *args))
            self.check_ids(sample, "the data given to fit (the background)")
        tries = [native, None] if integer_inputs == "keep" else [None, native]
        errors = []
        for dtype in tries:
            self.input_dtype = dtype
            try:
                return self.predict_all_columns(sample)
            except ModelEvaluationError as exc:
                errors.append(exc)
        self.input_dtype = tries[0]
        raise ModelEvaluationError(
            f"{errors[0]} (passed as {_dtype_words(tries[1])} it raised too: {errors[1]})"
        ) from errors[0]

    def _refuse_float_ids(self, sample, exc):
        """A module refusing floats but taking the same whole numbers as int64 (token ids
        given as floats): say so, rather than torch's dtype message."""
        import torch

        values = np.asarray(sample.detach().cpu() if hasattr(sample, "detach") else sample)
        if values.dtype.kind != "f" or not np.all(np.isfinite(values)) or not np.all(
                values == np.round(values)):
            return
        self.input_dtype = torch.int64
        try:
            self.predict_all_columns(sample)
        except ModelEvaluationError:
            return
        finally:
            self.input_dtype = None
        raise ModelEvaluationError(
            f"{self.describe()} takes integer inputs (e.g. token ids for an nn.Embedding) "
            f"but the data given to fit holds floats ({values.dtype}); pass the background "
            "(and X) as integers, e.g. np.int64.") from exc

    def check_ids(self, X, name="X"):
        """Refuse ids outside the range of the embedding fed by the input.

        See ``id_embedding``; the error names ``name``, the ids, the rows and
        the table's size.

        Parameters
        ----------
        X : array-like or tensor of shape (n, \\*input_shape)
            Rows about to be evaluated.
        name : str, default="X"
            The parameter named in the error.

        Returns
        -------
        None
            Raises ``ValueError`` on an id outside ``[0, num_embeddings)``.

        Examples
        --------
        >>> import torch
        >>> from skexplain.adapters import TorchModel
        >>> net = torch.nn.Sequential(torch.nn.Embedding(5, 2), torch.nn.Flatten())
        >>> model = TorchModel(net, sample=torch.zeros(1, 3, dtype=torch.long))
        >>> model.check_ids(torch.tensor([[1, 2, 7]]))
        Traceback (most recent call last):
        ...
        ValueError: ...
        """
        if self.id_embedding is not None:
            check_token_ids(X, self.id_embedding, name, self.describe())

    @property
    def takes_integers(self):
        """bool: the module takes integer or boolean inputs as such (see ``input_dtype``)."""
        return self.input_dtype is not None

    @property
    def device(self):
        return module_device(self.module)

    @property
    def dtype(self):
        return module_dtype(self.module)

    def describe(self):
        """Short human description used in error messages.

        Returns
        -------
        str
            ``"the torch module <Class>"``.

        Examples
        --------
        >>> import torch
        >>> from skexplain.adapters import TorchModel
        >>> model = TorchModel(torch.nn.Linear(3, 2), sample=torch.zeros(1, 3))
        >>> model.describe()
        'the torch module Linear'
        """
        return f"the torch module {type(self.module).__name__}"

    def to_tensor(self, X):
        """``X`` (array or tensor) as a tensor on the module's device and input dtype.

        Parameters
        ----------
        X : ndarray or tensor of shape (n, \\*input_shape)
            Rows for the module.

        Returns
        -------
        torch.Tensor
            On the module's device, in its floating dtype (token ids stay
            integers when the module takes them).

        Examples
        --------
        >>> import torch
        >>> from skexplain.adapters import TorchModel
        >>> model = TorchModel(torch.nn.Linear(3, 2), sample=torch.zeros(1, 3))
        >>> model.to_tensor([[1, 2, 3]]).dtype
        torch.float32
        """
        import torch

        if self.input_dtype is not None:
            return _exact_tensor(X, self.input_dtype, self.device, self.describe())
        if isinstance(X, torch.Tensor):
            return X.to(device=self.device, dtype=self.dtype)
        arr = np.asarray(X)
        if not arr.flags.writeable:  # torch would share its memory and warn: copy it
            arr = arr.copy()
        return torch.as_tensor(arr, dtype=self.dtype, device=self.device)

    def forward(self, X, args=()):
        """Differentiable forward pass: tensor in, tensor (n, k) out.

        The caller decides the grad mode and the module's mode.  An output
        of shape (n, \\*output_shape) is flattened to (n, k); anything without
        one row per input row raises ``ModelEvaluationError``.  ``args`` are
        passed to the module after ``X`` (``additional_forward_args``, their
        per-row tensors already at the rows of ``X``).

        Parameters
        ----------
        X : torch.Tensor of shape (n, \\*input_shape)
            Rows, as :meth:`to_tensor` returns them.
        args : tuple, default=()
            Further positional arguments of the module's ``forward``, passed
            after ``X``.

        Returns
        -------
        torch.Tensor of shape (n, k)
            The module's output, still attached to the autograd graph.

        Examples
        --------
        >>> import torch
        >>> from skexplain.adapters import TorchModel
        >>> model = TorchModel(torch.nn.Linear(3, 2), sample=torch.zeros(1, 3))
        >>> model.forward(torch.ones(4, 3)).shape
        torch.Size([4, 2])
        """
        return self._check_forward(call_module(self.module, (X,), args), X.shape[0])

    def bind_args(self, args, row=None):
        """A copy whose ``predict`` passes ``args`` (checked) to the module.

        ``row=None``: the per-row tensors of ``args`` are aligned with the
        rows given to ``predict`` (the background at fit); an int: that row
        of them goes with every row given (the hybrids of one explained row).
        The module itself is shared, never modified.

        Parameters
        ----------
        args : tuple
            ``additional_forward_args`` checked by
            :func:`skexplain.utils._inputs.check_forward_args`.
        row : int or None, default=None
            The row of the per-row tensors of ``args`` used for every row.

        Returns
        -------
        TorchModel
            A shallow copy of this adapter.

        Examples
        --------
        >>> import torch
        >>> from skexplain.adapters import TorchModel
        >>> class Scaled(torch.nn.Module):
        ...     def forward(self, x, scale):
        ...         return x.sum(1) * scale
        >>> model = TorchModel(Scaled(), sample=torch.zeros(1, 2), forward_args=(1.0,))
        >>> model.bind_args((10.0,)).predict(torch.ones(1, 2))
        array([[20.]])
        """
        import copy

        bound = copy.copy(self)
        bound.bound_args, bound.bound_row = args, row
        return bound

    def _args_for(self, start, stop):
        """The bound arguments for the rows ``start..stop-1`` of a ``predict`` call."""
        args = getattr(self, "bound_args", None)
        if args is None:
            return ()
        import torch

        row = self.bound_row
        if row is None:
            return tuple(a[start:stop] if torch.is_tensor(a) else a for a in args)
        return tuple(a[row:row + 1].expand((stop - start,) + tuple(a.shape[1:]))
                     if torch.is_tensor(a) else a for a in args)

    def _check_forward(self, out, n):
        import torch

        expected = (f"a tensor of shape (n,) or (n, n_outputs) with one row per input row "
                    f"(n = {n} here)")
        if not torch.is_tensor(out):
            raise ModelEvaluationError(
                f"model ({self.describe()}) must return {expected}; got a "
                f"{type(out).__name__}. Wrap it so that forward returns the tensor to explain."
            )
        if out.ndim == 0 or out.shape[0] != n:
            got = ("a 0-d tensor (a single number)" if out.ndim == 0
                   else f"a tensor of shape {tuple(out.shape)}")
            raise ModelEvaluationError(
                f"model ({self.describe()}) must return {expected}; got {got}. Does its "
                "forward reduce over the batch (e.g. .sum() or .mean()) or drop the batch axis?"
            )
        self._check_output_values(out)
        return out.reshape(n, -1) if out.ndim != 2 else out

    def _check_output_values(self, out):
        import torch

        # Complex or bool outputs would lose their imaginary part (or raise in argmax)
        # far from here, and a zero-width one gives empty attributions.
        if out.is_complex() or out.dtype == torch.bool:
            got = f"a tensor of dtype {out.dtype}"
        elif out.ndim >= 2 and out.shape[0] > 0 and out[0].numel() == 0:
            got = f"a tensor of shape {tuple(out.shape)} with no output column"
        else:
            return
        raise ModelEvaluationError(
            f"model ({self.describe()}) must return real floating or integer outputs with "
            f"at least one column per row; got {got}."
        )

    def _call(self, X):
        import torch

        n = X.shape[0]
        step = self.batch_size or max(n, 1)
        outs = []
        with torch.no_grad(), eval_mode(self.module):
            for start in range(0, n, step):
                batch = self.to_tensor(X[start:start + step])
                args = self._args_for(start, start + batch.shape[0])
                outs.append(self.forward(batch, args).detach().to("cpu", torch.float64))
        return torch.cat(outs).numpy() if outs else np.zeros((0, 1))


def call_module(module, inputs, args):
    """``module(*inputs, *args)``; a forward missing an argument is pointed to
    ``additional_forward_args`` (the module's own TypeError, completed)."""
    try:
        return module(*inputs, *args)
    except TypeError as exc:
        if "required positional argument" not in str(exc) or _binds(module, inputs, args):
            raise  # raised inside forward, not by its call
        raise TypeError(
            f"{exc}: the forward of {type(module).__name__} takes arguments beyond the "
            f"{len(inputs)} attributed input(s) it was given; pass the others (an attention "
            "mask, a flag, ...) with additional_forward_args=(...) to fit and to explain."
        ) from exc


def _binds(module, inputs, args):
    """Whether ``module.forward``'s signature accepts ``(*inputs, *args)`` (unknown: True)."""
    import inspect

    try:
        inspect.signature(module.forward).bind(*inputs, *args)
    except TypeError:
        return False
    except ValueError:  # no signature to read
        pass
    return True


def _integer_kind(sample):
    """``"b"`` for a boolean sample, ``"i"`` for an integer one, None otherwise."""
    import torch

    if isinstance(sample, torch.Tensor):
        if sample.dtype == torch.bool:
            return "b"
        return None if sample.is_floating_point() or sample.is_complex() else "i"
    kind = np.asarray(sample).dtype.kind
    return "b" if kind == "b" else "i" if kind in "iu" else None


def _dtype_words(dtype):
    return "floats" if dtype is None else f"{dtype} tensors"


def _exact_tensor(X, dtype, device, who):
    """``X`` as an int64 or bool tensor, refusing values that would change in the cast.

    Integer inputs (token ids, category codes) are never rounded through a
    floating dtype; floating or wider values reach here only from mixed data
    (a float background with integer rows), and must then be whole numbers
    (0 or 1 for booleans) to be passed on.
    """
    import torch

    t = X.detach() if isinstance(X, torch.Tensor) else None
    if t is None:
        arr = np.asarray(X)
        if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and arr.size and (
                arr.max() > np.iinfo(np.int64).max):
            raise ValueError(f"X holds integers above 2**63 - 1, which {who} cannot take "
                             "as int64 inputs.")
        if arr.dtype.kind == "u" and arr.dtype.itemsize >= 2:
            arr = arr.astype(np.int64)  # torch has no arithmetic on wide unsigned ints
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"X must hold numbers for {who}; got dtype {arr.dtype}.")
        t = torch.from_numpy(np.array(arr, copy=not arr.flags.writeable or None))
    if t.is_floating_point():
        bad = ~torch.isfinite(t) | (t != t.round())
        if dtype == torch.bool:
            bad |= (t != 0) & (t != 1)
        if bad.any():
            raise ValueError(
                f"X must hold whole numbers{' (0 or 1)' if dtype == torch.bool else ''} for "
                f"{who}, which takes {dtype} inputs (chosen at fit on integer data); got "
                f"{t[bad].flatten()[0].item()!r}.")
    elif dtype == torch.bool and t.dtype != torch.bool and ((t != 0) & (t != 1)).any():
        raise ValueError(f"X must hold 0/1 or booleans for {who}, which takes boolean "
                         "inputs (chosen at fit on boolean data).")
    return t.to(device=device, dtype=dtype)
