"""ExactShapley vs shap.ExactExplainer, and vs the bare model evaluations.

For d = 10, 12, 14 (GBR/diabetes, MLP/breast cancer 12 and 14 features) with
20 background rows and 20 explained rows, print seconds per row for both
libraries and two ratios:

* skexplain / shap (goal <= 1.0);
* skexplain / one bare ``predict`` over the same number of hybrid rows
  (goal <= 1.2: evaluating the model is the physical limit).

Run:  python benchmarks/bench_exact.py [--problems gbr_diabetes mlp_cancer12] [--repeats 3]
"""
import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _problems import best_time, make_problem, print_table  # noqa: E402

from skexplain import ExactShapley  # noqa: E402

PROBLEMS = ["gbr_diabetes", "mlp_cancer12", "mlp_cancer14"]


def bare_predict_time(P, n_rows, repeats):
    """One predict over n_rows hybrid rows (random coalitions of x and background)."""
    rng = np.random.default_rng(0)
    d = P["d"]
    masks = rng.random((n_rows, d)) < 0.5
    x = P["X"][rng.integers(0, len(P["X"]), n_rows)]
    b = P["bg"][rng.integers(0, len(P["bg"]), n_rows)]
    hybrids = np.where(masks, x, b)
    return best_time(lambda: P["f"](hybrids), repeats)[0]


def run(name, repeats):
    import shap

    P = make_problem(name)
    X, bg = P["X"], P["bg"]
    explainer = ExactShapley(P["f"]).fit(bg)
    explainer.explain(X[:1])  # warm-up, as for shap
    t_ours, ours = best_time(lambda: explainer.explain(X), repeats)
    masker = shap.maskers.Independent(bg, max_samples=len(bg))
    theirs_explainer = shap.ExactExplainer(P["f"], masker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_explainer(X[:1])
        t_shap, theirs = best_time(lambda: theirs_explainer(X), repeats)
    n_rows = ours.metadata["n_model_rows"]
    t_bare = bare_predict_time(P, n_rows, repeats)
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
