import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def string_frame():
    """A DataFrame with a string column (with missing values) and numbers."""
    rng = np.random.default_rng(1)
    n = 120
    city = rng.choice(["paris", "lyon", "nice"], size=n).astype(object)
    city[::17] = None
    frame = pd.DataFrame({
        "age": rng.normal(40, 10, n),
        "city": city,
        "income": rng.normal(3.0, 1.0, n),
        "score": rng.integers(0, 5, n),
    })
    y = ((frame["age"] > 40) ^ (frame["city"] == "lyon")).astype(int)
    return frame, y


@pytest.fixture
def string_pipeline(string_frame):
    frame, y = string_frame
    pre = ColumnTransformer([
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                              OneHotEncoder(handle_unknown="ignore")), ["city"]),
        ("num", StandardScaler(), ["age", "income", "score"]),
    ])
    return make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(frame, y)
