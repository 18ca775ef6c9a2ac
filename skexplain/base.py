"""``BaseExplainer``: the fit / explain / transform / plot template.

Subclasses implement ``_explain(X, target)`` and may implement ``_fit(background)``.
Everything learned in ``fit`` ends in ``_``; ``explain`` never writes to ``self``
(an explainer may be shared by threads).
"""
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from .adapters import as_model
from .exceptions import ModelEvaluationError
from .explanation import Explanation
from .utils._baselines import no_baselines_error
from .utils._dtypes import align_rows
from .utils._failing_rows import raise_for_failing_rows
from .utils._param_validation import Interval, _fit_context
from .utils._validation import (check_background, check_rows, check_target,
                                default_feature_names)

__all__ = ["BaseExplainer", "ExplainerTags", "PerturbationMixin"]


@dataclass
class ExplainerTags:
    """What an explainer claims, read by :func:`skexplain.testing.check_explainer`.

    Attributes
    ----------
    axioms : set of str
        Properties the attributions satisfy exactly (``"efficiency"``,
        ``"symmetry"``, ``"dummy"``, ``"linearity"``, ``"completeness"``).
    approximate_axioms : set of str
        Properties satisfied up to a sampling or quadrature error.
    model_types : set of str
        Model kinds accepted: ``"sklearn"``, ``"torch"``, ``"callable"``.
    stochastic : bool
        Whether the result depends on ``random_state``.
    estimates_shapley : bool
        Whether the values estimate interventional Shapley values.
    all_outputs : bool
        Whether one call explains every model output (perturbation methods).
    """

    axioms: set = field(default_factory=set)
    approximate_axioms: set = field(default_factory=set)
    model_types: set = field(default_factory=lambda: {"sklearn", "torch", "callable"})
    stochastic: bool = False
    estimates_shapley: bool = False
    all_outputs: bool = True


@lru_cache(maxsize=None)
def _param_names(cls):
    return tuple(BaseEstimator._get_param_names.__func__(cls))


class BaseExplainer(TransformerMixin, BaseEstimator):
    """Base class of all explainers (a scikit-learn transformer).

    ``fit(background)`` fixes the reference distribution, ``explain(X)``
    returns an :class:`~skexplain.Explanation`, ``transform(X)`` returns the
    attributions as a 2-D array and ``plot(X)`` draws them.

    The model is the object explained: skexplain never fits or modifies it.
    ``clone`` therefore shares it, ``get_params(deep=True)`` does not list its
    nested parameters (it is opaque, like a fitted attribute), and
    ``set_params(model__alpha=...)`` raises a ``ValueError``: pass a new
    fitted model with ``set_params(model=...)`` instead.  Grid searches over
    the explainer's own parameters (``explainer__n_samples`` in a Pipeline)
    work as usual.

    Parameters
    ----------
    model : estimator, Pipeline, torch.nn.Module or callable
        The model to explain.  It is never modified.
    output : str, int or label, default="auto"
        Which model output to explain; see :func:`skexplain.adapters.as_model`.
    """

    _parameter_constraints: dict = {
        "model": "no_validation",
        "output": "no_validation",
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        # joblib's convention: None, a positive count, or -1, -2, ... (all CPUs
        # but |n_jobs| - 1); 0 means nothing.
        "n_jobs": [Interval(Integral, None, -1, closed="right"),
                   Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, model, *, output="auto"):
        self.model = model
        self.output = output

    @classmethod
    def _get_param_names(cls):
        # sklearn reads the signature of __init__ at every get_params; every
        # explanation's metadata calls it (0.1 ms of a 2 ms KernelSHAP call)
        return list(_param_names(cls))

    def __sklearn_clone__(self):
        """Clone the explainer's parameters but keep the *same* model.

        sklearn's default clone would return an unfitted copy of the model;
        the model is the object being explained, never refitted or mutated by
        skexplain, so sharing it is both correct and cheap.
        """
        params = self.get_params(deep=False)
        model = params.pop("model")
        return type(self)(model, **{k: clone(v, safe=False) for k, v in params.items()})

    def get_params(self, deep=True):
        """Parameters of the explainer; the model is opaque (never its own params).

        Parameters
        ----------
        deep : bool, default=True
            Ignored: the model's nested parameters are not the explainer's
            (skexplain never modifies the model).

        Returns
        -------
        params : dict
            Parameter names mapped to their values, ``model`` included.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import KernelSHAP
        >>> params = KernelSHAP(LinearRegression(), n_samples=64).get_params()
        >>> params["n_samples"], type(params["model"]).__name__
        (64, 'LinearRegression')
        """
        return super().get_params(deep=False)

    def set_params(self, **params):
        """Set the explainer's parameters; ``model__<name>`` is refused.

        Parameters
        ----------
        **params : dict
            Explainer parameters (``n_samples=...``, or ``model=new_model``).
            ``model__<name>`` raises a ``ValueError``: the model is never modified.

        Returns
        -------
        self : object
            The explainer (refit it when fitted state depends on the change).

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import KernelSHAP
        >>> KernelSHAP(LinearRegression()).set_params(n_samples=64).n_samples
        64
        """
        nested = sorted(k for k in params if k.startswith("model__"))
        if nested:
            raise ValueError(
                f"set_params({nested[0]}=...): skexplain never modifies the model it "
                f"explains, so {type(self).__name__} does not set the model's own "
                "parameters. Fit a new model with the parameters you want and pass it "
                "with set_params(model=new_model).")
        return super().set_params(**params)

    # ------------------------------------------------------------------- tags
    def __skexplain_tags__(self):
        """Return the :class:`ExplainerTags` of this explainer."""
        return ExplainerTags()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # the model decides whether NaN is valid
        tags.input_tags.string = True  # DataFrames with string columns reach Pipelines
        # Stochastic explainers draw only from random_state: with a fixed seed they
        # are deterministic, which is what sklearn's tag asks.
        tags.non_deterministic = False
        return tags

    # -------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, additional_forward_args=None):
        """Fix the background (reference) data.

        Parameters
        ----------
        X : array-like, DataFrame or tensor of shape (n_background, \\*feature_shape)
            Background rows; attributions explain the difference between the
            model at ``x`` and its average over these rows.  For a torch
            module taking several inputs: a tuple with one array or tensor
            per input, all with n_background rows.
        y : None
            Ignored; present for pipeline compatibility.
        sample_weight : array-like of shape (n_background,), default=None
            Weights of the background rows (normalised to sum to one).
        additional_forward_args : tuple, tensor or None, default=None
            Torch modules only: arguments passed to ``forward`` after the
            inputs to compute the background's predictions (each tensor or
            array has one entry per background row; other values are passed
            as is).  Given here, ``explain`` needs them too (explaining
            without them would call the model with its defaults against base
            values computed with these); given only to ``explain``, the base
            values are computed there, per row.  See the user guide on
            several inputs.

        Returns
        -------
        self : object
            The fitted explainer.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import ExactShapley
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = LinearRegression().fit(X, X @ [2.0, -1.0])
        >>> explainer = ExactShapley(model).fit(X)
        >>> float(explainer.expected_value_)   # the model's mean over the background
        2.0
        """
        from ._multi_input import prepare_fit

        X, spec, args = prepare_fit(self, X, additional_forward_args)
        self.input_spec_ = spec
        # explain then needs arguments too (the base values were computed with them)
        self._fitted_with_forward_args = args is not None
        self._fit_forward_args = args  # read by _make_model, deleted below
        try:
            return self._fit_background(X, sample_weight, args)
        finally:
            del self._fit_forward_args

    def _fit_background(self, X, sample_weight, args):
        numeric = not self.__sklearn_tags__().input_tags.string
        background, names = check_background(X, name="background", numeric=numeric,
                                             owner=type(self).__name__)
        self.background_ = background
        self.background_weights_ = _check_weights(sample_weight, background.shape[0])
        self.feature_shape_ = tuple(background.shape[1:])
        self.n_features_in_ = int(np.prod(self.feature_shape_))
        if hasattr(background, "columns"):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.model_ = self._make_model(background)
        self.model_.check_ids(background, "background")
        preds = (self.model_ if args is None else self.model_.bind_args(args)).predict(background)
        self._set_background_predictions(preds)
        self._fit(background)
        return self

    def _set_background_predictions(self, preds):
        """``background_predictions_`` and their weighted mean, ``expected_value_``
        (also for the copies rebased on other references or bound to a row's arguments)."""
        self.background_predictions_ = preds
        mean = _weighted_mean(preds, self.background_weights_)
        self.expected_value_ = float(mean[0]) if mean.shape[0] == 1 else mean

    def _make_model(self, background):
        """Hook: the model adapter (gradient explainers build a torch one)."""
        from ._multi_input import packed_adapter

        return packed_adapter(self, background, integer_inputs="keep") or as_model(
            self.model, output=self.output, sample=background)

    def _fit(self, background):
        """Hook for subclass-specific fitting (after the common state is set)."""

    # ---------------------------------------------------------------- explain
    def explain(self, X, target=None, baselines=None, *, additional_forward_args=None):
        """Explain rows.

        Parameters
        ----------
        X : array-like, DataFrame or tensor of shape (n, \\*feature_shape)
            Rows to explain; a tuple of one per input when fitted on several.
        target : int, label, array-like of shape (n,) or None, default=None
            Output to explain (an output label or position, or one per row;
            a sequence of length 1 applies to every row, as in captum).
            The output axis is then dropped.  None: every output for
            perturbation explainers, the predicted class for gradient ones.
        baselines : array-like, DataFrame, tensor, number, tuple or None, default=None
            One reference row per row of X (shape ``(n, *feature_shape)``),
            one row for all (``(1, *feature_shape)`` or ``feature_shape``),
            or a number for every feature, as captum's ``baselines``.  Row
            ``i`` is then explained against its own reference ``r_i``: the
            values explain ``f(x_i) - f(r_i)`` and ``base_values[i]`` is
            ``f(r_i)``; the background is not used (nor changed).  None: the
            background.  Which to use: the background average is the
            Shapley / expected-value reference ("compared with a typical
            row"); per-row baselines read as a counterfactual ("compared
            with this specific row": the same sentence with a word removed,
            the same image blurred).  Taken by the explainers that have a
            reference row (see :ref:`baselines`); the others raise TypeError.
            A bool is refused (TypeError); NaN only where the background has
            NaN too (perturbation explainers) or not at all (gradient ones).
            Fitted on several inputs: a tuple like X, one entry (rows, a
            row or a number) per input, or one number for every input.
            With ``additional_forward_args``, ``f(r_i)`` is computed with
            row ``i``'s arguments.
        additional_forward_args : tuple, tensor or None, default=None
            Torch modules only: arguments passed to ``forward`` after the
            inputs (captum's name).  Every tensor or array is per row (first
            dimension n) and follows its row into every model call made for
            it; other values are passed as is.  The base values are then
            computed per row as the background mean with the row's arguments.

        Returns
        -------
        Explanation, or tuple of Explanation
            ``values`` of shape ``(n, *feature_shape)`` for one output (or a
            ``target``), ``(n, *feature_shape, n_outputs)`` for several, with
            ``base_values``, the explained ``data`` and the feature names.
            One per input, in input order, when fitted on several inputs.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import ExactShapley
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = LinearRegression().fit(X, X @ [2.0, -1.0])
        >>> explainer = ExactShapley(model).fit(X)
        >>> expl = explainer.explain(X[:1])
        >>> expl.values.round(6)       # 2 * (0 - 1.5) and -1 * (1 - 1)
        array([[-3.,  0.]])
        >>> round(float(expl.values.sum() + expl.base_values[0]), 6)   # f(X[0])
        -1.0

        Per-row baselines: row i against its own reference r_i.

        >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> explainer = ExactShapley(lambda Z: Z[:, 0] * Z[:, 1]).fit(np.zeros((5, 2)))
        >>> expl = explainer.explain(X, baselines=np.array([[1.0, 1.0], [3.0, 0.0]]))
        >>> expl.base_values  # f(r_i)
        array([1., 0.])
        >>> expl.values.sum(axis=1) + expl.base_values  # f(x_i)
        array([ 2., 12.])
        """
        from ._multi_input import prepare_explain, split_explanation

        check_is_fitted(self)
        X, args = prepare_explain(self, X, additional_forward_args)
        X = self._check_rows(X)
        self.model_.check_ids(X, "X")
        target = check_target(target, X.shape[0])
        extra = {} if args is None else {"forward_args": args}
        if baselines is not None:  # several inputs: a tuple like X, packed as X is
            extra["baselines"] = self._check_baselines(X, baselines)
            self.model_.check_ids(extra["baselines"], "baselines")
        expl = self._explain(X, target=target, **extra)
        if getattr(self, "input_spec_", None) is not None:
            return split_explanation(self, expl)
        return expl

    def _check_rows(self, X):
        """Validate rows to explain (hook: gradient explainers keep tensors)."""
        return check_rows(self, X)

    def _check_baselines(self, X, baselines):
        """Hook: per-row references, validated (explainers without one refuse them)."""
        raise no_baselines_error(self)

    def _explain(self, X, target=None):
        raise NotImplementedError  # pragma: no cover - abstract

    def transform(self, X):
        """Attributions as a 2-D array of shape (n, n_features_out).

        Feature axes (and the output axis, if any) are flattened in C order
        (for several inputs, each input's and then side by side);
        :meth:`get_feature_names_out` names the columns.  This makes an
        explainer a Pipeline step (``make_pipeline(explainer, KMeans())``).

        Parameters
        ----------
        X : array-like, DataFrame or tensor of shape (n, \\*feature_shape)
            Rows to explain.

        Returns
        -------
        ndarray of shape (n, n_features_out)
            ``explain(X).values`` with one row per row of ``X``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import ExactShapley
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = LinearRegression().fit(X, X @ [2.0, -1.0])
        >>> explainer = ExactShapley(model).fit(X)
        >>> explainer.transform(X).shape
        (4, 2)
        """
        expl = self.explain(X)
        if not isinstance(expl, tuple):
            return expl.values.reshape(expl.values.shape[0], -1)
        # several inputs: their flattened values side by side
        return np.concatenate([p.values.reshape(p.values.shape[0], -1) for p in expl], axis=1)

    def get_feature_names_out(self, input_features=None):
        """Names of the columns of :meth:`transform`, in its order.

        One name per attributed feature (per column of the input, flattened in
        C order for n-d inputs; per group with ``feature_groups``; per pair
        ``"a*b"`` with ``interactions=True``), suffixed ``"__<output>"`` when
        several outputs are explained.  Fitted on several inputs: the
        inputs' flattened features side by side, ``"input0[0]", ...,
        "input1[0]", ...``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns: ``n_features_in_`` of them, equal to
            ``feature_names_in_`` when the explainer was fitted on a
            DataFrame.  None uses ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        ndarray of str objects
            One name per column of :meth:`transform`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import ExactShapley
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = LinearRegression().fit(X, X @ [2.0, -1.0])
        >>> explainer = ExactShapley(model).fit(X)
        >>> explainer.get_feature_names_out()
        array(['x0', 'x1'], dtype=object)
        """
        check_is_fitted(self)
        names = self._attributed_names(self._input_names(input_features))
        outputs = self._transform_output_names()
        if len(outputs) <= 1:
            return np.asarray(names, dtype=object)
        return np.asarray([f"{f}__{o}" for f in names for o in outputs], dtype=object)

    def _input_names(self, input_features):
        """One name per (flattened) input column, validated as sklearn does."""
        fitted = getattr(self, "feature_names_in_", None)
        if input_features is None:
            return list(self._feature_names() or default_feature_names(self.n_features_in_))
        given = np.asarray(input_features, dtype=object).reshape(-1)
        if given.size != self.n_features_in_:
            raise ValueError(
                f"input_features should have length equal to number of features "
                f"({self.n_features_in_}), got {given.size}.")
        if fitted is not None and [str(f) for f in given] != [str(f) for f in fitted]:
            raise ValueError(
                f"input_features is not equal to feature_names_in_: got {list(given)}, "
                f"fitted on {list(fitted)}.")
        return [str(f) for f in given]

    def _attributed_names(self, names):
        """Names of the attributed features from the input names (hook)."""
        return names

    def _transform_output_names(self):
        """Outputs laid out in the columns of :meth:`transform` (hook)."""
        return self.model_.output_names

    def plot(self, X, kind="bar", *, ax=None, target=None, output=None, **kwargs):
        """Explain ``X`` and plot it; returns a ``*Display`` (see Explanation.plot).

        ``target`` chooses the outputs explained (as in :meth:`explain`),
        ``output`` the one a single-output display shows.

        Parameters
        ----------
        X : array-like, DataFrame or tensor of shape (n, \\*feature_shape)
            Rows to explain and plot.
        kind : str, default="bar"
            The display: ``"bar"``, ``"beeswarm"``, ``"waterfall"``,
            ``"scatter"``, ``"heatmap"``, ``"text"`` or ``"image"``
            (see :meth:`skexplain.Explanation.plot`).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        target : int, label, array-like of shape (n,) or None, default=None
            Output to explain, as in :meth:`explain`.
        output : int or str, default=None
            Which output a single-output display shows.
        **kwargs
            Passed to the Display's ``from_explanation``.

        Returns
        -------
        display : Display
            The ``*Display`` object, with ``ax_`` and ``figure_``.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import ExactShapley
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> model = LinearRegression().fit(X, X @ [2.0, -1.0])
        >>> explainer = ExactShapley(model).fit(X)
        >>> type(explainer.plot(X)).__name__
        'BarDisplay'
        """
        if getattr(self, "input_spec_", None) is not None:
            raise ValueError(
                f"{type(self).__name__} was fitted on {self.input_spec_.n_inputs} inputs and "
                "explains each one apart: plot one input with explain(X)[k].plot(kind, ...).")
        return self.explain(X, target=target).plot(kind, ax=ax, output=output, **kwargs)

    # ---------------------------------------------------------------- helpers
    def _feature_names(self):
        """Feature names of the explanation (None for n-d inputs)."""
        if getattr(self, "input_spec_", None) is not None:  # packed inputs: input{k}[i]
            return self.input_spec_.feature_names()
        if hasattr(self, "feature_names_in_"):
            return [str(c) for c in self.feature_names_in_]
        if len(self.feature_shape_) == 1:
            return default_feature_names(self.feature_shape_[0])
        return None

    def _metadata(self, **extra):
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "model"}
        meta = {"method": type(self).__name__, "params": {k: repr(v) for k, v in params.items()}}
        meta.update(extra)
        return meta

    def _expected_value_array(self):
        return np.atleast_1d(np.asarray(self.expected_value_, dtype=float))


class PerturbationMixin:
    """Explainers that get every model output from the same model rows.

    They implement ``_explain_all(X) -> Explanation`` (all outputs); ``target``
    then only selects among them.  DataFrame rows first get the dtypes their
    hybrids with the background will have (once for all rows, so that every
    chunk of rows sees the same dtypes); when the model fails on a batch of
    hybrids, the error names the rows of X it fails on, if any.
    """

    def _check_baselines(self, X, baselines):
        from .perturbation._baselines import check_perturbation_baselines

        return check_perturbation_baselines(self, X, baselines)

    def _explain(self, X, target=None, baselines=None, forward_args=None):
        if forward_args is not None:  # each row's arguments (then its reference) per copy
            from ._multi_input import explain_rows_with_args

            return explain_rows_with_args(self, X, target, forward_args, baselines)
        X = align_rows(self.background_, X)
        try:
            if baselines is None:
                expl = self._explain_all(X)
            else:  # row i against its own reference (see perturbation/_baselines.py)
                expl = self._explain_against(X, baselines,
                                             lambda view, rows, X_rows: view._explain_all(X_rows))
        except ModelEvaluationError:
            raise_for_failing_rows(self.model_, X)  # raises when rows of X fail
            raise
        if target is None:
            return expl
        idx = self._target_outputs(target, expl.n_rows)
        return expl.select_output(idx, name="target") if expl.has_output_axis else expl

    def _explain_against(self, X, baselines, explain_rows):
        """Hook: row i of X against ``baselines[i]`` (default: a one-row background each)."""
        from .perturbation._baselines import explain_against

        return explain_against(self, X, baselines, explain_rows)

    def _target_outputs(self, target, n):
        """Output position of ``target`` (int), or one per row (list of n ints).

        Validated in every case, also for a one-output model, whose
        explanation has no output axis to select from.
        """
        if np.ndim(target) == 1 and len(target) != n:
            raise ValueError(f"target must be a single output or have one entry per row of X "
                             f"({n}); got {len(target)} entries.")
        resolve = self.model_.resolve_output
        return resolve(target) if np.ndim(target) == 0 else [resolve(t) for t in target]

    def _make_explanation(self, X, values, base, *, stderr=None, extras=None, **meta):
        """Build the Explanation from values of shape (n, m[, m], n_outputs).

        ``m`` counts the flattened columns (or the groups).  Without groups
        and interactions the feature axis takes the input's feature shape
        back, as the contract says: values are (n, \\*feature_shape[, k]).
        The output axis is dropped for one-output models (also from
        ``extras``, per-row arrays of the shape of ``base``).
        """
        extras = dict(extras or {})
        grouped = getattr(self, "feature_groups_", None) is not None
        if not grouped and not meta.get("interactions") and len(self.feature_shape_) > 1:
            shape = (values.shape[0], *self.feature_shape_, values.shape[-1])
            values = values.reshape(shape)
            stderr = None if stderr is None else stderr.reshape(shape)
        if values.shape[-1] == 1:
            values, base = values[..., 0], base[..., 0]
            stderr = None if stderr is None else stderr[..., 0]
            extras = {k: v[..., 0] for k, v in extras.items()}
        data = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
        return Explanation(values, base, data, self._feature_names_out_groups(),
                           self.model_.output_names, stderr=stderr, extras=extras,
                           metadata=self._metadata(**meta))

    def _feature_names_out_groups(self):
        return self._feature_names()

    def _attributed_names(self, names):
        """Group names with ``feature_groups``, ``"a*b"`` pairs with ``interactions``.

        A group named after its first column (list groups, columns left
        single) takes that column's name from ``names``.
        """
        groups = getattr(self, "feature_groups_", None)
        if groups is not None:
            fitted = self._feature_names() or default_feature_names(self.n_features_in_)
            names = [names[cols[0]] if label == fitted[cols[0]] else label
                     for label, cols in zip(self.feature_names_out_, groups)]
        if getattr(self, "interactions", False):
            # "*" never appears in the "__" output separator, so names stay unambiguous
            names = [f"{a}*{b}" for a in names for b in names]
        return names


def _check_weights(sample_weight, n):
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample_weight must hold numbers (one weight per background row); "
                         f"got {_describe_weights(sample_weight)}: {exc}.") from exc
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},) like the background; got {w.shape}.")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("sample_weight must be finite, non-negative and not all zero.")
    return w / w.sum()


def _describe_weights(sample_weight):
    text = repr(sample_weight)
    return text if len(text) <= 80 else text[:77] + "..."


def _weighted_mean(preds, weights):
    return preds.mean(axis=0) if weights is None else weights @ preds
