"""
=======================================================
KernelSHAP: Shapley values on a budget, with error bars
=======================================================

:class:`~skexplain.KernelSHAP` estimates interventional Shapley values from a
budget of ``n_samples`` coalitions per explained row and background row.  It
enumerates the coalition sizes the budget covers, samples the rest in
complementary pairs without replacement, and solves a weighted least squares
problem whose efficiency constraint holds exactly.  Every attribution comes
with a standard error, the budget goes where those errors are largest
(``allocation``), and it can stop early once the errors are small (``tol``).
"""

# %%
# A model with ten features
# -------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor

from skexplain import ExactShapley, KernelSHAP

X, y = load_diabetes(return_X_y=True, as_frame=True)
model = GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0).fit(X, y)
background, rows = X.sample(20, random_state=0), X.iloc[:12]

# %%
# Estimate with 60 coalitions per row and background row
# ------------------------------------------------------
# ``metadata["n_model_rows"]`` counts the model evaluations, so budgets can be
# compared across methods.
explainer = KernelSHAP(model, n_samples=60, random_state=0).fit(background)
expl = explainer.explain(rows)
print(expl)
print("model rows per explained row:", expl.metadata["n_model_rows"] / len(rows))
print("efficiency gap:",
      np.abs(expl.values.sum(axis=1) + expl.base_values - model.predict(rows)).max())

# %%
# Compare with the exact values
# -----------------------------
# With ten features the 1022 proper coalitions can still be enumerated.  The
# error bars are the reported standard errors (1.96 of them: 95% intervals).
exact = ExactShapley(model).fit(background).explain(rows)
fig, ax = plt.subplots(figsize=(5, 5))
ax.errorbar(exact.values.ravel(), expl.values.ravel(), yerr=1.96 * expl.stderr.ravel(),
            fmt="o", ms=3, alpha=0.6)
lim = np.abs(exact.values).max() * 1.1
ax.plot([-lim, lim], [-lim, lim], "k--", lw=1)
ax.set_xlabel("exact Shapley value")
ax.set_ylabel("KernelSHAP estimate (95% interval)")
inside = np.abs(expl.values - exact.values) <= 1.96 * expl.stderr
ax.set_title(f"{inside.mean():.0%} of the intervals cover the truth")
plt.tight_layout()

# %%
# Error against budget
# --------------------
# The reported standard errors follow the actual error as the budget grows;
# a budget of ``2^d - 2`` coalitions gives the exact values (zero error bars).
budgets = [40, 100, 250, 1022]
actual, reported = [], []
for n_samples in budgets:
    e = KernelSHAP(model, n_samples=n_samples, random_state=0).fit(background).explain(rows)
    actual.append(np.sqrt(np.mean((e.values - exact.values) ** 2)))
    reported.append(np.sqrt(np.mean(e.stderr ** 2)))
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.loglog(budgets[:-1], actual[:-1], "o-", label="actual RMS error")
ax.loglog(budgets[:-1], reported[:-1], "s--", label="reported RMS stderr")
ax.set_xlabel("n_samples (coalitions)")
ax.legend()
print("error with the full budget:", actual[-1])
plt.tight_layout()

# %%
# Where the budget goes: adaptive allocation
# ------------------------------------------
# From 12 coalitions per feature, a row's budget is not split equally between
# its background rows (``allocation="adaptive"``, the default): every game
# first plays half of ``n_samples``, and the rest goes to the games whose
# pilot shows the largest standard errors.  The model rows are the same;
# the error is lower because nearly additive games need few coalitions.
for allocation in ["equal", "adaptive"]:
    errors, n_rows = [], 0
    for seed in range(5):
        e = KernelSHAP(model, n_samples=160, allocation=allocation,
                       random_state=seed).fit(background).explain(rows)
        errors.append(np.sqrt(np.mean((e.values - exact.values) ** 2)))
        n_rows = e.metadata["n_model_rows"]
    print(f"{allocation:>8}: RMS error {np.mean(errors):.3f} with {n_rows} model rows")

# %%
# Stop when the estimate is precise enough
# ----------------------------------------
# With ``tol`` the coalitions are evaluated in rounds and a row stops once its
# largest standard error is below ``tol`` times the spread of its values.
quick = KernelSHAP(model, n_samples=300, tol=0.05, random_state=0).fit(background)
quick_expl = quick.explain(rows)
print("converged rows:", sum(quick_expl.metadata["converged"]), "of", len(rows))
print("model rows used:", quick_expl.metadata["n_model_rows"], "instead of about",
      300 * len(background) * len(rows))
