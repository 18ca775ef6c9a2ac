"""The floor of KernelSHAP's ratio to a bare predict: writing the hybrid rows alone.

``bench_kernel.py`` reports ``vs_bare``: KernelSHAP's time over one bare call
of the model on as many hybrid rows, built beforehand.  Any estimator that
evaluates those rows must also write them; this prints the time of one
vectorised pass writing them (``HybridBuilder.fill_grid``, every explained row
against every background row, ``k d`` coalitions each) against the bare call,
for the cheap models of the benchmark.  Where the ratio is near 1, ``vs_bare``
cannot approach 1 whatever the estimator does.

Run:  python benchmarks/bench_hybrid_floor.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _problems import interleaved_best_times, make_kernel_problem  # noqa: E402

from skexplain.perturbation._hybrids import HybridBuilder  # noqa: E402

CELLS = [("synthetic16", 8), ("synthetic16", 32), ("mlp_cancer12", 8), ("gbr_diabetes", 8),
         ("gbc_cancer10", 8), ("synthetic64", 8)]


def best(fn, repeats=5):
    return interleaved_best_times([fn], repeats)[0][0]


def main():
    print(f"{'problem':13s} {'budget':>6s} {'rows':>8s} {'write ms':>9s} {'bare ms':>8s} "
          f"{'write/bare':>10s}")
    for name, k in CELLS:
        P = make_kernel_problem(name)
        X, bg, d = P["X"], P["bg"], P["d"]
        n, nb, n_coalitions = len(X), len(bg), k * d
        masks = np.random.default_rng(0).random((nb, n_coalitions, d)) < 0.5
        builder = HybridBuilder(bg)
        out = np.empty((nb, n, n_coalitions, d))
        write = best(lambda: builder.fill_grid(out, X, np.arange(n), np.arange(nb), masks))
        hybrids = out.reshape(-1, d)
        bare = best(lambda: P["f"](hybrids), 3)
        print(f"{name:13s} {k:5d}d {hybrids.shape[0]:8d} {1e3 * write:9.1f} {1e3 * bare:8.1f} "
              f"{write / bare:10.2f}", flush=True)


if __name__ == "__main__":
    main()
