"""ExactShapley against truth: the permutation definition, closed forms, axioms."""
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

from skexplain import ExactShapley
from skexplain.exceptions import TooManyFeaturesError

from _truth import interaction_index, nonlinear_f, permutation_shapley


@pytest.mark.parametrize("d", [2, 4, 6])
def test_equals_permutation_definition(d, rng):
    def f(X):
        X = np.asarray(X, dtype=float)
        return np.tanh(X @ np.arange(1, d + 1)) + X[:, 0] * X[:, -1] + X[:, 1] ** 2

    background = rng.normal(size=(5, d))
    X = rng.normal(size=(3, d))
    expl = ExactShapley(f).fit(background).explain(X)
    for r in range(3):
        np.testing.assert_allclose(expl.values[r], permutation_shapley(f, X[r], background),
                                   atol=1e-12)


def test_linear_closed_form(rng):
    X = rng.normal(size=(200, 5))
    y = X @ np.array([1.0, -2.0, 0.0, 3.0, 0.5]) + 1.0
    model = LinearRegression().fit(X, y)
    background = X[:30]
    expl = ExactShapley(model).fit(background).explain(X[50:60])
    expected = model.coef_ * (X[50:60] - background.mean(axis=0))
    np.testing.assert_allclose(expl.values, expected, atol=1e-10)
    np.testing.assert_allclose(expl.base_values, model.predict(background).mean(), atol=1e-10)


def test_efficiency_every_row(rng):
    background, X = rng.normal(size=(10, 5)), rng.normal(size=(20, 5))
    expl = ExactShapley(nonlinear_f).fit(background).explain(X)
    np.testing.assert_allclose(expl.values.sum(axis=1) + expl.base_values, nonlinear_f(X),
                               atol=1e-12)


def test_symmetry_and_dummy(rng):
    def f(X):
        return X[:, 0] * X[:, 1] + np.exp(X[:, 0] + X[:, 1])  # 0 and 1 symmetric, 2 dummy

    background = rng.normal(size=(8, 3))
    x = rng.normal(size=(1, 3))
    x[0, 1] = x[0, 0]
    background[:, 1] = background[:, 0]
    phi = ExactShapley(f).fit(background).explain(x).values[0]
    assert phi[0] == pytest.approx(phi[1], abs=1e-12)
    assert abs(phi[2]) < 1e-12


def test_linearity(rng):
    background, X = rng.normal(size=(6, 4)), rng.normal(size=(4, 4))
    g = lambda Z: np.sin(Z[:, 0] * Z[:, 3]) + Z[:, 1]  # noqa: E731
    phi_f = ExactShapley(nonlinear_f).fit(background).explain(X).values
    phi_g = ExactShapley(g).fit(background).explain(X).values
    combo = ExactShapley(lambda Z: 2 * nonlinear_f(Z) - 3 * g(Z)).fit(background).explain(X)
    np.testing.assert_allclose(combo.values, 2 * phi_f - 3 * phi_g, atol=1e-12)


def test_non_varying_features_are_zero_and_cheaper(rng):
    background = rng.normal(size=(6, 5))
    background[:, 3] = 1.5
    X = rng.normal(size=(2, 5))
    X[:, 3] = 1.5
    expl = ExactShapley(nonlinear_f).fit(background).explain(X)
    assert np.all(expl.values[:, 3] == 0.0)
    # 2^4 coalitions instead of 2^5: 14 hybrid coalitions * 6 rows + f(x), per row
    assert expl.metadata["n_model_rows"] == 2 * (14 * 6 + 1)
    for r in range(2):
        np.testing.assert_allclose(expl.values[r], permutation_shapley(nonlinear_f, X[r],
                                                                       background), atol=1e-12)


def test_interactions_sum_to_shapley_and_match_definition(rng):
    background, X = rng.normal(size=(4, 4)), rng.normal(size=(2, 4))
    shap_values = ExactShapley(nonlinear_f).fit(background).explain(X).values
    inter = ExactShapley(nonlinear_f, interactions=True).fit(background).explain(X)
    assert inter.values.shape == (2, 4, 4)
    np.testing.assert_allclose(inter.values.sum(axis=2), shap_values, atol=1e-12)
    for r in range(2):
        np.testing.assert_allclose(inter.values[r], interaction_index(nonlinear_f, X[r],
                                                                      background), atol=1e-12)


def test_interactions_multi_output_and_feature_selection(rng):
    f = lambda Z: np.stack([nonlinear_f(Z), Z[:, 0] * Z[:, 1]], axis=1)  # noqa: E731
    background, X = rng.normal(size=(4, 4)), rng.normal(size=(3, 4))
    inter = ExactShapley(f, interactions=True).fit(background).explain(X)
    assert inter.values.shape == (3, 4, 4, 2)
    sub = inter[:, ["x0", "x1"]]
    assert sub.values.shape == (3, 2, 2, 2)
    # The second output only couples x0 and x1: no other pair interacts.
    assert np.allclose(inter.values[:, 2:, :, 1], 0) and np.allclose(inter.values[:, :, 2:, 1], 0)


def test_feature_groups_equal_grouped_game(rng):
    background, X = rng.normal(size=(5, 5)), rng.normal(size=(2, 5))
    expl = ExactShapley(nonlinear_f, feature_groups={"ab": [0, 1], "cd": ["x2", "x3"]})
    expl = expl.fit(background).explain(X)
    assert expl.feature_names == ["ab", "cd", "x4"]

    def grouped(x):
        cols = [[0, 1], [2, 3], [4]]

        def g(Z):  # a 3-player game on group switches
            full = np.repeat(x[None, :], len(Z), axis=0).astype(float)
            for k, c in enumerate(cols):
                full[:, c] = np.where(Z[:, [k]] == 1, x[c], full[:, c])
            return full

        return cols, g

    for r in range(2):
        cols, _ = grouped(X[r])
        # brute force over the 3 groups with the permutation definition
        def f_groups(Z, x=X[r], b_index=None):
            return Z
        totals = np.zeros(3)
        for b in background:
            def game(Z, b=b, x=X[r]):
                H = np.repeat(b[None, :], len(Z), axis=0)
                for k, c in enumerate(cols):
                    H[:, c] = np.where(Z[:, [k]] > 0.5, x[c], b[c])
                return nonlinear_f(H)
            totals += permutation_shapley(game, np.ones(3), np.zeros((1, 3)))
        np.testing.assert_allclose(expl.values[r], totals / len(background), atol=1e-12)


def test_background_weights_equal_repeated_rows(rng):
    background, X = rng.normal(size=(4, 4)), rng.normal(size=(3, 4))
    weighted = ExactShapley(nonlinear_f).fit(background, sample_weight=[1, 2, 3, 1])
    repeated = ExactShapley(nonlinear_f).fit(np.repeat(background, [1, 2, 3, 1], axis=0))
    np.testing.assert_allclose(weighted.explain(X).values, repeated.explain(X).values,
                               atol=1e-12)
    assert weighted.expected_value_ == pytest.approx(repeated.expected_value_)


@pytest.mark.parametrize("batch_size,n_jobs", [(7, None), (50, 2), (10_000, None), (None, 2)])
def test_independent_of_batch_size_and_n_jobs(batch_size, n_jobs, rng):
    background, X = rng.normal(size=(7, 5)), rng.normal(size=(9, 5))
    ref = ExactShapley(nonlinear_f).fit(background).explain(X)
    other = ExactShapley(nonlinear_f, batch_size=batch_size, n_jobs=n_jobs).fit(background)
    other = other.explain(X)
    np.testing.assert_allclose(other.values, ref.values, rtol=0, atol=1e-13)
    assert other.metadata["n_model_rows"] == ref.metadata["n_model_rows"]


def test_pipeline_with_string_column_is_additive(string_frame, string_pipeline):
    frame, _ = string_frame
    explainer = ExactShapley(string_pipeline).fit(frame.iloc[:25])
    X = frame.iloc[40:52]
    expl = explainer.explain(X)
    assert expl.feature_names == ["age", "city", "income", "score"]
    assert expl.output_names == ["0", "1"]
    assert expl.values.shape == (12, 4, 2)
    proba = string_pipeline.predict_proba(X)
    np.testing.assert_allclose(expl.values.sum(axis=1) + expl.base_values, proba, atol=1e-10)
    # a missing city is a value like any other: it is explained, not dropped
    assert X["city"].isna().any()
    one = explainer.explain(X, target=1)
    np.testing.assert_allclose(one.values, expl.values[..., 1])


def test_shap_exact_explainer_parity():
    shap = pytest.importorskip("shap")
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    model = GradientBoostingRegressor(random_state=0).fit(Xtr, ytr)
    background = Xtr[:20]
    ours = ExactShapley(model).fit(background).explain(Xte[:5])
    masker = shap.maskers.Independent(background, max_samples=len(background))
    theirs = shap.ExactExplainer(model.predict, masker)(Xte[:5])
    np.testing.assert_allclose(ours.values, theirs.values, atol=1e-8)
    np.testing.assert_allclose(ours.base_values, theirs.base_values, atol=1e-8)


# ----------------------------------------------------------------- estimator API
def test_clone_pickle_and_joblib_fitted_and_unfitted(tmp_path, rng):
    background, X = rng.normal(size=(5, 4)), rng.normal(size=(2, 4))
    model = LinearRegression().fit(rng.normal(size=(20, 4)), rng.normal(size=20))
    unfitted = ExactShapley(model, max_features=8)
    assert clone(unfitted).get_params()["max_features"] == 8
    fitted = clone(unfitted).fit(background)
    expected = fitted.explain(X).values
    for obj in (unfitted, fitted):
        restored = pickle.loads(pickle.dumps(obj))
        joblib.dump(obj, tmp_path / "e.joblib")
        loaded = joblib.load(tmp_path / "e.joblib")
        assert restored.get_params(deep=False).keys() == obj.get_params(deep=False).keys()
        assert type(loaded) is ExactShapley
    np.testing.assert_allclose(pickle.loads(pickle.dumps(fitted)).explain(X).values, expected)
    np.testing.assert_allclose(joblib.load(tmp_path / "e.joblib").explain(X).values, expected)


def test_inputs_and_model_not_mutated(string_frame, string_pipeline):
    frame, _ = string_frame
    background, X = frame.iloc[:10].copy(), frame.iloc[20:24].copy()
    before_bg, before_X = background.copy(), X.copy()
    params = pickle.dumps(string_pipeline)
    ExactShapley(string_pipeline).fit(background).explain(X)
    pd.testing.assert_frame_equal(background, before_bg)
    pd.testing.assert_frame_equal(X, before_X)
    assert pickle.dumps(string_pipeline) == params


# ------------------------------------------------------------------ bad inputs
def test_too_many_features_says_what_to_use(rng):
    explainer = ExactShapley(lambda Z: Z.sum(1), max_features=4).fit(rng.normal(size=(3, 6)))
    with pytest.raises(TooManyFeaturesError, match="KernelSHAP.*feature_groups"):
        explainer.explain(rng.normal(size=(1, 6)))
    # with groups the same data is affordable
    grouped = ExactShapley(lambda Z: Z.sum(1), max_features=4,
                           feature_groups=[[0, 1], [2, 3], [4, 5]])
    assert grouped.fit(rng.normal(size=(3, 6))).explain(rng.normal(size=(1, 6))).values.shape == (
        1, 3)


@pytest.mark.parametrize("groups,match", [
    ({"a": []}, "empty"),
    ({"a": [0, 1], "b": [1, 2]}, "more than one group"),
    ({"a": ["nope"]}, "unknown column"),
    ({"a": [9]}, "out of range"),
    ("x0", "feature_groups"),
])
def test_bad_feature_groups(groups, match, rng):
    with pytest.raises((ValueError, TypeError), match=match):
        ExactShapley(nonlinear_f, feature_groups=groups).fit(rng.normal(size=(3, 4)))


def test_bad_max_features():
    with pytest.raises(ValueError, match="max_features"):
        ExactShapley(nonlinear_f, max_features=0).fit(np.zeros((2, 4)))


def test_coinciding_hybrids_are_evaluated_once(rng):
    """Binary features equal to part of the background: same values, fewer rows."""
    background = rng.normal(size=(8, 4))
    background[:, 1] = rng.integers(0, 2, 8)
    background[:, 3] = rng.integers(0, 2, 8)
    X = rng.normal(size=(3, 4))
    X[:, 1], X[:, 3] = 1.0, 0.0
    expl = ExactShapley(nonlinear_f).fit(background).explain(X)
    for r in range(3):
        np.testing.assert_allclose(expl.values[r], permutation_shapley(nonlinear_f, X[r],
                                                                       background), atol=1e-12)
    # per (row, background row): 2^|D| - 2 subsets of the differing features, plus f(x)
    agree = (background[:, 1] == 1).astype(int) + (background[:, 3] == 0).astype(int)
    expected = 3 * (int(np.sum(2.0 ** (4 - agree) - 2)) + 1)
    assert expl.metadata["n_model_rows"] == expected < 3 * (14 * 8 + 1)


def test_string_column_equal_values_are_deduplicated(string_frame, string_pipeline):
    frame, _ = string_frame
    background, X = frame.iloc[:30], frame.iloc[60:64]
    expl = ExactShapley(string_pipeline).fit(background).explain(X)
    assert expl.metadata["n_model_rows"] < 4 * (14 * 30 + 1)
    # every hybrid evaluated (the broadcast path of the evaluator, no deduplication)
    from skexplain.perturbation import CoalitionEvaluator
    from skexplain.perturbation._shapley import all_masks, shapley_from_table

    explainer = ExactShapley(string_pipeline).fit(background)
    evaluator = CoalitionEvaluator(explainer.model_, background)
    table, n_rows = evaluator.evaluate(X, all_masks(4))
    assert n_rows == 4 * (14 * 30 + 1)
    np.testing.assert_allclose(expl.values, shapley_from_table(table, 4), atol=1e-12)
    np.testing.assert_allclose(expl.values.sum(axis=1) + expl.base_values,
                               string_pipeline.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("batch_size,n_jobs", [(5, None), (40, 2)])
def test_deduplicated_path_independent_of_batch_size_and_n_jobs(batch_size, n_jobs, rng):
    background = rng.normal(size=(8, 4))
    background[:, 1] = rng.integers(0, 2, 8)
    X = rng.normal(size=(5, 4))
    X[:, 1] = 1.0
    ref = ExactShapley(nonlinear_f).fit(background).explain(X)
    other = ExactShapley(nonlinear_f, batch_size=batch_size, n_jobs=n_jobs).fit(background)
    other = other.explain(X)
    np.testing.assert_allclose(other.values, ref.values, rtol=0, atol=1e-13)
    assert other.metadata["n_model_rows"] == ref.metadata["n_model_rows"]


def test_image_input_with_patch_groups(rng):
    """n-d inputs: a 4x4 'image' explained by four 2x2 patches."""
    weights = rng.normal(size=(4, 4))

    def f(images):
        return np.tanh((images * weights).sum(axis=(1, 2)))

    labels = np.repeat(np.repeat(np.arange(4).reshape(2, 2), 2, axis=0), 2, axis=1)
    background, X = rng.normal(size=(3, 4, 4)), rng.normal(size=(2, 4, 4))
    expl = ExactShapley(f, feature_groups=labels).fit(background).explain(X)
    assert expl.values.shape == (2, 4)
    assert expl.feature_names == ["group_0", "group_1", "group_2", "group_3"]
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, f(X), atol=1e-12)


def test_torch_module(rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    background, X = rng.normal(size=(6, 4)), rng.normal(size=(3, 4))
    expl = ExactShapley(net).fit(background).explain(X)
    with torch.no_grad():
        out = net(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    assert expl.values.shape == (3, 4, 3)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, out, atol=1e-5)
    assert net.training  # the module's mode is restored
