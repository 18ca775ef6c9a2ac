"""Prototype (issue 15): fewer model rows per background row for large backgrounds.

On ``hgb_interact8`` (100 background rows) KernelSHAP's time to shap's accuracy
at shap's 2d budget is bound by the model: every coalition is evaluated on every
background row, and the per-background games need about d + 2 coalitions each,
so the cheapest run already costs ~12 x 100 model rows per explained row.  Two
ways to spend fewer rows, measured here against the exact values:

* ``pooled``: one background row per coalition pair (rows cycled through random
  permutations), one constrained regression over the pooled samples of the
  normalised games ``u_b(S) = v_b(S) - f(b) - |S|/d (f(x) - f(b))``;
* ``subsample``: today's KernelSHAP on a random subset of ``k`` background rows.

Run from the repository root::

    OMP_NUM_THREADS=1 PYTHONPATH=.:benchmarks python benchmarks/proto_background_sampling.py \
        [problem]

It prints shap's and KernelSHAP's error and time at 2d and 8d, then the error and
time of both prototypes over a range of model rows per explained row.
"""
import sys
import time
import warnings

import numpy as np

from _problems import make_kernel_problem
from bench_kernel import rel_mae, run_ours, run_shap

from skexplain import KernelSHAP


def kernel_sizes(d, n, rng):
    """Coalition sizes 1..d-1 drawn with the Shapley kernel's size distribution."""
    s = np.arange(1, d)
    p = (d - 1) / (s * (d - s))
    return rng.choice(s, size=n, p=p / p.sum())


def pooled(f, X, bg, fx, fb, rows_per_x, seed):
    """Shapley values from one model row per (coalition, background row), pairs sharing b."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    m = bg.shape[0]
    n_pairs = max(1, rows_per_x // 2)
    Z = np.zeros((n, n_pairs, d), bool)
    B = np.zeros((n, n_pairs), int)
    for i in range(n):
        sizes = kernel_sizes(d, n_pairs, rng)
        ranks = rng.random((n_pairs, d)).argsort(1).argsort(1)
        Z[i] = ranks < sizes[:, None]
        reps = -(-n_pairs // m)  # background rows cycled through permutations
        B[i] = np.concatenate([rng.permutation(m) for _ in range(reps)])[:n_pairs]
    Zf = np.concatenate([Z, ~Z], 1)
    Bf = np.concatenate([B, B], 1)
    out = f(np.where(Zf, X[:, None, :], bg[Bf]).reshape(-1, d)).reshape(n, 2 * n_pairs)
    phi = np.zeros((n, d))
    one = np.ones(d)
    for i in range(n):
        gap_b = fx[i] - fb[Bf[i]]
        y = out[i] - fb[Bf[i]] - Zf[i].sum(1) / d * gap_b  # u_b(S): zero at both ends
        A = Zf[i].T.astype(float) @ Zf[i]
        Ai = np.linalg.pinv(A)
        u = Ai @ (Zf[i].T.astype(float) @ y)
        phi[i] = u - Ai @ one * ((one @ u) / (one @ Ai @ one)) + (fx[i] - fb.mean()) / d
    return phi


def subsample(f, X, bg, k, n_samples, seed):
    rng = np.random.default_rng(100 + seed)
    sub = bg[rng.choice(len(bg), k, replace=False)]
    return KernelSHAP(f, n_samples=n_samples, random_state=seed).fit(sub).explain(X).values


def timed(fn, seeds, phi):
    errs, secs = [], []
    for s in seeds:
        start = time.perf_counter()
        est = fn(s)
        secs.append(time.perf_counter() - start)
        errs.append(rel_mae(est, phi))
    return np.mean(errs), np.mean(secs)


def main(name="hgb_interact8", seeds=(0, 1, 2)):
    P = make_kernel_problem(name)
    f, bg, X, phi, d = P["f"], P["bg"], P["X"], P["phi"], P["d"]
    fx, fb = np.ravel(f(X)), np.ravel(f(bg))
    print(f"{name}: d={d}, {bg.shape[0]} background rows, {X.shape[0]} explained rows")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mult in (2, 8):
            for label, run in (("shap", run_shap), ("KernelSHAP", run_ours)):
                res = [run(P, mult * d, s) for s in seeds]
                print(f"{label:10s} {mult}d: error {np.mean([r[0] for r in res]):.4f}, "
                      f"{res[0][1] / X.shape[0]:.0f} rows per row, "
                      f"{np.mean([r[2] for r in res]):.3f} s")
        for rows in (64, 128, 256, 512, 1024):
            err, sec = timed(lambda s: pooled(f, X, bg, fx, fb, rows, s), seeds, phi)
            print(f"pooled     {rows:5d} rows per row: error {err:.4f}, {sec:.3f} s")
        for k, ns in ((10, 16), (20, 16), (40, 16), (100, 16)):
            err, sec = timed(lambda s: subsample(f, X, bg, k, ns, s), seeds, phi)
            print(f"subsample  k={k:3d}, n_samples={ns}: {k * ns:5d} rows per row: "
                  f"error {err:.4f}, {sec:.3f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
