"""HiddenStates.correlate and .gate_saturation against numpy/scipy and hand-computed values."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from skexplain.recurrent import HiddenStates, bracket_depth, inside_quotes


def _stream(n_cells=150, seed=0):
    rng = np.random.default_rng(seed)
    text = "".join(rng.choice(list("ab(c)d'e' [f]"), size=600))
    depth = bracket_depth(text)
    states = rng.normal(size=(len(text), n_cells))
    return text, depth, states, rng


# ---------------------------------------------------------------- correlate
def test_finds_a_planted_linear_cell():
    text, depth, states, rng = _stream()
    states[:, 77] = 3.0 * depth - 2.0          # a counter: r = 1
    states[:, 130] = -0.5 * depth + 0.1 * rng.normal(size=len(depth))   # r close to -1
    r = HiddenStates(states, text).correlate(depth)
    assert r.index[0] == 77 and r.iloc[0] == pytest.approx(1.0, abs=1e-12)
    assert r.index[1] == 130 and r.iloc[1] < -0.9
    assert r.name == "r" and r.index.name == "cell" and len(r) == 150
    assert (np.diff(np.abs(r.to_numpy())) <= 0).all()   # strongest first


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pearson_equals_corrcoef_for_every_cell(dtype):
    text, depth, states, _ = _stream()
    states = states.astype(dtype)
    states[:, :40] += np.linspace(0, 1, 40) * depth[:, None]   # a range of strengths
    r = HiddenStates(states, text).correlate(depth)
    expected = np.corrcoef(states.astype(float).T, depth.astype(float))[-1, :-1]
    np.testing.assert_allclose(r.sort_index().to_numpy(), expected, rtol=1e-10, atol=1e-12)
    assert r.index.tolist() == np.argsort(-np.abs(expected), kind="stable").tolist()


def test_spearman_equals_scipy_with_ties():
    text, depth, states, _ = _stream(n_cells=70)
    states[:, 5] = np.round(states[:, 5]) + depth        # ties in the cell too
    states[:, 9] = np.exp(depth)                          # monotone: rho = 1, r < 1
    hs = HiddenStates(states, text)
    rho = hs.correlate(depth, method="spearman").sort_index().to_numpy()
    expected = [spearmanr(states[:, c], depth).statistic for c in range(70)]
    np.testing.assert_allclose(rho, expected, rtol=1e-10, atol=1e-12)
    assert rho[9] == pytest.approx(1.0) and hs.correlate(depth)[9] < 0.99


def test_constant_cells_are_nan_and_last_and_top():
    text, depth, states, _ = _stream(n_cells=6)
    states[:, 1] = 0.25
    states[:, 4] = -3.0
    r = HiddenStates(states, text).correlate(depth)
    assert r.index[-2:].tolist() == [1, 4] and r.iloc[-2:].isna().all()
    assert r.iloc[:-2].notna().all()
    top = HiddenStates(states, text).correlate(depth, top=2)
    pd.testing.assert_series_equal(top, r.iloc[:2])
    assert len(HiddenStates(states, text).correlate(depth, top=50)) == 6


def test_raw_cell_states_not_tanh_and_bool_features():
    text = "x'ab'cd'efg'h" * 20
    quotes = inside_quotes(text)
    depth = np.cumsum(np.asarray([ch == "'" for ch in text]))   # grows without bound
    states = {"l0.cell": np.column_stack([depth * 1.5, np.zeros(len(text)) + quotes])}
    hs = HiddenStates(states, text)
    assert hs.layer == "l0.cell"
    # r of the raw counter is 1; tanh of it (saturated) would not be
    assert hs.correlate(depth)[0] == pytest.approx(1.0, abs=1e-12)
    assert np.corrcoef(np.tanh(depth * 1.5), depth)[0, 1] < 0.9
    as_bool = hs.correlate(np.asarray(quotes, dtype=bool))
    assert as_bool[1] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(feature=np.zeros(5)), ValueError, r"feature must have one value per time step: "
                                            r"expected shape \(10,\), got \(5,\)"),
    (dict(feature=np.zeros((10, 1))), ValueError, r"expected shape \(10,\), got \(10, 1\)"),
    (dict(feature=np.r_[np.arange(9.0), np.nan]), ValueError, "feature must be finite; "
                                                              "got NaN .*time step 9"),
    (dict(feature=np.full(10, 2.0)), ValueError, r"feature is constant \(2\.0 at every "
                                                 "step\\)"),
    (dict(feature=list("abcdefghij")), TypeError, "feature must hold real numbers.*<U1"),
    (dict(feature=np.arange(10) + 1j), TypeError, "feature must hold real numbers.*complex"),
    (dict(feature=np.arange(10), method="kendall"), ValueError, "method must be 'pearson' or "
                                                                "'spearman'; got 'kendall'"),
    (dict(feature=np.arange(10), top=0), ValueError, "top must be None or an integer >= 1; "
                                                     "got 0"),
    (dict(feature=np.arange(10), top=True), ValueError, "top must be None .*got True"),
])
def test_correlate_bad_input(kwargs, error, match):
    hs = HiddenStates(np.random.default_rng(0).normal(size=(10, 3)))
    with pytest.raises(error, match=match):
        hs.correlate(**kwargs)


# ----------------------------------------------------------- gate saturation
def _gates():
    forget = np.array([[0.05, 0.50, 0.95],
                       [0.09, 0.10, 0.91],
                       [0.50, 0.90, 0.99],
                       [0.01, 0.95, 0.30]])
    update = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.2, 0.8]])
    return {"rnn.l0.hidden": np.zeros((4, 3)), "rnn.l0.forget_gate": forget,
            "rnn.l0.cell_gate": np.full((4, 3), -0.99), "rnn.l0.new_gate": np.zeros((4, 3)),
            "gru.l0.update_gate": update}


def test_fractions_on_a_known_array():
    table = HiddenStates(_gates()).gate_saturation()
    assert table.columns.tolist() == ["layer", "cell", "left", "right"]
    # the sigmoid gates only, in layer order; strict inequalities (0.1 and 0.9 are not saturated)
    assert table["layer"].tolist() == ["rnn.l0.forget_gate"] * 3 + ["gru.l0.update_gate"] * 2
    assert table["cell"].tolist() == [0, 1, 2, 0, 1]
    np.testing.assert_allclose(table["left"], [3 / 4, 0, 0, 2 / 4, 1 / 4])
    np.testing.assert_allclose(table["right"], [0, 1 / 4, 3 / 4, 1 / 4, 2 / 4])


def test_custom_thresholds_and_layers():
    hs = HiddenStates(_gates())
    table = hs.gate_saturation(left=0.5, right=0.95, layers="rnn.l0.forget_gate")
    np.testing.assert_allclose(table["left"], [3 / 4, 1 / 4, 1 / 4])
    np.testing.assert_allclose(table["right"], [0, 0, 1 / 4])
    both = hs.gate_saturation(layers=["gru.l0.update_gate", "rnn.l0.cell_gate"])
    assert both["layer"].tolist() == ["gru.l0.update_gate"] * 2 + ["rnn.l0.cell_gate"] * 3
    np.testing.assert_allclose(both["left"].iloc[2:], 1.0)   # the values as stored


def test_every_unit_of_a_random_gate_layer():
    gates = np.random.default_rng(1).random((500, 20)).astype(np.float32)
    table = HiddenStates({"l0.input_gate": gates}).gate_saturation()
    np.testing.assert_allclose(table["left"], (gates < 0.1).sum(axis=0) / 500)
    np.testing.assert_allclose(table["right"], (gates > 0.9).sum(axis=0) / 500)


@pytest.mark.parametrize("kwargs, match", [
    (dict(left=0.9, right=0.1), "left must be smaller than right; got left=0.9, right=0.1"),
    (dict(left=0.5, right=0.5), "left must be smaller than right"),
    (dict(left=-0.1), r"left must be a number in \[0, 1\]; got -0\.1"),
    (dict(right=1.5), r"right must be a number in \[0, 1\]; got 1\.5"),
    (dict(right="high"), r"right must be a number in \[0, 1\]; got 'high'"),
    (dict(left=False), r"left must be a number in \[0, 1\]; got False"),
    (dict(layers="nope"), r"layers must name one or more of the layers \['rnn.l0.hidden'"),
    (dict(layers=[]), "layers must name one or more of the layers"),
    (dict(layers=["rnn.l0.forget_gate"] * 2), "layers must be distinct"),
])
def test_gate_saturation_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HiddenStates(_gates()).gate_saturation(**kwargs)


def test_no_gate_layer_suggests_layers():
    hs = HiddenStates({"l0.hidden": np.zeros((3, 2)), "l0.cell_gate": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="no sigmoid gate layer .*input_gate, forget_gate, "
                                         "output_gate, reset_gate, update_gate.* pass layers="):
        hs.gate_saturation()
