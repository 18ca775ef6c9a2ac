"""The interactive select/match page: the builder (Python) and the page in headless Chromium.

The browser tests skip only when no Chromium/Chrome executable exists.  They
plant known cells on during known ranges, select by real mouse drags and by
the inputs, and check the listed cells and the ranked matches.
"""
import base64
import json
import os
import pathlib
import re

import numpy as np
import pytest

import _browser
from skexplain.recurrent import HiddenStates

PLANTED = (2, 5, 9)
TWINS = ((40, 47), (200, 207), (1100, 1107))  # PLANTED on, nothing else, in each


def planted_states(n_steps=1200, n_cells=16, seed=0):
    """Noise in [-0.25, 0.25] (never on at 0.3) with cells planted on at 0.8.

    PLANTED is on during each range of TWINS; cell 7 also from step 35 to 47 (on
    before the first twin: off-before removes it); PLANTED + cell 11 during
    120..127 (Jaccard 3/4 with PLANTED); cells 2 and 5 only during 260..266.
    """
    rng = np.random.default_rng(seed)
    values = rng.uniform(-0.25, 0.25, (n_steps, n_cells)).astype(np.float32)
    for start, end in TWINS:
        values[start:end + 1, list(PLANTED)] = 0.8
    values[35:48, 7] = 0.8
    values[120:128, [2, 5, 9, 11]] = 0.8
    values[260:267, [2, 5]] = 0.8
    words = "the cat (sat) on 'the' mat & <b>said</b> \"hi\" " * 40
    text = "\n".join(words[i:i + 29] for i in range(0, len(words), 29))
    return HiddenStates(values, list(text[:n_steps]))


@pytest.fixture(scope="module")
def hs():
    return planted_states()


@pytest.fixture(scope="module")
def browser():
    path = _browser.find_browser()
    if path is None:
        pytest.skip(_browser.INSTALL_HINT)
    return path


def page_data(page):
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page,
                      flags=re.S)
    return json.loads(found.group(1))


def embedded_values(data):
    wire = "<f8" if data["dtype"] == "float64" else "<f4"
    return np.frombuffer(base64.b64decode(data["values"]), wire).reshape(-1, data["nCells"])


# ------------------------------------------------------------------ builder
def test_page_is_self_contained_and_written_to_path(hs, tmp_path):
    path = tmp_path / "page.html"
    page = hs.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!doctype html>") and '<meta charset="utf-8">' in page
    assert not re.search(r"\b(src|href)\s*=", page, flags=re.I)  # nothing to load
    assert not re.search(r"@import|url\(", page)
    assert page.count("<script") == 3  # the data, views.js, page.js: inline
    for element in ('id="selected-cells"', 'id="matches"', 'id="parallel"', 'id="text"',
                    'id="threshold" type="number" min="0" max="1" step="0.05"\n value="0.3"',
                    'id="off-before"', 'id="off-after"', 'id="cell-picker"'):
        assert element in page


def test_embedded_data_is_the_analysed_layer_at_its_precision(hs):
    data = page_data(hs.to_html())
    assert data["tokens"] == hs.tokens and data["first"] == 0
    assert data["dtype"] == "float32"
    np.testing.assert_array_equal(embedded_values(data), hs.values)  # bit for bit
    assert data["sequenceIds"] == [0] * hs.n_steps and data["threshold"] == 0.3
    assert not data["tanh"]

    cell = HiddenStates({"l0.cell": np.linspace(-3, 3, 12).reshape(6, 2)})  # float64, tanh
    data = page_data(cell.to_html(threshold=0.5))
    assert data["dtype"] == "float64" and data["threshold"] == 0.5 and data["tanh"]
    np.testing.assert_array_equal(embedded_values(data), np.tanh(cell.states))
    half = HiddenStates(np.full((3, 2), 0.7, np.float16))
    data = page_data(half.to_html())
    assert data["dtype"] == "float16"  # sent as float32: exact; compared in float16
    np.testing.assert_array_equal(embedded_values(data), half.values.astype(np.float32))


def test_a_window_carries_the_steps_next_to_it_for_the_off_masks(hs):
    data = page_data(hs.to_html(start=41, end=1099))
    assert (data["first"], data["start"], data["end"]) == (40, 41, 1099)
    assert data["tokens"] == hs.tokens[41:1100]
    np.testing.assert_array_equal(embedded_values(data), hs.values[40:1101])
    assert len(data["sequenceIds"]) == 1061
    data = page_data(hs.to_html(start=0, end=hs.n_steps - 1))
    assert (data["first"], len(data["sequenceIds"])) == (0, hs.n_steps)


def test_tokens_with_markup_quotes_and_newlines_are_data_not_html():
    tokens = ["<script>", "alert(1)", "</script>", "&amp;", '"', "'", "\n", "<!--", "\u2028"]
    page = HiddenStates(np.zeros((len(tokens), 2)), tokens).to_html()
    assert page.count("<script") == 3 and page.count("</script>") == 3
    assert "<!--" not in page and "&amp;" not in page
    assert page_data(page)["tokens"] == tokens


def test_title_escapes_the_layer_name():
    page = HiddenStates({"<b>&": np.zeros((3, 2))}).to_html()
    assert "<title>&lt;b&gt;&amp;: 2 cells" in page and "<b>&" not in page.split("<script")[0]


def test_more_steps_than_max_steps_is_an_error_never_a_truncation(hs):
    with pytest.raises(ValueError, match=r"the page would hold 1200 time steps "
                                         r"\(start=0\.\.end=1199\), more than max_steps=1000; "
                                         r"pass a shorter start\.\.end range"):
        hs.to_html(max_steps=1000)
    assert len(page_data(hs.to_html(start=100, end=1099, max_steps=1000))["tokens"]) == 1000


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(threshold=1.5), ValueError, r"threshold must be a number in \[0, 1\]; got 1\.5"),
    (dict(start=-1), ValueError, r"start must be a time step in 0\.\.1199"),
    (dict(end=1200), ValueError, r"end must be a time step in 0\.\.1199 .*got 1200"),
    (dict(start=9, end=3), ValueError, r"start must be <= end .*start=9, end=3"),
    (dict(max_steps=0), ValueError, r"max_steps must be a positive integer; got 0"),
    (dict(path=3), TypeError, r"path must be a str or path-like file name, or None; got int"),
])
def test_bad_arguments_are_clear_errors(hs, kwargs, error, message):
    with pytest.raises(error, match=message):
        hs.to_html(**kwargs)


# ------------------------------------------------------------------ browser
CELLS = "Array.from(document.querySelectorAll('#selected-cells li')).map(e => +e.dataset.cell)"
MATCHES = ("Array.from(document.querySelectorAll('#matches li')).map(e => [+e.dataset.start, "
           "+e.dataset.end, +e.dataset.score, +e.dataset.shared, +e.dataset.union])")
MARKED = "Array.from(document.querySelectorAll('#text .tok.%s')).map(e => +e.dataset.step)"
STATUS = "[document.getElementById('status').textContent, document.getElementById('status')" \
         ".className]"


def artifact_path(name):
    """Where a screenshot is kept, as for the audit report (``$SKEXPLAIN_ARTIFACTS``)."""
    root = pathlib.Path(__file__).resolve().parents[2]
    folder = pathlib.Path(os.environ.get("SKEXPLAIN_ARTIFACTS") or root / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def tok(step):
    return f'#text .tok[data-step="{step}"]'


def assert_clean(rendered, path):
    assert rendered.errors == []
    assert rendered.requests == [path.resolve().as_uri()]  # the page itself, nothing else


def test_mouse_drag_selects_the_planted_cells_and_match_finds_the_planted_ranges(
        hs, browser, tmp_path):
    path = tmp_path / "page.html"
    hs.to_html(path)
    rendered = _browser.render(path, browser=browser, actions=[
        ("drag", tok(40), tok(47)),
        ("eval", f"[{CELLS}, {MARKED % 'sel'}, document.getElementById('start').value, "
                 "document.getElementById('end').value]"),
        ("click", "#off-before"),                      # cell 7 was on at step 39
        ("eval", CELLS),
        ("click", "#match"),
        ("eval", MATCHES),
        ("click", "#matches li:nth-child(3)"),        # the twin at 1100..1107, far below
        ("eval", f"""[{MARKED % 'hit'}, (function () {{
            var box = document.getElementById('text').getBoundingClientRect();
            var tok = document.querySelector('{tok(1100)}').getBoundingClientRect();
            return tok.top >= box.top && tok.bottom <= box.bottom;
         }})()]"""),
    ])
    assert_clean(rendered, path)
    cells, marked, start, end = rendered.results[1]
    assert cells == [2, 5, 7, 9] and marked == list(range(40, 48)) and (start, end) == ("40",
                                                                                       "47")
    assert rendered.results[3] == list(PLANTED)
    matches = rendered.results[5]
    assert [m[:2] for m in matches] == [[40, 47], [200, 207], [1100, 1107], [120, 127],
                                        [260, 266]]
    np.testing.assert_array_equal([m[2:] for m in matches],
                                  [[1, 3, 3]] * 3 + [[0.75, 3, 4], [2 / 3, 2, 3]])
    assert matches == [[m.start, m.end, m.score, m.n_shared, m.n_union]
                       for m in hs.match(list(PLANTED), off_before=True)]
    hit, visible = rendered.results[7]
    assert hit == list(range(1100, 1108)) and visible  # highlighted and scrolled to
    artifact_path("recurrent-page-first-screen.png").write_bytes(rendered.png)


def test_inputs_and_button_select_and_match_without_constraints(hs, browser, tmp_path):
    path = tmp_path / "page.html"
    hs.to_html(path)
    set_range = ("document.getElementById('start').value = 200; "
                 "document.getElementById('end').value = 207; true")
    rendered = _browser.render(path, browser=browser, actions=[
        ("eval", set_range), ("click", "#select"), ("eval", CELLS),
        ("click", "#match"), ("eval", MATCHES),
        ("eval", "var t = document.getElementById('threshold'); t.value = '0.9'; "
                 "t.dispatchEvent(new Event('change')); true"),
        ("eval", f"[{CELLS}, {STATUS}, document.getElementById('match').disabled]"),
    ])
    assert_clean(rendered, path)
    assert rendered.results[2] == list(PLANTED)
    matches = rendered.results[4]
    # without off-before, cell 7 joins PLANTED at 40..47: Jaccard 3/4, tied with 120..127
    assert [m[:3] for m in matches] == [[200, 207, 1], [1100, 1107, 1], [40, 47, 0.75],
                                        [120, 127, 0.75], [260, 266, 2 / 3]]
    assert matches == [[m.start, m.end, m.score, m.n_shared, m.n_union]
                       for m in hs.match(hs.select(200, 207))]
    cells, (status, kind), disabled = rendered.results[6]
    assert cells == [] and disabled and kind == "" and status.startswith("0 cells on (>= 0.9)")


def test_picking_a_cell_colours_the_text_by_its_value(hs, browser, tmp_path):
    path = tmp_path / "page.html"
    hs.to_html(path)
    colours = ("[1, 40, 120].map(s => getComputedStyle(document.querySelector("
               "'#text .tok[data-step=\"' + s + '\"]')).backgroundColor)")
    rendered = _browser.render(path, browser=browser, actions=[
        ("drag", tok(200), tok(203)), ("click", '#selected-cells li[data-cell="5"]'),
        ("eval", f"[{colours}, document.getElementById('cell-picker').value, "
                 "document.getElementById('legend').textContent]"),
        ("eval", "var p = document.getElementById('cell-picker'); p.value = ''; "
                 f"p.dispatchEvent(new Event('change')); {colours}"),
    ])
    assert_clean(rendered, path)
    (quiet, on, on_too), picked, legend = rendered.results[2]
    rgb = [tuple(map(int, re.findall(r"\d+", c)[:3])) for c in (quiet, on, on_too)]
    assert picked == "5" and legend.startswith("states[5]: red positive")
    assert on == on_too and rgb[1] == (178, 24, 43)  # 0.8: RdBu_r(0.9), red
    assert min(rgb[0]) > 170  # |noise| <= 0.25: pale
    assert rendered.results[3] == ["rgba(0, 0, 0, 0)"] * 3  # none: uncoloured


def test_window_page_uses_the_step_before_it_and_refuses_ranges_across_sequences(
        browser, tmp_path):
    hs = planted_states(n_steps=300)
    path = tmp_path / "window.html"
    hs.to_html(path, start=40, end=299)
    ids = np.repeat([0, 1], [150, 150])
    split = tmp_path / "split.html"
    HiddenStates(hs.states, hs.tokens, sequence_ids=ids).to_html(split)
    select = ("window.skexplainPage.select(%d, %d, 0.3, %s, false)")
    rendered = _browser.render(path, browser=browser, actions=[
        ("eval", f"[{select % (40, 47, 'false')}, {select % (40, 47, 'true')}]"),
        ("eval", "try { window.skexplainPage.select(39, 47, 0.3, false, false) } "
                 "catch (e) { e.message }"),
    ])
    assert_clean(rendered, path)
    assert rendered.results[0] == [[2, 5, 7, 9], [2, 5, 9]]  # 7 is on at 39, off the page
    assert rendered.results[1].startswith("the range must satisfy 40 <= start <= end <= 299")
    rendered = _browser.render(split, browser=browser, actions=[
        ("eval", "document.getElementById('start').value = 148; "
                 "document.getElementById('end').value = 151; true"),
        ("click", "#select"), ("eval", STATUS),
        ("eval", "document.getElementById('threshold').value = '2'; true"),
        ("drag", tok(200), tok(203)), ("eval", STATUS),
        ("eval", "document.querySelector('.tok.seq-start').dataset.step"),
        ("eval", "document.getElementById('threshold').value = '0.3'; "
                 "document.getElementById('start').value = ''; true"),
        ("click", "#select"), ("eval", STATUS),
    ])
    assert_clean(rendered, split)
    assert rendered.results[2] == ["the range 148..151 spans two sequences (a new one starts "
                                   "at step 150); a range must lie within one sequence.",
                                   "error"]
    assert rendered.results[5] == ["the threshold must be a number in [0, 1]; got '2'.",
                                   "error"]
    assert rendered.results[6] == "150"
    assert rendered.results[9] == ["the range must satisfy 0 <= start <= end <= 299; got "
                                   "NaN..151.", "error"]  # an empty box is not step 0


def test_the_page_assets_ship_as_package_data():
    import configparser
    import fnmatch
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    config = configparser.ConfigParser()
    config.read(root / "setup.cfg")
    patterns = [p.strip() for p in
                config["options.package_data"]["skexplain.recurrent"].split(",")]
    assets = root / "skexplain" / "recurrent" / "_page_assets"
    files = sorted(f.relative_to(assets.parent).as_posix() for f in assets.iterdir())
    assert files == ["_page_assets/page.css", "_page_assets/page.js", "_page_assets/views.js"]
    assert all(any(fnmatch.fnmatch(f, p) for p in patterns) for f in files)


def test_match_scores_at_most_1000_candidates_as_lstmvis(browser, tmp_path):
    # cell 0 is on in 1001 runs of 2 steps; cell 1 is on too during the first 1000, so
    # the last run is the only one whose cells are exactly {0} -- and the 1001st candidate
    values = np.zeros((3003, 2), np.float32)
    for k in range(1001):
        values[3 * k:3 * k + 2, 0] = 0.9
    values[:3000, 1] = 0.9
    path = tmp_path / "limit.html"
    HiddenStates(values).to_html(path)
    rendered = _browser.render(path, browser=browser, actions=[
        ("eval", "window.skexplainPage.match([0], 0.3, false, false).map("
                 "m => [m.start, m.end, m.score])")])
    assert_clean(rendered, path)
    found = rendered.results[0]
    assert len(found) == 50 and found[0] == [0, 1, 0.5]  # not [3000, 3001, 1]
    assert all(score == 0.5 for _, _, score in found)
    assert found == [[m.start, m.end, m.score] for m in HiddenStates(values).match([0])]


def test_the_float16_rounding_fallback_is_numpys(browser, tmp_path):
    # browsers without Math.f16round round float16 thresholds with views.js's own
    rng = np.random.default_rng(0)
    grid = np.arange(0, 2049) / 2048                      # ties at every other float16
    ties = (np.arange(1024, 2048) + 0.5) * 2.0 ** -11
    small = (np.arange(0, 64) + 0.5) * 2.0 ** -24         # subnormal float16 ties
    x = np.concatenate([rng.random(2000), grid, ties, small, [0.3, 0.45, 0.7, 1.0, 0.0]])
    path = tmp_path / "f16.html"
    HiddenStates(np.zeros((2, 1))).to_html(path)
    rendered = _browser.render(path, browser=browser, actions=[
        ("eval", f"{json.dumps(x.tolist())}.map(window.skexplainViews.f16roundFallback)")])
    assert_clean(rendered, path)
    np.testing.assert_array_equal(rendered.results[0], x.astype(np.float16).astype(float))


# ------------------------------------------- the page computes what Python computes
def random_states(dtype, layer, kind="walk", seed=0):
    """Random states over three sequences.

    "walk": smooth random walks (long runs, large selections); unless a cell
    layer (tanh applied), 5% of the values >= 0.7 are set to float32(0.7) --
    on at threshold 0.7 compared in float32, off in float64 -- and 5% of those
    in [0.45, 0.7) to float16(0.45), on at 0.45 only in float16.  "iid":
    independent uniform values: short runs, so match meets its limit of 1000
    candidates.
    """
    rng = np.random.default_rng(seed)
    if kind == "iid":
        states = rng.uniform(-1, 1, (8000, 30)).astype(dtype)
    else:
        walk = np.cumsum(rng.normal(0, 0.35, (3000, 40)), axis=0)
        states = (walk / 3 if layer.endswith("cell") else np.tanh(walk / 3)).astype(dtype)
        if not layer.endswith("cell"):
            edge = rng.random(states.shape) < 0.05
            high = states >= 0.7
            states[edge & (states >= 0.45) & ~high] = np.float16(0.45)
            states[edge & high] = np.float32(0.7)
    n = len(states)
    ids = np.repeat([0, 1, 2], [n // 3, n // 3, n - 2 * (n // 3)])
    return HiddenStates({layer: states}, sequence_ids=ids)


def random_queries(hs, seed=1, n=30):
    rng = np.random.default_rng(seed)
    queries = []
    for threshold in (0.3, 0.45, 0.7):
        for _ in range(n):
            start = int(rng.integers(0, hs.n_steps - 8))
            end = start + int(rng.integers(0, 8))
            if hs.sequence_ids[start] != hs.sequence_ids[end]:
                continue
            queries.append([start, end, threshold, bool(rng.random() < 0.5),
                            bool(rng.random() < 0.5)])
    return queries


COMPARE = """(function (queries) {
  var P = window.skexplainPage;
  return queries.map(function (q) {
    var cells = P.select(q[0], q[1], q[2], q[3], q[4]);
    var found = cells.length ? P.match(cells, q[2], q[3], q[4]) : [];
    return [cells, found.map(function (m) {
      return [m.start, m.end, m.score, m.nShared, m.nUnion, m.cells];
    })];
  });
})(%s)"""


@pytest.mark.parametrize("dtype, layer, kind", [
    (np.float32, "hidden", "walk"), (np.float64, "hidden", "walk"),
    (np.float16, "hidden", "walk"),
    (np.float32, "l0.cell", "walk"), (np.float32, "hidden", "iid")])
def test_page_select_and_match_equal_hidden_states_select_and_match(browser, tmp_path, dtype,
                                                                     layer, kind):
    hs = random_states(dtype, layer, kind)
    path = tmp_path / "random.html"
    hs.to_html(path)
    queries = random_queries(hs)
    rendered = _browser.render(path, browser=browser, timeout=180,
                               actions=[("eval", COMPARE % json.dumps(queries))])
    assert_clean(rendered, path)
    n_matched = 0
    for (start, end, threshold, before, after), (cells, found) in zip(queries,
                                                                      rendered.results[0]):
        expected = hs.select(start, end, threshold=threshold, off_before=before,
                             off_after=after)
        assert cells == expected.tolist(), (start, end, threshold, before, after)
        if not cells:
            continue
        matches = hs.match(expected, threshold=threshold, off_before=before, off_after=after)
        assert found == [[m.start, m.end, m.score, m.n_shared, m.n_union, m.cells.tolist()]
                         for m in matches], (start, end, threshold, before, after)
        n_matched += 1
    assert n_matched >= 20  # the comparison is not vacuous
