"""Occlusion's sliding windows against a brute-force loop over windows, and the
errors for windows and strides that do not fit the input."""
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from skexplain import Occlusion


def brute_force(f, X, reference, window, stride):
    """Mean over covering windows of f(x) - f(x with the window replaced), one
    window at a time (positions 0, s, 2s, ... while a window starts before D - w
    is passed, as captum: ceil((D - w) / s) + 1 of them)."""
    shape = X.shape[1:]
    starts = [[i * s for i in range(math.ceil((d - w) / s) + 1)]
              for d, w, s in zip(shape, window, stride)]
    fx = f(X)
    total = np.zeros(X.shape + fx.shape[1:])
    count = np.zeros(shape)
    for corner in itertools.product(*starts):
        box = tuple(slice(c, c + w) for c, w in zip(corner, window))
        occ = X.copy()
        occ[(slice(None),) + box] = reference[(0,) + box]
        diff = fx - f(occ)
        total[(slice(None),) + box] += diff.reshape((len(X),) + (1,) * len(shape) + diff.shape[1:])
        count[box] += 1
    assert count.min() >= 1
    return total / count.reshape(shape + (1,) * (fx.ndim - 1))


def f2d(X):
    """A nonlinear model of (n, 5, 7) arrays with two outputs."""
    flat = X.reshape(len(X), -1)
    return np.stack([np.tanh(flat * np.linspace(-1, 1, 35)).sum(1) * X[:, 0, 0],
                     (np.sin(flat) ** 2).sum(1) + X[:, 4, 6] * X[:, 2, 3]], axis=1)


def f3d(X):
    """A nonlinear model of (n, 3, 6, 5) arrays (one output)."""
    return np.tanh(X[:, 0]).sum((1, 2)) * X[:, 1].mean((1, 2)) + np.abs(X[:, 2]).max((1, 2))


@pytest.mark.parametrize("window, stride", [
    ((2, 3), (1, 1)),
    ((2, 3), (2, 3)),   # windows at 0, 2, 4 and 0, 3, 6: the last ones cut off
    ((3, 4), (2, 3)),   # windows at 0, 2 and 0, 3: the last ones cut off
    ((5, 2), (5, 2)),   # the window covers axis 0 whole
    ((1, 1), (1, 1)),
    ((5, 7), (1, 1)),   # one window: the whole input
])
def test_2d_windows_equal_brute_force(rng, window, stride):
    background, X = rng.normal(size=(4, 5, 7)), rng.normal(size=(3, 5, 7))
    explainer = Occlusion(f2d, window=window, stride=stride).fit(background)
    expl = explainer.explain(X)
    expected = brute_force(f2d, X, background.mean(axis=0, keepdims=True), window, stride)
    assert expl.values.shape == (3, 5, 7, 2)
    np.testing.assert_allclose(expl.values, expected, rtol=1e-12, atol=1e-12)
    n_windows = math.prod(math.ceil((d - w) / s) + 1 for d, w, s in zip((5, 7), window, stride))
    # a window over the whole input costs nothing: f(reference) is known from fit
    whole = window == (5, 7)
    assert expl.metadata["n_model_rows"] == 3 * (n_windows + 1 - whole)


@pytest.mark.parametrize("window, stride", [((3, 2, 2), (3, 2, 2)), ((2, 4, 3), (1, 2, 2)),
                                            ((1, 3, 3), (1, 3, 2)), (2, 1)])
def test_3d_windows_equal_brute_force(rng, window, stride):
    background, X = rng.normal(size=(1, 3, 6, 5)), rng.normal(size=(2, 3, 6, 5))
    expl = Occlusion(f3d, window=window, stride=stride).fit(background).explain(X)
    sizes = (window,) * 3 if np.ndim(window) == 0 else window
    strides = (stride,) * 3 if np.ndim(stride) == 0 else stride
    expected = brute_force(f3d, X, background, sizes, strides)
    np.testing.assert_allclose(expl.values, expected, rtol=1e-12, atol=1e-12)


def test_windows_on_a_frame_slide_over_columns(rng):
    frame = pd.DataFrame(rng.normal(size=(6, 5)), columns=list("abcde"))
    model = lambda X: np.asarray(X, dtype=float) @ np.arange(1.0, 6.0)  # noqa: E731
    expl = Occlusion(model, window=2, stride=2).fit(frame).explain(frame.iloc[:2])
    expected = brute_force(model, frame.iloc[:2].to_numpy(),
                           frame.mean().to_numpy()[None, :], (2,), (2,))
    np.testing.assert_allclose(expl.values, expected, atol=1e-12)
    assert expl.feature_names == list("abcde")


def _fit(window=None, stride=None, shape=(3, 6, 5), **params):
    return Occlusion(lambda X: X.reshape(len(X), -1).sum(1), window=window, stride=stride,
                     **params).fit(np.zeros((1,) + shape))


@pytest.mark.parametrize("window, stride, message", [
    ((2, 2), None, r"window must have one size per non-batch dimension of the input \(3 for "
                   r"inputs of feature shape \(3, 6, 5\)\), or be one int; got \(2, 2\)"),
    ((1, 2, 2), (1, 1), r"stride must have one size per non-batch dimension .* got \(1, 1\)"),
    ((1, 0, 2), None, r"every entry of window must be a positive integer; got \(1, 0, 2\)"),
    ((1, 2, 2), (1, -1, 1), r"every entry of stride must be a positive integer"),
    ((1, 7, 2), None, r"window \(1, 7, 2\) does not fit in the input: 7 > 6 along dimension 1"),
    (4, None, r"window \(4, 4, 4\) does not fit in the input: 4 > 3 along dimension 0"),
    ((3, 6, 5), (1, 7, 1), r"stride \(1, 7, 1\) is larger than the input: 7 > 6 along "
                           r"dimension 1"),
    ((1, 2, 2), (1, 3, 1), r"stride \(1, 3, 1\) is larger than window \(1, 2, 2\) along "
                           r"dimension 1 \(3 > 2\)"),
])
def test_bad_window_or_stride(window, stride, message):
    with pytest.raises(ValueError, match=message):
        _fit(window, stride)


def test_bad_window_types_and_combinations():
    with pytest.raises(TypeError, match=r"window must hold integers; got \(1, 2.5, 2\)"):
        _fit((1, 2.5, 2))
    with pytest.raises(TypeError, match="stride must hold integers"):
        _fit((1, 2, 2), (True, 1, 1))
    with pytest.raises(ValueError, match="The 'window' parameter of Occlusion must be"):
        _fit(0)
    with pytest.raises(ValueError, match="The 'stride' parameter of Occlusion must be"):
        _fit((1, 2, 2), "2")
    with pytest.raises(ValueError, match=r"stride=2 needs a window; got window=None"):
        _fit(stride=2)
    with pytest.raises(ValueError, match="window and feature_groups cannot be combined"):
        _fit((1, 2, 2), feature_groups=[[0, 1]])
    # a window as wide as a dimension allows any stride up to the input's size there
    assert _fit((3, 2, 2), (3, 2, 2)).window_ == (3, 2, 2)


def test_many_windows_on_a_large_image_are_masked_in_chunks(capsys):
    import tracemalloc

    # 95 x 95 = 9025 windows over 3 x 96 x 96 = 27648 columns: all masks at once
    # would take 250 MB (and hybrids of every window 1 GB in float32).
    shape = (3, 96, 96)
    image = np.random.default_rng(0).random((1,) + shape, dtype=np.float32)
    model = lambda X: X[:, :, 40:44, 50:52].sum(axis=(1, 2, 3))  # noqa: E731
    explainer = Occlusion(model, window=(3, 2, 2), stride=(3, 1, 1), batch_size=64,
                          verbose=1).fit(np.zeros((1,) + shape, dtype=np.float32))
    tracemalloc.start()
    try:
        expl = explainer.explain(image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 80 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert expl.metadata["n_model_rows"] == 9025 + 1
    expected = brute_force(model, image, np.zeros((1,) + shape, dtype=np.float32),
                           (3, 2, 2), (3, 1, 1))
    np.testing.assert_allclose(expl.values, expected, rtol=1e-5, atol=1e-6)
    assert "9025/9025 windows" in capsys.readouterr().err
