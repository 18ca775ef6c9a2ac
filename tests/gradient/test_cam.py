"""CAM, GradCAM and GuidedGradCAM against truth: closed forms, hand-made autograd,
torch's interpolation, and the module left as it was."""
import numpy as np
import pytest

from gradient_models import TinyResNet, assert_unchanged, cnn, snapshot

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from skexplain import CAM, GradCAM, GuidedBackprop, GuidedGradCAM  # noqa: E402


def gap_cnn(seed=0):
    """conv-relu-conv-relu(inplace) -> global average pooling -> linear."""
    return cnn(seed=seed, pool=nn.AdaptiveAvgPool2d(1), out_hw=1).eval()


class MeanPoolNet(nn.Module):
    """Global average pooling written as a function: x.mean((2, 3))."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.features = nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Conv2d(5, 6, 3, padding=1), nn.ReLU())
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


class BypassNet(nn.Module):
    """Class 0 is a linear function of the input that bypasses the conv layer."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(2)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(4, 2)
        self.bypass = nn.Linear(3 * 8 * 8, 1)

    def forward(self, x):
        pooled = self.relu(self.conv(x)).mean((2, 3))
        return torch.cat([self.bypass(x.flatten(1)), self.fc(pooled)], dim=1)


def images(n=5, seed=0, shape=(3, 8, 8)):
    return torch.randn(n, *shape, generator=torch.Generator().manual_seed(seed))


def by_hand_grad_cam(head, tail, x, target, relu=True):
    """Grad-CAM of model = tail(head(x)) with plain autograd."""
    acts = head(x).detach().requires_grad_(True)
    out = tail(acts.clone())  # clone: an in-place op in tail must not change acts
    grads, = torch.autograd.grad(out[:, target].sum(), acts)
    cam = (grads.mean((2, 3), keepdim=True) * acts).sum(1).detach()
    return cam.clamp(min=0) if relu else cam


# ---------------------------------------------------------------------- truth
@pytest.mark.parametrize("make", [gap_cnn, TinyResNet, MeanPoolNet])
def test_cam_equals_grad_cam_up_to_the_number_of_positions(make):
    model = make().eval()
    X = images()
    cam = CAM(model).fit(X)
    target = [0, 1, 2, 1, 0]
    c = cam.explain(X, target=target)
    signed = GradCAM(model, layer=cam.layer_, relu=False).fit(X).explain(X, target=target)
    plain = GradCAM(model, layer=cam.layer_).fit(X).explain(X, target=target)
    Z = np.prod(c.extras["layer_map"].shape[1:])
    np.testing.assert_allclose(signed.extras["layer_map"] * Z, c.extras["layer_map"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plain.extras["layer_map"],
                               np.maximum(c.extras["layer_map"], 0) / Z, rtol=1e-5, atol=1e-7)
    # linear upsampling commutes with the positive factor
    np.testing.assert_allclose(signed.values * Z, c.values, rtol=1e-5, atol=1e-6)
    assert (plain.values >= 0).all() and (c.values < 0).any()


@pytest.mark.parametrize("make", [gap_cnn, TinyResNet, MeanPoolNet])
def test_the_mean_of_the_cam_is_the_score_without_bias(make):
    model = make().eval()
    X = images()
    explainer = CAM(model).fit(X)
    fc = dict(model.named_modules())[explainer.fc_]
    expl = explainer.explain(X)  # target None: the predicted class
    with torch.no_grad():
        out = model(X)
    pred = out.argmax(1)
    assert expl.metadata["target"] == pred.tolist()
    want = out.gather(1, pred[:, None])[:, 0] - fc.bias[pred]
    np.testing.assert_allclose(expl.extras["layer_map"].mean((1, 2)), want.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_layers_found_by_cam():
    X = images()
    assert (CAM(gap_cnn()).fit(X).layer_, CAM(gap_cnn()).fit(X).fc_) == ("3", "6")
    explainer = CAM(TinyResNet()).fit(X)
    assert (explainer.layer_, explainer.fc_) == ("block2", "head.2")
    explainer = CAM(MeanPoolNet()).fit(X)
    assert (explainer.layer_, explainer.fc_) == ("features", "fc")


def test_grad_cam_is_the_mean_gradient_weighted_sum_by_hand():
    model = cnn().eval()  # layer "2" is followed by an in-place ReLU
    X = images()
    for relu in (True, False):
        expl = GradCAM(model, layer="2", relu=relu).fit(X).explain(X, target=3)
        want = by_hand_grad_cam(model[:3], model[3:], X, 3, relu=relu)
        np.testing.assert_allclose(expl.extras["layer_map"], want.numpy(), rtol=1e-5, atol=1e-7)
    assert (expl.extras["layer_map"] < 0).any()  # the recorded map is the conv's, pre-ReLU


@pytest.mark.parametrize("zero", ["weights", "bypass"])
def test_grad_cam_of_a_class_that_does_not_depend_on_the_layer_is_zero(zero):
    if zero == "weights":
        model = gap_cnn()
        with torch.no_grad():
            model[6].weight[0] = 0.0
        layer = "3"
    else:
        model, layer = BypassNet().eval(), "conv"
    X = images()
    for cls in (GradCAM, GuidedGradCAM):
        expl = cls(model, layer=layer).fit(X).explain(X, target=0)
        assert np.all(expl.values == 0) and np.all(expl.extras["layer_map"] == 0)
        other = cls(model, layer=layer).fit(X).explain(X, target=1)
        assert np.abs(other.extras["layer_map"]).max() > 0
    if zero == "weights":
        assert np.all(CAM(model).fit(X).explain(X, target=0).values == 0)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_values_are_the_layer_map_interpolated_and_broadcast(mode):
    model = TinyResNet().eval()
    X = images()
    for cls in (CAM, GradCAM):
        expl = cls(model, upsample=mode).fit(X).explain(X)
        layer_map = torch.as_tensor(expl.extras["layer_map"])
        assert expl.values.shape == tuple(X.shape) and layer_map.shape == (5, 4, 4)
        kwargs = {"align_corners": False} if mode == "bilinear" else {}
        want = F.interpolate(layer_map[:, None], size=(8, 8), mode=mode, **kwargs)
        np.testing.assert_allclose(expl.values, want.expand(X.shape).numpy(), rtol=1e-6,
                                   atol=1e-7)
        assert expl.metadata["layer"] == "block2" and expl.metadata["upsample"] == mode


@pytest.mark.parametrize("ndim", [1, 3])
def test_one_and_three_spatial_axes(ndim):
    torch.manual_seed(0)
    conv, pool = (nn.Conv1d, nn.MaxPool1d) if ndim == 1 else (nn.Conv3d, nn.MaxPool3d)
    gap = nn.AdaptiveAvgPool1d(1) if ndim == 1 else nn.AdaptiveAvgPool3d(1)
    model = nn.Sequential(conv(2, 3, 3, padding=1), nn.ReLU(), pool(2), conv(3, 4, 3, padding=1),
                          nn.ReLU(), gap, nn.Flatten(), nn.Linear(4, 3)).eval()
    X = images(4, shape=(2,) + (6,) * ndim)
    mode = "linear" if ndim == 1 else "trilinear"
    for cls in (CAM, GradCAM, GuidedGradCAM):
        expl = cls(model).fit(X).explain(X, target=1)
        assert expl.values.shape == tuple(X.shape)
        assert expl.extras["layer_map"].shape == (4,) + (3,) * ndim
        if cls is not GuidedGradCAM:
            up = F.interpolate(torch.as_tensor(expl.extras["layer_map"])[:, None],
                               size=X.shape[2:], mode=mode, align_corners=False)
            np.testing.assert_allclose(expl.values, up.expand(X.shape).numpy(), rtol=1e-6,
                                       atol=1e-7)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("make", [cnn, TinyResNet])
def test_guided_grad_cam_is_guided_backprop_times_the_upsampled_map(make, mode):
    model = make().eval()
    X = images()
    guided = GuidedBackprop(model).fit(X).explain(X, target=2).values
    grad_cam = GradCAM(model, upsample=mode).fit(X).explain(X, target=2)
    expl = GuidedGradCAM(model, upsample=mode).fit(X).explain(X, target=2)
    np.testing.assert_allclose(expl.values, guided * grad_cam.values, rtol=1e-5, atol=1e-9)
    np.testing.assert_array_equal(expl.extras["layer_map"], grad_cam.extras["layer_map"])


def test_targets_per_row_batches_and_output_restriction():
    model = TinyResNet().eval()
    X = images(7)
    target = [0, 2, 1, 1, 0, 2, 2]
    for cls in (CAM, GradCAM, GuidedGradCAM):
        whole = cls(model).fit(X).explain(X, target=target)
        chunked = cls(model, batch_size=2).fit(X).explain(X, target=target)
        tol = {"rtol": 1e-4, "atol": 1e-6 * np.abs(whole.values).max()}  # float32 convs
        np.testing.assert_allclose(chunked.values, whole.values, **tol)
        for i, t in enumerate(target):
            one = cls(model).fit(X).explain(X[i:i + 1], target=t)
            np.testing.assert_allclose(one.values[0], whole.values[i], **tol)
        restricted = cls(model, output=2).fit(X).explain(X)
        np.testing.assert_allclose(restricted.values,
                                   cls(model).fit(X).explain(X, target=2).values, rtol=1e-6)


def test_float64_models_and_numpy_input():
    model = TinyResNet().double().eval()
    X = images().double().numpy()
    for cls in (CAM, GradCAM, GuidedGradCAM):
        expl = cls(model).fit(X).explain(X)
        assert expl.values.dtype == np.float64 and expl.values.shape == X.shape
        assert np.isfinite(expl.values).all()


def test_a_layer_given_as_a_module_survives_clone():
    from sklearn.base import clone

    model = TinyResNet().eval()
    X = images()
    explainer = clone(GradCAM(model, layer=model.block1))
    assert explainer.layer is model.block1
    assert explainer.fit(X).layer_ == "block1"
    cam = clone(CAM(model, layer=model.block2, fc=model.head[2]))
    assert cam.fc is model.head[2] and cam.fit(X).fc_ == "head.2"


# ------------------------------------------------------------- the user's module
def _disturbed(model):
    """Train mode, one frozen parameter and one stale .grad: all must survive."""
    model.train()
    first = next(model.parameters())
    first.requires_grad_(False)
    last = list(model.parameters())[-1]
    last.grad = torch.ones_like(last)
    return model


@pytest.mark.parametrize("make", [cnn, TinyResNet])
def test_the_module_is_left_as_it_was(make):
    model = _disturbed(make())
    before = snapshot(model)
    X = images()
    for cls in (CAM, GradCAM, GuidedGradCAM):
        try:
            cls(model).fit(X).explain(X)
        except ValueError as exc:  # CAM on cnn(): no global average pooling
            assert cls is CAM and "no global average pooling" in str(exc)
        assert_unchanged(model, before)


class FailsOnBigBatches(nn.Module):
    """Raises in the forward pass when a batch has more than ``limit`` rows."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit

    def forward(self, x):
        if x.shape[0] > self.limit:
            raise RuntimeError("boom")
        return x


@pytest.mark.parametrize("cls", [CAM, GradCAM, GuidedGradCAM])
def test_the_module_is_left_as_it_was_when_explain_raises(cls):
    model = TinyResNet()
    model.head = nn.Sequential(FailsOnBigBatches(2), *model.head)  # after the layer
    model = _disturbed(model)
    before = snapshot(model)
    explainer = cls(model).fit(images(2))
    with pytest.raises(ValueError, match="boom"):
        explainer.explain(images(4))
    assert_unchanged(model, before)


def test_guided_grad_cam_restores_the_module_when_the_guided_pass_raises():
    model = _disturbed(cnn())
    before = snapshot(model)
    explainer = GuidedGradCAM(model).fit(images(2))
    calls = []

    def fail_second_pass(_module, _args):  # the Grad-CAM pass runs, then the guided one fails
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("second pass fails")

    handle = model[0].register_forward_pre_hook(fail_second_pass)
    try:
        with pytest.raises(ValueError, match="second pass fails"):
            explainer.explain(images(3))
    finally:
        handle.remove()
    assert_unchanged(model, before)


def test_concurrent_explanations_agree_and_leave_no_hook():
    from concurrent.futures import ThreadPoolExecutor

    model = TinyResNet().eval()
    X = images()
    explainers = [CAM(model).fit(X), GradCAM(model).fit(X), GuidedGradCAM(model).fit(X),
                  GuidedBackprop(model).fit(X)]
    expected = [e.explain(X).values for e in explainers]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: explainers[i % 4].explain(X).values, range(16)))
    for i, values in enumerate(results):
        np.testing.assert_allclose(values, expected[i % 4], rtol=1e-6, atol=1e-8)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


@pytest.mark.parametrize("dtype, rtol", [(torch.bfloat16, 0.1), (torch.float16, 0.02)])
def test_half_precision_modules(dtype, rtol):
    # the global average pooling is recognised up to the rounding of the module's dtype
    X = images()
    for cls in (CAM, GradCAM, GuidedGradCAM):
        half = cls(TinyResNet().to(dtype).eval()).fit(X).explain(X, target=1)
        full = cls(TinyResNet().eval()).fit(X).explain(X, target=1)
        assert half.values.dtype == np.float64 and np.isfinite(half.values).all()
        scale = np.abs(full.values).max()
        np.testing.assert_allclose(half.values, full.values, atol=rtol * scale)


def test_layer_none_picks_the_outermost_last_block():
    torch.manual_seed(0)
    model = nn.Sequential(  # torchvision-like stages: "stages" holds the last conv
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        nn.Sequential(nn.Sequential(nn.Conv2d(4, 5, 3, padding=1), nn.ReLU()), nn.Dropout()),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 3))
    X = images()
    assert GradCAM(model).fit(X).layer_ == "2"
    assert GuidedGradCAM(model).fit(X).layer_ == "2"
    cam = CAM(model).fit(X)
    assert (cam.layer_, cam.fc_) == ("2", "5")  # "2.0.1", "2.0", "2.1" and "2" give one map
    c = cam.explain(X, target=1).extras["layer_map"]
    g = GradCAM(model, relu=False).fit(X).explain(X, target=1).extras["layer_map"]
    np.testing.assert_allclose(c, 64 * g, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [gap_cnn, TinyResNet, MeanPoolNet])
def test_default_layers_of_cam_and_grad_cam_agree(make):
    """layer=None gives Grad-CAM the rectified map CAM uses (not the conv before its
    ReLU), so with the defaults CAM = Z * Grad-CAM(relu=False) on a GAP network."""
    model, X = make().eval(), images()
    cam = CAM(model).fit(X)
    grad_cam = GradCAM(model, relu=False).fit(X)
    assert grad_cam.layer_ == cam.layer_
    c = cam.explain(X, target=2).extras["layer_map"]
    g = grad_cam.explain(X, target=2).extras["layer_map"]
    np.testing.assert_allclose(c, g[0].size * g, rtol=1e-5, atol=1e-6)
