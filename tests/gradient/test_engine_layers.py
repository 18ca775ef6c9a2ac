"""GradientEngine's layer passes and the layer helpers of the torch adapter."""
import numpy as np
import pytest

from gradient_models import TinyResNet, assert_unchanged, cnn, snapshot

torch = pytest.importorskip("torch")

from skexplain.adapters import as_model  # noqa: E402
from skexplain.adapters._torch_layers import (layer_output, resolve_layer)  # noqa: E402
from skexplain.exceptions import ModelEvaluationError  # noqa: E402
from skexplain.gradient._engine import Batch, GradientEngine  # noqa: E402


def _layer_grads_by_hand(module, x, layer, target):
    """d f_target / d layer output, with a plain hook and retain_grad."""
    store = {}

    def hook(_m, _a, out):  # a copy flows on: the in-place ReLU after "2" must not touch it
        out.retain_grad()
        store["a"] = out
        return out.clone()

    handle = layer.register_forward_hook(hook)
    try:
        module(x)[:, target].sum().backward()
    finally:
        handle.remove()
    module.zero_grad(set_to_none=True)
    return store["a"].detach(), store["a"].grad


@pytest.mark.parametrize("input_grads", [True, False])
def test_layer_activations_and_gradients(input_grads):
    module = cnn().eval()
    x = torch.randn(5, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    before = snapshot(module)
    engine = GradientEngine(as_model(module, sample=x[:1]), layer=resolve_layer(module, "2"),
                            input_grads=input_grads, batch_size=2)
    passes = []
    engine.run(5, x[0].numel(), lambda a, b, _: Batch(x[a:b], torch.full((b - a,), 1)),
               passes.append)
    assert_unchanged(module, before)
    acts = torch.cat([p.activations for p in passes])
    grads = torch.cat([p.layer_grads for p in passes])
    want_acts, want_grads = _layer_grads_by_hand(module, x, module[2], 1)
    torch.testing.assert_close(acts, want_acts)
    torch.testing.assert_close(grads, want_grads)
    assert (passes[0].grads is None) is (not input_grads)


def test_inplace_ops_after_the_layer_do_not_change_the_recorded_output():
    # layer "2" (conv) is followed by ReLU(inplace=True): the recorded map keeps negatives
    module = cnn().eval()
    x = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    acts = layer_output(module, module[2], x)
    torch.testing.assert_close(acts, module[2](module[1](module[0](x))))
    assert (acts < 0).any()


def test_layer_called_twice_or_never_is_refused():
    resnet = TinyResNet().eval()
    x = torch.randn(2, 3, 8, 8)
    with pytest.raises(ModelEvaluationError, match="called 2 times"):
        layer_output(resnet, resnet.block1.relu, x, layer_name="block1.relu")
    net = torch.nn.ModuleDict({"used": torch.nn.Linear(3, 2), "spare": torch.nn.Linear(2, 2)})
    net.forward = lambda x: net["used"](x)
    with pytest.raises(ModelEvaluationError, match="was not called"):
        layer_output(net, net.spare, torch.zeros(1, 3), layer_name="spare")


def test_resolve_layer_errors():
    module = cnn()
    assert resolve_layer(module, "4") == ("4", module[4])
    with pytest.raises(ValueError, match=r"layer='5x' is not a submodule of Sequential"):
        resolve_layer(module, "5x")
    with pytest.raises(ValueError, match="not part of the model"):
        resolve_layer(module, torch.nn.Conv2d(1, 1, 1))
    with pytest.raises(TypeError, match="layer must be a torch.nn.Module .* got int"):
        resolve_layer(module, 3)
    resnet = TinyResNet()
    assert resolve_layer(resnet, "block2.conv1")[1] is resnet.block2.conv1
    with pytest.raises(ValueError, match="Did you mean 'block2.conv1'"):
        resolve_layer(resnet, "block2.conv_1")


def test_engine_needs_a_layer_without_input_grads():
    module = cnn()
    with pytest.raises(ValueError, match="needs a layer"):
        GradientEngine(as_model(module, sample=np.zeros((1, 3, 8, 8), np.float32)),
                       input_grads=False)
