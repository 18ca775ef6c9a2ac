"""ExactShapley vs shap.ExactExplainer, and vs the bare model evaluations.

For d = 10, 12, 14 (GBR/diabetes, MLP/breast cancer 12 and 14 features) with
20 background rows and 20 explained rows, print seconds per row for both
libraries and two ratios:

* skexplain / shap (goal <= 1.0);
* skexplain / bare ``predict`` over the same number of hybrid rows
  (goal <= 1.2: evaluating the model is the physical limit).  The bare time
  is the best of three ways of calling the model on those rows: chunks of
  2^16 rows, chunks of 2^18 rows, and one call (one call over millions of
  rows is the slowest for the MLP; taking the best keeps the baseline strong).

Run:  python benchmarks/bench_exact.py [--problems gbr_diabetes mlp_cancer12] [--repeats 3]
"""
import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _problems import interleaved_best_times, make_problem, print_table  # noqa: E402

from skexplain import ExactShapley  # noqa: E402

PROBLEMS = ["gbr_diabetes", "mlp_cancer12", "mlp_cancer14"]
BARE_CHUNKS = (2**16, 2**18, 2**40)  # the last one is a single call


def hybrid_rows(P, n_rows):
    """n_rows hybrids in enumeration order: per row, per coalition, per background row.

    The order matters for trees (neighbouring rows take similar paths), so the
    bare baseline uses the order an exact enumeration produces.
    """
    d, bg = P["d"], P["bg"]
    masks = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    per_row = len(masks) * len(bg)
    out = []
    for x in P["X"][: -(-n_rows // per_row)]:
        out.append(np.where(masks[:, None, :], x, bg[None, :, :]).reshape(-1, d))
    return np.concatenate(out)[:n_rows]


def bare_predict(f, hybrids, chunk):
    for start in range(0, len(hybrids), chunk):
        f(hybrids[start:start + chunk])


def run(name, repeats):
    import shap

    P = make_problem(name)
    X, bg = P["X"], P["bg"]
    explainer = ExactShapley(P["f"]).fit(bg)
    n_rows = explainer.explain(X).metadata["n_model_rows"]  # also a warm-up
    hybrids = hybrid_rows(P, n_rows)
    masker = shap.maskers.Independent(bg, max_samples=len(bg))
    theirs_explainer = shap.ExactExplainer(P["f"], masker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_explainer(X[:1])  # warm-up
        times, (ours, theirs, *_) = interleaved_best_times(
            [lambda: explainer.explain(X), lambda: theirs_explainer(X)]
            + [lambda c=c: bare_predict(P["f"], hybrids, c) for c in BARE_CHUNKS], repeats)
    t_ours, t_shap, t_bare = times[0], times[1], min(times[2:])
    n = len(X)
    return dict(problem=name, d=P["d"], shap_ms_row=1e3 * t_shap / n,
                skx_ms_row=1e3 * t_ours / n, bare_ms_row=1e3 * t_bare / n,
                skx_over_shap=t_ours / t_shap, skx_over_bare=t_ours / t_bare,
                model_rows_row=n_rows / n,
                max_abs_diff=float(np.abs(ours.values - theirs.values).max()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", nargs="+", default=PROBLEMS, choices=PROBLEMS)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    for name in args.problems:
        rows.append(run(name, args.repeats))
        print(f"[{name}] done", file=sys.stderr, flush=True)
    print_table(rows, ["problem", "d", "shap_ms_row", "skx_ms_row", "bare_ms_row",
                       "skx_over_shap", "skx_over_bare", "model_rows_row", "max_abs_diff"])


if __name__ == "__main__":
    main()
