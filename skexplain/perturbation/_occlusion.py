"""``Occlusion``: what the model loses when a feature, a group or a window is occluded."""
import sys
from numbers import Integral

import numpy as np

from ..base import BaseExplainer, ExplainerTags, PerturbationMixin
from ..exceptions import ModelEvaluationError
from ..explanation import Explanation
from ..utils._dtypes import align_rows
from ..utils._failing_rows import raise_for_failing_rows
from ..utils._param_validation import Interval
from ._coalitions import CoalitionEvaluator
from ._groups import FeatureGroupsMixin
from ._link import LINK_CONSTRAINT, LinkMixin, apply_link
from ._reference import occlusion_reference
from ._windows import FeatureAblation, SlidingWindows, check_windows

__all__ = ["Occlusion"]

# Input bytes per forward pass of a torch module on the CPU when batch_size is
# None: small CNNs ran 2x faster with batches of 384-768 KiB of images (their
# activations then stay in cache) than with 64 MiB (benchmarks/RESULTS.md).
_TORCH_CPU_BATCH_BYTES = 2**19


class Occlusion(LinkMixin, FeatureGroupsMixin, PerturbationMixin, BaseExplainer):
    """Occlusion (Zeiler & Fergus 2014): ``f(x) - f(x with a part replaced)``.

    Each feature (or group, or window of an array) of ``x`` is replaced by a
    reference value and the model's drop is the attribution.  With
    ``window=None`` each feature (or group) is occluded on its own (feature
    ablation): its attribution is ``f(x) - f(x with it replaced)``.  With a
    ``window``, a box slides over the non-batch dimensions exactly as in
    captum's ``Occlusion`` (``sliding_window_shapes``, ``strides``): along a
    dimension of size ``D`` it takes ``ceil((D - w) / s) + 1`` positions
    anchored at 0, the last one cut off at the border, and each feature's
    attribution is the mean, over the windows covering it, of ``f(x) - f(x
    with the window replaced)``.  A row costs one model row per window plus
    one for ``f(x)``.

    The reference is learned from the background given to :meth:`fit`: a
    single background row is used as it is (``np.zeros((1, *shape))`` is
    captum's zero baseline); from several rows, each numeric column's
    (``sample_weight``-weighted) mean, missing values left out, and for
    DataFrame columns that are not numbers (strings, objects, categories,
    booleans, datetimes) the (weighted) most frequent value.  Columns keep
    the background's dtype where the value fits it (float32 stays float32;
    an integer column whose mean is not an integer becomes float).

    Attributions do not sum to ``f(x) - base_values``: ``base_values`` is
    the background's mean prediction ``expected_value_``, as for every
    explainer, and in general differs from the prediction at the reference,
    ``reference_prediction_`` (they are equal with a single background row).
    ``explain(X, baselines=R)`` occludes row i with its own reference
    ``R[i]`` (captum's per-example ``baselines``), ``base_values[i]`` then
    being ``f(R[i])``.

    Parameters
    ----------
    model : estimator, Pipeline, torch.nn.Module or callable
        The model to explain (never modified).
    window : int or tuple of int, default=None
        Size of the occluded box, one entry per non-batch dimension of the
        input, e.g. ``(3, 4, 4)`` for images of shape (3, H, W); an int is
        that size along every dimension.  None occludes one feature (or
        group) at a time.  A window must fit in the input.
    stride : int or tuple of int, default=None
        Step of the window along each dimension (same forms as ``window``);
        None is 1, as in captum.  It must not exceed the input, nor the
        window along a dimension the window does not cover whole (features
        no window covers would have no attribution).  Only with ``window``.
    feature_groups : dict, list of lists or ndarray, default=None
        Columns occluded together and credited as one feature, e.g.
        ``{"address": ["street", "city"]}`` or an integer segment label per
        feature of an image; other columns stay single.  Values then have one
        feature axis of groups, (n, n_groups[, n_outputs]).  Not with
        ``window``.
    output : str, int or label, default="auto"
        Which model output to explain (see :func:`skexplain.adapters.as_model`).
    link : {"identity", "logit"}, default="identity"
        ``"logit"`` measures the drop in log-odds of a probability output
        (``predict_proba``): ``logit(f(x)) - logit(f(x with a part
        replaced))``, and ``base_values = expected_value_ =
        logit(mean_b f(b))``, as :class:`~skexplain.ExactShapley`'s
        ``link``.  Refused for outputs that are not probabilities;
        probabilities of exactly 0 or 1 are clipped to
        ``[1e-12, 1 - 1e-12]`` with an ``ApproximationWarning``.
    batch_size : int, default=None
        Maximum model rows per ``predict`` call.  None bounds a call by 64 MiB
        of hybrid rows, or by 512 KiB of input for a torch module on the CPU
        (a batch whose activations stay in cache).
    n_jobs : int, default=None
        Number of joblib workers over chunks of model rows
        (``joblib.parallel_config`` is honoured).  Results do not depend on it nor on ``batch_size``.
    verbose : int, default=0
        When positive, print progress (windows done) to stderr.

    Attributes
    ----------
    model_ : skexplain.adapters.Model
    background_ : ndarray or DataFrame
    reference_ : ndarray of shape (1, \\*feature_shape) or DataFrame with one row
        The values put in occluded places.
    reference_prediction_ : float or ndarray of shape (n_outputs,)
        The model's output at ``reference_`` (a probability with ``link="logit"``).
    expected_value_ : float or ndarray of shape (n_outputs,)
        Mean prediction over the background (the explanations' ``base_values``),
        its log-odds with ``link="logit"``.
    window_, stride_ : tuple of int or None
        The validated window and stride (None without ``window``).
    feature_groups_ : list of ndarray or None
    feature_names_out_ : list of str or None
        Names of the attributed features (group names when grouped).

    See Also
    --------
    ExactShapley : Exact Shapley values; equal to Occlusion on an additive
        model with a single background row.

    Notes
    -----
    ``explain(X)`` returns one map per model output, all from the same model
    rows.  For a classifier with many classes pass ``target=`` (a class for
    all rows, or one per row): only the selected maps are then built, which
    keeps the memory at one map per row.

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain import Occlusion
    >>> model = lambda X: X[:, 0, :].sum(axis=1) * X[:, 1, :].sum(axis=1)
    >>> explainer = Occlusion(model, window=(1, 2), stride=(1, 2)).fit(np.zeros((1, 2, 4)))
    >>> explainer.explain(np.ones((1, 2, 4))).values[0]
    array([[8., 8., 8., 8.],
           [8., 8., 8., 8.]])
    """

    _parameter_constraints: dict = {
        **BaseExplainer._parameter_constraints,
        "window": [Interval(Integral, 1, None, closed="left"), tuple, list, np.ndarray, None],
        "stride": [Interval(Integral, 1, None, closed="left"), tuple, list, np.ndarray, None],
        "feature_groups": [dict, list, tuple, np.ndarray, None],
        "link": LINK_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(self, model, *, window=None, stride=None, feature_groups=None, output="auto",
                 link="identity", batch_size=None, n_jobs=None, verbose=0):
        self.model = model
        self.window = window
        self.stride = stride
        self.feature_groups = feature_groups
        self.output = output
        self.link = link
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __skexplain_tags__(self):
        # f(x) - f(x with a part replaced) is linear in f.  Occluding features
        # one at a time, an ignored feature changes nothing (dummy), and two
        # features a model treats alike, with equal values in x and in the
        # reference, are interchangeable (symmetry); windows wider than one
        # feature credit a feature for its neighbours, which breaks both.
        axioms = {"linearity"} if self.link == "identity" else set()
        if self.window is None or _all_ones(self.window):
            axioms |= {"dummy", "symmetry"}
        return ExplainerTags(axioms=axioms)

    def _fit(self, background):
        cls = type(self).__name__
        if self.window is None and self.stride is not None:
            raise ValueError(f"{cls}: stride={self.stride!r} needs a window; got window=None "
                             "(feature ablation). Pass window= too, or leave stride=None.")
        if self.window is not None and self.feature_groups is not None:
            raise ValueError(f"{cls}: window and feature_groups cannot be combined; choose "
                             f"one (got window={self.window!r} and feature_groups).")
        self.window_ = self.stride_ = None
        if self.window is not None and getattr(self, "input_spec_", None) is not None:
            raise ValueError(f"{cls}: window slides over one input's shape; with several "
                             "inputs use feature ablation (window=None) or feature_groups.")
        if self.window is not None:
            self.window_, self.stride_ = check_windows(self.window, self.stride,
                                                       self.feature_shape_, cls)
        self._fit_feature_groups()
        self._fit_link()
        if background.shape[0] > 1 and getattr(self.model_, "takes_integers", False):
            # a mean of token ids is another token (or no token at all)
            raise ValueError(
                f"Occlusion puts one reference row in the occluded places; the model takes "
                f"integer inputs (e.g. token ids), whose mean over the {background.shape[0]} "
                "background rows is not a meaningful input. Fit it on one reference row "
                "(e.g. padding ids, shape (1, ...)); got a background of "
                f"{background.shape[0]} rows.")
        self.reference_ = occlusion_reference(background, self.background_weights_)
        if background.shape[0] == 1:
            preds = self.background_predictions_
        else:  # the evaluator evaluates its (one-row) background
            model = self.model_
            args = getattr(self, "_fit_forward_args", None)  # set during fit only
            if args is not None:  # the mean row has no arguments of its own: row 0's, as
                model = model.bind_args(args, row=0)  # one row would; explain redoes it per row
            preds = CoalitionEvaluator(model, self.reference_).background_predictions
        self.reference_prediction_ = float(preds[0, 0]) if preds.shape[1] == 1 else preds[0]

    def _windows(self):
        if self.window_ is None:
            n = self.n_features_in_ if self.feature_groups_ is None else len(self.feature_groups_)
            return FeatureAblation(n)
        return SlidingWindows(self.feature_shape_, self.window_, self.stride_)

    def _evaluator(self):
        preds = np.atleast_1d(np.asarray(self.reference_prediction_, dtype=float))[None, :]
        return CoalitionEvaluator(
            self.model_, self.reference_, feature_groups=self.feature_groups_,
            base_value=preds[0], background_predictions=preds,
            batch_size=self._batch_rows(), n_jobs=self.n_jobs)

    def _batch_rows(self):
        """``batch_size``, or a cache-sized batch for torch modules on the CPU."""
        device = getattr(self.model_, "device", None)
        if self.batch_size is not None or getattr(device, "type", None) != "cpu":
            return self.batch_size
        row_bytes = self.n_features_in_ * getattr(self.model_.dtype, "itemsize", 4)
        return max(1, _TORCH_CPU_BATCH_BYTES // row_bytes)

    # ---------------------------------------------------------------- explain
    def _explain(self, X, target=None, baselines=None, forward_args=None):
        """Explain every output, or only the ``target`` ones (an image classifier
        with 1000 classes would otherwise hold 1000 attribution maps per row).
        With ``baselines`` each row's occluded places take its own reference's values;
        with ``forward_args`` each row's occluded copies get its arguments."""
        if forward_args is not None:
            from .._multi_input import explain_rows_with_args

            return explain_rows_with_args(self, X, target, forward_args, baselines)
        picks = self._picks(target, X.shape[0])
        X = align_rows(self.reference_, X)
        try:
            if baselines is not None:
                return self._explain_against(X, baselines, lambda view, rows, X_rows: (
                    view._explain_all(X_rows, None if picks is None else picks[rows])))
            return self._explain_all(X, picks)
        except ModelEvaluationError:
            raise_for_failing_rows(self.model_, X)  # raises when rows of X fail
            raise

    def _picks(self, target, n):
        """(n,) output positions selected by ``target``; None keeps every output."""
        if target is None:
            return None
        picks = self._target_outputs(target, n)
        if self.model_.n_outputs == 1:
            return None  # nothing to select: the explanation has no output axis
        return np.broadcast_to(np.asarray(picks, dtype=int), (n,))

    def _explain_all(self, X, picks=None):
        windows, evaluator = self._windows(), self._evaluator()
        n = X.shape[0]
        diffs = np.empty((n, windows.n_windows,
                          self.model_.n_outputs if picks is None else 1))
        fx, used, step = None, 0, windows.chunk()
        for start in range(0, windows.n_windows, step):
            stop = min(start + step, windows.n_windows)
            masks = windows.masks(start, stop)
            if fx is None:  # f(x) rides along with the first chunk: one row per x
                masks = np.concatenate([np.ones((1, masks.shape[1]), dtype=bool), masks])
            values, n_rows = evaluator.evaluate(X, masks)
            used += n_rows
            values = apply_link(values, self.link, self.model_)
            if fx is None:
                fx, values = values[:, :1], values[:, 1:]
            diffs[:, start:stop] = _pick(fx - values, picks)
            if self.verbose > 0:
                print(f"[{type(self).__name__}] {stop}/{windows.n_windows} windows, "
                      f"{used} model rows", file=sys.stderr)
        values = windows.average(diffs)
        base = np.tile(self._expected_value_array(), (n, 1))
        if picks is None:
            return self._make_explanation(X, values, base, n_model_rows=used)
        return self._picked_explanation(X, values[..., 0], _pick(base[:, None], picks)[:, 0, 0],
                                        picks, n_model_rows=used)

    def _picked_explanation(self, X, values, base, picks, **meta):
        """The Explanation ``explain(X).select_output(picks)`` would return."""
        if self.feature_groups_ is None and len(self.feature_shape_) > 1:
            values = values.reshape((values.shape[0],) + self.feature_shape_)
        names = self.model_.output_names
        names = [names[picks[0]]] if np.all(picks == picks[0]) else None
        data = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
        meta = self._metadata(**meta, selected_outputs=picks.tolist())
        return Explanation(values, base, data, self._feature_names_out_groups(), names,
                           metadata=meta)


def _pick(values, picks):
    """values (n, m, k) -> (n, m, 1) at ``picks`` (n,), or unchanged when None."""
    if picks is None:
        return values
    return values[np.arange(values.shape[0]), :, picks][..., None]


def _all_ones(window):
    try:
        return bool(np.all(np.asarray(window) == 1)) and np.size(window) > 0
    except (TypeError, ValueError):
        return False
