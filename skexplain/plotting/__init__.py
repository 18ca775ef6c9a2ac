"""Display objects for explanations (sklearn style: ``from_explanation``,
``plot(ax=None)`` returning ``self`` with ``ax_`` and ``figure_``)."""
from ._bar import BarDisplay
from ._scatter import ScatterDisplay
from ._text import TextDisplay

__all__ = ["BarDisplay", "ScatterDisplay", "TextDisplay", "get_display"]

_DISPLAYS = {"bar": BarDisplay}
_DISPLAYS.update(scatter=ScatterDisplay, dependence=ScatterDisplay)
_DISPLAYS.update(text=TextDisplay)


def get_display(kind):
    """The Display class for a plot ``kind`` (e.g. ``"bar"``)."""
    try:
        return _DISPLAYS[kind]
    except KeyError:
        raise ValueError(f"kind must be one of {sorted(_DISPLAYS)}; got {kind!r}.") from None
