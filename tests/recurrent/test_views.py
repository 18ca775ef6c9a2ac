"""Text coloured by one cell (Karpathy et al. 2015): the Display and the HTML fragment."""
import html
import re
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

from skexplain.plotting import TextDisplay
from skexplain.recurrent import HiddenStates

matplotlib.use("Agg")


@pytest.fixture
def hs():
    states = np.zeros((8, 3))
    states[:, 0] = np.linspace(-0.8, 0.8, 8)
    states[:, 1] = [0, 0, 2.5, -4.0, 0, 0, 0, 0]   # unbounded: scaled to max |value|
    return HiddenStates(states, "ab(c)\nd<")


def test_display_shows_the_inclusive_range_of_one_cell(hs):
    import matplotlib.pyplot as plt

    disp = hs.plot_text(0, 2, 5)
    assert isinstance(disp, TextDisplay)
    assert [t.get_text() for t in disp.texts_] == ["(", "c", ")", "\\n"]  # drawn visibly
    np.testing.assert_array_equal(disp.values, hs.values[2:6, 0])
    assert disp.vmax == 1.0 and disp.label == "states[0]" and disp.spacing == 0.0
    # the colours are the diverging map at values / 1: negative blue, positive red
    assert disp.colors_[0][2] > disp.colors_[0][0] and disp.colors_[-1][0] > disp.colors_[-1][2]
    plt.close(disp.figure_)


def test_end_none_is_the_last_step_and_an_unbounded_cell_scales_to_its_largest_value(hs):
    import matplotlib.pyplot as plt

    disp = hs.plot_text(1)
    assert len(disp.texts_) == hs.n_steps
    assert disp.vmax == 4.0
    fig, ax = plt.subplots()
    assert hs.plot_text(1, 0, 1, ax=ax).ax_ is ax
    assert hs.plot_text(1, 0, 1).vmax == 1.0  # only the shown values count
    plt.close("all")


def test_cell_states_are_shown_through_tanh_and_labelled_so():
    import matplotlib.pyplot as plt

    layers = {"l0.hidden": np.zeros((3, 2)), "l0.cell": np.array([[3.0, 0], [-3, 0], [0, 0]])}
    cell = HiddenStates(layers, ["the", "cat", "sat"], layer="l0.cell")
    disp = cell.plot_text(0, fontsize=9)
    np.testing.assert_allclose(disp.values, np.tanh([3.0, -3.0, 0.0]))
    assert disp.vmax == 1.0 and disp.label == "tanh(l0.cell[0])"
    assert disp.spacing == 0.25  # words get a gap, characters do not
    plt.close(disp.figure_)


def test_html_fragment_is_the_displays_html_without_a_figure(hs):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fragment = hs.text_html(0, 4, 7)
    assert plt.get_fignums() == before
    expected = TextDisplay(list(")\nd<"), hs.values[4:8, 0], vmax=1.0, label="states[0]",
                           spacing=0.0).to_html()
    assert fragment == expected
    spans = re.findall(r"<span [^>]*>(.*?)</span>", fragment, flags=re.S)
    assert [html.unescape(s) for s in spans] == [")", "\n", "d", "<"]  # newline kept
    assert "&lt;" in fragment and "white-space: pre-wrap" in fragment
    titles = re.findall(r'title="([^"]*)"', fragment)
    np.testing.assert_allclose([float(t) for t in titles], hs.values[4:8, 0], rtol=1e-3)


def test_html_escapes_markup_in_tokens():
    tokens = ["<script>", "alert('x')", "</script>", "&amp;", '"q"']
    fragment = HiddenStates(np.ones((5, 1)) * 0.5, tokens).text_html(0)
    assert "<script" not in fragment and "&lt;script&gt;" in fragment
    assert "&amp;amp;" in fragment and "&quot;q&quot;" in fragment


@pytest.mark.parametrize("method", ["plot_text", "text_html"])
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(cell=3), ValueError, r"cell must be a cell index of layer 'states' in 0\.\.2; got 3"),
    (dict(cell=-1), ValueError, r"in 0\.\.2; got -1"),
    (dict(cell=1.0), TypeError, r"cell must be an integer cell index in 0\.\.2; got 1\.0"),
    (dict(cell=True), TypeError, r"cell must be an integer"),
    (dict(cell=0, start=-1), ValueError, r"start must be a time step in 0\.\.7 .*got -1"),
    (dict(cell=0, end=8), ValueError, r"end must be a time step in 0\.\.7 .*got 8"),
    (dict(cell=0, start=5, end=4), ValueError, r"start must be <= end .*start=5, end=4"),
    (dict(cell=0, start="1"), TypeError, r"start must be an integer time step in 0\.\.7; "
                                         r"got '1'"),
    (dict(cell=0, start=8), ValueError, r"start must be a time step in 0\.\.7"),
])
def test_bad_cell_or_range_is_a_clear_error(hs, method, kwargs, error, message):
    with pytest.raises(error, match=message):
        getattr(hs, method)(**kwargs)


def test_views_and_the_page_import_without_matplotlib():
    code = ("import sys, numpy as np\n"
            "from skexplain.recurrent import HiddenStates\n"
            "import skexplain.recurrent._views, skexplain.recurrent._page\n"
            "HiddenStates(np.zeros((4, 2)), 'abcd').to_html()\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
