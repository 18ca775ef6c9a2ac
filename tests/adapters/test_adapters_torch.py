"""Torch modules through the model adapters (skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from skexplain.adapters import as_model  # noqa: E402


class TwoHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.5),
                                        torch.nn.ReLU(), torch.nn.Linear(8, 2))

    def forward(self, x):
        return self.body(x)


def test_torch_module_eval_mode_restored_and_no_grad(rng):
    torch.manual_seed(0)
    net = TwoHead().train()
    net.body[1].eval()  # a mixed state must come back exactly as it was
    flags = [m.training for m in net.modules()]
    X = rng.normal(size=(10, 3)).astype(np.float32)
    model = as_model(net, sample=X)
    out = model.predict(X)
    with torch.no_grad():
        net.eval()
        ref = net(torch.as_tensor(X)).double().numpy()
    for m, flag in zip(net.modules(), flags):
        m.training = flag
    np.testing.assert_allclose(out, ref, rtol=1e-6)  # dropout off: deterministic
    assert [m.training for m in net.modules()] == flags
    assert all(p.grad is None for p in net.parameters())
    assert model.output_names == ["output_0", "output_1"]


def test_torch_batches_and_tensor_input(rng):
    torch.manual_seed(0)
    net = TwoHead()
    X = rng.normal(size=(25, 3))
    model = as_model(net, output=1, sample=X)
    batched = type(model)(net, output=1, sample=X, batch_size=4)
    np.testing.assert_allclose(model.predict(X), batched.predict(X), rtol=1e-6)
    np.testing.assert_allclose(model.predict(torch.as_tensor(X)), model.predict(X))
    assert not net._forward_hooks and not net._forward_pre_hooks


def test_torch_bad_output(rng):
    with pytest.raises(ValueError, match=r"output index in \[0, 2\)"):
        as_model(TwoHead(), output=3, sample=rng.normal(size=(2, 3)))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_torch_follows_module_device(rng):
    net = TwoHead().cuda()
    X = rng.normal(size=(6, 3))
    model = as_model(net, sample=X)
    assert model.device.type == "cuda"
    assert model.predict(X).shape == (6, 2)
