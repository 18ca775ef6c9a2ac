"""
====================================================
What a CNN looks at: nine attribution maps compared
====================================================

This example trains a small convolutional network on scikit-learn's 8x8
digits (a few seconds on a CPU) and explains the same digits with every
image method of skexplain, side by side as in the comparison figures of
Adebayo et al. (2018): gradients (:class:`~skexplain.Saliency`,
:class:`~skexplain.SmoothGrad`, :class:`~skexplain.GradientXInput`,
:class:`~skexplain.GuidedBackprop`, :class:`~skexplain.IntegratedGradients`),
class activation maps (:class:`~skexplain.CAM`, :class:`~skexplain.GradCAM`,
:class:`~skexplain.GuidedGradCAM`) and :class:`~skexplain.Occlusion`.  It
then looks inside the network: the kernels of its first convolution and the
feature maps of a convolutional layer.
"""

# %%
# A small CNN with global average pooling
# ---------------------------------------
# Three convolutions, a global average pooling and one linear layer: CAM needs
# this architecture (the class score is then a weighted mean of the last
# feature maps).  A one-cycle learning rate ends training near a minimum.
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from skexplain import (CAM, GradCAM, GradientXInput, GuidedBackprop, GuidedGradCAM,
                       IntegratedGradients, Occlusion, Saliency, SmoothGrad)
from skexplain.plotting import (ActivationDisplay, FilterDisplay, ImageDisplay,
                                ImageGridDisplay)

torch.set_num_threads(1)  # layers this small gain nothing from more threads
torch.manual_seed(0)
digits_X, y = load_digits(return_X_y=True)
X = (digits_X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
epochs, batch_size = 4, 32
schedule = torch.optim.lr_scheduler.OneCycleLR(
    optimizer, max_lr=0.01, total_steps=epochs * -(-len(X) // batch_size))
order = torch.Generator().manual_seed(0)
X_t, y_t = torch.as_tensor(X), torch.as_tensor(y)
for _ in range(epochs):
    for idx in torch.randperm(len(X), generator=order).split(batch_size):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X_t[idx]), y_t[idx]).backward()
        optimizer.step()
        schedule.step()
model.eval()
with torch.no_grad():
    print(f"training accuracy: {(model(X_t).argmax(1) == y_t).float().mean():.3f}")

# %%
# Nine maps of the same digits
# ----------------------------
# Every explainer is fitted on a blank image (the baseline of Integrated
# Gradients and the value Occlusion puts in the window) and explains the class
# the network predicts.  CAM, Grad-CAM and Guided Grad-CAM find the same
# layer by default: the ReLU ``"6"`` after the last convolution (4x4 feature
# maps, whose spatial mean the classifier reads); all three upsample their map
# to 8x8.  Occlusion slides a 3x3 window.
images = X[[1700, 1701, 1703, 1706, 1710]]
with torch.no_grad():
    predicted = model(torch.as_tensor(images)).argmax(1).tolist()
blank = np.zeros((1, 1, 8, 8), dtype=np.float32)
explainers = {
    "Saliency": Saliency(model),
    "SmoothGrad": SmoothGrad(model, n_samples=50, random_state=0),
    "Gradient x Input": GradientXInput(model),
    "Guided Backprop": GuidedBackprop(model),
    "Integrated Gradients": IntegratedGradients(model),
    "CAM": CAM(model),
    "Grad-CAM": GradCAM(model),
    "Guided Grad-CAM": GuidedGradCAM(model),
    "Occlusion": Occlusion(model, window=(1, 3, 3), stride=(1, 1, 1)),
}
explanations = {name: explainer.fit(blank).explain(images, target=predicted)
                for name, explainer in explainers.items()}
print("Grad-CAM's layer:", explainers["Grad-CAM"].layer_, "| CAM's:", explainers["CAM"].layer_,
      "| layer map:", explanations["Grad-CAM"].extras["layer_map"].shape,
      "| values:", explanations["Grad-CAM"].values.shape)

# %%
# Rows are digits, columns methods; each cell is the absolute map on its own
# colour scale (maps are compared by their shape, not their size).
#
# * **Saliency** is the gradient of the class score: which pixels would move
#   the score most.  It is noisy and also lights up blank pixels, where ink
#   would change the class.
# * **SmoothGrad** averages the gradient over noisy copies of the digit: the
#   same information, less speckle.
# * **Gradient x Input** and **Integrated Gradients** multiply by the pixel
#   (IG by its difference from the blank baseline): blank pixels get zero, so
#   the maps look like the digit itself.  IG's attributions add up to the
#   score minus the score of the blank image.
# * **Guided Backprop** keeps only positive gradients through every ReLU: the
#   crispest map, which follows the strokes.
# * **CAM** and **Grad-CAM** are coarse (4x4, upsampled): the region of the
#   last feature maps that supports the class.  CAM weights the feature maps
#   by the classifier's weights and is signed; Grad-CAM weights them by their
#   mean gradient and keeps the positive part.  Taken at the same layer of a
#   global-average-pooling network, Grad-CAM is CAM's positive part up to a
#   factor.
# * **Guided Grad-CAM** is Guided Backprop masked by Grad-CAM.
# * **Occlusion** needs no gradient: how much the score drops when a 3x3
#   patch is blanked.
disp = ImageGridDisplay.from_explanations(explanations, mode="abs")

# %%
# Which of these maps explain the *model*?  The randomization sanity checks
# (see :ref:`sphx_glr_auto_examples_images_plot_sanity_checks.py`) re-draw the
# network's weights or train it on random labels and ask whether the map
# changes.  Saliency, SmoothGrad, CAM and Grad-CAM change and pass.  Guided
# Backprop changes little when the layers are randomized (it fails): its crisp
# strokes come mostly from the input and the ReLU pattern, not from what the
# network learnt.  Gradient x Input and Integrated Gradients change in sign but stay
# visually dominated by the input.  On these 8x8 digits Guided Grad-CAM
# changes with its Grad-CAM mask, unlike in the paper (Inception v3 on 299x299
# images).

# %%
# One map over its digit
# ----------------------
# :class:`~skexplain.plotting.ImageDisplay` overlays a signed map on its input:
# red pixels raise the predicted class's score, blue ones lower it.  Here
# Integrated Gradients of the first digit.
ImageDisplay.from_explanation(explanations["Integrated Gradients"], index=0,
                              mode="signed", alpha=0.6)

# %%
# Inside the network: kernels and feature maps
# --------------------------------------------
# :class:`~skexplain.plotting.FilterDisplay` draws the 3x3 kernels of the first
# convolution (each scaled to its own range): small stroke and edge detectors.
FilterDisplay.from_module(model)

# %%
# :class:`~skexplain.plotting.ActivationDisplay` draws what a layer outputs for
# one input, on one colour scale: here the 32 feature maps of the second
# convolution after its ReLU (layer ``"3"``), for the first digit.  Many
# channels respond to parts of the strokes; some stay silent for this digit.
ActivationDisplay.from_module(model, images, layer="3", index=0)
