"""Bad input with several inputs and additional_forward_args: clear errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.linear_model import LinearRegression  # noqa: E402

from skexplain import (GradCAM, ExactShapley, IntegratedGradients, KernelSHAP,  # noqa: E402
                       Occlusion, Saliency, SmoothGrad)
from skexplain.utils._inputs import InputSpec, pack_inputs  # noqa: E402


class TwoInputs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = torch.nn.Linear(3, 2), torch.nn.Linear(2, 2)

    def forward(self, a, b, mask=None):
        out = self.a(a) + self.b(b)
        return out if mask is None else out * mask


class Ids(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.lin = torch.nn.Embedding(5, 2), torch.nn.Linear(2, 2)

    def forward(self, ids, feats):
        return self.emb(ids).sum(1) + self.lin(feats)


BG = (np.zeros((3, 3), dtype=np.float32), np.zeros((3, 2), dtype=np.float32))
X = (np.ones((2, 3), dtype=np.float32), np.ones((2, 2), dtype=np.float32))


@pytest.mark.parametrize("cls", [Saliency, ExactShapley])
def test_batch_sizes_disagree(cls):
    with pytest.raises(ValueError, match=r"background\[0\]: 3 rows, background\[1\]: 2 rows"):
        cls(TwoInputs()).fit((BG[0], BG[1][:2]))
    fitted = cls(TwoInputs()).fit(BG)
    with pytest.raises(ValueError, match=r"X\[0\]: 2 rows, X\[1\]: 1 rows"):
        fitted.explain((X[0], X[1][:1]))


@pytest.mark.parametrize("cls", [IntegratedGradients, KernelSHAP])
def test_tuple_of_wrong_length_and_wrong_shapes(cls):
    fitted = cls(TwoInputs()).fit(BG)
    with pytest.raises(ValueError, match="X must be a tuple of 2 inputs.*tuple of 3 inputs"):
        fitted.explain(X + (X[0],))
    with pytest.raises(ValueError, match="X must be a tuple of 2 inputs.*single ndarray"):
        fitted.explain(X[0])
    with pytest.raises(ValueError, match=r"X\[1\] must have shape \(n, 2\).*got \(2, 3\)"):
        fitted.explain((X[0], X[0]))


def test_tuple_for_an_explainer_fitted_on_one_input():
    fitted = Saliency(torch.nn.Linear(3, 2)).fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="fitted on a single input"):
        fitted.explain((np.ones((1, 3)), np.ones((1, 3))))


@pytest.mark.parametrize("where", ["fit", "explain"])
def test_per_row_argument_with_the_wrong_number_of_rows(where):
    mask_bg, mask = np.ones((3, 2), dtype=np.float32), np.ones((2, 2), dtype=np.float32)
    if where == "fit":
        mask_bg = mask_bg[:2]
    else:
        mask = mask[:1]
    for cls in (IntegratedGradients, ExactShapley):
        with pytest.raises(ValueError, match=r"additional_forward_args\[0\].*expected its first "
                                             r"dimension to be (3|2).*got shape \((2|1), 2\)"):
            cls(TwoInputs()).fit(BG, additional_forward_args=(mask_bg,)).explain(
                X, additional_forward_args=(mask,))


def test_non_array_forward_argument_of_an_unknown_type():
    with pytest.raises(TypeError, match=r"additional_forward_args\[0\].*got dict"):
        Saliency(TwoInputs()).fit(BG, additional_forward_args=({"a": 1},))


def test_tuple_and_forward_args_for_a_sklearn_model():
    lr = LinearRegression().fit(np.random.rand(5, 3), np.random.rand(5))
    with pytest.raises(TypeError, match="torch modules only.*LinearRegression"):
        ExactShapley(lr).fit((np.zeros((2, 3)), np.zeros((2, 3))))
    with pytest.raises(TypeError, match="torch modules only"):
        ExactShapley(lr).fit(np.zeros((2, 3)), additional_forward_args=(np.ones((2, 1)),))
    fitted = ExactShapley(lr).fit(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="torch modules only"):
        fitted.explain(np.ones((1, 3)), additional_forward_args=(np.ones((1, 1)),))


def test_integer_attributed_input_without_layer_names_the_input():
    bg = (np.zeros((1, 3), dtype=np.int64), np.zeros((1, 2), dtype=np.float32))
    with pytest.raises(TypeError, match=r"int64 inputs \(input 0\).*layer='emb'"):
        IntegratedGradients(Ids()).fit(bg)


def test_plot_points_to_one_input():
    fitted = Saliency(TwoInputs()).fit(BG)
    with pytest.raises(ValueError, match=r"explain\(X\)\[k\]\.plot"):
        fitted.plot(X)


def test_cam_family_and_wrapped_smoothgrad_refuse():
    with pytest.raises(TypeError, match="GradCAM.*does not take several inputs"):
        GradCAM(TwoInputs()).fit(BG)
    with pytest.raises(TypeError, match="SmoothGrad\\(module\\)"):
        SmoothGrad(Saliency(TwoInputs())).fit(BG)


def test_pack_inputs_names_its_parameter():
    spec = InputSpec.from_inputs(BG)
    with pytest.raises(ValueError, match=r"baselines\[0\]: 2 rows, baselines\[1\]: 1 rows"):
        pack_inputs((X[0], X[1][:1]), spec, name="baselines")
    with pytest.raises(ValueError, match="baselines must be a tuple of 2 inputs"):
        pack_inputs(X[:1], spec, name="baselines")
    packed = pack_inputs(tuple(torch.as_tensor(x) for x in X), spec)
    assert torch.is_tensor(packed) and tuple(packed.shape) == (2, 5)


def test_occlusion_window_and_feature_groups_over_packed_columns():
    with pytest.raises(ValueError, match="window slides over one input's shape"):
        Occlusion(TwoInputs(), window=(2,)).fit(BG)
    # groups index the packed row (3 + 2 columns): one Explanation over the groups
    torch.manual_seed(0)
    model = TwoInputs()
    expl = ExactShapley(model, feature_groups=[[0, 1, 2], [3, 4]]).fit(BG).explain(
        X, target=0)
    assert not isinstance(expl, tuple) and expl.values.shape == (2, 2)
    with torch.no_grad():
        gap = (model(*map(torch.as_tensor, X)) - model(*map(torch.as_tensor, BG)).mean(0))[:, 0]
    np.testing.assert_allclose(expl.values.sum(1), gap.numpy(), atol=1e-6)


def test_sequences_of_rows_stay_one_input():
    lr = LinearRegression().fit(np.random.rand(5, 3), np.random.rand(5))
    rows = [np.zeros(3), np.ones(3)]
    for bg in (rows, tuple(rows)):
        assert ExactShapley(lr).fit(bg).input_spec_ is None
    fitted = Saliency(torch.nn.Linear(3, 2)).fit((np.zeros(3), np.ones(3)))  # two rows
    assert fitted.input_spec_ is None and fitted.background_.shape == (2, 3)
