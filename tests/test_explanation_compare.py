"""Explanation == Explanation, pytest.approx and np.asarray on explanations."""
import numpy as np
import pytest

from skexplain import Explanation
from skexplain._explanation_compare import difference_table


def _expl(values, names=("a", "b"), base=0.0):
    values = np.asarray(values, dtype=float)
    return Explanation(values, np.full(len(values), base), feature_names=list(names))


def test_equality_is_exact_and_one_bool():
    a = _expl([[1.0, np.nan], [3.0, 4.0]])
    assert (a == _expl([[1.0, np.nan], [3.0, 4.0]])) is True
    assert a == a  # NaN at the same place is equal: == is reflexive
    assert a != _expl([[1.0, np.nan], [3.0, 4.0 + 1e-15]])
    assert a != _expl([[1.0, np.nan], [3.0, 4.0]], names=("a", "c"))
    assert a != _expl([[1.0, np.nan], [3.0, 4.0]], base=1.0)
    assert a != _expl([[1.0, np.nan, 0.0], [3.0, 4.0, 0.0]], names="abc")
    # data, stderr, delta and metadata are not compared
    assert a == Explanation(a.values, a.base_values, data=np.ones((2, 2)), feature_names=["a", "b"],
                            delta=[0.1, 0.2], metadata={"method": "x"})


def test_not_equal_to_other_types_and_unhashable():
    a = _expl([[1.0, 2.0]])
    assert (a == a.values) is False and (a.values == a) is False  # no broadcasting
    assert a != [[1.0, 2.0]] and a is not None
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)
    with pytest.raises(TypeError):
        np.add(a, 1)


def test_asarray_is_the_values():
    a = _expl([[1.0, 2.0]])
    assert np.asarray(a) is a.values
    assert np.asarray(a, dtype=np.float32).dtype == np.float32
    copied = np.array(a, copy=True)
    copied[0, 0] = 9.0
    assert a.values[0, 0] == 1.0
    with pytest.raises(ValueError, match="needs a copy"):
        np.asarray(a, dtype=np.float32, copy=False)


def test_pytest_approx_compares_values():
    a = _expl([[1.0, 2.0], [3.0, 4.0]])
    assert a == pytest.approx(a.values + 1e-9)
    assert pytest.approx(a.values + 1e-9) == a
    assert a == pytest.approx(_expl([[1.0, 2.0], [3.0, 4.0 + 1e-9]]))
    assert a != pytest.approx(a.values + 0.1)
    assert a == pytest.approx(a.values + 0.1, abs=0.2)
    assert a != pytest.approx(np.zeros((2, 3)))


def test_difference_table_marks_one_sided_nan():
    a = np.array([[1.0, np.nan], [np.nan, 2.0]])
    b = np.array([[1.0, np.nan], [0.0, 2.0]])
    n, lines = difference_table(a, b, ["x", "y"])
    assert n == 1
    assert lines[1].split() == ["x", "1", "of", "2", "inf", "1", "nan", "0"]
    assert difference_table(a, a, ["x", "y"]) == (0, [])
