"""LIME against truth: closed forms on linear models, ignored features, string
columns without encoding, invariances, the closed-form ridge, image segments."""
import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeRegressor

from skexplain import LIME
from skexplain.perturbation._lime_surrogate import (Moments, select_features,
                                                     weighted_ridge)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


BETA = np.array([3.0, -2.0, 0.0, 1.0])


def linear_f(X):
    return np.asarray(X, dtype=float) @ BETA + 0.5


def test_continuous_recovers_coefficients_times_scale(rng):
    """Without a discretizer the model is exactly linear in lime's N(0, 1) draws:
    the slopes are beta_j * std_j, shrunk only by the ridge penalty."""
    background = rng.normal(size=(200, 4)) * np.array([1.0, 2.0, 0.5, 3.0]) + 1.0
    X = rng.normal(size=(5, 4))
    explainer = LIME(linear_f, discretizer=None, random_state=0).fit(background)
    values = explainer.explain(X).values
    expected = BETA * background.std(axis=0)
    np.testing.assert_allclose(values, np.tile(expected, (5, 1)), rtol=2e-2, atol=1e-3)
    assert np.abs(values[:, 2]).max() < 1e-2 * np.abs(expected).max()
    np.testing.assert_allclose(explainer.means_, background.mean(axis=0))
    np.testing.assert_allclose(explainer.scales_, background.std(axis=0))


def test_discretized_unused_feature_gets_about_zero(rng):
    background = rng.normal(size=(300, 4))
    X = rng.normal(size=(6, 4))
    values = LIME(linear_f, random_state=0).fit(background).explain(X).values
    assert np.abs(values[:, 2]).max() < 0.05 * np.abs(values[:, 0]).max()
    # the sign of a binned feature's weight is the sign of beta_j (x_j - E x_j)
    big = np.abs(X[:, 0]) > 1.0
    assert np.all(np.sign(values[big, 0]) == np.sign(3.0 * X[big, 0]))


def _frame(rng, n):
    return pd.DataFrame({
        "age": rng.integers(20, 70, n),
        "city": rng.choice(["paris", "lyon", "nice"], n).astype(object),
        "plan": pd.Categorical(rng.choice(["basic", "pro"], n)),
        "noise": rng.normal(size=n),
    })


def _frame_target(df):
    return (0.05 * df["age"] + 4.0 * (df["city"] == "paris")
            + 1.0 * (df["plan"] == "pro")).to_numpy(dtype=float)


def test_pipeline_with_string_and_categorical_columns(rng):
    df = _frame(rng, 300)
    encoder = make_column_transformer((OneHotEncoder(), ["city", "plan"]),
                                      remainder="passthrough")
    model = make_pipeline(encoder, GradientBoostingRegressor(random_state=0))
    model.fit(df, _frame_target(df))
    explainer = LIME(model, n_samples=2000, random_state=0).fit(df.iloc[:100])
    assert explainer.categorical_features_.tolist() == [1, 2]
    cities, freq = explainer.category_frequencies_[1]
    assert sorted(cities) == ["lyon", "nice", "paris"] and np.isclose(freq.sum(), 1.0)
    expl = explainer.explain(df.iloc[100:106])
    assert expl.values.shape == (6, 4) and np.all(np.isfinite(expl.values))
    city = np.abs(expl[:, "city"].values).ravel()
    noise = np.abs(expl[:, "noise"].values).ravel()
    assert city.min() > 1.0 and city.min() > 5 * noise.max()


def test_model_sees_the_columns_dtypes(rng):
    """Sampled values are background values: ints stay ints, strings stay strings."""
    df = _frame(rng, 50)
    seen = []

    def f(Z):
        seen.append(dict(Z.dtypes))
        return Z["age"].to_numpy(dtype=float) + (Z["city"] == "nice").to_numpy() * 3.0

    LIME(f, n_samples=200, random_state=0).fit(df).explain(df.iloc[:3])
    assert all(d == dict(df.dtypes) for d in seen)


def test_deterministic_with_random_state(rng):
    background, X = rng.normal(size=(40, 4)), rng.normal(size=(4, 4))
    f = lambda Z: np.tanh(Z[:, 0] * Z[:, 1]) + Z[:, 3] ** 2  # noqa: E731
    first = LIME(f, n_samples=500, random_state=3).fit(background).explain(X).values
    again = LIME(f, n_samples=500, random_state=3).fit(background).explain(X).values
    other = LIME(f, n_samples=500, random_state=4).fit(background).explain(X).values
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("params", [dict(batch_size=7), dict(n_jobs=2),
                                    dict(batch_size=13, n_jobs=2)])
@pytest.mark.parametrize("mode", ["tabular", "continuous", "groups"])
def test_batch_size_and_n_jobs_do_not_change_values(rng, params, mode):
    background, X = rng.normal(size=(30, 4)), rng.normal(size=(5, 4))
    f = lambda Z: np.stack([np.sin(Z[:, 0]) + Z[:, 1] * Z[:, 2], Z[:, 3]], axis=1)  # noqa: E731
    extra = {"continuous": dict(discretizer=None),
             "groups": dict(feature_groups=[[0, 1], [2, 3]])}.get(mode, {})
    ref = LIME(f, n_samples=300, random_state=0, **extra).fit(background).explain(X)
    with joblib.parallel_config(backend="threading"):
        other = LIME(f, n_samples=300, random_state=0, **extra, **params).fit(
            background).explain(X)
    np.testing.assert_allclose(other.values, ref.values, rtol=0, atol=1e-12)
    for name in ref.extras:
        np.testing.assert_allclose(other.extras[name], ref.extras[name], rtol=0, atol=1e-12)


def test_row_alone_equals_row_among_others(rng):
    background, X = rng.normal(size=(30, 3)), rng.normal(size=(6, 3))
    f = lambda Z: Z[:, 0] * Z[:, 1] - Z[:, 2]  # noqa: E731
    explainer = LIME(f, n_samples=400, random_state=0).fit(background)
    together = explainer.explain(X)
    alone = explainer.explain(X[[4]])
    np.testing.assert_allclose(alone.values[0], together.values[4], rtol=0, atol=1e-12)
    reordered = explainer.explain(X[::-1])
    np.testing.assert_allclose(reordered.values[::-1], together.values, rtol=0, atol=1e-12)


def test_background_weights_equal_repeated_rows(rng):
    background, X = rng.normal(size=(8, 3)), rng.normal(size=(3, 3))
    counts = np.array([1, 3, 0, 2, 1, 1, 4, 2])
    f = lambda Z: Z[:, 0] ** 2 + Z[:, 1]  # noqa: E731
    weighted = LIME(f, n_samples=300, random_state=0).fit(background, sample_weight=counts)
    repeated = LIME(f, n_samples=300, random_state=0).fit(
        np.repeat(background, counts, axis=0)[::-1])
    np.testing.assert_allclose(weighted.explain(X).values, repeated.explain(X).values,
                               rtol=0, atol=1e-12)


# ------------------------------------------------------------ the surrogate
def _problem(rng, r=3, S=300, m=5, k=2):
    Z = (rng.random((r, S, m)) < 0.4).astype(float)
    Z[:, 0] = 1.0
    w = rng.random((r, S))
    Y = Z @ rng.normal(size=(m, k)) + 0.3 * rng.normal(size=(r, S, k))
    return Z, w, Y


def test_closed_form_ridge_equals_sklearn(rng):
    Z, w, Y = _problem(rng)
    coef, intercept, score, local = weighted_ridge(Z, w, Y)
    for i in range(Z.shape[0]):
        for j in range(Y.shape[2]):
            est = Ridge(alpha=1.0).fit(Z[i], Y[i, :, j], sample_weight=w[i])
            np.testing.assert_allclose(coef[i, j], est.coef_, rtol=0, atol=1e-10)
            assert abs(intercept[i, j] - est.intercept_) < 1e-10
            pred = est.predict(Z[i])
            assert abs(score[i, j] - r2_score(Y[i, :, j], pred, sample_weight=w[i])) < 1e-10
            assert abs(local[i, j] - pred[0]) < 1e-10


def test_masked_ridge_equals_sklearn_on_the_kept_columns(rng):
    Z, w, Y = _problem(rng)
    mask = rng.random((3, 2, 5)) < 0.5
    mask[..., 0] = True
    coef, intercept, _, _ = weighted_ridge(Z, w, Y, mask=mask)
    for i in range(3):
        for j in range(2):
            cols = np.flatnonzero(mask[i, j])
            est = Ridge(alpha=1.0).fit(Z[i][:, cols], Y[i, :, j], sample_weight=w[i])
            np.testing.assert_allclose(coef[i, j, cols], est.coef_, rtol=0, atol=1e-10)
            assert np.all(coef[i, j, ~mask[i, j]] == 0.0)
            assert abs(intercept[i, j] - est.intercept_) < 1e-10


def test_shared_design_broadcasts(rng):
    """Group mode passes one (1, S, m) design for every row."""
    Z, w, Y = _problem(rng)
    shared = weighted_ridge(Z[:1], w[:1], Y)
    tiled = weighted_ridge(np.repeat(Z[:1], 3, axis=0), np.repeat(w[:1], 3, axis=0), Y)
    for a, b in zip(shared, tiled):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_forward_selection_is_greedy_r2(rng):
    Z, w, Y = _problem(rng, m=6)
    mask = select_features("forward", 3, Z, w, Y, Moments(Z, w, Y))
    for i in range(3):
        used = []
        for _ in range(3):
            scores = [LinearRegression().fit(Z[i][:, used + [f]], Y[i, :, 0], sample_weight=w[i])
                      .score(Z[i][:, used + [f]], Y[i, :, 0], sample_weight=w[i])
                      if f not in used else -np.inf for f in range(6)]
            used.append(int(np.argmax(scores)))
        assert sorted(used) == np.flatnonzero(mask[i, 0]).tolist()


@pytest.mark.parametrize("selection", ["auto", "forward", "highest_weights", "lasso"])
def test_n_features_keeps_that_many(rng, selection):
    background, X = rng.normal(size=(40, 6)), rng.normal(size=(3, 6))
    f = lambda Z: 3 * Z[:, 0] - 2 * Z[:, 1] + 0.5 * Z[:, 2] * Z[:, 3]  # noqa: E731
    values = LIME(f, n_samples=800, n_features=2, feature_selection=selection,
                  random_state=0).fit(background).explain(X).values
    assert np.all((values != 0).sum(axis=1) <= 2)
    assert np.all(values[:, :2] != 0)  # the two strong features are the ones kept
    kept_all = LIME(f, n_samples=800, n_features=2, feature_selection="none",
                    random_state=0).fit(background).explain(X).values
    assert np.all(kept_all != 0)


def test_custom_surrogate(rng):
    background, X = rng.normal(size=(40, 4)), rng.normal(size=(3, 4))
    default = LIME(linear_f, n_samples=400, random_state=0).fit(background).explain(X)
    ridge = LIME(linear_f, n_samples=400, surrogate=Ridge(alpha=1.0),
                 random_state=0).fit(background).explain(X)
    np.testing.assert_allclose(ridge.values, default.values, rtol=0, atol=1e-8)
    for name in default.extras:
        np.testing.assert_allclose(ridge.extras[name], default.extras[name], atol=1e-8)
    lasso = LIME(linear_f, n_samples=400, surrogate=Lasso(alpha=0.1),
                 random_state=0).fit(background).explain(X)
    assert np.all(np.isfinite(lasso.values))


def test_extras_are_lime_quantities(rng):
    background, X = rng.normal(size=(40, 3)), rng.normal(size=(4, 3))
    expl = LIME(lambda Z: np.sin(Z).sum(1), n_samples=500, random_state=0).fit(
        background).explain(X)
    # binary interpretable row of x is all ones: local prediction = intercept + sum(coef)
    np.testing.assert_allclose(expl.extras["local_prediction"],
                               expl.extras["intercept"] + expl.values.sum(axis=1), atol=1e-10)
    assert np.all((expl.extras["score"] > 0) & (expl.extras["score"] <= 1))
    np.testing.assert_allclose(expl.base_values, expl.base_values[0])  # the background mean


def test_all_outputs_and_target(rng):
    X = rng.normal(size=(150, 3))
    y = np.digitize(X[:, 0] + 0.3 * X[:, 1], [-0.5, 0.5])
    model = LogisticRegression().fit(X, y)
    explainer = LIME(model, n_samples=500, random_state=0).fit(X[:50])
    expl = explainer.explain(X[:4])
    assert expl.values.shape == (4, 3, 3) and expl.extras["score"].shape == (4, 3)
    one = explainer.explain(X[:4], target=2)
    np.testing.assert_allclose(one.values, expl.values[..., 2])
    np.testing.assert_allclose(one.extras["intercept"], expl.extras["intercept"][:, 2])


# ------------------------------------------------------------ images and groups
def _left_half_model(images):
    return images[..., :3].reshape(len(images), -1).sum(axis=1)


def test_image_segments_ignored_segment_gets_zero(rng):
    from skexplain.perturbation import grid_segments

    X = rng.normal(size=(3, 1, 6, 6))
    segments = grid_segments((1, 6, 6), (3, 3))  # 4 patches: 0 1 / 2 3
    expl = LIME(_left_half_model, n_samples=500, feature_groups=segments,
                random_state=0).fit(np.zeros((1, 1, 6, 6))).explain(X)
    assert expl.values.shape == (3, 4) and expl.feature_names[0] == "group_0"
    patch_sums = np.stack([X[:, 0, :3, :3].sum((1, 2)), X[:, 0, 3:, :3].sum((1, 2))], axis=1)
    # the ridge penalty leaks a little (the cosine kernel correlates the groups)
    used = np.abs(expl.values[:, [0, 2]]).max(axis=1)
    assert np.all(np.abs(expl.values[:, [1, 3]]).max(axis=1) < 0.02 * used)
    np.testing.assert_allclose(expl.values[:, [0, 2]], patch_sums, rtol=0.05)
    # one background row: the model is exactly linear in the on/off indicators,
    # so an unpenalised surrogate recovers it exactly
    exact = LIME(_left_half_model, n_samples=500, feature_groups=segments,
                 surrogate=LinearRegression(), random_state=0).fit(
        np.zeros((1, 1, 6, 6))).explain(X)
    np.testing.assert_allclose(exact.values[:, [0, 2]], patch_sums, atol=1e-10)
    assert np.abs(exact.values[:, [1, 3]]).max() < 1e-10
    np.testing.assert_allclose(exact.extras["score"], 1.0)


@pytest.mark.parametrize("layout", ["channels_first", "channels_last"])
def test_segment_map_broadcasts_over_channels(rng, layout):
    segments = np.repeat(np.arange(2), 3)[None, :].repeat(6, axis=0)  # (6, 6): left/right
    shape = (2, 6, 6) if layout == "channels_first" else (6, 6, 2)
    X = rng.normal(size=(2, *shape))

    def f(images):
        flat = images if layout == "channels_first" else np.moveaxis(images, -1, 1)
        return flat[..., :3].reshape(len(images), -1).sum(axis=1)

    expl = LIME(f, n_samples=300, feature_groups=segments, random_state=0).fit(
        np.zeros((1, *shape))).explain(X)
    assert expl.values.shape == (2, 2)
    assert np.all(np.abs(expl.values[:, 1]) < 0.02 * np.abs(expl.values[:, 0]))


def test_segment_map_errors():
    with pytest.raises(ValueError, match=r"feature_groups.*\(1, 4, 4\).*got shape \(3, 3\)"):
        LIME(_left_half_model, feature_groups=np.zeros((3, 3), dtype=int)).fit(
            np.zeros((2, 1, 4, 4)))
    labels = np.array([[0, 0, 3, 3]] * 4)
    with pytest.raises(ValueError, match=r"feature_groups.*missing.*\[1, 2\]"):
        LIME(_left_half_model, feature_groups=labels).fit(np.zeros((2, 1, 4, 4)))
    shifted = np.array([[-5, -5, -4, -4]] * 4)  # consecutive labels may start anywhere
    explainer = LIME(_left_half_model, n_samples=50, feature_groups=shifted)
    assert explainer.fit(np.zeros((2, 1, 4, 4))).feature_names_out_ == ["group_-5", "group_-4"]


def test_grid_segments():
    from skexplain.perturbation import grid_segments

    labels = grid_segments((5, 7), (2, 3))
    assert labels.shape == (5, 7) and labels.max() == 3 * 3 - 1
    assert np.bincount(labels.ravel()).tolist() == [6, 6, 2, 6, 6, 2, 3, 3, 1]
    assert (grid_segments((3, 4, 4), (2, 2))[0] == grid_segments((3, 4, 4), (2, 2))[2]).all()
    with pytest.raises(ValueError, match="patch_shape"):
        grid_segments((4, 4), (2, 2, 2))
    with pytest.raises(ValueError, match="patch_shape"):
        grid_segments((4, 4), (0, 2))


def test_kernel_shap_and_exact_take_segment_maps(rng):
    from skexplain import ExactShapley, KernelSHAP

    segments = np.repeat(np.arange(2), 3)[None, :].repeat(6, axis=0)
    X, bg = rng.normal(size=(2, 2, 6, 6)), rng.normal(size=(3, 2, 6, 6))
    f = lambda Z: Z[..., :3].reshape(len(Z), -1).sum(1)  # noqa: E731
    exact = ExactShapley(f, feature_groups=segments).fit(bg).explain(X)
    kernel = KernelSHAP(f, feature_groups=segments, random_state=0).fit(bg).explain(X)
    assert exact.values.shape == kernel.values.shape == (2, 2)
    np.testing.assert_allclose(exact.values[:, 1], 0.0, atol=1e-10)


# ------------------------------------------------------------ bad input
def test_n_samples_too_small(rng):
    with pytest.raises(ValueError, match=r"n_samples must be at least .* 5; got n_samples=4"):
        LIME(linear_f, n_samples=4).fit(rng.normal(size=(5, 4)))


@pytest.mark.parametrize("n_features", [5, 0])
def test_n_features_out_of_range(rng, n_features):
    with pytest.raises(ValueError, match="n_features"):
        LIME(linear_f, n_features=n_features).fit(rng.normal(size=(5, 4)))


@pytest.mark.parametrize("width", [0.0, -1.0])
def test_kernel_width_must_be_positive(rng, width):
    with pytest.raises(ValueError, match="kernel_width"):
        LIME(linear_f, kernel_width=width).fit(rng.normal(size=(5, 4)))


def test_categorical_features_errors(rng):
    df = _frame(rng, 20)
    with pytest.raises(ValueError, match=r"categorical_features: unknown column 'zip'"):
        LIME(lambda Z: np.zeros(len(Z)), categorical_features=["city", "zip"]).fit(df)
    with pytest.raises(ValueError, match=r"categorical_features: column position 7"):
        LIME(lambda Z: np.zeros(len(Z)), categorical_features=[7]).fit(df)
    with pytest.raises(ValueError, match=r"categorical_features must list .* 'plan'"):
        LIME(lambda Z: np.zeros(len(Z)), categorical_features=["city"]).fit(df)


@pytest.mark.parametrize("surrogate, needle", [(DecisionTreeRegressor(), "no coef_"),
                                               (KNeighborsRegressor(2), "sample_weight")])
def test_surrogate_without_coef_or_weights(rng, surrogate, needle):
    with pytest.raises(ValueError, match=rf"surrogate .*{needle}"):
        LIME(linear_f, surrogate=surrogate).fit(rng.normal(size=(5, 4)))


def test_surrogate_with_a_link_or_failing_fit_is_refused(rng):
    # a log link has coef_ but its slopes are not on the scale of the outputs
    from sklearn.linear_model import LogisticRegression, TweedieRegressor

    with pytest.raises(ValueError, match=r"surrogate must predict Z @ coef_ \+ intercept_"):
        LIME(linear_f, surrogate=TweedieRegressor(power=0, link="log")).fit(
            rng.normal(size=(5, 4)))
    # the estimator's own error on real-valued targets is reported under our parameter
    with pytest.raises(ValueError, match=r"surrogate must be a regressor .*LogisticRegression"):
        LIME(linear_f, surrogate=LogisticRegression()).fit(rng.normal(size=(5, 4)))


def test_missing_values(rng):
    background, X = rng.normal(size=(30, 3)), rng.normal(size=(3, 3))
    background[::5, 1] = np.nan
    X[1, 1] = np.nan
    f = lambda Z: np.nan_to_num(np.asarray(Z, dtype=float)).sum(axis=1)  # noqa: E731
    values = LIME(f, n_samples=300, random_state=0).fit(background).explain(X).values
    assert np.all(np.isfinite(values))  # missing values form a bin of their own
    with pytest.raises(ValueError, match=r"X holds a missing value in numeric column 1 \(row 1\)"):
        LIME(f, n_samples=300, discretizer=None, random_state=0).fit(background).explain(X)


def test_loky_workers_give_the_same_values(rng):
    background, X = rng.normal(size=(30, 3)), rng.normal(size=(4, 3))
    ref = LIME(linear_f3, n_samples=200, random_state=0).fit(background).explain(X).values
    par = LIME(linear_f3, n_samples=200, n_jobs=2, random_state=0).fit(background).explain(X)
    np.testing.assert_allclose(par.values, ref, rtol=0, atol=1e-12)


def linear_f3(X):
    return np.asarray(X, dtype=float) @ np.array([1.0, -1.0, 0.5])


def test_group_mode_memory_is_bounded_by_batch_size():
    # the column masks of an image's samples (n_samples x n_columns bools, 55 MB
    # here) are built per model call, not for the whole design at once
    import tracemalloc

    from skexplain.perturbation import grid_segments

    shape = (3, 96, 96)
    explainer = LIME(lambda Z: Z.reshape(len(Z), -1)[:, :50].mean(1), n_samples=2000,
                     feature_groups=grid_segments(shape, (16, 16)), batch_size=50,
                     random_state=0).fit(np.zeros((1,) + shape, np.float32))
    x = np.random.default_rng(0).random((1,) + shape).astype(np.float32)
    tracemalloc.start()
    try:
        expl = explainer.explain(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert expl.values.shape == (1, 36)
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_one_row_background_is_refused_in_tabular_mode(rng):
    # one row: every donor is that row, every bin the same, every value 0
    X = rng.normal(size=(3, 4))
    with pytest.raises(ValueError, match="background of 1 sample"):
        LIME(linear_f).fit(X[:1])
    # normal draws and group mode do not depend on the background's spread
    assert np.abs(LIME(linear_f, discretizer=None, n_samples=200, random_state=0)
                  .fit(X[:1]).explain(X[1:]).values).max() > 0
    LIME(linear_f, feature_groups=[[0, 1]], n_samples=50, random_state=0).fit(X[:1]).explain(X)
