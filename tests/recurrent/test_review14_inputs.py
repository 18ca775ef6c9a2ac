"""Bad inputs that were accepted silently (review of issue 14)."""
import numpy as np
import pytest

from skexplain.recurrent import HiddenStates


@pytest.mark.parametrize("states", [np.ones((3, 2), complex),
                                    {"l0.hidden": np.ones((3, 2), np.complex64)}])
def test_complex_states_are_refused_not_cast_to_their_real_part(states):
    # before: cast to float with a ComplexWarning, the imaginary parts dropped
    with pytest.raises(TypeError, match=r"states.* must be a numeric array of shape "
                                        r"\(time, cells\); got ndarray \(complex values"):
        HiddenStates(states)


@pytest.mark.parametrize("tokens", [b"abc", bytearray(b"abc")])
def test_bytes_tokens_are_refused_not_turned_into_byte_values(tokens):
    # before: tokens were ['97', '98', '99']
    with pytest.raises(TypeError, match=r"tokens must be a str or a sequence of 3 tokens; "
                                        r"got (bytes|bytearray) \(decode it first"):
        HiddenStates(np.zeros((3, 2)), tokens)
