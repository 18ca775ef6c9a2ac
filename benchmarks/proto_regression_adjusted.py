"""PROTOTYPE (issue 15): regression-adjusted Shapley estimation vs KernelSHAP.

Not part of the library.  Idea of Witter, Liu & Musco (NeurIPS 2025,
"Regression-adjusted Monte Carlo estimators"), written from the formulas in
../shared/ALGORITHMS.md section 1.5:

    phi = phi(g) + HT-estimate of phi(v - g)

* ``g`` is a linear-plus-pairwise surrogate of the game fitted on the sampled
  coalitions, ``g(S) = b0 + sum_i b_i [i in S] + sum_{i<j} c_ij [i,j in S]``,
  whose Shapley values are exact: ``phi_i(g) = b_i + 1/2 sum_j c_ij``.  The
  intercept and linear part are not penalised (so an additive game is fitted
  exactly); the pairwise part gets a ridge penalty (underdetermined at small
  budgets).
* The residual ``r = v - g`` enters through the exact Shapley formula
  ``phi_i(r) = sum_S r(S) c_i(S)`` with ``c_i(S) = p_{|S|-1}`` if ``i in S``
  and ``-p_{|S|}`` otherwise, ``p_l = 1 / (d C(d-1, l))``, estimated by
  Horvitz-Thompson over the sampled coalitions (inclusion probability
  ``pi_S = n_units / population`` of its stratum), with ``r(empty)`` and
  ``r(full)`` known.  ``sum_i c_i(S) = 0`` for every other ``S``, so
  efficiency is exact without a projection.  With ``crossfit=True`` the
  sampled units of each stratum are split in halves: the surrogate of one
  half corrects with the residuals of the other (unbiased), and both ways
  are averaged.

The coalitions are those of skexplain's KernelSHAP (``plan_coalitions`` and
``sample_units``: leverage size weights, paired, without replacement, border
trick), one independent design per background row (``per_b``) or one design
shared by the background (``shared``: the game is the background mean).

Variants measured (names as ``--variants``):

* ``ra1_perb`` / ``ra2_perb``: linear / linear-plus-pairwise surrogate per
  game.  They give the same estimates: with paired sampling the linear
  adjustment is already exact on games of order <= 2 (tested), so the
  pairwise block adds nothing.
* ``tree_*``: boosted trees on the 0/1 masks of one game (Tree MSR): too few
  samples per game here (m of them), worse than ``ra1``.
* ``itree_*``: boosted trees fitted on the evaluated hybrid rows themselves,
  pooled over every explained and background row (n * n_bg * m points), a
  surrogate ``h`` of the model in input space; ``g_b(S) = h(x_S, b_notS)``
  has exact Shapley values (single-reference interventional TreeSHAP, closed
  form per leaf).  ``_lin``: phi(h) + linear-adjusted HT of v - h;
  ``_beta``: ra1(v) + beta (phi(h) - ra1(h)) with beta the control-variate
  coefficient estimated from the stratified unit contributions (beta = 0 on
  additive games, so those stay exact); ``_cf``: cross-fitted halves;
  ``hgb``: HistGradientBoosting (300 iterations) instead of GBR (100);
  ``itree2``: tree fitted on the residual of a per-game linear fit.

Everything runs on precomputed game tables (all 2^d coalitions of every
single-reference game ``v_b(S) = f(x_S, b_notS)``), so an estimate costs
table look-ups; its *model-row cost* is the same as KernelSHAP's at the same
``n_samples`` (one row per coalition and background row).

Measured 2026-11-30 (2 shared cores, OMP_NUM_THREADS=1; relative MAE, mean of
seeds 0-2, 10 rows, 10 background rows; shap = KernelExplainer l1_reg=False):

    rf14   budget  2d     4d     8d     16d    32d
      shap         .7952  .2063  .1106  .0667  .0418
      KernelSHAP   .1384  .0950  .0518  .0311  .0200   (/shap .17 .46 .47 .47 .48)
      ra1_perb     .1384  .0831  .0429  .0271  .0192
      itree_beta   .1384  .0672  .0346  .0204  .0131   (/shap .17 .33 .31 .31 .31)
      itree_hgb_b  .1384  .0713  .0320  .0169  .0097   (/shap .17 .35 .29 .25 .23)
    gbr10 shap     .2306  .0703  .0467  .0243  .0170
      KernelSHAP   .0514  .0322  .0140  .0082  .0045
      itree_beta   .0560  .0257  .0137  .0068  .0033
      itree_hgb_b  .0560  .0298  .0129  .0059  .0027
    additive14: ra1, ra2, itree_beta, itree_hgb_beta exact to 1e-9 at every budget.

Honest version (part 15b, measured 2026-11-30, 2 shared cores, OMP_NUM_THREADS=1,
other jobs running; seeds 0-2, 10 rows, 10 background rows unless said):
``crossfit_parts`` + ``combine`` (``--honest NAME``, table ``HONEST``).  The
designs are KernelSHAP's own (``kernel_designs``: same rng, same
``SharedDesign``; ``ks_solver`` reproduces ``KernelSHAP`` values and standard
errors to 1e-12, tested).  Three targets on one design, v, h and v + h:
phi = mean_b [K(v) + beta (phi_exact(h) - K(h))], variance V1 + beta^2 V2 -
2 beta C with C = (V3 - V1 - V2) / 2.  ``_fold`` = beta pooled per (row,
fold) over background rows and players; ``_game`` per game; ``_one`` = 1.
Folds of the surrogate h (HGB, 300 iterations, 31 leaves, fitting set capped
at 50k seeded rows): ``cf2``/``cf5`` by background row (b % K; the designs
adjusted are independent of h), ``diag2`` by (r + b) % 2 (h has seen x_r with
other background rows and b with other rows, never their hybrids; it has
seen design b's coalitions through other rows), ``rows2`` by r % 2,
``half2`` two independent designs of m/2 per background row (each half's h
adjusts the other), ``nocf`` one surrogate on everything (not honest).

Relative MAE ratio to shap (KS = skexplain KernelSHAP; gbr10: the prototype
does not drop the players where x == b as KernelSHAP does (a binary column),
its own ks_solver is 1.09-1.31x KernelSHAP there):

    problem  budget   2d    4d    8d    16d   32d
    rf14     KS      .17   .46   .47   .47   .48
             cf2     .17   .43   .44   .40   .39
             cf5     .17   .42   .43   .42   .44
             diag2   .17   .37   .34   .35   .30
             half2   .67   .67   .42   .34   .29
             nocf    .17   .36   .26   .27   .27   (not calibrated, see below)
    gbr10    KS      .22   .46   .30   .34   .26
             cf2     .24   .47   .35   .33   .28
             diag2   .24   .47   .34   .33   .26
             nocf    .24   .50   .32   .29   .19
    gbc10    KS      .37   .57   .61   .49   .46   (GradientBoostingClassifier,
             cf2     .37   .56   .52   .41   .41    breast cancer, 10 features,
             cf5     .37   .51   .44   .36   .32    predict_proba[:, 1])
             diag2   .37   .46   .41   .29   .27
             nocf    .37   .32   .30   .21   .14
    mlp12    KS      .13   .29   .31   .29   .28   (MLPRegressor 64x64)
             cf2     .13   .30   .30   .26   .26
             diag2   .13   .27   .27   .24   .24
             nocf    .13   .25   .24   .21   .21
    additive14: KS, cf2, cf5, diag2, nocf exact (1e-9); cf2_one is not (beta = 1
    carries the surrogate's non-additive part: .047 at 2d).
    beta per game (cf2_game) ~ cf2_fold in error; beta = 1 (cf2_one) worse
    (gbr10 1.15-1.38x KernelSHAP).
    diag2 over the 20 cells of rf14, gbr10, gbc10, mlp12: max .47, median .30
    (KernelSHAP: max .61, median .33).  Ratio diag2 / KernelSHAP: rf14
    .80 .73 .74 .64 at 4d-32d, gbc10 .80 .66 .60 .58, mlp12 .94 .89 .83 .87.
    rf14, 100 background rows (8d / 32d; shap's rel MAE .0976 / .0369): KS .17 / .21,
    diag2 .12 / .11 (.69 / .53 of KernelSHAP), cf2 .14 / .16, nocf .11 / .10.
    rf14, 1 background row (8d / 32d): KS .75 / .65; diag2 (= rows2) .60 / .56;
    half2 .73 / .47; cf2 = nocf (one fold only) .51 / .42.
    rf14, 2 background rows: KS .65 / .55; diag2 .57 / .49; half2 .66 / .44;
    cf2 .63 / .49; nocf .51 / .38.
    beta pooled over the whole fold (``diag2_all``), ratio to KernelSHAP at
    4d / 8d / 32d: rf14 .85 .75 .70 (diag2_fold .80 .73 .64), gbc10 .79 .66 .60
    (.80 .66 .58), rf14 with 1 background row .89 .86 .90 (.88 .80 .87).

Calibration (``--calibrate``; tree8 = RandomForest on d=8 with 2- and 3-way
interactions, 10 rows x 8 players, 10 background rows, 200 seeds unless
said; coverage of |est - truth| <= 1.96 se; z = mean error over seeds / its
standard error, per attribution):

    surrogate 50 it, 15 leaves   coverage 4d / 16d    median |z| 4d / 16d
      ks_solver (KernelSHAP)         .954 / .951       2.79 / 0.58
      cf2_fold                       .945 / .952       2.81 / 0.63
      cf2_game                       .877 / .882
      cf2_one                        .955 / .950       2.39 / 0.55
      nocf_fold                      .946 / .948       3.18 / 0.71
      diag2_fold                     .940 / .950       2.75 / 0.56
      diag2_all                      .955 / .952       2.44 / 0.65
      rows2_fold                     .951 / .950       2.95 / 0.62
      half2_fold                     (4d: m/2 leaves sizes unsampled) / .956
    surrogate 300 it, 31 leaves
      nocf_fold (100 seeds)          .835 / (stopped)  3.38
      cf2_fold (100 seeds)           .941 / (stopped)  1.74
      diag2_fold                     .938 / .947       2.64 / 0.87 (|z| > 1.96 for
                                                       12.5% at 16d, KS 2.5%: a
                                                       small bias, h has seen
                                                       design b through other rows)
    One background row (tree8_bg1, 50 it, 15 leaves, 200 seeds):
      ks_solver                      .902 / .952       2.19 / 0.64
      diag2_fold (= rows2)           .798 / .875       (beta per game: blows up,
                                                        rel MAE 5.1 / 1.7)
      diag2_all                      .891 / .950       2.19 / 0.71
      nocf_fold                      .827 / .917       3.04 / 1.44
    At 4d KernelSHAP itself is measurably biased on tree8 (median |z| 2.8, a
    bias its ratio-bias correction does not remove at this budget; about a
    fifth of its spread); the cross-fitted variants add none to it, nocf adds
    some.

Cost (``--cost``, seed 0, surrogate fit + predict on every hybrid row + exact
phi(h), as a multiple of one bare model predict over the same rows; error
ratio to the prototype's KernelSHAP):

    problem/budget  model s   diag2 300/31/50k   100/15/10k    30/15/5k    30/7/2k
    gbr10 8d        0.038     274x  .84          54x  .81      21x  .82    15x  .84
    gbr10 32d       0.137     120x  .76          28x  .88      8.7x .92    5.8x .82
    rf14 8d         0.378     34x   .76          8.4x .79      3.3x .87    1.3x .94
    rf14 32d        1.333     16x   .59          4.4x .77      .26x .88    .62x .99
    gbc10 8d        0.039     238x  .73          45x  .66      17x  .67    11x  .81
    gbc10 32d       0.143     103x  .52          28x  .63      6.3x .67    6.1x .91
    mlp12 8d        0.062     184x  .90          57x  .98      19x  1.01   13x  .98
    mlp12 32d       0.563     30x   .83          6.0x .88      3.2x .97    1.4x .97
    (nocf costs about half: one fit instead of two.)  The gain needs the large
    surrogate; at 1.3x a bare predict only the smallest fits, and they gain
    almost nothing.

Recommended design (from these figures): diag folds, (r + b) % 2 over all the
rows of the call (one background row: r % 2; one row: b % 2; one row and one
background row: no surrogate, plain KernelSHAP); beta pooled per (row, fold)
when a row has at least 5 games in its fold, else pooled over the whole fold
(a beta from one game blows up where h is nearly additive); both are exact on
additive games and at full budget and calibrated where used; per-game beta
under-covers, beta = 1 loses additive exactness; HGB 300 iterations, 31
leaves, 50k fitting rows; beta = 0 automatically where the design samples
nothing (2d).  The surrogate is fitted on every row of the call: explain must
evaluate all rows before solving any (results then stay independent of
batch_size / n_jobs, but a row's attribution depends on the other rows
explained with it).  Background folds are honest but the surrogate never sees the
reference row b of the games it adjusts (small gain); half designs lose the
border-trick enumeration below 16d; the non-cross-fitted surrogate is the most
accurate but under-covers with a surrogate large enough to help.  The
surrogate costs 16-274x a bare predict at the size that helps, so the
1.3x-a-predict bound cannot be met with it on cheap models, and spending the
same seconds on model rows wins on them: it can only be an option for
expensive models (or a default chosen by a declared model cost), not a rule
on timings.

Run:  python benchmarks/proto_regression_adjusted.py [--problems rf14 gbr10 additive14]
      python benchmarks/proto_regression_adjusted.py --honest cf2_fold cf2_game cf2_one \
          cf5_fold nocf_fold --problems rf14 gbr10 additive14 gbc10 mlp12
      (and --honest ks_solver half2_fold diag2_fold; --problems rf14_bg100 rf14_bg1
      rf14_bg2 --budgets 8 32)
      python benchmarks/proto_regression_adjusted.py --calibrate --honest cf2_fold \
          cf2_game cf2_one nocf_fold ks_solver --budgets 4 16 --n-iter 50 --leaves 15
      python benchmarks/proto_regression_adjusted.py --cost --honest diag2_fold \
          nocf_fold --problems gbr10 rf14 gbc10 mlp12 --budgets 8 32 --seeds 0
"""
import argparse
import os
import sys
import time
import warnings
from math import comb

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from skexplain.perturbation._samplers import plan_coalitions, sample_units  # noqa: E402


# ------------------------------------------------------------------ games
def all_masks(d):
    """(2^d, d) bool: coalition ``k`` holds player ``i`` when bit ``i`` of ``k`` is set."""
    return ((np.arange(2 ** d)[:, None] >> np.arange(d)) & 1).astype(bool)


def game_tables(f, X, bg, chunk=2 ** 17):
    """V[row, b, code] = f(x_S, b_notS) for every coalition code (2^d of them)."""
    n, d = X.shape
    masks = all_masks(d)
    V = np.empty((n, len(bg), 2 ** d))
    for r in range(n):
        hyb = np.where(masks[None], X[r][None, None], bg[:, None, :]).reshape(-1, d)
        out = np.concatenate([f(hyb[s:s + chunk]) for s in range(0, len(hyb), chunk)])
        V[r] = out.reshape(len(bg), 2 ** d)
    return V


def p_weights(d):
    """p_l = 1 / (d C(d-1, l)), l = 0..d-1, padded with p_{-1} = p_d = 0."""
    p = np.array([1.0 / (d * comb(d - 1, l)) for l in range(d)])
    return np.concatenate([[0.0], p, [0.0]])  # index l + 1


def shapley_coefficients(Z):
    """C[s, i] = c_i(S) for the masks Z (n, d): phi_i = sum_S v(S) c_i(S)."""
    d = Z.shape[1]
    p = p_weights(d)
    size = Z.sum(axis=1)
    return np.where(Z, p[size][:, None], -p[size + 1][:, None])


def exact_shapley(V, d):
    """Exact Shapley values of games given as full tables (..., 2^d) -> (..., d)."""
    C = shapley_coefficients(all_masks(d))
    return V @ C


# ------------------------------------------------------------- surrogate
def pair_index(d):
    return np.triu_indices(d, 1)


def features(Z, order):
    """[Z, Z_i Z_j (i<j)] as floats (order 2), or Z (order 1)."""
    Z = Z.astype(float)
    if order == 1:
        return Z
    i, j = pair_index(Z.shape[1])
    return np.concatenate([Z, Z[:, i] * Z[:, j]], axis=1)


def fit_surrogate(Z, y, w, order=2, lam=1e-2):
    """Weighted ridge of y on [1, features]; intercept and linear part unpenalised.

    Returns the coefficient vector (intercept first).  ``lam`` is relative to
    the mean diagonal of the weighted Gram matrix of the pairwise block.
    """
    F = np.concatenate([np.ones((len(Z), 1)), features(Z, order)], axis=1)
    Fw = F * w[:, None]
    G = F.T @ Fw
    pen = np.zeros(F.shape[1])
    d = Z.shape[1]
    pen[1 + d:] = lam * max(np.mean(np.diag(G)[1 + d:]) if order == 2 else 0.0, 1e-12)
    pen[:1 + d] = 1e-10 * np.mean(np.diag(G))  # only guards exact singularity
    return np.linalg.solve(G + np.diag(pen), Fw.T @ y)


def surrogate_values(coef, Z, order):
    F = np.concatenate([np.ones((len(Z), 1)), features(Z, order)], axis=1)
    return F @ coef


def surrogate_shapley(coef, d, order):
    """phi_i(g) = b_i + 1/2 sum_j c_ij."""
    phi = coef[1:1 + d].copy()
    if order == 2:
        i, j = pair_index(d)
        c = coef[1 + d:]
        np.add.at(phi, i, 0.5 * c)
        np.add.at(phi, j, 0.5 * c)
    return phi


# ---------------------------------------------------------- tree surrogate
def leaf_games(tree):
    """(value, A, B) per reachable leaf of a sklearn tree on 0/1 masks: the leaf is
    reached by the coalitions holding every player of A and none of B."""
    t = tree.tree_
    out, stack = [], [(0, frozenset(), frozenset())]
    while stack:
        node, A, B = stack.pop()
        left = t.children_left[node]
        if left == -1:
            out.append((float(t.value[node].ravel()[0]), A, B))
            continue
        i = int(t.feature[node])  # threshold between 0 and 1: left is "i absent"
        if i not in A:
            stack.append((left, A, B | {i}))
        if i not in B:
            stack.append((t.children_right[node], A | {i}, B))
    return out


def leaf_shapley(A, B, d):
    """Shapley values of u(S) = [A in S and B disjoint from S] (exact, closed form)."""
    from math import factorial
    a, b = len(A), len(B)
    phi = np.zeros(d)
    if a:
        phi[list(A)] = factorial(a - 1) * factorial(b) / factorial(a + b)
    if b:
        phi[list(B)] = -factorial(a) * factorial(b - 1) / factorial(a + b)
    return phi


class TreeSurrogate:
    """Gradient-boosted trees on the 0/1 masks; Shapley values exact from the leaves."""

    def __init__(self, Z, y, w, n_estimators=50, max_depth=3, seed=0):
        from sklearn.ensemble import GradientBoostingRegressor
        self.d = Z.shape[1]
        self.model = GradientBoostingRegressor(
            n_estimators=n_estimators, max_depth=max_depth, learning_rate=0.1,
            random_state=seed).fit(Z.astype(float), y, sample_weight=w)

    def values(self, Z):
        return self.model.predict(Z.astype(float))

    def shapley(self):
        phi = np.zeros(self.d)
        lr = self.model.learning_rate
        for est in self.model.estimators_.ravel():
            for value, A, B in leaf_games(est):
                phi += lr * value * leaf_shapley(A, B, self.d)
        return phi


class PolySurrogate:
    """Linear (order 1) or linear-plus-pairwise (order 2) ridge surrogate."""

    def __init__(self, Z, y, w, order=2, lam=1e-2):
        self.order, self.d = order, Z.shape[1]
        self.coef = fit_surrogate(Z, y, w, order, lam)

    def values(self, Z):
        return surrogate_values(self.coef, Z, self.order)

    def shapley(self):
        return surrogate_shapley(self.coef, self.d, self.order)


# ------------------------------------------- tree surrogate in input space
def leaf_boxes(tree, d):
    """(values, lo, hi) of the leaves of a sklearn tree: leaf l holds the z with
    lo[l] < z <= hi[l] in every feature."""
    t = tree.tree_
    vals, los, his = [], [], []
    stack = [(0, np.full(d, -np.inf), np.full(d, np.inf))]
    while stack:
        node, lo, hi = stack.pop()
        left = t.children_left[node]
        if left == -1:
            vals.append(float(t.value[node].ravel()[0]))
            los.append(lo)
            his.append(hi)
            continue
        i, thr = int(t.feature[node]), t.threshold[node]
        h2 = hi.copy()
        h2[i] = min(hi[i], thr)
        l2 = lo.copy()
        l2[i] = max(lo[i], thr)
        stack.append((left, lo, h2))
        stack.append((t.children_right[node], l2, hi))
    return np.array(vals), np.array(los), np.array(his)


def hgb_leaf_boxes(nodes, d):
    """leaf_boxes for a HistGradientBoosting predictor (no missing values in our data)."""
    vals, los, his = [], [], []
    stack = [(0, np.full(d, -np.inf), np.full(d, np.inf))]
    while stack:
        k, lo, hi = stack.pop()
        node = nodes[k]
        if node["is_leaf"]:
            vals.append(float(node["value"]))
            los.append(lo)
            his.append(hi)
            continue
        i, thr = int(node["feature_idx"]), float(node["num_threshold"])
        h2, l2 = hi.copy(), lo.copy()
        h2[i], l2[i] = min(hi[i], thr), max(lo[i], thr)
        stack.append((int(node["left"]), lo, h2))
        stack.append((int(node["right"]), l2, hi))
    return np.array(vals), np.array(los), np.array(his)


class InputTreeSurrogate:
    """Boosted trees fitted on the evaluated hybrid rows themselves (pooled over
    explained and background rows); the Shapley values of the single-reference
    game ``g_b(S) = h(x_S, b_notS)`` are exact: a leaf is reached by the
    coalitions holding A (where only x falls in the leaf's box) and none of B
    (where only b does), and ``u(S) = [A in S, B out of S]`` has a closed form."""

    def __init__(self, H, y, n_estimators=100, max_depth=4, seed=0, kind="gbr",
                 max_leaf_nodes=31, learning_rate=0.1):
        d = H.shape[1]
        if kind == "hgb":  # histogram boosting: leaf values already shrunk
            from sklearn.ensemble import HistGradientBoostingRegressor
            self.model = HistGradientBoostingRegressor(
                max_iter=n_estimators, max_leaf_nodes=max_leaf_nodes,
                learning_rate=learning_rate, early_stopping=False,
                random_state=seed).fit(H, y)
            boxes = [hgb_leaf_boxes(p[0].nodes, d) for p in self.model._predictors]
            self.vals = np.concatenate([b[0] for b in boxes])
        else:
            from sklearn.ensemble import GradientBoostingRegressor
            self.model = GradientBoostingRegressor(
                n_estimators=n_estimators, max_depth=max_depth, learning_rate=0.1,
                subsample=0.8, random_state=seed).fit(H, y)
            boxes = [leaf_boxes(e, d) for e in self.model.estimators_.ravel()]
            self.vals = self.model.learning_rate * np.concatenate([b[0] for b in boxes])
        self.lo = np.concatenate([b[1] for b in boxes])
        self.hi = np.concatenate([b[2] for b in boxes])

    def values(self, H):
        return self.model.predict(H)

    def shapley(self, x, b):
        from math import factorial
        d = x.size
        in_x = (self.lo < x) & (x <= self.hi)  # (leaves, d)
        in_b = (self.lo < b) & (b <= self.hi)
        reach = (in_x | in_b).all(axis=1)
        A, B = in_x & ~in_b & reach[:, None], ~in_x & in_b & reach[:, None]
        a, nb_ = A.sum(1), B.sum(1)
        fac = np.array([factorial(k) for k in range(2 * d + 1)], dtype=float)
        wa = np.where(a > 0, fac[np.maximum(a - 1, 0)] * fac[nb_] / fac[a + nb_], 0.0)
        wb = np.where(nb_ > 0, fac[a] * fac[np.maximum(nb_ - 1, 0)] / fac[a + nb_], 0.0)
        return (self.vals * wa) @ A - (self.vals * wb) @ B


def _ra1_parts(Z, y, pi, stratum, y_ends, sampled):
    """Linear-adjusted HT estimate of a game and its per-unit contributions,
    centred within strata (for the control-variate coefficient)."""
    d = Z.shape[1]
    est, _ = ra_estimate(Z, y, pi, stratum, None, y_ends[0], y_ends[1], _poly(1, 0.0),
                         variance=False)
    ends = np.array([np.zeros(d, bool), np.ones(d, bool)])
    g = PolySurrogate(np.concatenate([Z, ends]), np.concatenate([y, y_ends]),
                      np.r_[np.ones(len(Z)), 10.0, 10.0], 1, 0.0)
    C = shapley_coefficients(Z) * ((y - g.values(Z)) / pi)[:, None]
    n_u = len(Z) // 2
    t, st = C[:n_u] + C[n_u:], stratum[:n_u]
    for j in np.unique(st):  # enumerated strata carry no sampling error
        t[st == j] = t[st == j] - t[st == j].mean(axis=0) if sampled[j] else 0.0
    return est, t


def input_tree_estimate(V, X, bg, m, seed, crossfit=True, linear=True, two_stage=False,
                        kind="gbr", n_estimators=100, beta=False):
    """Tree MSR in input space: one surrogate per half, pooled over rows and background."""
    n, nb, size = V.shape
    d = X.shape[1]
    designs = []
    for b in range(nb):
        rng = np.random.default_rng((seed, b))
        Z, pi, stratum, plan = draw_design(d, m, rng)
        halves = _split_halves(stratum, plan, rng) if crossfit else (np.arange(len(Z)),) * 2
        designs.append((Z, codes_of(Z), pi, stratum, plan, halves))

    def offset(r, b, sel):
        """The linear surrogate of game (r, b) fitted on ``sel`` (two-stage variant)."""
        Z, codes = designs[b][0], designs[b][1]
        ends = np.array([np.zeros(d, bool), np.ones(d, bool)])
        return PolySurrogate(np.concatenate([Z[sel], ends]),
                             np.concatenate([V[r, b, codes[sel]], V[r, b, [0, -1]]]),
                             np.r_[np.ones(sel.size), 10.0, 10.0], 1, 0.0)

    def pooled(h):
        H, y = [], []
        for b, (Z, codes, _, _, _, halves) in enumerate(designs):
            sel = halves[h]
            for r in range(n):
                H.append(np.where(Z[sel], X[r], bg[b]))
                lin = offset(r, b, sel).values(Z[sel]) if two_stage else 0.0
                y.append(V[r, b, codes[sel]] - lin)
        return np.concatenate(H), np.concatenate(y)

    models = [InputTreeSurrogate(*pooled(h), n_estimators, seed=seed, kind=kind)
              for h in ((0, 1) if crossfit else (0,))]
    phi = np.zeros((n, d))
    for b, (Z, codes, pi, stratum, plan, halves) in enumerate(designs):
        for k, g in enumerate(models):  # g fitted on one half corrects with the other
            sel = halves[1 - k] if crossfit else halves[0]
            pi_sel = _half_pi(stratum, plan, sel)[sel] if crossfit else pi
            for r in range(n):
                H = np.where(Z[sel], X[r], bg[b])
                ends = g.values(np.array([bg[b], X[r]]))
                res = V[r, b, codes[sel]] - g.values(H)
                if beta:  # control-variate coefficient estimated from the sample
                    yv, yh = V[r, b, codes[sel]], g.values(H)
                    ev, tv = _ra1_parts(Z[sel], yv, pi_sel, stratum[sel], V[r, b, [0, -1]],
                                        plan.n_units < plan.population)
                    eh, th = _ra1_parts(Z[sel], yh, pi_sel, stratum[sel], ends,
                                        plan.n_units < plan.population)
                    den = (th ** 2).sum()
                    bta = (tv * th).sum() / den if den > 0 else 0.0
                    est = ev + bta * (g.shapley(X[r], bg[b]) - eh)
                elif linear:  # a linear surrogate of the residual, on the same half
                    est = g.shapley(X[r], bg[b]) + ra_estimate(
                        Z[sel], res, pi_sel, stratum[sel], plan, V[r, b, 0] - ends[0],
                        V[r, b, -1] - ends[1], _poly(1, 0.0))[0]
                else:
                    est = g.shapley(X[r], bg[b]) + ht_residual(
                        Z[sel], res, pi_sel, d, V[r, b, 0] - ends[0], V[r, b, -1] - ends[1])
                phi[r] += est / (nb * len(models))
    return phi


# --------------------------------------------------------------- designs
def draw_design(d, m, rng):
    """Coalitions (n, d), their inclusion probabilities and strata (KernelSHAP's sampler)."""
    plan = plan_coalitions(d, m, "leverage", True)
    units = sample_units([rng], plan, 1)[0]  # (units, d), the smaller side of each pair
    stratum = plan.stratum_of_unit
    pi = (plan.n_units / np.maximum(plan.population, 1)).astype(float)[stratum]
    Z = np.concatenate([units, ~units])
    return Z, np.concatenate([pi, pi]), np.concatenate([stratum, stratum]), plan


def codes_of(Z):
    return Z.astype(np.int64) @ (np.int64(1) << np.arange(Z.shape[-1], dtype=np.int64))


def ht_residual(Z, r, pi, d, r_empty, r_full):
    """Horvitz-Thompson estimate of phi(r) from the sampled coalitions (exact ends)."""
    C = shapley_coefficients(Z)
    return (r / pi) @ C + (r_full - r_empty) / d


def ht_variance(Z, r, pi, stratum, plan):
    """Stratified without-replacement variance of the HT estimate (paired units)."""
    C = shapley_coefficients(Z)
    n_u = len(Z) // 2
    t = (r[:, None] * C)[:n_u] + (r[:, None] * C)[n_u:]  # per-unit contributions
    st = stratum[:n_u]
    var = np.zeros(Z.shape[1])
    for j in np.unique(st):
        n, N = plan.n_units[j], plan.population[j]
        if n >= N or np.count_nonzero(st == j) < 2:
            continue
        var += N ** 2 * (1 - n / N) * t[st == j].var(axis=0, ddof=1) / n
    return var


def ra_estimate(Z, y, pi, stratum, plan, y_empty, y_full, surrogate, crossfit=False,
                rng=None, variance=True):
    """Regression-adjusted estimate of one game's Shapley values and their variance.

    ``surrogate(Z, y, w)`` returns an object with ``values(Z)`` and ``shapley()``.
    """
    d = Z.shape[1]
    ends = np.array([np.zeros(d, bool), np.ones(d, bool)])

    def fit(sel):
        Zf = np.concatenate([Z[sel], ends])
        yf = np.concatenate([y[sel], [y_empty, y_full]])
        wf = np.concatenate([np.ones(sel.size), [10.0, 10.0]])
        return surrogate(Zf, yf, wf)

    def correct(g, sel, pi_sel):
        g_ends = g.values(ends)
        return g.shapley() + ht_residual(Z[sel], y[sel] - g.values(Z[sel]), pi_sel, d,
                                         y_empty - g_ends[0], y_full - g_ends[1])

    everything = np.arange(len(Z))
    if not crossfit:
        g = fit(everything)
        r = y - g.values(Z)
        var = ht_variance(Z, r, pi, stratum, plan) if variance else None
        return correct(g, everything, pi), var
    halves = _split_halves(stratum, plan, rng)
    out = []
    for a, b in (halves, halves[::-1]):
        pi_b = _half_pi(stratum, plan, b)
        out.append(correct(fit(a), b, pi_b[b]))
    return 0.5 * (out[0] + out[1]), np.full(d, np.nan)


def _split_halves(stratum, plan, rng):
    """Split sampled pairs of each stratum in two halves (enumerated strata in both)."""
    n_u = len(stratum) // 2
    st = stratum[:n_u]
    a, b = [], []
    for j in np.unique(st):
        idx = np.flatnonzero(st == j)
        if plan.n_units[j] >= plan.population[j] or idx.size < 2:
            a.append(idx)
            b.append(idx)
            continue
        idx = rng.permutation(idx)
        a.append(idx[: idx.size // 2])
        b.append(idx[idx.size // 2:])
    a, b = np.concatenate(a), np.concatenate(b)
    return np.concatenate([a, a + n_u]), np.concatenate([b, b + n_u])


def _half_pi(stratum, plan, half):
    """Inclusion probabilities of the coalitions of one half (units per stratum / population)."""
    n_u = len(stratum) // 2
    counts = np.bincount(stratum[half[half < n_u]], minlength=plan.sizes.size)
    pi = counts / np.maximum(plan.population, 1)
    return pi[stratum]


# ------------------------------------------------------------ estimators
def _poly(order, lam):
    return lambda Z, y, w: PolySurrogate(Z, y, w, order, lam)


def _tree(Z, y, w):
    return TreeSurrogate(Z, y, w)


VARIANTS = {  # name: (design, surrogate, crossfit)
    "ra1_perb": ("per_b", _poly(1, 0.0), False),
    "ra2_perb": ("per_b", _poly(2, 1e-2), False),
    "ra1_shared": ("shared", _poly(1, 0.0), False),
    "tree_perb_cf": ("per_b", _tree, True),
    "tree_shared": ("shared", _tree, False),
    "tree_shared_cf": ("shared", _tree, True),
}


def estimate(V, m, seed, variant):
    """Estimates (n, d) and variances for the game tables V (n, nb, 2^d) at budget m."""
    design, surrogate, crossfit = VARIANTS[variant]
    n, nb, size = V.shape
    d = int(np.log2(size))
    full = size - 1
    phi, var = np.zeros((n, d)), np.zeros((n, d))
    draws = [seed] if design == "shared" else [(seed, b) for b in range(nb)]
    for k, key in enumerate(draws):
        rng = np.random.default_rng(key)
        Z, pi, stratum, plan = draw_design(d, m, rng)
        codes = codes_of(Z)
        for r in range(n):
            game = V[r].mean(axis=0) if design == "shared" else V[r, k]
            est, v = ra_estimate(Z, game[codes], pi, stratum, plan, game[0], game[full],
                                 surrogate, crossfit, rng=np.random.default_rng((seed, k, r)))
            phi[r] += est / len(draws)
            var[r] += v / len(draws) ** 2
    return phi, var


# ------------------------------- honest version: cross-fitted, SharedDesign
def tree_game_shapley(sur, X, bgs):
    """Exact Shapley values of g_b(S) = h(x_S, b_notS) for every row of X and every
    background row of ``bgs``: (len(bgs), n, d), vectorised over rows."""
    from math import factorial
    d = X.shape[1]
    fac = np.array([factorial(k) for k in range(2 * d + 1)], dtype=float)
    in_x = (sur.lo[None] < X[:, None]) & (X[:, None] <= sur.hi[None])  # (n, L, d)
    out = np.empty((len(bgs), X.shape[0], d))
    for k, b in enumerate(bgs):
        in_b = (sur.lo < b) & (b <= sur.hi)  # (L, d)
        reach = (in_x | in_b[None]).all(axis=2)  # (n, L)
        A = in_x & ~in_b[None] & reach[:, :, None]
        B = ~in_x & in_b[None] & reach[:, :, None]
        a, nb_ = A.sum(2), B.sum(2)
        wa = np.where(a > 0, fac[np.maximum(a - 1, 0)] * fac[nb_] / fac[a + nb_], 0.0)
        wb = np.where(nb_ > 0, fac[a] * fac[np.maximum(nb_ - 1, 0)] / fac[a + nb_], 0.0)
        out[k] = (np.einsum("nl,nld->nd", sur.vals * wa, A)
                  - np.einsum("nl,nld->nd", sur.vals * wb, B))
    return out


def kernel_designs(d, m, seed, nb, copies=1):
    """KernelSHAP's designs (one per background row, rng [seed, b, d]) and their
    :class:`SharedDesign` (variances on), exactly as ``KernelSHAP(random_state=seed)``
    draws them; ``copies`` > 1 adds independent designs per background row
    (rng [seed, b, d, c]), background-major within a copy."""
    from sklearn.utils import check_random_state
    from skexplain.perturbation._solvers import SharedDesign
    seed = int(check_random_state(seed).randint(0, 2**31 - 1))
    plan = plan_coalitions(d, m, "leverage", True)
    keys = [[seed, b, d] + ([c] if c else []) for c in range(copies) for b in range(nb)]
    units = sample_units([np.random.default_rng(k) for k in keys], plan, 1)
    st, counts = plan.stratum_of_unit, plan.n_units
    singles = np.minimum(plan.sizes, d - plan.sizes) == 1
    full_rank = bool(plan.population[singles & (counts == plan.population)].sum() >= d)
    design = SharedDesign(units, plan.kernel_mass[st] / counts[st], stratum=st,
                          finite=1.0 - counts / plan.population, full_rank=full_rank)
    unknown = bool(np.any((counts == 0) & (plan.population > 0)))
    return units, design, unknown


def game_folds(n, nb, folds, by="bg"):
    """Fold of each game (n, designs): by background row (b % K), by explained row
    (r % K, a fallback with one background row), by both ((r + b) % K: "diag"; the
    surrogate has seen x_r and b, not their hybrids), by design copy ("design": nb
    designs per copy, the copy is the fold) or one fold (no cross-fitting)."""
    r, b = np.meshgrid(np.arange(n), np.arange(nb * (folds if by == "design" else 1)),
                       indexing="ij")
    if folds <= 1:
        return np.zeros(r.shape, dtype=int)
    return {"bg": b % folds, "rows": r % folds, "diag": (r + b) % folds,
            "design": b // nb}[by]


def _hybrids(units, X, bg, V, games, side, u, bmap):
    """Hybrid rows (x_S, b_notS) and model values of the listed (game, side, unit)."""
    r, j = games[:, 0], games[:, 1]
    b = bmap[j]
    mask = units[j, u] ^ side[:, None].astype(bool)
    code = codes_of(mask)
    return np.where(mask, X[r], bg[b]), V[r, b, code]


def crossfit_parts(V, X, bg, m, seed, folds=2, by="bg", cap=50_000, n_iter=300,
                   max_leaf_nodes=31, crossfit=True):
    """Per game: K(v), K(h), variances V1, V2, V3 (of v, h, v + h) from KernelSHAP's
    solver, exact phi(h), for the surrogate h of the fold adjusting each game.

    ``h_(-k)`` is fitted on (a seeded subsample of at most ``cap``) hybrid rows
    of the games outside fold k, pooled over rows; ``crossfit=False`` fits one
    surrogate on every game's rows (the optimistic, non-honest version).  With
    ``by="design"`` every background row gets ``folds`` independent designs of
    ``m // folds`` coalitions (same model rows); fold k is the k-th copy.
    Returns a dict of (designs, n, d) arrays plus ``fold`` (n, designs) and timings.
    """
    n, nb, size = V.shape
    d, full = X.shape[1], V.shape[2] - 1
    copies = folds if (by == "design" and crossfit) else 1
    units, design, unknown = kernel_designs(d, m // copies, seed, nb, copies)
    J, n_u = units.shape[:2]
    bmap = np.tile(np.arange(nb), copies)
    fold = game_folds(n, nb, folds if crossfit else 1, by)
    rng = np.random.default_rng([seed, 15, folds])
    Kin = np.zeros((J, n, n_u, 3))
    delta = np.zeros((J, n, 3))
    ph = np.zeros((J, n, d))
    t = dict(fit=0.0, predict=0.0, exact=0.0, n_fit=0)
    cS = codes_of(units)  # (J, n_u)
    ri, bi = np.arange(n)[None, :, None], bmap[:, None, None]
    vS, vC = V[ri, bi, cS[:, None, :]], V[ri, bi, full - cS[:, None, :]]
    dv = (V[:, :, full] - V[:, :, 0]).T[bmap]  # (J, n)
    Kin[..., 0] = 0.5 * (vS - vC + dv[:, :, None])
    delta[..., 0] = dv
    for k in np.unique(fold):
        train = np.argwhere(fold != k) if crossfit and folds > 1 else np.argwhere(fold >= 0)
        total = len(train) * 2 * n_u
        idx = np.sort(rng.choice(total, cap, replace=False)) if total > cap else np.arange(total)
        g, side, u = idx // (2 * n_u), (idx // n_u) % 2, idx % n_u
        H, y = _hybrids(units, X, bg, V, train[g], side, u, bmap)
        t0 = time.perf_counter()
        sur = InputTreeSurrogate(H, y, n_iter, seed=seed, kind="hgb",
                                 max_leaf_nodes=max_leaf_nodes)
        t["fit"] += time.perf_counter() - t0
        t["n_fit"] += len(H)
        mine = np.argwhere(fold == k)  # (games, 2): r, design
        for j in np.unique(mine[:, 1]):
            rows, b = mine[mine[:, 1] == j, 0], bg[bmap[j]]
            Hs = np.where(units[j][None], X[rows][:, None], b)
            Hc = np.where(~units[j][None], X[rows][:, None], b)
            t0 = time.perf_counter()
            hv = sur.values(np.concatenate([Hs.reshape(-1, d), Hc.reshape(-1, d),
                                            X[rows], b[None]]))
            t["predict"] += time.perf_counter() - t0
            hS = hv[:rows.size * n_u].reshape(rows.size, n_u)
            hC = hv[rows.size * n_u:2 * rows.size * n_u].reshape(rows.size, n_u)
            dh = hv[2 * rows.size * n_u:-1] - hv[-1]
            Kin[j, rows, :, 1] = 0.5 * (hS - hC + dh[:, None])
            delta[j, rows, 1] = dh
            t0 = time.perf_counter()
            ph[j, rows] = tree_game_shapley(sur, X[rows], b[None])[0]
            t["exact"] += time.perf_counter() - t0
    Kin[..., 2] = Kin[..., 0] + Kin[..., 1]
    delta[..., 2] = delta[..., 0] + delta[..., 1]
    est, var = design.solve(Kin, delta)  # (J, n, d, 3)
    if unknown:  # a coalition size left out: KernelSHAP reports NaN; nothing to pool
        var = np.zeros_like(var)
    V1, V2, V3 = var[..., 0], var[..., 1], var[..., 2]
    return dict(Kv=est[..., 0], Kh=est[..., 1], V1=V1, V2=V2, C=0.5 * (V3 - V1 - V2),
                ph=ph, fold=fold, time=t, unknown=unknown)


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(np.isfinite(out) & (den > 0), out, 0.0)


def combine(parts, beta="fold"):
    """phi = mean_b [K(v) + beta (phi(h) - K(h))] and its variance.

    ``beta``: "game" (C / V2 pooled over players, per game), "fold" (pooled over
    the games of a row in one fold: sum_b w_b^2 C / sum_b w_b^2 V2, all players),
    "all" (pooled over every game of the fold, all rows),
    "one" (fixed 1) or "zero" (plain KernelSHAP).  The variance is that of
    K(v - beta h), V1 + beta^2 V2 - 2 beta C, beta taken as known.
    """
    Kv, Kh, V1, V2, C, ph, fold = (parts[k] for k in ("Kv", "Kh", "V1", "V2", "C", "ph", "fold"))
    nb, n, d = Kv.shape
    c, v2 = C.sum(axis=2), V2.sum(axis=2)  # (nb, n)
    if beta == "game":
        bt = _ratio(c, v2)
    elif beta == "fold":
        bt = np.zeros((nb, n))
        for k in np.unique(fold):
            sel = (fold == k).T  # (nb, n)
            cs = np.where(sel, c, 0.0).sum(axis=0)
            vs = np.where(sel, v2, 0.0).sum(axis=0)
            bt = np.where(sel, _ratio(cs, vs)[None, :], bt)
    elif beta == "all":  # pooled over every game of the fold, all rows
        bt = np.zeros((nb, n))
        for k in np.unique(fold):
            sel = (fold == k).T
            bt = np.where(sel, _ratio(np.where(sel, c, 0.0).sum(), np.where(sel, v2, 0.0).sum()),
                          bt)
    elif beta == "one":
        bt = np.ones((nb, n))
    else:
        bt = np.zeros((nb, n))
    bt = bt[:, :, None]
    est = Kv + bt * (ph - Kh)
    var = np.maximum(V1 + bt ** 2 * V2 - 2 * bt * C, 0.0)
    return est.mean(axis=0), var.sum(axis=0) / nb ** 2


HONEST = {  # name: (folds, by, crossfit, beta)
    "cf2_fold": (2, "bg", True, "fold"),
    "cf2_game": (2, "bg", True, "game"),
    "cf2_one": (2, "bg", True, "one"),
    "cf5_fold": (5, "bg", True, "fold"),
    "nocf_fold": (1, "bg", False, "fold"),
    "rows2_fold": (2, "rows", True, "fold"),
    "diag2_fold": (2, "diag", True, "fold"),
    "diag2_all": (2, "diag", True, "all"),
    "half2_fold": (2, "design", True, "fold"),
    "half2_one": (2, "design", True, "one"),
    "ks_solver": (1, "bg", False, "zero"),
}


def honest_estimates(V, X, bg, m, seed, names, **kw):
    """{name: (phi, var)} for the HONEST variants, sharing the surrogate fits."""
    out, cache = {}, {}
    for name in names:
        folds, by, cf, beta = HONEST[name]
        key = (min(folds, len(bg)) if by == "bg" else folds, by, cf)
        if key not in cache:
            cache[key] = crossfit_parts(V, X, bg, m, seed, key[0], by, crossfit=cf, **kw)
        out[name] = combine(cache[key], beta)
    return out, cache


# --------------------------------------------------------------- problems
def make_problem(name, n_explain=10, n_background=10, seed=0):
    """dict(name, f, X, bg) of the issue's hard case and the checks."""
    from sklearn.model_selection import train_test_split
    from sklearn.utils import resample

    full_name = name
    if "_bg" in name:  # e.g. rf14_bg100: the same problem with 100 background rows
        name, n_background = name.split("_bg")[0], int(name.split("_bg")[1])
    rng = np.random.default_rng(seed)
    if name in ("rf14", "additive14"):
        d = 14
        cov = 0.6 ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))  # correlated
        X = rng.multivariate_normal(np.zeros(d), cov, size=3000)
        if name == "rf14":
            y = (X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 5] + 2 * X[:, 0] * X[:, 2]
                 - 1.5 * X[:, 3] * X[:, 4] + X[:, 6] * X[:, 7] + X[:, 8] * X[:, 9] * X[:, 10]
                 + 1.5 * np.sin(X[:, 11] * X[:, 12]) * X[:, 13]
                 + 0.1 * rng.standard_normal(len(X)))
            from sklearn.ensemble import RandomForestRegressor
            Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=seed)
            f = RandomForestRegressor(n_estimators=100, min_samples_leaf=3, n_jobs=1,
                                      random_state=seed).fit(Xtr, ytr).predict
        else:
            coef = rng.normal(size=d)
            Xtr, Xte = train_test_split(X, test_size=0.25, random_state=seed)

            def f(Z, c=coef):
                return Z @ c + np.sin(Z).sum(axis=1) + 0.3 * (Z ** 2)[:, ::2].sum(axis=1)
    elif name == "gbc10":  # a classifier explained on its probability
        from sklearn.datasets import load_breast_cancer
        from sklearn.ensemble import GradientBoostingClassifier
        X, y = load_breast_cancer(return_X_y=True)
        X = X[:, :10]
        Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=seed)
        clf = GradientBoostingClassifier(random_state=seed).fit(Xtr, ytr)

        def f(Z, clf=clf):
            return clf.predict_proba(Z)[:, 1]
    elif name in ("mlp12", "tree8"):  # a smooth network; a small tree model (calibration)
        d = 12 if name == "mlp12" else 8
        cov = 0.5 ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
        X = rng.multivariate_normal(np.zeros(d), cov, size=3000)
        y = (X[:, 0] + 2 * X[:, 0] * X[:, 1] - X[:, 2] * X[:, 3] * X[:, 4]
             + np.sin(2 * X[:, 5]) * X[:, 6] + np.abs(X[:, 7]) + 0.1 * rng.standard_normal(len(X)))
        if name == "mlp12":
            y = y + np.tanh(X[:, 8] * X[:, 9]) - 0.5 * X[:, 10] + X[:, 11] ** 2 * X[:, 0]
        Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=seed)
        if name == "mlp12":
            from sklearn.neural_network import MLPRegressor
            f = MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=300,
                             random_state=seed).fit(Xtr, ytr).predict
        else:
            from sklearn.ensemble import RandomForestRegressor
            f = RandomForestRegressor(n_estimators=50, min_samples_leaf=3, n_jobs=1,
                                      random_state=seed).fit(Xtr, ytr).predict
    elif name == "gbr10":
        from sklearn.datasets import load_diabetes
        from sklearn.ensemble import GradientBoostingRegressor
        X, y = load_diabetes(return_X_y=True)
        Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=seed)
        f = GradientBoostingRegressor(random_state=seed).fit(Xtr, ytr).predict
    else:
        raise ValueError(f"unknown problem {name!r}")
    bg = resample(Xtr, n_samples=n_background, replace=False, random_state=seed)
    return dict(name=full_name, f=f, X=np.asarray(Xte[:n_explain], float),
                bg=np.asarray(bg, float))


def rel_mae(est, phi):
    return float(np.abs(est - phi).mean() / np.abs(phi).mean())


def run_kernelshap(P, m, seed):
    from skexplain import KernelSHAP
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KernelSHAP(P["f"], n_samples=m, random_state=seed).fit(P["bg"]).explain(
            P["X"]).values


def run_shap(P, m, seed):
    import shap
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(seed)
        return np.asarray(shap.KernelExplainer(P["f"], P["bg"]).shap_values(
            P["X"], nsamples=m, l1_reg=False, silent=True))


def cached_tables(P, where="/tmp/proto_ra_tables"):
    """Game tables of a problem, kept on disk between runs (they cost 2^d n nb predicts)."""
    os.makedirs(where, exist_ok=True)
    path = os.path.join(where, P["name"] + ".npy")
    if os.path.exists(path):
        return np.load(path)
    V = game_tables(P["f"], P["X"], P["bg"])
    np.save(path, V)
    return V


def run_honest(args):
    """Part C: relative MAE of the HONEST variants, and their ratios to shap and KernelSHAP."""
    kw = dict(n_iter=args.n_iter, max_leaf_nodes=args.leaves, cap=args.cap)
    for name in args.problems:
        P = make_problem(name)
        d = P["X"].shape[1]
        V = cached_tables(P)
        phi = exact_shapley(V, d).mean(axis=1)
        print(f"\n== {name}: d={d}, bg={len(P['bg'])}; rel MAE (ratio to shap / to KernelSHAP)")
        for k in args.budgets:
            m = k * d
            if m >= 2 ** d - 2:
                continue
            errs = {c: [] for c in ["shap", "kernelshap"] + args.honest}
            for s in args.seeds:
                errs["kernelshap"].append(rel_mae(run_kernelshap(P, m, s), phi))
                errs["shap"].append(rel_mae(run_shap(P, m, s), phi) if not args.no_shap else np.nan)
                out, _ = honest_estimates(V, P["X"], P["bg"], m, s, args.honest, **kw)
                for v in args.honest:
                    errs[v].append(rel_mae(out[v][0], phi))
            e = {c: np.mean(x) for c, x in errs.items()}
            line = (f"  {k:>3}d shap {e['shap']:.4f} KS {e['kernelshap']:.4f} "
                    f"({e['kernelshap'] / e['shap']:.2f})")
            for v in args.honest:
                line += f" | {v} {e[v]:.4f} ({e[v] / e['shap']:.2f}/{e[v] / e['kernelshap']:.2f})"
            print(line)
            sys.stdout.flush()


def run_calibration(args, name="tree8"):
    """Part D: coverage of nominal 95% intervals and mean error vs its standard error."""
    kw = dict(n_iter=args.n_iter, max_leaf_nodes=args.leaves, cap=args.cap)
    P = make_problem(name)
    d = P["X"].shape[1]
    V = cached_tables(P)
    phi = exact_shapley(V, d).mean(axis=1)
    for k in args.budgets:
        m = k * d
        hits, errs = {v: [] for v in args.honest}, {v: [] for v in args.honest}
        for s in range(args.n_seeds):
            out, _ = honest_estimates(V, P["X"], P["bg"], m, s, args.honest, **kw)
            for v in args.honest:
                est, var = out[v]
                hits[v].append(np.abs(est - phi) <= 1.96 * np.sqrt(var))
                errs[v].append(est - phi)
        print(f"\n== calibration {name} (d={d}, bg={len(P['bg'])}) at {k}d, {args.n_seeds} seeds")
        for v in args.honest:
            e = np.array(errs[v])  # (seeds, n, d)
            z = e.mean(0) / (e.std(0, ddof=1) / np.sqrt(len(e)) + 1e-300)
            print(f"  {v:>10}: coverage {np.mean(hits[v]):.3f}  "
                  f"rel MAE {np.abs(e).mean() / np.abs(phi).mean():.4f}"
                  f"  |mean err|/se: median {np.median(np.abs(z)):.2f}, max {np.abs(z).max():.2f}, "
                  f"share > 1.96: {np.mean(np.abs(z) > 1.96):.3f}")
        sys.stdout.flush()


def run_cost(args):
    """Part E: surrogate seconds (fit, predict, exact phi(h)) vs one bare model predict
    over the same hybrid rows, and the accuracy of smaller surrogates."""
    sizes = [(300, 31, 50_000), (100, 15, 10_000), (30, 15, 5_000), (30, 7, 2_000)]
    for name in args.problems:
        P = make_problem(name)
        d, nb, n = P["X"].shape[1], len(P["bg"]), len(P["X"])
        V = cached_tables(P)
        phi = exact_shapley(V, d).mean(axis=1)
        for k in args.budgets:
            m = k * d
            units = kernel_designs(d, m, 0, nb)[0]
            H = np.concatenate([np.where(u[None], P["X"][:, None], b).reshape(-1, d)
                                for u, b in zip(np.concatenate([units, ~units], 1), P["bg"])])
            t0 = time.perf_counter()
            P["f"](H)
            t_model = time.perf_counter() - t0
            ks = np.mean([rel_mae(combine(crossfit_parts(V, P["X"], P["bg"], m, s, 1, n_iter=1,
                                                         crossfit=False), "zero")[0], phi)
                          for s in args.seeds])
            print(f"\n== cost {name} at {k}d: {len(H)} hybrid rows, model predict {t_model:.3f}s,"
                  f" KernelSHAP rel MAE {ks:.4f}")
            for it, leaves, cap in sizes:
                for variant in args.honest or ["half2_fold"]:
                    folds, by, cf, beta = HONEST[variant]
                    err, t = [], dict(fit=0.0, predict=0.0, exact=0.0)
                    for s in args.seeds:
                        parts = crossfit_parts(V, P["X"], P["bg"], m, s, folds, by, n_iter=it,
                                               max_leaf_nodes=leaves, cap=cap, crossfit=cf)
                        err.append(rel_mae(combine(parts, beta)[0], phi))
                        for key in t:
                            t[key] += parts["time"][key] / len(args.seeds)
                    tot = sum(t.values())
                    print(f"  hgb {it:>3} it {leaves:>2} leaves cap {cap:>6}: {variant} rel MAE "
                          f"{np.mean(err):.4f} ({np.mean(err) / ks:.2f} KS) | fit {t['fit']:.3f}s "
                          f"predict {t['predict']:.3f}s exact {t['exact']:.3f}s = "
                          f"{tot / t_model:.2f}x model")
            sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["rf14", "gbr10", "additive14"])
    parser.add_argument("--budgets", nargs="+", type=int, default=[2, 4, 8, 16, 32])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--no-shap", action="store_true")
    parser.add_argument("--honest", nargs="+", default=None,
                        help=f"cross-fitted variants through SharedDesign: {list(HONEST)}")
    parser.add_argument("--calibrate", action="store_true", help="coverage over --n-seeds")
    parser.add_argument("--cost", action="store_true", help="surrogate time vs model predict")
    parser.add_argument("--n-seeds", type=int, default=200)
    parser.add_argument("--n-iter", type=int, default=300)
    parser.add_argument("--leaves", type=int, default=31)
    parser.add_argument("--cap", type=int, default=50_000)
    args = parser.parse_args(argv)
    if args.calibrate:
        return run_calibration(args, args.problems[0] if args.problems[0] != "rf14" else "tree8")
    if args.cost:
        return run_cost(args)
    if args.honest:
        return run_honest(args)
    for name in args.problems:
        P = make_problem(name)
        d = P["X"].shape[1]
        t0 = time.perf_counter()
        V = game_tables(P["f"], P["X"], P["bg"])
        phi = exact_shapley(V, d).mean(axis=1)
        print(f"\n== {name}: d={d}, tables {time.perf_counter() - t0:.1f}s, "
              f"efficiency gap {np.abs(phi.sum(1) - (V[:, :, -1] - V[:, :, 0]).mean(1)).max():.1e}")
        cols = (["budget", "kernelshap"] + ([] if args.no_shap else ["shap"]) + args.variants)
        print("  ".join(f"{c:>13}" for c in cols))
        for k in args.budgets:
            m = k * d
            if m >= 2 ** d - 2:
                continue
            errs = {c: [] for c in cols[1:]}
            for s in args.seeds:
                errs["kernelshap"].append(rel_mae(run_kernelshap(P, m, s), phi))
                if not args.no_shap:
                    errs["shap"].append(rel_mae(run_shap(P, m, s), phi))
                for v in args.variants:
                    if v.startswith("itree"):
                        est = input_tree_estimate(V, P["X"], P["bg"], m, s, "_cf" in v, "lin" in v,
                                                  v.startswith("itree2"),
                                                  "hgb" if "hgb" in v else "gbr",
                                                  300 if "hgb" in v else 100, "beta" in v)
                    else:
                        est = estimate(V, m, s, v)[0]
                    errs[v].append(rel_mae(est, phi))
            print("  ".join([f"{k:>11}d"] + [f"{np.mean(errs[c]):13.4g}" for c in cols[1:]]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
