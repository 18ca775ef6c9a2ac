"""
==========================================================
Sanity checks for saliency maps (Adebayo et al., 2018)
==========================================================

Adebayo et al. ("Sanity Checks for Saliency Maps", NeurIPS 2018) asked a
simple question: does an explanation change when the model it explains is
destroyed?  They re-initialised the weights of a trained network layer by
layer, from the logits down (*cascading randomization*), and compared each
explanation with the one of the trained model.  The input gradient
(:class:`~skexplain.Saliency`) changes as soon as the top layer is randomized;
Guided Backprop (:class:`~skexplain.GuidedBackprop`) barely changes - it
behaves like an edge detector of the input, whatever the model.

This example reproduces that finding on a small CNN trained on scikit-learn's
8x8 digits in about a second, with
:func:`~skexplain.testing.model_parameter_randomization`.
"""

# %%
# Train a small CNN on the digits
# -------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from torch import nn

from skexplain import GradientXInput, GuidedBackprop, Saliency
from skexplain.testing import (RandomExplainer, model_parameter_randomization,
                               randomizable_layers, randomize_model)

torch.set_num_threads(2)
torch.manual_seed(0)
digits_X, digits_y = load_digits(return_X_y=True)
X = torch.tensor((digits_X / 16.0).reshape(-1, 1, 8, 8), dtype=torch.float32)
y = torch.tensor(digits_y)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
order = torch.Generator().manual_seed(0)
for epoch in range(4):
    perm = torch.randperm(len(X), generator=order)
    for start in range(0, len(X), 128):
        idx = perm[start:start + 128]
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
        optimizer.step()
model.eval()
print(f"training accuracy: {(model(X).argmax(1) == y).float().mean():.3f}")

# %%
# The layers that will be randomized, from the output down (the names of the
# ``nn.Sequential`` children: ``"8"`` is the logits layer, ``"0"`` the first
# convolution).  Each is re-initialised by its own ``reset_parameters`` on a
# deep copy; ``model`` itself is never modified.
rows, background = X[1500:1532].numpy(), X[:16].numpy()
print(randomizable_layers(model, rows))

# %%
# Cascading randomization
# -----------------------
# Each explainer explains the same 32 digits (for the class the trained model
# predicts) with the trained model and with models whose top 1, 2, 3, 4 layers
# are re-initialised.  ``statistic`` is the mean Spearman rank correlation of
# the absolute maps over the cascade; an explainer passes when it is at most
# the threshold (0.5), i.e. when its maps change.  A random explainer with a
# fixed seed is a control: its maps do not depend on the model at all.
explainers = {
    "Saliency": Saliency(model),
    "Gradient x Input": GradientXInput(model),
    "Guided Backprop": GuidedBackprop(model),
    "Random (control)": RandomExplainer(model, random_state=0),
}
reports = {name: model_parameter_randomization(explainer, rows, background=background)
           for name, explainer in explainers.items()}
summary = pd.DataFrame([{**r.summary(), "explainer": name} for name, r in reports.items()])
summary

# %%
# Every metric at every step (mean over the 32 digits): Spearman of absolute maps and
# of signed maps, SSIM and HOG correlation of normalised absolute maps, and the share
# of the top 10% pixels kept.
pd.concat({name: r.to_frame() for name, r in reports.items()}).round(2)

# %%
# The cascading curves
# --------------------
# As in the paper's Figure 2: similarity with the trained model's explanation
# against the number of randomized layers.  Saliency drops at once; Guided
# Backprop stays high.  Gradient x Input keeps a high *absolute* rank
# correlation because of the x factor (zero pixels get zero attribution for
# every model), while its signed correlation drops - the paper's remark that
# such maps stay visually dominated by the input.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
for ax, name in zip(axes, ["Saliency", "Gradient x Input", "Guided Backprop"]):
    reports[name].plot(ax=ax, metrics=["spearman_abs", "spearman", "ssim", "hog"])
    ax.set_title(name)
    ax.legend(fontsize="x-small")
plt.tight_layout()

# %%
# What the maps look like
# -----------------------
# One digit's absolute map for the trained model and after each step of the cascade.
layers = randomizable_layers(model, rows)
models = [model] + [randomize_model(model, layers[:k + 1], random_state=0)
                    for k in range(len(layers))]
digit = rows[:1]
target = int(model(torch.tensor(digit)).argmax())
fig, axes = plt.subplots(3, len(models), figsize=(2 * len(models), 6.2))
for row, name in enumerate(["Saliency", "Gradient x Input", "Guided Backprop"]):
    for col, m in enumerate(models):
        explainer = clone(explainers[name]).set_params(model=m).fit(background)
        heat = np.abs(explainer.explain(digit, target=target).values[0, 0])
        axes[row, col].imshow(heat, cmap="gray")
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
        if row == 0:
            axes[row, col].set_title("original" if col == 0 else f"up to {layers[col - 1]}",
                                     fontsize="small")
    axes[row, 0].set_ylabel(name, fontsize="small")
plt.tight_layout()
