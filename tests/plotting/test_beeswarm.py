import numpy as np
import pytest
from matplotlib.colors import to_rgba

from skexplain import ExactShapley, Explanation
from skexplain.plotting import BeeswarmDisplay
from skexplain.plotting._beeswarm import _swarm_offsets
from skexplain.plotting._rows import GREY, red_blue_cmap


def explanation(n=101, seed=0):
    """Four features of decreasing importance c > a > d > b, with numeric data."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, 4)) * [2.0, 0.1, 5.0, 1.0]
    data = np.column_stack([np.arange(n, dtype=float)] * 4)
    return Explanation(values, np.zeros(n), data=data, feature_names=["a", "b", "c", "d"])


def offsets(collection):
    return np.asarray(collection.get_offsets())


def test_rows_carry_each_features_attributions_most_important_on_top(pyplot):
    e = explanation()
    disp = e.plot("beeswarm")
    assert isinstance(disp, BeeswarmDisplay)
    assert disp.feature_names_ == ["c", "a", "d", "b"]
    ticks = {t.get_position()[1]: t.get_text() for t in disp.ax_.get_yticklabels()}
    assert [ticks[y] for y in (3, 2, 1, 0)] == ["c", "a", "d", "b"]
    for i, j in enumerate([2, 0, 3, 1]):
        xy = offsets(disp.collections_[i])
        np.testing.assert_array_equal(xy[:, 0], e.values[:, j])
        row_y = 3 - i  # top row first
        assert np.all(np.abs(xy[:, 1] - row_y) <= 0.4 + 1e-12)
    np.testing.assert_array_equal(disp.values_, e.values[:, [2, 0, 3, 1]])
    assert disp.zero_line_.get_xdata()[0] == 0
    assert disp.ax_.get_xlabel().startswith("attribution")


def test_other_features_are_summed_into_the_last_row(pyplot):
    e = explanation()
    disp = BeeswarmDisplay.from_explanation(e, max_display=2)
    assert disp.feature_names_ == ["c", "sum of 3 other features"]
    np.testing.assert_allclose(offsets(disp.collections_[1])[:, 0], e.values[:, [0, 1, 3]].sum(1))
    assert len(disp.collections_) == 2
    grey = to_rgba(GREY)
    assert np.allclose(disp.collections_[1].get_facecolors(), grey)


def test_colours_follow_feature_values_scaled_to_5th_95th_percentile(pyplot):
    e = explanation(n=101)  # data 0..100: 5th percentile 5, 95th 95
    disp = e.plot("beeswarm")
    expected = np.clip((np.arange(101) - 5.0) / 90.0, 0, 1)
    np.testing.assert_allclose(disp.color_values_[:, 0], expected)
    colours = disp.collections_[0].get_facecolors()
    np.testing.assert_allclose(colours, red_blue_cmap()(expected))
    # low values blue, high values red
    assert colours[0][2] > colours[0][0] and colours[-1][0] > colours[-1][2]
    bar = disp.colorbar_
    assert bar.ax.get_ylabel() == "feature value"
    assert [t.get_text() for t in bar.ax.get_yticklabels()] == ["low", "high"]
    assert BeeswarmDisplay.from_explanation(e, color_bar=False).colorbar_ is None


def test_strings_bools_missing_values_and_absent_data_are_grey(pyplot):
    n = 6
    data = np.empty((n, 4), dtype=object)
    data[:, 0] = ["x", "y", "x", "y", "x", "y"]
    data[:, 1] = [True, False] * 3
    data[:, 2] = [1.0, 2.0, None, 4.0, np.nan, 6.0]  # numbers in an object column
    data[:, 3] = np.arange(n)
    values = np.tile([4.0, 3.0, 2.0, 1.0], (n, 1)) + np.arange(n)[:, None] * 0.01
    e = Explanation(values, np.zeros(n), data=data, feature_names=["s", "b", "m", "i"])
    disp = e.plot("beeswarm")
    grey = to_rgba(GREY)
    for row in (0, 1):
        assert np.allclose(disp.collections_[row].get_facecolors(), grey)
    colours = disp.collections_[2].get_facecolors()
    missing = np.array([False, False, True, False, True, False])
    assert np.allclose(colours[missing], grey) and not np.allclose(colours[~missing][0], grey)
    assert not np.any(np.isnan(disp.color_values_[:, 3]))
    no_data = Explanation(values, np.zeros(n), feature_names=["s", "b", "m", "i"])
    disp = no_data.plot("beeswarm")
    assert all(np.allclose(c.get_facecolors(), grey) for c in disp.collections_)
    assert disp.colorbar_ is None  # no colour to explain


def test_swarm_is_deterministic_and_spreads_dense_regions():
    x = np.r_[np.zeros(9), np.linspace(5, 10, 5)]
    y = _swarm_offsets(x)
    np.testing.assert_array_equal(y, _swarm_offsets(x.copy()))
    assert len(np.unique(y[:9])) == 9  # nine equal values each get their own layer
    assert np.abs(y).max() == pytest.approx(0.4)
    np.testing.assert_array_equal(y[9:], 0.0)  # alone in their bins: on the line
    state = np.random.get_state()
    _swarm_offsets(np.random.default_rng(0).normal(size=300))
    assert np.array_equal(state[1], np.random.get_state()[1])  # no global RNG used


def test_multi_output_needs_output(pyplot):
    values = np.random.default_rng(0).normal(size=(5, 3, 2))
    e = Explanation(values, np.zeros((5, 2)), feature_names=["a", "b", "c"],
                    output_names=["neg", "pos"])
    with pytest.raises(ValueError, match="Choose one with output="):
        e.plot("beeswarm")
    by_name = e.plot("beeswarm", output="pos")
    by_index = BeeswarmDisplay.from_explanation(e, output=1)
    np.testing.assert_array_equal(by_name.values_, by_index.values_)
    order = np.argsort(-np.abs(values[:, :, 1]).mean(0))
    np.testing.assert_array_equal(by_name.values_, values[:, order, 1])
    assert by_name.ax_.get_xlabel() == "attribution (pos)"


@pytest.mark.parametrize("max_display", [0, -1, True, 2.5, "3"])
def test_bad_max_display(pyplot, max_display):
    with pytest.raises(ValueError, match="max_display must be a positive integer"):
        explanation().plot("beeswarm", max_display=max_display)
    assert pyplot.get_fignums() == []


def test_nd_features_refused(pyplot):
    with pytest.raises(ValueError, match="beeswarm.*one feature axis"):
        Explanation(np.ones((2, 3, 3)), np.zeros(2)).plot("beeswarm")
    assert pyplot.get_fignums() == []


def test_given_axes_are_used_and_no_other_figure_is_left(pyplot):
    fig, ax = pyplot.subplots()
    disp = explanation().plot("beeswarm", ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert pyplot.get_fignums() == [fig.number]
    pyplot.close("all")
    disp = explanation().plot("beeswarm")
    assert pyplot.get_fignums() == [disp.figure_.number]


def test_figure_height_grows_with_displayed_rows(pyplot):
    small = explanation().plot("beeswarm", max_display=2).figure_.get_size_inches()[1]
    values = np.random.default_rng(0).normal(size=(20, 20))
    big = Explanation(values, np.zeros(20)).plot("beeswarm", max_display=20)
    assert big.figure_.get_size_inches()[1] > small
    assert big.feature_names_[0].startswith("x")


def test_explanation_is_not_mutated(pyplot):
    e = explanation()
    values, data = e.values.copy(), e.data.copy()
    e.plot("beeswarm", max_display=2)
    np.testing.assert_array_equal(e.values, values)
    np.testing.assert_array_equal(e.data, data)


@pytest.fixture(scope="module")
def pipeline_with_string_column():
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X = X[["age", "sex", "bmi", "bp"]].assign(sex=X["sex"].map({1.0: "female", 2.0: "male"}))
    model = make_pipeline(ColumnTransformer([("sex", OneHotEncoder(), ["sex"])],
                                            remainder="passthrough"), Ridge()).fit(X, y)
    return model, X


def test_explainer_plot_on_a_pipeline_with_a_string_column(pyplot, pipeline_with_string_column):
    model, X = pipeline_with_string_column
    explainer = ExactShapley(model).fit(X.iloc[:20])
    disp = explainer.plot(X.iloc[:30], kind="beeswarm")
    assert isinstance(disp, BeeswarmDisplay)
    e = explainer.explain(X.iloc[:30])
    assert e.data.dtype == object
    sex = disp.feature_names_.index("sex")
    np.testing.assert_allclose(offsets(disp.collections_[sex])[:, 0], e.values[:, 1])
    assert np.allclose(disp.collections_[sex].get_facecolors(), to_rgba(GREY))
    bmi = disp.feature_names_.index("bmi")  # a number column of object data is coloured
    assert np.nanmax(disp.color_values_[:, bmi]) == 1.0
    assert pyplot.get_fignums() == [disp.figure_.number]
