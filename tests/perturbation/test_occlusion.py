"""Occlusion without windows (feature ablation) against truth: brute force with
the model, ExactShapley on additive models, the linear closed form, and the
reference row learned from the background."""
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression

from skexplain import ExactShapley, Occlusion


def occluded(X, columns, reference):
    """Copies of the rows of X with ``columns`` set to the reference's values."""
    out = X.copy()
    if isinstance(X, pd.DataFrame):
        for c in columns:
            out[c] = reference[c].iloc[0]
        return out
    out[:, columns] = reference[0, columns]
    return out


def predict(model, X):
    out = model.predict(X) if hasattr(model, "predict") else model(X)
    return np.asarray(out, dtype=float)


@pytest.fixture(scope="module")
def diabetes_gbr():
    X, y = load_diabetes(return_X_y=True)
    return GradientBoostingRegressor(n_estimators=30, random_state=0).fit(X, y), X


def test_single_feature_is_the_drop_of_the_model(diabetes_gbr):
    model, X = diabetes_gbr
    background, rows = X[:40], X[100:106]
    explainer = Occlusion(model).fit(background)
    reference = background.mean(axis=0, keepdims=True)
    np.testing.assert_allclose(explainer.reference_, reference, rtol=1e-13)
    values = explainer.explain(rows).values
    fx = model.predict(rows)
    for j in range(X.shape[1]):
        expected = fx - model.predict(occluded(rows, [j], explainer.reference_))
        np.testing.assert_array_equal(values[:, j], expected)
    # a window of one feature is the same computation
    windowed = Occlusion(model, window=1).fit(background).explain(rows).values
    np.testing.assert_array_equal(windowed, values)


def test_additive_model_with_one_background_row_equals_exact_shapley(rng):
    def additive(X):
        X = np.asarray(X, dtype=float)
        return np.stack([np.sin(X[:, 0]) + X[:, 1] ** 2 - 3 * np.abs(X[:, 2]) + np.exp(X[:, 3]),
                         np.tanh(X[:, 1]) - X[:, 3]], axis=1)

    background, X = rng.normal(size=(1, 4)), rng.normal(size=(7, 4))
    occlusion = Occlusion(additive).fit(background)
    exact = ExactShapley(additive).fit(background).explain(X)
    np.testing.assert_allclose(occlusion.explain(X).values, exact.values, atol=1e-12)
    # one background row: it is the reference, and f(reference) the base value
    np.testing.assert_array_equal(occlusion.reference_, background)
    np.testing.assert_allclose(occlusion.reference_prediction_, occlusion.expected_value_)


def test_linear_model_multi_row_background_closed_form(rng):
    X = rng.normal(size=(200, 5))
    w = np.array([1.0, -2.0, 0.0, 3.0, 0.5])
    model = LinearRegression().fit(X, X @ w + 1.0)
    background, rows = X[:30], X[50:60]
    weights = rng.uniform(0.1, 2.0, size=30)
    for sample_weight in (None, weights):
        expl = Occlusion(model).fit(background, sample_weight=sample_weight).explain(rows)
        mean = np.average(background, axis=0, weights=sample_weight)
        np.testing.assert_allclose(expl.values, model.coef_ * (rows - mean), atol=1e-10)
        np.testing.assert_allclose(expl.base_values, np.average(
            model.predict(background), weights=sample_weight), atol=1e-10)


def test_reference_prediction_differs_from_base_value(diabetes_gbr):
    model, X = diabetes_gbr
    explainer = Occlusion(model).fit(X[:40])
    assert explainer.reference_prediction_ == pytest.approx(
        model.predict(X[:40].mean(axis=0, keepdims=True))[0], rel=1e-12)
    assert explainer.expected_value_ == pytest.approx(model.predict(X[:40]).mean(), rel=1e-12)
    assert explainer.reference_prediction_ != pytest.approx(explainer.expected_value_)
    expl = explainer.explain(X[:3])
    np.testing.assert_allclose(expl.base_values, explainer.expected_value_)
    assert expl.metadata["n_model_rows"] == 3 * (X.shape[1] + 1)


def test_pipeline_with_string_column_uses_the_mode(string_frame, string_pipeline):
    frame, _ = string_frame
    background, rows = frame.iloc[:60], frame.iloc[60:66]
    explainer = Occlusion(string_pipeline, output="predict_proba").fit(background)
    reference = explainer.reference_
    assert list(reference.columns) == list(frame.columns) and len(reference) == 1
    counts = background["city"].value_counts()
    assert reference["city"].iloc[0] == counts.index[0]
    assert reference["age"].iloc[0] == pytest.approx(background["age"].mean(), rel=1e-14)
    assert reference["score"].dtype == np.float64  # an integer mean that is not an integer
    assert reference["score"].iloc[0] == pytest.approx(background["score"].mean(), rel=1e-14)
    values = explainer.explain(rows).values  # (n, 4 columns, 2 classes)
    proba = string_pipeline.predict_proba(rows)
    for j, name in enumerate(frame.columns):
        expected = proba - string_pipeline.predict_proba(occluded(rows, [name], reference))
        np.testing.assert_allclose(values[:, j], expected, atol=1e-12)
    assert not np.allclose(values[:, 1], 0)  # the string column matters


def test_weighted_mode_and_dtypes_of_the_reference():
    frame = pd.DataFrame({
        "n": [1, 3, 5],
        "m": [2, 4, 7],
        "f32": np.array([1.0, 2.0, 4.0], dtype=np.float32),
        "nullable": pd.array([1, None, 4], dtype="Int64"),
        "color": pd.Categorical(["red", "blue", "blue"]),
        "flag": [True, False, False],
        "word": ["a", "b", "b"],
        "gap": [np.nan, 2.0, 4.0],
    })
    model = lambda X: np.asarray(X[["n", "m", "f32"]], dtype=float).sum(axis=1)  # noqa: E731
    ref = Occlusion(model).fit(frame).reference_
    assert ref["n"].dtype == np.int64 and ref["n"].iloc[0] == 3  # integral mean keeps int
    assert ref["m"].dtype == np.float64 and ref["m"].iloc[0] == pytest.approx(13 / 3)
    assert ref["f32"].dtype == np.float32 and ref["f32"].iloc[0] == pytest.approx(7 / 3)
    assert ref["nullable"].dtype == "Float64" and ref["nullable"].iloc[0] == 2.5
    assert ref["color"].dtype == frame["color"].dtype and ref["color"].iloc[0] == "blue"
    assert ref["flag"].dtype == bool and not ref["flag"].iloc[0]
    assert ref["word"].iloc[0] == "b" and ref["gap"].iloc[0] == 3.0  # NaN left out
    # weights move the mean and the mode
    weighted = Occlusion(model).fit(frame, sample_weight=[8, 1, 1]).reference_
    assert weighted["color"].iloc[0] == "red" and weighted["word"].iloc[0] == "a"
    assert weighted["flag"].iloc[0] and weighted["n"].iloc[0] == pytest.approx(1.6)


def test_array_reference_keeps_float32_and_one_row_as_is(rng):
    images = rng.normal(size=(5, 2, 3, 3)).astype(np.float32)
    model = lambda X: X.reshape(len(X), -1).sum(axis=1)  # noqa: E731
    ref = Occlusion(model).fit(images).reference_
    assert ref.shape == (1, 2, 3, 3) and ref.dtype == np.float32
    np.testing.assert_allclose(ref[0], images.mean(axis=0), rtol=1e-6)
    ints = np.array([[1, 2], [3, 5]])
    assert Occlusion(model).fit(ints).reference_.tolist() == [[2.0, 3.5]]
    assert Occlusion(model).fit(ints[:1]).reference_.dtype == ints.dtype
    strings = np.array([["a", "x"], ["b", "y"], ["b", "x"]], dtype=object)
    assert Occlusion(lambda X: np.zeros(len(X))).fit(strings).reference_.tolist() == [["b", "x"]]


def test_feature_groups(rng, string_frame, string_pipeline):
    frame, _ = string_frame
    explainer = Occlusion(string_pipeline, output="predict_proba",
                          feature_groups={"who": ["age", "city"]}).fit(frame.iloc[:50])
    assert explainer.feature_names_out_ == ["who", "income", "score"]
    rows = frame.iloc[70:74]
    expl = explainer.explain(rows)
    assert expl.values.shape == (4, 3, 2) and expl.feature_names == ["who", "income", "score"]
    proba = string_pipeline.predict_proba(rows)
    for j, cols in enumerate([["age", "city"], ["income"], ["score"]]):
        expected = proba - string_pipeline.predict_proba(occluded(rows, cols, explainer.reference_))
        np.testing.assert_allclose(expl.values[:, j], expected, atol=1e-12)
    assert list(explainer.get_feature_names_out()) == [
        f"{g}__{c}" for g in ["who", "income", "score"] for c in expl.output_names]

    # an integer segment map over an image: one value per segment
    def f(X):
        return np.tanh(X.reshape(len(X), -1) @ np.arange(1.0, 13.0)) + X[:, 0, 0, 0] * X[:, 1, 2, 1]

    segments = np.array([[[0, 0], [0, 1], [1, 1]], [[2, 2], [2, 2], [1, 1]]])  # (2, 3, 2)
    images, background = rng.normal(size=(3, 2, 3, 2)), rng.normal(size=(4, 2, 3, 2))
    expl = Occlusion(f, feature_groups=segments).fit(background).explain(images)
    assert expl.values.shape == (3, 3)
    ref = background.mean(axis=0, keepdims=True)
    for g in range(3):
        where = segments == g
        occ = np.where(where, ref, images)
        np.testing.assert_allclose(expl.values[:, g], f(images) - f(occ), atol=1e-12)


@pytest.mark.parametrize("window", [None, 2])
def test_batch_size_and_n_jobs_do_not_change_results(rng, window):
    def f(X):
        # row-wise sums, not a matrix product, whose rounding depends on the batch
        return np.stack([np.tanh((X * np.arange(1.0, 8.0)).sum(1)), (X[:, :3] ** 2).sum(1)], 1)

    background, X = rng.normal(size=(6, 7)), rng.normal(size=(9, 7))
    default = Occlusion(f, window=window).fit(background).explain(X).values
    for params in (dict(batch_size=1), dict(batch_size=5, n_jobs=2), dict(n_jobs=-1)):
        other = Occlusion(f, window=window, **params).fit(background).explain(X).values
        np.testing.assert_array_equal(other, default)


def test_masks_in_chunks_give_the_same_values(rng, monkeypatch):
    from skexplain.perturbation import _windows

    def f(X):
        return np.sin(X.reshape(len(X), -1)).sum(axis=1) * X[:, 0, 0]

    background, X = rng.normal(size=(3, 5, 6)), rng.normal(size=(4, 5, 6))
    whole = {w: Occlusion(f, window=w).fit(background).explain(X).values for w in (None, (2, 3))}
    monkeypatch.setattr(_windows, "_MASK_BYTES", 7 * 30)  # 7 windows per chunk
    for w, values in whole.items():
        expl = Occlusion(f, window=w, verbose=1).fit(background).explain(X)
        np.testing.assert_array_equal(expl.values, values)


def test_target_selects_like_select_output(string_frame, string_pipeline):
    frame, _ = string_frame
    explainer = Occlusion(string_pipeline, output="predict_proba").fit(frame.iloc[:40])
    rows = frame.iloc[50:55]
    full = explainer.explain(rows)
    for target in (1, [0, 1, 1, 0, 1]):
        picked = explainer.explain(rows, target=target)
        expected = full.select_output(target, name="target")
        np.testing.assert_array_equal(picked.values, expected.values)
        np.testing.assert_array_equal(picked.base_values, expected.base_values)
        assert picked.output_names == expected.output_names
        assert picked.metadata["selected_outputs"] == expected.metadata["selected_outputs"]
        assert picked.feature_names == expected.feature_names
    with pytest.raises(ValueError, match="target must be a single output or have one entry"):
        explainer.explain(rows, target=[0, 1])
    with pytest.raises(ValueError, match="target 7 is not an output"):
        explainer.explain(rows, target=7)


def test_inputs_and_model_not_mutated(string_frame, string_pipeline):
    frame, _ = string_frame
    background, rows = frame.iloc[:30].copy(), frame.iloc[40:45].copy()
    before = (background.copy(deep=True), rows.copy(deep=True))
    params = clone(string_pipeline).get_params()
    explainer = Occlusion(string_pipeline, feature_groups=[["age", "income"]]).fit(background)
    explainer.explain(rows, target=1)
    pd.testing.assert_frame_equal(background, before[0])
    pd.testing.assert_frame_equal(rows, before[1])
    assert clone(string_pipeline).get_params().keys() == params.keys()
    arr_bg, arr_x = np.arange(24.0).reshape(4, 6), np.ones((2, 6))
    copies = arr_bg.copy(), arr_x.copy()
    Occlusion(lambda X: X.sum(1), window=3).fit(arr_bg).explain(arr_x)
    np.testing.assert_array_equal(arr_bg, copies[0])
    np.testing.assert_array_equal(arr_x, copies[1])


def test_tags_claim_dummy_and_symmetry_only_for_single_features():
    def tags(**params):
        return Occlusion(None, **params).__skexplain_tags__()

    assert tags().axioms == {"dummy", "symmetry", "linearity"}
    assert tags(window=1).axioms == {"dummy", "symmetry", "linearity"}
    assert tags(window=(1, 2)).axioms == {"linearity"}
    assert not tags().stochastic and not tags().estimates_shapley
