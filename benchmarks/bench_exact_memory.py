"""ExactShapley peak memory on tied rows against the background size.

Binary features make explained rows tie with background rows, which sends
ExactShapley through its deduplicated path (``_lattice.evaluate_subset_table``).
Peak Python/numpy allocation during ``explain`` (tracemalloc), one row, d=13,
model ``tanh(X @ w)``.

Run:  PYTHONPATH=. python benchmarks/bench_exact_memory.py [--backgrounds 25 100 400 1600]
"""
import argparse
import time
import tracemalloc

import numpy as np

from skexplain import ExactShapley

D = 13


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backgrounds", nargs="+", type=int, default=[25, 100, 400, 1600])
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    w = rng.normal(size=D)
    print("| n_background | peak MiB | model rows | explain s |")
    print("|---|---|---|---|")
    for nb in args.backgrounds:
        background = rng.integers(0, 2, size=(nb, D)).astype(float)
        X = rng.integers(0, 2, size=(1, D)).astype(float)
        explainer = ExactShapley(lambda Z: np.tanh(Z @ w)).fit(background)
        tracemalloc.start()
        start = time.perf_counter()
        expl = explainer.explain(X)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"| {nb} | {peak / 2**20:.0f} | {expl.metadata['n_model_rows']} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
