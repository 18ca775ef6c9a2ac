"""Occlusion on a CNN batch: skexplain vs captum, side by side in one process.

Cases (random init, ``torch.manual_seed(0)``, the CNN of bench_gradients.py:
conv16-conv32-maxpool-fc, 10 classes, explained for class 3 against a zero
baseline):

* ``32px``: 32 random 3x32x32 images, window (3, 4, 4), stride (3, 2, 2):
  15 x 15 = 225 windows, 7,200 occluded images plus 32 unoccluded ones;
* ``64px``: 8 random 3x64x64 images, window (3, 8, 8), stride (3, 4, 4):
  225 windows again on four times the pixels.

Each round times, in turn, skexplain (the full ``explain``: validation, the
hybrids built by the coalition evaluator, the model calls, the averaging)
with its default ``batch_size`` (64 MiB of hybrid rows per model call: 2730
images at 32px, 682 at 64px) and with ``batch_size=128``,
captum with its default ``perturbations_per_eval=1`` (one forward pass of
the batch per window) and captum with ``perturbations_per_eval=64`` (64
windows of the whole batch per forward pass, a batch comparable to
skexplain's default of 64 MiB of hybrid rows).  The table gives the median
and minimum seconds over the rounds, the ratios skexplain / captum (of
medians and of minima: the minimum is less sensitive to other processes on a
shared machine), the ratio of median CPU times of the process (all its
threads) and the largest absolute difference of the attributions.
Goal: skexplain <= 1.0x captum's time.

Run:  python benchmarks/bench_occlusion.py [--repeats 3] [--cases 32px 64px]
                                           [--threads 2] [--json out.json]
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
from captum.attr import Occlusion as CaptumOcclusion
from torch import nn

from skexplain import Occlusion

TARGET = 3
CASES = {
    "32px": dict(n=32, size=32, window=(3, 4, 4), stride=(3, 2, 2)),
    "64px": dict(n=8, size=64, window=(3, 8, 8), stride=(3, 4, 4)),
}


def make_cnn(size):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * (size // 2) ** 2, 10)).eval()


def methods(case):
    net = make_cnn(case["size"])
    torch.manual_seed(1)
    X = torch.randn(case["n"], 3, case["size"], case["size"])
    window, stride = case["window"], case["stride"]
    reference = np.zeros((1, 3, case["size"], case["size"]), dtype=np.float32)
    explainer = Occlusion(net, window=window, stride=stride).fit(reference)
    small = Occlusion(net, window=window, stride=stride, batch_size=128).fit(reference)
    captum = CaptumOcclusion(net)

    def run_captum(per_eval):
        return lambda: captum.attribute(X, sliding_window_shapes=window, strides=stride,
                                        baselines=0, target=TARGET,
                                        perturbations_per_eval=per_eval).numpy()

    return {"skexplain": lambda: explainer.explain(X, target=TARGET).values,
            "skexplain batch_size=128": lambda: small.explain(X, target=TARGET).values,
            "captum ppe=1": run_captum(1), "captum ppe=64": run_captum(64)}


def bench(name, case, repeats):
    runs = methods(case)
    times = {m: [] for m in runs}
    cpu_times = {m: [] for m in runs}
    outputs = {}
    for _ in range(repeats):
        for method, run in runs.items():  # interleaved: load affects all alike
            start, cpu = time.perf_counter(), time.process_time()
            outputs[method] = run()
            times[method].append(time.perf_counter() - start)
            cpu_times[method].append(time.process_time() - cpu)
    rows = []
    for ours in ("skexplain", "skexplain batch_size=128"):
        for method in ("captum ppe=1", "captum ppe=64"):
            sk, ref = times[ours], times[method]
            rows.append(dict(
                case=name, skexplain=ours, captum=method,
                skexplain_median_s=statistics.median(sk), captum_median_s=statistics.median(ref),
                skexplain_min_s=min(sk), captum_min_s=min(ref),
                ratio_median=statistics.median(sk) / statistics.median(ref),
                ratio_min=min(sk) / min(ref),
                ratio_cpu=statistics.median(cpu_times[ours]) / statistics.median(
                    cpu_times[method]),
                max_abs_diff=float(np.abs(outputs[ours] - outputs[method]).max())))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.repeats} rounds")
    print("| case | skexplain | captum | skexplain s (median / min) | captum s (median / min) "
          "| ratio (median / min) | CPU-time ratio | max abs diff |")
    print("|---|---|---|---|---|---|---|---|")
    results = []
    for name in args.cases:
        for r in bench(name, CASES[name], args.repeats):
            results.append(r)
            print(f"| {r['case']} | {r['skexplain']} | {r['captum']} | "
                  f"{r['skexplain_median_s']:.2f} / {r['skexplain_min_s']:.2f} | {r['captum_median_s']:.2f} / "
                  f"{r['captum_min_s']:.2f} | {r['ratio_median']:.2f} / {r['ratio_min']:.2f} "
                  f"| {r['ratio_cpu']:.2f} | {r['max_abs_diff']:.1e} |", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
