import numpy as np
import pytest

from skexplain import Explanation
from skexplain.plotting import ImageGridDisplay


def explanations(n=3, seed=0, names=("saliency", "grad-cam")):
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n, 1, 6, 5))
    return {name: Explanation(rng.normal(size=X.shape), np.zeros(n), data=X.copy(),
                              metadata={"target": list(range(n))})
            for name in names}


def test_cells_hold_each_methods_map_with_its_own_percentile_scale(pyplot):
    expl = explanations()
    disp = ImageGridDisplay.from_explanations(expl, clip_percentile=95)
    assert disp.axes_.shape == (3, 3) and disp.heatmaps_.shape == (3, 2)
    assert [ax.get_title() for ax in disp.axes_[0]] == ["input", "saliency", "grad-cam"]
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == [
        "row 0: target 0", "row 1: target 1", "row 2: target 2"]
    for j, e in enumerate(expl.values()):
        for i in range(3):
            amap = np.abs(e.values[i, 0])
            np.testing.assert_allclose(disp.heatmaps_[i, j].get_array(), amap)
            np.testing.assert_allclose(disp.heatmaps_[i, j].get_clim(),
                                       (0, np.percentile(amap, 95)))
            assert disp.heatmaps_[i, j].axes is disp.axes_[i, j + 1]
    x = expl["saliency"].data
    for i in range(3):
        gray = x[i, 0]
        np.testing.assert_allclose(disp.inputs_[i].get_array(),
                                   (gray - gray.min()) / (gray.max() - gray.min()))
    assert disp.figure_ is disp.axes_[0, 0].figure


def test_rows_selection_without_input_signed_and_list_of_pairs(pyplot):
    expl = explanations(n=20)
    with pytest.raises(ValueError, match="at most 16 rows .* have 20; choose them with rows="):
        ImageGridDisplay.from_explanations(expl)
    pairs = list(expl.items())
    disp = ImageGridDisplay.from_explanations(pairs, rows=[4, -1], mode="signed",
                                              show_input=False, titles=["A", "B"])
    assert disp.axes_.shape == (2, 2) and disp.inputs_ is None
    assert [ax.get_title() for ax in disp.axes_[0]] == ["A", "B"]
    sal = expl["saliency"].values
    np.testing.assert_allclose(disp.heatmaps_[1, 0].get_array(), sal[19, 0])
    lo, hi = disp.heatmaps_[1, 0].get_clim()
    assert -lo == hi == pytest.approx(np.percentile(np.abs(sal[19, 0]), 99))


def test_overlay_draws_the_input_under_each_map(pyplot):
    disp = ImageGridDisplay.from_explanations(explanations(n=1), alpha=0.4)
    cell = disp.axes_[0, 1]
    assert len(cell.images) == 2 and cell.images[1] is disp.heatmaps_[0, 0]
    assert disp.heatmaps_[0, 0].get_alpha() == 0.4


def test_row_label_is_the_output_name_when_one(pyplot):
    X = np.ones((2, 4, 4))
    e = Explanation(np.ones((2, 4, 4)), np.zeros(2), data=X, output_names=["cat"])
    disp = ImageGridDisplay.from_explanations({"m": e}, show_input=False)
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == ["cat", "cat"]
    plain = Explanation(np.ones((2, 4, 4)), np.zeros(2), data=X)
    disp = ImageGridDisplay.from_explanations({"m": plain})
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == ["row 0", "row 1"]


def test_given_axes_are_used_and_no_figure_is_opened(pyplot):
    fig, axes = pyplot.subplots(3, 3)
    disp = ImageGridDisplay.from_explanations(explanations(), ax=axes)
    assert disp.axes_ is not None and (disp.axes_ == axes).all() and disp.figure_ is fig
    assert pyplot.get_fignums() == [fig.number]
    fig1, row = pyplot.subplots(1, 3)  # a 1-D array for a one-row grid
    disp = ImageGridDisplay.from_explanations(explanations(), rows=0, ax=row)
    assert disp.axes_.shape == (1, 3)


def test_bad_inputs(pyplot):
    good = explanations()
    with pytest.raises(ValueError, match=r"ax must be an array of Axes of shape \(3, 3\).*"
                                         r"got shape \(2, 3\)"):
        _, axes = pyplot.subplots(2, 3)
        ImageGridDisplay.from_explanations(good, ax=axes)
    pyplot.close("all")
    other = explanations(seed=1)
    with pytest.raises(ValueError, match="the data of 'grad-cam' differs"):
        ImageGridDisplay.from_explanations({"saliency": good["saliency"],
                                            "grad-cam": other["grad-cam"]})
    fewer = explanations(n=2)["saliency"]
    with pytest.raises(ValueError, match="same images: 'saliency' has 3 rows .* 'x' has 2"):
        ImageGridDisplay.from_explanations({"saliency": good["saliency"], "x": fewer})
    with pytest.raises(ValueError, match="at least one"):
        ImageGridDisplay.from_explanations({})
    with pytest.raises(TypeError, match="single Explanation"):
        ImageGridDisplay.from_explanations(good["saliency"])
    with pytest.raises(TypeError, match=r"explanations\['a'\] must be an Explanation"):
        ImageGridDisplay.from_explanations({"a": np.ones((3, 4, 4))})
    with pytest.raises(TypeError, match="dict"):
        ImageGridDisplay.from_explanations([1, 2])
    with pytest.raises(IndexError, match="rows=3 is out of range"):
        ImageGridDisplay.from_explanations(good, rows=[0, 3])
    with pytest.raises(ValueError, match="rows must select at least one"):
        ImageGridDisplay.from_explanations(good, rows=[])
    with pytest.raises(ValueError, match="titles must be a list of 2"):
        ImageGridDisplay.from_explanations(good, titles=["one"])
    with pytest.raises(ValueError, match="mode must be one of"):
        ImageGridDisplay.from_explanations(good, mode="raw")
    with pytest.raises(ValueError, match=r"alpha must be a number in \[0, 1\]"):
        ImageGridDisplay.from_explanations(good, alpha=2)
    no_data = {k: Explanation(e.values, e.base_values) for k, e in good.items()}
    with pytest.raises(ValueError, match="show_input=True needs the images"):
        ImageGridDisplay.from_explanations(no_data)
    assert ImageGridDisplay.from_explanations(no_data, show_input=False).axes_.shape == (3, 2)
    pyplot.close("all")
    tabular = Explanation(np.ones((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="needs image attributions"):
        ImageGridDisplay.from_explanations({"t": tabular}, show_input=False)
    multi = Explanation(np.ones((3, 4, 4, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="Choose one with output="):
        ImageGridDisplay.from_explanations({"m": multi}, show_input=False)
    assert pyplot.get_fignums() == []
