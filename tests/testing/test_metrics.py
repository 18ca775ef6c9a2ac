"""Tests for skexplain.testing.metrics."""

import re

import numpy as np
import pytest
from scipy import stats

from skexplain.testing.metrics import (
    hog_features,
    hog_pearson_correlation,
    spearman_rank_correlation,
    structural_similarity,
    top_k_intersection,
)

PAIR_METRICS = [
    spearman_rank_correlation,
    structural_similarity,
    hog_pearson_correlation,
    lambda a, b: top_k_intersection(a, b, 3),
]
BLOCK_NORMS = ["L2-Hys", "L2", "L1", "L1-sqrt"]


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def maps(rng):
    """Two correlated 8x8 maps (like attributions of a small digit)."""
    a = rng.normal(size=(8, 8))
    return a, a + 0.5 * rng.normal(size=(8, 8))


def _joint_range(a, b):
    return max(a.max(), b.max()) - min(a.min(), b.min())


class FakeTensor:
    """Duck-typed stand-in for a torch tensor (detach/cpu/numpy)."""

    def __init__(self, array):
        self.array = np.asarray(array)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.array


# --------------------------------------------------------------- spearman


@pytest.mark.parametrize("shape", [(8, 8), (28, 28), (3, 4, 5), (50,)])
def test_spearman_matches_scipy(rng, shape):
    a, b = rng.normal(size=shape), rng.normal(size=shape)
    b += a  # make the correlation non-trivial
    expected = stats.spearmanr(a.ravel(), b.ravel()).statistic
    assert abs(spearman_rank_correlation(a, b) - expected) < 1e-12


def test_spearman_with_ties_matches_scipy(rng):
    a, b = rng.integers(0, 4, size=(10, 10)), rng.integers(0, 4, size=(10, 10))
    expected = stats.spearmanr(a.ravel(), b.ravel()).statistic
    assert abs(spearman_rank_correlation(a, b) - expected) < 1e-12


def test_spearman_absolute_matches_scipy_on_abs(rng):
    a, b = rng.normal(size=(12, 12)), rng.normal(size=(12, 12))
    expected = stats.spearmanr(np.abs(a).ravel(), np.abs(b).ravel()).statistic
    assert abs(spearman_rank_correlation(a, b, absolute=True) - expected) < 1e-12


def test_spearman_identical_reversed_and_sign(maps):
    a, _ = maps
    assert spearman_rank_correlation(a, a) == 1.0
    assert spearman_rank_correlation(a, -a) == -1.0
    assert spearman_rank_correlation(a, -a, absolute=True) == 1.0
    ramp = np.arange(16.0)
    assert spearman_rank_correlation(ramp, ramp[::-1]) == -1.0


@pytest.mark.parametrize("absolute", [False, True])
def test_spearman_constant_input_is_zero(maps, absolute):
    a, _ = maps
    const = np.full_like(a, 3.0)
    assert spearman_rank_correlation(a, const, absolute=absolute) == 0.0
    assert spearman_rank_correlation(const, a, absolute=absolute) == 0.0
    assert spearman_rank_correlation(const, const, absolute=absolute) == 0.0


def test_spearman_returns_python_float(maps):
    assert type(spearman_rank_correlation(*maps)) is float


# ------------------------------------------------------------------- SSIM


@pytest.mark.parametrize("shape", [(8, 8), (28, 28), (32, 32)])
@pytest.mark.parametrize("gaussian_weights", [False, True])
@pytest.mark.parametrize("use_sample_covariance", [True, False])
def test_ssim_matches_skimage(rng, shape, gaussian_weights, use_sample_covariance):
    skm = pytest.importorskip("skimage.metrics")
    a = rng.normal(size=shape)
    b = a + rng.normal(size=shape)
    # The default Gaussian window (11 taps) does not fit an 8x8 map.
    win_size = 7 if shape == (8, 8) and gaussian_weights else None
    kwargs = dict(win_size=win_size, gaussian_weights=gaussian_weights,
                  use_sample_covariance=use_sample_covariance)
    expected = skm.structural_similarity(a, b, data_range=_joint_range(a, b), **kwargs)
    assert abs(structural_similarity(a, b, **kwargs) - expected) < 1e-6


@pytest.mark.parametrize("kwargs", [
    dict(data_range=10.0), dict(win_size=3), dict(win_size=5, K1=0.05, K2=0.1),
    dict(gaussian_weights=True, sigma=0.8), dict(win_size=15),
])
def test_ssim_matches_skimage_with_options(rng, kwargs):
    skm = pytest.importorskip("skimage.metrics")
    a, b = rng.random((16, 20)), rng.random((16, 20))
    kwargs.setdefault("data_range", _joint_range(a, b))
    expected = skm.structural_similarity(a, b, **kwargs)
    assert abs(structural_similarity(a, b, **kwargs) - expected) < 1e-6


@pytest.mark.parametrize("shape, channel_axis", [((3, 16, 16), 0), ((16, 16, 3), -1),
                                                 ((16, 2, 12), 1)])
def test_ssim_channel_axis_matches_skimage(rng, shape, channel_axis):
    skm = pytest.importorskip("skimage.metrics")
    a = rng.normal(size=shape)
    b = a + rng.normal(size=shape)
    win_size = 7 if min(np.delete(shape, channel_axis)) >= 7 else None
    expected = skm.structural_similarity(a, b, data_range=_joint_range(a, b),
                                         channel_axis=channel_axis, win_size=win_size)
    got = structural_similarity(a, b, channel_axis=channel_axis, win_size=win_size)
    assert abs(got - expected) < 1e-6


def test_ssim_identical_and_different(maps):
    a, b = maps
    assert structural_similarity(a, a) == pytest.approx(1.0, abs=1e-12)
    assert structural_similarity(a, b) < 1.0
    const = np.full((8, 8), 2.0)
    assert structural_similarity(const, const) == 1.0


# -------------------------------------------------------------------- HOG


@pytest.mark.parametrize("block_norm", BLOCK_NORMS)
@pytest.mark.parametrize("shape, kwargs", [
    ((32, 32), {}),
    ((8, 8), dict(pixels_per_cell=(2, 2), cells_per_block=(2, 2))),
    ((33, 29), dict(orientations=7, pixels_per_cell=(5, 3), cells_per_block=(2, 3))),
])
def test_hog_matches_skimage(rng, shape, kwargs, block_norm):
    skf = pytest.importorskip("skimage.feature")
    image = rng.random(shape)
    expected = skf.hog(image, block_norm=block_norm, feature_vector=True, **kwargs)
    got = hog_features(image, block_norm=block_norm, **kwargs)
    assert got.shape == expected.shape
    # skimage sums cell histograms in single precision, hence not 1e-12.
    assert np.abs(got - expected).max() < 1e-6


@pytest.mark.parametrize("orientations", [4, 8])
def test_hog_matches_skimage_on_bin_edges(rng, orientations):
    # Integer images give gradients at exactly 0/45/90/135 degrees, i.e. on
    # bin edges, which must be binned like skimage does.
    skf = pytest.importorskip("skimage.feature")
    image = rng.integers(0, 3, size=(16, 16)).astype(float)
    kwargs = dict(orientations=orientations, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    expected = skf.hog(image, block_norm="L1", **kwargs)
    assert np.abs(hog_features(image, block_norm="L1", **kwargs) - expected).max() < 1e-6


def test_hog_shape_and_constant_image():
    features = hog_features(np.ones((20, 30)), orientations=6, pixels_per_cell=(4, 5),
                            cells_per_block=(2, 3))
    # cells: 5 x 6 -> blocks: 4 x 4, each 2 * 3 cells * 6 bins
    assert features.shape == (4 * 4 * 2 * 3 * 6,)
    assert features.dtype == np.float64
    assert np.all(features == 0.0)


def test_hog_pearson_identical_is_one(maps):
    a, _ = maps
    assert hog_pearson_correlation(a, a) == pytest.approx(1.0, abs=1e-12)


def test_hog_pearson_shifted_and_rotated_are_lower():
    a = np.zeros((8, 8))
    a[1:5, 2:7] = 1.0
    a[5:7, 3] = 2.0
    same = hog_pearson_correlation(a, a)
    assert hog_pearson_correlation(a, np.roll(a, 2, axis=1)) < same
    assert hog_pearson_correlation(a, np.rot90(a)) < same


def test_hog_pearson_constant_is_zero_and_kwargs_are_used(maps):
    a, b = maps
    assert hog_pearson_correlation(a, np.zeros_like(a)) == 0.0
    r = hog_pearson_correlation(a, b, orientations=4, pixels_per_cell=(4, 4),
                                cells_per_block=(1, 1), block_norm="L1")
    expected = np.corrcoef(hog_features(a, orientations=4, pixels_per_cell=(4, 4),
                                        cells_per_block=(1, 1), block_norm="L1"),
                           hog_features(b, orientations=4, pixels_per_cell=(4, 4),
                                        cells_per_block=(1, 1), block_norm="L1"))[0, 1]
    assert r == pytest.approx(expected, abs=1e-12)


# ------------------------------------------------------------------ top-k


@pytest.mark.parametrize("a, b, k, absolute, expected", [
    ([4, 3, 2, 1], [4, 3, 2, 1], 2, True, 1.0),
    ([4, 3, 2, 1], [1, 2, 3, 4], 2, True, 0.0),
    ([4, 3, 2, 1], [1, 3, 2, 4], 2, True, 0.5),
    ([4, 3, 2, 1], [1, 3, 2, 4], 3, True, 2 / 3),
    ([4, 3, 2, 1], [1, 2, 3, 4], 4, True, 1.0),
    ([-5, 1, 2, 0], [5, 1, 2, 0], 1, True, 1.0),
    ([-5, 1, 2, 0], [5, 1, 2, 0], 1, False, 0.0),
    ([[0, 9], [8, 1]], [[9, 0], [8, 1]], 2, True, 0.5),
    ([1, 1, 1, 1], [1, 1, 0, 0], 2, True, 1.0),  # ties: earliest positions win
])
def test_top_k_intersection_exact(a, b, k, absolute, expected):
    assert top_k_intersection(a, b, k, absolute=absolute) == pytest.approx(expected)


def test_top_k_accepts_numpy_integer_k(maps):
    assert top_k_intersection(*maps, np.int64(64)) == 1.0


# ----------------------------------------------------------------- inputs


@pytest.mark.parametrize("metric", PAIR_METRICS)
def test_accepts_lists_and_tensor_like(maps, metric):
    a, b = maps
    expected = metric(a, b)
    assert metric(a.tolist(), b.tolist()) == expected
    assert metric(FakeTensor(a), FakeTensor(b)) == expected
    assert metric(a.astype(np.float32), b.astype(np.float32)) == pytest.approx(expected, abs=1e-5)


def test_accepts_torch_tensors_requiring_grad(maps):
    torch = pytest.importorskip("torch")
    a, b = maps
    ta = torch.tensor(a, requires_grad=True)
    assert spearman_rank_correlation(ta, torch.tensor(b)) == spearman_rank_correlation(a, b)
    assert hog_features(ta, pixels_per_cell=(2, 2), cells_per_block=(2, 2)).shape == (324,)


@pytest.mark.parametrize("metric", PAIR_METRICS + [
    lambda a, b: hog_features(a, pixels_per_cell=(2, 2), cells_per_block=(2, 2)),
    lambda a, b: spearman_rank_correlation(a, b, absolute=True),
    lambda a, b: structural_similarity(a, b, gaussian_weights=True, win_size=7),
])
def test_inputs_are_not_mutated(maps, metric):
    a, b = maps
    a_copy, b_copy = a.copy(), b.copy()
    a.flags.writeable = False  # read-only inputs must work too
    metric(a, b)
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(b, b_copy)


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize("metric", PAIR_METRICS)
def test_shape_mismatch(metric):
    msg = "a and b must have the same shape; got (8, 8) and (8, 9)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        metric(np.ones((8, 8)), np.ones((8, 9)))


@pytest.mark.parametrize("bad, error, match", [
    ("abc", TypeError, "a must be an array-like of real numbers; got str with dtype <U3"),
    (None, TypeError, "a must be an array-like of real numbers; got NoneType"),
    (np.ones(4) * 1j, TypeError, "a must be an array-like of real numbers; got ndarray with dtype complex128"),
    ([1, "x"], TypeError, "a must be an array-like of real numbers"),
    ([[1, 2], [3]], ValueError, "a must be a rectangular array-like"),
    (np.ones((0, 3)), ValueError, re.escape("a must not be empty; got shape (0, 3)")),
    ([1.0, np.nan, np.inf], ValueError, "a must contain only finite values; got 2 NaN or infinite"),
])
def test_bad_array_inputs(bad, error, match):
    with pytest.raises(error, match=match):
        spearman_rank_correlation(bad, np.ones(3))


@pytest.mark.parametrize("k, got", [(0, "0"), (65, "65"), (2.5, "2.5"), (True, "True"),
                                    ("3", "'3'")])
def test_top_k_bad_k(maps, k, got):
    with pytest.raises(ValueError, match=re.escape(f"k must be an integer in [1, 64]; got {got}")):
        top_k_intersection(*maps, k)


@pytest.mark.parametrize("func", [spearman_rank_correlation,
                                  lambda a, b, **kw: top_k_intersection(a, b, 2, **kw)])
def test_absolute_must_be_bool(maps, func):
    with pytest.raises(TypeError, match="absolute must be a bool; got 'yes'"):
        func(*maps, absolute="yes")


@pytest.mark.parametrize("kwargs, match", [
    (dict(win_size=6), "win_size must be an odd integer >= 3; got 6"),
    (dict(win_size=1), "win_size must be an odd integer >= 3; got 1"),
    (dict(win_size=5.0), "win_size must be an odd integer >= 3; got 5.0"),
    (dict(win_size=9), r"win_size must not exceed the smaller spatial side of the maps \(8 "
                       r"for spatial shape \(8, 8\)\); got 9"),
    (dict(gaussian_weights=True), "win_size must not exceed .*; got 11"),
    (dict(data_range=0.0), "data_range must be a finite positive number; got 0.0"),
    (dict(data_range=np.nan), "data_range must be a finite positive number; got nan"),
    (dict(sigma=-1.0), "sigma must be a finite positive number; got -1.0"),
    (dict(K1=-0.1), "K1 must be a finite non-negative number; got -0.1"),
    (dict(K2="a"), "K2 must be a finite non-negative number; got 'a'"),
    (dict(channel_axis=0), re.escape("a and b must be 3-D arrays when channel_axis is given; "
                                     "got shape (8, 8)")),
])
def test_ssim_bad_arguments(maps, kwargs, match):
    with pytest.raises(ValueError, match=match):
        structural_similarity(*maps, **kwargs)


@pytest.mark.parametrize("name", ["gaussian_weights", "use_sample_covariance"])
def test_ssim_flags_must_be_bool(maps, name):
    with pytest.raises(TypeError, match=f"{name} must be a bool; got 1"):
        structural_similarity(*maps, **{name: 1})


def test_ssim_bad_dimensions(rng):
    cube = rng.random((3, 8, 8))
    msg = "a and b must be 2-D arrays when channel_axis is None; got shape (3, 8, 8)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        structural_similarity(cube, cube)
    with pytest.raises(ValueError, match=re.escape("channel_axis must be None or an integer "
                                                   "in [-3, 2]; got 3")):
        structural_similarity(cube, cube, channel_axis=3)
    with pytest.raises(ValueError, match=r"win_size must not exceed .*\(3 for spatial shape "
                                         r"\(3, 8\)\); got 7"):
        structural_similarity(cube, cube, channel_axis=2)


@pytest.mark.parametrize("image, kwargs, match", [
    (np.ones(64), {}, re.escape("image must be a 2-D array; got shape (64,)")),
    (np.ones((2, 32, 32)), {}, re.escape("image must be a 2-D array; got shape (2, 32, 32)")),
    (np.ones((32, 32)), dict(orientations=0), "orientations must be a positive integer; got 0"),
    (np.ones((32, 32)), dict(orientations=4.0), "orientations must be a positive integer; got 4.0"),
    (np.ones((32, 32)), dict(pixels_per_cell=(8,)),
     re.escape("pixels_per_cell must be a pair of positive integers; got (8,)")),
    (np.ones((32, 32)), dict(pixels_per_cell=8),
     "pixels_per_cell must be a pair of positive integers; got 8"),
    (np.ones((32, 32)), dict(cells_per_block=(0, 2)),
     re.escape("cells_per_block must be a pair of positive integers; got (0, 2)")),
    (np.ones((32, 32)), dict(block_norm="L3"),
     re.escape("block_norm must be one of ('L1', 'L1-sqrt', 'L2', 'L2-Hys'); got 'L3'")),
    (np.ones((16, 32)), {}, re.escape(
        "image of shape (16, 32) is too small for pixels_per_cell=(8, 8) and "
        "cells_per_block=(3, 3); expected at least 24 rows and 24 columns")),
])
def test_hog_bad_arguments(image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        hog_features(image, **kwargs)


def test_hog_pearson_too_small_map():
    with pytest.raises(ValueError, match=re.escape("image of shape (3, 3) is too small")):
        hog_pearson_correlation(np.ones((3, 3)), np.ones((3, 3)))
