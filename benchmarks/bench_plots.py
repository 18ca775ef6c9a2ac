"""Displays against shap's plots, side by side in one process, and the audit demo.

Plots: one Explanation of ``n`` rows x 12 features (random attributions and
feature values, one string column), drawn by skexplain's Display and by the
shap plot of the same kind (``show=False``) on the Agg backend, each into a
new figure that is then saved to PNG (the time a user waits for a picture)
and closed.  Kinds: beeswarm (``shap.plots.beeswarm``), heatmap
(``shap.plots.heatmap``), scatter (``shap.plots.scatter`` of one numeric
feature coloured by another), waterfall (``shap.plots.waterfall``, one row).
After one untimed warm-up of each library (imports, font cache), the
table gives the median seconds over the rounds and the ratio
skexplain / shap (< 1: skexplain faster).

Audit: ``skexplain.audit`` on the embedded demo (diabetes, ``sex`` as a
string column, a GradientBoosting Pipeline) with its defaults, seconds per
step; shap has no counterpart of the whole report.

Run:  python benchmarks/bench_plots.py [--rows 1000 10000] [--repeats 3] [--no-audit]
"""
import argparse
import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _data(n, d=12, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, d)) * np.linspace(3, 0.2, d)
    data = rng.normal(size=(n, d)).astype(object)
    data[:, 3] = rng.choice(["red", "green", "blue"], n)
    names = [f"feature {j}" for j in range(d)]
    return values, data, names


def _ours(kind, values, data, names):
    from skexplain import Explanation

    e = Explanation(values, np.full(len(values), 1.0), data=data, feature_names=names)
    kw = {"scatter": {"feature": names[0], "color": names[1]}, "waterfall": {"row": 0}}
    return e.plot(kind, **kw.get(kind, {})).figure_


def _shap(kind, values, data, names):
    import shap

    numeric = np.where(np.vectorize(lambda v: isinstance(v, str))(data), 0.0, data).astype(float)
    e = shap.Explanation(values, base_values=np.full(len(values), 1.0), data=numeric,
                         feature_names=names)
    if kind == "beeswarm":
        shap.plots.beeswarm(e, show=False)
    elif kind == "heatmap":
        shap.plots.heatmap(e, show=False)
    elif kind == "scatter":
        shap.plots.scatter(e[:, 0], color=e[:, 1], show=False)
    else:
        shap.plots.waterfall(e[0], show=False)
    return plt.gcf()


def _time(draw, *args):
    start = time.perf_counter()
    fig = draw(*args)
    fig.savefig(io.BytesIO(), format="png", dpi=72)
    plt.close("all")
    return time.perf_counter() - start


def bench_plots(rows, repeats):
    for draw in (_ours, _shap):  # imports and matplotlib's font cache out of the timings
        _time(draw, "beeswarm", *_data(50))
    print(f"{'kind':10s} {'rows':>6s} {'skexplain s':>12s} {'shap s':>9s} {'ratio':>7s}")
    for n in rows:
        args = _data(n)
        for kind in ("beeswarm", "heatmap", "scatter", "waterfall"):
            ours = statistics.median(_time(_ours, kind, *args) for _ in range(repeats))
            theirs = statistics.median(_time(_shap, kind, *args) for _ in range(repeats))
            print(f"{kind:10s} {n:6d} {ours:12.3f} {theirs:9.3f} {ours / theirs:7.2f}",
                  flush=True)


def bench_audit():
    import skexplain
    from skexplain.audit._demo import demo_data, demo_model

    X, y = demo_data()
    model = demo_model(X, y)
    start = time.perf_counter()
    report = skexplain.audit(model, X, y)
    total = time.perf_counter() - start
    steps = ", ".join(f"{k} {v:.1f}" for k, v in report.details["timings_s"].items())
    print(f"\naudit of the demo: {total:.1f} s ({steps}); {report.explainer_name}, "
          f"{report.details['rows_note']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-audit", action="store_true")
    args = parser.parse_args()
    bench_plots(args.rows, args.repeats)
    if not args.no_audit:
        bench_audit()


if __name__ == "__main__":
    main()
