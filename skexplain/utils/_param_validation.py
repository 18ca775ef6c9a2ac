"""The one place that imports scikit-learn's private parameter validation.

sklearn's private API moves between releases; keeping every import here means a
single file to adapt when it does.
"""
from sklearn.base import _fit_context  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Hidden,
    Interval,
    Options,
    StrOptions,
    validate_params,
)

__all__ = [
    "_fit_context",
    "HasMethods",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "validate_params",
]
