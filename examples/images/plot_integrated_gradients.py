"""
======================================================
Integrated Gradients on digits: completeness and steps
======================================================

:class:`~skexplain.IntegratedGradients` attributes the difference between a
network's output at an image and at a baseline to the pixels, by integrating
the gradient along the straight path between them (Sundararajan et al., 2017).
The attributions of an image add up to ``f(x) - f(baseline)`` up to the error
of the quadrature rule, which every explanation reports in ``delta``.

This example trains a small CNN on scikit-learn's 8x8 digits, draws the maps,
checks completeness, compares quadrature rules, and computes the "expected
saliency" global importance of Horel et al. (2018) with
:class:`~skexplain.Saliency`.
"""

# %%
# A small CNN trained on the digits
# ---------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from skexplain import IntegratedGradients, Saliency

torch.set_num_threads(2)
torch.manual_seed(0)
digits_X, digits_y = load_digits(return_X_y=True)
X = torch.tensor((digits_X / 16.0).reshape(-1, 1, 8, 8), dtype=torch.float32)
y = torch.tensor(digits_y)

# Smooth activations (tanh) make the integrand smooth, the case where the
# quadrature rules below show their textbook orders.
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
    nn.Linear(16 * 16, 32), nn.Tanh(), nn.Linear(32, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(4):
    for idx in torch.randperm(len(X)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
        optimizer.step()
model.eval()
print(f"training accuracy: {(model(X).argmax(1) == y).float().mean():.3f}")

# %%
# Attribution maps
# ----------------
# ``fit`` takes the baseline(s): one black image is the classic baseline.  The
# target defaults to the class the model predicts.  Red pixels push the
# predicted logit up relative to the black image, blue ones down.
explainer = IntegratedGradients(model, n_steps=32).fit(np.zeros((1, 1, 8, 8)))
images = X[1700:1706]
expl = explainer.explain(images)

fig, axes = plt.subplots(2, 6, figsize=(11, 4))
for i in range(6):
    axes[0, i].imshow(images[i, 0].numpy(), cmap="gray_r")
    axes[0, i].set_title(f"predicted {expl.metadata['target'][i]}")
    heat = expl.values[i, 0]
    lim = np.abs(heat).max()
    axes[1, i].imshow(heat, cmap="bwr", vmin=-lim, vmax=lim)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()

# %%
# Completeness
# ------------
# Each row of attributions sums to the logit minus the baseline's logit;
# ``delta`` is what is left over (here tiny: Gauss-Legendre on a smooth model).
with torch.no_grad():
    logits = model(images)[range(6), expl.metadata["target"]].numpy()
print("sum of attributions :", np.round(expl.values.sum(axis=(1, 2, 3)), 4))
print("f(x) - f(baseline)  :", np.round(logits - expl.base_values, 4))
print("delta               :", np.abs(expl.delta).max())

# %%
# Which quadrature rule?
# ----------------------
# The completeness gap as a function of the number of steps.  Left/right
# Riemann sums are first order; the midpoint and (correctly weighted)
# trapezoid rules second order; Gauss-Legendre converges much faster on
# smooth networks.  captum's ``riemann_trapezoid`` weights sum to
# ``(n - 1) / n`` instead of one, so it would stall at a 1/n relative gap.
steps = [2, 4, 8, 16, 32, 64]
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for method in ["riemann_left", "riemann_middle", "riemann_trapezoid", "gausslegendre"]:
    gaps = [np.abs(IntegratedGradients(model, n_steps=n, method=method)
                   .fit(np.zeros((1, 1, 8, 8))).explain(images).delta).mean() for n in steps]
    ax.loglog(steps, np.maximum(gaps, 1e-9), marker="o", label=method)
ax.set_xlabel("n_steps")
ax.set_ylabel("mean |delta|")
ax.legend(fontsize="small")
plt.tight_layout()

# %%
# Averaging over a background
# ---------------------------
# With several baseline rows the attributions are averaged over them, and
# they sum to ``f(x)`` minus the *mean* baseline output (``base_values``).
background = X[:20]
expl_bg = IntegratedGradients(model, n_steps=16).fit(background).explain(images)
print("base_values:", np.round(expl_bg.base_values, 3))
print("max |delta|:", np.abs(expl_bg.delta).max())

# %%
# Expected saliency (global importance)
# -------------------------------------
# Horel et al. (2018) measure a feature's global importance by the root mean
# square of the model's gradient over the data: ``kind="rms"``, here for the
# logit of the digit "0" over all images, normalised to shares.
grads = Saliency(model).fit(X[:10]).explain(X, target=0)
importance = grads.global_importance(kind="rms", normalize=True)
fig, ax = plt.subplots(figsize=(3.5, 3.2))
im = ax.imshow(importance[0], cmap="viridis")
ax.set_title('expected saliency of "0"')
fig.colorbar(im, ax=ax)
plt.tight_layout()
