"""HiddenStates.from_module: every bad input is a clear error naming the parameter."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from skexplain.exceptions import ModelEvaluationError  # noqa: E402
from skexplain.recurrent import HiddenStates  # noqa: E402


def lstm(**kw):
    torch.manual_seed(0)
    return nn.LSTM(3, 4, batch_first=True, **kw)


X = torch.zeros(2, 5, 3)


def test_a_module_without_recurrent_layers_suggests_layers():
    mlp = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with pytest.raises(ValueError, match=r"layers=None .*\(Sequential\) has none.*Pass layers="):
        HiddenStates.from_module(mlp, X)
    hs = HiddenStates.from_module(mlp, X, layers="1")  # by a hook: works
    assert hs.layer == "1" and hs.states.shape == (10, 4)


@pytest.mark.parametrize("layers, error, match", [
    ("nope", ValueError, "layers='nope' is not a submodule"),
    ([], ValueError, "layers must name at least one module"),
    (3, TypeError, "layers must be None, a submodule"),
    (nn.Linear(1, 1), ValueError, "layers must be a submodule"),
])
def test_bad_layers(layers, error, match):
    with pytest.raises(error, match=match):
        HiddenStates.from_module(lstm(), X, layers=layers)


@pytest.mark.parametrize("record", ["hiden", [], ["hidden", "gate"], 3, None])
def test_bad_record_values(record):
    with pytest.raises(ValueError, match="record must be 'hidden', 'all' or an iterable"):
        HiddenStates.from_module(lstm(), X, record=record)


def test_asking_for_what_no_recorded_module_has():
    gru = nn.GRU(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"record=\{'cell'\} asks for cell, which no recorded "
                                         r"module has .*GRU"):
        HiddenStates.from_module(gru, X, record={"cell"})
    rnn = nn.RNN(3, 4, batch_first=True)
    with pytest.raises(ValueError, match="asks for cell and gates"):
        HiddenStates.from_module(rnn, X, record=["cell", "gates"])
    assert list(HiddenStates.from_module(rnn, X, record="all").layers) == ["l0.hidden"]


@pytest.mark.parametrize("tokens, match", [
    ("abc", r"tokens must have one token per recorded time step \(10 = 5 \+ 5\).*got 3"),
    (list("abcdefghijk"), "got 11 tokens"),
    ([list("abcde"), list("abcd")], r"each as long as its sequence \(\[5, 5\]\); got lists of "
                                    r"lengths \[5, 4\]"),
    (5, "tokens must be a sequence of 10 tokens"),
])
def test_tokens_of_the_wrong_length(tokens, match):
    with pytest.raises((ValueError, TypeError), match=match):
        HiddenStates.from_module(lstm(), X, tokens)


@pytest.mark.parametrize("lengths", [[5], [5, 0], [5, 2.5], [True, 2], "ab", [[5, 5]]])
def test_bad_lengths(lengths):
    with pytest.raises(ValueError, match="lengths must be 2 positive integers"):
        HiddenStates.from_module(lstm(), X, lengths=lengths)


def test_lengths_longer_than_the_sequences():
    with pytest.raises(ValueError, match=r"lengths must be at most the number of time steps "
                                         r"\(5\).*got a length of 6"):
        HiddenStates.from_module(lstm(), X, lengths=[6, 2])
    mlp = nn.Sequential(nn.Linear(3, 4))
    with pytest.raises(ValueError, match=r"lengths must be at most .*\(5\) of layer '0'"):
        HiddenStates.from_module(mlp, X, layers="0", lengths=[6, 2])


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True, "2"])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None"):
        HiddenStates.from_module(lstm(), X, batch_size=batch_size)


def test_model_and_x_types():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module; got function"):
        HiddenStates.from_module(lambda x: x, X)
    with pytest.raises(TypeError, match="X must be a tensor or an array of sequences"):
        HiddenStates.from_module(lstm(), [[1, 2], [3]])
    with pytest.raises(ValueError, match="X must hold at least one sequence on axis 0"):
        HiddenStates.from_module(lstm(), torch.zeros(0, 5, 3))


def test_a_recurrent_module_called_twice_is_refused():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(3, 3, batch_first=True)

        def forward(self, x):
            return self.rnn(self.rnn(x)[0])[0]

    model = Twice()
    with pytest.raises(ModelEvaluationError, match=r"module 'rnn' was called more than once"):
        HiddenStates.from_module(model, X)
    assert not model.rnn._forward_pre_hooks


def test_a_hooked_module_called_twice_is_refused():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.Tanh()
            self.rnn = nn.LSTM(3, 3, batch_first=True)

        def forward(self, x):
            return self.act(self.rnn(self.act(x))[0])

    with pytest.raises(ModelEvaluationError, match=r"module 'act' was called more than once"):
        HiddenStates.from_module(Shared(), X, layers=["act", "rnn"])


def test_a_module_not_called_and_a_batch_on_the_wrong_axis():
    class Skip(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.LSTM(3, 3, batch_first=True)
            self.unused = nn.GRU(3, 3, batch_first=True)

        def forward(self, x):
            return self.used(x)[0]

    with pytest.raises(ModelEvaluationError, match=r"layers \['unused'\] were not called"):
        HiddenStates.from_module(Skip(), X)
    time_major = nn.LSTM(3, 4)  # batch_first=False: X is (time, batch, features)
    with pytest.raises(ModelEvaluationError, match=r"received a batch of 5 sequences, but X "
                                                   r"holds 2.*batch_first=False"):
        HiddenStates.from_module(time_major, X)
    hs = HiddenStates.from_module(time_major, X, batch_first=False)
    assert hs.sequence_ids.tolist() == [0, 0] + [1, 1] + [2, 2] + [3, 3] + [4, 4]


def test_unbatched_input_and_a_hooked_output_without_time():
    class Unbatched(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(3, 2)

        def forward(self, x):
            return self.rnn(x[0])[0]

    with pytest.raises(ModelEvaluationError, match=r"received an input of shape \(5, 3\)"):
        HiddenStates.from_module(Unbatched(), X)
    flat = nn.Sequential(nn.Flatten(), nn.Linear(15, 2))
    with pytest.raises(ModelEvaluationError, match=r"layer '1' returned \(2, 2\); a module "
                                                   r"recorded by a hook must return"):
        HiddenStates.from_module(flat, X, layers="1")


def test_the_model_failing_on_x_is_not_hidden():
    with pytest.raises(RuntimeError):
        HiddenStates.from_module(lstm(), torch.zeros(2, 5, 7))
    assert np.isfinite(HiddenStates.from_module(lstm(), X).states).all()
