"""Token ids outside an nn.Embedding's range with several inputs or forward arguments.

The range check (ids named with the rows and ``num_embeddings`` before
torch's bare IndexError) also finds the embedding fed by one input of a
several-input module, or by the ids of a module that takes
``additional_forward_args`` (its forward is probed with them).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from skexplain import ExactShapley, IntegratedGradients, KernelSHAP  # noqa: E402


class IdsAndFloats(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.lin, self.out = nn.Embedding(6, 3), nn.Linear(2, 3), nn.Linear(3, 1)

    def forward(self, ids, x):
        return self.out(self.emb(ids).mean(1) + self.lin(x))


class IdsAndMask(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.out = nn.Embedding(8, 3), nn.Linear(3, 2)

    def forward(self, ids, mask):
        return self.out((self.emb(ids) * mask[..., None]).sum(1))


@pytest.fixture
def two_inputs():
    torch.manual_seed(0)
    model = IdsAndFloats()
    ids, x = torch.randint(0, 6, (3, 4)), torch.randn(3, 2)
    return model, ids, x


@pytest.mark.parametrize("cls", [ExactShapley, KernelSHAP])
def test_several_inputs_ids_out_of_range_in_x(two_inputs, cls):
    model, ids, x = two_inputs
    ex = cls(model).fit((torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 2)))
    bad = ids.clone()
    bad[1, 2] = 9
    with pytest.raises(ValueError, match=r"X\[0\] holds token ids outside \[0, 6\).*'emb'.*"
                                         r"\[9\] in rows \[1\]"):
        ex.explain((bad, x))
    ex.explain((ids, x))  # in range: explained


def test_several_inputs_ids_out_of_range_in_background_and_baselines(two_inputs):
    model, ids, x = two_inputs
    with pytest.raises(ValueError, match=r"background\[0\] holds token ids outside \[0, 6\)"):
        ExactShapley(model).fit((torch.full((2, 4), -1), torch.zeros(2, 2)))
    ex = ExactShapley(model).fit((torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 2)))
    with pytest.raises(ValueError, match=r"baselines\[0\] holds token ids outside \[0, 6\).*"
                                         r": \[7\] in rows \[0, 1, 2\]"):
        ex.explain((ids, x), baselines=(torch.full((1, 4), 7), 0.0))


def test_forward_args_ids_out_of_range():
    torch.manual_seed(0)
    model = IdsAndMask().double()
    ids, mask = torch.randint(0, 8, (3, 5)), torch.ones(3, 5, dtype=torch.float64)
    ig = IntegratedGradients(model, layer="emb").fit(
        torch.zeros(1, 5, dtype=torch.long), additional_forward_args=(mask[:1],))
    bad = ids.clone()
    bad[2, 0] = 8
    message = r"X holds token ids outside \[0, 8\).*\[8\] in rows \[2\]"
    with pytest.raises(ValueError, match=message):
        ig.explain(bad, target=0, additional_forward_args=(mask,))
    expl = ig.explain(ids, target=0, additional_forward_args=(mask,))
    assert np.isfinite(expl.values).all()
