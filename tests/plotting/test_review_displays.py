"""Display inputs the authors did not choose: many rows, NaN attributions."""
import numpy as np
import pytest

from skexplain import Explanation
from skexplain.plotting import _heatmap


def test_heatmap_hclust_on_too_many_rows_falls_back_to_prediction_order(pyplot, monkeypatch):
    # the cap is lowered so that the test stays fast; 20000 rows took 49 s before
    monkeypatch.setattr(_heatmap, "MAX_HCLUST_ROWS", 30)
    values = np.random.default_rng(0).normal(size=(40, 3))
    e = Explanation(values, np.zeros(40))
    with pytest.warns(UserWarning, match="order='hclust' clusters at most 30 rows"):
        disp = e.plot("heatmap")
    np.testing.assert_array_equal(disp.row_order_,
                                  np.argsort(-values.sum(axis=1), kind="stable"))
    assert "by f(x) - E[f(X)]" in disp.ax_.get_xlabel()
