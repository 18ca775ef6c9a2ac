"""Exceptions and warnings raised by skexplain.

Every error derives from a builtin exception so that ``except ValueError`` or
``except TypeError`` in user code keeps working.
"""
from sklearn.exceptions import NotFittedError

__all__ = [
    "NotFittedError",
    "ModelTypeError",
    "ModelEvaluationError",
    "TooManyFeaturesError",
    "ApproximationWarning",
    "ExplanationFileError",
]


class ModelTypeError(TypeError):
    """The object given as ``model`` cannot be turned into a model adapter."""


class ModelEvaluationError(ValueError):
    """The user's model raised while skexplain was evaluating it.

    The original exception is chained as ``__cause__``; the message says what
    skexplain was doing (which rows, how many) so the failure can be traced.
    """


class TooManyFeaturesError(ValueError):
    """An exact method was asked to enumerate more coalitions than allowed."""


class ApproximationWarning(UserWarning):
    """A result is less accurate than requested (budget exhausted, gap large)."""


class ExplanationFileError(ValueError):
    """A file given to :meth:`skexplain.Explanation.load` is not an explanation file.

    Raised for foreign, corrupt or truncated files and for files written by a
    newer skexplain; the message names the file and the reason.
    """
