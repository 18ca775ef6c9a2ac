import numpy as np
import pytest

from skexplain import ExactShapley, Explanation
from skexplain.plotting import HeatmapDisplay


def explanation():
    # rows 0 and 2 alike, rows 1 and 3 alike; importance: b (mean |.| 5.05) > a > c
    values = np.array([[1.0, 10.0, 0.0],
                       [-2.0, -0.1, 0.5],
                       [1.2, 9.9, 0.1],
                       [-2.1, 0.2, 0.4]])
    return Explanation(values, np.zeros(4), feature_names=["a", "b", "c"])


def test_image_is_the_reordered_matrix_features_by_importance(pyplot):
    e = explanation()
    disp = e.plot("heatmap", order="input")
    assert isinstance(disp, HeatmapDisplay)
    assert disp.feature_names_ == ["b", "a", "c"]
    np.testing.assert_array_equal(disp.row_order_, [0, 1, 2, 3])
    np.testing.assert_array_equal(disp.values_, e.values[:, [1, 0, 2]])
    np.testing.assert_array_equal(disp.image_.get_array(), e.values[:, [1, 0, 2]].T)
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels == ["b", "a", "c"]
    lo, hi = disp.image_.get_clim()
    assert lo == -hi == -disp.vmax_  # centred at 0
    assert disp.colorbar_.ax.get_ylabel().startswith("attribution")
    np.testing.assert_allclose(disp.prediction_line_.get_ydata(), e.values.sum(1))


def test_prediction_order_is_descending_summed_attribution(pyplot):
    e = explanation()  # sums: 11, -1.6, 11.2, -1.5
    disp = HeatmapDisplay.from_explanation(e, order="prediction")
    np.testing.assert_array_equal(disp.row_order_, [2, 0, 3, 1])
    np.testing.assert_array_equal(disp.image_.get_array(), e.values[[2, 0, 3, 1]][:, [1, 0, 2]].T)
    np.testing.assert_allclose(disp.prediction_line_.get_ydata(), [11.2, 11.0, -1.5, -1.6])


def test_hclust_keeps_alike_rows_together(pyplot):
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering

    e = explanation()
    disp = e.plot("heatmap")  # the default
    order = list(disp.row_order_)
    assert sorted(order) == [0, 1, 2, 3]
    # the pairs {0, 2} and {1, 3} sit next to each other
    assert abs(order.index(0) - order.index(2)) == 1
    assert abs(order.index(1) - order.index(3)) == 1
    links = linkage(e.values, method="average", metric="euclidean")
    np.testing.assert_array_equal(order, leaves_list(optimal_leaf_ordering(links, e.values)))
    np.testing.assert_array_equal(disp.image_.get_array(), e.values[order][:, [1, 0, 2]].T)
    assert "clustering" in disp.ax_.get_xlabel()


def test_permutation_order_and_tick_labels_name_the_rows(pyplot):
    e = explanation()
    disp = e.plot("heatmap", order=[3, 1, 0, 2])
    np.testing.assert_array_equal(disp.values_, e.values[[3, 1, 0, 2]][:, [1, 0, 2]])
    pyplot.gcf().canvas.draw()
    shown = {int(round(t.get_position()[0])): t.get_text()
             for t in disp.ax_.get_xticklabels() if t.get_text()}
    assert shown and all(text == str([3, 1, 0, 2][pos]) for pos, text in shown.items())


@pytest.mark.parametrize("order, error, match", [
    ("clustered", ValueError, "order must be one of"),
    ([0, 1, 2], ValueError, r"order must be a permutation of range\(4\)"),
    ([0, 1, 1, 2], ValueError, "order must be a permutation"),
    ([0, 1, 2, 4], ValueError, "order must be a permutation"),
    ([0.0, 1.0, 2.0, 3.0], TypeError, "integer row positions"),
    ([True, False, True, False], TypeError, "integer row positions"),
    ([[0, 1], [2, 3]], TypeError, "1-D array"),
])
def test_bad_order(pyplot, order, error, match):
    with pytest.raises(error, match=match):
        explanation().plot("heatmap", order=order)
    assert pyplot.get_fignums() == []


def test_other_features_summed_and_colour_limits_clipped(pyplot):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(200, 6)) * [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    values[0, 0] = 1000.0  # one outlier must not wash the picture out
    e = Explanation(values, np.zeros(200))
    disp = e.plot("heatmap", max_display=3, order="input", show_prediction=False)
    assert disp.feature_names_ == ["x0", "x1", "sum of 4 other features"]
    np.testing.assert_allclose(disp.values_[:, 2], values[:, 2:].sum(1))
    assert disp.vmax_ == pytest.approx(np.percentile(np.abs(disp.values_), 99))
    assert disp.vmax_ < 100
    assert disp.prediction_ax_ is None and disp.prediction_line_ is None


def test_multi_output_needs_output_and_bad_inputs(pyplot):
    values = np.random.default_rng(0).normal(size=(5, 3, 2))
    e = Explanation(values, np.zeros((5, 2)), output_names=["a", "b"])
    with pytest.raises(ValueError, match="Choose one with output="):
        e.plot("heatmap")
    np.testing.assert_array_equal(e.plot("heatmap", output="b", order="input").values_,
                                  HeatmapDisplay.from_explanation(e, output=1,
                                                                  order="input").values_)
    pyplot.close("all")
    with pytest.raises(ValueError, match="max_display must be a positive integer"):
        e.plot("heatmap", output=0, max_display=0)
    with pytest.raises(ValueError, match="heatmap.*one feature axis"):
        Explanation(np.ones((2, 3, 3)), np.zeros(2)).plot("heatmap")
    assert pyplot.get_fignums() == []  # errors come before any figure is made


@pytest.mark.parametrize("n", [1, 2, 3])
def test_few_rows(pyplot, n):
    e = Explanation(np.arange(3.0 * n).reshape(n, 3), np.zeros(n))
    assert sorted(e.plot("heatmap").row_order_) == list(range(n))


def test_given_axes_are_used_nothing_mutated_and_one_figure(pyplot):
    e = explanation()
    values = e.values.copy()
    fig, ax = pyplot.subplots()
    disp = e.plot("heatmap", ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig and disp.prediction_ax_.figure is fig
    assert pyplot.get_fignums() == [fig.number]
    np.testing.assert_array_equal(e.values, values)


def test_explainer_plot_dispatch(pyplot):
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)
    X = X[:, :4]
    model = Ridge().fit(X, y)
    explainer = ExactShapley(model).fit(X[:20])
    disp = explainer.plot(X[:12], kind="heatmap", order="prediction")
    e = explainer.explain(X[:12])
    np.testing.assert_allclose(disp.values_.sum(1), np.sort(e.values.sum(1))[::-1])
    np.testing.assert_allclose(disp.prediction_line_.get_ydata(),
                               model.predict(X[disp.row_order_]) - e.base_values)
    assert pyplot.get_fignums() == [disp.figure_.number]
