"""``SanityReport``: the result of a randomization sanity check, with its plot."""
import numpy as np
import pandas as pd

__all__ = ["SanityReport"]

_TESTS = {
    "cascading": "cascading model-parameter randomization",
    "independent": "independent (one layer at a time) model-parameter randomization",
    "data": "data randomization (permuted labels)",
}


class SanityReport:
    """Similarity between the explanations of a model and of randomized models.

    Built by :func:`model_parameter_randomization` and :func:`data_randomization`.
    An explainer *passes* when its explanations change under randomization:
    the mean similarity (``statistic``) is at most ``threshold``.

    Parameters
    ----------
    test : {"cascading", "independent", "data"}
        Which randomization was run.
    steps : list of str
        One label per randomized model: for ``"cascading"`` the layer
        randomized last (all layers above it are randomized too), for
        ``"independent"`` the only randomized layer, for ``"data"``
        ``"permuted labels"``.
    scores : dict of str to ndarray of shape (n_steps, n_maps)
        Similarity per metric, step and compared map (one map per explained
        row for images, one map for a whole tabular batch).
    metric : str, default="spearman_abs"
        Metric deciding ``passed``.
    threshold : float, default=0.5
        Largest mean similarity of a passing explainer.
    explainer_name : str, default=""
    details : dict, default=None
        Extra information (e.g. the training score on permuted labels).

    Attributes
    ----------
    statistic : float
        Mean over steps and maps of ``scores[metric]``.
    passed : bool
    ax_, figure_ : matplotlib Axes and Figure
        Set by :meth:`plot`.
    lines_ : dict of str to matplotlib Line2D
        Set by :meth:`plot`.

    Examples
    --------
    >>> import numpy as np
    >>> report = SanityReport("cascading", ["fc2", "fc1"],
    ...                       {"spearman_abs": np.array([[0.3, 0.1], [0.2, 0.0]])})
    >>> round(report.statistic, 3), report.passed
    (0.15, True)
    >>> report.to_frame()
                spearman_abs
    randomized
    fc2                  0.2
    fc1                  0.1
    """

    def __init__(self, test, steps, scores, *, metric="spearman_abs", threshold=0.5,
                 explainer_name="", details=None):
        if test not in _TESTS:
            raise ValueError(f"test must be one of {sorted(_TESTS)}; got {test!r}.")
        self.test = test
        self.steps = [str(s) for s in steps]
        self.scores = {m: np.asarray(v, dtype=float).reshape(len(self.steps), -1)
                       for m, v in scores.items()}
        if not self.scores:
            raise ValueError("scores must hold at least one metric; got none.")
        if metric not in self.scores:
            raise ValueError(f"metric must be one of the computed metrics {list(self.scores)}; "
                             f"got {metric!r}.")
        self.metric = metric
        self.threshold = float(threshold)
        self.explainer_name = explainer_name
        self.details = dict(details or {})

    @property
    def statistic(self):
        """float: mean similarity of the deciding metric over steps and maps."""
        return float(self.scores[self.metric].mean())

    @property
    def passed(self):
        """bool: whether the explanations changed enough (statistic <= threshold)."""
        return bool(self.statistic <= self.threshold)

    def to_frame(self):
        """Mean similarity per step (rows) and metric (columns), as a DataFrame.

        Returns
        -------
        pandas.DataFrame of shape (n_steps, n_metrics)
            Indexed by the randomized step (``"randomized"``), one column per metric.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.testing import SanityReport
        >>> report = SanityReport("cascading", ["fc2", "fc1"],
        ...                       {"spearman_abs": np.array([[0.3, 0.1], [0.2, 0.0]])})
        >>> report.to_frame().loc["fc1", "spearman_abs"]
        np.float64(0.1)
        """
        frame = pd.DataFrame({m: v.mean(axis=1) for m, v in self.scores.items()},
                             index=pd.Index(self.steps, name="randomized"))
        return frame

    def summary(self):
        """One-row dict: explainer, test, metric, statistic, threshold, passed.

        Returns
        -------
        dict
            ``explainer``, ``test``, ``metric``, ``statistic``, ``threshold`` and
            ``passed``: one row of a table of several reports.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.testing import SanityReport
        >>> report = SanityReport("cascading", ["fc2", "fc1"],
        ...                       {"spearman_abs": np.array([[0.3, 0.1], [0.2, 0.0]])})
        >>> summary = report.summary()
        >>> summary["test"], round(summary["statistic"], 3), summary["passed"]
        ('cascading', 0.15, True)
        """
        return {"explainer": self.explainer_name, "test": self.test, "metric": self.metric,
                "statistic": self.statistic, "threshold": self.threshold,
                "passed": self.passed}

    def plot(self, ax=None, *, metrics=None, show_threshold=True):
        """Draw similarity against randomized layers, one line per metric.

        As in Adebayo et al. (2018, Fig. 2), the cascading curve starts at the
        trained model ("original", similarity 1) and moves right as more layers
        are randomized, from the output down.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        metrics : list of str, default=None
            Metrics to draw; None draws all.
        show_threshold : bool, default=True
            Draw the threshold of the deciding metric as a dashed line.

        Returns
        -------
        self : SanityReport
            With ``ax_``, ``figure_`` and ``lines_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from skexplain.testing import SanityReport
        >>> report = SanityReport("cascading", ["fc2", "fc1"],
        ...                       {"spearman_abs": np.array([[0.3, 0.1], [0.2, 0.0]])})
        >>> sorted(report.plot().lines_)
        ['spearman_abs']
        """
        from ..plotting._base import axes_and_figure

        metrics = list(self.scores) if metrics is None else list(metrics)
        unknown = [m for m in metrics if m not in self.scores]
        if unknown:
            raise ValueError(f"metrics {unknown} were not computed; available: "
                             f"{list(self.scores)}.")
        self.ax_, self.figure_ = axes_and_figure(ax)
        labels = (["original"] if self.test == "cascading" else []) + self.steps
        x = np.arange(len(labels))
        self.lines_ = {}
        for m in metrics:
            y = self.scores[m].mean(axis=1)
            if self.test == "cascading":
                y = np.concatenate([[1.0], y])
            (self.lines_[m],) = self.ax_.plot(x, y, marker="o", label=m)
        if show_threshold:
            self.ax_.axhline(self.threshold, color="gray", linestyle="--", linewidth=1,
                             label=f"threshold ({self.metric})")
        self.ax_.set_xticks(x)
        self.ax_.set_xticklabels(labels, rotation=45, ha="right")
        self.ax_.set_ylim(min(-0.1, self.ax_.get_ylim()[0]), 1.05)
        self.ax_.set_xlabel("randomized (from the output down)" if self.test == "cascading"
                            else "randomized")
        self.ax_.set_ylabel("similarity to the trained model's explanation")
        self.ax_.set_title(f"{self.explainer_name}: {_TESTS[self.test]}", fontsize="medium")
        self.ax_.legend(fontsize="small")
        return self

    def __repr__(self):
        verdict = "passed" if self.passed else "FAILED"
        return (f"SanityReport({self.explainer_name or '?'}, test={self.test!r}, "
                f"{self.metric}={self.statistic:.3f} vs threshold {self.threshold:g}: "
                f"{verdict})")
