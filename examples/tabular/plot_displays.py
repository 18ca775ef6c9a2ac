"""
================================================================
Four views of one explanation: bar, beeswarm, waterfall, heatmap
================================================================

One :class:`~skexplain.ExactShapley` explanation of a gradient-boosting
Pipeline on the diabetes data (with ``sex`` turned into a string column) seen
four ways, each a sklearn-style Display returned by
:meth:`Explanation.plot <skexplain.Explanation.plot>`: which features matter
overall, how their effect depends on their value, why one patient gets their
prediction, and which patients are explained alike.
"""

# %%
# A model and its explanation
# ---------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skexplain import ExactShapley

X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
X = X.assign(sex=X["sex"].map({1.0: "female", 2.0: "male"}))
model = make_pipeline(
    ColumnTransformer([("sex", OneHotEncoder(), ["sex"])], remainder="passthrough"),
    GradientBoostingRegressor(random_state=0),
).fit(X, y)

explainer = ExactShapley(model).fit(X.sample(25, random_state=0))
expl = explainer.explain(X.iloc[:80])
print(expl)

# %%
# Bar: mean absolute attribution
# -------------------------------
# The global ranking: how far, on average, each feature moves the prediction.
expl.plot("bar")
plt.tight_layout()

# %%
# Beeswarm: every row, coloured by the feature's value
# ----------------------------------------------------
# One dot per patient and feature.  High ``bmi`` and high ``s5`` (red) push the
# predicted disease progression up, low values (blue) push it down.  ``sex`` is
# a string column, so its dots are grey; the two clusters are the two values.
display = expl.plot("beeswarm", max_display=8)
display.ax_.set_title("ExactShapley attributions, 80 patients")

# %%
# Waterfall: one prediction, feature by feature
# ---------------------------------------------
# From the average prediction over the background, E[f(X)], to this patient's
# f(x); Shapley values are efficient, so the bars end exactly at the model's
# output.
display = expl.plot("waterfall", row=0, max_display=8)
print("f(x) on the plot:", round(display.prediction_, 3),
      "model:", round(float(model.predict(X.iloc[[0]])[0]), 3))

# %%
# Heatmap: rows explained alike sit together
# ------------------------------------------
# Patients (columns) are ordered by hierarchical clustering of their
# attributions; the line on top is each patient's f(x) - E[f(X)].
display = expl.plot("heatmap", max_display=8)
print("first rows in the clustered order:", display.row_order_[:10])
print("colour limit (99th percentile of |attribution|):", np.round(display.vmax_, 2))
