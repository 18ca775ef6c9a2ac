"""
==========================================================
Sanity checks for saliency maps (Adebayo et al., 2018)
==========================================================

Adebayo et al. ("Sanity Checks for Saliency Maps", NeurIPS 2018) asked a
simple question: does an explanation change when the model it explains is
destroyed?  They ran three tests and compared each explanation with the one
of the trained model:

* *cascading* model-parameter randomization: re-initialise the layers from
  the logits down, cumulatively;
* *independent* randomization: re-initialise one layer at a time;
* *data randomization*: train the network on permuted labels until it has
  memorised them.

An explanation that stays the same passes none of them: it cannot be
explaining the model.  The paper found the input gradient
(:class:`~skexplain.Saliency`) and Grad-CAM sensitive, and Guided Backprop
nearly invariant - an edge detector of the input, whatever the model.

This example runs the three tests for every image method of skexplain on a
small CNN trained on scikit-learn's 8x8 digits in a few seconds, with
:func:`~skexplain.testing.model_parameter_randomization` and
:func:`~skexplain.testing.data_randomization`.
"""

# %%
# A small CNN with global average pooling
# ---------------------------------------
# Three convolutions, a global average pooling and a linear classifier: the
# architecture that :class:`~skexplain.CAM` needs.  A one-cycle learning rate
# ends training near a minimum (about 98% training accuracy).
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from torch import nn

from skexplain import (CAM, GradCAM, GradientXInput, GuidedBackprop, GuidedGradCAM,
                       IntegratedGradients, Saliency, SmoothGrad)
from skexplain.testing import (RandomExplainer, data_randomization,
                               model_parameter_randomization, randomizable_layers,
                               randomize_model)

torch.set_num_threads(1)  # layers this small gain nothing from more threads
torch.manual_seed(0)
digits_X, y = load_digits(return_X_y=True)
X = (digits_X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def train(model, X, y, epochs=4, batch_size=32, lr=0.01):
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=epochs * -(-len(X) // batch_size))
    order = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for idx in torch.randperm(len(X), generator=order).split(batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            optimizer.step()
            schedule.step()
    return model.eval()


model = train(model, X, y)
with torch.no_grad():
    print(f"training accuracy: {(model(torch.as_tensor(X)).argmax(1).numpy() == y).mean():.3f}")

# %%
# The layers that will be randomized, from the output down (the names of the
# ``nn.Sequential`` children: ``"9"`` is the classifier, ``"5"`` the last
# convolution, ``"0"`` the first).  Each is re-initialised by its own
# ``reset_parameters`` on a deep copy; ``model`` itself is never modified.
rows, blank = X[1500:1532], np.zeros((1, 1, 8, 8), dtype=np.float32)
layers = randomizable_layers(model, rows)
print(layers)

# %%
# Data randomization needs a model that has memorised permuted labels.
# ``train_fn`` receives a re-initialised copy of the network and the permuted
# labels of 128 digits (this small network memorises all 1797 random labels
# only slowly), and trains it full-batch until it fits at least 95% of them.
# Every explainer gets the same permutation (``random_state=0``), so the
# random-label network is trained once and reused.
memorised = {}


def train_on_random_labels(net, X_train, y_train):
    key = np.asarray(y_train).tobytes()
    if key not in memorised:
        X_train, y_train = torch.as_tensor(X_train), torch.as_tensor(y_train)
        optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
        for step in range(1, 1001):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(X_train), y_train).backward()
            optimizer.step()
            if step % 25 == 0:
                with torch.no_grad():
                    accuracy = (net(X_train).argmax(1) == y_train).float().mean().item()
                if accuracy >= 0.95:
                    break
        print(f"random labels memorised: {accuracy:.2f} after {step} steps")
        memorised[key] = net.eval()
    return memorised[key]


# %%
# The three tests for every method
# --------------------------------
# Each explainer explains the same 32 digits (for the class the trained model
# predicts; the background is a blank image, the baseline of Integrated
# Gradients).  ``statistic`` is the mean Spearman rank correlation of the
# absolute maps with the trained model's, over the randomized models and the
# digits; a method passes a test when it is at most 0.5, i.e. when its maps
# change.  CAM, Grad-CAM and Guided Grad-CAM find their layer in each
# randomized copy at fit: the ReLU ``"6"`` after the last convolution, whose
# spatial mean the classifier reads.
# A random explainer with a fixed seed is a control: its maps do not depend
# on the model at all.
explainers = {
    "Saliency": Saliency(model),
    "SmoothGrad": SmoothGrad(model, n_samples=20, random_state=0),
    "Gradient x Input": GradientXInput(model),
    "Guided Backprop": GuidedBackprop(model),
    "Integrated Gradients": IntegratedGradients(model, n_steps=16),
    "CAM": CAM(model),
    "Grad-CAM": GradCAM(model),
    "Guided Grad-CAM": GuidedGradCAM(model),
    "Random (control)": RandomExplainer(model, random_state=0),
}
metrics = ["spearman_abs", "spearman", "ssim"]  # HOG and top-k are left out for speed
reports = {}
for name, explainer in explainers.items():
    reports[name] = {
        mode: model_parameter_randomization(explainer, rows, background=blank, mode=mode,
                                            metrics=metrics)
        for mode in ("cascading", "independent")}
    reports[name]["data"] = data_randomization(
        explainer, X[:128], y[:128], X_explain=rows, background=blank,
        train_fn=train_on_random_labels, metrics=metrics)

table = pd.DataFrame({
    (test, column): {name: getattr(r[test], attr) for name, r in reports.items()}
    for test in ("cascading", "independent", "data")
    for column, attr in (("similarity", "statistic"), ("passed", "passed"))})
table.round(2)

# %%
# Adebayo et al.'s result, checked: the gradient, SmoothGrad, CAM and Grad-CAM
# change under every randomization; Guided Backprop stays similar to itself
# when the layers are randomized.  The control never changes.
statistic = table.xs("similarity", axis=1, level=1)
for name in ("Saliency", "SmoothGrad", "CAM", "Grad-CAM"):
    assert (statistic.loc[name] < 0.5).all(), statistic.loc[name]
assert (statistic.loc["Guided Backprop", ["cascading", "independent"]] > 0.5).all()
assert (statistic.loc["Random (control)"] == 1.0).all()
for test in statistic:
    assert statistic.loc["Guided Backprop", test] > statistic.loc["Saliency", test] + 0.15

# %%
# In the data randomization test Guided Backprop stays far more similar than
# the plain gradient but ends just below the threshold: the network trained on
# random labels starts from new weights in *every* layer, and Guided Backprop
# is not invariant to its lower layers (the paper's errata says as much).
#
# Gradient x Input and Integrated Gradients keep an absolute rank correlation
# near 0.9 whatever is randomized: both are multiplied by the input, and the
# blank pixels of a digit get exactly zero attribution from every model.
# Their *signed* maps do change (the ``spearman`` column below): they change
# quantitatively, but stay visually dominated by the input, as the paper
# says.
#
# Guided Grad-CAM does not reproduce the paper's invariance on this network.
# It is Guided Backprop masked by the upsampled Grad-CAM map, whose ReLU
# zeroes everything outside the region that supports the class; that region
# moves under randomization as Grad-CAM does, and on an 8x8 digit (a 4x4
# layer) the mask is as coarse as the strokes, so the product moves with it
# and passes every test.  The paper's network saw 299x299 images; we have not
# run it.  What we check is that the mask makes it more sensitive than Guided
# Backprop alone; its *signed* correlation (its signs are Guided Backprop's)
# stays above Grad-CAM's.
assert (statistic.loc["Guided Grad-CAM"] < statistic.loc["Guided Backprop"]).all()
signed = pd.DataFrame({name: {test: r[test].to_frame()["spearman"].mean() for test in r}
                       for name, r in reports.items()}).T
assert (signed.loc["Guided Grad-CAM"] > signed.loc["Grad-CAM"]).all()
signed.round(2)

# %%
# The cascading curves
# --------------------
# As in the paper's Figure 2: similarity with the trained model's map against
# the number of randomized layers, one line per method.  The gradient maps
# drop at once; Guided Backprop stays high while the top layers are
# randomized and decays only as the convolutions below follow.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True, layout="constrained")
for ax, metric in zip(axes, ["spearman_abs", "ssim"]):
    for k, (name, r) in enumerate(reports.items()):
        r["cascading"].plot(ax=ax, metrics=[metric], show_threshold=k == 0 and ax is axes[0])
        r["cascading"].lines_[metric].set_label(name)
    ax.set_title(f"cascading randomization: {metric}")
    ax.set_ylim(-0.4, 1.05)
    ax.get_legend().remove()
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper", fontsize="small")

# %%
# What the maps look like
# -----------------------
# One digit's absolute maps for the trained model and after each step of the
# cascade (each map scaled to its own maximum).
models = [model] + [randomize_model(model, layers[:k + 1], random_state=0)
                    for k in range(len(layers))]
digit = rows[:1]
target = int(model(torch.as_tensor(digit)).argmax())
shown = [name for name in explainers if name != "Random (control)"]
fig, axes = plt.subplots(len(shown), len(models), figsize=(1.6 * len(models), 1.55 * len(shown)))
for row, name in enumerate(shown):
    for col, m in enumerate(models):
        explainer = clone(explainers[name]).set_params(model=m).fit(blank)
        heat = np.abs(explainer.explain(digit, target=target).values[0, 0])
        axes[row, col].imshow(heat, cmap="gray")
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
        if row == 0:
            axes[row, col].set_title("original" if col == 0 else f"up to {layers[col - 1]}",
                                     fontsize="small")
    axes[row, 0].set_ylabel(name, fontsize="x-small")
plt.tight_layout()
