"""Ground truth written independently of skexplain: the permutation definition."""
import itertools
from math import factorial

import numpy as np


def value_function(f, x, background, coalition):
    """v(S) = mean_b f(x_S, b_notS), one hybrid at a time (slow and obvious)."""
    outs = []
    for b in background:
        z = np.array(b, dtype=float, copy=True)
        for i in coalition:
            z[i] = x[i]
        outs.append(f(z[None, :])[0])
    return float(np.mean(outs))


def permutation_shapley(f, x, background):
    """Shapley values as the mean marginal contribution over all d! orderings."""
    d = len(x)
    phi = np.zeros(d)
    cache = {}

    def v(S):
        key = frozenset(S)
        if key not in cache:
            cache[key] = value_function(f, x, background, sorted(key))
        return cache[key]

    for order in itertools.permutations(range(d)):
        seen = []
        for i in order:
            phi[i] += v(seen + [i]) - v(seen)
            seen.append(i)
    return phi / factorial(d)


def interaction_index(f, x, background):
    """Shapley interaction index by its subset definition (shap's halved convention)."""
    d = len(x)
    v = lambda S: value_function(f, x, background, sorted(S))  # noqa: E731
    out = np.zeros((d, d))
    for i, j in itertools.combinations(range(d), 2):
        rest = [k for k in range(d) if k not in (i, j)]
        total = 0.0
        for r in range(len(rest) + 1):
            for S in itertools.combinations(rest, r):
                S = set(S)
                w = factorial(len(S)) * factorial(d - len(S) - 2) / factorial(d - 1)
                total += w * (v(S | {i, j}) - v(S | {i}) - v(S | {j}) + v(S))
        out[i, j] = out[j, i] = total / 2
    phi = permutation_shapley(f, x, background)
    for i in range(d):
        out[i, i] = phi[i] - out[i].sum()
    return out


def nonlinear_f(X):
    """A small model with interactions, for d >= 4."""
    X = np.asarray(X, dtype=float)
    return X[:, 0] * X[:, 1] + np.sin(X[:, 2]) + 0.5 * X[:, 3] ** 2 - X[:, 0] * X[:, 2] * X[:, 3]
