"""Explanation: shapes, indexing, frames, persistence without pickle."""
import numpy as np
import pandas as pd
import pytest

from skexplain import Explanation


@pytest.fixture
def multi():
    rng = np.random.default_rng(0)
    data = np.array([[1.5, "paris"], [np.nan, None], [2.0, "nice"]], dtype=object)
    return Explanation(rng.normal(size=(3, 2, 2)), rng.normal(size=(3, 2)), data,
                       ["age", "city"], ["no", "yes"], stderr=np.full((3, 2, 2), 0.1),
                       metadata={"method": "Test", "n_model_rows": 12, "seed": np.int64(3)})


def test_shape_properties(multi):
    assert multi.has_output_axis and multi.n_outputs == 2
    assert multi.feature_shape == (2,) and len(multi) == 3
    single = multi.select_output("yes")
    assert not single.has_output_axis and single.values.shape == (3, 2)
    assert single.output_names == ["yes"]


def test_indexing_rows_features_outputs(multi):
    np.testing.assert_array_equal(multi[1].values, multi.values[[1]])
    np.testing.assert_array_equal(multi[:, "city"].values, multi.values[:, [1]])
    np.testing.assert_array_equal(multi[:, ["city", "age"]].values, multi.values[:, [1, 0]])
    np.testing.assert_array_equal(multi[:, :, "no"].values, multi.values[..., 0])
    np.testing.assert_array_equal(multi[[0, 2], "age", 1].values, multi.values[[0, 2]][:, [0], 1])
    assert multi[:, "city"].data.tolist() == [["paris"], [None], ["nice"]]
    np.testing.assert_array_equal(multi[np.array([True, False, True])].base_values,
                                  multi.base_values[[0, 2]])


def test_per_row_output_selection(multi):
    picked = multi.select_output([0, 1, 1])
    np.testing.assert_array_equal(picked.values[1], multi.values[1, :, 1])
    np.testing.assert_array_equal(picked.stderr[0], multi.stderr[0, :, 0])
    assert picked.output_names is None  # rows explain different outputs


def test_indexing_errors(multi):
    with pytest.raises(KeyError, match="Unknown feature name 'zip'"):
        multi[:, "zip"]
    with pytest.raises(KeyError, match="Unknown output 'maybe'"):
        multi[:, :, "maybe"]
    with pytest.raises(IndexError, match="row 5 is out of range"):
        multi[5]
    with pytest.raises(IndexError, match="single output"):
        multi.select_output(0).select_output(0)


def test_constructor_validates_shapes():
    with pytest.raises(ValueError, match="values must have shape"):
        Explanation(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="feature_names must have 2 entries"):
        Explanation(np.zeros((3, 2)), np.zeros(3), feature_names=["a"])
    with pytest.raises(ValueError, match="stderr must have shape"):
        Explanation(np.zeros((3, 2)), np.zeros(3), stderr=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="outputs on its last axis"):
        Explanation(np.zeros((3, 2, 4)), np.zeros((3, 2)))


def test_to_frame(multi):
    single = multi.select_output(1)
    frame = single.to_frame()
    assert list(frame.columns) == ["age", "city"]
    np.testing.assert_array_equal(frame.to_numpy(), single.values)
    both = multi.to_frame()
    assert both.columns.names == ["output", "feature"]
    np.testing.assert_array_equal(both[("yes", "city")], multi.values[:, 1, 1])
    image = Explanation(np.arange(8.0).reshape(2, 2, 2), np.zeros(2))
    assert list(image.to_frame().columns) == ["0_0", "0_1", "1_0", "1_1"]


def test_global_importance(multi):
    np.testing.assert_allclose(multi.global_importance(), np.abs(multi.values).mean(0))
    np.testing.assert_allclose(multi.global_importance("rms"),
                               np.sqrt((multi.values ** 2).mean(0)))
    with pytest.raises(ValueError, match="kind must be 'mean_abs' or 'rms'; got 'max'"):
        multi.global_importance("max")


def test_save_load_round_trip_without_pickle(multi, tmp_path):
    path = tmp_path / "expl.npz"
    multi.save(path)
    with np.load(path, allow_pickle=False) as npz:  # nothing needs pickle
        assert "values" in npz.files
    back = Explanation.load(path)
    np.testing.assert_array_equal(back.values, multi.values)
    np.testing.assert_array_equal(back.stderr, multi.stderr)
    assert back.feature_names == multi.feature_names
    assert back.output_names == multi.output_names
    assert back.metadata == {"method": "Test", "n_model_rows": 12, "seed": 3}
    assert back.data[0].tolist() == [1.5, "paris"]
    assert pd.isna(back.data[1, 0]) and pd.isna(back.data[1, 1])
    assert back.data[2, 1] == "nice"


def test_save_numeric_data(tmp_path):
    e = Explanation(np.ones((2, 3)), np.zeros(2), np.arange(6).reshape(2, 3), delta=[0.1, 0.2])
    e.save(tmp_path / "e.npz")
    back = Explanation.load(tmp_path / "e.npz")
    np.testing.assert_array_equal(back.data, e.data)
    np.testing.assert_allclose(back.delta, [0.1, 0.2])


def test_repr_names_the_method_and_top_features(multi):
    text = repr(multi)
    assert "method='Test'" in text and "n_model_rows=12" in text
    assert "top features" in text
