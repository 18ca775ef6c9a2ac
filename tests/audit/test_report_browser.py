"""The audit report opens in a real browser (headless Chromium).

Skips only when no Chromium/Chrome executable exists. The screenshot of the
first screen is kept as an artifact: ``artifacts/report-first-screen.png``
under the repository root, or in the folder ``$SKEXPLAIN_ARTIFACTS``.
"""
import os
import pathlib

import numpy as np
import pytest

import _browser

SECTIONS = ("findings", "importance", "summary", "dependence", "example-rows", "sanity",
            "agreement", "details")
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def browser():
    path = _browser.find_browser()
    if path is None:
        pytest.skip(_browser.INSTALL_HINT)
    return path


def artifact_path(name):
    folder = pathlib.Path(os.environ.get("SKEXPLAIN_ARTIFACTS") or ROOT / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def decode_png(data, tmp_path):
    import matplotlib.image as mpimg

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "shot.png").write_bytes(data)
    return mpimg.imread(tmp_path / "shot.png")


def test_harness_reports_console_errors_failed_loads_and_exceptions(browser, tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<!doctype html><html><body><section id="s">text</section>'
                    '<img src="absent.png"><script>console.error("bad thing");'
                    'console.log("fine"); notDefined();</script></body></html>')
    rendered = _browser.render(page, browser=browser)
    errors = "\n".join(rendered.errors)
    assert "console.error: bad thing" in errors and "console.log" not in errors
    assert "ReferenceError: notDefined is not defined" in errors
    assert "ERR_FILE_NOT_FOUND" in errors and "absent.png" in errors
    assert 'id="s"' in rendered.dom
    assert decode_png(rendered.png, tmp_path).shape[:2] == (900, 1280)


def test_demo_report_renders_without_errors_and_shows_every_section(browser, tmp_path):
    from skexplain.audit import audit
    from skexplain.audit._demo import load_demo

    model, X, y = load_demo()
    report = audit(model, X, y, n_rows=30, n_background=30, random_state=0)
    path = report.to_html(tmp_path / "report.html")
    rendered = _browser.render(path, browser=browser)
    assert rendered.errors == []
    missing = [s for s in SECTIONS if f'id="{s}"' not in rendered.dom]
    assert not missing, f"sections absent from the rendered DOM: {missing}"
    assert 'id="per-class"' not in rendered.dom  # a regressor has no classes

    artifact = artifact_path("report-first-screen.png")
    artifact.write_bytes(rendered.png)
    pixels = decode_png(rendered.png, tmp_path)
    assert pixels.shape[:2] == (900, 1280)
    colours = np.unique(pixels[..., :3].reshape(-1, 3).round(2), axis=0)
    assert len(colours) > 20 and pixels[..., :3].std() > 0.05  # text and plots, not blank
