"""A bracket-and-quote language and a small character-level LSTM that learns it.

Karpathy et al. (2015) found LSTM cells that count bracket depth and cells
that are on inside quoted strings.  :func:`bracket_language` writes a text in
which predicting the next character needs exactly those two states, and
:func:`train_char_lstm` fits an ``Embedding -> LSTM -> Linear`` network to it
in seconds on a CPU.  The recurrent tests share the model; the gallery
example ``examples/recurrent/plot_char_lstm.py`` writes the same lines out.
torch is imported inside the functions: importing this module needs only
numpy.
"""
import numbers

import numpy as np

__all__ = ["VOCAB", "bracket_language", "char_lstm", "encode", "train_char_lstm",
           "trained_char_lstm"]

_OPEN, _CLOSE = "([{", ")]}"
_NAMES = "abcdxyz"
_STRING_CHARS = _NAMES + " " + _OPEN + _CLOSE
# every character bracket_language can write, sorted: the model's vocabulary
VOCAB = "".join(sorted(set(_NAMES + " " + _OPEN + _CLOSE + '",+\n')))


def _check_probability(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value!r}.")
    return float(value)


def _check_count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")
    return int(value)


def bracket_language(n_lines=1000, *, max_depth=4, p_nest=0.55, p_string=0.15,
                     random_state=0):
    """Lines of nested brackets, quoted strings and names, generated from a seed.

    Each line is one or two terms joined by ``" + "``.  A term is, with
    probability ``p_nest``, a bracket of one of the kinds ``()``, ``[]``,
    ``{}`` holding one to three terms separated by ``", "`` (at depth
    ``max_depth`` no bracket opens: that term is a string instead); with
    probability ``p_string`` a string of 3 to 12 characters between double
    quotes; otherwise a name of one or two letters.  Strings hold letters,
    spaces and brackets, and the brackets in a string do not count.

    So the next character depends on two hidden states: the bracket depth
    (a closing bracket only at depth > 0, a newline only at depth 0, no
    opening bracket at ``max_depth``, and the kind of the innermost bracket
    decides which closing one) and whether a string is open (inside, any
    letter, space or bracket may follow).  These are the states that
    :func:`skexplain.recurrent.bracket_depth` (with ``quotes='"'``) and
    :func:`skexplain.recurrent.inside_quotes` measure.

    Parameters
    ----------
    n_lines : int, default=1000
        Number of lines; each ends with ``"\\n"``.
    max_depth : int, default=4
        Deepest bracket nesting.  A bracket holds two terms on average, so
        lines grow about as ``(2 * p_nest) ** max_depth``.
    p_nest, p_string : float, default=0.55, 0.15
        Probability that a term is a bracket, a string (their sum at most 1).
    random_state : int, default=0
        Seed of the generator: the same seed gives the same text.

    Returns
    -------
    str

    Examples
    --------
    >>> print(bracket_language(2, random_state=5), end="")
    dd + {[(x), (z, c)]}
    "[a} ]dy" + {cb, zc}
    >>> bracket_language(50, random_state=1) == bracket_language(50, random_state=1)
    True
    """
    n_lines = _check_count(n_lines, "n_lines", 1)
    max_depth = _check_count(max_depth, "max_depth", 0)
    p_nest = _check_probability(p_nest, "p_nest")
    p_string = _check_probability(p_string, "p_string")
    if p_nest + p_string > 1.0:
        raise ValueError(f"p_nest + p_string must be at most 1; got {p_nest} + {p_string}.")
    rng = np.random.default_rng(random_state)

    def pick(chars, size):  # what rng.choice(list(chars), size) draws, without the arrays
        return "".join([chars[i] for i in rng.integers(0, len(chars), size=size)])

    def name():
        return pick(_NAMES, rng.integers(1, 3))

    def term(depth, out):
        u = rng.random()
        if u < p_nest and depth < max_depth:
            kind = rng.integers(3)
            out.append(_OPEN[kind])
            for i in range(rng.integers(1, 4)):
                if i:
                    out.append(", ")
                term(depth + 1, out)  # recursion is at most max_depth deep
            out.append(_CLOSE[kind])
        elif u < p_nest + p_string:  # at max_depth a would-be bracket is a string
            out.append('"' + pick(_STRING_CHARS, rng.integers(3, 13)) + '"')
        else:
            out.append(name())

    lines = []
    for _ in range(n_lines):
        out = []
        for i in range(rng.integers(1, 3)):
            if i:
                out.append(" + ")
            term(0, out)
        lines.append("".join(out) + "\n")
    return "".join(lines)


def encode(text, vocab):
    """The characters of ``text`` as indices into ``vocab``, a 1-D int64 array.

    Raises
    ------
    ValueError
        When ``text`` holds a character that ``vocab`` lacks.
    """
    index = {c: i for i, c in enumerate(vocab)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise ValueError(f"text must use only the characters of vocab; got {missing!r}.")
    return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))


def char_lstm(vocab_size, *, embedding_dim=16, hidden_size=32, num_layers=1, random_state=0):
    """An untrained ``Embedding -> LSTM -> Linear`` network over ``vocab_size`` characters.

    Its submodules are ``embed``, ``lstm`` (``batch_first``) and ``head``, so
    :meth:`skexplain.recurrent.HiddenStates.from_module` names the recorded
    layers ``"lstm.l0.hidden"``, ``"lstm.l0.cell"``, ...  ``model(X)`` maps
    a (batch, time) int64 tensor of character indices to (batch, time,
    vocab_size) logits of the next character.  The weights are drawn from a
    generator seeded by ``random_state``; the global RNG is left as it was.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        return _model_class()(vocab_size, embedding_dim, hidden_size, num_layers)


_CLASS = []


def _model_class():
    # defined once, on first use, so that importing this module does not import torch
    if not _CLASS:
        from torch import nn

        class CharLSTM(nn.Module):
            def __init__(self, vocab_size, embedding_dim, hidden_size, num_layers):
                super().__init__()
                self.embed = nn.Embedding(vocab_size, embedding_dim)
                self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True)
                self.head = nn.Linear(hidden_size, vocab_size)

            def forward(self, X):
                return self.head(self.lstm(self.embed(X))[0])

        _CLASS.append(CharLSTM)
    return _CLASS[0]


def train_char_lstm(model, text, vocab, *, steps=600, batch_size=32, seq_len=100,
                    learning_rate=0.01, random_state=0):
    """Train ``model`` in place to predict the next character of ``text``; eval mode.

    Each step takes ``batch_size`` windows of ``seq_len`` characters that
    start at the beginning of a line, so that the zero initial state is the
    state at depth 0 outside any string, and one Adam step on the mean
    cross-entropy (gradient norm clipped at 1: exploding gradients are the
    usual failure of a recurrent network trained with a high rate).

    Returns
    -------
    model, float
        The model and the mean loss of the last 50 steps.
    """
    import torch
    from torch import nn

    data = torch.as_tensor(encode(text, vocab))
    starts = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
                            == ord("\n")) + 1
    starts = np.r_[0, starts[starts < len(text) - seq_len - 1]]
    rng = np.random.default_rng(random_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    losses = []
    for _ in range(steps):
        windows = torch.stack([data[s:s + seq_len + 1] for s in rng.choice(starts, batch_size)])
        logits = model(windows[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           windows[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
    return model.eval(), float(np.mean(losses[-50:]))


def trained_char_lstm(random_state=0, *, hidden_size=32, steps=600, n_lines=5000):
    """``(model, vocab, loss)``: :func:`char_lstm` trained on :func:`bracket_language`.

    About 10 s on one CPU core with the defaults.  ``vocab`` is the sorted
    characters of the language (:data:`VOCAB`); ``loss`` the final training loss (nats per
    character).  Evaluate on ``bracket_language(n, random_state=seed)`` with
    another seed: text the model has not seen.
    """
    text = bracket_language(n_lines, random_state=random_state)
    model = char_lstm(len(VOCAB), hidden_size=hidden_size, random_state=random_state)
    model, loss = train_char_lstm(model, text, VOCAB, steps=steps, random_state=random_state)
    return model, VOCAB, loss
