"""The :class:`HiddenStates` container: states of one or more layers, aligned with tokens."""
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["HiddenStates", "Match"]

_TRANSFORMS = ("auto", "tanh", None)


@dataclass(frozen=True)
class Match:
    """One range found by :meth:`HiddenStates.match`.

    Attributes
    ----------
    start, end : int
        The first and the last time step of the range (both included).
    length : int
        ``end - start + 1``.
    score : float
        Jaccard similarity ``|A ∩ C| / |A ∪ C|`` of the cells ``A`` on at every
        step of the range and the queried cells ``C``.
    n_shared : int
        ``|A ∩ C|``: queried cells on throughout the range (the first sort key).
    n_union : int
        ``|A ∪ C|`` (the second sort key, ascending: extra cells are penalised).
    cells : ndarray of int
        ``A``, sorted.
    """

    start: int
    end: int
    length: int
    score: float
    n_shared: int
    n_union: int
    cells: np.ndarray


def _as_layers(states):
    if isinstance(states, HiddenStates):
        return dict(states.layers)
    if isinstance(states, Mapping):
        if not states:
            raise ValueError("states must hold at least one layer; got an empty mapping.")
        return {str(name): _as_matrix(value, f"states[{name!r}]")
                for name, value in states.items()}
    return {"states": _as_matrix(states, "states")}


def _as_matrix(value, what):
    try:
        array = np.asarray(value)
        if not np.issubdtype(array.dtype, np.floating):  # float32 stays float32 (memory)
            array = array.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be a numeric array of shape (time, cells); got "
                        f"{type(value).__name__} ({exc}).") from None
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"{what} must be a 2-D array of shape (time, cells) with at least "
                         f"one step and one cell; got shape {array.shape}.")
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"{what} must be finite; got NaN or infinity, first at time step "
                         f"{bad[0]}, cell {bad[1]}.")
    array = np.array(array, copy=True)  # never a view of the caller's array: it may change later
    array.flags.writeable = False
    return array


def _check_lengths(layers):
    lengths = {name: len(a) for name, a in layers.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("every layer of states must have the same number of time steps; got "
                         + ", ".join(f"{n!r}: {t}" for n, t in lengths.items()) + ".")
    return next(iter(lengths.values()))


def _as_tokens(tokens, n_steps):
    if tokens is None:
        return [str(t) for t in range(n_steps)]
    if isinstance(tokens, np.ndarray) and tokens.ndim != 1:
        raise ValueError(f"tokens must be one token per time step ({n_steps}); got an array "
                         f"of shape {tokens.shape}.")
    try:
        tokens = list(tokens)  # a str gives its characters
    except TypeError:
        raise TypeError(f"tokens must be a sequence of {n_steps} tokens (or a str of "
                        f"{n_steps} characters); got {type(tokens).__name__}.") from None
    if len(tokens) != n_steps:
        raise ValueError(f"tokens must have one token per time step: expected {n_steps}, got "
                         f"{len(tokens)}.")
    return [str(t) for t in tokens]


def _as_sequence_ids(sequence_ids, n_steps):
    if sequence_ids is None:
        return np.zeros(n_steps, dtype=np.int64)
    ids = np.asarray(sequence_ids)
    if ids.shape != (n_steps,) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"sequence_ids must be an integer array of shape ({n_steps},), one "
                         f"per time step; got {ids.dtype} of shape {ids.shape}.")
    ids = ids.astype(np.int64)
    ids.flags.writeable = False
    return ids


def _default_layer(names):
    hidden = [n for n in names if n == "hidden" or n.endswith(".hidden")]
    return hidden[-1] if hidden else names[-1]


class HiddenStates:
    """Hidden states over a stream of time steps, one token per step.

    Parameters
    ----------
    states : array-like of shape (time, cells), or dict of str to such arrays
        The activations; a dict holds several layers (e.g. the hidden states,
        cell states and gates of each layer of an LSTM, as
        :meth:`from_module` records them), all over the same time steps.
        The arrays are copied.
    tokens : sequence of length time, or str, default=None
        The token at each step (a str is taken as its characters).  None
        numbers the steps.
    layer : str, default=None
        The layer that :meth:`select`, :meth:`match`, :meth:`correlate` and
        the views analyse.  None takes the last layer whose name ends in
        ``"hidden"``, else the last layer.
    sequence_ids : array-like of int of shape (time,), default=None
        Which sequence each step belongs to, when the stream concatenates
        several: a range never spans two sequences, and the first step of a
        sequence has no step before it.  None is one sequence.
    transform : {"auto", "tanh"} or None, default="auto"
        What thresholds compare against: ``"tanh"`` squashes the states into
        (-1, 1) first, as LSTMVis does for cell states; None uses them as
        given.  ``"auto"`` applies tanh to layers whose name ends in ``"cell"``
        (unbounded LSTM cell states) and nothing to other layers.

    Attributes
    ----------
    layers : dict of str to ndarray of shape (time, cells_k)
        Every layer, read-only.
    layer : str
        The analysed layer.
    states : ndarray of shape (time, cells)
        The analysed layer's states, as given.
    values : ndarray of shape (time, cells)
        The analysed layer's states after ``transform``: what thresholds and
        colours use.
    tokens : list of str
    sequence_ids : ndarray of int of shape (time,)
    n_steps, n_cells : int

    Examples
    --------
    >>> import numpy as np
    >>> states = np.zeros((6, 3))
    >>> states[2:5, 1] = 0.9          # cell 1 is on during steps 2..4
    >>> hs = HiddenStates(states, "ab(cd)")
    >>> hs.n_steps, hs.n_cells, hs.layer
    (6, 3, 'states')
    >>> hs.tokens[2:5]
    ['(', 'c', 'd']
    """

    def __init__(self, states, tokens=None, *, layer=None, sequence_ids=None,
                 transform="auto"):
        layers = _as_layers(states)
        n_steps = _check_lengths(layers)
        if transform not in _TRANSFORMS:
            raise ValueError(f"transform must be one of 'auto', 'tanh' or None; got "
                             f"{transform!r}.")
        if layer is None:
            layer = _default_layer(list(layers))
        elif layer not in layers:
            raise ValueError(f"layer must be one of the recorded layers {sorted(layers)}; got "
                             f"{layer!r}.")
        self.layers = layers
        self.layer = layer
        self.tokens = _as_tokens(tokens, n_steps)
        self.sequence_ids = _as_sequence_ids(sequence_ids, n_steps)
        self.transform = transform

    # ------------------------------------------------------------- access
    @property
    def states(self):
        return self.layers[self.layer]

    @property
    def values(self):
        if self._transform_of(self.layer) == "tanh":
            values = np.tanh(self.states)
            values.flags.writeable = False
            return values
        return self.states

    def _transform_of(self, name):
        if self.transform == "auto":
            return "tanh" if name == "cell" or name.endswith(".cell") else None
        return self.transform

    @property
    def n_steps(self):
        return len(self.tokens)

    @property
    def n_cells(self):
        return self.states.shape[1]

    def __len__(self):
        return self.n_steps

    def __getitem__(self, layer):
        """The same states with ``layer`` as the analysed layer."""
        if layer not in self.layers:
            raise KeyError(f"layer must be one of the recorded layers {sorted(self.layers)}; "
                           f"got {layer!r}.")
        return HiddenStates(self, self.tokens, layer=layer, sequence_ids=self.sequence_ids,
                            transform=self.transform)

    def __repr__(self):
        more = f", {len(self.layers)} layers" if len(self.layers) > 1 else ""
        return (f"HiddenStates(layer={self.layer!r}, n_steps={self.n_steps}, "
                f"n_cells={self.n_cells}{more})")

    # ------------------------------------------------------------ recording
    @classmethod
    def from_module(cls, model, X, tokens=None, *, layers=None, record="hidden", lengths=None,
                    batch_first=True, batch_size=None):
        """Record the states of a torch module's recurrent layers on a batch of sequences.

        See :func:`skexplain.recurrent._record.record_states` for the parameters.
        """
        from ._record import record_states
        return record_states(model, X, tokens, layers=layers, record=record, lengths=lengths,
                             batch_first=batch_first, batch_size=batch_size)

    # ------------------------------------------------------------- analysis
    def select(self, start, end, threshold=0.3, off_before=False, off_after=False):
        """The cells on at every step of ``start..end`` (both included); see _select."""
        from ._select import select_cells
        return select_cells(self, start, end, threshold=threshold, off_before=off_before,
                            off_after=off_after)

    def match(self, cells, threshold=0.3, top=50, *, off_before=False, off_after=False,
              min_length=2):
        """Ranges where the same cells are on together, best first; see _select."""
        from ._select import match_cells
        return match_cells(self, cells, threshold=threshold, top=top, off_before=off_before,
                           off_after=off_after, min_length=min_length)

    def correlate(self, feature, *, method="pearson", top=None):
        """Correlation of each cell with a per-step signal, strongest first; see _analysis."""
        from ._analysis import correlate_cells
        return correlate_cells(self, feature, method=method, top=top)

    def gate_saturation(self, left=0.1, right=0.9, *, layers=None):
        """Fraction of steps each gate unit is left- or right-saturated; see _analysis."""
        from ._analysis import gate_saturation
        return gate_saturation(self, left=left, right=right, layers=layers)

    # ---------------------------------------------------------------- views
    def plot_text(self, cell, start=0, end=None, *, ax=None, fontsize=12):
        """Draw the tokens coloured by one cell's value (Karpathy et al. 2015).

        Each token of ``start..end`` sits on a background coloured by
        ``values[t, cell]`` (tanh of cell states under ``transform="auto"``):
        red positive, blue negative, white 0.

        Parameters
        ----------
        cell : int
            A cell of the analysed layer, in ``0..n_cells-1``.
        start, end : int, default=0, None
            The first and the last step shown (both included); None is the
            last step.
        ax : matplotlib Axes, default=None
            When None a figure is made whose height fits the wrapped text.
        fontsize : float, default=12

        Returns
        -------
        skexplain.plotting.TextDisplay
            Full colour at 1 when the shown values all lie in [-1, 1], else at
            their largest absolute value; the colourbar is labelled
            ``"layer[cell]"`` (``"tanh(layer[cell])"`` when transformed).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> hs = HiddenStates(np.array([[0.0], [0.9], [-0.5]]), "a(b")
        >>> disp = hs.plot_text(0)
        >>> [t.get_text() for t in disp.texts_], disp.vmax, disp.label
        (['a', '(', 'b'], 1.0, 'states[0]')
        """
        from ._views import cell_text_display
        return cell_text_display(self, cell, start, end, ax=ax, fontsize=fontsize)

    def text_html(self, cell, start=0, end=None):
        """The tokens coloured by one cell's value, as an HTML fragment.

        The colours of :meth:`plot_text`, without a figure: one escaped
        ``<span>`` per token with inline styles, its value in a tooltip;
        newlines and tabs are kept.

        Parameters
        ----------
        cell : int
            A cell of the analysed layer, in ``0..n_cells-1``.
        start, end : int, default=0, None
            The first and the last step shown (both included); None is the
            last step.

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np
        >>> hs = HiddenStates(np.array([[0.0], [0.9], [-0.5]]), "a<b")
        >>> fragment = hs.text_html(0, 1, 2)
        >>> "&lt;" in fragment and 'title="0.9"' in fragment and ">a<" not in fragment
        True
        """
        from ._views import cell_text_html
        return cell_text_html(self, cell, start, end)

    def to_html(self, path=None, *, start=0, end=None, threshold=0.3, max_steps=20_000):
        """A self-contained interactive page with LSTMVis' select and match.

        The page shows the tokens of ``start..end`` as text.  Drag over it
        (or type a range and press Select) to list the cells on at every step
        of the range -- :meth:`select`, with the page's threshold and
        off-before/off-after boxes -- and draw their values around it
        (LSTMVis' parallel coordinates); Match ranks the ranges where the same
        cells are on together -- :meth:`match`, top 50 with their Jaccard
        scores -- and clicking one finds it in the text; a cell picker colours
        the text by one cell (:meth:`plot_text`).  Everything is in the file:
        inline CSS and JavaScript, the analysed layer's values embedded
        (base64, at their own precision: 4 bytes per value for float32
        states, 8 for float64); nothing is loaded from the network.

        The browser computes exactly what :meth:`select` and :meth:`match`
        compute (the threshold is rounded to the values' precision, as NumPy
        compares float32 arrays), except that match searches only the page's
        steps: pass ``start=0, end=None`` for the whole stream.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the page (UTF-8); None only returns it.
        start, end : int, default=0, None
            The first and the last step on the page (both included); None is
            the last step.
        threshold : float, default=0.3
            The page's initial threshold, in [0, 1].
        max_steps : int, default=20000
            The most steps a page may hold (its size grows with steps x
            cells): a longer ``start..end`` is an error, never truncated.

        Returns
        -------
        str
            The page's HTML.

        Examples
        --------
        >>> import numpy as np
        >>> states = np.zeros((6, 3), np.float32)
        >>> states[2:5, 1] = 0.9
        >>> page = HiddenStates(states, "ab(cd)").to_html()
        >>> page.startswith("<!doctype html>") and 'id="selected-cells"' in page
        True
        """
        from ._page import interactive_page
        return interactive_page(self, path, start=start, end=end, threshold=threshold,
                                max_steps=max_steps)


def check_threshold(threshold, name="threshold"):
    """``threshold`` as a float in [0, 1], or a clear error."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) \
            or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1]; got {threshold!r}.")
    return float(threshold)
