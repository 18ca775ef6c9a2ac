"""Axis labels and value texts that a person reads."""
import numpy as np

from skexplain import Explanation


def test_generic_output_name_is_not_repeated_in_labels(pyplot):
    e = Explanation(np.array([[1.0, -2.0], [0.5, 3.0]]), np.zeros(2),
                    data=np.array([[1.0, 2.0], [3.0, 4.0]]), feature_names=["a", "b"],
                    output_names=["output"])
    assert e.plot("beeswarm").ax_.get_xlabel() == "attribution"
    assert e.plot("scatter", feature="a").ax_.get_ylabel() == "attribution of a"
    named = Explanation(e.values, e.base_values, data=e.data, feature_names=["a", "b"],
                        output_names=["malignant"])
    assert named.plot("beeswarm").ax_.get_xlabel() == "attribution (malignant)"


def test_waterfall_shows_float_noise_as_zero(pyplot):
    e = Explanation(np.array([[10.0, 1.4e-14, -3.0]]), np.array([100.0]),
                    feature_names=["a", "b", "c"])
    texts = [t.get_text() for t in e.plot("waterfall").value_texts_]
    assert "+0" in texts and not any("e-14" in t for t in texts), texts


def test_waterfall_axis_is_the_model_output(pyplot):
    e = Explanation(np.array([[1.0, -2.0]]), np.array([5.0]), feature_names=["a", "b"],
                    output_names=["malignant"])
    assert e.plot("waterfall").ax_.get_xlabel() == "model output (malignant)"
