"""A torch module taking several attributed inputs, seen through packed rows.

The explainers work on one array of rows; for a module ``forward(a, b, ...)``
the rows of the inputs are packed side by side (see
:class:`skexplain.utils._inputs.InputSpec`).  :class:`PackedTorchModel`
unpacks them in its forward pass, giving each input its shape and dtype
(token ids stay integers), so the gradient engine and the coalition
evaluator run unchanged and nothing is stored on the user's module.
"""
import numpy as np

from ..exceptions import ModelEvaluationError
from ._torch import TorchModel, call_module

__all__ = ["PackedTorchModel"]


class PackedTorchModel(TorchModel):
    """Explain a torch module taking several inputs, given packed rows.

    Parameters
    ----------
    module : torch.nn.Module
        Called as ``module(*inputs, *additional_forward_args)``.
    spec : InputSpec
        Shapes and dtype kinds of the inputs.
    output, batch_size, forward_args
        As for :class:`~skexplain.adapters.TorchModel`.
    sample : ndarray or Tensor of shape (n, D)
        Packed rows (the background).
    integer_inputs : {"keep", "float"}, default="keep"
        Integer and boolean inputs are passed as int64/bool tensors
        (``"keep"``, tried first) or in the module's floating dtype
        (``"float"``, tried first by the gradient explainers); the other
        choice is tried when the module refuses the first.

    Attributes
    ----------
    input_dtypes : list of torch.dtype or None
        Per input: ``torch.int64``/``torch.bool`` when passed as such, None
        for the module's floating dtype.
    """

    def __init__(self, module, spec, output="auto", sample=None, batch_size=None,
                 integer_inputs="keep", forward_args=None):
        self.spec = spec
        self.input_dtypes = [None] * spec.n_inputs
        super().__init__(module, output=output, sample=sample, batch_size=batch_size,
                         integer_inputs=integer_inputs, forward_args=forward_args)

    def _first_call(self, sample, integer_inputs):
        import torch

        native = [torch.bool if k == "b" else torch.int64 if k == "i" else None
                  for k in self.spec.kinds]
        if all(d is None for d in native):
            return self.predict_all_columns(sample)
        if torch.int64 in native:  # before torch's "index out of range in self" on a bad id
            self._set_dtypes(native)
            self._find_id_embeddings(sample)
            self.check_ids(sample, "background")
        floats = [None] * len(native)
        tries = [native, floats] if integer_inputs == "keep" else [floats, native]
        errors = []
        for dtypes in tries:
            self._set_dtypes(dtypes)
            try:
                out = self.predict_all_columns(sample)
            except ModelEvaluationError as exc:
                errors.append(exc)
            else:
                self._find_id_embeddings(sample)
                return out
        self._set_dtypes(tries[0])
        raise ModelEvaluationError(
            f"{errors[0]} (with the integer inputs passed the other way, as floats or as "
            f"int64, it raised too: {errors[1]})") from errors[0]

    def _find_id_embeddings(self, sample):
        """Per input passed as int64: the embedding called on it itself (see
        :func:`~skexplain.adapters._token_ids.find_id_embedding`), or None."""
        import torch

        from ._token_ids import find_id_embedding

        parts = [self._cast(k, part) for k, part in
                 enumerate(self.spec.unpack(self.to_tensor(sample)))]
        args = self._args_for(0, 1)  # the sample's forward arguments, if any
        self.id_embeddings = [
            find_id_embedding(self.module, part, lambda: self.module(*parts, *args))
            if dtype == torch.int64 else None for part, dtype in zip(parts, self.input_dtypes)]

    def check_ids(self, X, name="X"):
        """Refuse token ids outside the range of the embedding each integer input
        feeds, naming ``name[k]`` (see :meth:`TorchModel.check_ids`)."""
        from ._token_ids import check_token_ids

        found = getattr(self, "id_embeddings", None)
        if not found or all(e is None for e in found):
            return
        for k, part in enumerate(self.spec.unpack(X)):
            if found[k] is not None:
                check_token_ids(_as_ids(part), found[k], f"{name}[{k}]", self.describe())

    def _set_dtypes(self, dtypes):
        import torch

        self.input_dtypes = list(dtypes)
        # input_dtype says whether packed rows keep integers (token ids) exactly
        self.input_dtype = next((d for d in dtypes if d is not None), None)
        if self.input_dtype == torch.bool:
            self.input_dtype = torch.int64

    def describe(self):
        return (f"the torch module {type(self.module).__name__} (called with "
                f"{self.spec.n_inputs} inputs)")

    def to_tensor(self, X):
        """Packed rows as a tensor: the module's dtype, or float64/int64 holding ids exactly."""
        import torch

        if self.input_dtype is None:
            dtype = self.dtype
        else:
            dtype = torch.float64 if self.spec.packed_kind == "f" else torch.int64
        if isinstance(X, torch.Tensor):
            return X.detach().to(device=self.device, dtype=dtype)
        arr = np.asarray(X)
        if not arr.flags.writeable:
            arr = arr.copy()
        if arr.dtype.kind == "u" and arr.dtype.itemsize >= 2:
            arr = arr.astype(np.int64)
        return torch.as_tensor(arr, device=self.device).to(dtype)

    def forward(self, X, args=()):
        """Unpack the rows ``X`` (n, D) and call the module on the inputs and ``args``."""
        parts = [self._cast(k, part) for k, part in enumerate(self.spec.unpack(X))]
        return self._check_forward(call_module(self.module, parts, args), X.shape[0])

    def _cast(self, k, part):
        dtype = self.input_dtypes[k]
        if dtype is None:
            return part if part.dtype == self.dtype else part.to(self.dtype)
        if part.is_floating_point() and bool((part != part.round()).any()):
            bad = part[part != part.round()].flatten()[0].item()
            raise ValueError(
                f"input {k} of {self.describe()} takes {dtype} values (token ids or codes, "
                f"chosen at fit on integer data); got the non-integer value {bad!r}.")
        return part.to(dtype)


def _as_ids(part):
    """Ids packed beside floats (whole float64 numbers) as int64, so errors show ids."""
    if isinstance(part, np.ndarray):
        whole = part.dtype.kind == "f" and np.isfinite(part).all() and (
            part == np.round(part)).all()
        return part.astype(np.int64) if whole else part
    if part.is_floating_point() and bool(((part == part.round()) & part.isfinite()).all()):
        return part.long()
    return part
