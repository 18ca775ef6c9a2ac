"""Randomization sanity checks of Adebayo et al. (NeurIPS 2018).

An explanation that does not change when the model's parameters are
re-initialised (model-parameter randomization) or when the model is trained
on permuted labels (data randomization) cannot be explaining the model.
Each test explains the same rows with the trained and the randomized models
and reports their similarity (:class:`SanityReport`).
"""
import math
import numbers

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..adapters import is_torch_module
from ..utils._with_model import clone_with_model, explained_model
from .metrics import (hog_pearson_correlation, spearman_rank_correlation,
                      structural_similarity, top_k_intersection)
from ._randomize import randomizable_layers, randomize_model, train_on_permuted_labels
from ._report import SanityReport

__all__ = ["METRICS", "data_randomization", "map_similarity", "model_parameter_randomization",
           "similarity_scores"]

#: Similarity metrics of the sanity checks (Adebayo et al., Sec. 3): rank
#: correlation of |maps| and of signed maps, SSIM and HOG Pearson correlation
#: of maps normalised to [0, 1] (|map| / max |map|, as in the paper's code),
#: and the fraction of shared top-10% entries.  SSIM needs 2-D maps of side
#: >= 7 and HOG of side >= 4; tabular attributions get the other three.
METRICS = ("spearman_abs", "spearman", "ssim", "hog", "top_k")


def _as_image(m):
    """A 2-D view of one map: singleton axes dropped, channels summed in |.|."""
    m = np.squeeze(m)
    if m.ndim == 3:
        axis = 0 if m.shape[0] <= 4 else (-1 if m.shape[-1] <= 4 else None)
        m = None if axis is None else np.abs(m).sum(axis=axis)
    return m if m is not None and m.ndim == 2 else None


def _unit_abs(m):
    a = np.abs(m)
    top = a.max()
    return a / top if top > 0 else a


def map_similarity(a, b, metric):
    """Similarity of two attribution maps under one of :data:`METRICS`.

    Identical maps have similarity 1.0 under every metric: the metrics return
    0.0 for constant maps (no ranking information), which would otherwise let
    an explanation that ignores the model pass the randomization tests.

    Parameters
    ----------
    a, b : array-like of the same shape
        Two attribution maps (one row's values, or a whole batch's).
    metric : str
        A key of :data:`METRICS`: ``"spearman_abs"``, ``"spearman"``,
        ``"ssim"``, ``"hog"`` or ``"top_k"``.

    Returns
    -------
    float
        The similarity, 1.0 for identical maps.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(64.0).reshape(8, 8)
    >>> map_similarity(a, -a, "spearman")
    -1.0
    >>> map_similarity(a, -a, "spearman_abs")
    1.0
    >>> map_similarity(np.zeros(4), np.zeros(4), "spearman")
    1.0
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape == b.shape and np.array_equal(a, b):
        return 1.0
    if metric == "spearman_abs":
        return spearman_rank_correlation(a, b, absolute=True)
    if metric == "spearman":
        return spearman_rank_correlation(a, b)
    if metric == "top_k":
        return top_k_intersection(a, b, max(1, math.ceil(0.1 * a.size)))
    if metric in ("ssim", "hog"):
        ia, ib = _as_image(a), _as_image(b)
        if ia is None or min(ia.shape) < (7 if metric == "ssim" else 4):
            raise ValueError(f"metric {metric!r} needs 2-D maps (side >= 7 for ssim, >= 4 "
                             f"for hog); got maps of shape {a.shape}.")
        ia, ib = _unit_abs(ia), _unit_abs(ib)
        if metric == "ssim":
            return structural_similarity(ia, ib, data_range=1.0)
        return hog_pearson_correlation(ia, ib)
    raise ValueError(f"metric must be one of {METRICS}; got {metric!r}.")


def _applicable(metric, feature_shape):
    if metric not in ("ssim", "hog"):
        return True
    image = _as_image(np.zeros(feature_shape))
    return image is not None and min(image.shape) >= (7 if metric == "ssim" else 4)


def _check_metrics(metrics, metric, feature_shape):
    """Validated (metrics, deciding metric) for maps of ``feature_shape``."""
    image_like = _applicable("hog", feature_shape)
    if metric is None:
        metric = "spearman_abs" if image_like else "spearman"
    if metrics is None:
        metrics = [m for m in METRICS if _applicable(m, feature_shape)]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    bad = [m for m in metrics + [metric] if m not in METRICS]
    if bad:
        raise ValueError(f"metrics and metric must be among {METRICS}; got unknown {bad}.")
    wrong = [m for m in metrics + [metric] if not _applicable(m, feature_shape)]
    if wrong:
        raise ValueError(f"metrics {wrong} need 2-D maps; attributions have feature shape "
                         f"{feature_shape}.")
    return metrics + ([metric] if metric not in metrics else []), metric


def _seeds(n_repeats, random_state):
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 1:
        raise ValueError(f"n_repeats must be an integer >= 1; got {n_repeats!r}.")
    return check_random_state(random_state).randint(0, 2**31 - 1, size=n_repeats).tolist()


def similarity_scores(reference, other, metrics):
    """Similarity per metric between two batches of attributions.

    Parameters
    ----------
    reference, other : ndarray of shape (n, \\*feature_shape)
    metrics : list of str

    Returns
    -------
    dict of str to ndarray of shape (n_maps,)
        Image-like attributions are compared row by row (``n_maps = n``);
        tabular ones (one feature axis) as one map of the whole batch, since a
        handful of features per row gives too few ranks to correlate.

    Examples
    --------
    >>> import numpy as np
    >>> maps = np.random.default_rng(0).normal(size=(3, 8, 8))
    >>> scores = similarity_scores(maps, maps[::-1], ["spearman", "ssim"])
    >>> scores["ssim"].shape, float(scores["spearman"][1])
    ((3,), 1.0)
    """
    pairs = [(reference, other)] if reference.ndim == 2 else list(zip(reference, other))
    return {m: np.array([map_similarity(a, b, m) for a, b in pairs]) for m in metrics}


def _explanation_target(explainer, X, target):
    """The outputs to explain: the trained model's prediction when ``target`` is None."""
    model = explainer.model_
    if target is not None or model.n_outputs == 1:
        return target
    positions = np.argmax(model.predict(X), axis=1)
    labels = model.output_labels
    if labels is not None and all(label is not None for label in labels):
        return [labels[p] for p in positions]
    return positions


def _values(explainer, background, X, target):
    explainer = explainer.fit(background)
    expl = explainer.explain(X) if target is None else explainer.explain(X, target=target)
    return expl.values


def _validate(X, background, threshold):
    ok = isinstance(threshold, numbers.Real) and not isinstance(threshold, bool)
    if not (ok and np.isfinite(threshold)):
        raise ValueError(f"threshold must be a finite number; got {threshold!r}.")
    return X if background is None else background


def model_parameter_randomization(explainer, X, *, background=None, target=None,
                                  mode="cascading", layers=None, metrics=None, metric=None,
                                  threshold=0.5, n_repeats=1, random_state=0):
    """Model-parameter randomization test (cascading or independent).

    Parameters
    ----------
    explainer : BaseExplainer
        An explainer of the trained model (cloned; neither it nor its model is
        modified).  A parameter that is a submodule of the model (GradCAM's
        ``layer``) is given to each randomized copy as its dotted name.
    X : array-like or tensor of shape (n, \\*feature_shape)
        Rows to explain.
    background : array-like of shape (n_background, \\*feature_shape), default=None
        Background given to ``fit``; None uses ``X``.
    target : int, label or array-like of shape (n,), default=None
        Output explained; None explains each row's output predicted by the
        trained model (the same output for every randomized model).
    mode : {"cascading", "independent"}, default="cascading"
        Cascading randomizes layers cumulatively from the output down;
        independent randomizes one layer at a time.
    layers : list of str, default=None
        Layers to randomize, top first (see :func:`randomizable_layers`).
    metrics : list of str, default=None
        Subset of :data:`METRICS`; None uses every metric that applies.
    metric : str, default=None
        Metric deciding the verdict.  None: ``"spearman_abs"`` for image-like
        maps (the paper's main metric) and ``"spearman"`` (signed) for tabular
        attributions, whose absolute values are dominated by ``|x - E[x]|``
        whatever the model (input dominance, like Gradient x Input's).
    threshold : float, default=0.5
        Largest mean similarity of a passing explainer (see
        ``DEFAULT_THRESHOLDS["randomization_max_similarity"]``).
    n_repeats : int, default=1
        Independent re-initialisations per step, averaged: a few features give
        few random weights, so tabular models need several draws.
    random_state : int, default=0
        Seed of the re-initialisations.

    Returns
    -------
    SanityReport

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skexplain import ExactShapley
    >>> X = np.random.default_rng(0).normal(size=(30, 4))
    >>> model = LinearRegression().fit(X, X @ [2.0, -1.0, 0.5, 0.0])
    >>> report = model_parameter_randomization(ExactShapley(model), X[:10], n_repeats=5)
    >>> report.steps, report.metric, report.passed
    (['coef_'], 'spearman', True)
    """
    if mode not in ("cascading", "independent"):
        raise ValueError(f"mode must be 'cascading' or 'independent'; got {mode!r}.")
    background = _validate(X, background, threshold)
    seeds = _seeds(n_repeats, random_state)
    model = explained_model(explainer)
    names = randomizable_layers(model, X) if layers is None else list(layers)
    if not names:
        raise ValueError(f"The model {type(model).__name__} has no parameters that can be "
                         "randomized (torch modules, sklearn MLPs and linear models can).")
    trained = clone(explainer).fit(background)
    target = _explanation_target(trained, X, target)
    reference = _values(trained, background, X, target)
    metrics, metric = _check_metrics(metrics, metric, reference.shape[1:])
    subsets = ([names[:k + 1] for k in range(len(names))] if mode == "cascading"
               else [[name] for name in names])
    scores = {m: [[] for _ in subsets] for m in metrics}
    for step, subset in enumerate(subsets):
        for seed in seeds:
            randomized = randomize_model(model, subset, random_state=seed)
            values = _values(clone_with_model(explainer, randomized), background, X, target)
            for m, s in similarity_scores(reference, values, metrics).items():
                scores[m][step].extend(s)
    return SanityReport(mode, [s[-1] for s in subsets], scores, metric=metric,
                        threshold=threshold, explainer_name=type(explainer).__name__,
                        details={"layers": names, "n_repeats": len(seeds)})


def _reference_model(model, X, y, train_fn):
    if is_torch_module(model):
        return model
    try:
        check_is_fitted(model)
        return model
    except NotFittedError:
        return clone(model).fit(X, y) if train_fn is None else train_fn(clone(model), X, y)
    except TypeError:
        return model


def data_randomization(explainer, X, y, *, X_explain=None, background=None, target=None,
                       train_fn=None, metrics=None, metric=None, threshold=0.5, n_repeats=1,
                       random_state=0):
    """Data randomization test: the model retrained on permuted labels.

    Parameters
    ----------
    explainer : BaseExplainer
        An explainer of the model trained on ``(X, y)``; an unfitted sklearn
        model is fitted on ``(X, y)`` first.  A parameter that is a submodule
        of the model (GradCAM's ``layer``) is given to each retrained copy as
        its dotted name.
    X : array-like or tensor of shape (n, \\*feature_shape)
        Training rows.
    y : array-like of shape (n,)
        True labels (permuted for the randomized model).
    X_explain : array-like of shape (m, \\*feature_shape), default=None
        Rows to explain; None uses the first (at most) 32 rows of ``X``.
    background : array-like, default=None
        Background for ``fit``; None uses ``X_explain``.
    target, metrics, metric, threshold, n_repeats, random_state
        As in :func:`model_parameter_randomization` (each repeat draws another
        permutation of the labels).
    train_fn : callable, default=None
        ``train_fn(model, X, y) -> trained model``; a torch model is given a
        re-initialised copy, an sklearn model a clone.  None: sklearn models
        are refitted with ``clone(model).fit(X, y)``; torch modules are
        trained by full-batch Adam, 300 steps with mean squared error for one
        output and cross-entropy on class labels for several (seeded, on the
        copy).  A torch ``model`` is taken as already trained on ``(X, y)``.

    Returns
    -------
    SanityReport
        ``details["permuted_train_score"]`` holds the training score on the
        permuted labels when the model has ``score`` (memorisation check).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skexplain import ExactShapley
    >>> from skexplain.testing import ConstantExplainer
    >>> X = np.random.default_rng(0).normal(size=(40, 4))
    >>> y = X @ [2.0, -1.0, 0.5, 0.0]
    >>> data_randomization(ExactShapley(Ridge()), X, y, n_repeats=3).passed
    True
    >>> data_randomization(ConstantExplainer(Ridge()), X, y).statistic
    1.0
    """
    X_explain = X[:min(32, len(X))] if X_explain is None else X_explain
    background = _validate(X_explain, background, threshold)
    model = _reference_model(explained_model(explainer), X, y, train_fn)
    trained = clone_with_model(explainer, model).fit(background)
    target = _explanation_target(trained, X_explain, target)
    reference = _values(trained, background, X_explain, target)
    metrics, metric = _check_metrics(metrics, metric, reference.shape[1:])
    scores, train_scores = {m: [] for m in metrics}, []
    for seed in _seeds(n_repeats, random_state):
        permuted, y_perm = train_on_permuted_labels(model, X, y, train_fn=train_fn,
                                                    random_state=seed)
        values = _values(clone_with_model(explainer, permuted), background, X_explain,
                         target)
        for m, s in similarity_scores(reference, values, metrics).items():
            scores[m].extend(s)
        if hasattr(permuted, "score"):
            train_scores.append(float(permuted.score(X, y_perm)))
    details = {"permuted_train_score": float(np.mean(train_scores))} if train_scores else {}
    return SanityReport("data", ["permuted labels"], {m: [v] for m, v in scores.items()},
                        metric=metric, threshold=threshold,
                        explainer_name=type(explainer).__name__, details=details)
