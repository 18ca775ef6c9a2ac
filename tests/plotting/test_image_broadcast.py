"""A map broadcast over the channels (CAM, Grad-CAM) is shown at its own scale."""
import numpy as np

from skexplain import Explanation
from skexplain.plotting import ImageDisplay


def test_a_map_repeated_on_every_channel_is_not_multiplied_by_their_number(pyplot):
    cam = np.arange(16.0).reshape(4, 4) - 5
    values = np.broadcast_to(cam, (1, 3, 4, 4)).copy()
    expl = Explanation(values, np.zeros(1), data=np.zeros((1, 3, 4, 4)))
    for mode, want in (("signed", cam), ("abs", np.abs(cam))):
        shown = ImageDisplay.from_explanation(expl, mode=mode).heatmap_.get_array()
        np.testing.assert_allclose(np.asarray(shown), want)
    values[0, 1, 0, 0] += 1.0  # channels that differ are summed
    shown = ImageDisplay.from_explanation(Explanation(values, np.zeros(1)),
                                          mode="signed").heatmap_.get_array()
    np.testing.assert_allclose(np.asarray(shown)[0, 0], 3 * cam[0, 0] + 1)
    big = np.arange(25.0).reshape(5, 5) - 7  # (5, 5, 3): channel-last
    channel_last = np.moveaxis(np.broadcast_to(big, (1, 3, 5, 5)), 1, -1)
    shown = ImageDisplay.from_explanation(Explanation(channel_last.copy(), np.zeros(1)),
                                          mode="signed").heatmap_.get_array()
    np.testing.assert_allclose(np.asarray(shown), big)
