"""LIME: skexplain vs lime.lime_tabular.LimeTabularExplainer, in one process.

Problems as ../shared/anchors/03_lime.py (GBR on diabetes, d=10; MLP on the
first 12 breast-cancer features explaining P(class 1), d=12; the synthetic
d=16 function): both libraries get the training rows as their data
(``LimeTabularExplainer(Xtr, mode="regression", random_state=seed)`` and
``LIME(f, random_state=seed).fit(Xtr)``), their default settings (quartile
bins, kernel width 0.75 sqrt(d), Ridge(alpha=1)), 5000 samples, every feature
kept (lime's ``num_features=d``), and explain the first 20 test rows.

Printed per problem, averaged over seeds 0 and 1 (each timed ``--repeats``
times interleaved, best kept): milliseconds per row for both and their
ratio, top-5 Jaccard against exact interventional Shapley values
(ExactShapley, 20-row background) for both, top-5 stability across the two
seeds for both, and the top-5 Jaccard and sign agreement of skexplain with
lime (per seed).

Run:  python benchmarks/bench_lime.py [--repeats 3] [--problems gbr_diabetes]
"""
import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _problems import interleaved_best_times, make_problem, print_table  # noqa: E402

from lime.lime_tabular import LimeTabularExplainer  # noqa: E402

from skexplain import LIME, ExactShapley  # noqa: E402

PROBLEMS = ["gbr_diabetes", "mlp_cancer12", "synthetic16"]
SEEDS = (0, 1)
N_SAMPLES = 5000


def top5(w):
    return set(np.argsort(-np.abs(w), kind="stable")[:5].tolist())


def jaccard(A, B):
    return float(np.mean([len(top5(a) & top5(b)) / len(top5(a) | top5(b))
                          for a, b in zip(A, B)]))


def run_lime(P, seed):
    explainer = LimeTabularExplainer(P["Xtr"], mode="regression", random_state=seed)
    W = np.zeros((len(P["X"]), P["d"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r, x in enumerate(P["X"]):
            exp = explainer.explain_instance(x, P["f"], num_features=P["d"],
                                             num_samples=N_SAMPLES)
            for j, w in exp.as_map()[1]:  # regression: label 1 holds the weights
                W[r, j] = w
    return W


def run_ours(P, seed):
    return LIME(P["f"], n_samples=N_SAMPLES, random_state=seed).fit(P["Xtr"]).explain(
        P["X"]).values


def bench(name, repeats):
    P = make_problem(name)
    n = len(P["X"])
    phi = ExactShapley(P["f"]).fit(P["bg"]).explain(P["X"]).values
    ours, theirs, t_ours, t_lime = {}, {}, [], []
    for seed in SEEDS:
        times, (W_ours, W_lime) = interleaved_best_times(
            [lambda: run_ours(P, seed), lambda: run_lime(P, seed)], repeats)
        ours[seed], theirs[seed] = W_ours, W_lime
        t_ours.append(times[0] / n)
        t_lime.append(times[1] / n)
    signs = [np.mean([np.sign(ours[s][r, j]) == np.sign(theirs[s][r, j])
                      for r in range(n) for j in top5(theirs[s][r])]) for s in SEEDS]
    row = dict(problem=name, d=P["d"],
               lime_ms=1e3 * np.mean(t_lime), skexplain_ms=1e3 * np.mean(t_ours),
               ratio=float(np.mean(t_ours) / np.mean(t_lime)),
               jac_exact_lime=np.mean([jaccard(theirs[s], phi) for s in SEEDS]),
               jac_exact_skx=np.mean([jaccard(ours[s], phi) for s in SEEDS]),
               stab_lime=jaccard(theirs[0], theirs[1]), stab_skx=jaccard(ours[0], ours[1]),
               jac_vs_lime=np.mean([jaccard(ours[s], theirs[s]) for s in SEEDS]),
               sign_vs_lime=float(np.mean(signs)))
    print(f"[{name}] {row}", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--problems", nargs="+", default=PROBLEMS)
    args = parser.parse_args()
    rows = [bench(name, args.repeats) for name in args.problems]
    print()
    print_table(rows, ["problem", "d", "lime_ms", "skexplain_ms", "ratio", "jac_exact_lime",
                       "jac_exact_skx", "stab_lime", "stab_skx", "jac_vs_lime",
                       "sign_vs_lime"])


if __name__ == "__main__":
    main()
