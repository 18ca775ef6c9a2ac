"""Recording on models the authors did not try (review of issue 14)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from skexplain.recurrent import HiddenStates  # noqa: E402


class _DoublingLSTM(nn.LSTM):
    """An nn.LSTM subclass whose forward changes the input before the kernel."""

    def forward(self, x, hx=None):
        return super().forward(2 * x, hx)


class _Wrapper(nn.Module):
    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


def test_subclass_with_own_forward_is_refused_not_recorded_wrong():
    # before: its states were computed from the undoubled input (0.3 off, no error)
    torch.manual_seed(0)
    model = _Wrapper(_DoublingLSTM(3, 4, batch_first=True))
    X = torch.randn(2, 6, 3)
    for layers in (None, "rnn"):
        with pytest.raises(ValueError, match=r"layers must be nn.RNN, nn.LSTM or nn.GRU.*"
                           r"'rnn' of type _DoublingLSTM.*not LSTM.forward"):
            HiddenStates.from_module(model, X, layers=layers)


class _PlainSubclass(nn.GRU):
    """A subclass that keeps torch's forward: recorded as usual."""


def test_subclass_keeping_torch_forward_is_recorded_exactly():
    torch.manual_seed(0)
    model = _Wrapper(_PlainSubclass(3, 4, batch_first=True))
    X = torch.randn(2, 6, 3)
    hs = HiddenStates.from_module(model, X)
    np.testing.assert_array_equal(hs.layers["rnn.l0.hidden"],
                                  model(X).detach().reshape(-1, 4).numpy())


@pytest.mark.parametrize("script", ["trace", "script"])
@pytest.mark.parametrize("layers", [None, "rnn"])
def test_torchscript_models_are_refused_clearly(script, layers):
    # before: "has none" (None), "were not called in the model's forward pass" (traced,
    # though it was) or torch's RuntimeError about hooks (scripted)
    model = _Wrapper(nn.GRU(3, 4, batch_first=True))
    X = torch.randn(2, 6, 3)
    compiled = torch.jit.trace(model, X) if script == "trace" else torch.jit.script(model)
    with pytest.raises(TypeError, match=r"model must be a Python torch.nn.Module, not a "
                                        r"TorchScript module.*got .*Module"):
        HiddenStates.from_module(compiled, X, layers=layers)
