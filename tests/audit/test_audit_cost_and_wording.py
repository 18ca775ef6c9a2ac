"""The sanity check's cost (few rows, a background subsample) and findings that stay readable."""
import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from skexplain import ExactShapley
import skexplain.audit._checks as checks
from skexplain.audit._checks import SANITY_BACKGROUND, SANITY_ROWS, sanity_check


def test_sanity_check_subsamples_rows_and_background(monkeypatch):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = X @ [2.0, -1.0, 0.5, 0.0]
    model = Ridge().fit(X, y)
    background = X.iloc[:60]
    result = sanity_check(ExactShapley(model), model, X, y, X.iloc[100:150], background, 0)
    assert result["n_rows"] == SANITY_ROWS
    assert result["n_background"] == SANITY_BACKGROUND < len(background)
    assert len(background) == 60  # the caller's background is not cut
    # the subsample does not move the statistic: the same check on 50 rows and the
    # whole background gives nearly the same similarity (seeds 0-2: 0.59/0.58,
    # -0.24/-0.21, -0.56/-0.55: seed 0's permutations happen to give a Ridge
    # coefficients of the trained signs)
    monkeypatch.setattr(checks, "SANITY_ROWS", 50)
    monkeypatch.setattr(checks, "SANITY_BACKGROUND", 60)
    full = sanity_check(ExactShapley(model), model, X, y, X.iloc[100:150], background, 0)
    assert full["n_rows"] == 50 and full["n_background"] == 60
    assert abs(full["statistic"] - result["statistic"]) < 0.1


def test_sanity_check_keeps_a_small_background_whole():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, 2.0, 0.0]
    model = Ridge().fit(X, y)
    result = sanity_check(ExactShapley(model), model, X, y, X[:5], X[:8], 0)
    assert result["n_rows"] == 5 and result["n_background"] == 8


def test_long_feature_lists_in_findings_are_shortened():
    from skexplain.audit._findings import concentration_findings, negligible_findings

    names = [f"f{i}" for i in range(30)]
    share = np.r_[np.full(20, 0.049), np.full(10, 0.002)]
    table = pd.DataFrame({"feature": names, "share": share / share.sum()})
    text = concentration_findings(table)[0]["text"]
    assert "f0, f1, f2, f3, f4, f5 and " in text and "f10" not in text, text
    small = negligible_findings(table)[0]["text"]
    assert small.startswith("10 feature(s)") and "and 4 more" in small, small


def test_the_report_title_names_the_model():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skexplain.audit._audit import model_name

    assert model_name(make_pipeline(StandardScaler(), "passthrough", Ridge())) == \
        "StandardScaler -> Ridge"
    assert model_name(Ridge()) == "Ridge"
    assert model_name(lambda X: X) == "<lambda>"
