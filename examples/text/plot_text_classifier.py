"""
=======================================================
Explaining a text classifier token by token
=======================================================

A text classifier takes token ids: integers that an ``nn.Embedding`` turns
into vectors.  Gradients cannot flow into integers, so a gradient explainer
attributes to the embedding's output instead (``layer=``) and sums over the
embedding dimension to get one number per token.  A perturbation explainer
needs no gradient at all: it replaces tokens by padding and watches the
output.  This example trains a small classifier on a synthetic language whose
rule is known, explains the same sentences both ways, and shows them side by
side as coloured text.
"""

# %%
# A language with a known rule
# ----------------------------
# Sentences of eight tokens mix filler words, positive and negative words,
# and the negation ``not``, which flips the word right after it.  A sentence
# is positive when its positive words (after negation) outnumber its negative
# ones; ties are left out.  The padding id 0 fills short sentences.
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.stats import spearmanr
from torch import nn

from skexplain import IntegratedGradients, KernelSHAP
from skexplain.plotting import TextDisplay

POSITIVE = ["good", "great", "fine", "lovely"]
NEGATIVE = ["bad", "awful", "dull", "poor"]
FILLER = ["the", "film", "was", "a", "plot", "and", "story", "it"]
VOCAB = ["<pad>", "not"] + POSITIVE + NEGATIVE + FILLER
ID = {w: i for i, w in enumerate(VOCAB)}
LENGTH = 8


def polarity(words):
    """The rule: +1 per positive word, -1 per negative one, flipped after 'not'."""
    score = 0
    for before, word in zip(["<pad>"] + words, words):
        sign = -1 if before == "not" else 1
        score += sign * ((word in POSITIVE) - (word in NEGATIVE))
    return score


def make_sentences(n, rng):
    X, y = [], []
    while len(y) < n:
        length = rng.integers(4, LENGTH + 1)
        pick = rng.random(length)
        words = [rng.choice(POSITIVE + NEGATIVE) if p < 0.35 else "not" if p < 0.5
                 else rng.choice(FILLER) for p in pick]
        score = polarity(words)
        if score != 0:
            X.append([ID[w] for w in words] + [0] * (LENGTH - length))
            y.append(score > 0)
    return np.array(X, dtype=np.int64), np.array(y, dtype=np.float32)


rng = np.random.default_rng(0)
X_train, y_train = make_sentences(3000, rng)
X_test, y_test = make_sentences(500, rng)
print(" ".join(VOCAB[i] for i in X_train[0] if i), "->", bool(y_train[0]))

# %%
# An embedding, a convolution and a linear read-out
# -------------------------------------------------
# A convolution of width 2 sees each word with the one before it, which is
# what the negation needs; summing over positions counts the evidence.  The
# padding embedding is fixed at zero, so padding contributes nothing.  The
# model returns one logit: positive sentiment.
torch.manual_seed(0)
torch.set_num_threads(1)  # a network this small runs no faster on more threads


class TextCNN(nn.Module):
    def __init__(self, vocab_size, dim=16, channels=32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.conv = nn.Conv1d(dim, channels, kernel_size=2, padding=1)
        self.head = nn.Linear(channels, 1)

    def forward(self, ids):
        h = self.embed(ids).transpose(1, 2)          # (n, dim, length)
        h = torch.relu(self.conv(h)).sum(dim=2)      # (n, channels)
        return self.head(h).squeeze(1)               # (n,) logit


model = TextCNN(len(VOCAB))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.BCEWithLogitsLoss()
Xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train)
for epoch in range(15):
    for batch in torch.randperm(len(Xt)).split(64):
        optimizer.zero_grad()
        loss_fn(model(Xt[batch]), yt[batch]).backward()
        optimizer.step()
model.eval()
with torch.no_grad():
    accuracy = ((model(torch.from_numpy(X_test)) > 0).numpy() == y_test).mean()
print(f"test accuracy: {accuracy:.3f}")

# %%
# Two explanations of the same sentences
# --------------------------------------
# Both explain the logit against the same reference: a sentence of padding.
# :class:`~skexplain.IntegratedGradients` with ``layer=model.embed``
# integrates the gradient along the straight line from the padding
# embeddings to the sentence's embeddings and sums over the embedding
# dimension (``layer_reduce="sum"``): one attribution per token.
# :class:`~skexplain.KernelSHAP` treats the eight positions as players and
# replaces the absent ones by padding; the token ids stay integers on their
# way to the model.  Both are additive: the attributions of a sentence add up
# to its logit minus the logit of the all-padding sentence.
sentences = [
    "the film was not good",
    "lovely plot and a dull and poor film",
    "not bad it was great",
    "the story was not awful and not fine",
]
words = [s.split()[:LENGTH] for s in sentences]
X = np.array([[ID[w] for w in ws] + [0] * (LENGTH - len(ws)) for ws in words])
padding = np.zeros((1, LENGTH), dtype=np.int64)

ig = IntegratedGradients(model, layer=model.embed, layer_reduce="sum", n_steps=256)
ig_expl = ig.fit(padding).explain(X)
kernel = KernelSHAP(model, random_state=0)
ks_expl = kernel.fit(padding).explain(X)

with torch.no_grad():
    gap = (model(torch.from_numpy(X)) - model(torch.from_numpy(padding))).numpy()
print("logit - logit(padding):", gap.round(3))
print("IG sums:        ", ig_expl.values.sum(1).round(3),
      " largest |delta|:", f"{np.abs(ig_expl.delta).max():.1e}")
print("KernelSHAP sums:", ks_expl.values.sum(1).round(3))
# KernelSHAP's sums are exact (efficiency is imposed); IG's miss by its
# quadrature error at the ReLU kinks, reported per row in ``delta``.
np.testing.assert_allclose(ks_expl.values.sum(1), gap, atol=1e-4)
assert np.abs(ig_expl.delta).max() < 0.01 * np.abs(gap).max()

# %%
# How far do they agree?
# ----------------------
# IG follows one path, on which every embedding grows from zero at once;
# KernelSHAP averages over which other tokens are present.  On a model
# additive over tokens they would coincide.  Here the convolution couples
# neighbours, and the credit of a negated pair is shared differently: in
# "not good", "good" alone is positive and "not" alone is nearly neutral, so
# KernelSHAP gives the pair's negative effect to "not", while IG splits it
# between the two words.  Over the real (non-padding) tokens we count sign
# agreement and the rank correlation.
for ws, a, b in zip(words, ig_expl.values, ks_expl.values):
    n = len(ws)
    signs = np.mean(np.sign(a[:n]) == np.sign(b[:n]))
    rho = spearmanr(a[:n], b[:n]).statistic
    print(f"{' '.join(ws):40s} sign agreement {signs:.2f}, Spearman {rho:+.2f}")

# %%
# Side by side as coloured text
# -----------------------------
# Red tokens push towards positive, blue towards negative.  Each sentence
# uses one colour scale (``vmax``) for both methods, so equal colours mean
# equal attributions.
fig, axes = plt.subplots(len(X), 2, figsize=(11, 2.0 * len(X)))
for r, ws in enumerate(words):
    tokens = ws + ["·"] * (LENGTH - len(ws))  # padding positions
    vmax = max(np.abs(ig_expl.values[r]).max(), np.abs(ks_expl.values[r]).max())
    TextDisplay.from_explanation(ig_expl, row=r, tokens=tokens, vmax=vmax, ax=axes[r, 0])
    TextDisplay.from_explanation(ks_expl, row=r, tokens=tokens, vmax=vmax, ax=axes[r, 1])
axes[0, 0].set_title("IntegratedGradients at the embedding")
axes[0, 1].set_title("KernelSHAP over token positions")
fig.tight_layout()
