"""Benchmark problems, defined as in ../shared/anchors/common.py (same seeds).

``make_problem``: GBR on diabetes (d=10); StandardScaler+MLPClassifier on the
first 12 or 14 breast-cancer features, explaining predict_proba[:, 1]; a
synthetic d=16 function with 2- and 3-way interactions.  Background: 20 rows
drawn like ``shap.sample(X_train, 20, random_state=0)``; explained rows: the
first 20 test rows.

``make_kernel_problem`` adds the KernelSHAP benchmark's problems (issue 15)
and their exact Shapley values (``phi``): see ``KERNEL_PROBLEMS``.
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


# ------------------------------------------------ KernelSHAP problems (issue 15)
def correlated_normal(n, d, rho, seed):
    """n rows of N(0, S) with S_ij = rho^|i-j| (neighbouring features correlated)."""
    cov = rho ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    return np.random.default_rng(seed).multivariate_normal(np.zeros(d), cov, size=n)


def _split(X, y, n_background, n_explain=N_EXPLAIN):
    Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=SEED)
    bg = resample(Xtr, n_samples=n_background, replace=False, random_state=SEED)
    return Xtr, ytr, np.asarray(bg, dtype=float), np.asarray(Xte[:n_explain], dtype=float)


def _rf_corr14():
    """RandomForestRegressor, d=14 correlated inputs (rho=0.7), 2- and 3-way interactions."""
    from sklearn.ensemble import RandomForestRegressor

    X = correlated_normal(2000, 14, 0.7, SEED)
    y = (X[:, 0] * X[:, 1] + X[:, 2] * X[:, 3] * X[:, 4] + 2 * X[:, 5] - X[:, 6]
         + np.sin(2 * X[:, 7] * X[:, 8]) + (X[:, 9] > 0) * X[:, 10] + 0.5 * X[:, 11] ** 2
         + 0.1 * np.random.default_rng(SEED + 1).standard_normal(len(X)))
    Xtr, ytr, bg, Xe = _split(X, y, 10)
    model = RandomForestRegressor(n_estimators=50, max_depth=10, min_samples_leaf=3,
                                  random_state=SEED).fit(Xtr, ytr)
    return model.predict, bg, Xe


def _hgb_interact8():
    """HistGradientBoostingRegressor, d=8 (Friedman-like interactions), 100 background rows."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    X = np.random.default_rng(SEED).uniform(0, 1, (3000, 8))
    y = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3]
         + 5 * X[:, 4] + 8 * X[:, 5] * X[:, 6] * (X[:, 7] > 0.5))
    Xtr, ytr, bg, Xe = _split(X, y, 100)
    model = HistGradientBoostingRegressor(max_iter=150, random_state=SEED).fit(Xtr, ytr)
    return model.predict, bg, Xe


def _gbc_cancer10():
    """GradientBoostingClassifier, ten 'worst' breast-cancer features, predict_proba[:, 1]."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import GradientBoostingClassifier

    X, y = load_breast_cancer(return_X_y=True)
    Xtr, ytr, bg, Xe = _split(X[:, 20:30], y, 10)
    model = GradientBoostingClassifier(random_state=SEED).fit(Xtr, ytr)

    def f(Z, _m=model):
        return _m.predict_proba(Z)[:, 1]
    return f, bg, Xe


class TermGame:
    """``X @ linear`` plus a sum of terms ``g(X[:, idx])`` that each read a few features.

    Its exact interventional Shapley values are ``linear * (x - mean(bg))``
    plus the sums of each term's own (ExactShapley over the term's features
    only), exact by linearity of Shapley values.  The linear part is one
    matrix product, so the game stays cheap at d = 64 and 100 background rows.
    """

    def __init__(self, linear, terms):
        self.linear = np.asarray(linear, dtype=float)
        self.terms = terms  # list of (feature index tuple, vectorised function)

    def __call__(self, X):
        X = np.asarray(X, dtype=float)
        return X @ self.linear + sum(g(X[:, list(idx)]) for idx, g in self.terms)

    def shapley(self, X, bg):
        from skexplain import ExactShapley

        phi = self.linear * (X - bg.mean(axis=0))
        for idx, g in self.terms:
            cols = list(idx)
            phi[:, cols] += ExactShapley(g).fit(bg[:, cols]).explain(X[:, cols]).values
        return phi


def synthetic48_terms():
    """(linear coefficients, terms): 24 pairwise, 12 three-way products, 8 sin(x_i x_j + x_k)."""
    rng = np.random.default_rng(48)
    linear = rng.normal(0.0, 0.5, 48)
    pairs = [(tuple(rng.choice(48, 2, replace=False)), rng.choice([-1.0, 1.0]))
             for _ in range(24)]
    triples = [(tuple(rng.choice(48, 3, replace=False)), 0.5 * rng.choice([-1.0, 1.0]))
               for _ in range(12)]
    sines = [tuple(rng.choice(48, 3, replace=False)) for _ in range(8)]
    terms = [(idx, lambda Z, c=c: c * Z[:, 0] * Z[:, 1]) for idx, c in pairs]
    terms += [(idx, lambda Z, c=c: c * Z[:, 0] * Z[:, 1] * Z[:, 2]) for idx, c in triples]
    terms += [(idx, lambda Z: np.sin(Z[:, 0] * Z[:, 1] + Z[:, 2])) for idx in sines]
    return linear, terms


def _synthetic48():
    X = np.random.default_rng(SEED).standard_normal((2000, 48))
    _, _, bg, Xe = _split(X, np.zeros(len(X)), 20)
    return TermGame(*synthetic48_terms()), bg, Xe


def synthetic64_terms():
    """(linear coefficients, terms) of a tree-like d=64 game: steps, hinges, 4-feature boxes."""
    rng = np.random.default_rng(64)
    pick = lambda k: tuple(int(i) for i in rng.choice(64, k, replace=False))  # noqa: E731
    linear, terms = rng.normal(0, 0.3, 64), []
    for _ in range(16):  # split-like steps: x_j > t, leaf value x_i
        t = rng.normal(0, 0.5)
        terms.append((pick(2), lambda Z, t=t: (Z[:, 1] > t) * Z[:, 0]))
    for _ in range(12):  # hinges on a difference times a third feature
        terms.append((pick(3), lambda Z: np.maximum(Z[:, 0] - Z[:, 1], 0.0) * np.tanh(Z[:, 2])))
    for _ in range(8):  # depth-3 leaves: indicator of a 3-feature box, scaled by a fourth
        c = rng.choice([-2.0, 2.0])
        terms.append((pick(4), lambda Z, c=c: c * ((Z[:, 0] > 0) & (Z[:, 1] < 0.5)
                                                   & (Z[:, 2] > -0.5)) * (1 + Z[:, 3])))
    return linear, terms


def _synthetic64():
    X = correlated_normal(2000, 64, 0.5, SEED)
    # 10 explained rows: with 100 background rows its budgets cost the most model rows
    _, _, bg, Xe = _split(X, np.zeros(len(X)), 100, n_explain=10)
    return TermGame(*synthetic64_terms()), bg, Xe


# name -> (builder or None for make_problem, short description)
KERNEL_PROBLEMS = {
    "gbr_diabetes": (None, "GBR, diabetes; d=10, 20 background rows"),
    "mlp_cancer12": (None, "MLP on breast cancer, predict_proba; d=12, bg 20"),
    "synthetic16": (None, "smooth function with 2-, 3-way interactions; d=16, bg 20"),
    "synthetic48": (_synthetic48, "sum of 1- to 3-feature terms (known values); d=48, bg 20"),
    "rf_corr14": (_rf_corr14, "RandomForest, correlated inputs, 2-, 3-way; d=14, bg 10"),
    "hgb_interact8": (_hgb_interact8, "HistGradientBoosting, interactions; d=8, bg 100"),
    "gbc_cancer10": (_gbc_cancer10, "GBClassifier, breast cancer, predict_proba; d=10, bg 10"),
    "synthetic64": (_synthetic64, "tree-like 1- to 4-feature terms; d=64, bg 100, 10 rows"),
}


def make_kernel_problem(name):
    """dict(name, d, f, bg, X, phi, desc): phi the exact Shapley values of the rows X.

    Exact truth: ExactShapley over 2^d x n_background rows per explained row
    (d <= 16 here), or a ``TermGame``'s term-by-term values (d = 48, 64).
    """
    from skexplain import ExactShapley

    if name not in KERNEL_PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; expected one of {list(KERNEL_PROBLEMS)}")
    build, desc = KERNEL_PROBLEMS[name]
    if build is None:
        P = make_problem(name)
        f, bg, Xe = P["f"], P["bg"], P["X"]
    else:
        f, bg, Xe = build()
    if isinstance(f, TermGame):
        phi = f.shapley(Xe, bg)
    else:
        phi = ExactShapley(f).fit(bg).explain(Xe).values
    return dict(name=name, d=Xe.shape[1], f=f, bg=bg, X=Xe, phi=phi, desc=desc)


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
