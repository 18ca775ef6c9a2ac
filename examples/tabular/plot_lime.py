"""
==============================================================
LIME: local surrogates on a Pipeline with string columns
==============================================================

:class:`~skexplain.LIME` follows the tabular procedure of the lime package:
around each explained row it samples every column from the background (numeric
columns by quartile bins, string and categorical columns by category), weights
the samples by their distance to the row, and fits a weighted ridge surrogate
on "is in the row's bin / category" indicators.  The values are the
surrogate's coefficients; its intercept, weighted R^2 and local prediction are
kept in ``Explanation.extras``.  String columns reach the Pipeline as strings:
no encoding by the user.
"""

# %%
# A Pipeline with a string and a categorical column
# -------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skexplain import LIME, ExactShapley

rng = np.random.default_rng(0)
n = 600
X = pd.DataFrame({
    "age": rng.integers(18, 80, n),
    "city": rng.choice(["paris", "lyon", "nice", "lille"], n).astype(object),
    "plan": pd.Categorical(rng.choice(["basic", "pro"], n)),
    "usage": rng.gamma(2.0, 2.0, n),
    "noise": rng.normal(size=n),
})
y = (0.05 * X["age"] + 3.0 * (X["city"] == "paris") + 1.5 * (X["plan"] == "pro")
     + 0.4 * X["usage"] + 0.3 * rng.normal(size=n))
encoder = make_column_transformer((OneHotEncoder(), ["city", "plan"]), remainder="passthrough")
model = make_pipeline(encoder, GradientBoostingRegressor(random_state=0)).fit(X, y)
background, rows = X.iloc[:300], X.iloc[300:310]

# %%
# Explain ten rows
# ----------------
# ``fit`` learns the bins and category frequencies of the background; one
# design of 5000 samples is drawn per ``explain`` call and shared by the rows,
# so a row's values do not depend on the rows explained with it.
explainer = LIME(model, random_state=0).fit(background)
print("categorical columns:", list(X.columns[explainer.categorical_features_]))
print("bin edges of 'age':", explainer.bin_edges_[0])
expl = explainer.explain(rows)
print(expl)
print(pd.DataFrame({k: v for k, v in expl.extras.items()}, index=rows.index).round(3))

# %%
# Compare with exact Shapley values
# ---------------------------------
# LIME's coefficients and Shapley values answer different questions (the
# effect of being in the row's bin or category, against the effect of the
# row's value relative to the background).  Both find the four columns the
# model uses and give the noise column about nothing; they weigh the four
# differently (LIME's binary "same category" feature gives ``plan`` a full
# effect per row, whatever the share of rows that have it).
exact = ExactShapley(model).fit(background.sample(30, random_state=0)).explain(rows)
ranks = pd.DataFrame({
    "LIME mean |coef|": np.abs(expl.values).mean(axis=0),
    "Shapley mean |phi|": np.abs(exact.values).mean(axis=0),
}, index=X.columns)
print(ranks.sort_values("Shapley mean |phi|", ascending=False).round(3))

fig, ax = plt.subplots(figsize=(6, 3.5))
ranks.div(ranks.max()).plot.barh(ax=ax)
ax.set_xlabel("mean absolute value (scaled to the largest)")
ax.set_title("LIME and exact Shapley on the same rows")
fig.tight_layout()
