"""
==========================================
The background: what it means, what size
==========================================

Interventional Shapley values answer "how much did each feature move the
prediction at ``x`` away from the model's *average over the background*?".
The background is therefore part of the question, not a detail:

* its **mean prediction** is the base value every explanation starts from;
* **which rows** it holds decides what the attributions compare ``x`` with
  (the whole population, or a reference group);
* **how many rows** it holds decides the sampling noise of that comparison,
  and the cost: every explained row costs a number of model rows
  proportional to the background size.

This example measures both effects with :class:`~skexplain.ExactShapley`
(exact for a given background, so every difference comes from the
background).
"""

# %%
# A model and a large reference background
# ----------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor

from skexplain import ExactShapley

X, y = load_diabetes(return_X_y=True, as_frame=True)
model = GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=0).fit(X, y)
rows = X.iloc[:8]
reference = ExactShapley(model).fit(X.sample(150, random_state=0)).explain(rows)
print(f"base value with 150 background rows: {reference.base_values[0]:.1f}")

# %%
# Background size: sampling noise
# -------------------------------
# Draw backgrounds of 5 to 100 rows (three draws each) and compare the
# attributions with those of the 150-row background.  The error is the mean
# absolute difference relative to the mean absolute attribution.  It shrinks
# roughly as one over the square root of the size, while the cost grows
# linearly with it: a few dozen rows are usually enough, and
# ``explain(...).base_values`` shows how far the base value moved.
sizes, errors, base_moves = [5, 20, 50, 100], [], []
scale = np.abs(reference.values).mean()
for size in sizes:
    err, move = [], []
    for seed in range(3):
        background = X.sample(size, random_state=100 + seed)
        expl = ExactShapley(model).fit(background).explain(rows)
        err.append(np.abs(expl.values - reference.values).mean() / scale)
        move.append(abs(expl.base_values[0] - reference.base_values[0]))
    errors.append(np.mean(err))
    base_moves.append(np.mean(move))
    print(f"{size:4d} background rows: relative error {errors[-1]:.2f}, "
          f"base value moved by {base_moves[-1]:.1f}")

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.loglog(sizes, errors, "o-", label="attributions (relative error)")
ax.loglog(sizes, errors[0] * np.sqrt(sizes[0] / np.asarray(sizes)), "k:",
          label="1 / sqrt(size)")
ax.set_xlabel("background rows")
ax.set_ylabel("error against 150 rows")
ax.legend()
fig.tight_layout()

# %%
# Which rows: the question changes
# --------------------------------
# Against the whole population, a patient with a high ``bmi`` gets a large
# positive ``bmi`` attribution.  Against a reference group of patients who
# also have a high ``bmi``, the same patient's ``bmi`` is unremarkable (or even
# low) and its attribution shrinks or changes sign, while the base value rises
# to the group's mean prediction: the attributions answer "compared with whom?".
high = X[X["bmi"] > X["bmi"].quantile(0.75)]
patient = high.iloc[[0]]
population = ExactShapley(model).fit(X.sample(50, random_state=0)).explain(patient)
peers = ExactShapley(model).fit(high.sample(50, random_state=0)).explain(patient)
print(f"bmi attribution against the population: {population.to_frame()['bmi'].iloc[0]:.1f}")
print(f"bmi attribution against high-bmi peers: {peers.to_frame()['bmi'].iloc[0]:.1f}")
print(f"base values: {population.base_values[0]:.1f} (population), "
      f"{peers.base_values[0]:.1f} (peers)")
