"""Hybrid rows carry X's values exactly, whatever the background's dtypes (issue 9)."""
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from skexplain import ExactShapley, KernelSHAP
from skexplain.perturbation._hybrids import HybridBuilder


class GreenModel(RegressorMixin, BaseEstimator):
    """``num + 5 * (color == "green")``, read from a DataFrame."""

    def fit(self, X, y=None):
        self.is_fitted_ = True
        return self

    def predict(self, X):
        return X["num"].to_numpy(dtype=float) + 5.0 * (X["color"].astype(object) == "green")


def green(frame):
    return frame["num"].to_numpy(dtype=float) + 5.0 * (
        frame["color"].astype(object) == "green").to_numpy()


def explainers(model):
    # KernelSHAP with n_samples >= 2^d - 2 enumerates every coalition: exact
    return [ExactShapley(model), KernelSHAP(model, n_samples=64, random_state=0)]


@pytest.fixture
def background():
    return pd.DataFrame({"num": np.zeros(4),
                         "color": pd.Categorical(["red", "blue", "red", "blue"])})


def assert_efficient(expl, model, X):
    np.testing.assert_allclose(expl.values.sum(axis=1) + expl.base_values, model(X), atol=1e-12)


@pytest.mark.parametrize("x_color", [
    pd.Series(["green"]), pd.Series(["green"], dtype=object),
    pd.Series(pd.Categorical(["green"])),
    pd.Series(pd.Categorical(["green"], categories=["red", "green", "blue"]))])
@pytest.mark.parametrize("use_estimator", [False, True])
def test_category_outside_the_background_is_carried(background, x_color, use_estimator):
    X = pd.DataFrame({"num": [1.0], "color": x_color})
    model = GreenModel().fit(background) if use_estimator else green
    for explainer in explainers(model):
        expl = explainer.fit(background).explain(X)
        np.testing.assert_allclose(expl.values, [[1.0, 5.0]], atol=1e-12)
        assert_efficient(expl, green, X)


def test_new_categories_get_the_same_codes_in_every_chunk():
    """A model reading the codes must not depend on how rows are chunked."""
    background = pd.DataFrame({"a": np.arange(3.0), "c": pd.Categorical(["x", "y", "x"])})
    X = pd.DataFrame({"a": [5.0, 6.0, 7.0], "c": ["new1", "x", "new2"]})

    def codes(frame):
        return frame["a"].to_numpy() * (1 + frame["c"].cat.codes.to_numpy())

    exact = ExactShapley(codes).fit(background).explain(X)
    for params in [dict(batch_size=3), dict(n_jobs=2, batch_size=3), dict(n_jobs=2)]:
        for explainer in (ExactShapley(codes, **params),
                          KernelSHAP(codes, n_samples=64, random_state=0, **params)):
            expl = explainer.fit(background).explain(X)
            np.testing.assert_allclose(expl.values, exact.values, atol=1e-10)
    assert_efficient(exact, codes, X.astype({"c": pd.CategoricalDtype(["x", "y", "new1",
                                                                         "new2"])}))


def test_ordered_category_outside_the_background_is_refused():
    order = pd.CategoricalDtype(["S", "M", "L"], ordered=True)
    background = pd.DataFrame({"num": np.zeros(2), "size": pd.Series(["S", "L"], dtype=order)})
    X = pd.DataFrame({"num": [1.0], "size": ["XL"]})
    f = lambda frame: frame["num"].to_numpy()  # noqa: E731
    for explainer in explainers(f):
        with pytest.raises(ValueError, match=r"'size' holds 'XL' \(row 0\).*ordered categories"):
            explainer.fit(background).explain(X)
    # an ordered dtype that extends the background's order is the user's answer
    wider = pd.CategoricalDtype(["S", "M", "L", "XL"], ordered=True)
    X_ordered = X.astype({"size": wider})
    g = lambda frame: frame["num"].to_numpy() + (frame["size"] > "L").to_numpy()  # noqa: E731
    for explainer in explainers(g):
        expl = explainer.fit(background).explain(X_ordered)
        np.testing.assert_allclose(expl.values, [[1.0, 1.0]], atol=1e-12)


@pytest.mark.parametrize("bg_column, x_value, expected", [
    (pd.Series([1, 2], dtype="int64"), 1.5, "float64"),
    (pd.Series([1, None], dtype="Int64"), 1.5, "Float64"),
    (pd.Series([1, 2], dtype="Int64"), 2.0, "Int64"),
    (pd.Series([True, False]), 1.0, "bool"),
])
def test_numbers_that_do_not_fit_the_background_dtype_are_carried(bg_column, x_value, expected):
    background = pd.DataFrame({"num": np.zeros(2), "v": bg_column})
    X = pd.DataFrame({"num": [1.0], "v": [x_value]})
    seen = []

    def f(frame):
        seen.append(str(frame["v"].dtype))
        return frame["num"].to_numpy() + frame["v"].to_numpy(dtype=float, na_value=0.0)

    for explainer in explainers(f):
        seen.clear()
        expl = explainer.fit(background).explain(X)
        b = bg_column.to_numpy(dtype=float, na_value=0.0)
        np.testing.assert_allclose(expl.values, [[1.0, x_value - b.mean()]], atol=1e-12)
        assert seen[-1] == expected


@pytest.mark.parametrize("bg_column, x_value", [
    (pd.Series([True, False]), 0.5),
    (pd.Series([True, False]), 2),
    (pd.Series(["a", "b"], dtype="string"), 5),
    (pd.Series(pd.to_datetime(["2020-01-01", "2021-01-01"])), "2020-06-01"),
])
def test_values_no_dtype_holds_with_the_background_are_refused(bg_column, x_value):
    background = pd.DataFrame({"num": np.zeros(2), "v": bg_column})
    X = pd.DataFrame({"num": [1.0, 1.0], "v": [bg_column.iloc[0], x_value]})
    X_before = X.copy()
    f = lambda frame: frame["num"].to_numpy()  # noqa: E731
    for explainer in explainers(f):
        with pytest.raises(ValueError, match=rf"X column 'v' holds {x_value!r} \(row 1\)"):
            explainer.fit(background).explain(X)
    pd.testing.assert_frame_equal(X, X_before)


def test_builder_paths_carry_new_categories(background):
    builder = HybridBuilder(background)
    X = pd.DataFrame({"num": [1.0], "color": ["green"]})
    masks = np.array([[False, True], [True, False]])
    pairs = builder.build_pairs(X, np.array([0, 0]), np.array([0, 1]), masks)
    assert pairs["color"].tolist() == ["green", "blue"]
    built = builder.build(X, np.array([0]), masks[:1], np.array([0]))
    assert built["color"].tolist() == ["green"] * 5
    grid = builder.grid_frame(X, np.array([0]), 2, masks)
    assert grid["color"].tolist() == ["green", "red"]
    x_codes, b_codes = builder.comparable_codes(X)
    assert x_codes[0, 1] not in b_codes[:, 1]
    assert all(isinstance(f["color"].dtype, pd.CategoricalDtype) for f in (pairs, built, grid))


def test_array_rows_for_a_frame_background_keep_new_categories(background):
    X = pd.DataFrame({"num": [1.0], "color": ["green"]})
    for explainer in explainers(green):
        explainer.fit(background)
        with pytest.warns(UserWarning, match="does not have valid feature names"):
            expl = explainer.explain(X.to_numpy())
        np.testing.assert_allclose(expl.values, [[1.0, 5.0]], atol=1e-12)
