"""The :class:`Explanation` container returned by every explainer."""
import numbers

import numpy as np
import pandas as pd

from ._explanation_checks import is_full_slice, optional_array, positions, real_array
from ._explanation_compare import explanations_equal
from ._explanation_io import load_explanation, save_explanation
from .exceptions import ExplanationFileError

__all__ = ["Explanation"]


class Explanation:
    """Attributions for a batch of rows, as parallel arrays.

    Axes are fixed: row first, then the feature axes, then (only when the model
    has several outputs) the output axis.  ``base_values`` tells which case
    applies: it is ``(n,)`` for one output and ``(n, n_outputs)`` for several.

    Parameters
    ----------
    values : array-like of shape (n, \\*feature_shape) or (n, \\*feature_shape, n_outputs)
        The attributions.
    base_values : array-like of shape (n,) or (n, n_outputs)
        The reference output (e.g. the background mean of the model). For
        methods with a completeness axiom ``values`` summed over the feature
        axes equals ``f(x) - base_values``.
    data : array-like of shape (n, \\*input_shape), default=None
        The explained rows (object dtype allowed for string columns).
    feature_names : list of str, default=None
        One name per feature (required to index features by name).
    output_names : list of str, default=None
        One name per model output.
    stderr : array-like of the shape of ``values``, default=None
        Standard errors of sampled estimates.
    delta : array-like of the shape of ``base_values``, default=None
        Completeness gap ``sum(values) - (f(x) - base_values)`` per row.
    extras : dict of str to array-like, default=None
        Other per-row (and per-output) quantities of the method, e.g. the
        intercept, weighted R^2 and local prediction of
        :class:`~skexplain.LIME`'s surrogates, or the layer-resolution map of
        :class:`~skexplain.GradCAM` (``extras["layer_map"]``).  Each has shape
        (n, \\*extra_shape) for one output and (n, \\*extra_shape, n_outputs)
        for several (``extra_shape`` may be empty, as for ``delta``); each is
        sliced with the rows, selected with the outputs, saved and loaded.
    metadata : dict, default=None
        Method name, parameters, number of model rows evaluated, ...

    Examples
    --------
    >>> import numpy as np
    >>> from skexplain import Explanation
    >>> e = Explanation(np.array([[1.0, -2.0]]), np.array([0.5]),
    ...                 feature_names=["a", "b"])
    >>> e[:, "b"].values
    array([[-2.]])
    >>> e.to_frame()
         a    b
    0  1.0 -2.0
    """

    def __init__(self, values, base_values, data=None, feature_names=None,
                 output_names=None, *, stderr=None, delta=None, extras=None, metadata=None):
        self.values = real_array(values, "values")
        self.base_values = real_array(base_values, "base_values")
        if self.base_values.ndim not in (1, 2):
            raise ValueError(
                "base_values must have shape (n,) or (n, n_outputs); got "
                f"{self.base_values.shape}."
            )
        self._check_values_shape()
        self.data = None if data is None else np.asarray(data)
        if self.data is not None and self.data.shape[0] != self.n_rows:
            raise ValueError(
                f"data must have {self.n_rows} rows like values; got {self.data.shape[0]}."
            )
        self.feature_names = None if feature_names is None else [str(f) for f in feature_names]
        self.output_names = None if output_names is None else [str(o) for o in output_names]
        self._check_names()
        self.stderr = optional_array(stderr, "stderr", self.values.shape)
        self.delta = optional_array(delta, "delta", self.base_values.shape)
        self.extras = _check_extras(extras, self.base_values.shape)
        self.metadata = dict(metadata or {})

    # ------------------------------------------------------------------ shape
    def _check_values_shape(self):
        n = self.base_values.shape[0]
        min_ndim = 2 + (self.base_values.ndim == 2)
        if self.values.ndim < min_ndim or self.values.shape[0] != n:
            raise ValueError(
                f"values must have shape (n, *feature_shape{', n_outputs' if min_ndim == 3 else ''})"
                f" with n={n} to match base_values {self.base_values.shape}; got "
                f"{self.values.shape}."
            )
        if self.has_output_axis and self.values.shape[-1] != self.base_values.shape[1]:
            raise ValueError(
                f"values has {self.values.shape[-1]} outputs on its last axis but "
                f"base_values has {self.base_values.shape[1]}."
            )

    def _check_names(self):
        shape = self.feature_shape
        if self.feature_names is not None and len(self.feature_names) != shape[0]:
            raise ValueError(
                f"feature_names must have {shape[0]} entries; got {len(self.feature_names)}."
            )
        expected = self.base_values.shape[1] if self.has_output_axis else 1
        if self.output_names is not None and len(self.output_names) != expected:
            raise ValueError(
                f"output_names must have {expected} entries; got {len(self.output_names)}."
            )

    @property
    def has_output_axis(self):
        """bool: whether the last axis of ``values`` indexes model outputs."""
        return self.base_values.ndim == 2

    @property
    def n_rows(self):
        """int: number of explained rows."""
        return self.values.shape[0]

    @property
    def n_outputs(self):
        """int: number of model outputs held (1 when there is no output axis)."""
        return self.base_values.shape[1] if self.has_output_axis else 1

    @property
    def feature_shape(self):
        """tuple: the shape of the feature axes of ``values``."""
        end = -1 if self.has_output_axis else None
        return tuple(self.values.shape[1:end])

    @property
    def shape(self):
        """tuple: ``values.shape``."""
        return self.values.shape

    def __len__(self):
        return self.n_rows

    # --------------------------------------------------------------- indexing
    def _replace(self, **changes):
        fields = dict(values=self.values, base_values=self.base_values, data=self.data,
                      feature_names=self.feature_names, output_names=self.output_names,
                      stderr=self.stderr, delta=self.delta, extras=self.extras,
                      metadata=self.metadata)
        fields.update(changes)
        values, base_values = fields.pop("values"), fields.pop("base_values")
        data, fnames, onames = fields.pop("data"), fields.pop("feature_names"), fields.pop(
            "output_names")
        return Explanation(values, base_values, data, fnames, onames, **fields)

    def __getitem__(self, key):
        """Select rows, then features (by name or position), then outputs.

        ``expl[rows]``, ``expl[rows, features]`` and ``expl[rows, features, output]``.
        Rows and features take an integer, a slice, a list of integers (and of
        feature names), or a boolean mask of the axis' length, as numpy does;
        a single ``True``/``False`` is refused (it is no position).  Rows and
        features keep their axis (an integer selects a length-1 block);
        selecting a single output drops the output axis, as for a one-output model.
        """
        if not isinstance(key, tuple):
            key = (key,)
        if len(key) > 3:
            raise IndexError(f"Explanation takes at most 3 indices; got {len(key)}.")
        out = self._select_rows(key[0])
        if len(key) >= 2 and not is_full_slice(key[1]):
            out = out._select_features(key[1])
        if len(key) == 3 and not is_full_slice(key[2]):
            out = out.select_output(key[2])
        return out

    def _select_rows(self, key):
        if is_full_slice(key):
            return self
        if isinstance(key, slice):
            rows = np.arange(self.n_rows)[key]
        else:
            rows = positions(key, self.n_rows, "row", "rows")
        take = lambda a: None if a is None else a[rows]  # noqa: E731
        return self._replace(values=self.values[rows], base_values=self.base_values[rows],
                             data=take(self.data), stderr=take(self.stderr),
                             delta=take(self.delta),
                             extras={k: v[rows] for k, v in self.extras.items()})

    def _feature_positions(self, key):
        n = self.feature_shape[0]
        if isinstance(key, slice):
            return np.arange(n)[key]
        names = self.feature_names
        keys = [key] if isinstance(key, str) else key
        if not isinstance(keys, str) and np.ndim(keys) == 1 and any(
                isinstance(k, str) for k in keys):
            found = []
            for k in keys:
                if isinstance(k, str):
                    if names is None or k not in names:
                        raise KeyError(f"Unknown feature name {k!r}; known: {names}.")
                    found.append(names.index(k))
                else:
                    found.append(positions(k, n, "feature", "features")[0])
            return np.asarray(found, dtype=int)
        return positions(key, n, "feature", "features")

    def _select_features(self, key):
        if len(self.feature_shape) != 1 and not self.metadata.get("interactions"):
            raise IndexError(
                "Selecting features by name or position needs one feature axis; this "
                f"explanation has feature shape {self.feature_shape}. Index .values instead."
            )
        pos = self._feature_positions(key)
        values = np.take(self.values, pos, axis=1)
        stderr = None if self.stderr is None else np.take(self.stderr, pos, axis=1)
        if self.metadata.get("interactions"):
            values = np.take(values, pos, axis=2)
            stderr = None if stderr is None else np.take(stderr, pos, axis=2)
        data = self.data
        if data is not None and data.ndim == 2 and data.shape[1] == self.feature_shape[0]:
            data = data[:, pos]
        names = None if self.feature_names is None else [self.feature_names[i] for i in pos]
        return self._replace(values=values, stderr=stderr, data=data, feature_names=names)

    def output_index(self, output):
        """Position of ``output`` (a name or an integer position) on the output axis.

        A bool is looked up by name only (the outputs of a classifier with
        labels False/True are named "False" and "True"), never as a position.

        Parameters
        ----------
        output : int or str
            An output name (``"yes"``, ``"1"``) or a position (negative counts
            from the end).

        Returns
        -------
        int
            The non-negative position on the output axis.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain import Explanation
        >>> e = Explanation(np.arange(8.0).reshape(2, 2, 2), np.zeros((2, 2)),
        ...                 feature_names=["a", "b"], output_names=["no", "yes"])
        >>> e.output_index("yes"), e.output_index(-2)
        (1, 0)
        """
        if isinstance(output, (str, bool, np.bool_)) or not isinstance(output, numbers.Integral):
            names = self.output_names or []
            if str(output) in names:
                return names.index(str(output))
            if isinstance(output, (bool, np.bool_)):
                raise IndexError(f"output {output} is neither an output name (outputs: "
                                 f"{self.output_names}) nor a position: a bool is no position.")
            raise KeyError(f"Unknown output {output!r}; known outputs: {self.output_names}.")
        if not -self.n_outputs <= output < self.n_outputs:
            raise IndexError(f"output {output} is out of range for {self.n_outputs} outputs.")
        return int(output) % self.n_outputs

    def select_output(self, output, *, name="output"):
        """Keep one output per row and drop the output axis.

        Parameters
        ----------
        output : int, str or array-like of shape (n,)
            An output name or position for all rows, or one per row.
        name : str, default="output"
            What the caller called ``output``, named in error messages
            (``explain`` passes ``"target"``).

        Returns
        -------
        Explanation
            The same rows and features, without the output axis.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain import Explanation
        >>> e = Explanation(np.arange(8.0).reshape(2, 2, 2), np.zeros((2, 2)),
        ...                 feature_names=["a", "b"], output_names=["no", "yes"])
        >>> e.select_output("yes").values
        array([[1., 3.],
               [5., 7.]])
        """
        if not self.has_output_axis:
            raise IndexError("This explanation has a single output; there is nothing to select.")
        per_row = np.ndim(output) == 1 and not isinstance(output, str)
        if per_row:
            if len(output) != self.n_rows:
                raise ValueError(
                    f"{name} must have one entry per row ({self.n_rows}); got {len(output)}."
                )
            idx = np.asarray([self.output_index(o) for o in output], dtype=int)
        else:
            idx = np.full(self.n_rows, self.output_index(output), dtype=int)
        rows = np.arange(self.n_rows)
        pick = lambda a: None if a is None else a[rows, ..., idx]  # noqa: E731
        names = self.output_names
        if names is not None:
            names = [names[idx[0]]] if np.all(idx == idx[0]) else None
        meta = dict(self.metadata, selected_outputs=idx.tolist())
        return self._replace(values=pick(self.values), base_values=pick(self.base_values),
                             stderr=pick(self.stderr), delta=pick(self.delta),
                             extras={k: pick(v) for k, v in self.extras.items()},
                             output_names=names, metadata=meta)

    # ---------------------------------------------------------------- summary
    def global_importance(self, kind="mean_abs", *, normalize=False):
        """Global feature importance aggregated over rows.

        Parameters
        ----------
        kind : {"mean_abs", "rms"}, default="mean_abs"
            ``"mean_abs"`` is the mean absolute attribution (shap's bar plot);
            ``"rms"`` the root mean square ``sqrt(mean_i values[i, j]**2)``,
            which for gradients (:class:`~skexplain.Saliency`) is the
            "expected saliency" ``S_j`` of Horel et al. (2018).
        normalize : bool, default=False
            Divide by the sum over features (per output), so that the
            importances are shares that sum to one (Horel et al. report
            normalised sensitivities).

        Returns
        -------
        ndarray of shape (\\*feature_shape) or (\\*feature_shape, n_outputs)
            One importance per feature (and output).

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain import Explanation
        >>> e = Explanation(np.array([[1.0, -3.0], [-1.0, 1.0]]), np.zeros(2))
        >>> e.global_importance()
        array([1., 2.])
        >>> e.global_importance(normalize=True)
        array([0.33333333, 0.66666667])
        """
        if kind == "mean_abs":
            imp = np.abs(self.values).mean(axis=0)
        elif kind == "rms":
            imp = np.sqrt(np.mean(self.values ** 2, axis=0))
        else:
            raise ValueError(f"kind must be 'mean_abs' or 'rms'; got {kind!r}.")
        if not normalize:
            return imp
        axes = tuple(range(imp.ndim - 1 if self.has_output_axis else imp.ndim))
        total = imp.sum(axis=axes, keepdims=True)
        return np.divide(imp, total, out=np.zeros_like(imp), where=total > 0)

    def to_frame(self):
        """Attributions as a DataFrame: one row per explained row.

        Columns are the feature names for one output, and a (output, feature)
        MultiIndex for several outputs.  Feature axes of more than one dimension
        are flattened in C order.

        Returns
        -------
        pandas.DataFrame of shape (n, n_features) or (n, n_outputs * n_features)
            The attributions, columns named by feature (and output).

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain import Explanation
        >>> e = Explanation(np.array([[1.0, -3.0]]), np.zeros(1), feature_names=["a", "b"])
        >>> e.to_frame()
             a    b
        0  1.0 -3.0
        """
        n = self.n_rows
        flat = self.values.reshape(n, -1) if not self.has_output_axis else (
            np.moveaxis(self.values, -1, 1).reshape(n, -1))
        n_feat = int(np.prod(self.feature_shape))
        feats = self.feature_names if (
            self.feature_names is not None and len(self.feature_shape) == 1) else [
            "_".join(map(str, i)) for i in np.ndindex(*self.feature_shape)]
        if len(feats) != n_feat:
            feats = [str(i) for i in range(n_feat)]
        if not self.has_output_axis:
            return pd.DataFrame(flat, columns=feats)
        outs = self.output_names or [str(i) for i in range(self.n_outputs)]
        cols = pd.MultiIndex.from_product([outs, feats], names=["output", "feature"])
        return pd.DataFrame(flat, columns=cols)

    def plot(self, kind="bar", *, ax=None, output=None, **kwargs):
        """Plot the explanation; returns a ``*Display`` with ``ax_`` and ``figure_``.

        Parameters
        ----------
        kind : str, default="bar"
            The display (:func:`skexplain.plotting.get_display` lists them):
            ``"bar"`` mean absolute attribution per feature,
            ``"beeswarm"`` every row's attribution per feature coloured by the
            feature's value, ``"waterfall"`` one row from the base value to the
            prediction, ``"scatter"`` (alias ``"dependence"``) a feature's
            value against its attribution, ``"heatmap"`` rows x features,
            ``"text"`` tokens coloured by attribution, ``"image"`` one row's
            map over its input image (n-d attributions).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        output : int or str, default=None
            Which model output to show, by position or name.  Needed when the
            explanation has several outputs and the display shows one
            (every kind but ``"bar"``, which groups the outputs).
        **kwargs
            Passed to the Display's ``from_explanation``.

        Returns
        -------
        display : Display
            The ``*Display`` object drawn, with ``ax_`` and ``figure_``.

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain import Explanation
        >>> e = Explanation(np.array([[1.0, -2.0], [0.5, 3.0]]), np.zeros(2),
        ...                 feature_names=["a", "b"])
        >>> type(e.plot("bar")).__name__
        'BarDisplay'
        """
        from .plotting import get_display

        display = get_display(kind)
        if output is not None:
            kwargs["output"] = output
        return display.from_explanation(self, ax=ax, **kwargs)

    # -------------------------------------------------------------------- I/O
    def save(self, path):
        """Save as ``.npz`` arrays plus JSON metadata (no pickle).

        Parameters
        ----------
        path : str, path-like or file-like
            Where to write; ``.npz`` is appended to a name without it, as
            :func:`numpy.savez` does.

        Returns
        -------
        str, path-like or file-like
            The path actually written, of the type of ``path``
            (``save("expl")`` returns ``"expl.npz"``; a file object is returned
            as it is).

        Notes
        -----
        ``values``, ``base_values``, ``stderr``, ``delta``, ``extras`` and
        numeric ``data`` load back exactly.  Object ``data`` (DataFrame rows with strings or
        mixed columns) may hold None, ``pd.NA``, str, bool, int and float
        values, which load back equal and of the same Python type (numpy
        scalars as Python scalars); other objects are refused with a
        ``ValueError``.  ``metadata`` is stored as JSON: tuples and arrays
        load back as lists, numpy scalars as Python numbers, dict keys as
        strings, and any other object as its ``repr`` string.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from skexplain import Explanation
        >>> e = Explanation(np.ones((1, 2)), np.zeros(1))
        >>> path = e.save(os.path.join(tempfile.mkdtemp(), "expl"))
        >>> path.endswith("expl.npz"), Explanation.load(path).values.tolist()
        (True, [[1.0, 1.0]])
        """
        return save_explanation(self, path)

    @classmethod
    def load(cls, path):
        """Load an Explanation written by :meth:`save` (``allow_pickle=False``).

        Parameters
        ----------
        path : str or path-like
            The ``.npz`` file :meth:`save` wrote.

        Returns
        -------
        Explanation
            Equal (``==``) to the explanation saved, with its ``data``,
            ``stderr``, ``delta`` and ``metadata``.

        Raises
        ------
        skexplain.exceptions.ExplanationFileError
            A ``ValueError`` for any file that is not an explanation file this
            version reads (foreign, corrupt, truncated, or newer), whose
            message names the file and the reason.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from skexplain import Explanation
        >>> e = Explanation(np.ones((1, 2)), np.zeros(1), feature_names=["a", "b"])
        >>> path = e.save(os.path.join(tempfile.mkdtemp(), "expl"))
        >>> Explanation.load(path) == e
        True
        """
        fields = load_explanation(path)
        try:
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            raise ExplanationFileError(
                f"{path!s} is not a skexplain explanation file: its entries do not form "
                f"an Explanation ({exc})") from exc

    # ------------------------------------------------------------- comparison
    def __eq__(self, other):
        """Exact equality with another Explanation, as one ``bool``.

        True when ``values`` and ``base_values`` are equal element by element
        (NaN equals NaN at the same place) and ``feature_names`` and
        ``output_names`` are identical; ``data``, ``stderr``, ``delta`` and
        ``metadata`` are not compared.  For a tolerance compare with
        ``pytest.approx`` (``expl == pytest.approx(other)`` compares values) or
        :func:`skexplain.testing.assert_explanations_close`.  Explanations
        are mutable, hence unhashable, as arrays are.
        """
        if not isinstance(other, Explanation):
            return NotImplemented
        return explanations_equal(self, other)

    __hash__ = None
    # No arithmetic: ``array == expl`` defers to __eq__ instead of broadcasting.
    __array_ufunc__ = None

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(expl)`` is ``expl.values`` (what ``pytest.approx`` compares)."""
        if copy is False and dtype is not None and np.dtype(dtype) != self.values.dtype:
            raise ValueError(f"values have dtype {self.values.dtype}; converting them to "
                             f"{np.dtype(dtype)} needs a copy (copy=False was given).")
        values = self.values if dtype is None else self.values.astype(dtype, copy=False)
        return values.copy() if copy else values

    def __repr__(self):
        method = self.metadata.get("method", "?")
        parts = [f"method={method!r}", f"n_rows={self.n_rows}",
                 f"feature_shape={self.feature_shape}"]
        if self.output_names is not None:
            shown = self.output_names[:5] + (["..."] if len(self.output_names) > 5 else [])
            parts.append(f"outputs={shown}")
        if "n_model_rows" in self.metadata:
            parts.append(f"n_model_rows={self.metadata['n_model_rows']}")
        if self.stderr is not None:
            parts.append("stderr=yes")
        if self.extras:
            parts.append(f"extras={sorted(self.extras)}")
        text = f"Explanation({', '.join(parts)})"
        if self.feature_names is not None and len(self.feature_shape) == 1:
            imp = self.global_importance()
            imp = imp.mean(axis=-1) if imp.ndim > 1 else imp
            top = np.argsort(-imp)[:5]
            text += "\n  top features (mean |value|): " + ", ".join(
                f"{self.feature_names[i]}={imp[i]:.4g}" for i in top)
        return text


def _check_extras(extras, shape):
    """``extras`` as a dict of float arrays with the rows (and outputs) of ``base_values``.

    ``shape`` is ``base_values.shape``: (n,) or (n, n_outputs).  An entry has
    shape (n, \\*extra_shape) or (n, \\*extra_shape, n_outputs) respectively.
    """
    if extras is None:
        return {}
    if not isinstance(extras, dict):
        raise TypeError(f"extras must be a dict of name -> array; got {type(extras).__name__}.")
    out = {}
    for name, value in extras.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"extras names must be non-empty strings; got {name!r}.")
        arr = real_array(value, f"extras[{name!r}]")
        rows_ok = arr.ndim >= len(shape) and arr.shape[0] == shape[0]
        if not rows_ok or (len(shape) == 2 and arr.shape[-1] != shape[1]):
            expected = (f"({shape[0]}, ...)" if len(shape) == 1
                        else f"({shape[0]}, ..., {shape[1]})")
            raise ValueError(f"extras[{name!r}] must have shape {expected} (rows first"
                             f"{', outputs last' if len(shape) == 2 else ''}); got {arr.shape}.")
        out[name] = arr
    return out
