"""The page with tokens the authors did not try (review of issue 14)."""
import json
import re

import numpy as np

import _browser
from skexplain.recurrent import HiddenStates


def test_lone_surrogate_tokens_are_written_and_kept(tmp_path):
    # tokens decoded with errors="surrogateescape": before, to_html raised
    # UnicodeEncodeError and left an empty file behind
    tokens = (b"ab\xff" * 4).decode("utf-8", errors="surrogateescape")
    assert "\udcff" in tokens
    hs = HiddenStates(np.linspace(-1, 1, 24).reshape(12, 2), list(tokens))
    path = tmp_path / "page.html"
    page = hs.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    data = re.search(r'id="page-data">(.*?)</script>', page, flags=re.S).group(1)
    assert json.loads(data)["tokens"] == list(tokens)
    if _browser.find_browser() is None:
        return
    rendered = _browser.render(path, actions=[
        ("eval", "Array.from(document.querySelectorAll('#text .tok')).map(function (e) {"
                 " return e.textContent.charCodeAt(0); })")])
    assert rendered.errors == []
    assert rendered.results[0] == [ord(t) for t in tokens]
