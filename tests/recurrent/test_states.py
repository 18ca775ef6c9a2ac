"""The HiddenStates container: construction, validation, layers, transform."""
import numpy as np
import pytest

from skexplain.recurrent import HiddenStates


def test_one_array_is_one_layer_copied_and_read_only():
    states = np.arange(12.0).reshape(4, 3)
    hs = HiddenStates(states, "abcd")
    states[0, 0] = 99.0
    assert hs.layer == "states" and hs.states[0, 0] == 0.0
    assert hs.tokens == ["a", "b", "c", "d"] and len(hs) == 4 and hs.n_cells == 3
    with pytest.raises(ValueError):
        hs.states[0, 0] = 1.0


def test_float32_states_keep_their_dtype():
    assert HiddenStates(np.zeros((3, 2), np.float32)).states.dtype == np.float32
    assert HiddenStates(np.zeros((3, 2), int)).states.dtype == np.float64


def test_default_layer_is_the_last_hidden_layer_and_getitem_switches():
    layers = {"rnn.l0.hidden": np.zeros((5, 2)), "rnn.l1.hidden": np.ones((5, 4)),
              "rnn.l1.cell": np.full((5, 4), 2.0)}
    hs = HiddenStates(layers)
    assert hs.layer == "rnn.l1.hidden" and hs.n_cells == 4
    cell = hs["rnn.l1.cell"]
    assert cell.layer == "rnn.l1.cell"
    np.testing.assert_allclose(cell.values, np.tanh(2.0))  # auto: tanh on cell states
    np.testing.assert_allclose(hs.values, 1.0)             # not on hidden states
    with pytest.raises(KeyError, match="layer must be one of"):
        hs["nope"]


def test_explicit_transform():
    hs = HiddenStates(np.full((2, 1), 3.0), transform="tanh")
    np.testing.assert_allclose(hs.values, np.tanh(3.0))
    assert HiddenStates(np.full((2, 1), 3.0), transform=None)["states"].values[0, 0] == 3.0


@pytest.mark.parametrize("states, match", [
    (np.zeros(5), "2-D array of shape \\(time, cells\\)"),
    (np.zeros((0, 3)), "at least one step"),
    (np.array([[0.0, np.nan]]), "finite.*time step 0, cell 1"),
    ({}, "at least one layer"),
    ({"a": np.zeros((3, 1)), "b": np.zeros((4, 1))}, "same number of time steps"),
])
def test_bad_states(states, match):
    with pytest.raises(ValueError, match=match):
        HiddenStates(states)


def test_bad_tokens_sequence_ids_layer_transform():
    with pytest.raises(ValueError, match="tokens must have one token per time step: "
                                         "expected 3, got 2"):
        HiddenStates(np.zeros((3, 1)), ["a", "b"])
    with pytest.raises(TypeError, match="tokens must be a sequence"):
        HiddenStates(np.zeros((3, 1)), 5)
    with pytest.raises(ValueError, match="sequence_ids must be an integer array of shape"):
        HiddenStates(np.zeros((3, 1)), sequence_ids=[0, 1])
    with pytest.raises(ValueError, match="layer must be one of"):
        HiddenStates(np.zeros((3, 1)), layer="h")
    with pytest.raises(ValueError, match="transform must be one of"):
        HiddenStates(np.zeros((3, 1)), transform="sigmoid")
