"""KernelSHAP below one identified design per game: a sample of the background vs every game.

For budgets under ``2 d`` coalitions per game a game's regression cannot
identify every attribution.  ``allocation="adaptive"`` then plays a random
sample of each row's games on designs that identify them
(``metadata["allocation"] == "background sample"``); ``allocation="equal"``
plays every game on the small design.  Both spend the same model rows.  This
prints their errors against ExactShapley (relative MAE, mean over 5 seeds) on
five sklearn models and a synthetic game of products of normal inputs, each
with 100 background rows and 6 explained rows.

Run:  python benchmarks/bench_kernel_background.py            # paired designs
      python benchmarks/bench_kernel_background.py --unpaired
"""
import argparse
import os
import sys
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import (GradientBoostingRegressor, HistGradientBoostingClassifier,
                              RandomForestRegressor)
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPRegressor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_kernel import rel_mae  # noqa: E402

from skexplain import ExactShapley, KernelSHAP  # noqa: E402


def products(X):
    X = np.asarray(X, dtype=float)
    return (X[:, 0] * X[:, 1] * X[:, 2] + np.sin(2 * X[:, 3]) * X[:, 4]
            + np.tanh(X[:, 5] - X[:, 6]) * X[:, 7] + X[:, 0] * X[:, 6])


def problems():
    """(name, f, data) for each model."""
    X, y = load_diabetes(return_X_y=True)
    yield "GBR, diabetes", GradientBoostingRegressor(random_state=0).fit(X, y).predict, X
    yield "forest, diabetes", RandomForestRegressor(50, random_state=0).fit(X, y).predict, X
    mlp = MLPRegressor(hidden_layer_sizes=(32,), max_iter=500, random_state=0).fit(X, y)
    yield "MLP, diabetes", mlp.predict, X
    Xc, yc = load_breast_cancer(return_X_y=True)
    Xc = Xc[:, :9]
    hgb = HistGradientBoostingClassifier(random_state=0).fit(Xc, yc)
    yield "boosted trees, cancer (9)", lambda Z: hgb.predict_proba(Z)[:, 1], Xc
    Xw, yw = load_wine(return_X_y=True)
    Xw = ((Xw - Xw.mean(0)) / Xw.std(0))[:, :10]
    lr = LogisticRegression(max_iter=1000).fit(Xw, yw)
    yield "logistic, wine (10)", lambda Z: lr.predict_proba(Z)[:, 0], Xw
    yield "products of normals", products, np.random.default_rng(0).normal(size=(400, 8))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unpaired", action="store_true")
    args = parser.parse_args()
    paired = not args.unpaired
    warnings.simplefilter("ignore")  # equal allocation warns: games not identified
    print(f"{'problem':28s} {'d':>3s} {'n_samples':>9s} {'every game':>10s} "
          f"{'sample':>8s} {'ratio':>6s}")
    for name, f, X in problems():
        rows = np.random.default_rng(1).permutation(len(X))
        background, explained = X[rows[:100]], X[rows[100:106]]
        d = X.shape[1]
        truth = ExactShapley(f).fit(background).explain(explained).values
        budgets = ({d, d + d // 4, d + d // 2, 2 * d - 4, 2 * d - 2} if paired
                   else {d // 2, 3 * d // 4, d - 2})
        for n_samples in sorted(budgets):
            err = {}
            for allocation in ("equal", "adaptive"):
                runs = [KernelSHAP(f, n_samples=n_samples, paired=paired, allocation=allocation,
                                   random_state=s).fit(background).explain(explained)
                        for s in range(5)]
                err[allocation] = np.mean([rel_mae(r.values, truth) for r in runs])
                ran = runs[0].metadata["allocation"]
            mark = "" if ran == "background sample" else f"  ({ran})"
            print(f"{name:28s} {d:3d} {n_samples:9d} {err['equal']:10.3f} "
                  f"{err['adaptive']:8.3f} {err['adaptive'] / err['equal']:6.2f}{mark}",
                  flush=True)


if __name__ == "__main__":
    main()
