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
