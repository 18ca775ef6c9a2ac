"""Recording recurrent states: HiddenStates.from_module vs a plain forward pass.

Cases (random init, ``torch.manual_seed(0)``, eval mode, 32 sequences of 200
token ids from a 64-symbol vocabulary):

* char-LSTM: Embedding(64, 64) + 2-layer LSTM(64 -> 128) + Linear(128, 64);
* GRU: the same with a 2-layer GRU;
* biLSTM: the same with a 2-layer bidirectional LSTM (Linear(256, 64)).

For each case the table gives the median milliseconds per call of the plain
forward pass (``model(X)`` under ``torch.no_grad()``), of recording the hidden
states of every layer and direction (``HiddenStates.from_module(model, X)``,
the default), of the same with ``lengths=`` (the sequences then go through
``pack_padded_sequence``; a quarter of them is shorter) and of
``record="all"`` (cell states and gates too), with the ratios to the plain
forward pass (of medians, and of minimum times: the minimum is less sensitive
to other processes on a shared machine).  Goal: the default recording at most
1.2x the plain forward pass.  All variants of a case are timed in turn in each
round, so machine load affects them alike.

Run:  python benchmarks/bench_recurrent_record.py [--threads 2] [--repeats 9]
                                                   [--batch 32] [--steps 200]
                                                   [--hidden 128] [--json out.json]
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
from torch import nn

from skexplain.recurrent import HiddenStates

VOCAB, EMBED = 64, 64


class CharModel(nn.Module):
    def __init__(self, cell, hidden, bidirectional=False):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMBED)
        self.rnn = cell(EMBED, hidden, num_layers=2, batch_first=True,
                        bidirectional=bidirectional)
        self.out = nn.Linear(hidden * (2 if bidirectional else 1), VOCAB)

    def forward(self, x):
        return self.out(self.rnn(self.emb(x))[0])


def cases(hidden):
    for name, cell, bidirectional in (("char-LSTM", nn.LSTM, False), ("GRU", nn.GRU, False),
                                      ("biLSTM", nn.LSTM, True)):
        torch.manual_seed(0)
        yield name, CharModel(cell, hidden, bidirectional).eval()


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_case(model, X, lengths, repeats):
    def plain():
        with torch.no_grad():
            model(X)

    variants = {
        "forward": plain,
        "hidden": lambda: HiddenStates.from_module(model, X),
        "hidden+lengths": lambda: HiddenStates.from_module(model, X, lengths=lengths),
        "all": lambda: HiddenStates.from_module(model, X, record="all"),
    }
    for fn in variants.values():  # warm up (first calls allocate, oneDNN primes)
        fn()
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            times[name].append(timed(fn))
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.integers(0, VOCAB, size=(args.batch, args.steps)))
    lengths = np.full(args.batch, args.steps)
    lengths[::4] = rng.integers(args.steps // 2, args.steps, size=len(lengths[::4]))
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, "
          f"{args.steps} steps, hidden {args.hidden}, median (min) of {args.repeats}")
    header = ("case", "forward ms", "hidden ms", "hidden+lengths ms", "all ms",
              "hidden / fwd", "hidden+lengths / fwd", "all / fwd")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    results = {}
    for name, model in cases(args.hidden):
        times = run_case(model, X, lengths, args.repeats)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        low = {k: min(v) * 1e3 for k, v in times.items()}
        ratio = {k: f"**{med[k] / med['forward']:.2f}** ({low[k] / low['forward']:.2f})"
                 for k in ("hidden", "hidden+lengths", "all")}
        print(f"| {name} | {med['forward']:.1f} | {med['hidden']:.1f} | "
              f"{med['hidden+lengths']:.1f} | {med['all']:.1f} | {ratio['hidden']} | "
              f"{ratio['hidden+lengths']} | {ratio['all']} |", flush=True)
        results[name] = {"median_ms": med, "min_ms": low}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
