"""
=================================
Occlusion maps of a CNN on digits
=================================

:class:`~skexplain.Occlusion` (Zeiler & Fergus, 2014) hides a patch of the
image and records how much the network's score drops.  A window slides over
the image with a stride, as in captum's ``Occlusion``; each pixel gets the
mean drop over the windows that covered it.  No gradient is needed, so it
works for any model, and the price is one forward pass per window.

This example trains a small CNN on scikit-learn's 8x8 digits and draws
occlusion maps of the predicted class next to the images.
"""

# %%
# A small CNN trained on the digits
# ---------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from skexplain import Occlusion

torch.set_num_threads(2)
torch.manual_seed(0)
digits_X, digits_y = load_digits(return_X_y=True)
X = torch.tensor((digits_X / 16.0).reshape(-1, 1, 8, 8), dtype=torch.float32)
y = torch.tensor(digits_y)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(16 * 16, 32), nn.ReLU(), nn.Linear(32, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(3):
    for idx in torch.randperm(len(X)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
        optimizer.step()
model.eval()
print(f"training accuracy: {(model(X).argmax(1) == y).float().mean():.3f}")

# %%
# Occlusion maps
# --------------
# ``fit`` takes the reference that fills the occluded window: one blank image
# (zeros, no ink) is used as it is, like captum's zero baseline; several
# background images would give their mean image.  The window and the stride
# have one entry per non-batch dimension (channel, height, width).  ``target``
# picks the class whose logit is explained, here the predicted one.  Red: ink
# there raises the predicted logit (hiding it lowers the score); blue: hiding
# it raises the score.
images = X[1700:1706]
with torch.no_grad():
    predicted = model(images).argmax(1).tolist()
explainer = Occlusion(model, window=(1, 3, 3), stride=(1, 1, 1)).fit(np.zeros((1, 1, 8, 8)))
expl = explainer.explain(images, target=predicted)
print("values:", expl.values.shape, "model rows:", expl.metadata["n_model_rows"])

fig, axes = plt.subplots(2, 6, figsize=(11, 4))
for i in range(6):
    axes[0, i].imshow(images[i, 0].numpy(), cmap="gray_r")
    axes[0, i].set_title(f"predicted {predicted[i]}")
    heat = expl.values[i, 0]
    lim = np.abs(heat).max()
    axes[1, i].imshow(heat, cmap="bwr", vmin=-lim, vmax=lim)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()

# %%
# Window size
# -----------
# Small windows give sharp but noisy maps (a single pixel rarely matters on
# its own); large ones give smooth, coarse maps.  Windows that do not divide
# the image are cut off at the border, as in captum.
settings = [((1, 1, 1), (1, 1, 1)), ((1, 2, 2), (1, 1, 1)), ((1, 3, 3), (1, 1, 1)),
            ((1, 4, 4), (1, 3, 3))]
fig, axes = plt.subplots(1, len(settings) + 1, figsize=(11, 2.6))
axes[0].imshow(images[0, 0].numpy(), cmap="gray_r")
axes[0].set_title(f"digit {predicted[0]}")
for ax, (window, stride) in zip(axes[1:], settings):
    heat = Occlusion(model, window=window, stride=stride).fit(np.zeros((1, 1, 8, 8))).explain(
        images[:1], target=predicted[0]).values[0, 0]
    lim = np.abs(heat).max()
    ax.imshow(heat, cmap="bwr", vmin=-lim, vmax=lim)
    ax.set_title(f"window {window[1:]}, stride {stride[1:]}", fontsize=9)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()

# %%
# What a one-pixel window means
# -----------------------------
# With a window of one pixel the attribution is exactly the drop of the logit
# when that pixel is erased: check it for the brightest pixel of the first
# digit.
single = Occlusion(model, window=1).fit(np.zeros((1, 1, 8, 8)))
values = single.explain(images[:1], target=predicted[0]).values[0, 0]
row, col = np.unravel_index(images[0, 0].argmax().item(), (8, 8))
erased = images[:1].clone()
erased[0, 0, row, col] = 0.0
with torch.no_grad():
    drop = (model(images[:1]) - model(erased))[0, predicted[0]].item()
print(f"pixel ({row}, {col}): occlusion {values[row, col]:.6f}, drop of the logit {drop:.6f}")
