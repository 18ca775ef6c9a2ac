"""``link="logit"`` of ExactShapley, KernelSHAP and Occlusion against truth.

The game is ``v(S) = logit(mean_b f(x_S, b_notS))`` (the link of the
background-averaged probability); it is checked against a brute-force
enumeration, the axioms, a closed form (one background row and a logistic
regression) and, for KernelSHAP, against ExactShapley at full budget.
"""
import itertools
import warnings
from math import factorial

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from skexplain import ExactShapley, KernelSHAP, Occlusion
from skexplain.exceptions import ApproximationWarning


def _logit(p):
    return np.log(p / (1 - p))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] + X[:, 1] * X[:, 2] - 0.5 * X[:, 3] > 0).astype(int)
    y3 = np.digitize(X[:, 0] + X[:, 3] * X[:, 4], [-0.5, 0.5])
    return X, y, y3


@pytest.fixture(scope="module")
def models(data):
    X, y, y3 = data
    return {
        "logreg": LogisticRegression().fit(X, y),
        "gbc": GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0).fit(X, y),
        "gbc3": GradientBoostingClassifier(n_estimators=10, max_depth=3,
                                           random_state=0).fit(X, y3),
    }


def _brute_force(f, x, background, weights):
    """Shapley values of v(S) = logit(sum_b w_b f(x_S, b_notS)) by the definition."""
    d = x.size
    players = range(d)

    def v(S):
        hybrid = background.copy()
        hybrid[:, list(S)] = x[list(S)]
        return _logit(weights @ f(hybrid))

    phi = np.zeros((d,) + np.shape(v(())))
    for i in players:
        others = [j for j in players if j != i]
        for size in range(d):
            w = factorial(size) * factorial(d - size - 1) / factorial(d)
            for S in itertools.combinations(others, size):
                phi[i] += w * (v(S + (i,)) - v(S))
    return phi


@pytest.mark.parametrize("name", ["logreg", "gbc3"])
def test_exact_logit_equals_brute_force_with_weights(data, models, name):
    X = data[0]
    model = models[name]
    bg, rows = X[:12], X[200:203]
    w = np.random.default_rng(1).uniform(0.2, 1.0, size=12)
    expl = ExactShapley(model, link="logit").fit(bg, sample_weight=w).explain(rows)
    values = expl.values if expl.values.ndim == 3 else expl.values[..., None]
    for r in range(rows.shape[0]):
        truth = _brute_force(model.predict_proba, rows[r], bg, w / w.sum())
        np.testing.assert_allclose(values[r].reshape(truth.shape), truth, atol=1e-12, rtol=0)


@pytest.mark.parametrize("name", ["logreg", "gbc", "gbc3"])
def test_exact_logit_is_efficient_in_log_odds(data, models, name):
    X = data[0]
    model = models[name]
    explainer = ExactShapley(model, link="logit").fit(X[:25])
    expl = explainer.explain(X[200:206])
    mean_p = model.predict_proba(X[:25]).mean(axis=0)
    np.testing.assert_allclose(explainer.expected_value_, _logit(mean_p), rtol=0, atol=1e-14)
    np.testing.assert_allclose(expl.base_values[0], _logit(mean_p), rtol=0, atol=1e-14)
    total = expl.values.sum(axis=1) + expl.base_values
    np.testing.assert_allclose(total, _logit(model.predict_proba(X[200:206])),
                               rtol=0, atol=1e-12)


def test_one_background_row_logit_equals_decision_function(data, models):
    """With one reference row the linked game is the logistic regression's
    log-odds game, which is linear: values coef * (x - b)."""
    X = data[0]
    model = models["logreg"]
    rows, bg = X[200:204], X[:1]
    linked = ExactShapley(model, link="logit", output=1).fit(bg).explain(rows).values
    decision = ExactShapley(model, output="decision_function").fit(bg).explain(rows).values
    np.testing.assert_allclose(linked, decision, rtol=0, atol=1e-10)
    np.testing.assert_allclose(linked, model.coef_[0] * (rows - bg), rtol=0, atol=1e-10)


def test_logit_of_the_mean_differs_from_explaining_decision_function(data, models):
    """Over a background of many rows the two questions have different answers
    (and the decision_function game stays linear)."""
    X = data[0]
    model = models["logreg"]
    rows, bg = X[200:204], X[:40]
    linked = ExactShapley(model, link="logit", output=1).fit(bg).explain(rows)
    decision = ExactShapley(model, output="decision_function").fit(bg).explain(rows)
    np.testing.assert_allclose(decision.values, model.coef_[0] * (rows - bg.mean(0)),
                               rtol=0, atol=1e-10)
    assert np.abs(linked.values - decision.values).max() > 1e-2
    assert abs(linked.base_values[0] - decision.base_values[0]) > 1e-2


@pytest.mark.parametrize("name", ["logreg", "gbc3"])
def test_kernel_logit_at_full_budget_equals_exact(data, models, name):
    X = data[0]
    model = models[name]
    bg, rows = X[:15], X[200:206].copy()
    rows[0, 2] = bg[3, 2]  # a feature equal to one background row
    exact = ExactShapley(model, link="logit").fit(bg).explain(rows)
    kernel = KernelSHAP(model, link="logit", n_samples=2**6, random_state=0).fit(bg)
    expl = kernel.explain(rows)
    np.testing.assert_allclose(expl.values, exact.values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(expl.base_values, exact.base_values, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(expl.stderr, 0.0)  # every coalition evaluated
    # one f(x) and (2^6 - 2) coalitions on the whole background per row
    assert expl.metadata["n_model_rows"] == rows.shape[0] * ((2**6 - 2) * 15 + 1)


def test_kernel_logit_features_equal_to_the_background(data, models):
    """Features equal to every background row get zero and leave the design;
    a row varying in one feature gets the whole difference."""
    X = data[0]
    model = models["gbc"]
    bg = X[:10].copy()
    bg[:, [1, 4]] = 0.0
    rows = X[200:203].copy()
    rows[:, [1, 4]] = 0.0
    rows[2] = bg[0]
    rows[2, 3] = 5.0  # differs from bg[0] in one feature only, from the others in four
    exact = ExactShapley(model, link="logit").fit(bg).explain(rows)
    expl = KernelSHAP(model, link="logit", n_samples=40, random_state=0).fit(bg).explain(rows)
    np.testing.assert_array_equal(expl.values[:, [1, 4]], 0.0)
    np.testing.assert_array_equal(exact.values[:, [1, 4]], 0.0)
    np.testing.assert_allclose(expl.values, exact.values, rtol=0, atol=1e-10)


def test_kernel_logit_row_with_one_varying_feature(data, models):
    X = data[0]
    model = models["logreg"]
    bg = np.repeat(X[:1], 5, axis=0)
    bg[:, 2] = np.linspace(-1, 1, 5)
    row = X[:1].copy()
    row[0, 2] = 3.0
    expl = KernelSHAP(model, link="logit", n_samples=10, random_state=0).fit(bg).explain(row)
    delta = _logit(model.predict_proba(row)) - _logit(model.predict_proba(bg).mean(0))
    np.testing.assert_allclose(expl.values[0, 2], delta[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.delete(expl.values[0], 2, axis=0), 0.0)


@pytest.mark.filterwarnings("ignore::skexplain.exceptions.ApproximationWarning")
@pytest.mark.parametrize("n_samples", [14, 30, 50])
@pytest.mark.parametrize("paired", [True, False])
def test_kernel_logit_efficiency_is_exact(data, models, n_samples, paired):
    X = data[0]
    model = models["gbc3"]
    expl = KernelSHAP(model, link="logit", n_samples=n_samples, paired=paired,
                      random_state=3).fit(X[:20]).explain(X[200:205])
    total = expl.values.sum(axis=1) + expl.base_values
    np.testing.assert_allclose(total, _logit(model.predict_proba(X[200:205])),
                               rtol=0, atol=1e-12)


def test_kernel_logit_close_to_exact_within_its_standard_errors(data, models):
    X = np.random.default_rng(5).normal(size=(300, 9))
    model = GradientBoostingClassifier(n_estimators=15, random_state=0).fit(
        X, (X[:, 0] * X[:, 1] + X[:, 2] - X[:, 5] > 0).astype(int))
    bg, rows = X[:15], X[200:210]
    exact = ExactShapley(model, link="logit", output=1).fit(bg).explain(rows).values
    expl = KernelSHAP(model, link="logit", output=1, n_samples=200,
                      random_state=0).fit(bg).explain(rows)
    assert np.isfinite(expl.stderr).all() and (expl.stderr > 0).any()
    err = np.abs(expl.values - exact)
    scale = np.abs(exact).max(axis=1, keepdims=True)
    assert err.max() < 0.1 * scale.max()
    # calibrated standard errors: errors beyond 4 of them are rare
    assert np.mean(err > 4 * expl.stderr + 1e-12) < 0.03
    # a larger budget is closer
    more = KernelSHAP(model, link="logit", output=1, n_samples=450,
                      random_state=0).fit(bg).explain(rows).values
    assert np.abs(more - exact).mean() < err.mean()


def test_kernel_logit_is_reproducible_and_row_independent(data, models):
    X = data[0]
    model = models["gbc"]
    make = KernelSHAP(model, link="logit", n_samples=30, random_state=7).fit(X[:20])
    a = make.explain(X[200:206])
    b = make.explain(X[200:206])
    np.testing.assert_array_equal(a.values, b.values)
    alone = make.explain(X[203:204])
    np.testing.assert_allclose(alone.values[0], a.values[3], rtol=0, atol=1e-12)
    other = KernelSHAP(model, link="logit", n_samples=30, random_state=8).fit(X[:20])
    assert np.abs(other.explain(X[200:206]).values - a.values).max() > 1e-8
    chunked = KernelSHAP(model, link="logit", n_samples=30, random_state=7, batch_size=20,
                         n_jobs=2).fit(X[:20]).explain(X[200:206])
    np.testing.assert_allclose(chunked.values, a.values, rtol=0, atol=1e-12)


def test_kernel_logit_with_tol_and_groups_and_weights(data, models):
    X = data[0]
    model = models["gbc3"]
    w = np.random.default_rng(2).uniform(0.5, 1.0, size=20)
    groups = [[0, 1], [2], [3, 4], [5]]
    exact = ExactShapley(model, link="logit", feature_groups=groups).fit(
        X[:20], sample_weight=w).explain(X[200:204])
    full = KernelSHAP(model, link="logit", feature_groups=groups, n_samples=16,
                      random_state=0).fit(X[:20], sample_weight=w).explain(X[200:204])
    np.testing.assert_allclose(full.values, exact.values, rtol=0, atol=1e-10)
    X9 = np.random.default_rng(5).normal(size=(100, 9))
    clf = LogisticRegression().fit(X9, (X9[:, 0] > 0).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximationWarning)
        tolled = KernelSHAP(clf, link="logit", n_samples=400, tol=0.05,
                            random_state=0).fit(X9[:10]).explain(X9[50:53])
    assert len(tolled.metadata["converged"]) == 3
    assert np.isfinite(tolled.values).all()
    total = tolled.values.sum(axis=1) + tolled.base_values
    np.testing.assert_allclose(total, _logit(clf.predict_proba(X9[50:53])), rtol=0, atol=1e-12)


def test_logit_on_a_dataframe(data, models):
    X = data[0]
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    model = LogisticRegression().fit(frame, data[1])
    exact = ExactShapley(model, link="logit").fit(frame[:10]).explain(frame[200:202])
    kernel = KernelSHAP(model, link="logit", n_samples=64, random_state=0).fit(
        frame[:10]).explain(frame[200:202])
    np.testing.assert_allclose(kernel.values, exact.values, rtol=0, atol=1e-10)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP])
def test_unknown_link_is_refused(data, models, cls):
    with pytest.raises(ValueError, match="link"):
        cls(models["logreg"], link="probit").fit(data[0][:5])


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP])
def test_logit_refuses_a_regressor_and_decision_function(data, models, cls):
    X, y, _ = data
    with pytest.raises(ValueError, match=r"link='logit'.*LinearRegression\.predict"):
        cls(LinearRegression().fit(X, y), link="logit").fit(X[:5])
    with pytest.raises(ValueError, match=r"link='logit'.*decision_function"):
        cls(models["logreg"], link="logit", output="decision_function").fit(X[:5])
    with pytest.raises(ValueError, match=r"link='logit'.*predict_log_proba"):
        cls(models["logreg"], link="logit", output="predict_log_proba").fit(X[:5])


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP])
def test_logit_refuses_outputs_outside_zero_one(data, cls):
    X = data[0][:, :4]
    with pytest.raises(ValueError, match=r"link='logit'.*\[0, 1\].*\[-\d.*background"):
        cls(lambda Z: Z[:, 0], link="logit").fit(X[:5])
    # probabilities on the background, not on the hybrids
    squash = lambda Z: np.where(np.abs(Z[:, 1] - Z[:, 0]) > 2.5, 1.5, 0.5)  # noqa: E731
    bg = np.zeros((3, 4))
    explainer = cls(squash, link="logit").fit(bg)
    with pytest.raises(ValueError, match=r"link='logit'.*1\.5"):
        explainer.explain(np.array([[3.0, 0.0, 1.0, 1.0]]))


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP])
def test_probabilities_of_zero_or_one_are_clipped_with_a_warning(cls):
    """A pure leaf gives p = 1: its log-odds are infinite, clipped at 1e-12."""
    step = lambda Z: np.where(Z[:, 0] > 0, 1.0, 0.3 + 0.1 * Z[:, 1])  # noqa: E731
    bg = np.zeros((4, 3))
    bg[:, 1] = [0, 1, 2, 3]
    x = np.array([[1.0, 0.5, 2.0]])
    with pytest.warns(ApproximationWarning, match="clipped"):
        expl = cls(step, link="logit").fit(bg).explain(x)
    assert np.isfinite(expl.values).all()
    p = np.clip(step(x), 1e-12, 1 - 1e-12)
    np.testing.assert_allclose(expl.values.sum() + expl.base_values[0], _logit(p)[0],
                               rtol=0, atol=1e-9)


def test_identity_is_the_default_and_unchanged(data, models):
    X = data[0]
    model = models["gbc"]
    a = ExactShapley(model).fit(X[:10]).explain(X[200:202])
    b = ExactShapley(model, link="identity").fit(X[:10]).explain(X[200:202])
    np.testing.assert_array_equal(a.values, b.values)
    total = b.values.sum(axis=1) + b.base_values
    np.testing.assert_allclose(total, model.predict_proba(X[200:202]), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- Occlusion
def test_occlusion_logit_is_the_drop_in_log_odds(data, models):
    X = data[0]
    model = models["gbc3"]
    bg, rows = X[:30], X[200:204]
    explainer = Occlusion(model, link="logit").fit(bg)
    expl = explainer.explain(rows)
    reference = explainer.reference_
    for i in range(X.shape[1]):
        occluded = rows.copy()
        occluded[:, i] = reference[0, i]
        want = _logit(model.predict_proba(rows)) - _logit(model.predict_proba(occluded))
        np.testing.assert_allclose(expl.values[:, i], want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(expl.base_values[0], _logit(model.predict_proba(bg).mean(0)),
                               rtol=0, atol=1e-14)


def test_occlusion_logit_of_logistic_regression_is_its_decision_function(data, models):
    X = data[0]
    model = models["logreg"]
    linked = Occlusion(model, link="logit", output=1).fit(X[:30]).explain(X[200:204])
    margin = Occlusion(model, output="decision_function").fit(X[:30]).explain(X[200:204])
    np.testing.assert_allclose(linked.values, margin.values, rtol=0, atol=1e-10)


def test_occlusion_logit_refuses_a_regressor(data):
    X, y, _ = data
    with pytest.raises(ValueError, match=r"link='logit'.*LinearRegression\.predict"):
        Occlusion(LinearRegression().fit(X, y), link="logit").fit(X[:5])
    with pytest.raises(ValueError, match="link"):
        Occlusion(LinearRegression().fit(X, y), link="log").fit(X[:5])


def test_float32_rounding_above_one_is_clipped_not_refused():
    """A float32 softmax may give 1 + 6e-8: a probability, clipped with a warning."""
    model = lambda Z: np.where(Z[:, 0] > 0, 1.0 + 6e-8, 0.4)  # noqa: E731
    bg = np.zeros((2, 2))
    bg[1, 1] = 1.0
    with pytest.warns(ApproximationWarning, match="clipped"):
        expl = ExactShapley(model, link="logit").fit(bg).explain(np.array([[1.0, 0.0]]))
    assert np.isfinite(expl.values).all()


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP, Occlusion])
def test_link_drops_the_linearity_claim(cls):
    """With a link the game is no longer linear in the model."""
    def axioms(tags):
        return tags.axioms | tags.approximate_axioms
    assert "linearity" in axioms(cls(None).__skexplain_tags__())
    assert "linearity" not in axioms(cls(None, link="logit").__skexplain_tags__())


def test_exact_logit_interactions_sum_to_the_values(data, models):
    X = data[0]
    model = models["gbc"]
    plain = ExactShapley(model, link="logit", output=1).fit(X[:10]).explain(X[200:202])
    pairs = ExactShapley(model, link="logit", output=1, interactions=True).fit(
        X[:10]).explain(X[200:202])
    np.testing.assert_allclose(pairs.values.sum(axis=2), plain.values, rtol=0, atol=1e-12)
