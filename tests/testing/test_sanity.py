"""Randomization sanity checks (Adebayo et al., 2018) on sklearn models: functions
and report (torch models and the paper's headline result: test_sanity_torch.py)."""
import warnings

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skexplain import ExactShapley
from skexplain.testing import (ConstantExplainer, RandomExplainer, SanityReport,
                               data_randomization, map_similarity,
                               model_parameter_randomization, randomizable_layers,
                               randomize_model, similarity_scores, train_on_permuted_labels)

RNG = np.random.default_rng(0)
X_TAB = RNG.normal(size=(60, 4))
Y_TAB = 2 * X_TAB[:, 0] - X_TAB[:, 1] + X_TAB[:, 2] * X_TAB[:, 3]


@pytest.fixture(scope="module")
def mlp():
    y = (Y_TAB > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a rough fit is enough
        return MLPClassifier(hidden_layer_sizes=(8, 6), max_iter=300, random_state=0).fit(
            X_TAB, y)


# ----------------------------------------------------------------- sklearn
def test_randomizable_layers_sklearn(mlp):
    assert randomizable_layers(mlp) == ["coefs_[2]", "coefs_[1]", "coefs_[0]"]
    assert randomizable_layers(Ridge().fit(X_TAB, Y_TAB)) == ["coef_"]
    assert randomizable_layers(make_pipeline(StandardScaler(), Ridge()).fit(X_TAB, Y_TAB)) == [
        "coef_"]
    assert randomizable_layers(GradientBoostingRegressor(n_estimators=2).fit(X_TAB, Y_TAB)) == []


def test_randomize_mlp_top_layer_only(mlp):
    before = [c.copy() for c in mlp.coefs_]
    new = randomize_model(mlp, ["coefs_[2]"], random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, mlp.coefs_))  # user's untouched
    assert np.array_equal(new.coefs_[0], before[0]) and np.array_equal(new.coefs_[1], before[1])
    assert not np.array_equal(new.coefs_[2], before[2])
    fan_in, fan_out = before[2].shape
    bound = np.sqrt(6.0 / (fan_in + fan_out))  # sklearn's Glorot-uniform init for relu
    assert np.abs(new.coefs_[2]).max() <= bound and np.abs(new.intercepts_[2]).max() <= bound
    again = randomize_model(mlp, ["coefs_[2]", "coefs_[1]"], random_state=0)
    assert np.array_equal(again.coefs_[2], new.coefs_[2])  # same draw whatever the subset


def test_randomize_linear_models():
    model = LinearRegression().fit(X_TAB, Y_TAB)
    new = randomize_model(model, random_state=1)
    assert new.coef_.shape == model.coef_.shape and isinstance(new.intercept_, float)
    assert not np.allclose(new.coef_, model.coef_)
    no_intercept = LinearRegression(fit_intercept=False).fit(X_TAB, Y_TAB)
    assert randomize_model(no_intercept, random_state=1).intercept_ == 0.0
    multi = LogisticRegression().fit(X_TAB, np.digitize(Y_TAB, [-1, 1]))
    assert randomize_model(multi, random_state=0).intercept_.shape == (3,)


def test_randomize_model_bad_layer(mlp):
    with pytest.raises(ValueError, match=r"layers \['fc'\] are not randomizable layers of "
                                         r"MLPClassifier; expected some of \['coefs_\[2\]'"):
        randomize_model(mlp, ["fc"])


def test_train_on_permuted_labels():
    model = Ridge()
    trained, y_perm = train_on_permuted_labels(model, X_TAB, Y_TAB, random_state=0)
    assert not hasattr(model, "coef_") and hasattr(trained, "coef_")
    assert sorted(y_perm) == sorted(Y_TAB) and not np.array_equal(y_perm, Y_TAB)
    calls = []
    trained, _ = train_on_permuted_labels(
        model, X_TAB, Y_TAB, train_fn=lambda m, X, y: calls.append(1) or m.fit(X, y))
    assert calls == [1]
    with pytest.raises(TypeError, match="train_fn must return the trained model"):
        train_on_permuted_labels(model, X_TAB, Y_TAB, train_fn=lambda m, X, y: None)


# ----------------------------------------------------------------- metrics
def test_map_similarity_and_scores():
    a = RNG.normal(size=(8, 8))
    assert map_similarity(a, a.copy(), "hog") == 1.0
    assert map_similarity(np.zeros((8, 8)), np.zeros((8, 8)), "spearman") == 1.0
    assert -1 <= map_similarity(a, RNG.normal(size=(8, 8)), "ssim") <= 1
    scores = similarity_scores(RNG.normal(size=(3, 8, 8)), RNG.normal(size=(3, 8, 8)),
                               ["spearman_abs", "ssim"])
    assert scores["ssim"].shape == (3,)  # one per image
    assert similarity_scores(X_TAB, X_TAB, ["spearman"])["spearman"].shape == (1,)  # tabular
    with pytest.raises(ValueError, match="metric must be one of"):
        map_similarity(a, a + 1, "pearson")
    with pytest.raises(ValueError, match="metric 'ssim' needs 2-D maps"):
        map_similarity(np.arange(5.0), np.arange(5.0)[::-1], "ssim")


# ------------------------------------------------------- tabular sanity checks
def test_model_randomization_tabular(mlp):
    report = model_parameter_randomization(ExactShapley(mlp), X_TAB[:8], background=X_TAB[:10],
                                           n_repeats=3)
    assert report.passed, report.to_frame()
    assert report.metric == "spearman"  # signed for tabular attributions
    assert report.steps == ["coefs_[2]", "coefs_[1]", "coefs_[0]"]
    assert report.scores["spearman"].shape == (3, 3)  # steps x (maps * repeats)
    assert set(report.to_frame().columns) == {"spearman_abs", "spearman", "top_k"}
    for control in (ConstantExplainer(mlp), RandomExplainer(mlp, random_state=0)):
        bad = model_parameter_randomization(control, X_TAB[:8], mode="independent")
        assert not bad.passed and bad.statistic == 1.0


def test_random_explainer_without_seed_changes_but_is_noise(mlp):
    # Fresh noise changes under randomization (the test cannot tell noise from
    # signal); check_stochastic_consistency is what catches it.
    report = model_parameter_randomization(RandomExplainer(mlp), X_TAB[:8])
    assert report.passed


def test_data_randomization_tabular():
    model = GradientBoostingRegressor(n_estimators=30, max_depth=2, random_state=0)
    report = data_randomization(ExactShapley(model), X_TAB, Y_TAB, X_explain=X_TAB[:8],
                                background=X_TAB[:10], n_repeats=2)
    assert report.passed and report.test == "data"
    assert report.details["permuted_train_score"] < 1.0
    assert not hasattr(model, "estimators_")  # the user's estimator was not fitted
    assert not data_randomization(ConstantExplainer(model), X_TAB, Y_TAB).passed


@pytest.mark.parametrize("kwargs, match", [
    (dict(mode="all"), "mode must be 'cascading' or 'independent'; got 'all'"),
    (dict(metrics=["pearson"]), r"unknown \['pearson'\]"),
    (dict(metrics=["ssim"]), r"metrics \['ssim'\] need 2-D maps"),
    (dict(n_repeats=0), "n_repeats must be an integer >= 1; got 0"),
    (dict(threshold="high"), "threshold must be a finite number; got 'high'"),
])
def test_model_randomization_bad_arguments(mlp, kwargs, match):
    with pytest.raises(ValueError, match=match):
        model_parameter_randomization(ExactShapley(mlp), X_TAB[:4], **kwargs)


def test_model_randomization_needs_parameters():
    model = GradientBoostingRegressor(n_estimators=2).fit(X_TAB, Y_TAB)
    with pytest.raises(ValueError, match="has no parameters that can be randomized"):
        model_parameter_randomization(ExactShapley(model), X_TAB[:4])


# ------------------------------------------------------------------ report
def test_sanity_report_plot_and_frame():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    report = SanityReport("cascading", ["fc2", "fc1", "conv"],
                          {"spearman_abs": [[0.4, 0.2], [0.2, 0.0], [0.1, 0.1]],
                           "ssim": [[0.5], [0.3], [0.1]]}, explainer_name="Saliency")
    assert report.summary()["passed"] is True
    assert report.summary()["statistic"] == pytest.approx(1.0 / 6)
    assert "Saliency" in repr(report) and "passed" in repr(report)
    fig, ax = plt.subplots()
    out = report.plot(ax=ax)
    assert out is report and report.ax_ is ax and report.figure_ is fig
    assert set(report.lines_) == {"spearman_abs", "ssim"}
    x, y = report.lines_["ssim"].get_data()
    assert list(y) == [1.0, 0.5, 0.3, 0.1]  # starts at the trained model
    assert [t.get_text() for t in ax.get_xticklabels()] == ["original", "fc2", "fc1", "conv"]
    assert report.plot(metrics=["ssim"]).ax_ is not ax  # new figure when ax is None
    with pytest.raises(ValueError, match=r"metrics \['hog'\] were not computed"):
        report.plot(metrics=["hog"])
    plt.close("all")


@pytest.mark.parametrize("args, kwargs, match", [
    (("bogus", ["a"], {"spearman": [[0.1]]}), {}, "test must be one of"),
    (("data", ["a"], {"spearman": [[0.1]]}), {}, "metric must be one of the computed metrics"),
    (("data", ["a"], {}), {"metric": "spearman"}, "scores must hold at least one metric"),
])
def test_sanity_report_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SanityReport(*args, **kwargs)
