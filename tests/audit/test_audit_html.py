"""The HTML report parses, embeds decodable PNGs, references nothing outside itself."""
import base64
import html
import io
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from skexplain.audit._html import SECTIONS
from audit_fixtures import (agg, binary_data, binary_report, linear_data,  # noqa: F401
                            linear_report)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.refs, self.open = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for key in ("src", "href", "srcset", "data", "action", "poster"):
            if key in attrs:
                self.refs.append((tag, key, attrs[key]))


@pytest.fixture(scope="module", params=["regression", "classification"])
def page(request, linear_report, binary_report, tmp_path_factory):
    report = linear_report if request.param == "regression" else binary_report
    path = report.to_html(tmp_path_factory.mktemp("html") / "report.html")
    text = path.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return request.param, text, parser


def test_sections_present_in_order(page):
    task, _, parser = page
    expected = [sid for sid, _, _ in SECTIONS if sid != "per-class" or task == "classification"]
    assert [i for i in parser.ids if i in dict((s[0], 1) for s in SECTIONS)] == expected
    assert ("per-class" in parser.ids) == (task == "classification")


def test_references_nothing_outside_itself(page):
    _, text, parser = page
    assert "link" not in parser.tags and "script" not in parser.tags
    assert "iframe" not in parser.tags
    for tag, key, value in parser.refs:
        assert value.startswith("data:image/png;base64,") or value.startswith("#"), (tag, key)
    # CSS: no url(...) and no @import
    assert "url(" not in text and "@import" not in text
    assert not re.search(r"https?://", text)


def test_every_embedded_image_decodes(page, agg):
    import matplotlib.image as mpimg

    _, _, parser = page
    images = [v for tag, key, v in parser.refs if tag == "img"]
    assert images  # the bar chart at least
    for uri in images:
        raw = base64.b64decode(uri.split(",", 1)[1], validate=True)
        assert raw.startswith(PNG_MAGIC)
        pixels = mpimg.imread(io.BytesIO(raw), format="png")
        assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100


def test_findings_and_numbers_are_in_the_page(page, linear_report, binary_report):
    task, text, _ = page
    report = linear_report if task == "regression" else binary_report
    for finding in report.findings:
        assert html.escape(finding["text"]) in text
    assert html.escape(report.explainer_reason) in text
    assert 'class="box"' in text  # summary box at the top


def test_json_round_trips_without_nan(linear_report, binary_report, tmp_path):
    for report in (linear_report, binary_report):
        path = report.to_json(tmp_path / "r.json")
        text = path.read_text()
        assert "NaN" not in text and "Infinity" not in text
        data = json.loads(text)
        assert data == json.loads(report.to_json())
        assert data["explainer"]["name"] == report.explainer_name
        assert [r["feature"] for r in data["importance"]] == report.to_frame()["feature"].tolist()
        assert data["findings"] == report.findings
        assert all(r["stderr"] is None for r in data["importance"])  # NaN -> null
        assert np.isclose(data["importance"][0]["mean_abs"],
                          report.to_frame()["mean_abs"].iloc[0])
        assert set(data["details"]["timings_s"]) == {"explain", "importance", "sanity",
                                                     "agreement", "figures"}


def test_to_html_returns_the_path(linear_report, tmp_path):
    path = linear_report.to_html(str(tmp_path / "x.html"))
    assert path.exists() and path.name == "x.html"


def test_each_figure_section_has_its_figures(linear_report, binary_report):
    for report in (linear_report, binary_report):
        figs = report.figures
        assert len(figs["importance"]) == 1
        expect = {"summary": 1, "dependence": len(report.top_features), "example_rows": 3}
        for section, count in expect.items():
            assert len(figs[section]) == count, section
        assert len(figs["per_class"]) == (report.task == "classification")
