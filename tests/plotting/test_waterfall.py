import numpy as np
import pytest
from matplotlib.colors import to_rgba

from skexplain import ExactShapley, Explanation
from skexplain.plotting import WaterfallDisplay
from skexplain.plotting._rows import BLUE, RED


def explanation():
    values = np.array([[1.0, -3.0, 0.5, 0.25, -0.125],
                       [2.0, 0.0, -1.0, 4.0, 0.5]])
    data = np.array([[1.5, 20.123456, 3.0, 4.0, 5.0], [0.0, 1.0, 2.0, 3.0, 4.0]])
    return Explanation(values, np.array([10.0, 20.0]), data=data,
                       feature_names=["a", "b", "c", "d", "e"])


def bar_geometry(disp):
    patches = disp.bars_.patches
    return (np.array([p.get_x() for p in patches]), np.array([p.get_width() for p in patches]),
            np.array([p.get_y() + p.get_height() / 2 for p in patches]))


def test_bars_are_cumulative_from_base_value_to_prediction(pyplot):
    disp = explanation().plot("waterfall")
    assert isinstance(disp, WaterfallDisplay)
    left, width, y = bar_geometry(disp)
    # drawing order: smallest |value| at the bottom, largest on top
    np.testing.assert_array_equal(width, [-0.125, 0.25, 0.5, 1.0, -3.0])
    np.testing.assert_array_equal(left, [10.0, 9.875, 10.125, 10.625, 11.625])
    np.testing.assert_array_equal(y, np.arange(5))
    assert left[-1] + width[-1] == disp.prediction_ == 8.625
    assert disp.base_value_ == 10.0
    np.testing.assert_array_equal(disp.contributions_, width)
    colours = [tuple(p.get_facecolor()) for p in disp.bars_.patches]
    assert colours == [to_rgba(c) for c in (BLUE, RED, RED, RED, BLUE)]
    assert [t.get_text() for t in disp.value_texts_] == ["-0.125", "+0.25", "+0.5", "+1", "-3"]
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels == ["e = 5", "d = 4", "c = 3", "a = 1.5", "b = 20.12"]
    assert disp.base_text_.get_text() == "E[f(X)] = 10"
    assert disp.prediction_text_.get_text() == "f(x) = 8.625"


def test_other_features_collapse_into_the_bottom_bar(pyplot):
    e = explanation()
    disp = WaterfallDisplay.from_explanation(e, row=1, max_display=3)
    left, width, _ = bar_geometry(disp)
    # row 1: |values| 4 > 2 > 1 > 0.5 > 0; d and a shown, c + e + b collapsed
    np.testing.assert_array_equal(width, [-0.5, 2.0, 4.0])
    np.testing.assert_array_equal(left, [20.0, 19.5, 21.5])
    assert disp.labels_ == ["3 other features", "a = 0", "d = 3"]
    assert disp.prediction_ == 25.5 == 20.0 + e.values[1].sum()


def test_row_negative_and_validated(pyplot):
    e = explanation()
    np.testing.assert_array_equal(e.plot("waterfall", row=-1).contributions_,
                                  e.plot("waterfall", row=1).contributions_)
    for bad in (2, -3):
        with pytest.raises(ValueError, match=r"row must be in \[-2, 2\).*got"):
            e.plot("waterfall", row=bad)
    for bad in (True, 1.0, "0", None):
        with pytest.raises(TypeError, match="row must be an integer position"):
            e.plot("waterfall", row=bad)
    assert WaterfallDisplay.from_explanation(e, row=np.int64(1)).base_value_ == 20.0


@pytest.mark.parametrize("max_display", [0, False, 1.5])
def test_bad_max_display(pyplot, max_display):
    with pytest.raises(ValueError, match="max_display must be a positive integer"):
        explanation().plot("waterfall", max_display=max_display)
    assert pyplot.get_fignums() == []


def test_nd_features_refused(pyplot):
    with pytest.raises(ValueError, match="waterfall.*one feature axis"):
        Explanation(np.ones((2, 3, 3)), np.zeros(2)).plot("waterfall")


def test_multi_output_needs_output(pyplot):
    values = np.arange(12.0).reshape(2, 3, 2)
    e = Explanation(values, np.array([[0.0, 1.0], [2.0, 3.0]]), output_names=["lo", "hi"])
    with pytest.raises(ValueError, match="Choose one with output="):
        e.plot("waterfall")
    by_name = e.plot("waterfall", output="hi", row=1)
    by_index = WaterfallDisplay.from_explanation(e, row=1, output=1)
    np.testing.assert_array_equal(by_name.contributions_, [7.0, 9.0, 11.0])
    np.testing.assert_array_equal(by_index.contributions_, by_name.contributions_)
    assert by_name.prediction_ == 3.0 + 27.0
    assert by_name.labels_ == ["x0", "x1", "x2"]  # no data, no names
    assert by_name.ax_.get_xlabel() == "model output (hi)"


def test_given_axes_are_used_and_nothing_mutated(pyplot):
    e = explanation()
    values, data = e.values.copy(), e.data.copy()
    fig, ax = pyplot.subplots()
    disp = e.plot("waterfall", ax=ax, max_display=2)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert pyplot.get_fignums() == [fig.number]
    np.testing.assert_array_equal(e.values, values)
    np.testing.assert_array_equal(e.data, data)


def test_figure_height_grows_with_displayed_rows(pyplot):
    e = Explanation(np.random.default_rng(0).normal(size=(1, 30)), np.zeros(1))
    small = e.plot("waterfall", max_display=3).figure_.get_size_inches()[1]
    assert e.plot("waterfall", max_display=20).figure_.get_size_inches()[1] > small
    assert len(pyplot.get_fignums()) == 2


def test_pipeline_with_a_string_column_labels_the_category(pyplot):
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X = X[["age", "sex", "bmi", "bp"]].assign(sex=X["sex"].map({1.0: "female", 2.0: "male"}))
    model = make_pipeline(ColumnTransformer([("sex", OneHotEncoder(), ["sex"])],
                                            remainder="passthrough"), Ridge()).fit(X, y)
    explainer = ExactShapley(model).fit(X.iloc[:20])
    disp = explainer.plot(X.iloc[[0]], kind="waterfall")
    assert X["sex"].iloc[0] == "male"
    assert "sex = male" in disp.labels_
    assert f"bmi = {X['bmi'].iloc[0]:.4g}" in disp.labels_
    # exact Shapley values are efficient: the last bar ends at the model's output
    left, width, _ = bar_geometry(disp)
    assert left[-1] + width[-1] == pytest.approx(model.predict(X.iloc[[0]])[0])
    assert pyplot.get_fignums() == [disp.figure_.number]
