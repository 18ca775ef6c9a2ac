import warnings

import numpy as np
import pytest

from skexplain import Explanation
from skexplain.plotting import ImageDisplay, get_display


def rgb_explanation(n=3, seed=0, layout="first", outputs=None):
    rng = np.random.RandomState(seed)
    shape = (n, 3, 8, 6) if layout == "first" else (n, 8, 6, 3)
    X = rng.uniform(0, 255, size=shape)
    V = rng.normal(size=shape + ((outputs,) if outputs else ()))
    base = np.zeros((n, outputs) if outputs else n)
    names = [f"class_{k}" for k in range(outputs)] if outputs else None
    return Explanation(V, base, data=X, output_names=names)


def scaled(a):
    return (a - a.min()) / (a.max() - a.min())


def test_signed_map_is_the_channel_sum_with_symmetric_percentile_limits(pyplot):
    e = rgb_explanation()
    disp = e.plot("image", index=1, alpha=0.5)
    assert isinstance(disp, ImageDisplay) and get_display("image") is ImageDisplay
    expected = e.values[1].sum(axis=0)
    np.testing.assert_allclose(disp.heatmap_.get_array(), expected)
    lim = np.percentile(np.abs(expected), 99.0)
    np.testing.assert_allclose(disp.heatmap_.get_clim(), (-lim, lim))
    assert disp.heatmap_.get_alpha() == 0.5
    # the input: RGB, channel last, scaled to [0, 1] as a whole
    np.testing.assert_allclose(disp.image_.get_array(), scaled(np.moveaxis(e.data[1], 0, -1)))
    assert disp.image_.get_clim() == (0.0, 1.0)
    assert disp.ax_.get_title() == "row 1"
    assert disp.colorbar_.mappable is disp.heatmap_
    assert disp.figure_ is disp.ax_.figure


def test_abs_map_sums_absolute_values_from_zero(pyplot):
    e = rgb_explanation()
    disp = ImageDisplay.from_explanation(e, index=-1, mode="abs", clip_percentile=90)
    expected = np.abs(e.values[2]).sum(axis=0)
    np.testing.assert_allclose(disp.heatmap_.get_array(), expected)
    np.testing.assert_allclose(disp.heatmap_.get_clim(), (0.0, np.percentile(expected, 90)))
    assert disp.colorbar_.ax.get_ylabel() == "|attribution|"


def test_channel_last_rgb(pyplot):
    e = rgb_explanation(layout="last")
    disp = e.plot("image", index=0)
    np.testing.assert_allclose(disp.heatmap_.get_array(), e.values[0].sum(axis=-1))
    np.testing.assert_allclose(disp.image_.get_array(), scaled(e.data[0]))


@pytest.mark.parametrize("shape, axis", [((2, 1, 5, 7), 1), ((2, 5, 7, 1), 3), ((2, 5, 7), None),
                                         ((2, 6, 5, 7), 1), ((2, 4, 5, 4), 1)])
def test_grayscale_layouts(pyplot, shape, axis):
    rng = np.random.RandomState(1)
    X, V = rng.normal(size=shape), rng.normal(size=shape)
    disp = Explanation(V, np.zeros(2), data=X).plot("image", index=1)
    summed = V[1] if axis is None else V[1].sum(axis=axis - 1)
    np.testing.assert_allclose(disp.heatmap_.get_array(), summed)
    gray = X[1] if axis is None else X[1].mean(axis=axis - 1)
    np.testing.assert_allclose(disp.image_.get_array(), scaled(gray))
    assert disp.image_.get_cmap().name == "gray"


def test_no_data_draws_the_map_alone(pyplot):
    e = rgb_explanation()
    e = Explanation(e.values, e.base_values)
    disp = e.plot("image")
    assert disp.image_ is None and disp.heatmap_.get_alpha() == 1.0
    assert len(disp.ax_.images) == 1


def test_all_zero_map_and_constant_image_draw_without_warnings(pyplot):
    e = Explanation(np.zeros((1, 1, 4, 4)), np.zeros(1), data=np.ones((1, 1, 4, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disp = e.plot("image", mode="abs")
        disp.figure_.canvas.draw()
    assert disp.heatmap_.get_clim() == (0.0, 1.0)
    np.testing.assert_array_equal(disp.image_.get_array(), np.full((4, 4), 0.5))


def test_rgb_input_in_any_range_is_not_clipped_by_imshow(pyplot, caplog):
    e = rgb_explanation()  # data in [0, 255]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e.plot("image").figure_.canvas.draw()
    assert "Clipping" not in caplog.text


def test_sparse_map_uses_the_maximum_when_the_percentile_is_zero(pyplot):
    values = np.zeros((1, 20, 20))  # one nonzero pixel of 400: the 99th percentile is 0
    values[0, 3, 4] = -2.5
    disp = Explanation(values, np.zeros(1)).plot("image")
    assert disp.heatmap_.get_clim() == (-2.5, 2.5)


def test_several_outputs_need_output(pyplot):
    e = rgb_explanation(outputs=2)
    with pytest.raises(ValueError, match="Choose one with output="):
        e.plot("image")
    disp = e.plot("image", output="class_1")
    np.testing.assert_allclose(disp.heatmap_.get_array(), e.values[0, ..., 1].sum(axis=0))
    assert disp.ax_.get_title() == "row 0 (class_1)"


def test_draws_on_the_given_axes_and_opens_no_figure(pyplot):
    fig, ax = pyplot.subplots()
    disp = rgb_explanation().plot("image", ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert pyplot.get_fignums() == [fig.number]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(index=3), IndexError, r"index=3 is out of range .* 3 row"),
    (dict(index=-4), IndexError, "index=-4"),
    (dict(index=1.0), TypeError, "index must be an integer"),
    (dict(index=True), TypeError, "index must be an integer"),
    (dict(mode="relative"), ValueError, r"mode must be one of \['signed', 'abs'\]"),
    (dict(alpha=1.5), ValueError, r"alpha must be a number in \[0, 1\]; got 1.5"),
    (dict(alpha=-0.1), ValueError, "alpha"),
    (dict(clip_percentile=0), ValueError, r"clip_percentile must be a number in \(0, 100\]"),
    (dict(clip_percentile=101), ValueError, "clip_percentile"),
    (dict(output=5), (ValueError, IndexError), "output"),
])
def test_bad_parameters(pyplot, kwargs, error, match):
    with pytest.raises(error, match=match):
        rgb_explanation().plot("image", **kwargs)
    assert pyplot.get_fignums() == []


def test_bad_explanations(pyplot):
    tabular = Explanation(np.ones((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"needs image attributions .* got values of shape "
                                         r"\(n, 4\).*'bar'"):
        tabular.plot("image")
    volume = Explanation(np.ones((1, 1, 2, 3, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="needs image attributions"):
        volume.plot("image")
    nan = np.ones((2, 4, 4))
    nan[1, 0, 0] = np.nan
    with pytest.raises(ValueError, match="row 1 of explanation.values has 1 NaN"):
        Explanation(nan, np.zeros(2)).plot("image", index=1)
    with pytest.raises(TypeError, match="numeric explanation.data"):
        Explanation(np.ones((1, 2, 2)), np.zeros(1),
                    data=np.array([[["a", "b"], ["c", "d"]]], dtype=object)).plot("image")
    bad_data = np.ones((1, 2, 2))
    bad_data[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="finite explanation.data"):
        Explanation(np.ones((1, 2, 2)), np.zeros(1), data=bad_data).plot("image")
    assert pyplot.get_fignums() == []


def test_plot_method_redraws_on_new_axes(pyplot):
    disp = rgb_explanation().plot("image", mode="abs")
    fig, ax = pyplot.subplots()
    again = disp.plot(ax=ax, alpha=1.0, clip_percentile=100)
    assert again is disp and disp.ax_ is ax and disp.image_ is None  # alpha 1 hides the input
    assert disp.heatmap_.get_clim()[1] == disp.attribution_map.max()


def test_importing_the_image_displays_imports_neither_torch_nor_matplotlib():
    import json
    import pathlib
    import subprocess
    import sys

    code = ("import sys, json\nfrom skexplain.plotting import ImageDisplay, ImageGridDisplay, "
            "FilterDisplay, ActivationDisplay\nprint(json.dumps(sorted(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=pathlib.Path(__file__).resolve().parents[2], timeout=300)
    assert run.returncode == 0, run.stderr
    modules = json.loads(run.stdout.splitlines()[-1])
    assert not [m for m in modules if m.split(".")[0] in ("torch", "matplotlib")]
