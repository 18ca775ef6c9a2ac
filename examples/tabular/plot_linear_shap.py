"""
===================================================
LinearSHAP: exact Shapley values through a Pipeline
===================================================

A linear model behind preprocessing that acts on one column at a time (scalers,
imputers, one-hot encoding, a ColumnTransformer of those) is additive in the
raw columns, so its Shapley values have a closed form:
:class:`~skexplain.LinearSHAP` computes them in one ``transform`` of the rows,
sums one-hot blocks back to their column, and explains classifiers in margin
space (``decision_function``), where they are linear.
"""

# %%
# A Pipeline with a string column and missing values
# --------------------------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skexplain import ExactShapley, LinearSHAP

X, y = load_diabetes(return_X_y=True, as_frame=True)
X = X.assign(sex=np.where(X["sex"] > 0, "male", "female"))
X.loc[X.index[::15], "bmi"] = np.nan  # the imputer fills these
y = (y > y.median()).astype(int)  # a classifier: high or low disease progression
numeric = [c for c in X.columns if c != "sex"]
model = make_pipeline(
    ColumnTransformer([
        ("sex", OneHotEncoder(), ["sex"]),
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
    ]),
    LogisticRegression(max_iter=1000),
).fit(X, y)

# %%
# Explain the margin of every row
# -------------------------------
explainer = LinearSHAP(model).fit(X.sample(100, random_state=0))
start = time.perf_counter()
expl = explainer.explain(X)
print(f"{len(X)} rows explained in {time.perf_counter() - start:.3f} s")
print(expl)
print("efficiency gap:",
      np.abs(expl.values.sum(axis=1) + expl.base_values - model.decision_function(X)).max())

# %%
# The same values as exact enumeration
# ------------------------------------
exact = ExactShapley(model, output="decision_function").fit(X.sample(100, random_state=0))
gap = np.abs(exact.explain(X.iloc[:5]).values - expl.values[:5]).max()
print(f"largest difference to ExactShapley on 5 rows: {gap:.1e}")

# %%
# Mean absolute attribution per raw column
# ----------------------------------------
display = expl.plot("bar")
display.ax_.set_title("LinearSHAP on a Pipeline (margin space)")
plt.tight_layout()
