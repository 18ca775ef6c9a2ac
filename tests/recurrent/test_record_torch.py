"""HiddenStates.from_module against a manual unrolling of the RNN, LSTM and GRU equations."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

from skexplain.recurrent import HiddenStates  # noqa: E402

GATES = {"LSTM": ("input_gate", "forget_gate", "cell_gate", "output_gate"),
         "GRU": ("reset_gate", "update_gate", "new_gate")}


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def step(mode, p, x, h, c):
    """One step of the equations of torch's documentation, in float64 numpy."""
    w_ih, w_hh, b_ih, b_hh, w_hr = p
    a, b = w_ih @ x + b_ih, w_hh @ h + b_hh
    if mode == "LSTM":
        i, f, g, o = np.split(a + b, 4)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c = f * c + i * g
        h = o * np.tanh(c)
        h = h if w_hr is None else w_hr @ h
        return h, c, dict(zip(GATES["LSTM"], (i, f, g, o)), cell=c)
    if mode == "GRU":
        (ar, az, an), (br, bz, bn) = np.split(a, 3), np.split(b, 3)
        r, z = sigmoid(ar + br), sigmoid(az + bz)
        n = np.tanh(an + r * bn)
        return (1 - z) * n + z * h, c, dict(reset_gate=r, update_gate=z, new_gate=n)
    pre = a + b
    return (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0.0)), c, {}


def params(module, k, suffix):
    def get(name):
        value = getattr(module, f"{name}_l{k}{suffix}", None)
        return None if value is None else value.detach().double().numpy()
    n_gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1) * module.hidden_size
    zeros = np.zeros(n_gates)
    b_ih, b_hh = get("bias_ih"), get("bias_hh")
    return (get("weight_ih"), get("weight_hh"), zeros if b_ih is None else b_ih,
            zeros if b_hh is None else b_hh, get("weight_hr"))


def unroll(module, x, lengths, hx=None, prefix=""):
    """{name: (steps, F)} by a plain loop: sequence by sequence, layer by layer, step by step."""
    x = np.asarray(x, dtype=float)  # (B, T, F), batch first
    n_dir = 2 if module.bidirectional else 1
    n_out = module.proj_size or module.hidden_size
    h0, c0 = (hx if isinstance(hx, tuple) else (hx, None))
    out = {}
    for b, length in enumerate(lengths):
        layer_in = x[b, :length]
        for k in range(module.num_layers):
            outputs = []
            for d in range(n_dir):
                p = params(module, k, "_reverse" if d else "")
                h = np.zeros(n_out) if h0 is None else h0[k * n_dir + d, b].double().numpy()
                c = np.zeros(module.hidden_size) if c0 is None \
                    else c0[k * n_dir + d, b].double().numpy()
                rows = {}
                hs = np.zeros((length, n_out))
                order = range(length - 1, -1, -1) if d else range(length)
                for t in order:
                    h, c, extra = step(module.mode, p, layer_in[t], h, c)
                    hs[t] = h
                    for kind, value in extra.items():
                        rows.setdefault(kind, np.zeros((length, len(value))))[t] = value
                base = f"{prefix}l{k}{'_reverse' if d else ''}"
                out.setdefault(f"{base}.hidden", []).append(hs)
                for kind, value in rows.items():
                    out.setdefault(f"{base}.{kind}", []).append(value)
                outputs.append(hs)
            layer_in = np.concatenate(outputs, axis=1)
    return {name: np.concatenate(parts) for name, parts in out.items()}


class Wrapped(nn.Module):
    """Embedding-free wrapper that may pack its input or pass an initial state."""

    def __init__(self, rnn, pack=False, hx=None):
        super().__init__()
        self.rnn, self.pack, self.hx, self.head = rnn, pack, hx, nn.Linear(1, 1)
        self.lengths = None

    def forward(self, x):
        if self.pack:
            x = pack_padded_sequence(x, self.lengths, batch_first=self.rnn.batch_first,
                                     enforce_sorted=False)
        out = self.rnn(x) if self.hx is None else self.rnn(x, self.hx)
        out = out[0]
        if self.pack:
            out = pad_packed_sequence(out, batch_first=self.rnn.batch_first)[0]
        return out.sum(-1, keepdim=True)


def make(kind, **kw):
    torch.manual_seed(0)
    cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN_TANH": nn.RNN, "RNN_RELU": nn.RNN}[kind]
    if kind == "RNN_RELU":
        kw["nonlinearity"] = "relu"
    kw = {"num_layers": 2, "bidirectional": True, "batch_first": True, **kw}
    return cls(3, 5, **kw).double()


def assert_layers_equal(hs, expected):
    assert set(hs.layers) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(hs.layers[name], value, atol=1e-10, err_msg=name)


X = torch.randn(3, 6, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
LENGTHS = [6, 2, 4]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
def test_all_layers_and_directions_equal_a_manual_unrolling_with_lengths(kind):
    rnn = make(kind)
    hs = HiddenStates.from_module(rnn, X, record="all", lengths=LENGTHS)
    expected = unroll(rnn, X, LENGTHS)
    assert_layers_equal(hs, expected)
    assert hs.sequence_ids.tolist() == [0] * 6 + [1] * 2 + [2] * 4
    assert hs.layer == "l1.hidden"


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_hidden_only_by_default_and_top_layer_equals_the_modules_output(kind):
    rnn = make(kind)
    hs = HiddenStates.from_module(rnn, X)
    assert sorted(hs.layers) == ["l0.hidden", "l0_reverse.hidden", "l1.hidden",
                                 "l1_reverse.hidden"]
    with torch.no_grad():
        out = rnn(X)[0].reshape(-1, 10).numpy()
    np.testing.assert_allclose(hs.layers["l1.hidden"], out[:, :5], atol=1e-12)
    np.testing.assert_allclose(hs.layers["l1_reverse.hidden"], out[:, 5:], atol=1e-12)


def test_projected_lstm_without_bias_time_major_with_initial_state():
    torch.manual_seed(2)
    rnn = make("LSTM", proj_size=2, bias=False, batch_first=False)
    hx = (torch.randn(4, 3, 2, dtype=torch.float64), torch.randn(4, 3, 5, dtype=torch.float64))
    model = Wrapped(rnn, hx=hx)
    hs = HiddenStates.from_module(model, X.transpose(0, 1), record="all", lengths=LENGTHS,
                                  batch_first=False)
    expected = unroll(rnn, X, LENGTHS, hx=hx, prefix="rnn.")
    assert_layers_equal(hs, expected)
    assert hs.layers["rnn.l1.hidden"].shape[1] == 2 and hs.layers["rnn.l1.cell"].shape[1] == 5


def test_gru_initial_state_passed_as_keyword():
    rnn = make("GRU")
    hx = torch.randn(4, 3, 5, dtype=torch.float64)

    class Kw(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            return self.rnn(input=x, hx=hx)[0]

    hs = HiddenStates.from_module(Kw(), X, record="all")
    assert_layers_equal(hs, unroll(rnn, X, [6, 6, 6], hx=hx, prefix="rnn."))


def test_model_that_packs_its_own_input_gives_its_lengths():
    rnn = make("LSTM")
    model = Wrapped(rnn, pack=True)
    model.lengths = torch.tensor(LENGTHS)
    hs = HiddenStates.from_module(model, X, record="all")
    assert_layers_equal(hs, unroll(rnn, X, LENGTHS, prefix="rnn."))
    assert hs.n_steps == sum(LENGTHS)
    same = HiddenStates.from_module(model, X, lengths=LENGTHS)
    np.testing.assert_array_equal(same.states, hs.states)
    with pytest.raises(ValueError, match="lengths must match the sequence lengths"):
        HiddenStates.from_module(model, X, lengths=[6, 3, 4])


def test_dropout_between_layers_is_off_and_the_module_is_unchanged():
    rnn = make("LSTM", dropout=0.5)
    model = Wrapped(rnn).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    hs = HiddenStates.from_module(model, X, record="all", lengths=LENGTHS)
    assert_layers_equal(hs, unroll(rnn, X, LENGTHS, prefix="rnn."))
    assert model.training and rnn.training and model.head.training
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
    assert all(p.grad is None for p in model.parameters())


def test_results_do_not_depend_on_batch_size():
    rnn = make("LSTM")
    full = HiddenStates.from_module(rnn, X, record="all", lengths=LENGTHS)
    for batch_size in (1, 2):
        part = HiddenStates.from_module(rnn, X, record="all", lengths=LENGTHS,
                                        batch_size=batch_size)
        for name, value in full.layers.items():
            np.testing.assert_allclose(part.layers[name], value, atol=1e-12)
        np.testing.assert_array_equal(part.sequence_ids, full.sequence_ids)


class CharModel(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = nn.Embedding(12, 4)
        self.lstm = nn.LSTM(4, 6, batch_first=True)
        self.gru = nn.GRU(6, 3, batch_first=True)
        self.out = nn.Linear(3, 12)

    def forward(self, x):
        return self.out(self.gru(self.lstm(self.emb(x))[0])[0])


def test_char_model_integer_tokens_and_several_recurrent_modules():
    model = CharModel()
    ids = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    hs = HiddenStates.from_module(model, ids, [["a", "b", "c", "d"], "efgh"], record="all")
    assert hs.tokens == list("abcdefgh") and hs.layer == "gru.l0.hidden"
    assert "lstm.l0.cell" in hs.layers and "gru.l0.new_gate" in hs.layers
    assert not any(name.startswith("gru") and name.endswith("cell") for name in hs.layers)
    assert hs.layers["lstm.l0.hidden"].dtype == np.float32
    with torch.no_grad():
        emb = model.emb(torch.as_tensor(ids)).double().numpy()
    lstm = model.lstm.double()
    try:
        expected = unroll(lstm, emb, [4, 4], prefix="lstm.")
    finally:
        model.float()
    for name, value in expected.items():
        np.testing.assert_allclose(hs.layers[name], value, atol=1e-5, err_msg=name)
    cells = HiddenStates.from_module(model, ids, record={"cell"})
    assert sorted(cells.layers) == ["lstm.l0.cell"]


def test_hooked_module_outputs_both_layouts():
    model = CharModel()
    ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    hs = HiddenStates.from_module(model, ids, layers=["emb", model.lstm], lengths=[3, 1])
    with torch.no_grad():
        emb = model.emb(ids)
    np.testing.assert_allclose(hs.layers["emb"], torch.cat([emb[0], emb[1, :1]]).numpy())
    assert sorted(hs.layers) == ["emb", "lstm.l0.hidden"]

    class TimeMajor(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(3, 2)

        def forward(self, x):  # (time, batch, 3)
            return self.proj(x)

    tm = TimeMajor()
    x = torch.randn(5, 2, 3)
    hs = HiddenStates.from_module(tm, x, layers="proj", batch_first=False)
    with torch.no_grad():
        expected = tm.proj(x).transpose(0, 1).reshape(-1, 2).numpy()
    np.testing.assert_allclose(hs.states, expected)
    assert hs.sequence_ids.tolist() == [0] * 5 + [1] * 5


def test_concurrent_threads_record_the_same_states():
    from concurrent.futures import ThreadPoolExecutor

    rnn = make("LSTM")
    expected = HiddenStates.from_module(rnn, X, record="all").layers
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: HiddenStates.from_module(rnn, X, record="all"),
                                range(8)))
    for hs in results:
        for name, value in expected.items():
            np.testing.assert_array_equal(hs.layers[name], value)


def test_one_sequence_with_str_tokens_and_float_array_input():
    rnn = make("RNN_TANH").float()
    hs = HiddenStates.from_module(rnn, np.zeros((1, 4, 3)), "ab(c")
    assert hs.tokens == ["a", "b", "(", "c"] and hs.states.dtype == np.float32


def test_the_rest_of_the_pass_may_fail_on_the_cut_down_step():
    class Flatten(nn.Module):  # needs all 6 steps after the LSTM: fails on one step
        def __init__(self):
            super().__init__()
            self.rnn = make("LSTM", num_layers=1, bidirectional=False)
            self.head = nn.Linear(6 * 5, 1).double()

        def forward(self, x):
            return self.head(self.rnn(x)[0].reshape(x.shape[0], 6 * 5))

    model = Flatten()
    hs = HiddenStates.from_module(model, X, record="all")
    assert_layers_equal(hs, unroll(model.rnn, X, [6, 6, 6], prefix="rnn."))


def test_a_hooked_module_returning_a_tuple_recorded_last():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2).double()

        def forward(self, x):
            return self.lin(x), x.shape[1]

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = make("GRU", num_layers=1)
            self.pair = Pair()

        def forward(self, x):
            out, steps = self.pair(self.rnn(x)[0][..., :3])
            assert steps == 6 or out.shape[1] == 1
            return out

    model = Model()
    hs = HiddenStates.from_module(model, X, layers=["rnn", "pair"], lengths=LENGTHS)
    with torch.no_grad():
        expected = model.pair.lin(model.rnn(X)[0][..., :3])
    np.testing.assert_allclose(hs.layers["pair"][:6], expected[0].numpy())
    assert hs.layer == "pair" and sorted(hs.layers)[0] == "pair"


def test_token_forms():
    rnn = make("GRU", num_layers=1, bidirectional=False)
    x = X[:2, :3]
    flat = HiddenStates.from_module(rnn, x, ["the", "cat", "sat", "a", "dog", "ran"])
    assert flat.tokens == ["the", "cat", "sat", "a", "dog", "ran"]
    nested = HiddenStates.from_module(rnn, x, [["the", "cat"], ["a", "dog", "ran"]],
                                      lengths=[2, 3])
    assert nested.tokens == ["the", "cat", "a", "dog", "ran"]
    array = HiddenStates.from_module(rnn, x, np.array([[1, 2, 3], [4, 5, 6]]))
    assert array.tokens == ["1", "2", "3", "4", "5", "6"]
    assert HiddenStates.from_module(rnn, x, None).tokens == [str(t) for t in range(6)]
