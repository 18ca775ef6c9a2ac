"""Benchmark problems, defined as in ../shared/anchors/common.py (same seeds).

GBR on diabetes (d=10); StandardScaler+MLPClassifier on the first 12 or 14
breast-cancer features, explaining predict_proba[:, 1]; a synthetic d=16
function with 2- and 3-way interactions.  Background: 20 rows drawn like
``shap.sample(X_train, 20, random_state=0)``; explained rows: the first 20
test rows.
"""
import time

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import resample

SEED = 0
N_BACKGROUND = 20
N_EXPLAIN = 20


def synthetic_f(X):
    """Nonlinear d=16 function with pairwise and 3-way interactions."""
    X = np.asarray(X, dtype=float)
    x = [X[:, i] for i in range(16)]
    lin = 0.5 * x[0] - 0.3 * x[1] + 0.2 * x[2] + 0.1 * x[15]
    return (lin + x[0] * x[1] + 2.0 * np.sin(x[2] * x[3]) + x[4] * x[5] * x[6]
            + np.maximum(x[7] - x[8], 0.0) + np.exp(-x[9] ** 2) * x[10]
            + np.tanh(x[11] + x[12]) * x[13] + 0.5 * x[14] ** 2 - np.abs(x[15]))


def make_problem(name):
    """dict(name, d, f, bg, X, Xtr) with f: (n, d) array -> (n,) array (Xtr: training rows)."""
    if name == "gbr_diabetes":
        from sklearn.datasets import load_diabetes
        from sklearn.ensemble import GradientBoostingRegressor

        X, y = load_diabetes(return_X_y=True)
        Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=SEED)
        f = GradientBoostingRegressor(random_state=SEED).fit(Xtr, ytr).predict
    elif name.startswith("mlp_cancer"):
        from sklearn.datasets import load_breast_cancer
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        d = int(name[len("mlp_cancer"):])
        X, y = load_breast_cancer(return_X_y=True)
        Xtr, Xte, ytr, _ = train_test_split(X[:, :d], y, test_size=0.25, random_state=SEED)
        model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=2000, random_state=SEED))
        model.fit(Xtr, ytr)

        def f(Z, _m=model):
            return _m.predict_proba(Z)[:, 1]
    elif name == "synthetic16":
        X = np.random.default_rng(SEED).standard_normal((2000, 16))
        Xtr, Xte, _, _ = train_test_split(X, synthetic_f(X), test_size=0.25, random_state=SEED)
        f = synthetic_f
    else:
        raise ValueError(f"unknown problem {name!r}")
    # shap.sample(X, 20, random_state=0) is sklearn.utils.resample without replacement
    bg = resample(Xtr, n_samples=N_BACKGROUND, replace=False, random_state=SEED)
    return dict(name=name, d=Xtr.shape[1], f=f, bg=np.asarray(bg, dtype=float),
                X=np.asarray(Xte[:N_EXPLAIN], dtype=float), Xtr=np.asarray(Xtr, dtype=float))


def interleaved_best_times(funcs, repeats=3):
    """Best wall time of each function, calling them in turn ``repeats`` times.

    Interleaving (A, B, C, A, B, C, ...) exposes every contender to the same
    drift of a shared machine, so the ratios stay meaningful.
    Returns (list of best times, list of last results).
    """
    best, outs = [np.inf] * len(funcs), [None] * len(funcs)
    for _ in range(repeats):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            outs[i] = func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best, outs


def print_table(rows, cols):
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    cells = [[fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    for x in cells:
        print("  ".join(v.rjust(w) for v, w in zip(x, widths)))
