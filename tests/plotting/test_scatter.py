import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from skexplain import ExactShapley, Explanation  # noqa: E402
from skexplain.plotting import ScatterDisplay, get_display  # noqa: E402


def mixed_explanation():
    """Rows with a numeric, a string and a bool column (object data, as explainers give)."""
    data = np.array([[3.0, "dog", True], [1.0, "cat", False], [np.nan, "bird", True],
                     [2.0, "cat", True], [5.0, "dog", False]], dtype=object)
    values = np.array([[0.3, -1.0, 0.1], [0.1, 2.0, -0.1], [0.9, 0.5, 0.2],
                       [0.2, 1.5, 0.3], [0.5, -2.0, -0.4]])
    return Explanation(values, np.zeros(5), data=data, feature_names=["size", "pet", "owned"],
                       output_names=["price"])


def test_numeric_feature_offsets_labels_and_missing_rows(pyplot):
    pyplot.close("all")  # figures left by earlier tests; this one counts its own
    e = mixed_explanation()
    disp = e.plot("scatter", feature="size")
    offsets = disp.scatter_.get_offsets()
    # The NaN row is left out (it cannot be placed) and the x label says so.
    np.testing.assert_allclose(offsets, [[3.0, 0.3], [1.0, 0.1], [2.0, 0.2], [5.0, 0.5]])
    assert disp.ax_.get_xlabel() == "size  (1 row with a missing value not shown)"
    assert disp.ax_.get_ylabel() == "attribution of size (price)"
    assert disp.categories_ is None and disp.color_feature_ is None
    assert disp.colorbar_ is None and disp.legend_ is None
    assert disp.zero_line_.get_ydata()[0] == 0
    assert pyplot.get_fignums() == [disp.figure_.number]


def test_string_feature_on_sorted_categorical_axis(pyplot):
    e = mixed_explanation()
    disp = ScatterDisplay.from_explanation(e, 1)
    assert disp.categories_ == ["bird", "cat", "dog"]
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["bird", "cat", "dog"]
    offsets = disp.scatter_.get_offsets()
    # Positions are the category codes plus a small jitter; y is the attribution.
    np.testing.assert_array_equal(np.round(offsets[:, 0]), [2, 1, 0, 1, 2])
    assert np.all(np.abs(offsets[:, 0] - np.round(offsets[:, 0])) <= 0.2)
    assert np.ptp(offsets[[1, 3], 0]) > 0  # the two "cat" dots are not on one line
    np.testing.assert_allclose(offsets[:, 1], e.values[:, 1])
    again = ScatterDisplay.from_explanation(e, 1)
    np.testing.assert_array_equal(again.scatter_.get_offsets(), offsets)  # deterministic


def test_bool_and_pandas_categorical_and_missing_strings(pyplot):
    e = mixed_explanation()
    disp = e.plot("scatter", feature="owned")
    assert disp.categories_ == ["False", "True"]
    bools = Explanation(np.ones((3, 1)), np.zeros(3), data=np.array([[True], [False], [True]]))
    assert bools.plot("scatter", feature=0).categories_ == ["False", "True"]
    frame = pd.DataFrame({"c": pd.Categorical(["b", "a", None, "b"])})
    e = Explanation(np.arange(4.0)[:, None], np.zeros(4), data=frame.to_numpy(),
                    feature_names=["c"])
    disp = e.plot("scatter", feature="c")
    # A missing string is a category of its own, drawn last: no row is dropped.
    assert disp.categories_ == ["a", "b", "missing"]
    np.testing.assert_array_equal(np.round(disp.scatter_.get_offsets()[:, 0]), [1, 0, 2, 1])


def test_numeric_colour_feature_colorbar(pyplot):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(40, 3))
    data[3, 2] = np.nan
    e = Explanation(rng.normal(size=(40, 3)), np.zeros(40), data=data,
                    feature_names=["a", "b", "c"])
    disp = e.plot("scatter", feature="a", color="c")
    assert disp.color_feature_ == "c"
    np.testing.assert_array_equal(disp.scatter_.get_array(), data[:, 2])
    assert disp.colorbar_.ax.get_ylabel() == "c (grey: 1 missing)"
    disp.figure_.canvas.draw()
    faces = disp.scatter_.get_facecolors()
    lo, hi = np.nanargmin(data[:, 2]), np.nanargmax(data[:, 2])
    cmap = disp.scatter_.get_cmap()
    np.testing.assert_allclose(faces[lo, :3], cmap(0.0)[:3])  # clipped at the 5th percentile
    np.testing.assert_allclose(faces[hi, :3], cmap(1.0)[:3])
    np.testing.assert_allclose(faces[3, :3], [0.75, 0.75, 0.75])  # missing: grey


def test_categorical_colour_feature_legend(pyplot):
    e = mixed_explanation()
    disp = e.plot("scatter", feature="size", color="pet")
    assert [t.get_text() for t in disp.legend_.get_texts()] == ["bird", "cat", "dog"]
    assert disp.legend_.get_title().get_text() == "pet" and disp.colorbar_ is None
    faces = disp.scatter_.get_facecolors()  # rows dog, cat, cat, dog (the NaN row left out)
    handles = disp.legend_.legend_handles
    for row, code in zip(range(4), [2, 1, 1, 2]):
        np.testing.assert_allclose(faces[row, :3], matplotlib.colors.to_rgba(
            handles[code].get_color())[:3])
    assert not np.allclose(faces[0], faces[1])


def interaction_explanation():
    """y = x0 * x1 + x2 explained exactly: x0's spread follows x1 (and x3 is noise)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 4))
    explainer = ExactShapley(lambda Z: Z[:, 0] * Z[:, 1] + Z[:, 2]).fit(X[:40])
    return explainer, X[40:]


def test_auto_colour_finds_the_planted_interaction(pyplot):
    explainer, X = interaction_explanation()
    e = explainer.explain(X)
    assert e.plot("scatter", feature="x0", color="auto").color_feature_ == "x1"
    assert e.plot("scatter", feature="x1", color="auto").color_feature_ == "x0"
    one = Explanation(e.values[:, :1], e.base_values, data=e.data[:, :1], feature_names=["x0"])
    assert one.plot("scatter", feature=0, color="auto").color_feature_ is None
    # explainer.plot dispatches too, with its keyword arguments.
    disp = explainer.plot(X[:30], kind="scatter", feature="x2", color="x0")
    assert isinstance(disp, ScatterDisplay) and disp.color_feature_ == "x0"
    np.testing.assert_allclose(disp.scatter_.get_offsets()[:, 0], X[:30, 2])


def test_auto_colour_with_string_candidates(pyplot):
    rng = np.random.default_rng(1)
    x = rng.normal(size=120)
    group = rng.choice(["a", "b"], size=120)
    values = np.c_[x * np.where(group == "a", 1.0, -1.0), rng.normal(size=120),
                   rng.normal(size=120)]
    data = np.c_[x.astype(object), rng.normal(size=120).astype(object), group]
    e = Explanation(values, np.zeros(120), data=data, feature_names=["x", "noise", "group"])
    disp = e.plot("scatter", feature="x", color="auto")
    assert disp.color_feature_ == "group"
    assert [t.get_text() for t in disp.legend_.get_texts()] == ["a", "b"]


def test_multi_output_needs_output(pyplot):
    values = np.arange(12.0).reshape(2, 3, 2)
    e = Explanation(values, np.zeros((2, 2)), data=np.ones((2, 3)),
                    output_names=["no", "yes"])
    with pytest.raises(ValueError, match="Choose one with output="):
        e.plot("scatter", feature=0)
    by_name = e.plot("scatter", feature=1, output="yes")
    by_index = e.plot("scatter", feature=1, output=1)
    np.testing.assert_allclose(by_name.scatter_.get_offsets()[:, 1], values[:, 1, 1])
    np.testing.assert_allclose(by_index.scatter_.get_offsets(), by_name.scatter_.get_offsets())
    assert by_name.ax_.get_ylabel() == "attribution of x1 (yes)"


def test_bad_inputs(pyplot):
    pyplot.close("all")  # figures left by earlier tests; this one counts its own
    e = mixed_explanation()
    with pytest.raises(ValueError, match=r"feature='weight' is not a feature.*'size', 'pet'"):
        e.plot("scatter", feature="weight")
    with pytest.raises(ValueError, match="feature=3 is out of range for 3 features"):
        e.plot("scatter", feature=3)
    with pytest.raises(TypeError, match="feature must be a feature name or an integer"):
        e.plot("scatter", feature=True)
    with pytest.raises(TypeError, match="feature must be"):
        e.plot("scatter", feature=1.0)
    with pytest.raises(ValueError, match="color='size' is the plotted feature itself"):
        e.plot("scatter", feature=0, color="size")
    with pytest.raises(ValueError, match="color='colour' is not a feature"):
        e.plot("scatter", feature=0, color="colour")
    with pytest.raises(TypeError):
        e.plot("scatter")  # feature is required
    image = Explanation(np.ones((2, 2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="one feature axis"):
        image.plot("scatter", feature=0)
    no_data = Explanation(np.ones((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="needs explanation.data .*got no data"):
        no_data.plot("scatter", feature=0)
    wrong = Explanation(np.ones((2, 2)), np.zeros(2), data=np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"got data of shape \(2, 3\)"):
        wrong.plot("scatter", feature=0)
    assert pyplot.get_fignums() == []


def test_given_axes_used_and_inputs_not_mutated(pyplot):
    pyplot.close("all")  # figures left by earlier tests; this one counts its own
    e = mixed_explanation()
    values, data = e.values.copy(), e.data.copy()
    fig, ax = pyplot.subplots()
    disp = e.plot("scatter", feature="pet", color="size", ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert pyplot.get_fignums() == [fig.number]
    np.testing.assert_array_equal(e.values, values)
    assert all(a == b or (a != a and b != b) for a, b in zip(e.data.ravel(), data.ravel()))
    assert get_display("dependence") is get_display("scatter") is ScatterDisplay


@pytest.fixture(scope="module")
def diabetes_pipeline_explanation():
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.assign(sex=np.where(X["sex"] > 0, "male", "female"))
    model = make_pipeline(
        ColumnTransformer([("sex", OneHotEncoder(), ["sex"])], remainder="passthrough"),
        GradientBoostingRegressor(n_estimators=30, random_state=0)).fit(X, y)
    X_rows = X.iloc[:40]
    before = X_rows.copy()
    explainer = ExactShapley(model).fit(X.sample(10, random_state=0))
    expl = explainer.explain(X_rows)
    pd.testing.assert_frame_equal(X_rows, before)
    return explainer, X_rows, expl


def test_pipeline_with_string_column(pyplot, diabetes_pipeline_explanation):
    explainer, X, expl = diabetes_pipeline_explanation
    sex = expl.plot("dependence", feature="sex")
    assert sex.categories_ == ["female", "male"]
    assert [t.get_text() for t in sex.ax_.get_xticklabels()] == ["female", "male"]
    np.testing.assert_array_equal(np.round(sex.scatter_.get_offsets()[:, 0]),
                                  (X["sex"] == "male").astype(int))
    bmi = expl.plot("scatter", feature="bmi", color="sex")
    np.testing.assert_allclose(bmi.scatter_.get_offsets(),
                               np.c_[X["bmi"], expl[:, "bmi"].values[:, 0]])
    assert [t.get_text() for t in bmi.legend_.get_texts()] == ["female", "male"]
    assert expl.plot("scatter", feature="bmi", color="auto").color_feature_ in expl.feature_names
    disp = explainer.plot(X.iloc[:8], kind="scatter", feature="sex", color="age")
    assert disp.categories_ == ["female", "male"] and disp.colorbar_ is not None
    np.testing.assert_array_equal(disp.scatter_.get_array(), X["age"].iloc[:8])
