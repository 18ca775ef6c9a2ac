"""KernelSHAP: skexplain vs shap.KernelExplainer at equal budgets, in one process.

Problems (20 background rows, first 20 test rows, as ../shared/anchors/common.py):
GBR on diabetes (d=10), MLP on the first 12 breast-cancer features (d=12),
the synthetic d=16 model with 2- and 3-way interactions, and ``synthetic48``:
d=48 standard-normal features, a linear part, 24 pairwise products, 12
three-way products and 8 ``sin(x_i x_j + x_k)`` terms.  Truth: ExactShapley
for d <= 16; for synthetic48 the exact values of every term (each involves at
most 3 features, so enumerating its own coalitions is exact) summed, which is
exact by linearity of Shapley values.

For each budget (coalitions per row: 2d ... 64d, below 2^d - 2) and seed it
runs ``shap.KernelExplainer(f, bg).shap_values(X, nsamples=m, l1_reg=False,
silent=True)`` and ``KernelSHAP(f, n_samples=m, random_state=seed)`` and
prints, averaged over seeds (each timed ``--repeats`` times, interleaved, best
kept): relative mean absolute error vs the truth
(mean |phi_hat - phi| / mean |phi|), model rows per explained row, seconds per
row, the skexplain/shap ratios, ``model_ratio`` (the time skexplain spent
inside ``f``, divided by shap's total time: the time ratio that would be left
if everything but the model evaluations cost nothing), and skexplain's time divided
by one bare ``f`` call (best of 3) over as many hybrid rows as skexplain
evaluated.

Run:  python benchmarks/bench_kernel.py                    # everything (about 3 minutes)
      python benchmarks/bench_kernel.py --quick            # synthetic16 + gbr, 2 budgets
      python benchmarks/bench_kernel.py --problems mlp_cancer12 --budgets 4 16 --seeds 0
      python benchmarks/bench_kernel.py --problems synthetic48 --budgets 16 --batch-size 4096
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _problems import SEED, interleaved_best_times, make_problem, print_table  # noqa: E402

from skexplain import ExactShapley, KernelSHAP  # noqa: E402

PROBLEMS = ["gbr_diabetes", "mlp_cancer12", "synthetic16", "synthetic48"]
MULTIPLIERS = [2, 4, 8, 16, 32, 64]


class Counting:
    """Callable wrapper counting the rows a library sends to the model and its time."""

    def __init__(self, f):
        self.f, self.rows, self.seconds = f, 0, 0.0

    def __call__(self, X):
        self.rows += len(X)
        start = time.perf_counter()
        out = self.f(X)
        self.seconds += time.perf_counter() - start
        return out


# ------------------------------------------------------------ synthetic48
def _terms48():
    rng = np.random.default_rng(48)
    linear = rng.normal(0.0, 0.5, 48)
    pairs = [(tuple(rng.choice(48, 2, replace=False)), rng.choice([-1.0, 1.0]))
             for _ in range(24)]
    triples = [(tuple(rng.choice(48, 3, replace=False)), 0.5 * rng.choice([-1.0, 1.0]))
               for _ in range(12)]
    sines = [tuple(rng.choice(48, 3, replace=False)) for _ in range(8)]
    return linear, pairs, triples, sines


def _term_functions():
    linear, pairs, triples, sines = _terms48()
    terms = [((i,), lambda Z, a=a: a * Z[:, 0]) for i, a in enumerate(linear)]
    terms += [(idx, lambda Z, c=c: c * Z[:, 0] * Z[:, 1]) for idx, c in pairs]
    terms += [(idx, lambda Z, c=c: c * Z[:, 0] * Z[:, 1] * Z[:, 2]) for idx, c in triples]
    terms += [(idx, lambda Z: np.sin(Z[:, 0] * Z[:, 1] + Z[:, 2])) for idx in sines]
    return terms


def synthetic48(X):
    X = np.asarray(X, dtype=float)
    return sum(g(X[:, list(idx)]) for idx, g in _term_functions())


def truth48(X, bg):
    """Exact interventional Shapley values, term by term (linearity)."""
    phi = np.zeros(X.shape)
    for idx, g in _term_functions():
        sub = ExactShapley(g).fit(bg[:, list(idx)]).explain(X[:, list(idx)]).values
        phi[:, list(idx)] += sub
    return phi


def make(name):
    if name != "synthetic48":
        P = make_problem(name)
        P["phi"] = ExactShapley(P["f"]).fit(P["bg"]).explain(P["X"]).values
        return P
    from sklearn.model_selection import train_test_split
    from sklearn.utils import resample

    X = np.random.default_rng(SEED).standard_normal((2000, 48))
    Xtr, Xte = train_test_split(X, test_size=0.25, random_state=SEED)
    bg = resample(Xtr, n_samples=20, replace=False, random_state=SEED)
    P = dict(name=name, d=48, f=synthetic48, bg=bg, X=Xte[:20])
    P["phi"] = truth48(P["X"], bg)
    return P


# --------------------------------------------------------------- running
def rel_mae(est, phi):
    return float(np.abs(est - phi).mean() / np.abs(phi).mean())


def run_shap(P, m, seed):
    import shap

    f = Counting(P["f"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(f, P["bg"])
        f.rows = 0
        np.random.seed(seed)
        start = time.perf_counter()
        values = np.asarray(explainer.shap_values(P["X"], nsamples=m, l1_reg=False, silent=True))
        seconds = time.perf_counter() - start
    return rel_mae(values, P["phi"]), f.rows, seconds


def run_ours(P, m, seed, batch_size=None):
    f = Counting(P["f"])
    explainer = KernelSHAP(f, n_samples=m, random_state=seed, batch_size=batch_size)
    explainer.fit(P["bg"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny budgets warn that stderr is NaN
        f.seconds = 0.0
        start = time.perf_counter()
        expl = explainer.explain(P["X"])
        seconds = time.perf_counter() - start
    return (rel_mae(expl.values, P["phi"]), expl.metadata["n_model_rows"], seconds,
            f.seconds)


def bare_time(P, n_rows, repeats=3):
    """One call of f over n_rows hybrid rows (random coalitions of X and background).

    Best of ``repeats`` calls, so that a first-call cost is not counted.
    """
    rng = np.random.default_rng(0)
    masks = rng.random((n_rows, P["d"])) < 0.5
    hybrids = np.where(masks, P["X"][rng.integers(0, len(P["X"]), n_rows)],
                       P["bg"][rng.integers(0, len(P["bg"]), n_rows)])
    return interleaved_best_times([lambda: P["f"](hybrids)], repeats)[0][0]


def run_problem(name, multipliers, seeds, repeats=3, batch_size=None):
    P = make(name)
    d, n = P["d"], len(P["X"])
    run_shap(P, 2 * d + 2, 0)  # warm-up (imports, numba), for both libraries
    run_ours(P, 2 * d + 2, 0)
    rows = []
    for k in multipliers:
        m = k * d
        if m >= 2**d - 2:
            continue
        shap_runs, ours_runs = [], []
        for s in seeds:  # interleaved repeats, best time of each (same seed, same result)
            runs = [(run_shap(P, m, s), run_ours(P, m, s, batch_size)) for _ in range(repeats)]
            shap_runs.append(min((r[0] for r in runs), key=lambda r: r[2]))
            ours_runs.append(min((r[1] for r in runs), key=lambda r: r[2]))
        shap_runs, ours_runs = np.array(shap_runs), np.array(ours_runs)
        t_bare = bare_time(P, int(ours_runs[:, 1].mean()))
        row = dict(problem=name, d=d, budget=m,
                   shap_err=shap_runs[:, 0].mean(), ours_err=ours_runs[:, 0].mean(),
                   shap_rows=shap_runs[:, 1].mean() / n, ours_rows=ours_runs[:, 1].mean() / n,
                   shap_ms=1e3 * shap_runs[:, 2].mean() / n,
                   ours_ms=1e3 * ours_runs[:, 2].mean() / n)
        row["err_ratio"] = row["ours_err"] / row["shap_err"]
        row["time_ratio"] = row["ours_ms"] / row["shap_ms"]
        row["vs_bare"] = ours_runs[:, 2].mean() / t_bare
        # the model's own share of our time: no implementation evaluating
        # these rows can have a time ratio below model_ratio
        row["model_ratio"] = 1e3 * ours_runs[:, 3].mean() / n / row["shap_ms"]
        rows.append(row)
        print_table([row], list(row))
        sys.stdout.flush()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=PROBLEMS, choices=PROBLEMS)
    parser.add_argument("--budgets", nargs="+", type=int, default=MULTIPLIERS,
                        help="budgets as multiples of d (coalitions per row)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs per seed and library (best time kept)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="KernelSHAP batch_size (model rows per call; default: its own)")
    parser.add_argument("--quick", action="store_true",
                        help="synthetic16 and gbr_diabetes at 4d and 16d, one seed")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.problems, args.budgets, args.seeds = ["synthetic16", "gbr_diabetes"], [4, 16], [0]
    rows = []
    for name in args.problems:
        rows += run_problem(name, args.budgets, args.seeds, args.repeats, args.batch_size)
    cols = ["problem", "budget", "shap_err", "ours_err", "err_ratio", "shap_rows", "ours_rows",
            "shap_ms", "ours_ms", "time_ratio", "model_ratio", "vs_bare"]
    print("\nSummary (err: relative MAE vs exact; rows and ms per explained row)")
    print_table(rows, cols)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
