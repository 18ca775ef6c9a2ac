"""``KernelSHAP``: budgeted interventional Shapley values with standard errors.

Shapley values are linear in the game, so the value of ``x`` against a
background set is the weighted mean, over background rows ``b``, of the value
of the single-reference game ``v_b(S) = f(x_S, b_notS)``.  We estimate each
``v_b`` with its *own* independent design of coalitions, at the same cost as
one design shared by the whole background (one model row per coalition and
background row).  The errors of the per-reference estimates are then
independent and average out, whereas one shared design makes them
correlated: on tree and neural-network models this halves the error at equal
budget (benchmarks/RESULTS.md).  A feature equal in ``x`` and ``b`` is a dummy
of ``v_b``; it gets exactly zero and is left out of that design.

The design of background row ``b`` (for games of ``m`` players) is played by
every explained row: its normal equations, their inverse and the leverages
are then computed once per background row instead of once per explained row,
and what is left per row is linear in ``m``
(:class:`~skexplain.perturbation._solvers.SharedDesign`).  Each row's
estimate has exactly the distribution it would have with a design of its
own; only the errors of different rows become correlated.

With ``allocation="adaptive"`` the designs are nested levels and each
game's level is chosen from a pilot (:mod:`~skexplain.perturbation._kernel_allocation`);
at budgets too small to identify a game, each row plays a random sample of
its games instead (:mod:`~skexplain.perturbation._kernel_background`).

Each design is a :class:`~skexplain.perturbation._samplers.CoalitionPlan`
(border-trick enumeration, paired sampling without replacement, fixed counts
per coalition size), solved by efficiency-constrained weighted least squares
with a second-order ratio-bias correction and a stratified sandwich variance
(:mod:`~skexplain.perturbation._solvers`).

With ``link="logit"`` the game is not an average of single-reference games;
:mod:`~skexplain.perturbation._kernel_link` then plays one design per row
against the whole background.
"""
import sys
import warnings
from dataclasses import replace
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import check_random_state

from ..base import BaseExplainer, ExplainerTags, PerturbationMixin
from ..exceptions import ApproximationWarning
from ..utils._parallel import n_workers
from ..utils._param_validation import Interval, StrOptions
from ..utils._validation import select_rows
from ._baselines import align_together, same_rows
from ._coalitions import CoalitionEvaluator
from ._groups import FeatureGroupsMixin
from ._kernel_background import background_sampling
from ._kernel_designs import DesignCache, DrawnUnits, OneDesign, Sampling, Task
from ._kernel_games import explain_block, row_blocks
from ._kernel_link import explain_linked
from ._link import LINK_CONSTRAINT, LinkMixin
from ._samplers import SIZE_DISTRIBUTIONS

__all__ = ["KernelSHAP"]


class KernelSHAP(LinkMixin, FeatureGroupsMixin, PerturbationMixin, BaseExplainer):
    """Interventional Shapley values estimated from a budget of coalitions.

    For every explained row and background row, ``n_samples`` coalitions are
    evaluated on average (one model row each): the coalition sizes the budget
    covers are enumerated, the rest is drawn in complementary pairs without
    replacement with fixed counts per size, and an efficiency-constrained
    weighted least squares fit gives the Shapley values and their standard
    errors.  By default a row's budget goes where a pilot finds the most
    variance (``allocation``).  When the
    budget covers all ``2^d - 2`` coalitions the result equals
    :class:`~skexplain.ExactShapley`.

    Each background row draws its own coalitions, and the explained rows share
    them: the regression is then factored once per background row, which
    makes the solve about ``d`` times cheaper.  Every row's estimate is as
    accurate as with a draw of its own; the errors of different rows are
    correlated, so a mean over many rows (global importance) keeps part of
    the sampling error that independent draws would average out.

    ``explain(X, baselines=R)`` plays, for each row, only the game against
    its own reference ``R[i]`` (weight one, on background row 0's design):
    the values, standard errors and ``base_values[i] = f(R[i])`` are those
    of ``KernelSHAP`` fitted on ``R[i:i+1]`` (see :ref:`baselines`).

    Parameters
    ----------
    model : estimator, Pipeline, torch.nn.Module or callable
        The model to explain (never modified).
    n_samples : int or "auto", default="auto"
        Coalitions per explained row and background row (at least 2); each
        costs one model row.  ``"auto"`` is ``2 d + 2048`` like shap.  A row
        costs about ``n_samples * n_background`` model rows in total (fewer
        when features equal a background row), reported in
        ``metadata["n_model_rows"]``.
    sampler : {"leverage", "kernel", "sqrt"}, default="leverage"
        Distribution of the sampled coalition sizes: uniform over sizes (the
        leverage scores of the Shapley regression, Musco & Witter 2025), the
        Shapley kernel, or their geometric mean.  The default measured best:
        3.5% lower error than "kernel" on average over our benchmarks, 12% at
        d=48 (benchmarks/RESULTS.md).
    paired : bool, default=True
        Evaluate every sampled coalition together with its complement.
    allocation : {"adaptive", "equal"}, default="adaptive"
        How a row's budget is split between its background rows.
        ``"equal"`` gives every background row's game ``n_samples``
        coalitions.  ``"adaptive"`` first plays half of that on every game
        (a pilot), then spends the rest where the pilot's standard errors
        are largest (Neyman allocation over nested designs, up to
        ``4 * n_samples`` for one game), for at most the same total of model
        rows.  Nearly additive games then get few coalitions (exact ones
        none beyond the pilot) and games with strong interactions many.  It
        applies from 12 coalitions per feature, where it measured 0.68-0.95
        times the error of ``"equal"`` on a forest, boosted trees and an MLP,
        and no gain where a row's games are alike (a synthetic game with 100
        background rows), for 0.94-1.7 times the time outside the model
        (benchmarks/RESULTS.md).  Well below ``2 d`` coalitions per game
        (``d`` unpaired: where a game's regression cannot identify every
        attribution), with a background large enough for 20 games (by its
        effective size under ``sample_weight``), it plays a random sample of
        at least 20 of each row's games instead, each on a design that
        identifies it (about ``3 d`` coalitions), for at most
        ``n_samples * n_background`` model rows per row
        (``metadata["allocation"]`` is then ``"background sample"``):
        0.32-0.91 times the error of ``"equal"`` on five sklearn models with
        100 background rows, up to 1.17 times on a synthetic game of
        products of normal inputs (see the user guide).
        Otherwise below 12 coalitions per feature, and with ``tol``,
        ``link="logit"``, per-row ``baselines`` or a single background row,
        it is ``"equal"``.
        ``"equal"`` keeps each game's design independent of the row's other
        games, which a study of per-background games may want.
    feature_groups : dict, list of lists or ndarray, default=None
        Columns switched together and credited as one feature.
    output : str, int or label, default="auto"
        Which model output to explain (see :func:`skexplain.adapters.as_model`).
    link : {"identity", "logit"}, default="identity"
        Space in which the values add up: the model's output, or the log-odds
        of a probability output (``predict_proba``) as shap's
        ``link="logit"``, with ``v(S) = logit(mean_b f(x_S, b_notS))`` and
        ``base + sum(values) = logit(f(x))``; see
        :class:`~skexplain.ExactShapley` for how it differs from
        ``output="decision_function"``.  The log-odds of an average is not an
        average over background rows, so with ``"logit"`` a row draws one
        design of ``n_samples`` coalitions over the features where it differs
        from the background (as shap does), and each coalition is evaluated
        on the whole background: the same ``n_samples * n_background`` model
        rows per row, but the errors of the background rows no longer average
        out: on a GradientBoostingClassifier (d=10, 20 background rows) the
        normalised squared error was 2.4-2.8 times the identity engine's at
        equal ``n_samples``.  Standard errors, ``tol`` and exactness at full
        budget hold as with the identity.
    tol : float, default=None
        Convergence threshold: stop sampling a row once its largest standard
        error is below ``tol`` times the spread (max - min) of its values (for
        every output), or when the budget is spent (an :class:`~skexplain.exceptions.
        ApproximationWarning` then says how many rows did not converge).
        None evaluates the whole budget at once.
    batch_size : int, default=None
        Model rows per ``predict`` call.  None sends 2^14 hybrid rows per call
        (fewer when they exceed 64 MiB) through one reused buffer, small
        enough for the model to read them from cache.  It also bounds the
        working memory, whatever the background size and the number of rows:
        designs and coalition values are processed in pieces of about as
        many bytes as one call's hybrid rows (at least 16 MiB), except that a
        single design (about ``17 * n_samples * n_features`` bytes once
        factored, up to 4 times that at adaptive allocation's top level) is
        never split, and that with ``tol`` or adaptive allocation a row keeps
        its coalition values between rounds.
    n_jobs : int, default=None
        joblib workers over blocks of rows (``joblib.parallel_config`` is
        honoured, e.g. ``backend="dask"``).  Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the coalitions drawn for each background row.  They depend on
        nothing else, so a row's values do not depend on the rows explained
        with it, nor on ``batch_size`` or ``n_jobs``.  With an int, the
        designs drawn and factored by a call are kept for the next one (up
        to half of the working budget of ``batch_size``, until ``fit`` or a
        change of parameters): the fixed cost of a call explaining one row
        against 20 background rows fell from 2.0 to 1.4 ms.
    verbose : int, default=0
        When positive, print progress to stderr: each round of ``tol``
        sampling and each block of rows explained (joblib's own report when
        ``n_jobs`` runs blocks in parallel).

    Attributes
    ----------
    model_ : skexplain.adapters.Model
    background_ : ndarray or DataFrame
    background_predictions_ : ndarray of shape (n_background, n_outputs)
    expected_value_ : float or ndarray of shape (n_outputs,)
    feature_groups_ : list of ndarray or None
    feature_names_out_ : list of str

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from skexplain import KernelSHAP
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    >>> explainer = KernelSHAP(model, n_samples=200, random_state=0).fit(X[:10])
    >>> expl = explainer.explain(X[:2])
    >>> expl.values.shape, expl.stderr.shape
    ((2, 10), (2, 10))
    >>> bool(abs(expl.values.sum(1) + expl.base_values - model.predict(X[:2])).max() < 1e-8)
    True
    """

    _parameter_constraints: dict = {
        **BaseExplainer._parameter_constraints,
        "n_samples": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
        "sampler": [StrOptions(set(SIZE_DISTRIBUTIONS))],
        "paired": ["boolean"],
        "allocation": [StrOptions({"adaptive", "equal"})],
        "feature_groups": [dict, list, tuple, np.ndarray, None],
        "link": LINK_CONSTRAINT,
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, model, *, n_samples="auto", sampler="leverage", paired=True,
                 allocation="adaptive", feature_groups=None, output="auto", link="identity",
                 tol=None, batch_size=None, n_jobs=None, random_state=None, verbose=0):
        self.model = model
        self.n_samples = n_samples
        self.sampler = sampler
        self.paired = paired
        self.allocation = allocation
        self.feature_groups = feature_groups
        self.output = output
        self.link = link
        self.tol = tol
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def __skexplain_tags__(self):
        linear = {"linearity"} if self.link == "identity" else set()  # as ExactShapley
        return ExplainerTags(axioms={"efficiency"},
                             approximate_axioms={"symmetry", "dummy"} | linear,
                             stochastic=True, estimates_shapley=True)

    def _fit(self, background):
        self._fit_feature_groups()
        self._fit_link()
        self._designs = DesignCache()  # the designs of the last int random_state

    def _task(self, references=None):
        weights = self.background_weights_
        nb = self.background_predictions_.shape[0]
        # one parallel layer: joblib over blocks of rows (below), never inside a block
        if references is not None:  # per-row baselines: each row plays one reference, weight 1
            evaluator = CoalitionEvaluator(self.model_, references,
                                           feature_groups=self.feature_groups_,
                                           batch_size=self.batch_size, n_jobs=1)
            weights = np.ones(references.shape[0])
        else:
            evaluator = CoalitionEvaluator(
                self.model_, self.background_, feature_groups=self.feature_groups_,
                background_predictions=self.background_predictions_,
                batch_size=self.batch_size, n_jobs=1)
            weights = np.full(nb, 1.0 / nb) if weights is None else weights
        # adaptive allocation splits a row's budget between its background games
        sampling = Sampling(self.n_samples, self.sampler, bool(self.paired))
        if (self.allocation == "adaptive" and references is None and self.tol is None
                and self.link == "identity" and nb > 1):
            g = evaluator.n_groups
            sample = background_sampling(sampling, g, weights)
            if sample is not None:  # below one identified design per game
                sampling = sample
            elif sampling.levels(g).nested:
                sampling = replace(sampling, adaptive=True)
        return Task(evaluator, weights, sampling, self.tol, int(self.verbose))

    def _explain_against(self, X, baselines, explain_rows):
        """Row i against ``baselines[i]``: one game per row, all in the engine's calls.

        The distinct references become the background and row i plays only
        the game of its own, on background row 0's design (so that its values
        are those of an explainer fitted on that reference alone).  With a
        link the game is not a mean of single-reference games: the rows are
        explained by rebased explainers instead.
        """
        if self.link != "identity":
            return super()._explain_against(X, baselines, explain_rows)
        X, baselines = align_together(self.background_, X, baselines)
        groups = same_rows(baselines)
        pairs = np.empty(X.shape[0], dtype=int)
        for j, rows in enumerate(groups):
            pairs[rows] = j
        references = select_rows(baselines, np.array([rows[0] for rows in groups]))
        expl = self._explain_all(X, against=(references, pairs))
        expl.metadata.update(baselines=True, n_references=len(groups))
        return expl

    def _explain_all(self, X, against=None):
        n = X.shape[0]
        seed = _seed(self.random_state)
        references, pairs = against or (None, None)
        task = self._task(references)
        blocks = row_blocks(task, X, n_workers(self.n_jobs))
        units = DrawnUnits if pairs is None else OneDesign
        if self.link != "identity":
            results = [explain_linked(task, self._averaging_evaluator(), X, seed, self.link)]
        elif len(blocks) == 1 or self.n_jobs in (None, 1):
            # the units drawn for one block serve the next ones
            reused = len(blocks) > 1 or task.n_rounds > 1
            results, drawn = [], self._drawn_units(seed, task, X, units, reused)
            for r in blocks:
                results.append(explain_block(task, select_rows(X, r) if len(blocks) > 1 else X,
                                             drawn, None if pairs is None else pairs[r]))
                if self.verbose:
                    print(f"[KernelSHAP] {r[-1] + 1}/{n} rows explained, "
                          f"{sum(res[2] for res in results)} model rows", file=sys.stderr)
        else:  # joblib reports the blocks done
            results = Parallel(n_jobs=self.n_jobs, verbose=10 * int(self.verbose))(
                delayed(explain_block)(task, select_rows(X, r),
                                       seed if pairs is None else OneDesign(seed, 0),
                                       None if pairs is None else pairs[r]) for r in blocks)
        phi = np.concatenate([r[0] for r in results])
        var = np.concatenate([r[1] for r in results])
        converged = np.concatenate([r[3] for r in results])
        n_rows = int(sum(r[2] for r in results))
        self._warn(var, converged)
        base = (np.tile(self._expected_value_array(), (n, 1)) if pairs is None
                else task.background_values[pairs])
        meta = {"n_model_rows": n_rows, "sampler": self.sampler, "paired": bool(self.paired),
                "allocation": _allocation(task.sampling)}
        if self.tol is not None:
            meta["converged"] = converged.tolist()
        return self._make_explanation(X, phi, base, stderr=np.sqrt(var), **meta)

    def _drawn_units(self, seed, task, X, units, reused):
        """The designs of this call: kept from the last call when ``random_state`` is
        an int (the same seed draws and factors the same designs again), up to a
        quarter of the working budget each for the units and the factored designs."""
        budget = task.work_bytes(X) // 4
        cache = getattr(self, "_designs", None)  # None: fitted by a version without it
        if (units is not DrawnUnits or cache is None
                or not isinstance(self.random_state, Integral)):
            return units(seed, budget if reused else 0)
        # the rounds of ``tol`` decide what a plain design's round j holds
        return cache.units((seed, task.sampling, task.n_rounds, budget),
                           lambda: DrawnUnits(seed, budget))

    def _warn(self, var, converged):
        if np.isnan(var).any():
            warnings.warn(
                f"KernelSHAP: n_samples={self.n_samples!r} is too small to identify every "
                "attribution or to reach every coalition size; the unidentified part is "
                "split evenly and the standard errors are NaN where the error is unknown. "
                "Raise n_samples (2 * n_features identifies every attribution; about "
                "3 * n_features reaches every size).", ApproximationWarning, stacklevel=5)
        if self.tol is not None and not converged.all():
            warnings.warn(
                f"KernelSHAP: {int((~converged).sum())} of {converged.size} rows did not reach "
                f"tol={self.tol} within n_samples={self.n_samples!r}; their standard errors "
                "say how far they are.", ApproximationWarning, stacklevel=5)


def _allocation(sampling):
    """The allocation that ran, for ``metadata["allocation"]``."""
    if sampling.game_fraction < 1:
        return "background sample"
    return "adaptive" if sampling.adaptive else "equal"


@lru_cache(maxsize=256)
def _seed_of_int(random_state):
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def _seed(random_state):
    """The seed of this call's designs (an int state: cached, it takes 0.13 ms to derive)."""
    if isinstance(random_state, Integral):
        return _seed_of_int(int(random_state))
    return int(check_random_state(random_state).randint(0, 2**31 - 1))
