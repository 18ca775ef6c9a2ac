"""KernelSHAP's batched generators are numpy's default_rng([seed, b, m]), stream for stream."""
import numpy as np
import pytest

from skexplain.perturbation._seeding import generators, seed_states


def test_seed_states_equal_seed_sequence():
    rng = np.random.default_rng(1)
    keys = np.stack([rng.integers(0, 2**31 - 1, 500), rng.integers(0, 10**6, 500),
                     rng.integers(2, 5000, 500)], axis=1).astype(np.uint32)
    keys[:4] = [[0, 0, 2], [1, 0, 3], [0, 1, 2], [2**31 - 2, 2**32 - 1, 2**32 - 1]]
    expected = np.stack([np.random.SeedSequence([int(v) for v in k]).generate_state(4, np.uint64)
                         for k in keys])
    np.testing.assert_array_equal(seed_states(keys), expected)


@pytest.mark.parametrize("seed", [0, 7, 2**31 - 2])
def test_generators_give_the_streams_of_default_rng(seed):
    rows = np.array([0, 1, 5, 999])
    for got, b in zip(generators(seed, rows, 12), rows.tolist()):
        expected = np.random.default_rng([seed, b, 12])
        np.testing.assert_array_equal(got.random(7), expected.random(7))
        np.testing.assert_array_equal(got.integers(0, 100, 5), expected.integers(0, 100, 5))


def test_no_rows():
    assert generators(3, np.array([], dtype=int), 4) == []
