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
        if np.issubdtype(array.dtype, np.complexfloating):  # astype(float) drops .imag
            raise TypeError(f"complex values (dtype {array.dtype})")
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
    if isinstance(tokens, (bytes, bytearray)):  # list() would give the byte values
        raise TypeError(f"tokens must be a str or a sequence of {n_steps} tokens; got "
                        f"{type(tokens).__name__} (decode it first, e.g. "
                        f"tokens.decode('utf-8')).")
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
        values = values_of(self, 0, self.n_steps - 1)
        values.flags.writeable = False
        return values

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
        """Record the states of a torch module's layers on a batch of sequences.

        One forward pass of ``model`` on ``X`` (per ``batch_size`` sequences),
        in eval mode and without gradients; the module is left as it was
        (training flags, parameters, no hooks).  The steps of all sequences are
        laid end to end: sequence 0's steps, then sequence 1's, and so on, with
        :attr:`sequence_ids` saying which is which (padding steps dropped).

        Parameters
        ----------
        model : torch.nn.Module
            The model (an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` itself works too).
        X : Tensor or array-like
            The model's input for a batch of sequences, padded to a common
            length: the sequences on axis 0 (axis 1 when
            ``batch_first=False``).  Integer token ids stay integer (for an
            ``nn.Embedding``-first model); floats are cast to the model's dtype.
        tokens : str or sequence, default=None
            The token of each recorded step: a flat sequence of all of them, a
            list of per-sequence token lists (or strings), each as long as its
            sequence, or a str (its characters).  None numbers the steps.
        layers : module, str or list of them, default=None
            What to record.  None records every ``nn.RNN``, ``nn.LSTM`` and
            ``nn.GRU`` submodule, all layers and both directions.  Otherwise
            submodules or their dotted names; a recurrent one is recorded as
            with None, any other by a forward hook: its output (or the first
            element of a tuple output), of shape (batch, time, features), or
            (time, batch, features) when ``batch_first=False``.
        record : {"hidden", "all"} or iterable of str, default="hidden"
            Which states of the recurrent modules: ``"hidden"``, and also
            ``"cell"`` (LSTM cell states) and ``"gates"`` (LSTM input, forget,
            cell and output gates; GRU reset, update and new gates).  ``"all"``
            records what each module has.  Hooked modules record their output
            whatever ``record`` is.
        lengths : array-like of int of shape (n_sequences,), default=None
            The valid steps of each sequence of a padded ``X``; the others are
            dropped, and the reverse direction of a bidirectional module starts
            at each sequence's last valid step (as ``pack_padded_sequence``
            gives, even when the model itself does not pack).  None: every
            step is valid, or the lengths of a PackedSequence that the model
            builds itself and feeds to its recurrent module.
        batch_first : bool, default=True
            Whether the batch is axis 0 of ``X`` and of hooked modules' outputs
            (else axis 1).  Recurrent modules use their own ``batch_first``.
        batch_size : int, default=None
            Sequences per forward pass (None: all at once).  The results do
            not depend on it.

        Returns
        -------
        HiddenStates
            One layer per recorded state, named ``f"{M}.l{k}.hidden"`` for
            layer ``k`` of the recurrent module at dotted name ``M`` (the model
            itself: ``f"l{k}.hidden"``), ``f"{M}.l{k}_reverse.hidden"`` for the
            reverse direction, likewise ``.cell``, ``.input_gate``,
            ``.forget_gate``, ``.cell_gate``, ``.output_gate``,
            ``.reset_gate``, ``.update_gate``, ``.new_gate``; a hooked module's
            output is named ``M`` (``"output"`` for the model itself).  The
            analysed layer is the top layer's forward hidden states of the
            last recorded module.

        Raises
        ------
        ValueError
            For a model without recurrent modules when ``layers=None``,
            ``record`` asking for states no recorded module has, tokens or
            lengths that do not fit the sequences, or a recurrent module whose
            class overrides torch's ``forward`` (its states would be wrong).
        TypeError
            For a model that is not a Python ``torch.nn.Module`` (a TorchScript
            module cannot be hooked), or ``batch_first`` that is not a bool.
        skexplain.exceptions.ModelEvaluationError
            When a recorded module is called more than once in a forward pass
            (its states would be ambiguous) or not at all, or receives a batch
            of another size than ``X``.

        Notes
        -----
        Cost: each layer is run once more through torch's fused kernel with its
        own weights (a single-layer module and
        :func:`torch.func.functional_call`), while the model's own forward pass
        stops doing real work at the last recorded module (the rest runs on one
        time step, to catch a second call): hidden states cost about one plain
        forward pass (medians of 0.9-1.13x for a 2-layer char-LSTM, a GRU and
        a bidirectional LSTM, 1.0-1.2x with ``lengths``;
        ``benchmarks/bench_recurrent_record.py``, 2 threads).  A recorded
        recurrent module that is not the last one in call order runs twice.
        Cell states and gates are computed from the known hidden states: one
        matrix product over all steps per layer and direction (as many
        operations as the layer itself), the activations, and a loop over time
        for the LSTM cell, plus the copies of five (LSTM) or three (GRU) more
        ``(steps, hidden)`` arrays per layer and direction: ``record="all"``
        measured about 2.0-2.2x a plain forward pass for a GRU and 3.1-3.6x
        for LSTMs.

        Examples
        --------
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> lstm = torch.nn.LSTM(input_size=3, hidden_size=4, num_layers=2,
        ...                      batch_first=True)
        >>> X = torch.randn(2, 5, 3)          # 2 sequences of 5 steps, padded
        >>> hs = HiddenStates.from_module(lstm, X, ["abcde", "xyz"], lengths=[5, 3],
        ...                               record="all")
        >>> hs.n_steps, hs.layer, hs.n_cells
        (8, 'l1.hidden', 4)
        >>> hs.tokens[4:], hs.sequence_ids.tolist()
        (['e', 'x', 'y', 'z'], [0, 0, 0, 0, 0, 1, 1, 1])
        >>> sorted(hs.layers)[:4]
        ['l0.cell', 'l0.cell_gate', 'l0.forget_gate', 'l0.hidden']
        """
        from ._record import record_states
        return record_states(model, X, tokens, layers=layers, record=record, lengths=lengths,
                             batch_first=batch_first, batch_size=batch_size)

    # ------------------------------------------------------------- analysis
    def select(self, start, end, threshold=0.3, off_before=False, off_after=False):
        """The cells on at every step of ``start..end`` (LSTMVis select).

        The selected set is ``C = {c : values[t, c] >= threshold for every t
        in start..end}`` (Strobelt et al., LSTMVis), computed on
        :attr:`values` (tanh of the states for cell-state layers).

        Parameters
        ----------
        start, end : int
            The first and the last step of the range, both included:
            ``0 <= start <= end <= n_steps - 1``, within one sequence.
        threshold : float in [0, 1], default=0.3
            A cell is on at a step where its value is ``>= threshold``
            (LSTMVis' default 0.3).
        off_before : bool, default=False
            Keep only the cells that are off at ``start - 1`` (the paper's
            formal definition).  Vacuous at the first step of a sequence.
        off_after : bool, default=False
            Keep only the cells that are off at ``end + 1``.  Vacuous at the
            last step of a sequence.

        Returns
        -------
        cells : ndarray of int
            The selected cell indices, sorted; possibly empty.

        Raises
        ------
        ValueError
            When a step is out of range, ``start > end``, the range spans two
            sequences or ``threshold`` is outside [0, 1].
        TypeError
            When a step is not an integer or a flag not a bool.

        See Also
        --------
        match : where else these cells are on together.

        Examples
        --------
        >>> import numpy as np
        >>> states = np.zeros((8, 3))
        >>> states[2:5, [0, 2]] = 0.9     # cells 0 and 2 on during 2..4
        >>> states[1, 2] = 0.9            # cell 2 already on at step 1
        >>> hs = HiddenStates(states)
        >>> hs.select(2, 4)
        array([0, 2])
        >>> hs.select(2, 4, off_before=True)
        array([0])
        """
        from ._select import select_cells
        return select_cells(self, start, end, threshold=threshold, off_before=off_before,
                            off_after=off_after)

    def match(self, cells, threshold=0.3, top=50, *, off_before=False, off_after=False,
              min_length=2):
        """Ranges where the queried cells are on together, best first (LSTMVis match).

        The procedure of LSTMVis' server (``query_similar_activations``):

        1. ``cnt[t]`` = the number of queried cells ``C`` on at step ``t``
           (``values >= threshold``);
        2. for ``q = |C|, |C| - 1, ..., 1``: the maximal runs where
           ``cnt >= q`` that are at least ``min_length`` steps long are
           candidate ranges (runs end at sequence boundaries; a range found
           at several ``q`` counts once), up to 1000 distinct ranges
           (``MAX_CANDIDATES`` in ``skexplain.recurrent._select``, as in
           LSTMVis' fast mode).  The levels are visited from ``q = |C|`` down and
           each in time order, so reaching the limit drops the ranges where
           the fewest queried cells are on together (and, at the level that
           reaches it, the latest);
        3. each candidate's cells ``A``: all the cells on at every step of
           the range, with the same ``off_before`` / ``off_after`` masks as
           :meth:`select`;
        4. ranking by ``|A & C|`` descending, ``|A | C|`` ascending, length
           descending, start ascending; the score is the Jaccard similarity
           ``|A & C| / |A | C|``.

        Every step is searched (LSTMVis' default "fast" mode looks at the
        first 500,000 steps only).

        Parameters
        ----------
        cells : array-like of int
            The queried cells ``C``: distinct indices in ``0..n_cells - 1``,
            typically the output of :meth:`select`.
        threshold : float in [0, 1], default=0.3
            A cell is on at a step where its value is ``>= threshold``.
        top : int, default=50
            How many ranges to return at most (LSTMVis returns 50).
        off_before, off_after : bool, default=False
            Remove from ``A`` the cells on just before (after) the range, as
            in :meth:`select`.
        min_length : int, default=2
            The shortest candidate range, in steps (LSTMVis: 2).

        Returns
        -------
        matches : list of Match
            At most ``top``, best first; empty when no run is long enough.

        Raises
        ------
        ValueError
            When ``cells`` is empty (select found no cell: lower the
            threshold), holds a duplicate or an index out of range, or
            ``threshold``, ``top`` or ``min_length`` is out of range.
        TypeError
            When ``cells`` are not integers or a flag is not a bool.

        Examples
        --------
        >>> import numpy as np
        >>> states = np.zeros((20, 4))
        >>> states[2:5, [0, 1]] = 0.9        # cells 0 and 1 on during 2..4
        >>> states[10:16, [0, 1, 3]] = 0.8   # again during 10..15, with cell 3
        >>> states[17:19, 0] = 0.7           # cell 0 alone during 17..18
        >>> hs = HiddenStates(states)
        >>> cells = hs.select(2, 4)
        >>> for m in hs.match(cells):
        ...     print(m.start, m.end, m.cells, round(m.score, 2))
        2 4 [0 1] 1.0
        10 15 [0 1 3] 0.67
        17 18 [0] 0.5
        """
        from ._select import match_cells
        return match_cells(self, cells, threshold=threshold, top=top, off_before=off_before,
                           off_after=off_after, min_length=min_length)

    def correlate(self, feature, *, method="pearson", top=None):
        """Correlation of each cell with a per-step signal, strongest first.

        Finds the cells that track a signal such as
        :func:`~skexplain.recurrent.bracket_depth`,
        :func:`~skexplain.recurrent.inside_quotes` or
        :func:`~skexplain.recurrent.position_in_line` (Karpathy et al. 2015).
        The raw :attr:`states` are correlated, not the tanh-transformed
        :attr:`values`: a cell that counts (an LSTM cell state growing by a
        constant per bracket) is linear in its raw state, and tanh would bend
        it.

        Parameters
        ----------
        feature : array-like of shape (n_steps,)
            One finite number per time step, not constant (bools count as
            0 and 1).
        method : {"pearson", "spearman"}, default="pearson"
            Pearson's r, or Spearman's rank correlation (Pearson's r of the
            average ranks, as :func:`scipy.stats.spearmanr`).
        top : int, default=None
            Keep only the first ``top`` cells; None keeps them all.

        Returns
        -------
        r : pandas.Series
            The correlation of each cell of the analysed layer, named ``"r"``,
            indexed by the cell index (index name ``"cell"``), sorted by
            ``|r|`` descending; constant cells have NaN and come last.

        Raises
        ------
        ValueError
            When ``feature`` has the wrong length, is not finite or is
            constant, or ``method`` or ``top`` is invalid.
        TypeError
            When ``feature`` does not hold real numbers.

        Examples
        --------
        >>> import numpy as np
        >>> from skexplain.recurrent import bracket_depth
        >>> text = "a(b(c)d)e(f)"
        >>> depth = bracket_depth(text)
        >>> rng = np.random.default_rng(0)
        >>> states = rng.normal(size=(len(text), 4))
        >>> states[:, 2] = 0.5 * depth - 1       # cell 2 counts the brackets
        >>> r = HiddenStates(states, text).correlate(depth)
        >>> int(r.index[0]), round(float(r.iloc[0]), 6)
        (2, 1.0)
        """
        from ._analysis import correlate_cells
        return correlate_cells(self, feature, method=method, top=top)

    def gate_saturation(self, left=0.1, right=0.9, *, layers=None):
        """Fraction of steps each gate unit is left- or right-saturated.

        Karpathy et al. (2015) call a sigmoid gate left-saturated at a step
        where its activation is below 0.1 and right-saturated where it is
        above 0.9; the fractions of steps in each state show which gates act
        as switches.  Every time step counts, the stored values are used as
        they are (gates are sigmoid outputs, no transform).

        Parameters
        ----------
        left : float, default=0.1
            Left-saturated: value ``< left``.
        right : float, default=0.9
            Right-saturated: value ``> right``.  ``0 <= left < right <= 1``.
        layers : str or list of str, default=None
            The layers to analyse.  None takes every sigmoid gate layer: the
            names ending in ``input_gate``, ``forget_gate``, ``output_gate``,
            ``reset_gate`` or ``update_gate``, as
            :meth:`from_module` names them.

        Returns
        -------
        saturation : pandas.DataFrame
            One row per unit of each layer, with columns ``layer``, ``cell``,
            ``left`` and ``right`` (the two fractions, in [0, 1]).

        Raises
        ------
        ValueError
            When no layer is a gate and ``layers`` is None, ``layers`` names
            an unknown layer, or ``left`` and ``right`` are not
            ``0 <= left < right <= 1``.

        Examples
        --------
        >>> import numpy as np
        >>> gates = np.array([[0.05, 0.5], [0.95, 0.5], [0.02, 0.99], [0.5, 0.5]])
        >>> hs = HiddenStates({"l0.hidden": np.zeros((4, 2)), "l0.forget_gate": gates})
        >>> hs.gate_saturation()
                    layer  cell  left  right
        0  l0.forget_gate     0   0.5   0.25
        1  l0.forget_gate     1   0.0   0.25
        """
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


def values_of(hs, start, end):
    """``hs.values[start:end + 1]``, transforming only those rows (not the whole stream)."""
    rows = hs.states[start:end + 1]
    return np.tanh(rows) if hs._transform_of(hs.layer) == "tanh" else rows


def check_steps(hs, start, end, *, names=("start", "end"), open_end=True):
    """``(start, end)`` as ints of an inclusive range of ``hs``.

    ``end=None`` is the last step when ``open_end``; otherwise both are required.
    """
    last = hs.n_steps - 1
    end = last if end is None and open_end else end
    for name, step in zip(names, (start, end)):
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, numbers.Integral):
            raise TypeError(f"{name} must be an integer time step in 0..{last}; got {step!r} "
                            f"({type(step).__name__}).")
        if not 0 <= step <= last:
            raise ValueError(f"{name} must be a time step in 0..{last} (both included); got "
                             f"{step}.")
    if start > end:
        raise ValueError(f"{names[0]} must be <= {names[1]} (the range {names[0]}..{names[1]} "
                         f"includes both); got {names[0]}={start}, {names[1]}={end}.")
    return int(start), int(end)
