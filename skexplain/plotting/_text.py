"""``TextDisplay``: tokens on a background coloured by a per-token score."""
import html
import numbers
import warnings

import numpy as np

from ._base import axes_and_figure, feature_names, one_output, require_one_feature_axis
from ._rows import output_suffix

__all__ = ["TextDisplay"]

_CMAP = "RdBu_r"  # diverging: blue negative, white zero, red positive
_PAD = 0.2  # box padding around a token, in units of the font size
_CHAR_PAD = 0.05  # ... around a character (spacing=0): letters stay close
_CBAR_IN = 0.75  # height (inches) kept below the text for the colourbar and its label


def _check_row(row, n_rows):
    if isinstance(row, (bool, np.bool_)) or not isinstance(row, numbers.Integral):
        raise TypeError(f"row must be an integer position; got {row!r} of type "
                        f"{type(row).__name__}.")
    if not -n_rows <= row < n_rows:
        raise IndexError(f"row={row} is out of range for an explanation of {n_rows} rows.")
    return int(row) % n_rows


def _default_tokens(explanation, row):
    data = explanation.data
    if data is not None and data.ndim == 2 and data.shape[1] == explanation.feature_shape[0] \
            and all(isinstance(t, str) for t in data[row]):
        return list(data[row])
    return feature_names(explanation)


def _shown(token):
    """What is drawn for a token: control characters made visible."""
    return str(token).replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


class TextDisplay:
    """Tokens drawn in reading order, each on a background coloured by its score.

    The colormap is diverging and centred at 0: red for positive, blue for
    negative scores, white for 0, with the symmetric limit ``vmax`` (the
    largest absolute score unless given).  Lines wrap to the axes' width; a
    small colourbar under the text gives the scale.  Build it with
    :meth:`from_explanation` (attributions of one row) or :meth:`from_tokens`
    (any per-token score, e.g. a recurrent cell's activation per character).

    Parameters
    ----------
    tokens : list of str
    values : ndarray of shape (n_tokens,)
    vmax : float, default=None
        Symmetric colour limit; ``max(|values|)`` when None (1 when all are 0).
    label : str, default="value"
        Colourbar label.
    spacing : float, default=0.25
        Gap between tokens, in units of the font size (0 for characters).

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    texts_ : list of matplotlib Text
        One per token, in order; the background colour is their bbox patch's.
    colors_ : ndarray of shape (n_tokens, 4)
        RGBA background colour per token.
    colorbar_ : matplotlib Colorbar

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skexplain.plotting import TextDisplay
    >>> disp = TextDisplay.from_tokens(["a", "good", "film"], [0.0, 2.0, -0.5])
    >>> [t.get_text() for t in disp.texts_]
    ['a', 'good', 'film']
    >>> disp.colors_[1].round(2).tolist()  # the largest positive score: dark red
    [0.4, 0.0, 0.12, 1.0]
    >>> 'title="2"' in disp.to_html()
    True
    """

    def __init__(self, tokens, values, *, vmax=None, label="value", spacing=0.25):
        self.tokens = [str(t) for t in tokens]
        self.values = np.asarray(values, dtype=float)
        self.vmax = vmax
        self.label = label
        self.spacing = spacing
        self._pad = _PAD if spacing > 0 else _CHAR_PAD

    @classmethod
    def from_explanation(cls, explanation, row=0, *, output=None, tokens=None, vmax=None,
                         ax=None):
        """Colour the tokens of one row by their attributions.

        Parameters
        ----------
        explanation : Explanation
            With one feature axis (one feature per token).
        row : int, default=0
        output : int or str, default=None
            The output to show; required when there are several.
        tokens : list of str, default=None
            One per feature.  Defaults to ``explanation.data[row]`` when it
            holds strings, else to the feature names.
        vmax : float, default=None
            Symmetric colour limit; the row's largest absolute attribution when None.
        ax : matplotlib Axes, default=None

        Returns
        -------
        TextDisplay

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain.plotting import TextDisplay
        >>> from skexplain import Explanation
        >>> e = Explanation(np.array([[0.1, 2.0, -0.5]]), np.zeros(1),
        ...                 data=np.array([["a", "good", "film"]], dtype=object))
        >>> [t.get_text() for t in TextDisplay.from_explanation(e).texts_]
        ['a', 'good', 'film']
        """
        require_one_feature_axis(explanation, "text")
        explanation = one_output(explanation, output, "text")
        row = _check_row(row, explanation.n_rows)
        d = explanation.feature_shape[0]
        if tokens is None:
            tokens = _default_tokens(explanation, row)
        elif isinstance(tokens, str) or np.ndim(tokens) != 1 or len(tokens) != d:
            got = repr(tokens) if isinstance(tokens, str) else f"shape {np.shape(tokens)}"
            raise ValueError(f"tokens must be a list of {d} strings (one per feature); "
                             f"got {got}.")
        label = "attribution" + output_suffix(explanation.output_names)
        return cls.from_tokens(tokens, explanation.values[row], vmax=vmax, label=label, ax=ax)

    @classmethod
    def from_tokens(cls, tokens, values, *, vmax=None, label="value", spacing=None, ax=None,
                    fontsize=12):
        """Colour any sequence of tokens by one score each.

        Parameters
        ----------
        tokens : list of str, or str
            The tokens; a string is taken as its characters.
        values : array-like of shape (n_tokens,)
            Finite scores: attributions, activations, ...
        vmax : float, default=None
            Symmetric colour limit; ``max(|values|)`` when None.
        label : str, default="value"
            Colourbar label (what the scores are).
        spacing : float, default=None
            Gap between tokens in units of the font size; None means 0.25 for
            a list of tokens and 0 for the characters of a string.
        ax : matplotlib Axes, default=None
            When None a figure is made whose height fits the wrapped text.
        fontsize : float, default=12

        Returns
        -------
        TextDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain.plotting import TextDisplay
        >>> disp = TextDisplay.from_tokens("abc", [1.0, 0.0, -1.0], label="activation")
        >>> [t.get_text() for t in disp.texts_]
        ['a', 'b', 'c']
        """
        if spacing is None:
            spacing = 0.0 if isinstance(tokens, str) else 0.25
        tokens = list(tokens)
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or len(values) != len(tokens):
            raise ValueError(f"values must have shape ({len(tokens)},), one per token; got "
                             f"{values.shape}.")
        if not np.isfinite(values).all():
            raise ValueError("values must be finite; got NaN or infinite scores at positions "
                             f"{np.flatnonzero(~np.isfinite(values)).tolist()}.")
        if vmax is not None and (isinstance(vmax, bool) or not isinstance(vmax, numbers.Real)
                                 or not np.isfinite(vmax) or vmax <= 0):
            raise ValueError(f"vmax must be a positive number; got {vmax!r}.")
        return cls(tokens, values, vmax=vmax, label=label, spacing=spacing).plot(
            ax=ax, fontsize=fontsize)

    # ------------------------------------------------------------- colours
    def _limit(self):
        if self.vmax is not None:
            return float(self.vmax)
        top = float(np.abs(self.values).max()) if self.values.size else 0.0
        return top if top > 0 else 1.0

    def _rgba(self):
        import matplotlib as mpl

        limit = self._limit()
        norm = mpl.colors.Normalize(-limit, limit, clip=True)
        return mpl.colormaps[_CMAP](norm(self.values)), norm

    # -------------------------------------------------------------- drawing
    def plot(self, *, ax=None, fontsize=12):
        """Draw the wrapped, coloured tokens and a colourbar; returns ``self``.

        The layout is computed for the figure's size at the time of the call.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            When None a figure is made whose height fits the wrapped text.
        fontsize : float, default=12

        Returns
        -------
        TextDisplay
            ``self``, with ``ax_``, ``figure_``, ``texts_`` and ``colors_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain.plotting import TextDisplay
        >>> disp = TextDisplay(["a", "good", "film"], [0.0, 2.0, -0.5])
        >>> len(disp.plot(fontsize=10).texts_)
        3
        """
        own = ax is None
        if own:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=(8, 2))
            ax = fig.add_axes([0.02, 0.02, 0.96, 0.96])
        self.ax_, self.figure_ = axes_and_figure(ax)
        self.ax_.set_axis_off()
        self.colors_, norm = self._rgba()
        self.texts_ = [self._token_text(t, c, fontsize) for t, c in zip(self.tokens,
                                                                       self.colors_)]
        self._layout(fontsize, own)
        self._add_colorbar(norm)
        return self

    def _token_text(self, token, rgba, fontsize):
        light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.5
        return self.ax_.text(0, 1, _shown(token), transform=self.ax_.transAxes,
                             fontsize=fontsize, ha="left", va="top", parse_math=False,
                             color="black" if light else "white",
                             bbox=dict(boxstyle=f"square,pad={self._pad}", facecolor=rgba,
                                       edgecolor="none"))

    def _renderer(self):
        canvas = self.figure_.canvas
        if hasattr(canvas, "get_renderer"):
            return canvas.get_renderer()
        return self.figure_._get_renderer()  # non-Agg canvases

    def _lines(self, fontsize, width_px):
        """Greedy wrap: the line of each token and its left edge in pixels."""
        renderer = self._renderer()
        px = self.figure_.dpi / 72 * fontsize  # one font size in pixels
        pad, gap = self._pad * px, self.spacing * px
        lines, lefts, line, x = [], [], 0, pad
        for text in self.texts_:
            text.set_fontsize(fontsize)
            w = text.get_window_extent(renderer).width
            if x > pad and x + w + pad > width_px:
                line, x = line + 1, pad
            lines.append(line)
            lefts.append(x)
            # Touching boxes overlap by half a pixel: no hairline gaps between them.
            x += w + 2 * pad + (gap if gap else -0.5)
        return np.asarray(lines), np.asarray(lefts), 1.5 * px + 2 * pad

    def _layout(self, fontsize, own):
        bbox = self.ax_.get_window_extent(self._renderer())
        cbar_px = _CBAR_IN * self.figure_.dpi
        lines, lefts, line_h = self._lines(fontsize, bbox.width)
        n_lines = lines.max() + 1 if len(lines) else 1
        if own:  # size the figure to the text
            height = (n_lines * line_h + cbar_px) / self.figure_.dpi / 0.96
            self.figure_.set_size_inches(self.figure_.get_figwidth(), height)
            bbox = self.ax_.get_window_extent(self._renderer())
        while n_lines * line_h + cbar_px > bbox.height * 1.001 and fontsize > 6:
            fontsize = max(6, fontsize * 0.85)  # a given axes: shrink the font to fit
            lines, lefts, line_h = self._lines(fontsize, bbox.width)
            n_lines = lines.max() + 1 if len(lines) else 1
        if n_lines * line_h + cbar_px > bbox.height * 1.001:
            warnings.warn(f"{len(self.tokens)} tokens need {n_lines} lines and do not fit the "
                          "axes even at font size 6; give a taller axes.", UserWarning,
                          stacklevel=3)
        for text, line, left in zip(self.texts_, lines, lefts):
            text.set_position((left / bbox.width, 1 - (line * line_h + line_h * 0.15)
                               / bbox.height))
        self._text_bottom = 1 - n_lines * line_h / bbox.height

    def _add_colorbar(self, norm):
        import matplotlib as mpl

        bbox = self.ax_.get_window_extent(self._renderer())
        h = 0.12 * self.figure_.dpi / bbox.height
        top = self._text_bottom - 0.12 * self.figure_.dpi / bbox.height
        cax = self.ax_.inset_axes([0.0, top - h, 0.3, h])
        mappable = mpl.cm.ScalarMappable(norm=norm, cmap=_CMAP)
        self.colorbar_ = self.figure_.colorbar(mappable, cax=cax, orientation="horizontal")
        self.colorbar_.set_label(self.label, fontsize="small")
        cax.tick_params(labelsize="small")

    # ----------------------------------------------------------------- HTML
    def to_html(self):
        """A self-contained HTML fragment of the coloured tokens (inline styles only).

        Each token is HTML-escaped and carries its score in a ``title`` tooltip.

        Returns
        -------
        str
            ``<span>`` elements, one per token.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skexplain.plotting import TextDisplay
        >>> TextDisplay(["a<b"], [1.0]).to_html().count("a&lt;b")
        1
        """
        rgba, _ = self._rgba()
        spans = []
        for token, value, c in zip(self.tokens, self.values, rgba):
            light = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 0.5
            bg = "rgb({:.0f}, {:.0f}, {:.0f})".format(*(255 * c[:3]))
            spans.append(
                f'<span style="background-color: {bg}; color: {"#000" if light else "#fff"}; '
                f'padding: 1px {2 if self.spacing else 0}px; white-space: pre-wrap;" '
                f'title="{html.escape(f"{value:.4g}")}">{html.escape(token)}</span>')
        limit = self._limit()
        sep = " " if self.spacing else ""  # a space between tokens lets the browser wrap
        key = (f'<div style="font-size: 0.8em; color: #555; margin-top: 4px;">'
               f"{html.escape(self.label)}: red positive, blue negative; full colour at "
               f"&plusmn;{limit:.3g}</div>")
        return ('<div style="font-family: sans-serif; line-height: 1.9;">'
                f'<div>{sep.join(spans)}</div>{key}</div>')
