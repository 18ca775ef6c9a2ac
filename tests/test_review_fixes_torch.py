"""Regression tests for review findings of issue 9 (torch part)."""
import numpy as np
import pytest

from skexplain import ExactShapley, IntegratedGradients, KernelSHAP, Saliency
from skexplain.exceptions import ModelEvaluationError
from skexplain.utils._validation import _is_tensor

torch = pytest.importorskip("torch")
nn = torch.nn

X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)


def _sum_f(Z):
    return np.asarray(Z, dtype=float).sum(axis=1)


# 5 ---------------------------------------------------------------- complex tensors
def test_complex_tensor_background_is_refused():
    with pytest.raises(ValueError, match=r"background must hold real numbers; got complex "
                                         r"values \(dtype torch.complex64\)"):
        ExactShapley(_sum_f).fit(torch.zeros(2, 3, dtype=torch.complex64))


def test_complex_tensor_rows_are_refused_by_gradient_explainers():
    explainer = Saliency(nn.Linear(3, 2)).fit(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"X must hold real numbers; got complex values "
                                         r"\(dtype torch.complex64\)"):
        explainer.explain(torch.ones(1, 3, dtype=torch.complex64))


# 6 ---------------------------------------------------------------- odd output dtypes
class Returns(nn.Module):
    def __init__(self, make):
        super().__init__()
        self.make = make
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        return self.make(self.linear(x))


ODD_OUTPUTS = {
    "complex": (lambda out: out.to(torch.complex64), r"dtype torch.complex64"),
    "bool": (lambda out: out > 0, r"dtype torch.bool"),
    "zero-width": (lambda out: out[:, :0], r"shape \(\d+, 0\) with no output column"),
}


@pytest.mark.parametrize("cls", [Saliency, IntegratedGradients, KernelSHAP])
@pytest.mark.parametrize("kind", sorted(ODD_OUTPUTS))
def test_outputs_of_odd_dtype_or_width_are_refused(cls, kind):
    make, got = ODD_OUTPUTS[kind]
    with pytest.raises(ModelEvaluationError, match=r"model \(the torch module Returns\) must "
                                                   r"return real floating or integer outputs "
                                                   rf"with at least one column.*{got}"):
        cls(Returns(make)).fit(X[:4]).explain(X[:3])


def test_integer_outputs_are_still_accepted():
    expl = KernelSHAP(Returns(lambda out: out.round().long()), random_state=0).fit(
        X[:4]).explain(X[:2])
    assert np.all(np.isfinite(expl.values))


# 12 --------------------------------------------------------------- one _is_tensor
def test_gradient_explainers_use_the_shared_is_tensor():
    from skexplain.gradient import _base

    assert _base._is_tensor is _is_tensor
