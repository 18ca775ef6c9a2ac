"""Cells that track a per-step signal, and gate saturation (Karpathy et al. 2015)."""
import numbers

import numpy as np
import pandas as pd

__all__ = ["GATE_SUFFIXES", "correlate_cells", "gate_saturation"]

#: Layer names that hold sigmoid gates, the default layers of gate_saturation
#: (names written by :meth:`HiddenStates.from_module`; the LSTM cell gate and
#: the GRU new gate are tanh, not sigmoid, and are left out).
GATE_SUFFIXES = ("input_gate", "forget_gate", "output_gate", "reset_gate", "update_gate")

_METHODS = ("pearson", "spearman")
# columns correlated at a time: bounds the float64 copy (100,000 steps: 51 MB)
_BLOCK = 64


def _check_feature(feature, n_steps):
    try:
        values = np.asarray(feature)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"feature must be an array-like of {n_steps} numbers, one per time "
                        f"step; got {type(feature).__name__} ({exc}).") from None
    if values.dtype == bool:
        values = values.astype(float)
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise TypeError(f"feature must hold real numbers, one per time step; got values of "
                        f"dtype {values.dtype}.")
    if values.shape != (n_steps,):
        raise ValueError(f"feature must have one value per time step: expected shape "
                         f"({n_steps},), got {values.shape}.")
    values = values.astype(float)
    if not np.isfinite(values).all():
        raise ValueError(f"feature must be finite; got NaN or infinity, first at time step "
                         f"{np.flatnonzero(~np.isfinite(values))[0]}.")
    if values.min() == values.max():
        raise ValueError(f"feature is constant ({float(values[0])!r} at every step): a correlation "
                         f"with it is undefined.")
    return values


def _ranks(columns):
    from scipy.stats import rankdata  # average ranks for ties, as in spearmanr
    return rankdata(columns, axis=0)


def _centred(columns):
    """``columns`` centred, each scaled to a largest magnitude of 1 (0 stays 0).

    Correlation does not depend on the scale; without it, sums of squares
    overflow (values ~1e200: r = 0) or underflow (~1e-170: r = +-1).
    """
    def scaled(a):
        peak = np.abs(a).max(axis=0)
        return a / np.where(peak > 0, peak, 1.0)
    columns = scaled(columns)
    return scaled(columns - columns.mean(axis=0))


def _correlations(states, feature, method):
    """Pearson correlation of every column of ``states`` with ``feature`` (NaN: constant)."""
    if method == "spearman":
        feature = _ranks(feature)
    centred = _centred(feature)
    scale = np.sqrt(centred @ centred)
    r = np.full(states.shape[1], np.nan)
    for first in range(0, states.shape[1], _BLOCK):
        block = states[:, first:first + _BLOCK]
        block = _centred(_ranks(block) if method == "spearman" else block.astype(np.float64))
        norms = np.sqrt(np.einsum("ij,ij->j", block, block))
        with np.errstate(invalid="ignore", divide="ignore"):
            r[first:first + _BLOCK] = (centred @ block) / (norms * scale)
    constant = states.min(axis=0) == states.max(axis=0)
    r[constant] = np.nan    # rather than the rounding noise of a centred constant
    return np.clip(r, -1.0, 1.0)


def correlate_cells(hs, feature, *, method="pearson", top=None):
    """Correlation of each cell's raw state with ``feature``, strongest first.

    See :meth:`HiddenStates.correlate` for the parameters.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be 'pearson' or 'spearman'; got {method!r}.")
    if top is not None and (isinstance(top, (bool, np.bool_))
                            or not isinstance(top, numbers.Integral) or top < 1):
        raise ValueError(f"top must be None or an integer >= 1; got {top!r}.")
    feature = _check_feature(feature, hs.n_steps)
    r = _correlations(hs.states, feature, method)
    order = np.argsort(-np.abs(r), kind="stable")  # NaN (constant cells) sort last
    if top is not None:
        order = order[:top]
    return pd.Series(r[order], index=pd.Index(order, name="cell"), name="r")


def _check_bounds(left, right):
    for name, value in (("left", left), ("right", right)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must be a number in [0, 1]; got {value!r}.")
    if not left < right:
        raise ValueError(f"left must be smaller than right; got left={left!r}, "
                         f"right={right!r}.")
    return float(left), float(right)


def _gate_layers(hs, layers):
    names = list(hs.layers)
    if layers is None:
        chosen = [name for name in names if name.endswith(GATE_SUFFIXES)]
        if not chosen:
            raise ValueError(f"no sigmoid gate layer (a name ending in "
                             f"{', '.join(GATE_SUFFIXES)}) among the layers {names}; pass "
                             f"layers= to name the layers to analyse.")
        return chosen
    chosen = [layers] if isinstance(layers, str) else list(layers)
    unknown = [name for name in chosen if name not in hs.layers]
    if not chosen or unknown:
        raise ValueError(f"layers must name one or more of the layers {names}; got "
                         f"{layers!r}.")
    if len(set(chosen)) < len(chosen):
        raise ValueError(f"layers must be distinct; got {layers!r}.")
    return chosen


def gate_saturation(hs, *, left=0.1, right=0.9, layers=None):
    """Fraction of steps each gate unit is left- or right-saturated (Karpathy et al. 2015).

    See :meth:`HiddenStates.gate_saturation` for the parameters.
    """
    left, right = _check_bounds(left, right)
    frames = []
    for name in _gate_layers(hs, layers):
        values = hs.layers[name]
        frames.append(pd.DataFrame({
            "layer": name, "cell": np.arange(values.shape[1]),
            "left": (values < left).mean(axis=0), "right": (values > right).mean(axis=0)}))
    return pd.concat(frames, ignore_index=True)
