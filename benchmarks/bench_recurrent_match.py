"""HiddenStates.select and .match over 100,000 steps x 512 cells (issue 14 goal: match < 1 s).

There is no anchor library: LSTMVis is a server application, not a package.
The states imitate a recorded hidden layer: every cell follows an AR(1)
random walk squashed by tanh and shifted so that it is on (>= 0.3) about 8%
of the time in short bursts, and cell sets of each query size are planted on
together at a few ranges (the patterns select and match should find).  Each
query selects the cells on during one planted range (with the noise cells
that happen to be on throughout) and matches them over the whole stream.

Timed: ``hs.select(start, end)`` and ``hs.match(cells)`` with the defaults
(threshold 0.3, top 50), median and minimum over ``--repeats`` runs, for
float32 and float64 states.  ``--layer cell`` names the layer ``l0.cell`` so
that thresholds apply to tanh of the states, which match then computes once
per call.

Run:  python benchmarks/bench_recurrent_match.py [--steps 100000] [--cells 512]
                                                 [--sizes 5 10 20 40] [--repeats 7]
                                                 [--layer hidden|cell]
"""
import argparse
import statistics
import time

import numpy as np
from scipy.signal import lfilter

from skexplain.recurrent import HiddenStates


def make_states(n_steps, n_cells, sizes, dtype, seed=0):
    """AR(1) walks in tanh, mostly off, plus planted sets; returns states and planted ranges."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(scale=np.sqrt(1 - 0.9 ** 2), size=(n_steps, n_cells))
    walk = lfilter([1.0], [1.0, -0.9], noise, axis=0)        # unit variance, correlated
    values = np.tanh(walk - 1.1)                              # >= 0.3 when walk >= 1.41
    planted = {}
    for size in sizes:
        cells = np.sort(rng.choice(n_cells, size=size, replace=False))
        ranges = []
        for _ in range(5):
            start = int(rng.integers(1, n_steps - 40))
            end = start + int(rng.integers(5, 30))
            values[start:end + 1, cells] = rng.uniform(0.5, 0.95, (end - start + 1, size))
            ranges.append((start, end))
        planted[size] = (cells, ranges)
    return values.astype(dtype), planted


def timed(function, repeats):
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - begin)
    return result, statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--cells", type=int, default=512)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--layer", choices=["hidden", "cell"], default="hidden")
    args = parser.parse_args()
    print(f"{args.steps} steps x {args.cells} cells, layer {args.layer}, numpy "
          f"{np.__version__}, median (min) of {args.repeats} runs")
    print(f"{'dtype':8} {'|C|':>4} {'select ms':>16} {'match ms':>18} {'candidates':>10} "
          f"{'best score':>10} {'planted in top 10':>17}")
    for dtype in (np.float32, np.float64):
        states, planted = make_states(args.steps, args.cells, args.sizes, dtype)
        name = f"l0.{args.layer}"
        hs = HiddenStates({name: states}, transform="auto")
        for size, (cells, ranges) in planted.items():
            start, end = ranges[0]
            query, sel_med, sel_min = timed(lambda: hs.select(start, end), args.repeats)
            matches, med, low = timed(lambda: hs.match(query), args.repeats)
            n_candidates = len(hs.match(query, top=10**9))
            found = {(m.start, m.end) for m in matches[:10]} & set(ranges)
            print(f"{np.dtype(dtype).name:8} {len(query):>4} "
                  f"{sel_med * 1e3:>8.2f} ({sel_min * 1e3:5.2f}) "
                  f"{med * 1e3:>9.1f} ({low * 1e3:6.1f}) {n_candidates:>10} "
                  f"{matches[0].score:>10.3f} {f'{len(found)} of {len(set(ranges))}':>17}")
        # the largest query: every cell (the most levels q to scan)
        every = np.arange(args.cells)
        matches, med, low = timed(lambda: hs.match(every), args.repeats)
        print(f"{np.dtype(dtype).name:8} {'all':>4} {'':>16} {med * 1e3:>9.1f} ({low * 1e3:6.1f}) "
              f"{len(hs.match(every, top=10**9)):>10} {matches[0].score:>10.3f}")


if __name__ == "__main__":
    main()
