"""Several attributed inputs packed into one row array, and extra forward arguments.

A torch model may take several tensors (``forward(image, tabular)``).  The
explainers' machinery (the gradient engine, the coalition evaluator, feature
groups) works on one array of rows, so the inputs are *packed*: each input's
row is flattened and the flat rows are put side by side, giving one
``(n, D)`` array with ``D = sum of the inputs' sizes``.  An
:class:`InputSpec`, learned from the background, packs and unpacks them; the
torch adapter unpacks in its forward pass, so nothing is stored on the
user's module.  This module imports torch only when given tensors.
"""
from dataclasses import dataclass

import numpy as np

from ._validation import _is_tensor, as_data

__all__ = ["InputSpec", "check_forward_args", "has_row_args", "is_input_tuple", "pack_inputs",
           "take_arg_rows"]


def is_input_tuple(X):
    """Whether ``X`` holds several attributed inputs, one per item.

    Only a tuple does (as in captum), and only when its items are all at
    least 2-D (an input's rows: arrays, tensors, nested lists).  A list is
    rows, whatever its items (per-row arrays or tensors included), and a
    tuple of 1-D rows stays one input, as everywhere in scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> is_input_tuple((np.zeros((2, 3)), np.zeros((2, 1)))), is_input_tuple(([1, 2], [3, 4]))
    (True, False)
    >>> is_input_tuple([np.zeros((1, 6, 6)), np.zeros((1, 6, 6))])  # two rows
    False
    """
    if not isinstance(X, tuple) or not X:
        return False
    try:
        return all(_ndim(item) >= 2 for item in X)
    except ValueError:  # ragged: rows of a single input, refused by its own checks
        return False


def _ndim(item):
    return item.dim() if _is_tensor(item) else np.ndim(item)


@dataclass(frozen=True)
class InputSpec:
    """Shapes and dtypes of the attributed inputs of a model, and their packing.

    Attributes
    ----------
    shapes : tuple of tuple
        The shape of one row of each input.
    kinds : tuple of str
        Each input's numpy dtype kind: ``"f"`` (floating), ``"i"`` (integer:
        token ids, codes) or ``"b"`` (boolean).  Kept through packing.
    dtypes : tuple of numpy.dtype
        Each input's dtype, given back in ``Explanation.data``.
    """

    shapes: tuple
    kinds: tuple
    dtypes: tuple

    @property
    def n_inputs(self):
        return len(self.shapes)

    @property
    def sizes(self):
        return tuple(int(np.prod(s)) for s in self.shapes)

    @property
    def offsets(self):
        return tuple(int(o) for o in np.concatenate([[0], np.cumsum(self.sizes)]))

    @property
    def width(self):
        """int: ``D``, the number of columns of a packed row."""
        return self.offsets[-1]

    @property
    def packed_kind(self):
        """Kind of a packed row: ``"f"`` when any input is floating, else ``"i"``.

        A floating packed row holds integer inputs exactly up to 2**53 in
        float64 (see :meth:`pack`), and the adapter casts them back.
        """
        return "f" if "f" in self.kinds else "i"

    def columns(self, k):
        """The packed columns of input ``k`` (a slice)."""
        return slice(self.offsets[k], self.offsets[k + 1])

    def feature_names(self, k=None):
        """``"input{k}[i]"`` for each flat feature of input ``k`` (all inputs: None)."""
        ks = range(self.n_inputs) if k is None else [k]
        return [f"input{j}[{i}]" for j in ks for i in range(self.sizes[j])]

    @classmethod
    def from_inputs(cls, inputs, *, name="background"):
        """The spec of ``inputs`` (validated as :func:`pack_inputs` does)."""
        arrays = [_as_rows(x, f"{name}[{k}]") for k, x in enumerate(inputs)]
        _check_rows_agree(arrays, name)
        kinds = tuple("b" if a.dtype.kind == "b" else "i" if a.dtype.kind in "iu" else "f"
                      for a in arrays)
        return cls(tuple(tuple(a.shape[1:]) for a in arrays), kinds,
                   tuple(_numpy_dtype(a) for a in arrays))

    def pack(self, inputs, *, name="X"):
        """``inputs`` (one array or tensor per input) as one packed row array.

        See :func:`pack_inputs`.
        """
        if not isinstance(inputs, (tuple, list)) or len(inputs) != self.n_inputs:
            got = (f"a {type(inputs).__name__} of {len(inputs)} inputs"
                   if isinstance(inputs, (tuple, list)) else f"a single {type(inputs).__name__}")
            raise ValueError(
                f"{name} must be a tuple of {self.n_inputs} inputs (one per input the "
                f"explainer was fitted on, in the same order); got {got}.")
        tensors = all(_is_tensor(x) for x in inputs)
        arrays = [x if tensors else _as_rows(x, f"{name}[{k}]") for k, x in enumerate(inputs)]
        _check_rows_agree(arrays, name)
        for k, (a, shape) in enumerate(zip(arrays, self.shapes)):
            if tuple(a.shape[1:]) != shape:
                raise ValueError(
                    f"{name}[{k}] must have shape (n, {', '.join(map(str, shape))}) like input "
                    f"{k} of the background; got {tuple(a.shape)}.")
        if tensors:
            return self._pack_tensors(arrays)
        dtype = np.result_type(*[a.dtype for a in arrays], np.int64) \
            if self.packed_kind == "i" else (
                np.result_type(*[a.dtype for a in arrays]) if set(self.kinds) == {"f"}
                else np.float64)
        return np.concatenate([a.reshape(a.shape[0], -1).astype(dtype, copy=False)
                               for a in arrays], axis=1)

    def _pack_tensors(self, tensors):
        import torch

        if self.packed_kind == "i":
            dtype = torch.int64
        elif set(self.kinds) == {"f"}:
            dtype = tensors[0].dtype
            for t in tensors[1:]:
                dtype = torch.promote_types(dtype, t.dtype)
        else:  # ids beside floats: float64 holds ids exactly
            dtype = torch.float64
        device = tensors[0].device
        return torch.cat([t.detach().reshape(t.shape[0], -1).to(device=device, dtype=dtype)
                          for t in tensors], dim=1)

    def unpack(self, packed):
        """Per-input views ``(n, *shape_k)`` of a packed array or tensor (no cast)."""
        n = packed.shape[0]
        return [packed[:, self.columns(k)].reshape((n,) + shape)
                for k, shape in enumerate(self.shapes)]

    def unpack_numpy(self, packed):
        """Per-input ndarrays in each input's own dtype (the data of the explanations)."""
        return [np.asarray(part).astype(dtype, copy=False)
                for part, dtype in zip(self.unpack(np.asarray(packed)), self.dtypes)]


def pack_inputs(inputs, spec, *, name="X"):
    """Validate a tuple of per-input rows against ``spec`` and pack them.

    Parameters
    ----------
    inputs : tuple or list of array-like or tensor
        One entry per attributed input, each of shape (n, \\*shape_k) with
        the same n.  All tensors: a packed tensor (on the first one's
        device); otherwise a packed ndarray.
    spec : InputSpec
    name : str, default="X"
        The parameter named in error messages (``"baselines"`` for per-row
        baselines).

    Returns
    -------
    ndarray or Tensor of shape (n, D)

    Examples
    --------
    >>> import numpy as np
    >>> spec = InputSpec.from_inputs((np.zeros((1, 2)), np.zeros((1, 1, 2))))
    >>> pack_inputs((np.ones((3, 2)), np.full((3, 1, 2), 2.0)), spec).tolist()[0]
    [1.0, 1.0, 2.0, 2.0]
    >>> pack_inputs((np.ones((3, 2)), np.ones((2, 1, 2))), spec)
    Traceback (most recent call last):
    ...
    ValueError: X's inputs must have the same number of rows; got X[0]: 3 rows, X[1]: 2 rows.
    """
    return spec.pack(inputs, name=name)


def check_forward_args(args, n, *, name="additional_forward_args", device=None,
                       float_dtype=None):
    """``additional_forward_args`` as a tuple, per-row arrays checked and made tensors.

    Parameters
    ----------
    args : None, tuple, list or a single value
        Extra positional arguments passed to ``forward`` after the attributed
        inputs.  Every tensor or ndarray is per row: its first dimension must
        be ``n``.  Anything else (int, float, None, str, bool) is passed as
        is to every call.
    n : int
        Rows of this call (the background's at fit, the explained rows at
        explain).
    device : torch.device, default=None
        Where per-row tensors go.
    float_dtype : torch.dtype, default=None
        The dtype given to floating ndarrays (the module's); tensors keep theirs.

    Returns
    -------
    tuple or None
        None when ``args`` is None.
    """
    if args is None:
        return None
    items = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    out = []
    for pos, value in enumerate(items):
        if isinstance(value, np.ndarray) or _is_tensor(value):
            shape = tuple(value.shape)
            if not shape or shape[0] != n:
                raise ValueError(
                    f"{name}[{pos}] is a per-row {type(value).__name__} (every tensor or "
                    f"array in {name} has one entry per row): expected its first dimension "
                    f"to be {n}, the number of rows of this call; got shape {shape}. Pass "
                    "a tensor shared by all rows by closing over it (functools.partial or a "
                    "wrapper module).")
            out.append(_to_tensor(value, device, float_dtype))
        elif isinstance(value, (bool, int, float, str, type(None), np.generic)):
            out.append(value)
        else:
            raise TypeError(
                f"{name}[{pos}] must be a tensor or ndarray (one entry per row) or a plain "
                f"value (int, float, None, str, bool) passed as is; got "
                f"{type(value).__name__}.")
    return tuple(out)


def has_row_args(args):
    """Whether ``args`` (checked) holds a per-row tensor."""
    return args is not None and any(_is_tensor(a) for a in args)


def take_arg_rows(args, rows):
    """The per-row tensors of ``args`` at ``rows`` (an index tensor, slice or int list)."""
    if args is None:
        return ()
    return tuple(a[rows] if _is_tensor(a) else a for a in args)


def _to_tensor(value, device, float_dtype):
    import torch

    if _is_tensor(value):
        t = value.detach()
    else:
        arr = np.array(value, copy=True) if value.dtype.kind != "O" else value.astype(float)
        if arr.dtype.kind == "u" and arr.dtype.itemsize >= 2:
            arr = arr.astype(np.int64)
        t = torch.from_numpy(arr)
        if t.is_floating_point() and float_dtype is not None:
            t = t.to(float_dtype)
    return t if device is None else t.to(device)


def _as_rows(x, name):
    data = as_data(x, name=name, numeric=True)
    if hasattr(data, "to_numpy"):
        data = data.to_numpy()
    if data.ndim < 2 or data.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (n, *input_shape) with n >= 1 rows and at least one "
            f"feature per row; got shape {tuple(data.shape)}.")
    return data


def _check_rows_agree(arrays, name):
    counts = [int(a.shape[0]) for a in arrays]
    if len(set(counts)) > 1:
        given = ", ".join(f"{name}[{k}]: {c} rows" for k, c in enumerate(counts))
        raise ValueError(f"{name}'s inputs must have the same number of rows; got {given}.")


def _numpy_dtype(a):
    if _is_tensor(a):  # pragma: no cover - from_inputs converts
        a = a.detach().cpu().numpy()
    return np.asarray(a[:0]).dtype
