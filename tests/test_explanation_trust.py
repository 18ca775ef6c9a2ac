"""Explanation: indexing, validation and persistence that never change a value silently."""
import json
import pathlib
import zipfile

import numpy as np
import pandas as pd
import pytest

from skexplain import Explanation
from skexplain.exceptions import ExplanationFileError


@pytest.fixture
def expl():
    values = np.arange(24.0).reshape(3, 4, 2)
    return Explanation(values, np.zeros((3, 2)), np.arange(12).reshape(3, 4),
                       feature_names=list("abcd"), output_names=["no", "yes"],
                       stderr=values / 10)


# ----------------------------------------------------------------- indexing
@pytest.mark.parametrize("flag", [True, False, np.True_, np.False_])
def test_a_single_bool_is_no_position(expl, flag):
    with pytest.raises(IndexError, match=f"single {flag} is not a feature position"):
        expl[:, flag]
    with pytest.raises(IndexError, match=f"single {flag} is not a row position"):
        expl[flag]
    with pytest.raises(IndexError, match="a bool is no position"):
        expl.select_output(flag)


def test_boolean_masks_select_like_numpy(expl):
    mask = np.array([True, False, True, False])
    picked = expl[:, mask]
    assert picked.feature_names == ["a", "c"]
    np.testing.assert_array_equal(picked.values, expl.values[:, mask])
    np.testing.assert_array_equal(picked.stderr, expl.stderr[:, mask])
    np.testing.assert_array_equal(picked.data, expl.data[:, mask])
    np.testing.assert_array_equal(expl[:, [False, True, False, False]].values,
                                  expl.values[:, [1]])
    rows = expl[[True, False, True]]
    np.testing.assert_array_equal(rows.values, expl.values[[0, 2]])
    with pytest.raises(IndexError, match="boolean mask over features must have length 4; got 3"):
        expl[:, [True, False, True]]
    with pytest.raises(IndexError, match="not a mix of both"):
        expl[:, [True, 1]]


def test_positions_are_range_checked(expl):
    np.testing.assert_array_equal(expl[:, np.int64(2)].values, expl.values[:, [2]])
    np.testing.assert_array_equal(expl[:, -1].values, expl.values[:, [3]])
    assert expl[:, [-1, 0]].feature_names == ["d", "a"]
    np.testing.assert_array_equal(expl[np.int32(-1)].values, expl.values[[2]])
    for key in (4, -5, [0, 7], np.array([4])):
        with pytest.raises(IndexError, match="feature .* is out of range for 4 features"):
            expl[:, key]
    with pytest.raises(IndexError, match="row 3 is out of range for 3 rows"):
        expl[[0, 3]]
    with pytest.raises(IndexError, match="output 2 is out of range for 2 outputs"):
        expl[:, :, 2]
    with pytest.raises(IndexError, match=r"rows must be selected by integers.*got \[1.5\]"):
        expl[[1.5]]
    np.testing.assert_array_equal(expl[:, :, np.int64(-1)].values, expl.values[..., 1])


def test_bool_output_names_are_found_by_name():
    e = Explanation(np.ones((2, 3, 2)), np.zeros((2, 2)), output_names=[False, True])
    assert e.output_index(True) == 1 and e.output_index(np.False_) == 0
    assert e.select_output([True, False]).values.shape == (2, 3)


# --------------------------------------------------------------- validation
@pytest.mark.parametrize("field", ["values", "base_values", "stderr", "delta"])
@pytest.mark.parametrize("bad, shown", [
    ("a", "'a'"), (1 + 2j, "complex"), (None, "None"), (pd.Timestamp("2020"), "Timestamp")])
def test_non_numeric_arrays_are_refused(field, bad, shown):
    fields = dict(values=np.ones((2, 3)), base_values=np.zeros(2), stderr=np.ones((2, 3)),
                  delta=np.zeros(2))
    broken = np.array(fields[field], dtype=complex if isinstance(bad, complex) else object)
    broken.flat[0] = bad
    fields[field] = broken
    with pytest.raises(ValueError, match=rf"^{field} must hold real numbers; got .*{shown}"):
        Explanation(**fields)


def test_string_arrays_are_refused():
    with pytest.raises(ValueError, match=r"values must hold real numbers; got dtype <U1"):
        Explanation(np.array([["1", "2"]]), np.zeros(1))
    with pytest.raises(ValueError, match="base_values must hold real numbers"):
        Explanation(np.ones((1, 2)), np.array(["0.5"]))


# ------------------------------------------------------------------- saving
@pytest.mark.parametrize("column", [
    [1, "a"], [2.5, 3], [True, None], [np.nan, None], [pd.NA, "x"], [2**70, 1.0],
    [np.int64(4), np.float32(0.5)], [float("inf"), -0.0], ["", "b"], [False, 0]])
def test_object_data_round_trips_values_and_types(tmp_path, column):
    data = np.empty((2, 2), dtype=object)
    data[:, 0] = column
    data[:, 1] = ["u", "v"]
    e = Explanation(np.ones((2, 2)), np.zeros(2), data)
    back = Explanation.load(e.save(tmp_path / "mixed"))
    for got, want in zip(back.data[:, 0], column):
        if want is None or want is pd.NA:
            assert got is want
        elif isinstance(want, float) and np.isnan(want):
            assert isinstance(got, float) and np.isnan(got)
        else:
            assert got == want
            assert type(got) is type(want.item() if isinstance(want, np.generic) else want)
            if isinstance(want, float):
                assert np.signbit(got) == np.signbit(want)  # -0.0 stays -0.0
    assert back.data[:, 1].tolist() == ["u", "v"]


def test_objects_save_cannot_store_are_refused(tmp_path):
    data = np.array([[pd.Timestamp("2020-01-01")], [1]], dtype=object)
    e = Explanation(np.ones((2, 1)), np.zeros(2), data)
    with pytest.raises(ValueError, match=r"data column 0 holds Timestamp.*\(row 0\)"):
        e.save(tmp_path / "e.npz")


@pytest.mark.parametrize("given, written", [
    ("expl", "expl.npz"), ("expl.npz", "expl.npz"), ("e.v1", "e.v1.npz")])
def test_save_returns_the_path_written(tmp_path, given, written):
    e = Explanation(np.ones((1, 2)), np.zeros(1))
    as_str = e.save(str(tmp_path / given))
    assert isinstance(as_str, str) and as_str == str(tmp_path / written)
    as_path = e.save(tmp_path / given)
    assert isinstance(as_path, pathlib.Path) and as_path == tmp_path / written
    assert as_path.exists() and Explanation.load(as_path).values.tolist() == [[1.0, 1.0]]


def test_metadata_round_trips_as_documented(tmp_path):
    meta = {"n": np.int64(3), "pair": (1, 2), "arr": np.array([0.5, 1.5]), 7: "seven",
            "flag": np.bool_(True), "nested": {"x": [None, "s"]}, "obj": {1, 2},
            "nan": float("nan")}
    back = Explanation.load(Explanation(np.ones((1, 1)), np.zeros(1),
                                        metadata=meta).save(tmp_path / "m"))
    got = back.metadata
    assert got["n"] == 3 and type(got["n"]) is int
    assert got["pair"] == [1, 2] and got["arr"] == [0.5, 1.5] and got["7"] == "seven"
    assert got["flag"] is True and got["nested"] == {"x": [None, "s"]}
    assert got["obj"] == repr({1, 2}) and np.isnan(got["nan"])


def _meta(**changes):
    meta = {"format_version": 2, "feature_names": None, "output_names": None,
            "metadata": {}, "data": None}
    meta.update(changes)
    return np.array(json.dumps(meta))


def _npy_bytes(tmp_path):
    np.save(tmp_path / "array.npy", np.ones(3))
    return (tmp_path / "array.npy").read_bytes()


def _foreign_files(tmp_path):
    good = tmp_path / "good.npz"
    Explanation(np.ones((2, 3)), np.zeros(2)).save(good)
    raw = good.read_bytes()
    files = {
        "plain npz": lambda p: np.savez(p, a=np.ones(3)),
        "text": lambda p: p.write_text("hello, world\n"),
        "truncated": lambda p: p.write_bytes(raw[: len(raw) // 2]),
        "empty": lambda p: p.write_bytes(b""),
        "npy": lambda p: p.write_bytes(_npy_bytes(tmp_path)),
        "bad json": lambda p: np.savez(p, values=np.ones((1, 1)), base_values=np.zeros(1),
                                       __meta__=np.array("{not json")),
        "json list": lambda p: np.savez(p, values=np.ones((1, 1)), base_values=np.zeros(1),
                                        __meta__=np.array("[1, 2]")),
        "missing keys": lambda p: np.savez(p, values=np.ones((1, 1)), base_values=np.zeros(1),
                                           __meta__=np.array('{"format_version": 2}')),
        "no values": lambda p: np.savez(p, base_values=np.zeros(1), __meta__=_meta()),
        "future version": lambda p: np.savez(p, values=np.ones((1, 1)),
                                             base_values=np.zeros(1),
                                             __meta__=_meta(format_version=99)),
        "bad shapes": lambda p: np.savez(p, values=np.ones((3, 1)), base_values=np.zeros(1),
                                         __meta__=_meta()),
        "bad data spec": lambda p: np.savez(p, values=np.ones((1, 1)), base_values=np.zeros(1),
                                            __meta__=_meta(data={"kind": "typed_columns"})),
        "zip of other": lambda p: zipfile.ZipFile(p, "w").writestr("x.txt", "x"),
    }
    return files


def test_foreign_or_corrupt_files_raise_one_clear_error(tmp_path):
    for name, write in _foreign_files(tmp_path).items():
        path = tmp_path / f"{name.replace(' ', '_')}.npz"
        write(path)
        with pytest.raises(ExplanationFileError,
                           match=rf"^{path} is not a skexplain explanation file") as info:
            Explanation.load(path)
        assert isinstance(info.value, ValueError), name
    with pytest.raises(ExplanationFileError, match="format version 99"):
        Explanation.load(tmp_path / "future_version.npz")


def test_missing_file_stays_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        Explanation.load(tmp_path / "nothing.npz")


def test_save_refuses_a_string_that_would_lose_its_trailing_nul(tmp_path):
    data = np.array([["a\x00"], ["b"]], dtype=object)
    expl = Explanation(np.zeros((2, 1)), np.zeros(2), data=data)
    with pytest.raises(ValueError, match=r"data column 0 holds a string ending in a NUL "
                                         r"character \(row 0\)"):
        expl.save(tmp_path / "e")
    assert not (tmp_path / "e.npz").exists()
