"""correlate on features and states of extreme magnitude (review of issue 14).

Correlation does not depend on scale, but the sums of squares overflowed
(values ~1e200 gave r = 0 for every cell) or underflowed (~1e-170 gave r = +-1).
"""
import numpy as np
import pytest

from skexplain.recurrent import HiddenStates


def _data():
    rng = np.random.default_rng(0)
    states = rng.normal(size=(200, 4))
    feature = rng.normal(size=200)
    states[:, 0] = feature + 0.5 * states[:, 0]
    return states, feature


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("feature_scale, states_scale",
                         [(1e200, 1.0), (1e-170, 1.0), (1e-310, 1.0), (1e307, 1.0),
                          (1.0, 1e200), (1.0, 1e-170)])
def test_correlation_does_not_depend_on_scale(method, feature_scale, states_scale):
    states, feature = _data()
    expected = HiddenStates(states).correlate(feature, method=method).sort_index()
    hs, scaled = HiddenStates(states * states_scale), feature * feature_scale
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # none on the way
        got = hs.correlate(scaled, method=method).sort_index()
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)
    assert abs(expected[0]) > 0.8
