"""Per-token signals: bracket depth (optionally quote-aware), inside quotes, position in line."""
import numpy as np
import pytest

from skexplain.recurrent import bracket_depth, inside_quotes, position_in_line


def brute_depth(text, quotes=None):
    """Depth by counting, for each position, the brackets opened and not yet closed before it."""
    out, in_string, quote = [], False, None
    for i, ch in enumerate(text):
        opened = 0
        in_string, quote = False, None
        for j in range(i + 1):
            c = text[j]
            if quotes and (in_string or c in quotes):
                if not in_string:
                    in_string, quote = True, c
                elif c == quote and j != i:
                    in_string, quote = False, None
                elif c == quote:
                    in_string = True  # the closing quote itself is inside
                continue
            if c in "([{":
                opened += 1
            elif c in ")]}" and j < i:
                opened = max(opened - 1, 0)
        out.append(opened)
    return out


@pytest.mark.parametrize("text", ["a(b[c]d)e", "((x))", ")(", "f(\"(\", ')')", "(\"a)\"b)c"])
def test_bracket_depth_against_counting(text):
    assert bracket_depth(text).tolist() == brute_depth(text)
    assert bracket_depth(text, quotes="\"'").tolist() == brute_depth(text, "\"'")


def test_quoted_brackets_do_not_count_only_with_quotes():
    text = 'x("(")y'
    assert bracket_depth(text).tolist() == [0, 1, 1, 2, 2, 2, 1]
    assert bracket_depth(text, quotes='"').tolist() == [0, 1, 1, 1, 1, 1, 0]


def test_inside_quotes_and_position_in_line():
    assert inside_quotes("a'b\"c'd").tolist() == [0, 1, 1, 1, 1, 1, 0]
    assert inside_quotes(["x", '"', "y", '"']).tolist() == [0, 1, 1, 1]
    assert position_in_line("ab\nc\n\nd").tolist() == [0, 1, 2, 0, 1, 0, 0]


@pytest.mark.parametrize("call, match", [
    (lambda: bracket_depth("()", pairs=["("]), "pairs must be a sequence of two-character"),
    (lambda: inside_quotes("a", quotes=""), "quotes must be a non-empty str"),
    (lambda: bracket_depth(5), "tokens must be a str or a sequence"),
])
def test_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_token_lists_and_numpy_output():
    depth = bracket_depth(["(", "ab", ")"])
    assert isinstance(depth, np.ndarray) and depth.tolist() == [1, 1, 1]
