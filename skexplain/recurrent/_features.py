"""Per-token signals that interpretable cells track (Karpathy et al. 2015).

Each function takes the tokens of a stream (a str is its characters) and
returns one number per token, ready for :meth:`HiddenStates.correlate`.
"""
import numpy as np

__all__ = ["bracket_depth", "inside_quotes", "position_in_line"]


def _token_list(tokens, name="tokens"):
    if isinstance(tokens, str):
        return list(tokens)
    try:
        return [str(t) for t in tokens]
    except TypeError:
        raise TypeError(f"{name} must be a str or a sequence of tokens; got "
                        f"{type(tokens).__name__}.") from None


def bracket_depth(tokens, pairs=("()", "[]", "{}"), *, quotes=None):
    """The nesting depth of brackets at each token.

    Both brackets of a pair belong to the inside: an opening bracket counts
    at its own position, a closing one only after itself, so in ``"a(b)c"``
    the depths are ``[0, 1, 1, 1, 0]``.  An unmatched closing bracket never
    takes the depth below 0.  With ``quotes``, brackets inside quoted strings
    (as :func:`inside_quotes` finds them) are text and do not count, as in
    source code.

    Parameters
    ----------
    tokens : str or sequence of str
    pairs : sequence of two-character str, default=("()", "[]", "{}")
        Opening and closing bracket of each kind (all kinds count together).
    quotes : str, default=None
        Quote characters whose strings hide brackets, e.g. ``"\"'"``; None
        counts every bracket.

    Returns
    -------
    ndarray of int of shape (n_tokens,)

    Examples
    --------
    >>> bracket_depth("a(b[c])d").tolist()
    [0, 1, 1, 2, 2, 2, 1, 0]
    >>> bracket_depth('(")")', quotes='"').tolist()
    [1, 1, 1, 1, 1]
    """
    pairs = list(pairs)
    if not pairs or any(not isinstance(p, str) or len(p) != 2 for p in pairs):
        raise ValueError(f"pairs must be a sequence of two-character strings such as '()'; "
                         f"got {pairs!r}.")
    opening = {p[0] for p in pairs}
    closing = {p[1] for p in pairs}
    tokens = _token_list(tokens)
    quoted = inside_quotes(tokens, quotes) if quotes is not None else np.zeros(len(tokens))
    depth, out = 0, []
    for token, in_string in zip(tokens, quoted):
        if in_string:
            out.append(depth)
            continue
        if token in opening:
            depth += 1
        out.append(depth)
        if token in closing:
            depth = max(depth - 1, 0)
    return np.asarray(out, dtype=np.int64)


def inside_quotes(tokens, quotes="\"'"):
    """1 at tokens inside a quoted string (the quote marks included), else 0.

    A quote opens a string of its kind; only the same kind closes it, and
    other quote marks inside are plain characters.

    Parameters
    ----------
    tokens : str or sequence of str
    quotes : str, default="\\"'"
        The quote characters.

    Returns
    -------
    ndarray of int of shape (n_tokens,)

    Examples
    --------
    >>> inside_quotes('a"b\\'c"d').tolist()
    [0, 1, 1, 1, 1, 1, 0]
    """
    if not isinstance(quotes, str) or not quotes:
        raise ValueError(f"quotes must be a non-empty str of quote characters; got {quotes!r}.")
    open_quote, out = None, []
    for token in _token_list(tokens):
        if open_quote is None and token in quotes:
            open_quote = token
            out.append(1)
        elif open_quote is not None:
            out.append(1)
            if token == open_quote:
                open_quote = None
        else:
            out.append(0)
    return np.asarray(out, dtype=np.int64)


def position_in_line(tokens, newline="\n"):
    """How many tokens precede each token on its line (0 at the start of a line).

    Parameters
    ----------
    tokens : str or sequence of str
    newline : str, default="\\n"
        The token that ends a line (it takes the position after the line's
        last token; the next token starts again at 0).

    Returns
    -------
    ndarray of int of shape (n_tokens,)

    Examples
    --------
    >>> position_in_line("ab\\ncde").tolist()
    [0, 1, 2, 0, 1, 2]
    """
    position, out = 0, []
    for token in _token_list(tokens):
        out.append(position)
        position = 0 if token == newline else position + 1
    return np.asarray(out, dtype=np.int64)
