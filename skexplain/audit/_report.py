"""``AuditReport``: the numbers, findings and figures of one audit."""
import json
import math
import pathlib

import numpy as np

__all__ = ["AuditReport", "jsonable"]


def jsonable(obj):
    """``obj`` with numpy scalars/arrays as Python values and NaN/inf as None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


class AuditReport:
    """What :func:`skexplain.audit` found: computed once, rendered as table, JSON or HTML.

    Every attribute is computed by :func:`~skexplain.audit`; nothing is
    recomputed when the report is rendered.

    Attributes
    ----------
    explanation : Explanation
        Attributions of the explained rows.
    importance : DataFrame
        One row per feature (see :meth:`to_frame`).
    top_features : list of str
        The ``top`` features by mean absolute attribution.
    explainer_name, explainer_reason : str
        The explainer used and why it was chosen.
    task : {"regression", "classification"}
    main_output : int or None
        Output index of the main view (None: every class, absolute attributions summed).
    main_view : str
        What the main view explains, in words.
    sanity : dict
        Data-randomization check: ``ran``, ``reason`` and, when it ran,
        ``metric``, ``statistic``, ``threshold``, ``passed``, ``n_rows``,
        ``permuted_train_score``.
    agreement : dict or None
        Comparison with a second explainer (None when ``compare_with=None``).
    additivity : dict or None
        ``max_gap`` = ``max |sum(attributions) + base - f(x)|`` for explainers
        with the efficiency axiom (None otherwise).
    score : dict or None
        ``{"name", "value"}``: the model's score on the data given (needs y).
    findings : list of dict
        ``{"kind", "severity" ("info" or "warning"), "text"}``.
    figures : dict
        Section -> list of ``{"caption", "png"}`` (base64 PNG), plus ``notes``.
    details : dict
        Model repr, data shape and column types, background, rows, seed,
        skexplain version, explainer parameters, timings per step.

    Examples
    --------
    >>> import json
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skexplain import audit
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> report = audit(LinearRegression().fit(X, X[:, 1]), X, n_rows=10, compare_with=None)
    >>> report.to_frame()["feature"].iloc[0]
    'x1'
    >>> json.loads(report.to_json())["explainer"]["name"]
    'ExactShapley'
    """

    def __init__(self, *, explanation, importance, top_features, explainer_name,
                 explainer_reason, task, main_output, main_view, sanity, agreement,
                 additivity, score, findings, figures, details):
        self.explanation = explanation
        self.importance = importance
        self.top_features = top_features
        self.explainer_name = explainer_name
        self.explainer_reason = explainer_reason
        self.task = task
        self.main_output = main_output
        self.main_view = main_view
        self.sanity = sanity
        self.agreement = agreement
        self.additivity = additivity
        self.score = score
        self.findings = findings
        self.figures = figures
        self.details = details

    def to_frame(self):
        """Global importance: one row per feature, largest mean absolute attribution first.

        Returns
        -------
        DataFrame
            Columns ``feature``, ``mean_abs`` (mean absolute attribution of the main
            view over the explained rows), ``ci_low``/``ci_high`` (95%
            bootstrap interval over rows), ``stderr`` (estimator's standard
            error of ``mean_abs``, NaN for exact methods), ``share`` (of the
            total), ``rank``; classifiers add ``mean_abs[<class>]`` per class.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import audit
        >>> X = np.random.default_rng(0).normal(size=(40, 3))
        >>> report = audit(LinearRegression().fit(X, X[:, 1]), X, n_rows=10,
        ...                compare_with=None)
        >>> report.to_frame()[["feature", "rank"]].head(2)
          feature  rank
        0      x1     1
        ...
        """
        return self.importance.copy()

    def to_dict(self):
        """Every number and finding as JSON-ready Python values (figures left out).

        Returns
        -------
        dict
            ``explainer``, ``task``, ``main_view``, ``outputs``, ``importance``
            (one record per feature), ``top_features``, ``findings``,
            ``sanity``, ``agreement``, ``additivity``, ``score``, ``details``
            and ``figure_notes``; NaN stays a float (:meth:`to_json` writes null).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import audit
        >>> X = np.random.default_rng(0).normal(size=(40, 3))
        >>> report = audit(LinearRegression().fit(X, X[:, 1]), X, n_rows=10,
        ...                compare_with=None)
        >>> report.to_dict()["top_features"][0]
        'x1'
        """
        return jsonable({
            "explainer": {"name": self.explainer_name, "reason": self.explainer_reason},
            "task": self.task, "main_view": self.main_view,
            "outputs": list(self.explanation.output_names or []),
            "importance": self.importance.to_dict(orient="records"),
            "top_features": self.top_features, "findings": self.findings,
            "sanity": self.sanity, "agreement": self.agreement,
            "additivity": self.additivity, "score": self.score, "details": self.details,
            "figure_notes": self.figures.get("notes", []),
        })

    def to_json(self, path=None):
        """Write (or return, when ``path`` is None) the report as JSON; NaN becomes null.

        Parameters
        ----------
        path : str or path-like, default=None
            The file to write; None returns the text instead.

        Returns
        -------
        pathlib.Path or str
            The path written, or the JSON text.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import audit
        >>> X = np.random.default_rng(0).normal(size=(40, 3))
        >>> report = audit(LinearRegression().fit(X, X[:, 1]), X, n_rows=10,
        ...                compare_with=None)
        >>> import json
        >>> json.loads(report.to_json())["task"]
        'regression'
        """
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        if path is None:
            return text
        path = pathlib.Path(path)
        path.write_text(text, encoding="utf-8")
        return path

    def to_html(self, path):
        """Write one self-contained HTML file (inline CSS, PNG data URIs, no script).

        Parameters
        ----------
        path : str or path-like
            The file to write (``report.html``).

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skexplain import audit
        >>> X = np.random.default_rng(0).normal(size=(40, 3))
        >>> report = audit(LinearRegression().fit(X, X[:, 1]), X, n_rows=10,
        ...                compare_with=None)
        >>> import os, tempfile
        >>> path = report.to_html(os.path.join(tempfile.mkdtemp(), "report.html"))
        >>> path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        True
        """
        from ._html import render

        path = pathlib.Path(path)
        path.write_text(render(self), encoding="utf-8")
        return path

    def __repr__(self):
        warnings = sum(f["severity"] == "warning" for f in self.findings)
        return (f"<AuditReport {self.task}: {self.explainer_name} on "
                f"{self.details['rows_explained']} rows, top {self.top_features}, "
                f"{len(self.findings)} findings ({warnings} warnings)>")
