"""Small models whose truth is known, and their audits (imported by the audit tests)."""
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder


@pytest.fixture(scope="session")
def agg():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@pytest.fixture(scope="session")
def linear_data():
    """y = 3 up - 2 down + 4 [group == "b"]; "unused" has no effect."""
    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame({"up": rng.normal(size=n), "down": rng.normal(size=n),
                      "unused": rng.normal(size=n),
                      "group": rng.choice(["a", "b"], size=n)})
    y = 3 * X["up"] - 2 * X["down"] + 4 * (X["group"] == "b") + rng.normal(scale=0.1, size=n)
    model = make_pipeline(
        ColumnTransformer([("onehot", OneHotEncoder(), ["group"])], remainder="passthrough"),
        LinearRegression()).fit(X, y)
    # "unused" gets a coefficient of exactly 0 so its attributions are exactly 0
    model[-1].coef_[-1] = 0.0
    return model, X, y.to_numpy()


@pytest.fixture(scope="session")
def linear_report(linear_data, agg):
    model, X, y = linear_data
    return __import__("skexplain").audit(model, X, y, n_rows=40, n_background=20, top=3)


@pytest.fixture(scope="session")
def binary_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 4))
    y = (2 * X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=150) > 0).astype(int)
    return LogisticRegression().fit(X, y), X, y


@pytest.fixture(scope="session")
def binary_report(binary_data, agg):
    model, X, y = binary_data
    return __import__("skexplain").audit(model, X, y, n_rows=30, n_background=20, top=2)
