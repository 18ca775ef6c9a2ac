import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from skexplain import Explanation  # noqa: E402
from skexplain.plotting import BarDisplay  # noqa: E402


def test_bars_sorted_with_error_bars():
    values = np.array([[1.0, -4.0, 0.5], [3.0, 2.0, -0.5]])
    stderr = np.array([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]])
    e = Explanation(values, np.zeros(2), feature_names=["a", "b", "c"], stderr=stderr)
    disp = e.plot("bar", max_display=2)
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels == ["a", "b"]  # top two, largest on top
    widths = [p.get_width() for p in disp.bars_[0].patches]
    np.testing.assert_allclose(widths, [2.0, 3.0])
    # error bar: sqrt(sum_r se^2) / n for feature b = sqrt(0.08) / 2
    np.testing.assert_allclose(disp.errors, [np.sqrt(0.02) / 2, np.sqrt(0.08) / 2])
    assert disp.figure_ is disp.ax_.figure


def test_given_axes_are_used():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    e = Explanation(np.ones((2, 2)), np.zeros(2), feature_names=["a", "b"])
    assert BarDisplay.from_explanation(e, ax=ax).ax_ is ax
    plt.close(fig)


def test_errors():
    image = Explanation(np.ones((1, 2, 2)), np.zeros(1))
    with pytest.raises(ValueError, match="one feature axis"):
        image.plot("bar")
    e = Explanation(np.ones((2, 2)), np.zeros(2), feature_names=["a", "b"])
    with pytest.raises(ValueError, match="kind must be one of"):
        e.plot("violin")
    with pytest.raises(ValueError, match="max_display must be a positive integer"):
        e.plot("bar", max_display=0)
