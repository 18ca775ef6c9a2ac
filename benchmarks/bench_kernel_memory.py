"""KernelSHAP peak memory against background size, rows explained and ``batch_size``.

Each configuration runs in a fresh subprocess: it fits ``KernelSHAP`` on a
cheap numpy model (``X @ w``, so that the model's own memory does not count),
resets the process's peak resident set size (``/proc/self/clear_refs``), runs
``explain`` and reports the peak RSS above the fitted baseline, next to what
``batch_size`` allows: one ``predict`` call's hybrid rows, ``rows x d x 8``
bytes (``batch_size=None`` sends 2^14 rows per call within 64 MiB).

Run:  python benchmarks/bench_kernel_memory.py                 # both tables (~10 minutes)
      python benchmarks/bench_kernel_memory.py --quick         # fewer sizes
      python benchmarks/bench_kernel_memory.py --tol 0.01      # the same with tol rounds
Run it with the tree to measure first on ``PYTHONPATH`` (e.g. ``PYTHONPATH=.``).
"""
import argparse
import json
import os
import subprocess
import sys
import time

_CHILD = r"""
import json, os, re, sys, time, warnings
import numpy as np
from skexplain import KernelSHAP

cfg = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
d = cfg["d"]
w = rng.normal(size=d)
background, X = rng.normal(size=(cfg["nb"], d)), rng.normal(size=(cfg["n"], d))
explainer = KernelSHAP(lambda Z: Z @ w, n_samples=cfg["n_samples"], batch_size=cfg["batch_size"],
                       tol=cfg["tol"], random_state=0).fit(background)

def status(key):
    with open("/proc/self/status") as fh:
        return int(re.search(key + r":\s+(\d+) kB", fh.read()).group(1)) * 1024

with open("/proc/self/clear_refs", "w") as fh:  # peak RSS := current RSS
    fh.write("5")
base = status("VmRSS")
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    expl = explainer.explain(X)
seconds = time.perf_counter() - start
print(json.dumps({"peak": status("VmHWM") - base, "seconds": seconds,
                  "rows": expl.metadata["n_model_rows"]}))
"""

D, N_SAMPLES = 200, 2048
BATCHES = [None, 1024, 65536]


def measure(d, nb, n, n_samples, batch_size, tol=None):
    cfg = dict(d=d, nb=nb, n=n, n_samples=n_samples, batch_size=batch_size, tol=tol)
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(cfg)], check=True,
                         capture_output=True, text=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def batch_bytes(batch_size, d):
    rows = batch_size if batch_size is not None else min(2**14, 64 * 2**20 // (8 * d))
    return rows * d * 8


def table(title, axis, values, make_cfg, batches, tol):
    mb = 2.0**20
    print(f"\n{title}")
    print(f"| batch_size | batch MB | {axis}: " + " | ".join(map(str, values)) + " |")
    print("|---|---|" + "---|" * len(values))
    for batch in batches:
        cells = []
        for v in values:
            cfg = make_cfg(v)
            got = measure(**cfg, batch_size=batch, tol=tol)
            cells.append(f"{got['peak'] / mb:.0f} ({got['seconds']:.1f} s)")
        print(f"| {batch} | {batch_bytes(batch, cfg['d']) / mb:.1f} | " + " | ".join(cells) + " |",
              flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tol", type=float, default=None)
    parser.add_argument("--backgrounds", nargs="+", type=int, default=[25, 100, 400])
    parser.add_argument("--rows", nargs="+", type=int, default=[1, 16, 128])
    parser.add_argument("--batches", nargs="+", default=None,
                        help="batch sizes ('None' for the default)")
    args = parser.parse_args(argv)
    batches = BATCHES if args.batches is None else [
        None if b == "None" else int(b) for b in args.batches]
    backgrounds, rows = args.backgrounds, args.rows
    if args.quick:
        backgrounds, rows, batches = [25, 400], [1, 64], [None]
    start = time.perf_counter()
    print(f"peak RSS above the fitted baseline, MB (explain time); d={D}, "
          f"n_samples={N_SAMPLES}, tol={args.tol}, model X @ w")
    table("against background size (1 row explained)", "n_background", backgrounds,
          lambda nb: dict(d=D, nb=nb, n=1, n_samples=N_SAMPLES), batches, args.tol)
    table("against rows explained (20 background rows)", "rows", rows,
          lambda n: dict(d=D, nb=20, n=n, n_samples=N_SAMPLES), batches, args.tol)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
