"""KernelSHAP against one bare predict over as many rows: cold calls, interleaved.

Issue 15 asks that an explain call at budgets of 8 coalitions per feature and
more take at most 1.3 times one bare ``f`` call over the model rows it
evaluates.  ``bench_kernel.py`` reports that ratio (``vs_bare``) from the runs
it times against shap, each fresh explainer's call the best of 3, over a bare
call timed apart; on this 2-core machine the two drift apart by 20-50%
between runs.  This script measures only that ratio, more carefully: for each
repeat and seed it times a fresh explainer's first call (``fit`` excluded:
what a user who explains once pays: skexplain's per-process caches, such
as the plans of coalition sizes, are emptied first, and the designs are
drawn and factored), then the bare call over as many hybrid rows as that seed's
call evaluated (``bench_kernel.bare_hybrids``), alternately.
It prints skexplain's best time per seed and the best bare time per seed,
each averaged over seeds, and their ratio, for each problem and budget
(coalitions per feature).

Run:  python benchmarks/bench_kernel_vs_bare.py
      python benchmarks/bench_kernel_vs_bare.py --problems mlp_cancer12 --budgets 8 10 12
      python benchmarks/bench_kernel_vs_bare.py --allocation equal --repeats 9
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_kernel  # noqa: E402
from _problems import KERNEL_PROBLEMS, make_kernel_problem, print_table  # noqa: E402


def cold_call(P, n_samples, seed):
    """Seconds of a fresh explainer's first explain call (``bench_kernel.run_ours``,
    with the allocation of ``bench_kernel.KERNEL_KW``), and its model rows."""
    clear_caches()
    _, n_rows, seconds, _ = bench_kernel.run_ours(P, n_samples, seed)
    return seconds, n_rows


def clear_caches():
    """Empty skexplain's per-process caches (plans of coalition sizes, subset
    tables, bases...), which a process's first call fills."""
    for name, module in list(sys.modules.items()):
        if name.startswith("skexplain."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def measure(P, multiplier, seeds, repeats):
    n_samples = multiplier * P["d"]
    # adaptive allocation's model rows can differ between seeds: a bare call per seed
    rows = {s: bench_kernel.bare_hybrids(P, cold_call(P, n_samples, s)[1]) for s in seeds}
    ours, bare = {s: np.inf for s in seeds}, {s: np.inf for s in seeds}
    for _ in range(repeats):
        for s in seeds:
            ours[s] = min(ours[s], cold_call(P, n_samples, s)[0])
            start = time.perf_counter()
            P["f"](rows[s])
            bare[s] = min(bare[s], time.perf_counter() - start)
    mean_ours, mean_bare = (float(np.mean(list(t.values()))) for t in (ours, bare))
    n_rows = float(np.mean([len(r) for r in rows.values()]))
    return dict(problem=P["name"], d=P["d"], budget=n_samples, model_rows=n_rows,
                ours_ms=1e3 * mean_ours, bare_ms=1e3 * mean_bare, vs_bare=mean_ours / mean_bare)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(KERNEL_PROBLEMS),
                        choices=list(KERNEL_PROBLEMS))
    parser.add_argument("--budgets", nargs="+", type=int, default=[8, 16, 32],
                        help="coalitions per feature (n_samples = budget * d)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--allocation", choices=["adaptive", "equal"], default="adaptive")
    args = parser.parse_args()
    bench_kernel.KERNEL_KW["allocation"] = args.allocation
    rows = []
    for name in args.problems:
        P = make_kernel_problem(name)
        for k in args.budgets:
            if k * P["d"] >= 2 ** P["d"] - 2:
                continue  # every coalition: exact, not a sampled budget
            rows.append(measure(P, k, args.seeds, args.repeats))
            print_table(rows[-1:], list(rows[-1]))
            sys.stdout.flush()
    print("\nSummary (ms: mean over seeds of each seed's best call)")
    print_table(rows, list(rows[0]))
    worst = max(rows, key=lambda r: r["vs_bare"])
    print(f"vs_bare: max {worst['vs_bare']:.3f} ({worst['problem']}, {worst['budget']})")


if __name__ == "__main__":
    main()
