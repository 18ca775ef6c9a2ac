"""Token ids outside an nn.Embedding's range are refused by name (X or background,
the ids, the rows, the table's size) before torch's bare IndexError, for the
perturbation and the gradient explainers; LIME's normal draws around ids are
refused, and its categorical draws give ids from the background."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from skexplain import (DeepLIFT, ExactShapley, IntegratedGradients, KernelSHAP,  # noqa: E402
                       LIME, Saliency)
from skexplain.adapters import TorchModel  # noqa: E402

nn = torch.nn


class Bag(nn.Module):
    def __init__(self, table=None, prepare=None):
        super().__init__()
        torch.manual_seed(0)
        self.emb = table if table is not None else nn.Embedding(10, 3)
        self.lin = nn.Linear(3, 2)
        self.prepare = prepare

    def forward(self, ids):
        ids = ids if self.prepare is None else self.prepare(ids)
        h = self.emb(ids)
        return self.lin(h if h.dim() == 2 else h.mean(1))


BACKGROUND = np.zeros((1, 4), dtype=np.int64)
GOOD = np.array([[1, 2, 3, 4], [5, 6, 7, 9]])
OUT_OF_RANGE = np.array([[1, 2, 3, 4], [5, 12, 7, 10], [-1, 0, 0, 0]])
MESSAGE = (r"X holds token ids outside \[0, 10\), the range of the nn.Embedding 'emb' of the "
           r"torch module Bag \(num_embeddings=10\): \[-1, 10, 12\] in rows \[1, 2\]")

PERTURBATION = [lambda m: ExactShapley(m), lambda m: KernelSHAP(m, random_state=0),
                lambda m: LIME(m, n_samples=50, random_state=0)]
GRADIENT = [lambda m: IntegratedGradients(m, layer="emb", layer_reduce="sum"),
            lambda m: DeepLIFT(m, layer="emb"), lambda m: Saliency(m, layer=m.emb)]


@pytest.mark.parametrize("make", PERTURBATION + GRADIENT)
def test_x_out_of_range_names_ids_rows_and_size(make):
    model = Bag()
    background = np.tile(np.arange(4), (3, 1))  # LIME samples from several rows
    explainer = make(model).fit(background)
    X = OUT_OF_RANGE.copy()
    with pytest.raises(ValueError, match=MESSAGE):
        explainer.explain(X)
    np.testing.assert_array_equal(X, OUT_OF_RANGE)  # not mutated
    assert np.isfinite(explainer.explain(GOOD).values).all()  # in range: explained


@pytest.mark.parametrize("make", [PERTURBATION[1], GRADIENT[0]])
def test_tensor_rows_are_checked_too(make):
    explainer = make(Bag()).fit(BACKGROUND)
    with pytest.raises(ValueError, match=r"X holds token ids.*\[12\] in rows \[0\]"):
        explainer.explain(torch.tensor([[1, 12, 0, 0]]))


@pytest.mark.parametrize("make", [PERTURBATION[0], GRADIENT[1]])
def test_background_out_of_range_is_named(make):
    later = np.array([[0, 1, 2, 3], [0, 0, 0, 0], [4, 4, 11, 4]])
    with pytest.raises(ValueError, match=r"^background holds token ids outside \[0, 10\).*"
                                         r"num_embeddings=10\): \[11\] in rows \[2\]"):
        make(Bag()).fit(later)
    first = later[::-1]  # the first row is also the one used to learn the outputs
    with pytest.raises(ValueError, match=r"^the data given to fit \(the background\) holds "
                                         r"token ids outside \[0, 10\).*\[11\] in rows \[0\]"):
        make(Bag()).fit(first)


def test_embedding_bag_and_the_adapter_attribute():
    model = Bag(nn.EmbeddingBag(7, 3, mode="sum"))
    adapter = TorchModel(model, sample=BACKGROUND)
    assert adapter.id_embedding == ("emb", 7)
    with pytest.raises(ValueError, match=r"X holds token ids outside \[0, 7\).*\[7, 9\]"):
        KernelSHAP(model).fit(BACKGROUND).explain(np.array([[7, 9, 0, 0]]))


def test_ids_the_module_maps_itself_are_not_judged():
    # The embedding receives ids % 10, not X itself: X's ids are the module's business.
    model = Bag(prepare=lambda ids: ids % 10)
    assert TorchModel(model, sample=BACKGROUND).id_embedding is None
    expl = ExactShapley(model).fit(BACKGROUND).explain(np.array([[11, 25, 3, 4]]))
    assert np.isfinite(expl.values).all()
    float_model = nn.Linear(4, 1)  # integer data, no embedding: unchanged
    assert TorchModel(float_model, sample=BACKGROUND).id_embedding is None


def test_lime_normal_draws_around_ids_are_refused():
    rng = np.random.default_rng(0)
    background = rng.integers(0, 10, size=(20, 4))
    with pytest.raises(ValueError, match=r"LIME\(discretizer=None\) draws mean \+ std \* "
                                         r"N\(0, 1\) values for the numeric columns \(x0, x1, "
                                         r"x2, x3\), but the torch module Bag takes "
                                         r"torch.int64 inputs.*categorical_features"):
        LIME(Bag(), discretizer=None).fit(background)
    # Some columns categorical, the others still normal: refused, naming those.
    with pytest.raises(ValueError, match=r"numeric columns \(x3\)"):
        LIME(Bag(), discretizer=None, categorical_features=[0, 1, 2]).fit(background)


def test_lime_categorical_draws_give_ids_from_the_background():
    seen = []

    class Recording(Bag):
        def forward(self, ids):
            seen.append(ids.clone())
            return super().forward(ids)

    rng = np.random.default_rng(0)
    background = rng.integers(0, 6, size=(20, 4))
    lime = LIME(Recording(), discretizer=None, categorical_features=[0, 1, 2, 3],
                n_samples=200, random_state=0).fit(background)
    seen.clear()
    expl = lime.explain(GOOD)
    assert np.isfinite(expl.values).all() and expl.values.shape == (2, 4, 2)
    ids = torch.cat(seen)
    assert ids.dtype == torch.int64
    for j in range(4):  # every id is x's own or one of the background's in that column
        allowed = set(background[:, j]) | set(GOOD[:, j])
        assert set(ids[:, j].tolist()) <= allowed
