"""``BarDisplay``: mean absolute attribution per feature."""
import numpy as np

from ._base import (axes_and_figure, check_finite, check_max_display, feature_names, one_output,
                    require_one_feature_axis)
from ._rows import short_label

__all__ = ["BarDisplay"]


class BarDisplay:
    """Horizontal bars of the mean absolute attribution of each feature.

    Build it with :meth:`from_explanation`.  When the explanation has standard
    errors, the error bars show the standard error of the plotted mean that is
    due to estimation noise, ``sqrt(sum_r se_r^2) / n``.

    Parameters
    ----------
    importance : ndarray of shape (n_features,) or (n_features, n_outputs)
    feature_names : list of str
    errors : ndarray like ``importance``, default=None
    output_names : list of str, default=None

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    bars_ : list of matplotlib BarContainer

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain import Explanation
    >>> from skexplain.plotting import BarDisplay
    >>> e = Explanation(np.array([[1.0, -3.0], [2.0, 1.0]]), np.zeros(2),
    ...                 feature_names=["a", "b"])
    >>> disp = BarDisplay.from_explanation(e)
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]
    ['a', 'b']
    """

    def __init__(self, importance, feature_names, *, errors=None, output_names=None):
        self.importance = np.asarray(importance, dtype=float)
        self.feature_names = list(feature_names)
        self.errors = None if errors is None else np.asarray(errors, dtype=float)
        self.output_names = output_names

    @classmethod
    def from_explanation(cls, explanation, *, max_display=10, output=None, ax=None):
        """Compute the mean absolute value per feature and plot the ``max_display`` largest.

        Parameters
        ----------
        explanation : Explanation
            With one feature axis (tabular explanations).
        max_display : int, default=10
        output : int or str, default=None
            One output to show (by position or name); None shows every output
            of a multi-output explanation as grouped bars.
        ax : matplotlib Axes, default=None

        Returns
        -------
        BarDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> from skexplain.plotting import BarDisplay
        >>> e = Explanation(np.array([[1.0, -3.0], [2.0, 1.0]]), np.zeros(2),
        ...                 feature_names=["a", "b"])
        >>> BarDisplay.from_explanation(e, max_display=1).feature_names
        ['b']
        """
        require_one_feature_axis(explanation, "bar")
        check_max_display(max_display)
        if output is not None:
            explanation = one_output(explanation, output, "bar")
        check_finite(explanation, "bar")
        importance = explanation.global_importance("mean_abs")
        errors = None
        if explanation.stderr is not None:
            errors = np.sqrt((explanation.stderr ** 2).sum(axis=0)) / explanation.n_rows
        names = feature_names(explanation)
        total = importance if importance.ndim == 1 else importance.sum(axis=1)
        keep = np.argsort(-total, kind="stable")[:max_display][::-1]
        disp = cls(importance[keep], [names[i] for i in keep],
                   errors=None if errors is None else errors[keep],
                   output_names=explanation.output_names if importance.ndim == 2 else None)
        return disp.plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the bars (largest on top); returns ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        BarDisplay
            ``self``, with ``ax_``, ``figure_`` and ``bars_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain.plotting import BarDisplay
        >>> disp = BarDisplay([1.0, 2.0], ["a", "b"]).plot()
        >>> len(disp.bars_[0])
        2
        """
        self.ax_, self.figure_ = axes_and_figure(ax)
        imp = self.importance if self.importance.ndim == 2 else self.importance[:, None]
        err = None if self.errors is None else (
            self.errors if self.errors.ndim == 2 else self.errors[:, None])
        n_feat, n_out = imp.shape
        height = 0.8 / n_out
        y = np.arange(n_feat)
        self.bars_ = []
        for j in range(n_out):
            label = self.output_names[j] if self.output_names else None
            self.bars_.append(self.ax_.barh(
                y + (j - (n_out - 1) / 2) * height, imp[:, j], height=height,
                xerr=None if err is None else err[:, j], label=label))
        self.ax_.set_yticks(y, [short_label(n) for n in self.feature_names])
        self.ax_.set_xlabel("mean |attribution|")
        if n_out > 1:
            self.ax_.legend(title="output")
        return self
