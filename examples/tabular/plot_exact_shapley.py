"""
=======================================================
Exact Shapley values for a Pipeline with string columns
=======================================================

:class:`~skexplain.ExactShapley` computes interventional Shapley values by
evaluating every coalition of features once per row.  Because it calls the
Pipeline on *raw* rows, a string column that the Pipeline one-hot encodes gets
one attribution under its own name, and the attributions of each row add up to
``predict_proba`` exactly.
"""

# %%
# A Pipeline on a DataFrame with a string column
# ----------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skexplain import ExactShapley

X, y = load_diabetes(return_X_y=True, as_frame=True)
X = X.assign(sex=np.where(X["sex"] > 0, "male", "female"))
model = make_pipeline(
    ColumnTransformer([("sex", OneHotEncoder(), ["sex"])], remainder="passthrough"),
    GradientBoostingRegressor(random_state=0),
).fit(X, y)

# %%
# Fit on a background sample, explain some rows
# ---------------------------------------------
explainer = ExactShapley(model).fit(X.sample(50, random_state=0))
expl = explainer.explain(X.iloc[:20])
print(expl)
print("efficiency gap:",
      np.abs(expl.values.sum(axis=1) + expl.base_values - model.predict(X.iloc[:20])).max())
expl.to_frame().head()

# %%
# Mean absolute attribution per raw column
# ----------------------------------------
display = expl.plot("bar")
display.ax_.set_title("ExactShapley on a Pipeline (diabetes)")
plt.tight_layout()

# %%
# Feature groups and interaction values
# -------------------------------------
# Groups are switched together and credited as one feature; ``interactions=True``
# returns pairwise Shapley interaction values whose rows sum to the Shapley values.
grouped = ExactShapley(model, feature_groups={"blood serum": ["s1", "s2", "s3", "s4",
                                                              "s5", "s6"]})
print(grouped.fit(X.sample(50, random_state=0)).explain(X.iloc[:3]).to_frame())

pairs = ExactShapley(model, interactions=True).fit(X.sample(20, random_state=0))
inter = pairs.explain(X.iloc[:5])
print("rows of the interaction matrix sum to the Shapley values:",
      np.allclose(inter.values.sum(axis=2),
                  ExactShapley(model).fit(X.sample(20, random_state=0)).explain(
                      X.iloc[:5]).values))
fig, ax = plt.subplots()
im = ax.imshow(np.abs(inter.values).mean(axis=0), cmap="viridis")
ax.set_xticks(range(10), inter.feature_names, rotation=90)
ax.set_yticks(range(10), inter.feature_names)
fig.colorbar(im, label="mean |interaction value|")
plt.tight_layout()
