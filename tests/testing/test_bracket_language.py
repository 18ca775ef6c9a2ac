"""The bracket-and-quote language of the char-LSTM tests and example: its grammar holds."""
import numpy as np
import pytest

from skexplain.recurrent import bracket_depth, inside_quotes
from skexplain.testing import bracket_language
from skexplain.testing._char_lstm import VOCAB, encode

PAIRS = {")": "(", "]": "[", "}": "{"}


def parse(text):
    """Walk ``text`` with a stack of open brackets; return the deepest nesting, the
    lengths of the strings, and assert the rules the model has to learn."""
    stack, string, lengths, deepest = [], None, [], 0
    for i, c in enumerate(text):
        if string is not None:  # inside a string, brackets are plain characters
            assert c != "\n", f"a string is open at the newline at {i}"
            if c == '"':
                lengths.append(i - string - 1)
                string = None
        elif c == '"':
            string = i
        elif c in "([{":
            stack.append(c)
            deepest = max(deepest, len(stack))
        elif c in ")]}":
            assert stack and stack.pop() == PAIRS[c], f"unmatched {c!r} at {i}"
        elif c == "\n":
            assert not stack, f"a line ends at depth {len(stack)} at {i}"
    assert string is None and not stack and text.endswith("\n")
    return deepest, lengths


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lines_are_balanced_and_strings_closed(seed):
    text = bracket_language(300, random_state=seed)
    deepest, lengths = parse(text)
    assert text.count("\n") == 300 and set(text) <= set(VOCAB)
    assert deepest == 4                      # the default max_depth is reached, not passed
    assert min(lengths) == 3 and max(lengths) == 12
    # strings hold brackets: the naive depth differs from the depth of the code
    quoted = inside_quotes(text)
    masked = bracket_depth([" " if q else c for c, q in zip(text, quoted)])
    assert masked.max() == 4 and (masked != bracket_depth(text)).any()
    assert 0.2 < quoted.mean() < 0.6


def test_same_seed_same_text():
    assert bracket_language(50, random_state=7) == bracket_language(50, random_state=7)
    assert bracket_language(50, random_state=7) != bracket_language(50, random_state=8)


def test_parameters_shape_the_text():
    assert parse(bracket_language(200, max_depth=2, random_state=0))[0] == 2
    flat = bracket_language(200, max_depth=0, random_state=0)
    assert parse(flat)[0] == 0
    assert set(bracket_language(100, p_nest=0.0, p_string=0.0)) <= set("abcdxyz +\n")
    # at max_depth a term that would open a bracket is a string: with p_string=0
    # the only strings are there
    text = bracket_language(100, max_depth=2, p_string=0.0, random_state=0)
    quoted = inside_quotes(text)
    depth = bracket_depth([" " if q else c for c, q in zip(text, quoted)])
    opening = np.flatnonzero(np.diff(np.r_[0, quoted]) == 1)
    assert len(opening) > 10 and (depth[opening] == 2).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"n_lines": 0}, "n_lines must be an int >= 1; got 0"),
    ({"n_lines": 2.5}, "n_lines must be an int"),
    ({"max_depth": -1}, "max_depth must be an int >= 0"),
    ({"p_nest": 1.5}, r"p_nest must be a probability in \[0, 1\]; got 1.5"),
    ({"p_string": True}, "p_string must be a probability"),
    ({"p_nest": 0.9, "p_string": 0.2}, "p_nest \\+ p_string must be at most 1"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bracket_language(**kwargs)


def test_encode():
    np.testing.assert_array_equal(encode("a(", "(a"), [1, 0])
    with pytest.raises(ValueError, match="text must use only the characters of vocab; got"):
        encode("a!", VOCAB)
