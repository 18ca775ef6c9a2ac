"""The public-attribute readings of fitted transformers agree with sklearn's own state.

skexplain reads only public attributes (utils/_sklearn_compat.py); these tests
compare them with sklearn's private bookkeeping of the installed version, so a
change in scikit-learn shows up here first.
"""
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skexplain import LinearSHAP
from skexplain.utils._sklearn_compat import (column_transformer_parts, onehot_output_widths,
                                             resolve_columns)

CATS = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["c", "x"], ["a", "z"], ["b", "y"]],
                dtype=object)


@pytest.mark.parametrize("params", [
    {}, {"drop": "first"}, {"drop": "if_binary"}, {"min_frequency": 2},
    {"max_categories": 2, "drop": "first"}, {"min_frequency": 2, "handle_unknown":
                                              "infrequent_if_exist"},
])
def test_onehot_widths_match_sklearn(params):
    enc = OneHotEncoder(**params).fit(CATS)
    widths = onehot_output_widths(enc)
    assert widths.sum() == enc.transform(CATS).shape[1]
    private = getattr(enc, "_n_features_outs", None)  # sklearn's own bookkeeping
    if private is not None:
        assert widths.tolist() == list(private), sklearn.__version__


@pytest.mark.parametrize("spec", [
    ["num1", "num2"], slice("num1", "cat"), [True, False, True, False], [0, 2], [3], ["cat"],
    make_column_selector(dtype_include="number"), slice(1, 3), [],
])
def test_column_transformer_inputs_match_sklearn(spec):
    frame = pd.DataFrame({"num1": [1.0, 2, 3, 4], "num2": [0.0, 1, 0, 1],
                          "cat": list("abab"), "num3": [5.0, 6, 7, 9]})
    remainder = "passthrough" if isinstance(spec, (str, list)) and spec != [] else "drop"
    ct = ColumnTransformer([("sel", "passthrough", spec)], remainder=remainder).fit(frame)
    parts = {name: cols.tolist() for name, _, cols, _ in column_transformer_parts(ct, 4)}
    private = getattr(ct, "_transformer_to_input_indices", None)
    if private is not None:
        expected = {k: list(v) for k, v in private.items() if k in parts}
        assert parts == expected, sklearn.__version__
    assert sum(out.stop - out.start for *_, out in column_transformer_parts(ct, 4)) == (
        ct.transform(frame).shape[1])


def test_resolve_columns_scalars_and_negatives():
    names = np.array(["a", "b", "c"])
    assert resolve_columns("b", names, 3).tolist() == [1]
    assert resolve_columns(2, names, 3).tolist() == [2]
    assert resolve_columns([-1], None, 3).tolist() == [2]
    assert resolve_columns(slice(None, "b"), names, 3).tolist() == [0, 1]


def test_resolve_columns_refuses_unknown_names():
    with pytest.raises(ValueError, match="column 'zz' is not among"):
        resolve_columns(["zz"], np.array(["a", "b"]), 2)


def test_linear_shap_through_infrequent_one_hot():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"num": rng.normal(size=60),
                          "cat": rng.choice(list("aaaabbbcd"), size=60)})
    y = (frame["num"] + (frame["cat"] == "a") > 0.5).astype(int)
    ct = ColumnTransformer([("oh", OneHotEncoder(min_frequency=5, drop="first",
                                                 handle_unknown="infrequent_if_exist"), ["cat"]),
                            ("sc", StandardScaler(), ["num"])])
    model = make_pipeline(ct, LogisticRegression()).fit(frame, y)
    expl = LinearSHAP(model).fit(frame[:30]).explain(frame[30:40])
    margin = model.decision_function(frame[30:40])
    np.testing.assert_allclose(expl.values.sum(axis=1) + expl.base_values, margin, atol=1e-10)
    assert expl.feature_names == ["num", "cat"]
