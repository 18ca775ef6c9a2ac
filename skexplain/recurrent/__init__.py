"""Hidden-state analysis of recurrent networks (Karpathy et al. 2015; LSTMVis).

:class:`HiddenStates` holds the states of one or more layers over a stream of
time steps, aligned with the tokens, and answers the LSTMVis questions:
which cells are on during a range (:meth:`~HiddenStates.select`), where else
the same cells are on together (:meth:`~HiddenStates.match`), which cells
track a per-token signal (:meth:`~HiddenStates.correlate`) and how often the
gates saturate (:meth:`~HiddenStates.gate_saturation`).  The states come from
any model: record a torch module with :meth:`HiddenStates.from_module`, or
pass a precomputed ``(time, cells)`` array.

Importing this package imports neither torch nor matplotlib.
"""
from ._features import bracket_depth, inside_quotes, position_in_line
from ._states import HiddenStates, Match

__all__ = ["HiddenStates", "Match", "bracket_depth", "inside_quotes", "position_in_line"]
