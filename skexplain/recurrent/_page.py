"""A self-contained interactive HTML page with LSTMVis' select and match.

The page holds everything it needs: CSS and JavaScript inline (read from the
package's ``_page_assets`` folder), the tokens, sequence ids and the analysed
layer's values embedded as JSON (the values as base64 little-endian floats).
It loads nothing from the network.

Exactness.  The browser computes select and match on the embedded values with
the algorithm of :mod:`skexplain.recurrent._select`, so it returns what
:meth:`HiddenStates.select` and :meth:`HiddenStates.match` return.  The values
are embedded at their own precision -- float32 layers (what torch records) as
float32, float64 layers as float64 (twice the size) -- and the page rounds
the threshold to that precision before comparing, as NumPy compares a float32
array with a Python float in float32.  (float16 values are embedded as
float32, exactly, and compared with a float16-rounded threshold; other float
types are embedded as float64.)  One step before and one after the shown range
travel with the data, so the off-before/after masks at the page's edges match
too.  Match searches the page's steps only: over the whole stream (``start=0,
end=None``) it equals :meth:`HiddenStates.match` with ``top=50``.
"""
import base64
import html
import json
import os
import re
from importlib import resources

import numpy as np

from ..utils._validation import check_positive_int
from ._select import MAX_CANDIDATES
from ._states import check_steps, check_threshold, values_of

__all__ = ["interactive_page"]

_ASSETS = "_page_assets"
_TOP = 50  # matches listed, as HiddenStates.match's default


def _asset(name):
    return resources.files(__package__).joinpath(_ASSETS, name).read_text(encoding="utf-8")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _script_json(data):
    """JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` can end or open a tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    # lone surrogates (tokens decoded with errors="surrogateescape") cannot be written
    # as UTF-8: JSON escapes keep them (only strings of the JSON text can hold them)
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _encoded(values):
    """``(dtype name, base64)`` of the values at their own precision, little-endian."""
    if values.dtype in (np.float16, np.float32):
        name, wire = ("float16" if values.dtype == np.float16 else "float32"), "<f4"
    else:
        name, wire = "float64", "<f8"
    raw = np.ascontiguousarray(values, dtype=wire).tobytes()
    return name, base64.b64encode(raw).decode("ascii")


def _page_data(hs, start, end, threshold):
    lo = max(start - 1, 0)                  # the steps just outside the page: off masks
    hi = min(end + 1, hs.n_steps - 1)
    dtype, values = _encoded(values_of(hs, lo, hi))
    return {"layer": hs.layer, "nCells": hs.n_cells, "nSteps": hs.n_steps, "first": lo,
            "tanh": hs._transform_of(hs.layer) == "tanh",
            "start": start, "end": end, "tokens": hs.tokens[start:end + 1],
            "sequenceIds": hs.sequence_ids[lo:hi + 1].tolist(), "dtype": dtype,
            "values": values, "threshold": threshold, "maxCandidates": MAX_CANDIDATES,
            "top": _TOP, "minLength": 2}


_BODY = """<h1>{title}</h1>
<p class="how">Drag over the text (press on one token, release on another) or type a range
and press Select: the cells on (value &ge; threshold) at every step of the range are listed
and drawn over the steps around it. Match ranks the other ranges where the same cells are on
together (LSTMVis); click one to find it in the text. Pick a cell to colour the text by its
value (Karpathy et al.).</p>
<div class="controls">
<label>threshold <input id="threshold" type="number" min="0" max="1" step="0.05"
 value="{threshold}"></label>
<label><input id="off-before" type="checkbox"> off before</label>
<label><input id="off-after" type="checkbox"> off after</label>
<label>start <input id="start" type="number" min="{start}" max="{end}" value="{start}"></label>
<label>end <input id="end" type="number" min="{start}" max="{end}" value="{start}"></label>
<button id="select" type="button">Select</button>
<button id="match" type="button" disabled>Match</button>
<label>colour by <select id="cell-picker"><option value="">(none)</option></select></label>
</div>
<div id="status">Select a range.</div>
<div class="main">
<div><div id="text"></div><div id="legend"></div></div>
<div>
<h2>Selected cells</h2><ul id="selected-cells"></ul>
<h2>Their values around the range</h2>
<svg id="parallel" role="img" aria-label="values of the selected cells"></svg>
<h2>Matches</h2><ol id="matches"></ol>
</div>
</div>
<noscript>This page needs JavaScript for its interactions.</noscript>"""


def _render(hs, start, end, threshold):
    title = (f"{html.escape(hs.layer)}: {hs.n_cells} cells, steps {start}..{end} "
             f"of {hs.n_steps}")
    body = _BODY.format(title=title, threshold=repr(threshold), start=start, end=end)
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<style>{_asset('page.css')}</style>\n</head><body>\n"
            f"{body}\n<script type=\"application/json\" id=\"page-data\">"
            f"{_script_json(_page_data(hs, start, end, threshold))}</script>\n"
            f"<script>{_asset('views.js')}</script>\n<script>{_asset('page.js')}</script>\n"
            "</body></html>\n")


def interactive_page(hs, path=None, *, start=0, end=None, threshold=0.3, max_steps=20_000):
    """Write the interactive select/match page for steps ``start..end`` of ``hs``.

    See :meth:`HiddenStates.to_html` for the parameters and the page.

    Returns
    -------
    str
        The page's HTML (also written to ``path`` when given, as UTF-8).
    """
    start, end = check_steps(hs, start, end)
    threshold = check_threshold(threshold)
    max_steps = check_positive_int(max_steps, "max_steps")
    if end - start + 1 > max_steps:
        raise ValueError(
            f"the page would hold {end - start + 1} time steps (start={start}..end={end}), "
            f"more than max_steps={max_steps}; pass a shorter start..end range, or a larger "
            f"max_steps (the page embeds {hs.n_cells} values per step).")
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like file name, or None; got "
                        f"{type(path).__name__}.")
    page = _render(hs, start, end, threshold)
    if path is not None:
        with open(path, "w", encoding="utf-8") as out:
            out.write(page)
    return page
