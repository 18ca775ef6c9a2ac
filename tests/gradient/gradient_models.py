"""Small torch models and a 'module left untouched' check for the gradient tests."""
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn


def mlp(act=nn.ReLU, sizes=(6, 16, 16, 3), seed=0, dtype=torch.float32):
    """Linear layers with one fresh ``act`` module after each hidden layer."""
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers).to(dtype).eval()


def cnn(seed=0, dtype=torch.float32, pool=None, out_hw=4):
    """conv-relu-conv-relu(inplace)-maxpool-fc on 3x8x8 images."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 8, 3, padding=1),
        nn.ReLU(inplace=True), pool if pool is not None else nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(8 * out_hw * out_hw, 4)).to(dtype)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock: one in-place ReLU module called twice."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return self.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, padding=1))
        self.block1, self.block2 = BasicBlock(4), BasicBlock(4)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
        for bn in (m for m in self.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)

    def forward(self, x):
        return self.head(self.block2(self.block1(self.stem(x))))


class Recorder(nn.Module):
    """Wraps a module and keeps every batch it is called on."""

    def __init__(self, module):
        super().__init__()
        self.module, self.seen = module, []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.module(x)


def snapshot(module):
    """Everything an explainer must leave as it was."""
    hook_dicts = [name for name in vars(nn.Module()) if "hooks" in name]
    return {
        "state": {k: v.detach().clone() for k, v in module.state_dict().items()},
        "training": {n: m.training for n, m in module.named_modules()},
        "hooks": {n: {h: dict(getattr(m, h)) for h in hook_dicts}
                  for n, m in module.named_modules()},
        "requires_grad": {n: p.requires_grad for n, p in module.named_parameters()},
        "grads": {n: p.grad for n, p in module.named_parameters()},
        "inplace": {n: getattr(m, "inplace", None) for n, m in module.named_modules()},
        "global": [len(getattr(nn.modules.module, g)) for g in dir(nn.modules.module)
                   if g.startswith("_global_") and g.endswith("hooks")],
    }


def assert_unchanged(module, before):
    after = snapshot(module)
    assert before["state"].keys() == after["state"].keys()
    for key, value in before["state"].items():
        assert torch.equal(value, after["state"][key]), key
    for field in ("training", "hooks", "requires_grad", "grads", "inplace", "global"):
        assert before[field] == after[field], field
