"""Text coloured by one cell's activation (Karpathy, Johnson & Fei-Fei 2015).

Each token sits on a background coloured by the analysed layer's value of one
cell at that step (``HiddenStates.values``: tanh of LSTM cell states under
``transform="auto"``), red for positive and blue for negative, as in the
paper's figures.  matplotlib is imported only when a figure is drawn.
"""
import numbers

import numpy as np

from ._states import check_steps, values_of

__all__ = ["cell_text_display", "cell_text_html", "check_cell"]


def check_cell(hs, cell):
    """``cell`` as an int in ``0..n_cells-1``, or a clear error."""
    if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, numbers.Integral):
        raise TypeError(f"cell must be an integer cell index in 0..{hs.n_cells - 1}; got "
                        f"{cell!r} of type {type(cell).__name__}.")
    if not 0 <= cell < hs.n_cells:
        raise ValueError(f"cell must be a cell index of layer {hs.layer!r} in "
                         f"0..{hs.n_cells - 1}; got {cell}.")
    return int(cell)


def _cell_view(hs, cell, start, end):
    """The TextDisplay arguments for one cell over ``start..end``."""
    cell = check_cell(hs, cell)
    start, end = check_steps(hs, start, end)
    tokens = hs.tokens[start:end + 1]
    values = np.asarray(values_of(hs, start, end)[:, cell], dtype=float)
    top = float(np.abs(values).max())
    # Bounded activations (tanh, sigmoid gates) keep their natural scale, so
    # colours compare across cells; anything else is scaled to its largest value.
    vmax = 1.0 if top <= 1.0 else top
    label = f"{hs.layer}[{cell}]"
    if hs._transform_of(hs.layer) == "tanh":
        label = f"tanh({label})"
    # Characters touch, as in the paper's figures; words get a gap.
    spacing = 0.0 if all(len(t) <= 1 for t in tokens) else 0.25
    return dict(tokens=tokens, values=values, vmax=vmax, label=label, spacing=spacing)


def cell_text_display(hs, cell, start=0, end=None, *, ax=None, fontsize=12):
    """Draw the tokens of ``start..end`` coloured by one cell's value.

    Parameters
    ----------
    hs : HiddenStates
    cell : int
        The cell of the analysed layer, in ``0..hs.n_cells-1``.
    start, end : int, default=0, None
        The first and the last step shown (both included); ``end=None`` is
        the last step.
    ax : matplotlib Axes, default=None
        When None a figure is made whose height fits the wrapped text.
    fontsize : float, default=12

    Returns
    -------
    skexplain.plotting.TextDisplay
        Its ``values`` are ``hs.values[start:end + 1, cell]``; the colour
        limit ``vmax`` is 1 when they all lie in [-1, 1] (tanh and sigmoid
        activations keep their scale), else their largest absolute value.
    """
    from ..plotting import TextDisplay

    view = _cell_view(hs, cell, start, end)
    return TextDisplay.from_tokens(view["tokens"], view["values"], vmax=view["vmax"],
                                   label=view["label"], spacing=view["spacing"], ax=ax,
                                   fontsize=fontsize)


def cell_text_html(hs, cell, start=0, end=None):
    """The tokens of ``start..end`` coloured by one cell's value, as an HTML fragment.

    Same colours as :func:`cell_text_display` (no figure is made).  Tokens
    are HTML-escaped; newlines and tabs are kept (``white-space: pre-wrap``);
    each token's value is in its ``title`` tooltip.

    Parameters
    ----------
    hs : HiddenStates
    cell : int
    start, end : int, default=0, None
        Inclusive range; ``end=None`` is the last step.

    Returns
    -------
    str
    """
    from ..plotting import TextDisplay

    view = _cell_view(hs, cell, start, end)
    return TextDisplay(view["tokens"], view["values"], vmax=view["vmax"], label=view["label"],
                       spacing=view["spacing"]).to_html()
