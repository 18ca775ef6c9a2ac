"""Display objects for explanations (sklearn style: ``from_explanation``,
``plot(ax=None)`` returning ``self`` with ``ax_`` and ``figure_``)."""
from ._bar import BarDisplay
from ._beeswarm import BeeswarmDisplay
from ._filters import ActivationDisplay, FilterDisplay
from ._heatmap import HeatmapDisplay
from ._image import ImageDisplay
from ._image_grid import ImageGridDisplay
from ._scatter import ScatterDisplay
from ._text import TextDisplay
from ._waterfall import WaterfallDisplay

__all__ = [
    "ActivationDisplay",
    "BarDisplay",
    "BeeswarmDisplay",
    "FilterDisplay",
    "HeatmapDisplay",
    "ImageDisplay",
    "ImageGridDisplay",
    "ScatterDisplay",
    "TextDisplay",
    "WaterfallDisplay",
    "get_display",
]

_DISPLAYS = {
    "bar": BarDisplay,
    "beeswarm": BeeswarmDisplay,
    "dependence": ScatterDisplay,
    "heatmap": HeatmapDisplay,
    "image": ImageDisplay,
    "scatter": ScatterDisplay,
    "text": TextDisplay,
    "waterfall": WaterfallDisplay,
}


def get_display(kind):
    """The Display class for a plot ``kind`` (e.g. ``"bar"``).

    Parameters
    ----------
    kind : str
        ``"bar"``, ``"beeswarm"``, ``"waterfall"``, ``"scatter"`` (alias
        ``"dependence"``), ``"heatmap"``, ``"text"`` or ``"image"``.

    Returns
    -------
    type
        The Display class; a ``ValueError`` lists the kinds for any other.

    Examples
    --------
    >>> from skexplain.plotting import get_display
    >>> get_display("dependence").__name__
    'ScatterDisplay'
    """
    try:
        return _DISPLAYS[kind]
    except KeyError:
        raise ValueError(f"kind must be one of {sorted(_DISPLAYS)}; got {kind!r}.") from None
