"""PROTOTYPE (issue 15): balanced coalition designs against KernelSHAP's sampler.

Each sampled stratum of size p is filled from cuts of random permutations of the
players into blocks of p (a block of a uniform permutation is a uniform p-subset, so
every unit keeps its inclusion probability, while the players of one permutation
appear evenly); duplicates are skipped.  Solved by KernelSHAP's SharedDesign with the
same weights; errors against the exact values of proto_regression_adjusted's game
tables, mean over seeds 0-5.  Measured 2026-11-30 (ratio balanced / standard):
rf14 .88 .94 .84 .92, gbr10 1.02 .96 .98 1.06, gbc10 .86 .84 1.07 1.04,
mlp12 .86 .97 1.09 1.09 at 4d, 8d, 16d, 32d: no consistent gain, not adopted.

Run:  python benchmarks/proto_balanced_designs.py rf14 gbr10 gbc10 mlp12
"""
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import proto_regression_adjusted as P_  # noqa: E402
from skexplain.perturbation._samplers import plan_coalitions, sample_units  # noqa: E402
from skexplain.perturbation._solvers import SharedDesign  # noqa: E402


def balanced_units(rng, plan):
    """Units of ``plan`` (one design), sampled strata filled from permutation cuts."""
    d = plan.n_players
    out = []
    strata = zip(plan.sizes, plan.n_units, plan.population, plan.middle)
    for j, (p, n, N, mid) in enumerate(strata):
        if n == N:
            out.append(sample_units([rng], plan, 1)[0][plan.offsets[j]:plan.offsets[j] + n])
            continue
        seen, units = set(), []
        while len(units) < n:
            perm = rng.permutation(d)
            blocks = [perm[i:i + p] for i in range(0, d - p + 1, p)]
            if mid:
                blocks = blocks[:1]
            rng.shuffle(blocks)
            for blk in blocks:
                z = np.zeros(d, bool)
                z[blk] = True
                if mid and not z[0]:  # a middle pair is named by its side holding player 0
                    z = ~z
                if z.tobytes() in seen:
                    continue
                seen.add(z.tobytes())
                units.append(z)
                if len(units) == n:
                    break
        out.append(np.array(units))
    return np.concatenate(out)


def estimate(V, d, m, seed, kind):
    """KernelSHAP's estimate from game tables V (n, nb, 2^d), standard or balanced designs."""
    n, nb, _ = V.shape
    plan = plan_coalitions(d, m, "leverage", True)
    st, counts = plan.stratum_of_unit, plan.n_units
    w = plan.kernel_mass[st] / counts[st]
    pw = 1 << np.arange(d)
    phi = np.zeros((n, d))
    for b in range(nb):
        rng = np.random.default_rng([seed, b, d])
        units = sample_units([rng], plan, 1)[0] if kind == "std" else balanced_units(rng, plan)
        des = SharedDesign(units[None], w, stratum=st, finite=1.0 - counts / plan.population)
        codes = units.astype(np.int64) @ pw
        comp = (~units).astype(np.int64) @ pw
        Vb = V[:, b]  # (n, 2^d)
        delta = Vb[:, -1] - Vb[:, 0]
        t = ((Vb[:, codes] - Vb[:, comp]) + delta[:, None]) * 0.5  # paired target (n, units)
        est, _ = des.solve(t[None, :, :, None], delta[None, :, None])
        phi += est[0, :, :, 0] / nb
    return phi


def main(names):
    warnings.simplefilter("ignore")
    for name in names:
        P = P_.make_problem(name)
        V = P_.cached_tables(P)
        d = P["X"].shape[1]
        truth = P_.exact_shapley(V, d).mean(axis=1)
        line = [name]
        for k in [4, 8, 16, 32]:
            m = k * d
            if m >= 2**d - 2:
                continue
            e = {kind: np.mean([P_.rel_mae(estimate(V, d, m, s, kind), truth) for s in range(6)])
                 for kind in ("std", "bal")}
            line.append(f"{k}d std {e['std']:.4f} bal {e['bal']:.4f} ({e['bal'] / e['std']:.2f})")
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["rf14", "gbr10", "gbc10", "mlp12"])
