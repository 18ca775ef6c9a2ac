"""Control explainers: baselines that explain nothing.

They are well-formed explainers (they pass the API checks) whose attributions
do not depend on the model, so they must fail the checks that a real
explainer passes: the randomization sanity checks (their explanations do not
change when the model does), efficiency, and for noise the consistency of two
seeds.  Use them to calibrate thresholds or as negative controls in a study.
"""
from numbers import Real

import numpy as np
from sklearn.utils import check_random_state

from ..base import BaseExplainer, ExplainerTags
from ..explanation import Explanation

__all__ = ["ConstantExplainer", "RandomExplainer"]


class _ControlExplainer(BaseExplainer):
    """Shared output handling: one output (target) or every output."""

    def _shape_values(self, X, target, make):
        # Evaluate the model once, like a real explainer, so that input the
        # model rejects (NaN, wrong types) fails the same way.
        self.model_.predict(X)
        n, shape = X.shape[0], tuple(self.feature_shape_)
        expected = self._expected_value_array()
        if target is None and expected.size > 1:
            values = make((n, *shape, expected.size))
            base, outputs = np.tile(expected, (n, 1)), self.model_.output_names
        else:
            resolve = self.model_.resolve_output
            if target is None:
                column = np.zeros(n, dtype=int)
            elif np.ndim(target) == 0:
                column = np.full(n, resolve(target), dtype=int)
            else:
                column = np.asarray([resolve(t) for t in target], dtype=int)
            values, base, outputs = make((n, *shape)), expected[column], None
        data = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
        return Explanation(values, base, data, self._feature_names(), outputs,
                           metadata=self._metadata())


class RandomExplainer(_ControlExplainer):
    """Attributions drawn i.i.d. from a normal distribution: a negative control.

    With a fixed ``random_state`` the noise is the same whatever the model,
    so the randomization tests see an unchanged explanation; with
    ``random_state=None`` two seeds disagree (``check_stochastic_consistency``).

    Parameters
    ----------
    model : estimator, torch.nn.Module or callable
        Only used for its number of outputs.
    scale : float, default=1.0
        Standard deviation of the attributions.
    output : str, int or label, default="auto"
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> model = LinearRegression().fit(X, X[:, 0])
    >>> RandomExplainer(model, random_state=0).fit(X).explain(X[:3]).values.shape
    (3, 2)
    """

    _parameter_constraints: dict = {**BaseExplainer._parameter_constraints,
                                    "scale": [Real], "random_state": ["random_state"]}

    def __init__(self, model, *, scale=1.0, output="auto", random_state=None):
        self.model = model
        self.scale = scale
        self.output = output
        self.random_state = random_state

    def __skexplain_tags__(self):
        return ExplainerTags(stochastic=True)

    def _explain(self, X, target=None):
        rng = check_random_state(self.random_state)
        return self._shape_values(X, target, lambda shape: self.scale * rng.normal(size=shape))


class ConstantExplainer(_ControlExplainer):
    """The same attributions for every model and row: a negative control.

    Parameters
    ----------
    model : estimator, torch.nn.Module or callable
        Only used for its number of outputs.
    value : float or array-like of shape feature_shape, default=1.0
        The attribution of each feature (broadcast to every row).
    output : str, int or label, default="auto"

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> model = LinearRegression().fit(X, X[:, 0])
    >>> ConstantExplainer(model, value=[1.0, 2.0]).fit(X).explain(X[:2]).values
    array([[1., 2.],
           [1., 2.]])
    """

    _parameter_constraints: dict = {**BaseExplainer._parameter_constraints,
                                    "value": [Real, list, tuple, np.ndarray]}

    def __init__(self, model, *, value=1.0, output="auto"):
        self.model = model
        self.value = value
        self.output = output

    def _fit(self, background):
        value = np.asarray(self.value, dtype=float)
        shape = tuple(self.feature_shape_)
        if value.ndim and value.shape != shape:
            raise ValueError(f"value must be a number or an array of the feature shape {shape}; "
                             f"got shape {value.shape}.")

    def _explain(self, X, target=None):
        value = np.asarray(self.value, dtype=float)
        shape = tuple(self.feature_shape_)

        def make(full):
            block = value if value.ndim == 0 else value.reshape(shape + (1,) * (len(full) - 1
                                                                              - len(shape)))
            return np.broadcast_to(block, full).copy()

        return self._shape_values(X, target, make)
