"""The assertion helpers on IntegratedGradients explanations of a small torch classifier.

``fair`` is trained on labels that depend on x0 (up), x1 (down) and x2, and
its first layer then ignores x3 (zero weights: its gradient, hence its
attribution, is exactly zero); ``biased`` is trained on labels given by x3.
"""
import re

import numpy as np
import pytest

from skexplain import IntegratedGradients
from skexplain.testing import (RandomExplainer, assert_additive, assert_explanations_close,
                               assert_feature_unused, assert_passes_sanity_checks, assert_sign,
                               assert_top_features)

torch = pytest.importorskip("torch")
from skexplain.testing._toy_torch import train_module  # noqa: E402  (needs torch)


def _quick_train(module, X, y):
    return train_module(module, X, y, n_steps=150)


@pytest.fixture(scope="module")
def nets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = (2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0).astype(int)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    fair = _quick_train(net, X, y)
    with torch.no_grad():
        fair[0].weight[:, 3] = 0.0
    biased = _quick_train(net, X, (X[:, 3] > 0).astype(int))
    X_explain, background = X[:40], X[100:140]
    return dict(X=X, y=y, X_explain=X_explain, background=background, fair=fair, biased=biased,
                e_fair=IntegratedGradients(fair).fit(background).explain(X_explain, target=1),
                e_biased=IntegratedGradients(biased).fit(background).explain(X_explain,
                                                                              target=1))


def _logits(net, X):
    with torch.no_grad():
        return net(torch.as_tensor(X)).numpy()


def test_additive(nets):
    expl = nets["e_fair"]
    assert_additive(expl)  # from the explanation's delta
    assert_additive(expl, prediction=_logits(nets["fair"], nets["X_explain"])[:, 1])
    assert_additive(expl, prediction=torch.as_tensor(_logits(nets["fair"], nets["X_explain"])
                                                     [:, 1:]), output="output_1")
    # the explanation of target=1 cannot tell which column of all logits it explains
    with pytest.raises(ValueError, match=r"prediction must have shape \(40,\) .*got \(40, 2\)"):
        assert_additive(expl, prediction=_logits(nets["fair"], nets["X_explain"]))
    # one quadrature point: the completeness gap is of the order of the output
    coarse = IntegratedGradients(nets["fair"], n_steps=1).fit(nets["background"]).explain(
        nets["X_explain"], target=1)
    with pytest.raises(AssertionError) as info:
        assert_additive(coarse)
    lines = str(info.value).splitlines()
    assert re.match(r"attributions do not add up to the model output for \d+ of 40 rows: .* "
                    r"\(f\(x\) from the explanation's delta\); largest gaps first:$", lines[0])
    worst = int(np.argmax(np.abs(coarse.delta)))
    assert lines[1].startswith(f"  row {worst}: sum(values) + base_values = ")
    assert f"gap {coarse.delta[worst]:+.3g}" in lines[1]


def test_top_features(nets):
    assert_top_features(nets["e_fair"], ["x0", "x1"], ordered=True)
    with pytest.raises(AssertionError, match=r"features \['x3'\] are not among the top 1 by mean "
                                             r"\|attribution\| .output 'output_1'. over 40 rows:"
                                             r" 'x3' has 0 and 3 other features"):
        assert_top_features(nets["e_fair"], "x3", output="output_1")
    assert_top_features(nets["e_biased"], "x3")


def test_feature_unused(nets):
    assert_feature_unused(nets["e_fair"], "x3", max_share=0.0)
    with pytest.raises(AssertionError, match=r"feature 'x3' is used: 9\d\.\d\d% of the total "
                                             r"mean \|attribution\|"):
        assert_feature_unused(nets["e_biased"], 3)


def test_sign(nets):
    assert_sign(nets["e_fair"], "x0", "positive")
    assert_sign(nets["e_fair"], "x1", "negative")
    with pytest.raises(AssertionError, match=r"feature 'x1' does not have a positive effect.*"
                                             r"correlation .* is -0\.\d+"):
        assert_sign(nets["e_fair"], "x1", "positive")
    with pytest.raises(ValueError, match="must take at least two values"):
        assert_sign(nets["e_fair"][:2], "x1", "positive")


def test_explanations_close(nets):
    again = IntegratedGradients(nets["fair"]).fit(nets["background"]).explain(
        nets["X_explain"], target=1)
    assert_explanations_close(again, nets["e_fair"])
    with pytest.raises(AssertionError) as info:
        assert_explanations_close(nets["e_biased"], nets["e_fair"])
    lines = str(info.value).splitlines()
    assert lines[0].startswith("explanations differ: ")
    assert lines[1].startswith("  base_values: largest difference at row ")
    assert lines[2].split()[0] == "feature"
    assert lines[3].split()[:4] == ["x3", "40", "of", "40"]  # x3 drives the biased net


def test_sanity_checks(nets):
    common = dict(X_explain=nets["X_explain"], background=nets["background"],
                  train_fn=_quick_train)
    reports = assert_passes_sanity_checks(IntegratedGradients(nets["fair"]), nets["X"],
                                          nets["y"], **common)
    assert [r.test for r in reports.values()] == ["cascading", "independent", "data"]
    # noise with a fixed seed is the same whatever the model
    with pytest.raises(AssertionError) as info:
        assert_passes_sanity_checks(RandomExplainer(nets["fair"], random_state=0), nets["X"],
                                    nets["y"], **common)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("RandomExplainer fails 3 of 3 randomization sanity checks")
    assert lines[1].startswith("  cascading: mean spearman similarity 1.000 (threshold: at "
                               "most 0.5; per randomized step: 2: 1.00, 0: 1.00)")
