"""Bad models and bad data get errors that name the parameter, the expectation
and what was given (never a raw IndexError or an error blamed on the model)."""
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPClassifier

from skexplain import (DeepLIFT, ExactShapley, IntegratedGradients, KernelSHAP, Saliency,
                       SmoothGrad)
from skexplain.exceptions import ModelEvaluationError, ModelTypeError

torch = pytest.importorskip("torch")
nn = torch.nn

X = np.random.default_rng(0).normal(size=(5, 3))


class Returns(nn.Module):
    """A module whose forward returns ``make(x)``."""

    def __init__(self, make):
        super().__init__()
        self.make = make
        self.linear = nn.Linear(3, 2).double()

    def forward(self, x):
        return self.make(self.linear(x))


BAD_OUTPUTS = {
    "0-d": (lambda out: out.sum(), r"got a 0-d tensor \(a single number\)"),
    "1-d, too long": (lambda out: out.flatten(), r"got a tensor of shape \(\d+,\)"),
    "1-d, one row": (lambda out: out[0], r"got a tensor of shape \(2,\)"),
    "batch doubled": (lambda out: torch.cat([out, out]), r"got a tensor of shape \(\d+, 2\)"),
    "first row only": (lambda out: out[:1], r"got a tensor of shape \(1, 2\)"),
    "a tuple": (lambda out: (out, out), r"got a tuple"),
}


@pytest.mark.parametrize("cls", [Saliency, IntegratedGradients, KernelSHAP, ExactShapley])
@pytest.mark.parametrize("kind", sorted(BAD_OUTPUTS))
def test_outputs_without_one_row_per_input_row(cls, kind):
    make, got = BAD_OUTPUTS[kind]
    with pytest.raises(ModelEvaluationError) as info:
        explainer = cls(Returns(make)).fit(X[:4])
        explainer.explain(X[:3])
    message = str(info.value)
    assert message.startswith("model (the torch module Returns) must return a tensor of "
                              "shape (n,) or (n, n_outputs) with one row per input row")
    assert not isinstance(info.value.__cause__, IndexError)
    assert re.search(got, message), message


def test_a_module_returning_a_scalar_is_not_blamed_for_an_index_error():
    with pytest.raises(ValueError, match=r"model \(the torch module Returns\) .*n = 1 here\); "
                                         r"got a 0-d tensor .*reduce over the batch"):
        Saliency(Returns(lambda out: out.mean())).fit(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("cls", [Saliency, IntegratedGradients, DeepLIFT, SmoothGrad])
def test_non_finite_background_is_refused_at_fit(cls, bad):
    background = X.copy()
    background[[1, 3], 2] = bad
    model = nn.Linear(3, 2).double()
    with pytest.raises(ValueError, match=r"^background rows \[1, 3\] contain NaN or infinite "
                                         f"values; {cls.__name__} needs finite background"):
        cls(model).fit(background)
    with pytest.raises(ValueError, match=r"background rows \[0\] contain NaN"):
        cls(model).fit(torch.tensor([[float("nan"), 0.0, 1.0]]))


def test_non_numeric_background_and_rows_name_the_value():
    model = nn.Linear(2, 1).double()
    frame = pd.DataFrame({"age": [30.0, 40.0], "city": [1.0, "Paris"]})
    with pytest.raises(TypeError, match=r"background must hold numbers for Saliency; column "
                                        r"'city' holds the str 'Paris' \(row 1\)"):
        Saliency(model).fit(frame)
    explainer = Saliency(model).fit(np.zeros((2, 2)))
    rows = np.array([[1.0, 2.0], [{"a": 1}, 3.0]], dtype=object)
    with pytest.raises(TypeError, match=r"X must hold numbers for Saliency; "
                                        r".*feature 0 holds the dict \{'a': 1\} \(row 1\)"):
        explainer.explain(rows)


@pytest.mark.parametrize("model, got, example", [
    (nn.Linear, r"the class torch\.nn\.modules\.linear\.Linear itself", r"Linear\(\.\.\.\)"),
    (MLPClassifier, r"the class sklearn\.neural_network\..*MLPClassifier itself",
     r"MLPClassifier\(\.\.\.\)\.fit\(X, y\)"),
    (LinearRegression, r"the class .*LinearRegression itself", r"LinearRegression\(\.\.\.\)"),
], ids=["torch.nn.Linear", "MLPClassifier", "LinearRegression"])
@pytest.mark.parametrize("cls", [Saliency, DeepLIFT])
def test_a_model_class_instead_of_an_instance(cls, model, got, example):
    with pytest.raises(ModelTypeError, match=r"^model must be a torch\.nn\.Module instance or a "
                                             rf"fitted scikit-learn .*; got {got}\. Pass an "
                                             rf"instance, e.g\. {example}"):
        cls(model).fit(X)


@pytest.mark.parametrize("model, got", [
    (object(), r"got an object of type object \(<object object at"),
    ("model.pt", r"got an object of type str \('model\.pt'\)"),
    (None, r"got None\."),
], ids=["object", "str", "None"])
def test_objects_that_are_no_model(model, got):
    with pytest.raises(TypeError, match=r"^model must be a torch\.nn\.Module instance .*" + got):
        Saliency(model).fit(X)


@pytest.mark.parametrize("estimator", [MLPClassifier(), LinearRegression()],
                         ids=["MLPClassifier", "LinearRegression"])
def test_an_unfitted_estimator(estimator):
    name = type(estimator).__name__
    with pytest.raises(NotFittedError, match=rf"^model must be fitted before it is explained: "
                                             rf"the {name} given is not fitted yet"):
        IntegratedGradients(estimator).fit(X)
    assert not hasattr(estimator, "coefs_") and not hasattr(estimator, "coef_")
