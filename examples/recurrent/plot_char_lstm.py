"""
=======================================================
Interpretable cells of a character-level LSTM
=======================================================

Karpathy, Johnson and Fei-Fei (2015) trained character-level LSTMs on source
code and found single cells that count how deep the brackets are nested, and
cells that switch on inside quoted strings.  This example reproduces that
finding in seconds on a CPU: a small LSTM learns a toy language of nested
brackets and quoted strings, :class:`~skexplain.recurrent.HiddenStates`
records its hidden states, cell states and gates, and correlating each cell
with a per-character signal finds the depth cell and the quote cell.  The
select and match of LSTMVis (Strobelt et al., 2018) then find every other
string from the cells that are on inside one.
"""

# %%
# A language where depth and quotes matter
# ----------------------------------------
# :func:`skexplain.testing.bracket_language` writes lines of names, brackets
# of three kinds nested up to depth 4, and quoted strings whose characters --
# brackets included -- are free text.  Predicting the next character needs
# two hidden states: the bracket depth (a closing bracket only at depth > 0,
# a newline only at depth 0, no opening bracket at depth 4) and whether a
# string is open (a bracket inside a string closes nothing).
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from skexplain.recurrent import HiddenStates, bracket_depth, inside_quotes
from skexplain.testing import bracket_language

train_text = bracket_language(5000, random_state=0)
text = bracket_language(100, random_state=1000)   # unseen text to analyse
print(text[:300])

# %%
# A small character-level LSTM
# ----------------------------
# An embedding, one LSTM layer of 32 cells and a linear read-out of the next
# character.  Each training step takes 32 windows of 100 characters that
# start at the beginning of a line (depth 0, outside any string: the state
# the zero initial state stands for) and takes one Adam step on the
# cross-entropy of the next character.
torch.set_num_threads(1)  # a network this small runs no faster on more threads
vocab = sorted(set(train_text))
index = {c: i for i, c in enumerate(vocab)}
data = torch.tensor([index[c] for c in train_text])
line_starts = np.r_[0, np.flatnonzero(np.array(list(train_text)) == "\n") + 1]
line_starts = line_starts[line_starts < len(train_text) - 101]


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embedding_dim=16, hidden_size=32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, X):
        return self.head(self.lstm(self.embed(X))[0])


torch.manual_seed(0)
model = CharLSTM(len(vocab))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
rng = np.random.default_rng(0)
for step in range(600):
    windows = torch.stack([data[s:s + 101] for s in rng.choice(line_starts, 32)])
    logits = model(windows[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)),
                                       windows[:, 1:].reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # recurrent gradients can explode
    optimizer.step()
model.eval()
print(f"loss after training: {loss.item():.2f} nats per character "
      f"(uniform guessing: {np.log(len(vocab)):.2f})")

# %%
# Recording the states
# --------------------
# :meth:`HiddenStates.from_module <skexplain.recurrent.HiddenStates.from_module>`
# runs the model once and records every ``nn.LSTM`` in it: ``record="all"``
# keeps the hidden states, the cell states and the four gates of each
# layer, one row per character of ``text``.
X = torch.tensor([[index[c] for c in text]])
hs = HiddenStates.from_module(model, X, text, record="all")
print(hs)
print(list(hs.layers))

# %%
# The bracket-depth cell
# ----------------------
# The signal is the depth of the *code*: ``quotes='"'`` leaves out the
# brackets inside strings, since they do not nest anything.
# :meth:`~skexplain.recurrent.HiddenStates.correlate` returns each cell's
# Pearson correlation with the signal, strongest first.  The cell states
# (``"lstm.l0.cell"``, unbounded) hold the counter most linearly.
quoted = inside_quotes(text)
depth = bracket_depth(text, quotes='"')
cells = hs["lstm.l0.cell"]
r_depth = cells.correlate(depth, top=5)
print(r_depth)
depth_cell = int(r_depth.index[0])
depth_sign = np.sign(r_depth.iloc[0])  # a cell's sign is arbitrary: orient it up with depth
r_naive = np.corrcoef(cells.states[:, depth_cell], bracket_depth(text))[0, 1]
print(f"cell {depth_cell}: r = {r_depth.iloc[0]:.2f} with the depth of the code, "
      f"r = {r_naive:.2f} with a depth that also counts the brackets inside strings")

# %%
# The second number is the evidence that the cell has learned the language
# and not the characters: counting every bracket, the correlation collapses,
# because the cell holds still while a string is open.  Over 400 characters,
# the cell's state follows the depth like a staircase:
steps = np.arange(400)
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(steps, depth_sign * cells.states[steps, depth_cell], color="tab:red")
ax.set_xlabel("character")
ax.set_ylabel(f"{'-' if depth_sign < 0 else ''}cell {depth_cell}", color="tab:red")
twin = ax.twinx()
twin.step(steps, depth[steps], where="mid", color="black", alpha=0.5)
twin.set_ylabel("bracket depth")
ax.set_title("A cell that counts brackets")
fig.tight_layout()

# %%
# The same cell colouring the characters (Karpathy et al.'s figures, by
# tanh of the cell state; ``\n`` is the newline): the colour deepens at each
# opening bracket outside strings and fades at each closing one, and the
# brackets inside quotes leave it as it was.  Which end of the scale means
# "deep" depends on the cell's sign (printed above as the sign of r).
start, end = 0, 240
cells.plot_text(depth_cell, start, end)

# %%
# The inside-quote cell
# ---------------------
# The same search with the inside-quote signal (1 from an opening quote to
# its closing quote) finds a different cell, here among the hidden states.
hidden = hs["lstm.l0.hidden"]
r_quote = hidden.correlate(quoted, top=5)
print(r_quote)
quote_cell = int(r_quote.index[0])
hidden.plot_text(quote_cell, start, end)

# %%
# The cell switches at the opening quote
# and back after the closing one, whatever the string contains -- brackets
# and all.  The correlation is below 1 mainly because the signal counts the
# closing quote as inside, while the cell, having read it, is already
# outside (white or blue on every closing quote above).

# %%
# Select and match (LSTMVis)
# --------------------------
# LSTMVis turns the search around: select the characters of one string,
# ask which cells are on (above a threshold) at every one of them, then
# find the other places where the same set of cells is on together.
# No signal is given: the ranges found show what the cells have in common.
opening = np.flatnonzero(np.diff(np.r_[0, quoted]) == 1)
closing = np.flatnonzero(np.diff(np.r_[quoted, 0]) == -1)
first = np.flatnonzero((closing - opening >= 9) & (opening > 100))[0]
s, e = opening[first] + 1, closing[first] - 1      # the characters between the quotes
on = hidden.select(s, e, threshold=0.3)
print(f"selected {text[s:e + 1]!r} (steps {s}..{e}): cells on throughout {on.tolist()}")
matches = hidden.match(on, threshold=0.3, top=20)
for m in matches[:8]:
    print(f"  {m.start:5d}..{m.end:<5d} score {m.score:.2f}  {text[m.start:m.end + 1]!r}")
inside = [quoted[m.start:m.end + 1].mean() for m in matches]
print(f"fraction of the top {len(matches)} matches' characters inside strings: "
      f"{np.mean(inside):.2f} (of all characters: {quoted.mean():.2f})")

# %%
# The matched ranges are other strings (and parts of strings): the selected
# cells encode "inside a string", not the particular letters.
#
# The same select and match work in the browser:
# :meth:`~skexplain.recurrent.HiddenStates.to_html` writes the text and the
# analysed layer's states into one self-contained HTML file that works
# offline (drag over characters to select, then *Match*).  Open the file it
# writes; here it goes to a temporary folder.
import tempfile
from pathlib import Path

page = Path(tempfile.mkdtemp()) / "char_lstm.html"
hidden.to_html(page)
print(f"wrote {page} ({page.stat().st_size / 1e6:.1f} MB)")

# %%
# Gate saturation
# ---------------
# Karpathy et al. plot, for every gate unit, the fraction of characters at
# which it is left-saturated (below 0.1: closed) against right-saturated
# (above 0.9: open).  A forget gate high on the right axis keeps its cell's
# content most of the time: the forget gates of the depth cell and of the
# quote cell found above are among them, as a counter and a flip-flop need.
# Forget gates near the diagonal switch between remembering and resetting;
# the output gates are mostly open, so the hidden state shows the cell.
saturation = hs.gate_saturation()
fig, ax = plt.subplots(figsize=(4.5, 4.5))
for layer, group in saturation.groupby("layer"):
    ax.scatter(group["left"], group["right"], label=layer.split(".")[-1], alpha=0.7)
forget = saturation[saturation["layer"] == "lstm.l0.forget_gate"].set_index("cell")
for cell, name, offset in [(depth_cell, "depth", (0.25, -0.05)),
                           (quote_cell, "quote", (0.25, -0.2))]:
    xy = forget.loc[cell, ["left", "right"]].to_numpy(float)
    ax.annotate(f"forget gate of the {name} cell", xy, xytext=xy + offset, fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.5})
ax.plot([0, 1], [1, 0], color="grey", lw=0.5)
ax.set_xlabel("fraction left-saturated (< 0.1)")
ax.set_ylabel("fraction right-saturated (> 0.9)")
ax.legend(fontsize=8)
fig.tight_layout()
print(saturation.groupby("layer")[["left", "right"]].mean().round(2))
print(forget.loc[[depth_cell, quote_cell]])
