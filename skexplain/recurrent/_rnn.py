"""The states of one ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` call, layer by layer.

The module's own kernel returns only the top layer's output and the final
states, so each layer ``k`` is run again on its own: a single-layer module of
the same type (created on the "meta" device, so it holds no memory) is called
through :func:`torch.func.functional_call` with layer ``k``'s weights, and its
output feeds layer ``k + 1`` (both directions in one call, or each on its own
when the sequences have lengths).  That is the native fused kernel, so the
hidden states of all layers cost about one forward pass of the module; a
Python loop over time steps measured about 3.4x slower.

Cell states and gates are not returned by any kernel.  They are computed
afterwards from the hidden states already known: the gate pre-activations of
every step depend only on ``x_t`` and ``h_{t-1}``, so one GEMM (LSTM) or two
(GRU) over all steps give them at once; only the LSTM cell recurrence
``c_t = f_t c_{t-1} + i_t g_t`` needs a loop over time, on contiguous
``(batch, hidden)`` slices.

The kernels run time-major, ``(time, batch, features)``; what is returned is
batch-major, ``(batch, time, features)``, often a strided view.  ``lengths``
(when the sequences are padded) is a CPU int64 tensor; the reverse direction of
a sequence then starts at its last valid step, as with ``pack_padded_sequence``.
"""
import torch
from torch import nn
from torch.func import functional_call
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from ..exceptions import ModelEvaluationError

__all__ = ["GATES", "kinds_of", "module_states"]

GATES = {"LSTM": ("input_gate", "forget_gate", "cell_gate", "output_gate"),
         "GRU": ("reset_gate", "update_gate", "new_gate")}


def kinds_of(module):
    """What ``record=`` can take from ``module``: a subset of {"hidden", "cell", "gates"}."""
    if module.mode == "LSTM":
        return {"hidden", "cell", "gates"}
    return {"hidden", "gates"} if module.mode == "GRU" else {"hidden"}


class _LSTM(nn.LSTM):
    def reset_parameters(self):  # the weights are the user's: no init (1 ms on "meta")
        pass


class _GRU(nn.GRU):
    reset_parameters = _LSTM.reset_parameters


class _RNN(nn.RNN):
    reset_parameters = _LSTM.reset_parameters


def _single_layer(module, input_size, bidirectional):
    """A one-layer module like ``module`` (time-major), without memory."""
    kwargs = dict(input_size=input_size, hidden_size=module.hidden_size, num_layers=1,
                  bias=module.bias, batch_first=False, bidirectional=bidirectional,
                  device="meta")
    if module.mode == "LSTM":
        return _LSTM(proj_size=module.proj_size, **kwargs)
    if module.mode == "GRU":
        return _GRU(**kwargs)
    return _RNN(nonlinearity="tanh" if module.mode == "RNN_TANH" else "relu", **kwargs)


def _time_major(module, name, x):
    """``(padded (T, B, F), lengths or None)`` for the module's input."""
    if isinstance(x, PackedSequence):
        return pad_packed_sequence(x)
    if not torch.is_tensor(x) or x.dim() != 3:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ModelEvaluationError(
            f"module {name!r} received an input of shape {shape}; recording expects a batch "
            "of sequences, a 3-D tensor (or a PackedSequence). Pass X with the sequences "
            "on axis 0.")
    return (x.transpose(0, 1) if module.batch_first else x), None


def _flip(a, lengths, dim=0):
    """Each sequence of ``a`` reversed within its length; padding stays put.

    ``a`` is (T, B, F) with ``dim=0``, (B, T, F) with ``dim=1``.
    """
    if lengths is None:
        return a.flip(dim)
    steps = torch.arange(a.shape[dim])[:, None]
    last = lengths[None, :] - 1
    index = torch.where(steps <= last, last - steps, steps).to(a.device)
    index = index if dim == 0 else index.t()
    return a.gather(dim, index[..., None].expand_as(a))


def module_states(module, name, x, hx, lengths, kinds, n_sequences):
    """The states of every layer and direction of one call ``module(x, hx)``.

    Parameters
    ----------
    module : nn.RNN, nn.LSTM or nn.GRU
    name : str
        Its dotted name, for messages.
    x : Tensor or PackedSequence
        What the module received.
    hx : Tensor, tuple of Tensor, or None
        The initial state the module received.
    lengths : Tensor of int64 or None
        The valid steps of each sequence when ``x`` is a padded tensor.
    kinds : set of str
        Among "hidden", "cell", "gates" (those the module does not have are skipped).
    n_sequences : int
        The batch size expected.

    Returns
    -------
    states : list of (str, Tensor of shape (B, T, F))
        Suffixes such as ``"l0.hidden"``, ``"l1_reverse.forget_gate"``.
    lengths : Tensor of int64 or None
        The valid steps of each sequence (from a PackedSequence, or ``lengths``).
    """
    layer_input, packed_lengths = _time_major(module, name, x)
    if layer_input.shape[1] != n_sequences:
        raise ModelEvaluationError(
            f"module {name!r} received a batch of {layer_input.shape[1]} sequences, but X "
            f"holds {n_sequences}; X must have the sequences on axis 0 when batch_first=True "
            "(the default) and on axis 1 when batch_first=False.")
    if packed_lengths is not None:
        lengths = packed_lengths
    elif lengths is not None and int(lengths.max()) > layer_input.shape[0]:
        raise ValueError(
            f"lengths must be at most the number of time steps ({layer_input.shape[0]}) that "
            f"module {name!r} received; got a length of {int(lengths.max())}.")
    h0, c0 = (hx if isinstance(hx, tuple) else (hx, None))
    kinds = kinds & kinds_of(module)
    n_dir = 2 if module.bidirectional else 1
    singles, states = {}, []
    for k in range(module.num_layers):
        hiddens, output = _layer(module, singles, k, layer_input, lengths, h0, c0)
        for d, hidden in enumerate(hiddens):
            j = k * n_dir + d
            base = f"l{k}_reverse" if d else f"l{k}"
            if "hidden" in kinds:
                states.append((f"{base}.hidden", hidden.transpose(0, 1)))
            if kinds & {"cell", "gates"}:
                start = (None if h0 is None else h0[j], None if c0 is None else c0[j])
                more = _direction_gates(module, k, d, layer_input, hidden, lengths, start)
                wanted = ({"cell"} & kinds) | (set(GATES[module.mode]) if "gates" in kinds
                                               else set())
                states.extend((f"{base}.{kind}", value) for kind, value in more
                              if kind in wanted)
        layer_input = output
    return states, lengths


def _layer(module, singles, k, x, lengths, h0, c0):
    """``([hidden (T, B, H) of each direction], output)`` of layer ``k`` on input ``x``.

    With padded sequences the reverse direction runs forwards over each
    sequence reversed within its length (so that it starts at the last valid
    step, as a PackedSequence would: the packed path measured about 2x slower
    than the fused kernel), and its results are reversed back.  Padded steps come
    after the valid ones in either order, so they never reach a valid step.
    """
    size = module.input_size if k == 0 else x.shape[-1]
    n_dir = 2 if module.bidirectional else 1
    together = n_dir == 1 or lengths is None  # both directions in one call of the kernel
    key = (size, together)
    if key not in singles:
        singles[key] = _single_layer(module, size, module.bidirectional and together)
    single = singles[key]
    if together:
        j = slice(k * n_dir, (k + 1) * n_dir)
        output = _call(module, single, k, "", x, h0, c0, j)
        n_out = output.shape[-1] // n_dir
        return [output[..., d * n_out:(d + 1) * n_out] for d in range(n_dir)], output
    forward = _call(module, single, k, "", x, h0, c0, slice(2 * k, 2 * k + 1))
    backward = _flip(_call(module, single, k, "_reverse", _flip(x, lengths), h0, c0,
                           slice(2 * k + 1, 2 * k + 2)), lengths)
    return [forward, backward], torch.cat([forward, backward], dim=-1)


def _call(module, single, k, suffix, x, h0, c0, j):
    """``single`` run on ``x`` with the weights of layer ``k`` (``suffix``) of ``module``."""
    # names are f"{weight}_l0{more}" in the single-layer module, f"{weight}_l{k}{suffix}{more}"
    params = {n: getattr(module, n.replace("_l0", f"_l{k}{suffix}", 1))
              for n, _ in single.named_parameters()}
    if h0 is None:
        return functional_call(single, params, (x,))[0]
    hx = (h0[j], c0[j]) if module.mode == "LSTM" else h0[j]
    return functional_call(single, params, (x, hx))[0]


def _direction_gates(module, k, d, x, hidden, lengths, start):
    """``[(kind, (B, T, F))]``: the cell and gates of direction ``d`` of layer ``k``."""
    suffix = "_reverse" if d else ""
    weights = [getattr(module, f"{w}_l{k}{suffix}", None)
               for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    if d:  # in the order of processing: each sequence's last valid step first
        x, hidden = _flip(x, lengths), _flip(hidden, lengths)
    h0, c0 = start
    h_start = torch.zeros_like(hidden[0]) if h0 is None else h0
    more = _gates(module.mode, x, hidden, h_start, weights, c0)
    return [(kind, _flip(value, lengths, dim=1)) for kind, value in more] if d else more


def _gates(mode, x, hidden, h_start, weights, c_start):
    """``[(kind, (B, T, F))]``: the LSTM cell and gates, or the GRU gates, in step order.

    Batch-major, so that the stream (sequence after sequence) is a view of each
    gate: the only copy left is the one :class:`HiddenStates` makes.
    """
    w_ih, w_hh, b_ih, b_hh = weights
    x = x.transpose(0, 1)
    previous = hidden.transpose(0, 1)[:, :-1]
    if mode == "GRU":
        return _gru(x, torch.cat([h_start[:, None], previous], dim=1), w_ih, w_hh, b_ih, b_hh)
    if c_start is None:
        c_start = x.new_zeros(x.shape[0], w_hh.shape[0] // 4)
    # one GEMM [x_t, h_{t-1}] @ [W_ih, W_hh].T for all steps: one pass over the gates
    xh = torch.cat([x, torch.cat([h_start[:, None], previous], dim=1)], dim=-1)
    bias = None if b_ih is None else b_ih + b_hh
    return _lstm(xh, torch.cat([w_ih, w_hh], dim=1), bias, c_start)


def _preactivations(x, w, b):
    """``x @ w.T + b`` over all steps, as a (B * T, F) tensor."""
    flat = x.reshape(-1, x.shape[-1])
    return torch.mm(flat, w.t()) if b is None else torch.addmm(b, flat, w.t())


def _lstm(xh, w, bias, c_start):
    n_seq, n_steps, size = xh.shape[0], xh.shape[1], w.shape[0] // 4
    gates = _preactivations(xh, w, bias).view(n_seq, n_steps, 4 * size)
    # the gate order of torch is i, f, g, o; sigmoid in place on slices of the buffer,
    # tanh on a contiguous copy (in place on a strided slice it measured 3x slower)
    gates[..., :2 * size].sigmoid_()
    gates[..., 3 * size:].sigmoid_()
    i, f, o = gates[..., :size], gates[..., size:2 * size], gates[..., 3 * size:]
    g = gates[..., 2 * size:3 * size].contiguous().tanh_()
    # the recurrence runs over contiguous (batch, hidden) slices: time-major copies
    update = torch.mul(i.transpose(0, 1), g.transpose(0, 1),
                       out=xh.new_empty(n_steps, n_seq, size))
    forget = f.transpose(0, 1).contiguous()
    cell = torch.empty_like(update)
    previous = c_start
    for t in range(n_steps):
        torch.addcmul(update[t], forget[t], previous, out=cell[t])
        previous = cell[t]
    return [("cell", cell.transpose(0, 1)), ("input_gate", i), ("forget_gate", f),
            ("cell_gate", g), ("output_gate", o)]


def _gru(x, h_prev, w_ih, w_hh, b_ih, b_hh):
    n_seq, n_steps, size = x.shape[0], x.shape[1], w_hh.shape[0] // 3
    gi = _preactivations(x, w_ih, b_ih).view(n_seq, n_steps, 3 * size)
    gh = _preactivations(h_prev, w_hh, b_hh).view(n_seq, n_steps, 3 * size)
    gi[..., :2 * size] += gh[..., :2 * size]
    gi[..., :2 * size].sigmoid_()
    r, z = gi[..., :size], gi[..., size:2 * size]
    # n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), contiguous (tanh is slow on slices)
    n = torch.addcmul(gi[..., 2 * size:], r, gh[..., 2 * size:]).tanh_()
    return [("reset_gate", r), ("update_gate", z), ("new_gate", n)]
