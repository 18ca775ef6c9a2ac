"""Hybrid values keep their identity: type, time zone and precision.

Three ways a value could change, or two values be taken for one, without any
axiom noticing (review of issue 9): an instant moved to the background's time
zone, ``True`` deduplicated with ``1`` in an object column, and an int64
background above 2**53 cast to float64 because X holds floats.
"""
import numpy as np
import pandas as pd
import pytest

from skexplain import ExactShapley, KernelSHAP


def explainers(model):
    return [ExactShapley(model), KernelSHAP(model, random_state=0)]


@pytest.mark.parametrize("index", [0, 1])
def test_a_time_zone_other_than_the_backgrounds_is_refused(index):
    background = pd.DataFrame({"a": [0.0, 0.0], "t": pd.to_datetime(
        ["2020-01-01", "2021-01-01"]).tz_localize("UTC")})
    X = pd.DataFrame({"a": [1.0], "t": pd.to_datetime(["2022-01-01 05:00"]).tz_localize(
        "Asia/Tokyo")})

    def model(frame):
        return frame["a"].to_numpy(float) + np.array([t.hour for t in frame["t"]], float)

    explainer = explainers(model)[index].fit(background)
    with pytest.raises(ValueError, match=r"X column 't' holds Timestamp\('2022-01-01 "
                                         r"05:00:00\+0900', tz='Asia/Tokyo'\) \(row 0\)"):
        explainer.explain(X)
    same_zone = X.assign(t=X["t"].dt.tz_convert("UTC"))  # the user converts: explained
    expl = explainer.explain(same_zone)
    assert abs(expl.values.sum() + expl.base_values[0] - model(same_zone)[0]) < 1e-9


def _is_true(values):
    return np.array([v is True for v in values], dtype=float)


@pytest.mark.parametrize("index", [0, 1])
def test_object_values_of_another_type_are_another_input(index):
    # True == 1 == 1.0 in Python, but the model tells them apart
    background = pd.DataFrame({"a": [0.0, 0.0], "c": pd.Series([1, 1.0], dtype=object)})
    X = pd.DataFrame({"a": [1.0], "c": pd.Series([True], dtype=object)})

    def model(frame):
        return frame["a"].to_numpy(float) + 5 * _is_true(frame["c"])

    expl = explainers(model)[index].fit(background).explain(X)
    np.testing.assert_allclose(expl.values, [[1.0, 5.0]], atol=1e-12)


@pytest.mark.parametrize("index", [0, 1])
def test_object_arrays_compare_by_type_too(index):
    background = np.array([[0.0, 1], [0.0, None]], dtype=object)
    X = np.array([[1.0, True]], dtype=object)

    def model(rows):
        return np.asarray(rows[:, 0], float) + 5 * _is_true(rows[:, 1])

    expl = explainers(model)[index].fit(background).explain(X)
    np.testing.assert_allclose(expl.values, [[1.0, 5.0]], atol=1e-12)


def test_none_and_nan_are_different_inputs():
    background = pd.DataFrame({"c": pd.Series([None, None], dtype=object)})
    X = pd.DataFrame({"c": pd.Series([np.nan], dtype=object)})

    def model(frame):
        return np.array([2.0 if v is None else 0.0 for v in frame["c"]])

    expl = ExactShapley(model).fit(background).explain(X)
    np.testing.assert_allclose(expl.values, [[-2.0]])


@pytest.mark.parametrize("index", [0, 1])
def test_a_wider_x_dtype_must_hold_the_backgrounds_values_too(index):
    big = 2**53 + 1  # not a float64
    background = pd.DataFrame({"a": [0.0, 0.0], "c": np.array([big, big], dtype=np.int64)})
    X = pd.DataFrame({"a": [1.0], "c": [0.5]})

    def model(frame):
        return frame["a"].to_numpy(float) + np.array([1e6 if v == big else 0.0
                                                      for v in frame["c"]])

    explainer = explainers(model)[index].fit(background)
    with pytest.raises(ValueError, match=r"X column 'c' holds .*0\.5.* \(row 0\), which the "
                                         r"background's dtype int64 cannot hold exactly"):
        explainer.explain(X)
