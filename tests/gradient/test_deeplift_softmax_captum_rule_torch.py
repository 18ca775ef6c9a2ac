"""DeepLIFT(softmax_rule="captum"): captum's Softmax rule, to reproduce its numbers.

Parity with captum's DeepLift and DeepLiftShap (1e-5, the issue's tolerance) on
a convnet and on MLPs whose Softmax is general (five classes: the case where
captum's rule and the complete one differ); the complete rule keeps
summation-to-delta while the captum rule reports its gap in Explanation.delta;
other normalizations keep the complete rule; a bad value is refused by name.
"""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from skexplain import DeepLIFT  # noqa: E402

nn = torch.nn


def convnet(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1),
                         nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4 * 16, 5),
                         nn.Softmax(dim=1)).double().eval()


def mlp(middle=False, seed=0):
    torch.manual_seed(seed)
    layers = [nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 5), nn.Softmax(dim=1)]
    if middle:  # a Softmax with layers above it: its incoming gradient is not one-hot
        layers += [nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3)]
    return nn.Sequential(*layers).eval()


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    return (3 * torch.randn(4, 2, 8, 8, generator=g, dtype=torch.float64),
            3 * torch.randn(3, 2, 8, 8, generator=g, dtype=torch.float64))


def outputs(model, X):
    with torch.no_grad():
        return model(torch.as_tensor(X)).numpy()


def completeness_gap(model, expl, X, background):
    t = np.asarray(expl.metadata["target"])
    fx = outputs(model, X)[np.arange(len(t)), t]
    fb = outputs(model, background)[:, t].mean(0)
    return expl.values.reshape(len(t), -1).sum(1) - (fx - fb)


def captum_values(model, X, background, target):
    captum_attr = pytest.importorskip("captum.attr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # captum warns about setting hooks
        if len(background) == 1:
            attr = captum_attr.DeepLift(model, eps=1e-10).attribute(
                X, baselines=background.expand_as(X), target=torch.as_tensor(target))
        else:
            attr = captum_attr.DeepLiftShap(model).attribute(
                X, baselines=background, target=torch.as_tensor(target))
    return attr.detach().numpy()


@pytest.mark.parity
@pytest.mark.parametrize("n_background", [1, 3])
@pytest.mark.parametrize("target", [2, [0, 3, 1, 4]])
def test_parity_with_captum_on_a_convnet_ending_in_softmax(images, n_background, target):
    X, background = images
    background = background[:n_background]
    model = convnet()
    theirs = captum_values(model, X, background, target)
    captum_rule = DeepLIFT(model, softmax_rule="captum", eps=1e-10).fit(background)
    np.testing.assert_allclose(captum_rule.explain(X, target=target).values, theirs,
                               rtol=1e-5, atol=1e-5)
    # The default, complete rule gives other numbers on a five-class head.
    complete = DeepLIFT(model, eps=1e-10).fit(background).explain(X, target=target)
    assert np.abs(complete.values - theirs).max() > 1e-3


@pytest.mark.parity
@pytest.mark.parametrize("middle", [False, True])
def test_parity_with_captum_on_mlps_in_float32(middle):
    model = mlp(middle)
    g = torch.Generator().manual_seed(1)
    X, background = 2 * torch.randn(7, 6, generator=g), 2 * torch.randn(1, 6, generator=g)
    target = [0, 1, 2, 2, 1, 0, 1]
    theirs = captum_values(model, X, background, target)
    ours = DeepLIFT(model, softmax_rule="captum", eps=1e-10).fit(background.numpy())
    np.testing.assert_allclose(ours.explain(X, target=target).values, theirs,
                               rtol=1e-5, atol=1e-5)


def test_complete_keeps_summation_to_delta_and_captum_reports_its_gap(images):
    X, background = images
    model = convnet()
    complete = DeepLIFT(model).fit(background).explain(X, target=1)
    np.testing.assert_allclose(complete.delta, 0, atol=1e-10)
    np.testing.assert_allclose(completeness_gap(model, complete, X, background), 0, atol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rule's own gap is no ApproximationWarning
        captum = DeepLIFT(model, softmax_rule="captum").fit(background).explain(X, target=1)
    gap = completeness_gap(model, captum, X, background)
    assert np.abs(gap).max() > 1e-4  # not complete on a five-class softmax ...
    np.testing.assert_allclose(captum.delta, gap, atol=1e-12)  # ... and said so, row by row
    complete_tags = DeepLIFT(model).__skexplain_tags__()
    captum_tags = DeepLIFT(model, softmax_rule="captum").__skexplain_tags__()
    assert "completeness" in complete_tags.axioms
    assert "completeness" not in captum_tags.axioms | captum_tags.approximate_axioms


def test_other_normalizations_keep_the_complete_rule(images):
    # captum has a rule for nn.Softmax only: LogSoftmax and Softmin are unchanged.
    X, background = images
    for head in (nn.LogSoftmax(dim=1), nn.Softmin(dim=1)):
        model = convnet()
        model[-1] = head
        values = [DeepLIFT(model, softmax_rule=rule).fit(background[:1]).explain(X, target=2)
                  for rule in ("complete", "captum")]
        np.testing.assert_array_equal(values[0].values, values[1].values)
        np.testing.assert_allclose(values[1].delta, 0, atol=1e-10)


def test_bad_softmax_rule_is_refused_by_name():
    with pytest.raises(ValueError, match="'softmax_rule' parameter of DeepLIFT must be a str "
                                         "among.*Got 'shap'"):
        DeepLIFT(mlp(), softmax_rule="shap").fit(np.zeros((1, 6), np.float32))
