"""Synthetic hidden states with planted on-patterns, shared by the select and match tests."""
import numpy as np

# cell set -> the inclusive ranges where the whole set is on together
PLANTED = {
    (3, 17, 40): [(100, 119), (700, 719), (1500, 1519)],
    (5, 9, 22, 31): [(300, 329), (1200, 1234)],
    (50, 51): [(900, 903)],
}


def planted_states(n_steps=2000, n_cells=64, dtype=np.float64, seed=0):
    """Noise below the threshold 0.3 with isolated one-step spikes above it, plus PLANTED.

    A spike lasts one step, so noise alone never keeps a cell on for two steps
    in a row and never makes a candidate range of length >= 2 by itself.
    """
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(scale=0.1, size=(n_steps, n_cells)), axis=0)
    values = 0.25 * np.tanh(walk) - 0.1                  # in (-0.35, 0.15): off
    spikes = rng.random((n_steps, n_cells)) < 0.03
    spikes[1:] &= ~spikes[:-1]                          # never two in a row
    values[spikes] = rng.uniform(0.3, 1.0, spikes.sum())
    for cells, ranges in PLANTED.items():
        for start, end in ranges:
            # off just before and after, so the planted range is a maximal run
            values[start - 1, list(cells)] = -0.5
            values[end + 1, list(cells)] = -0.5
            values[start:end + 1, list(cells)] = rng.uniform(0.5, 1.0, (end - start + 1,
                                                                        len(cells)))
    return values.astype(dtype)
