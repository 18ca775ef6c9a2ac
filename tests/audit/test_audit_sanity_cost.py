"""The sanity check runs on a few rows and a subsample of the background."""
import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from skexplain import ExactShapley
from skexplain.audit._checks import SANITY_BACKGROUND, SANITY_ROWS, sanity_check


def test_sanity_check_subsamples_rows_and_background_and_still_passes():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = X @ [2.0, -1.0, 0.5, 0.0]
    model = Ridge().fit(X, y)
    background = X.iloc[:60]
    result = sanity_check(ExactShapley(model), model, X, y, X.iloc[100:150], background, 0)
    assert result["n_rows"] == SANITY_ROWS
    assert result["n_background"] == SANITY_BACKGROUND < len(background)
    assert result["passed"]
    assert len(background) == 60  # the caller's background is not cut


def test_sanity_check_keeps_a_small_background_whole():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, 2.0, 0.0]
    model = Ridge().fit(X, y)
    result = sanity_check(ExactShapley(model), model, X, y, X[:5], X[:8], 0)
    assert result["n_rows"] == 5 and result["n_background"] == 8
