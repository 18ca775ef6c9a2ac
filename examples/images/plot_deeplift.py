"""
==========================================================
DeepLIFT and DeepSHAP on a residual network with reuse
==========================================================

:class:`~skexplain.DeepLIFT` back-propagates *multipliers*: each nonlinearity
passes on the ratio of its output change to its input change between the image
and a reference (the Rescale rule of Shrikumar et al., 2017).  The attributions
add up exactly to ``f(x) - f(reference)`` ("summation-to-delta").  With several
reference images the attributions are averaged over them: DeepSHAP.

The network below has what breaks other implementations: residual blocks that
call one in-place ``nn.ReLU`` module twice, as torchvision's ResNet does, and
max pooling.  Every call of a module gets its own rule, and the max-pool rule
keeps summation-to-delta exact.
"""

# %%
# A small residual CNN trained on the digits
# ------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from skexplain import DeepLIFT, IntegratedGradients
from skexplain.exceptions import ApproximationWarning

torch.set_num_threads(2)
torch.manual_seed(0)
digits_X, digits_y = load_digits(return_X_y=True)
X = torch.tensor((digits_X / 16.0).reshape(-1, 1, 8, 8), dtype=torch.float32)
y = torch.tensor(digits_y)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)
        self.bn1, self.bn2 = nn.BatchNorm2d(c), nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)  # called twice below

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + x)


model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), Block(8),
                      nn.MaxPool2d(2), Block(8), nn.Flatten(), nn.Linear(8 * 16, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(3):
    for idx in torch.randperm(len(X)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
        optimizer.step()
model.eval()
print(f"training accuracy: {(model(X).argmax(1) == y).float().mean():.3f}")

# %%
# DeepLIFT with a black reference, DeepSHAP with 30 digits
# --------------------------------------------------------
images = X[1700:1705]
deeplift = DeepLIFT(model).fit(np.zeros((1, 1, 8, 8))).explain(images)
deepshap = DeepLIFT(model).fit(X[:30]).explain(images)
for name, expl in [("DeepLIFT", deeplift), ("DeepSHAP", deepshap)]:
    print(f"{name}: max |sum(values) - (f(x) - base)| = {np.abs(expl.delta).max():.2e}")

fig, axes = plt.subplots(3, 5, figsize=(10, 6.2))
for i in range(5):
    axes[0, i].imshow(images[i, 0].numpy(), cmap="gray_r")
    axes[0, i].set_title(f"predicted {deeplift.metadata['target'][i]}")
    for row, expl in ((1, deeplift), (2, deepshap)):
        heat = expl.values[i, 0]
        lim = np.abs(heat).max()
        axes[row, i].imshow(heat, cmap="bwr", vmin=-lim, vmax=lim)
axes[1, 0].set_ylabel("DeepLIFT (black)")
axes[2, 0].set_ylabel("DeepSHAP (30 digits)")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()

# %%
# DeepLIFT and Integrated Gradients
# ---------------------------------
# Both satisfy completeness against the same reference but split the change
# differently: DeepLIFT uses secant slopes between image and reference, IG
# averages gradients along the path.  Their maps are strongly correlated,
# not equal (they coincide for linear models).
ig = IntegratedGradients(model, n_steps=64).fit(np.zeros((1, 1, 8, 8))).explain(images)
corr = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(deeplift.values, ig.values)]
print("correlation DeepLIFT vs IG per image:", np.round(corr, 3))

# %%
# Nonlinearities DeepLIFT cannot see
# ----------------------------------
# A ReLU applied as a function (``F.relu``) has no module to hook: it gets the
# plain gradient and summation-to-delta breaks.  DeepLIFT checks it on every
# row and warns instead of returning silently wrong values.


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(1, 8, 3, padding=1), nn.Linear(8 * 64, 10)

    def forward(self, x):
        return self.fc(nn.functional.relu(self.conv(x)).flatten(1))


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    DeepLIFT(Functional()).fit(np.zeros((1, 1, 8, 8))).explain(images)
print([str(w.message)[:90] + "..." for w in caught if w.category is ApproximationWarning])
