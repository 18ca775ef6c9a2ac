"""Recording the states of a torch module's layers into a :class:`HiddenStates`.

One forward pass of the user's model per batch: a forward pre-hook on each
recurrent module to record reads what the module receives (input and initial
state) and computes the states of all its layers with the native kernel (see
``_rnn``); a forward hook on any other module to record copies its output.
Once every module to record has been seen, the rest of the forward pass runs on
the first time step only (the last recorded module's input, or output, is cut
to one step): the long computation is not done twice, and a recorded module
called a second time in the same pass is still seen, and refused.  Errors of
that cut-down rest of the pass are ignored: everything asked for is recorded.
"""
import numbers

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from ..adapters._torch import eval_mode, module_device, module_dtype
from ..adapters._torch_layers import resolve_layer, thread_owned
from ..exceptions import ModelEvaluationError
from ._rnn import kinds_of, module_states
from ._states import HiddenStates

__all__ = ["record_states"]

_KINDS = ("hidden", "cell", "gates")


class _Reused(Exception):
    """A recorded module was called again in the same forward pass."""


def _check_record(record):
    if isinstance(record, str):
        record = _KINDS if record == "all" else (record,)
    try:
        kinds = set(record)
    except TypeError:
        kinds = None
    if not kinds or not kinds <= set(_KINDS):
        raise ValueError(f"record must be 'hidden', 'all' or an iterable of some of "
                         f"{', '.join(map(repr, _KINDS))}; got {record!r}.")
    return kinds


def _targets(model, layers):
    """``[(dotted_name, module)]`` to record."""
    if layers is None:
        found = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.RNNBase)]
        if not found:
            raise ValueError(
                f"layers=None records every nn.RNN, nn.LSTM and nn.GRU of the model, but "
                f"model ({type(model).__name__}) has none. Pass layers= (submodules or their "
                "dotted names) to record other modules' outputs by forward hooks.")
        return found
    if isinstance(layers, (str, nn.Module)):
        layers = [layers]
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError(f"layers must be None, a submodule of the model, its dotted name, or a "
                        f"list of those; got {type(layers).__name__}.") from None
    if not layers:
        raise ValueError("layers must name at least one module; got an empty list.")
    found = {}
    for layer in layers:
        name, module = resolve_layer(model, layer, name="layers")
        found.setdefault(name, module)
    return list(found.items())


def _check_native(targets):
    """Refuse recurrent modules whose forward is not torch's: their states would be wrong."""
    for name, module in targets:
        base = next((c for c in (nn.LSTM, nn.GRU, nn.RNN) if isinstance(module, c)), None)
        if isinstance(module, nn.RNNBase) and (base is None
                                               or type(module).forward is not base.forward):
            # the states are computed from what forward receives: a forward of its own
            # may change the input or state before the kernel (a silent wrong answer)
            raise ValueError(
                f"layers must be nn.RNN, nn.LSTM or nn.GRU modules with torch's own forward "
                f"(their states are computed from what forward receives); got "
                f"{name or 'the model'!r} of type {type(module).__name__}, whose forward "
                f"is not {(base or nn.RNNBase).__name__}.forward. Record a module that its "
                "forward calls, or its output by a forward hook on a wrapping module.")


def _check_kinds(kinds, targets, record):
    recurrent = [m for _, m in targets if isinstance(m, nn.RNNBase)]
    available = set().union(*(kinds_of(m) for m in recurrent)) if recurrent else set()
    missing = kinds - available - ({"hidden"} if len(recurrent) < len(targets) else set())
    if missing and not (isinstance(record, str) and record == "all"):  # all: what each has
        have = ", ".join(f"{n or 'the model'} ({type(m).__name__})" for n, m in targets)
        raise ValueError(
            f"record={record!r} asks for {' and '.join(sorted(missing))}, which no recorded "
            f"module has (cell states: nn.LSTM; gates: nn.LSTM and nn.GRU); the recorded "
            f"modules are {have}.")


def _as_input(X, model, batch_first):
    if isinstance(X, PackedSequence):
        raise TypeError("X must be a padded tensor or array of sequences (with lengths= for "
                        "their valid steps); got a PackedSequence.")
    if not torch.is_tensor(X):
        try:
            X = torch.as_tensor(np.asarray(X))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"X must be a tensor or an array of sequences (pad ragged ones and "
                            f"pass lengths=); got {type(X).__name__} ({exc}).") from None
    axis = 0 if batch_first else 1
    if X.dim() <= axis or X.shape[axis] < 1:
        raise ValueError(f"X must hold at least one sequence on axis {axis} (batch_first="
                         f"{batch_first}); got shape {tuple(X.shape)}.")
    if X.is_floating_point() and X.dtype != module_dtype(model):
        X = X.to(module_dtype(model))
    return X.to(module_device(model)), axis


def _check_lengths(lengths, n):
    if lengths is None:
        return None
    array = np.asarray(lengths)
    integral = array.dtype != bool and (np.issubdtype(array.dtype, np.integer) or (
        array.dtype == object and all(isinstance(v, numbers.Integral) for v in array.flat)))
    if isinstance(lengths, (list, tuple)):  # np.asarray makes [True, 2] an int array
        integral = integral and not any(isinstance(v, (bool, np.bool_)) for v in lengths)
    if array.shape != (n,) or not integral or array.min() < 1:
        raise ValueError(f"lengths must be {n} positive integers, one per sequence of X; got "
                         f"{lengths!r}.")
    return torch.as_tensor(array.astype(np.int64))


def _check_batch_size(batch_size, n):
    if batch_size is None:
        return n
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None; got {batch_size!r}.")
    return int(batch_size)


def record_states(model, X, tokens=None, *, layers=None, record="hidden", lengths=None,
                  batch_first=True, batch_size=None):
    """Record the states of ``model``'s layers; see :meth:`HiddenStates.from_module`."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    if isinstance(model, torch.jit.ScriptModule):  # hooks never run inside TorchScript
        raise TypeError(f"model must be a Python torch.nn.Module, not a TorchScript module "
                        f"(torch.jit.script or torch.jit.trace); got {type(model).__name__}. "
                        "Record the original module.")
    if not isinstance(batch_first, (bool, np.bool_)):  # "no" would be truthy
        raise TypeError(f"batch_first must be True or False; got {batch_first!r}.")
    kinds = _check_record(record)
    targets = _targets(model, layers)
    _check_native(targets)
    _check_kinds(kinds, targets, record)
    X, axis = _as_input(X, model, batch_first)
    n = X.shape[axis]
    lengths = _check_lengths(lengths, n)
    step = _check_batch_size(batch_size, n)
    layers_out, seq_lengths = {}, []
    with torch.no_grad(), eval_mode(model):
        for start in range(0, n, step):
            chunk = X.narrow(axis, start, min(step, n - start))
            part = None if lengths is None else lengths[start:start + chunk.shape[axis]]
            streams, kept = _record_batch(model, chunk, part, targets, kinds, batch_first)
            for name, value in streams.items():
                layers_out.setdefault(name, []).append(value)
            seq_lengths.append(kept)
    seq_lengths = np.concatenate(seq_lengths)
    # HiddenStates copies each array: one chunk needs no copy here
    states = {name: parts[0] if len(parts) == 1 else np.concatenate(parts)
              for name, parts in layers_out.items()}
    tokens = _stream_tokens(tokens, seq_lengths)
    return HiddenStates(states, tokens, layer=_default_layer(targets, states),
                        sequence_ids=np.repeat(np.arange(n), seq_lengths))


def _prefix(name):
    return f"{name}." if name else ""


def _default_layer(targets, states):
    """The top layer's forward hidden states of the last recorded module (if recorded)."""
    name, module = targets[-1]
    if isinstance(module, nn.RNNBase):
        wanted = f"{_prefix(name)}l{module.num_layers - 1}.hidden"
        return wanted if wanted in states else None
    return _hooked_name(name)


def _hooked_name(name):
    return name or "output"


class _Recorder:
    """The hooks of one forward pass: what each recorded module gave, and how often it ran."""

    def __init__(self, targets, lengths, kinds, batch_first, n):
        self.n_targets, self.lengths, self.kinds = len(targets), lengths, kinds
        self.batch_first, self.n = batch_first, n
        self.captured, self.calls = {}, dict.fromkeys([name for name, _ in targets], 0)

    @property
    def complete(self):
        return len(self.captured) == self.n_targets

    def _seen(self, name):
        self.calls[name] += 1
        if self.calls[name] > 1:
            raise _Reused(name)

    def pre_hook(self, name, module):
        """Before a recurrent module runs: its states, from what it receives."""
        def hook(_module, args, kwargs):
            self._seen(name)
            x = args[0] if args else kwargs.get("input")
            hx = args[1] if len(args) > 1 else kwargs.get("hx")
            states, kept = module_states(module, name, x, hx, self.lengths, self.kinds, self.n)
            self.captured[name] = ([(_prefix(name) + s, v) for s, v in states], kept)
            return _cut_input(module, args, kwargs) if self.complete else None
        return hook

    def post_hook(self, name):
        """After another module ran: a copy of its output."""
        def hook(_module, _args, out):
            self._seen(name)
            first = out[0] if isinstance(out, tuple) and out else out
            self.captured[name] = _hooked_output(name, first, self.batch_first, self.n,
                                                 self.lengths)
            if not self.complete:
                return None
            cut = _cut(first, self.batch_first)
            return (cut,) + out[1:] if first is not out else cut
        return hook


def _record_batch(model, X, lengths, targets, kinds, batch_first):
    """``({layer name: (steps, F) array}, kept steps per sequence)`` for one batch."""
    n = X.shape[0 if batch_first else 1]
    recorder = _Recorder(targets, lengths, kinds, batch_first, n)
    handles = []
    try:
        for name, module in targets:
            if isinstance(module, nn.RNNBase):
                handles.append(module.register_forward_pre_hook(
                    thread_owned(recorder.pre_hook(name, module)), with_kwargs=True))
            else:
                handles.append(module.register_forward_hook(
                    thread_owned(recorder.post_hook(name))))
        model(X)
    except _Reused as exc:
        raise ModelEvaluationError(
            f"module {exc.args[0]!r} was called more than once in one forward pass of the "
            "model, so its states are ambiguous; record a module called once per pass "
            "(e.g. with layers=).") from None
    except Exception:
        if not recorder.complete:  # the model failed on the user's input
            raise
        # else: the cut-down rest of the pass failed on one-step tensors; nothing is lost
    finally:
        for handle in handles:
            handle.remove()
    missing = [name for name, _ in targets if name not in recorder.captured]
    if missing:
        raise ModelEvaluationError(
            f"layers {missing} were not called in the model's forward pass; record modules "
            "that the forward pass uses.")
    return _streams(recorder.captured, lengths, n)


def _hooked_output(name, out, batch_first, n, lengths):
    kept = None
    if isinstance(out, PackedSequence):
        out, kept = pad_packed_sequence(out, batch_first=True)
    elif torch.is_tensor(out) and out.dim() == 3:
        out = out if batch_first else out.transpose(0, 1)
    else:
        shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
        raise ModelEvaluationError(
            f"layer {name!r} returned {shape}; a module recorded by a hook must return a tensor "
            f"of shape {'(batch, time, features)' if batch_first else '(time, batch, features)'}"
            " (or a tuple whose first element is one).")
    if out.shape[0] != n:
        raise ModelEvaluationError(
            f"layer {name!r} returned {out.shape[0]} sequences, but X holds {n}; check "
            "batch_first (it says which axis of X and of hooked outputs is the batch).")
    # a copy: later layers may change the output in place (ReLU(inplace=True))
    return [(_hooked_name(name), out.detach().clone())], kept


def _cut(x, batch_first):
    """The first time step only of a tensor or PackedSequence (a copy)."""
    if isinstance(x, PackedSequence):
        first = int(x.batch_sizes[0])
        return PackedSequence(x.data[:first].clone(), x.batch_sizes[:1], x.sorted_indices,
                              x.unsorted_indices)
    if not torch.is_tensor(x) or x.dim() < 2:
        return x
    return (x[:, :1] if batch_first else x[:1]).clone()


def _cut_input(module, args, kwargs):
    if args:
        return (_cut(args[0], module.batch_first),) + tuple(args[1:]), kwargs
    return args, {**kwargs, "input": _cut(kwargs["input"], module.batch_first)}


def _streams(captured, lengths, n):
    """Every recorded tensor as a (steps, F) array: sequence 0's kept steps, then 1's, ..."""
    kept = _agree(captured, lengths)
    streams = {}
    for tensors, _ in captured.values():
        for name, value in tensors:  # (B, T, F), often a strided view
            if kept is None:
                value = value.reshape(-1, value.shape[-1])
            else:
                if int(kept.max()) > value.shape[1]:
                    raise ValueError(f"lengths must be at most the number of time steps "
                                     f"({value.shape[1]}) of layer {name!r}; got a length of "
                                     f"{int(kept.max())}.")
                # one copy of each sequence's kept steps (a boolean mask is slower)
                value = torch.cat([value[b, :steps] for b, steps in enumerate(kept.tolist())])
            if value.is_floating_point() and value.dtype not in (torch.float32, torch.float64):
                value = value.float()  # float16, bfloat16: numpy has no bfloat16
            streams[name] = value.detach().cpu().numpy()
    if kept is None:
        steps = {v.shape[1] for tensors, _ in captured.values() for _, v in tensors}
        if len(steps) > 1:
            raise ModelEvaluationError(f"the recorded layers have different numbers of time "
                                       f"steps {sorted(steps)}; record layers over the same "
                                       "steps.")
        kept = torch.full((n,), steps.pop(), dtype=torch.int64)
    return streams, kept.numpy()


def _agree(captured, lengths):
    """The kept steps per sequence: ``lengths``, or those of PackedSequences recorded."""
    packed = {name: k for name, (_, k) in captured.items() if k is not None}
    for name, k in packed.items():
        k = k.cpu()
        if lengths is None:
            lengths = k
        elif not torch.equal(k, lengths.cpu()):
            raise ValueError(f"lengths must match the sequence lengths of the PackedSequence "
                             f"that {name!r} received ({k.tolist()}); got {lengths.tolist()}.")
    return lengths


def _stream_tokens(tokens, seq_lengths):
    """``tokens`` as one list over the stream, or None."""
    if tokens is None:
        return None
    total, lengths = int(seq_lengths.sum()), seq_lengths.tolist()
    if isinstance(tokens, (bytes, bytearray)):  # list() would give the byte values
        raise TypeError(f"tokens must be a str or a sequence of {total} tokens; got "
                        f"{type(tokens).__name__} (decode it first, e.g. "
                        "tokens.decode('utf-8')).")
    if isinstance(tokens, str):
        items = list(tokens)
    else:
        try:
            items = list(tokens)
        except TypeError:
            raise TypeError(f"tokens must be a sequence of {total} tokens or a list of "
                            f"{len(lengths)} per-sequence token lists; got "
                            f"{type(tokens).__name__}.") from None
        per_sequence = len(items) == len(lengths) and all(
            isinstance(t, (str, list, tuple, np.ndarray)) for t in items)
        if per_sequence and [len(t) for t in items] == lengths:
            return [str(token) for t in items for token in t]
        if per_sequence and (len(items) != total or not all(isinstance(t, str) for t in items)):
            raise ValueError(f"tokens must have one token list per sequence, each as long as "
                             f"its sequence ({lengths}); got lists of lengths "
                             f"{[len(t) for t in items]}.")
    if len(items) != total:
        raise ValueError(f"tokens must have one token per recorded time step ({total} = "
                         f"{' + '.join(map(str, lengths[:8]))}"
                         f"{' + ...' if len(lengths) > 8 else ''}), or one token list "
                         f"per sequence; got {len(items)} tokens.")
    return [str(token) for token in items]
