"""KernelSHAP's fixed cost per explain call: time outside the model, between two checkouts.

For one explained row, 20 background rows and ``n_samples = 2 d``, on three cheap models
(``Z @ w`` with d=10 and d=16, a 50-tree GradientBoostingRegressor on diabetes), it times
``explain`` and subtracts the time spent inside the model: what is left is the cost of
drawing and factoring designs, building hybrids, solving and the Python around them.
Each checkout runs in its own subprocess (``PYTHONPATH`` pointing at it), alternating,
``--calls`` calls per run, best of ``--runs`` runs.

Run:  python benchmarks/bench_kernel_overhead.py                      # this checkout
      python benchmarks/bench_kernel_overhead.py --against /path/to/other/checkout
"""
import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np


def cases():
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor

    rng = np.random.default_rng(0)
    out = []
    for d in (10, 16):
        w = rng.normal(size=d)
        out.append((f"Z @ w, d={d}", lambda Z, w=w: Z @ w, rng.normal(size=(20, d)),
                    rng.normal(size=(1, d)), d))
    X, y = load_diabetes(return_X_y=True)
    gbr = GradientBoostingRegressor(n_estimators=50, random_state=0).fit(X, y)
    out.append(("GBR, diabetes", gbr.predict, X[:20], X[20:21], 10))
    return out


def measure(calls):
    """{case: (seconds outside the model, seconds inside)} of the best call."""
    from skexplain import KernelSHAP
    from skexplain.exceptions import ApproximationWarning

    warnings.simplefilter("ignore", ApproximationWarning)
    result = {}
    for name, f, background, X, d in cases():
        inside = [0.0]

        def timed(Z, f=f):
            start = time.perf_counter()
            out = f(Z)
            inside[0] += time.perf_counter() - start
            return out

        explainer = KernelSHAP(timed, n_samples=2 * d, random_state=0).fit(background)
        best = (np.inf, 0.0)
        for _ in range(calls):
            inside[0] = 0.0
            start = time.perf_counter()
            explainer.explain(X)
            total = time.perf_counter() - start
            best = min(best, (total - inside[0], inside[0]))
        result[name] = best
    return result


def run_in(path, calls):
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--worker", "--calls", str(calls)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="another checkout to compare with")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(args.calls)))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = {"this": here, **({"other": os.path.abspath(args.against)} if args.against else {})}
    best = {tag: {} for tag in trees}
    for _ in range(args.runs):
        for tag, path in trees.items():  # alternating: both see the same load
            for name, value in run_in(path, args.calls).items():
                best[tag][name] = min(best[tag].get(name, (np.inf, 0.0)), tuple(value))
    for name, (outside, inside) in best["this"].items():
        line = f"{name:15s} outside the model {1e3 * outside:.3f} ms (in it {1e3 * inside:.3f} ms)"
        if "other" in best:
            other_out, other_in = best["other"][name]
            line += (f" | other {1e3 * other_out:.3f} ms (in it {1e3 * other_in:.3f} ms)"
                     f" | other / this {other_out / outside:.2f}x")
        print(line)


if __name__ == "__main__":
    main()
