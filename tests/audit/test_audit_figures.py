"""The importance figure shows the table's bootstrap intervals."""
import numpy as np
import pandas as pd
import pytest

from skexplain import Explanation
from skexplain.audit._figures import _bars_with_intervals


def test_error_bars_are_the_bootstrap_intervals_of_each_bar():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = Explanation(np.array([[1.0, -4.0, 0.5], [3.0, 2.0, -0.5]]), np.zeros(2),
                    feature_names=["a", "b", "c"])
    table = pd.DataFrame({"feature": ["b", "a", "c"], "mean_abs": [3.0, 2.0, 0.5],
                          "ci_low": [2.0, 1.0, 0.5], "ci_high": [4.0, 3.5, 0.5]})
    disp = _bars_with_intervals(e.plot("bar"), table)
    try:
        # bars bottom to top: c, a, b; each error segment spans [ci_low, ci_high]
        segments = disp.intervals_.lines[2][0].get_segments()
        spans = [(seg[0][0], seg[1][0]) for seg in segments]
        assert spans == [(0.5, 0.5), (1.0, 3.5), (2.0, 4.0)]
        assert disp.bars_[0].patches[0].get_width() == 0.5
    finally:
        plt.close("all")
