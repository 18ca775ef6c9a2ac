"""``LIME``: local surrogate models (Ribeiro et al. 2016), as the lime package.

One random design is drawn per ``explain`` call from ``random_state`` and
played by every explained row (see :mod:`._lime_sampling`): a row's values
depend neither on the rows explained with it nor on ``batch_size`` or
``n_jobs``.  The perturbed rows of a chunk of explained rows go to the model
in ``predict`` calls of at most ``batch_size`` rows, and the weighted ridge
surrogates of all rows and outputs are solved at once
(:mod:`._lime_surrogate`).
"""
import sys
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ..base import BaseExplainer, ExplainerTags, PerturbationMixin
from ..utils._parallel import n_workers
from ..utils._param_validation import HasMethods, Interval, StrOptions
from ..utils._validation import select_rows
from ._coalitions import _CHUNK_BYTES, _MAX_AUTO_ROWS
from ._groups import FeatureGroupsMixin, column_groups
from ._hybrids import HybridBuilder
from ._lime_sampling import (TabularStats, draw_group_design, draw_tabular_design,
                             group_samples, refuse_normal_draws_of_ids, resolve_categorical,
                             tabular_samples)
from ._lime_surrogate import Moments, fit_custom, select_features, weighted_ridge
from ._link import LINK_CONSTRAINT, LinkMixin, apply_link

__all__ = ["LIME"]

_SELECTIONS = {"auto", "none", "forward", "highest_weights", "lasso"}


class LIME(LinkMixin, FeatureGroupsMixin, PerturbationMixin, BaseExplainer):
    """Local Interpretable Model-agnostic Explanations, vectorized over rows.

    Around each row ``x``, ``n_samples`` perturbed rows are drawn, the model
    is evaluated on them, and a linear surrogate is fitted on interpretable
    features with weights ``sqrt(exp(-d^2 / w^2))`` (``d``: distance of a
    sample's interpretable row to x's).  The values are the surrogate's
    coefficients, for every model output at once.

    **Tabular mode** (no ``feature_groups``), as ``lime.lime_tabular``
    with its defaults: each column is sampled independently from the
    background.  A numeric column is cut at the background's quartiles
    (deciles) and its interpretable feature is 1 when the sampled value lies
    in x's bin; a categorical column (strings, categories, booleans: no
    encoding needed) is 1 when the sampled category is x's.  Distances are
    Euclidean on these binary rows and ``w = 0.75 * sqrt(n_columns)``.  One
    documented difference with lime: the model sees background values (lime
    draws a truncated normal inside the sampled bin), so every column keeps
    its dtype (integers stay integers, strings strings).  With
    ``discretizer=None`` numeric columns are lime's ``mean + std * N(0, 1)``
    draws, their interpretable value ``N(0, 1)`` (x's: ``(x - mean) / std``),
    and a coefficient is a slope per standard deviation.

    **Group mode** (``feature_groups`` given, e.g. an image segment map or
    :func:`~skexplain.perturbation.grid_segments`), as ``lime_image``: each
    group is on (x's values) or off (a background row drawn per sample; one
    background row is a fixed replacement such as a grey image) with
    probability 1/2, distances are cosine distances to the all-on row, and
    ``kernel_width`` defaults to 0.25.  ``discretizer`` and
    ``categorical_features`` do not apply.  ``explain(X, baselines=R)``
    makes ``R[i]`` row i's "off" value (captum's ``Lime`` baselines);
    tabular mode refuses baselines.

    Parameters
    ----------
    model : estimator, Pipeline, torch.nn.Module or callable
        The model to explain (never modified).
    n_samples : int, default=5000
        Perturbed rows per explained row, x itself included (lime's
        ``num_samples``); each costs one model row.  At least the number of
        interpretable features plus one.
    kernel_width : float, default=None
        Kernel width ``w``; None is ``0.75 * sqrt(n_columns)`` in tabular mode
        and 0.25 in group mode.
    discretizer : {"quartile", "decile"} or None, default="quartile"
        Bins of the numeric columns (edges at the background's weighted
        quartiles or deciles, as averaged inverted-CDF percentiles so that
        integer weights equal repeated rows; lime interpolates linearly).
        None (normal draws) is refused for a torch module taking token ids
        or codes, unless every column is in ``categorical_features``.
    categorical_features : "auto", list of str or int, or None, default="auto"
        Columns sampled and compared as categories.  "auto": DataFrame columns
        of object, string, category or bool dtype, non-numeric columns of
        object arrays, and bool arrays.  A list (names or positions) must
        include every non-numeric column.
    feature_selection : {"auto", "none", "forward", "highest_weights", "lasso"}, default="auto"
        How ``n_features`` features are kept (lime's procedures: "auto" is
        forward selection for ``n_features <= 6``, else highest weights);
        the others get exactly 0.  "none" keeps every feature whatever
        ``n_features`` says (as lime).  Ignored when ``n_features`` is None.
    n_features : int, default=None
        Number of features kept per row and output; None keeps all (lime's
        ``num_features`` set to the number of features).
    surrogate : regressor, default=None
        None: ``Ridge(alpha=1)`` with intercept, solved in closed form for all
        rows and outputs at once.  Any scikit-learn regressor that takes
        ``sample_weight`` and has ``coef_`` once fitted: a clone is then
        fitted per row and output (much slower).
    feature_groups : dict, list of lists or ndarray, default=None
        Interpretable features made of several columns: ``{name: columns}``,
        column lists, or an integer segment map of the feature shape, of its
        trailing dims ((H, W) for (C, H, W) inputs) or of its leading dims
        ((H, W) for (H, W, C)), with consecutive labels.
    output : str, int or label, default="auto"
        Which model output to explain (see :func:`skexplain.adapters.as_model`).
    link : {"identity", "logit"}, default="identity"
        Space of the outputs the surrogate is fitted to.  ``"logit"``: the
        log-odds ``log(p / (1 - p))`` of each perturbed row's probability
        (``predict_proba``; each class one-vs-rest), so coefficients,
        intercept and local prediction are in log-odds and ``base_values``
        is ``logit(mean_b f(b))``, as for the Shapley explainers.  LIME
        evaluates each perturbed row on its own (no background average), so
        this is LIME on the model ``logit(predict_proba)``.  For a binary
        LogisticRegression that equals ``output="decision_function"``; for
        other classifiers it does not (their decision function, if any, is
        another score, e.g. a softmax logit).  Refused for outputs that are
        not probabilities; probabilities of exactly 0 or 1 are clipped to
        ``[1e-12, 1 - 1e-12]`` with an ``ApproximationWarning``.
    batch_size : int, default=None
        Model rows per ``predict`` call; None: up to 2^17 rows within 64 MiB.
    n_jobs : int, default=None
        joblib workers over chunks of rows.  Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the design drawn once per ``explain`` call.
    verbose : int, default=0
        Print progress (chunks of rows explained) to stderr when positive.

    Attributes
    ----------
    model_ : skexplain.adapters.Model
    background_ : ndarray or DataFrame
    expected_value_ : float or ndarray of shape (n_outputs,)
        ``base_values`` of the explanations (the background mean, as for
        every explainer; the surrogate's intercept is in ``extras``).
    feature_groups_ : list of ndarray or None
    feature_names_out_ : list of str
    categorical_features_ : ndarray of int
        Positions of the columns treated as categories (tabular mode).
    bin_edges_ : list of ndarray or None
        Per column: the bin edges of a binned numeric column, else None.
    bin_frequencies_ : list of ndarray or None
        Per column: the background's weight in each bin (missing values,
        which form a bin of their own, are not counted).
    category_frequencies_ : list of tuple or None
        Per column: ``(categories, frequencies)`` of a categorical column.
    means_, scales_ : ndarray of shape (n_columns,)
        Mean and scale of the continuous columns (``discretizer=None``;
        NaN for other columns).
    stats_ : object
        The sampling statistics above, with each column's background rows in
        the canonical order of its values (the donor draw's inverse CDF).

    Notes
    -----
    ``explain`` returns ``extras`` with, per row (and output), the
    surrogate's ``"intercept"``, its weighted R^2 ``"score"`` and its
    ``"local_prediction"`` at x (lime's ``intercept``, ``score`` and
    ``local_pred``).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> from skexplain import LIME
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = GradientBoostingRegressor(random_state=0).fit(X, y)
    >>> expl = LIME(model, n_samples=1000, random_state=0).fit(X).explain(X[:2])
    >>> expl.values.shape, sorted(expl.extras)
    ((2, 10), ['intercept', 'local_prediction', 'score'])
    """

    _parameter_constraints: dict = {
        **BaseExplainer._parameter_constraints,
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "kernel_width": [Interval(Real, 0, None, closed="neither"), None],
        "discretizer": [StrOptions({"quartile", "decile"}), None],
        "categorical_features": [StrOptions({"auto"}), "array-like", None],
        "feature_selection": [StrOptions(_SELECTIONS)],
        "n_features": [Interval(Integral, 1, None, closed="left"), None],
        "surrogate": [HasMethods(["fit", "predict"]), None],
        "feature_groups": [dict, list, tuple, np.ndarray, None],
        "link": LINK_CONSTRAINT,
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, model, *, n_samples=5000, kernel_width=None, discretizer="quartile",
                 categorical_features="auto", feature_selection="auto", n_features=None,
                 surrogate=None, feature_groups=None, output="auto", link="identity",
                 batch_size=None, n_jobs=None, random_state=None, verbose=0):
        self.model = model
        self.n_samples = n_samples
        self.kernel_width = kernel_width
        self.discretizer = discretizer
        self.categorical_features = categorical_features
        self.feature_selection = feature_selection
        self.n_features = n_features
        self.surrogate = surrogate
        self.feature_groups = feature_groups
        self.output = output
        self.link = link
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def __skexplain_tags__(self):
        # The closed-form ridge is linear in the model's outputs and the design
        # does not depend on the model: linearity is exact.  An ignored feature
        # and two exchangeable features are treated alike in expectation (the
        # tabular kernel factorises over columns); group mode's cosine kernel
        # does not factorise, so a dummy group is only near 0 there.
        # (not with a link: the log-odds of a sum are not the sum of the log-odds)
        linear = self.surrogate is None and self.link == "identity" and (
            self.n_features is None or self.feature_selection == "none")
        approximate = {"symmetry"} | ({"dummy"} if self.feature_groups is None else set())
        return ExplainerTags(axioms={"linearity"} if linear else set(),
                             approximate_axioms=approximate, stochastic=True)

    # -------------------------------------------------------------------- fit
    def _fit(self, background):
        self._fit_link()
        groups = self._fit_feature_groups()
        n_interpretable = self.n_features_in_ if groups is None else len(groups)
        self._check_sizes(n_interpretable)
        if self.surrogate is not None:
            _check_surrogate(self.surrogate)
        if groups is None:
            self._fit_tabular(background, self._feature_names())

    def _check_sizes(self, m):
        if self.n_samples < m + 1:
            raise ValueError(
                f"n_samples must be at least the number of interpretable features plus one "
                f"(x's own row), {m + 1}; got n_samples={self.n_samples}.")
        if self.n_features is not None and self.n_features > m:
            raise ValueError(f"n_features must be between 1 and the number of interpretable "
                             f"features ({m}); got n_features={self.n_features}.")

    def _fit_tabular(self, background, names):
        if background.shape[0] == 1 and self.discretizer is not None:
            # every sample would take the one row's values: all values 0
            raise ValueError(
                "LIME samples each column from the background's values, and a background "
                "of 1 sample gives every perturbed row the same values, so every attribution "
                "would be 0. Fit on more rows (lime uses the training data), pass "
                "discretizer=None (normal draws around the mean) or use feature_groups.")
        categorical = resolve_categorical(self.categorical_features, background, names)
        refuse_normal_draws_of_ids(self.model_, self.discretizer, categorical, names)
        stats = TabularStats(background, self.background_weights_, categorical,
                             self.discretizer)
        self.stats_ = stats
        self.categorical_features_ = np.flatnonzero(categorical)
        self.bin_edges_ = stats.edges
        self.bin_frequencies_ = stats.bin_freq
        self.category_frequencies_ = stats.categories
        self.means_, self.scales_ = stats.mean, stats.scale

    # ---------------------------------------------------------------- explain
    def _refuse_baselines(self):
        """Per-row baselines are the "off" value of group mode; tabular mode has none."""
        if self.feature_groups_ is None:
            raise TypeError(
                "LIME.explain got baselines, but in tabular mode (feature_groups=None) LIME "
                "samples each column from the background's distribution: there is no 'off' "
                "value for a baseline to replace. Pass feature_groups (e.g. one group per "
                "column, feature_groups=[[0], [1], ...], as captum's Lime) to switch features "
                "between x and their baseline, or leave baselines=None.")

    def _explain_all(self, X):
        rng = check_random_state(self.random_state)
        task = self._task(X, rng)
        n = X.shape[0]
        chunks = _row_chunks(n, task.rows_per_chunk, n_workers(self.n_jobs))
        if len(chunks) == 1 or self.n_jobs in (None, 1):
            results = []
            for rows in chunks:
                results.append(explain_chunk(task, select_rows(X, rows), rows))
                if self.verbose:
                    print(f"[LIME] {rows[-1] + 1}/{n} rows explained", file=sys.stderr)
        else:
            results = Parallel(n_jobs=self.n_jobs, verbose=10 * int(self.verbose))(
                delayed(explain_chunk)(task, select_rows(X, rows), rows) for rows in chunks)
        coef, intercept, score, local = (np.concatenate([r[i] for r in results])
                                         for i in range(4))
        base = np.tile(self._expected_value_array(), (n, 1))
        extras = {"intercept": intercept, "score": score, "local_prediction": local}
        return self._make_explanation(
            X, coef.transpose(0, 2, 1), base, extras=extras,
            n_model_rows=n * self.n_samples, kernel_width=task.kernel_width,
            mode="tabular" if self.feature_groups_ is None else "groups")

    def _task(self, X, rng):
        S, groups = self.n_samples, self.feature_groups_
        # as CoalitionEvaluator: 2^17 rows at most, within 64 MiB of float64 hybrids
        rows = self.batch_size or min(_MAX_AUTO_ROWS, _CHUNK_BYTES // (8 * self.n_features_in_))
        common = dict(model=self.model_, n_samples=S, batch_rows=int(rows),
                      rows_per_chunk=max(1, int(rows) // S), surrogate=self.surrogate,
                      selection=None if self.n_features is None else self.feature_selection,
                      n_features=self.n_features, link=self.link)
        if groups is not None:
            weights = self.background_weights_
            nb = self.background_.shape[0]
            on, bg_rows = draw_group_design(len(groups), np.full(nb, 1.0 / nb)
                                            if weights is None else weights, rng, S)
            Z, distance = group_samples(on)
            kw = 0.25 if self.kernel_width is None else float(self.kernel_width)
            return LimeTask(**common, kernel_width=kw, builder=HybridBuilder(self.background_),
                            donor_rows=bg_rows,
                            on=on, group_of_column=column_groups(groups, self.n_features_in_),
                            Z=Z, weights=_kernel(distance, kw)[None])
        stats = self.stats_
        donors, donor_rows, normals = draw_tabular_design(stats, self.background_, rng, S)
        x_keys, b_keys = stats.keys(HybridBuilder(self.background_), X, self.background_)
        cols = np.arange(b_keys.shape[1])
        kw = (0.75 * np.sqrt(self.n_features_in_) if self.kernel_width is None
              else float(self.kernel_width))
        return LimeTask(**common, kernel_width=kw, builder=HybridBuilder(donors),
                        donor_rows=np.arange(S),
                        donor_keys=b_keys[np.maximum(donor_rows, 0), cols],
                        normals=normals, continuous=stats.continuous, x_keys=x_keys,
                        x_scaled=stats.scaled(X))


@dataclass
class LimeTask:
    """Everything a chunk of rows needs (picklable, for joblib)."""

    model: object
    n_samples: int
    batch_rows: int
    rows_per_chunk: int
    surrogate: object
    selection: str
    n_features: int
    kernel_width: float
    builder: HybridBuilder
    link: str
    donor_rows: np.ndarray  # (S,) the builder's row of each sample
    on: np.ndarray = None  # group mode: (S, G) groups taken from x, shared
    group_of_column: np.ndarray = None  # group mode: (n_columns,)
    Z: np.ndarray = None  # group mode: (1, S, G)
    weights: np.ndarray = None  # group mode: (1, S)
    donor_keys: np.ndarray = None  # tabular mode, (S, C)
    normals: np.ndarray = None
    continuous: np.ndarray = None
    x_keys: np.ndarray = None  # (n, C) for every explained row
    x_scaled: np.ndarray = None


def _kernel(distance, width):
    return np.sqrt(np.exp(-distance ** 2 / width ** 2))


def _row_chunks(n, per_chunk, workers):
    per_chunk = min(per_chunk, max(1, -(-n // workers)))
    return [np.arange(s, min(s + per_chunk, n)) for s in range(0, n, per_chunk)]


def explain_chunk(task, X, rows):
    """Surrogates of a chunk of rows: (coef (r, k, m), intercept, score, local_pred)."""
    r, S = X.shape[0], task.n_samples
    if task.Z is None:
        Z, masks = tabular_samples(task.x_keys[rows], task.donor_keys, task.normals,
                                   task.x_scaled[rows], task.continuous)
        weights = _kernel(np.sqrt(((Z - Z[:, :1]) ** 2).sum(axis=-1)), task.kernel_width)
        masks = masks.reshape(r * S, -1)
    else:
        Z, weights = task.Z, task.weights
        masks = None  # shared by every row: taken per call (an image's masks are large)
    Y = _predict(task, X, masks, r).reshape(r, S, -1)
    # Many small products (m x S by S x m per row): threaded BLAS only adds
    # overhead, and spins badly on a busy machine (2.4 s instead of 5 ms for
    # 20 rows, 5000 samples, 16 features on 2 shared cores).
    with threadpool_limits(1, user_api="blas"):
        return _surrogates(task, Z, weights, Y)


def _surrogates(task, Z, weights, Y):
    moments = Moments(Z, weights, Y)
    r = Y.shape[0]
    m, k = Z.shape[-1], Y.shape[-1]
    mask = None
    if task.selection not in (None, "none"):
        mask = select_features(task.selection, task.n_features, Z, weights, Y, moments)
    if task.surrogate is None:
        return weighted_ridge(Z, weights, Y, 1.0, mask, moments)
    if mask is None:
        mask = np.ones((r, k, m), dtype=bool)
    return fit_custom(task.surrogate, Z, weights, Y, mask)


def _predict(task, X, masks, r):
    """Model outputs of the r * S perturbed rows, ``batch_rows`` rows per call."""
    S = task.n_samples
    row_of = np.repeat(np.arange(r), S)
    donor_of = np.tile(task.donor_rows, r)
    out = []
    for start in range(0, r * S, task.batch_rows):
        part = slice(start, min(start + task.batch_rows, r * S))
        if masks is None:  # group mode: column masks of this call only
            part_masks = task.on[np.arange(part.start, part.stop) % S][:, task.group_of_column]
        else:
            part_masks = masks[part]
        batch = task.builder.build_pairs(X, row_of[part], donor_of[part], part_masks)
        out.append(apply_link(task.model.predict(batch), task.link, task.model))
    return np.concatenate(out, axis=0)


def _check_surrogate(surrogate):
    """Fit a clone on a tiny weighted problem: a linear regressor with coef_.

    The values are read as the surrogate's slopes next to its intercept and
    local prediction, so its predictions must be ``Z @ coef_ + intercept_``
    (a GLM with a log link, say, would give slopes on another scale).
    """
    rng = np.random.default_rng(0)
    Z, Z_new = rng.random((8, 2)), rng.random((4, 2))
    name = type(surrogate).__name__
    try:
        fitted = clone(surrogate).fit(Z, Z @ np.array([1.0, -1.0]), sample_weight=np.ones(8))
        prediction = np.asarray(fitted.predict(Z_new), dtype=float).reshape(-1)
    except Exception as exc:  # whatever the estimator raises, the parameter is ours
        raise ValueError(f"surrogate must be a regressor fitted as surrogate.fit(Z, y, "
                         f"sample_weight=w) on real-valued y; {name} failed on a small test "
                         f"problem: {type(exc).__name__}: {exc}") from exc
    coef = getattr(fitted, "coef_", None)
    if coef is None or np.size(coef) != 2:
        raise ValueError(
            f"surrogate must be a linear regressor with coef_ after fitting (e.g. Ridge, "
            f"Lasso, LinearRegression); {name} has "
            f"{'no coef_' if coef is None else f'coef_ of shape {np.shape(coef)}'}.")
    linear = Z_new @ np.ravel(coef) + float(np.ravel(getattr(fitted, "intercept_", 0.0))[0])
    if not np.allclose(prediction, linear, rtol=1e-6, atol=1e-9):
        raise ValueError(
            f"surrogate must predict Z @ coef_ + intercept_ (a linear model) so that its "
            f"coefficients are the explanation; {name}'s predictions differ from it by up to "
            f"{np.abs(prediction - linear).max():.3g} (a link function or a non-linear model).")
