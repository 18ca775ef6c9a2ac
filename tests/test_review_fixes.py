"""Regression tests for review findings of issue 9 (numpy-only part)."""
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from skexplain import Explanation, ExactShapley, KernelSHAP, LinearSHAP

rng = np.random.default_rng(0)
X = rng.normal(size=(20, 3))
y = X @ np.array([1.0, -2.0, 0.5])
LR = LinearRegression().fit(X, y)


def _sum_f(Z):
    return np.asarray(Z, dtype=float).sum(axis=1)


# 4 ---------------------------------------------------------------- target length
@pytest.mark.parametrize("make", [
    lambda: ExactShapley(LR), lambda: KernelSHAP(LR, random_state=0), lambda: LinearSHAP(LR)])
@pytest.mark.parametrize("target", [[0, 0, 0], [0, 0, 0, 0]])  # [0]: every row (issue 16)
def test_target_of_wrong_length_is_refused_for_one_output(make, target):
    explainer = make().fit(X[:5])
    with pytest.raises(ValueError, match=rf"target.*\(2 entries\).*got {len(target)}"):
        explainer.explain(X[:2], target=target)


def test_target_with_one_entry_per_row_still_works():
    expl = ExactShapley(LR).fit(X[:5]).explain(X[:2], target=[0, 0])
    assert expl.values.shape == (2, 3)


# 7 ---------------------------------------------------------------- sample_weight
def test_sample_weight_of_strings_names_the_parameter():
    with pytest.raises(ValueError, match=r"sample_weight must hold numbers.*'a'"):
        ExactShapley(_sum_f).fit(X[:3], sample_weight=["a", 1, 1])


# 8 ---------------------------------------------------------------- zero-row save
def test_zero_row_explanation_with_object_data_saves_and_loads(tmp_path):
    data = np.empty((0, 2, 3), dtype=object)
    e = Explanation(np.zeros((0, 2, 3)), np.zeros(0), data)
    back = Explanation.load(e.save(tmp_path / "empty"))
    assert back.values.shape == (0, 2, 3)
    assert back.data.shape == (0, 2, 3) and back.data.dtype == object


# 10 --------------------------------------------------------------- select_output name
def test_output_index_error_does_not_mention_target():
    e = Explanation(np.ones((2, 3, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"^output must have one entry per row \(1\); got 2"):
        e[0, 0, [0, 1]]


# 11 --------------------------------------------------------------- group names
def test_group_name_equal_to_a_column_name_is_refused():
    with pytest.raises(ValueError, match=r"feature_groups.*'x2'"):
        ExactShapley(_sum_f, feature_groups={"x2": [0, 1]}).fit(X[:5])


def test_group_names_that_differ_are_kept():
    ex = ExactShapley(_sum_f, feature_groups={"ab": [0, 1]}).fit(X[:5])
    assert list(ex.get_feature_names_out()) == ["ab", "x2"]
