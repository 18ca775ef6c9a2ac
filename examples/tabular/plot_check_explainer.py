"""
=====================================================
Checking an explainer: conformance, axioms and sanity
=====================================================

:func:`~skexplain.check_explainer` is scikit-learn's ``check_estimator`` for
explainers.  It runs every check that applies to an explainer, chosen from the
tags the explainer declares:

* **API checks** - cloning, parameters, fitted state, pickling, output shapes,
  determinism, independence of ``batch_size``/``n_jobs``, no mutation of the
  data or the model, clear errors on bad input;
* **axiom checks** - only the axioms the explainer claims (efficiency, dummy,
  symmetry, linearity, exactness on linear models, agreement with
  :class:`~skexplain.ExactShapley`), on toy models whose attributions are known;
* **randomization sanity checks** (Adebayo et al., 2018) - explanations must
  change when the model's parameters are re-initialised or when the model is
  retrained on permuted labels.

Every result reports the measured statistic next to its threshold.
"""

# %%
# Check an explainer on your own data
# -----------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor

from skexplain import ExactShapley, Explanation
from skexplain.testing import (ConstantExplainer, RandomExplainer, check_explainer,
                               data_randomization)

pd.set_option("display.max_colwidth", 70)
X, y = load_diabetes(return_X_y=True, as_frame=True)
X = X[["age", "bmi", "bp", "s1", "s5"]]
model = GradientBoostingRegressor(n_estimators=50, max_depth=2, random_state=0).fit(X, y)

# Like scikit-learn's checks, the checks run on small samples drawn from the
# data with ``random_state`` (8 rows explained against 20 background rows, 200
# rows to retrain on permuted labels), so passing the whole dataset is cheap;
# ``verbose=1`` prints each check's status and time to stderr as it runs.
results = check_explainer(ExactShapley(model), X, y)
print(results)
results.to_frame()[["check", "status", "statistic", "threshold"]]

# %%
# Without data, ``check_explainer`` clones the model and fits it on a toy
# problem.  A check that is expected to fail can be declared with its reason;
# ``on_fail=None`` records failures instead of raising.


class Sloppy(ExactShapley):
    """Attributions 10% too large: they no longer add up to f(x) - base."""

    def _explain_all(self, X):
        expl = super()._explain_all(X)
        return Explanation(1.1 * expl.values, expl.base_values, expl.data,
                           expl.feature_names, expl.output_names)


sloppy = check_explainer(Sloppy(model), X, y, on_fail=None,
                         checks=["check_efficiency", "check_linear_exactness"])
sloppy.to_frame()[["check", "status", "statistic", "threshold", "message"]]

# %%
# In a test suite
# ---------------
# :func:`~skexplain.testing.parametrize_with_checks` makes one pytest test per
# explainer and check, with ids like
# ``ExactShapley(model=GradientBoostingRegressor)-check_efficiency``::
#
#     from skexplain.testing import parametrize_with_checks
#
#     @parametrize_with_checks([ExactShapley(GradientBoostingRegressor())])
#     def test_my_explainers(explainer, check):
#         check(explainer)
#
# Data randomization on a tabular model
# -------------------------------------
# The model is retrained on permuted labels and the explanations of the same
# rows are compared (signed Spearman rank correlation for tabular data).  A
# real explainer's attributions change; the control explainers - random noise
# with a fixed seed, and a constant - do not depend on the model at all.
rows, background = X.iloc[:40], X.iloc[200:240]
reports = [
    data_randomization(explainer, X, y, X_explain=rows, background=background, n_repeats=3)
    for explainer in (ExactShapley(model), RandomExplainer(model, random_state=0),
                      ConstantExplainer(model))
]
pd.DataFrame([r.summary() for r in reports])

# %%
# Each report also holds every similarity metric.
fig, ax = plt.subplots(figsize=(5, 3))
table = pd.concat({r.explainer_name: r.to_frame().iloc[0] for r in reports}, axis=1).T
table.plot.bar(ax=ax, rot=0)
ax.axhline(reports[0].threshold, color="gray", linestyle="--", linewidth=1)
ax.set_ylabel("similarity after retraining\non permuted labels")
ax.set_ylim(-0.5, 1.05)
plt.tight_layout()
print(np.round(table, 3))
