"""Explanation.extras: per-row arrays sliced, selected, saved and shown like delta."""
import numpy as np
import pytest

from skexplain import Explanation


def _expl():
    values = np.arange(24, dtype=float).reshape(4, 3, 2)
    extras = {"intercept": np.arange(8.0).reshape(4, 2), "score": np.full((4, 2), 0.5)}
    return Explanation(values, np.zeros((4, 2)), feature_names=["a", "b", "c"],
                       output_names=["p", "q"], extras=extras)


def test_extras_follow_rows_features_and_outputs():
    e = _expl()
    rows = e[[3, 1]]
    np.testing.assert_array_equal(rows.extras["intercept"], [[6, 7], [2, 3]])
    assert e[:, "b"].extras["intercept"].shape == (4, 2)  # features leave them alone
    one = e.select_output("q")
    np.testing.assert_array_equal(one.extras["intercept"], [1, 3, 5, 7])
    per_row = e.select_output([0, 1, 0, 1])
    np.testing.assert_array_equal(per_row.extras["intercept"], [0, 3, 4, 7])
    assert "extras=['intercept', 'score']" in repr(e)


def test_extras_save_load_round_trip(tmp_path):
    e = _expl()
    e.extras["odd name/with.dots"] = np.ones((4, 2))
    loaded = Explanation.load(e.save(tmp_path / "expl"))
    assert sorted(loaded.extras) == sorted(e.extras)
    for name, value in e.extras.items():
        np.testing.assert_array_equal(loaded.extras[name], value)
    plain = Explanation(np.ones((2, 3)), np.zeros(2))
    assert Explanation.load(plain.save(tmp_path / "plain")).extras == {}


def test_extras_validated():
    with pytest.raises(ValueError, match=r"extras\['b'\] must have shape \(2, \.\.\.\)"):
        Explanation(np.ones((2, 3)), np.zeros(2), extras={"b": np.ones(3)})
    with pytest.raises(ValueError, match=r"\(2, \.\.\., 2\) \(rows first, outputs last\)"):
        Explanation(np.ones((2, 3, 2)), np.zeros((2, 2)), extras={"b": np.ones((2, 4, 3))})
    with pytest.raises(TypeError, match="extras must be a dict"):
        Explanation(np.ones((2, 3)), np.zeros(2), extras=[1, 2])


def test_extras_with_their_own_axes():
    """A per-row map (e.g. Grad-CAM's layer-resolution map) is sliced, selected and saved."""
    maps = np.arange(4 * 3 * 3 * 2, dtype=float).reshape(4, 3, 3, 2)
    e = Explanation(np.ones((4, 5, 2)), np.zeros((4, 2)), output_names=["p", "q"],
                    extras={"layer_map": maps})
    np.testing.assert_array_equal(e[[1, 3]].extras["layer_map"], maps[[1, 3]])
    np.testing.assert_array_equal(e[:, :, "q"].extras["layer_map"], maps[..., 1])
    one = Explanation(np.ones((4, 5)), np.zeros(4), extras={"layer_map": maps[..., 0]})
    assert one.extras["layer_map"].shape == (4, 3, 3)


def test_extras_with_their_own_axes_round_trip(tmp_path):
    maps = np.random.default_rng(0).normal(size=(3, 2, 4, 4))
    e = Explanation(np.ones((3, 1, 8, 8)), np.zeros(3), extras={"layer_map": maps})
    loaded = Explanation.load(e.save(tmp_path / "expl"))
    np.testing.assert_array_equal(loaded.extras["layer_map"], maps)
