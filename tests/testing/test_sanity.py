"""Randomization sanity checks (Adebayo et al., 2018): functions, report, and the
paper's headline result reproduced on a small CNN trained on sklearn's digits."""
import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
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


# ------------------------------------------------------------------- torch
torch = pytest.importorskip("torch")
nn = torch.nn


class HeadFirst(nn.Module):
    """Registers its output layer before its body (forward order differs)."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(6, 2)
        self.body = nn.Sequential(nn.Linear(4, 6), nn.ReLU())

    def forward(self, x):
        return self.head(self.body(x))


def test_torch_layers_follow_the_forward_pass():
    torch.manual_seed(0)
    model = HeadFirst()
    assert randomizable_layers(model) == ["body.0", "head"]  # registration order, reversed
    assert randomizable_layers(model, X_TAB[:2]) == ["head", "body.0"]  # from the output down
    assert not any(m._forward_hooks for m in model.modules())


def test_torch_randomization_uses_reset_parameters_on_a_copy():
    torch.manual_seed(0)
    model = HeadFirst()
    state = copy.deepcopy(model.state_dict())
    rng_state = torch.random.get_rng_state()
    new = randomize_model(model, ["head"], random_state=0)
    assert torch.equal(torch.random.get_rng_state(), rng_state)  # global RNG untouched
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    assert torch.equal(new.body[0].weight, model.body[0].weight)
    assert not torch.equal(new.head.weight, model.head.weight)
    assert new.head.weight.abs().max() <= 1 / np.sqrt(6)  # nn.Linear's kaiming-uniform bound
    both = randomize_model(model, ["head", "body.0"], random_state=0)
    assert torch.equal(both.head.weight, new.head.weight)  # cascading == independent draws


def _train_mlp(model, X, y, epochs=60):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    return model


def test_torch_data_randomization_with_train_fn():
    from skexplain import Saliency

    torch.manual_seed(0)
    y = (Y_TAB > 0).astype(int)
    model = _train_mlp(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)), X_TAB, y)
    state = copy.deepcopy(model.state_dict())
    report = data_randomization(Saliency(model), X_TAB, y, train_fn=_train_mlp, n_repeats=2)
    assert report.passed, report.to_frame()
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    # Without train_fn the default trainer retrains a re-initialised copy.
    assert data_randomization(Saliency(model), X_TAB, y, n_repeats=2).passed
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())


# ----------------------------------------- Adebayo et al.: the headline finding
@pytest.fixture(scope="module")
def digits_cnn():
    """A small CNN trained on 8x8 digits in about a second on 2 CPU cores."""
    torch.set_num_threads(2)
    torch.manual_seed(0)
    X, y = load_digits(return_X_y=True)
    X = torch.tensor((X / 16.0).reshape(-1, 1, 8, 8), dtype=torch.float32)
    y = torch.tensor(y)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    order = torch.Generator().manual_seed(0)
    for _ in range(4):
        perm = torch.randperm(len(X), generator=order)
        for start in range(0, len(X), 128):
            idx = perm[start:start + 128]
            opt.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    accuracy = float((model(X).argmax(1) == y).float().mean())
    return model, X.numpy(), accuracy


def test_cascading_randomization_digits_cnn(digits_cnn):
    from skexplain import GuidedBackprop, Saliency

    model, X, accuracy = digits_cnn
    assert accuracy > 0.9
    rows, background = X[1500:1524], X[:16]
    saliency = model_parameter_randomization(Saliency(model), rows, background=background)
    guided = model_parameter_randomization(GuidedBackprop(model), rows, background=background)
    assert saliency.steps == ["8", "6", "2", "0"]  # logits first, first conv last
    assert set(saliency.scores) == {"spearman_abs", "spearman", "ssim", "hog", "top_k"}
    # Paper: gradients change as soon as the top layer is randomized; Guided
    # Backprop stays nearly invariant (Adebayo et al., Fig. 2).
    assert saliency.passed and saliency.statistic < 0.35
    assert not guided.passed and guided.statistic > 0.6
    assert saliency.to_frame().loc["8", "spearman_abs"] < guided.to_frame().loc["8",
                                                                                "spearman_abs"]


def test_check_explainer_on_the_digits_cnn(digits_cnn):
    from skexplain import GuidedBackprop, Saliency
    from skexplain.testing import check_explainer

    model, X, _ = digits_cnn
    checks = ["check_model_randomization_cascading", "check_wrong_width", "check_pickle"]
    assert check_explainer(Saliency(model), X[:40], checks=checks).passed
    guided = check_explainer(GuidedBackprop(model), X[:40], checks=checks, on_fail=None)
    assert [r.check for r in guided.failed] == ["check_model_randomization_cascading"]


def test_check_explainer_needs_x_for_a_conv_net():
    from skexplain import Saliency
    from skexplain.testing import check_explainer

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(72, 2))
    with pytest.raises(ValueError, match="cannot build a toy input for the torch module "
                                         "Sequential .*first layer is not nn.Linear.*pass X"):
        check_explainer(Saliency(model))
