import html.parser

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from skexplain import ExactShapley, Explanation  # noqa: E402
from skexplain.plotting import TextDisplay, get_display  # noqa: E402

TOKENS = ["the", "plot", "was", "not", "good"]
SCORES = np.array([0.0, 0.4, -0.1, -2.0, 1.0])


def token_explanation():
    data = np.array([TOKENS, ["a", "fine", "and", "warm", "film"]], dtype=object)
    return Explanation(np.vstack([SCORES, -SCORES]), np.zeros(2), data=data,
                       feature_names=[f"w{i}" for i in range(5)])


def is_red(rgba):
    return rgba[0] > rgba[2] + 0.01


def is_blue(rgba):
    return rgba[2] > rgba[0] + 0.01


def test_colours_order_and_bboxes(pyplot):
    pyplot.close("all")  # figures left by earlier tests; this one counts its own
    disp = TextDisplay.from_tokens(TOKENS, SCORES)
    assert [t.get_text() for t in disp.texts_] == TOKENS
    assert disp.colors_.shape == (5, 4)
    assert is_red(disp.colors_[1]) and is_red(disp.colors_[4])
    assert is_blue(disp.colors_[2]) and is_blue(disp.colors_[3])
    np.testing.assert_allclose(disp.colors_[0][:3], 1.0, atol=0.04)  # 0 is (nearly) white
    cmap = matplotlib.colormaps["RdBu_r"]
    np.testing.assert_allclose(disp.colors_[3], cmap(0.0))  # -max|v| is the darkest blue
    np.testing.assert_allclose(disp.colors_[4], cmap(0.75))  # 1 / 2 of the way up from 0
    for text, rgba in zip(disp.texts_, disp.colors_):
        np.testing.assert_allclose(text.get_bbox_patch().get_facecolor(), rgba)
    # Dark backgrounds get white letters.
    assert matplotlib.colors.to_rgba(disp.texts_[3].get_color()) == (1, 1, 1, 1)
    assert not disp.ax_.axison
    assert disp.colorbar_.ax.get_xlabel() == "value"
    assert pyplot.get_fignums() == [disp.figure_.number]


def test_vmax_and_label(pyplot):
    disp = TextDisplay.from_tokens("abc", [0.5, 0.0, -0.5], vmax=1.0, label="cell 7")
    assert [t.get_text() for t in disp.texts_] == ["a", "b", "c"]  # a string: its characters
    cmap = matplotlib.colormaps["RdBu_r"]
    np.testing.assert_allclose(disp.colors_[0], cmap(0.75))
    assert disp.colorbar_.mappable.norm.vmin == -1.0 and disp.colorbar_.ax.get_xlabel() == "cell 7"
    zeros = TextDisplay.from_tokens(["x", "y"], [0.0, 0.0])
    np.testing.assert_allclose(zeros.colors_[:, :3], 1.0, atol=0.04)


def test_wrapping_keeps_every_token_inside_the_axes(pyplot):
    tokens = [f"word{i}" for i in range(60)]
    disp = TextDisplay.from_tokens(tokens, np.linspace(-1, 1, 60))
    assert [t.get_text() for t in disp.texts_] == tokens
    pos = np.array([t.get_position() for t in disp.texts_])
    assert len(np.unique(pos[:, 1])) > 2  # several lines
    renderer = disp.figure_.canvas.get_renderer()
    ax_box = disp.ax_.get_window_extent(renderer)
    for text in disp.texts_:
        box = text.get_window_extent(renderer)
        assert ax_box.x0 - 1 <= box.x0 and box.x1 <= ax_box.x1 + 1
        assert ax_box.y0 - 1 <= box.y0 and box.y1 <= ax_box.y1 + 1
    # reading order: line by line, left to right
    order = np.lexsort((pos[:, 0], -pos[:, 1]))
    np.testing.assert_array_equal(order, np.arange(60))


def test_given_small_axes_shrinks_the_font_or_warns(pyplot):
    pyplot.close("all")  # figures left by earlier tests; this one counts its own
    fig, ax = pyplot.subplots(figsize=(6, 3))
    disp = TextDisplay.from_tokens(TOKENS * 4, np.tile(SCORES, 4), ax=ax)
    assert disp.ax_ is ax and pyplot.get_fignums() == [fig.number]
    fig2, ax2 = pyplot.subplots(figsize=(3, 1))
    with pytest.warns(UserWarning, match="do not fit the axes"):
        TextDisplay.from_tokens(TOKENS * 40, np.tile(SCORES, 40), ax=ax2)


def test_html_is_escaped_and_self_contained():
    disp = TextDisplay(["<script>alert(1)</script>", "&", "ok"], [1.0, -1.0, 0.25])
    out = disp.to_html()
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&amp;" in out

    class Spans(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.spans, self.data, self.tags = [], [], set()

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)
            if tag == "span":
                self.spans.append(dict(attrs))

        def handle_data(self, data):
            self.data.append(data)

    parser = Spans()
    parser.feed(out)
    assert parser.tags == {"div", "span"}  # no script, style sheet, image or link
    assert [s["title"] for s in parser.spans] == ["1", "-1", "0.25"]
    assert "rgb(103, 0, 31)" in parser.spans[0]["style"]  # the darkest red of RdBu_r
    assert "<script>alert(1)</script>" in parser.data  # the token text, shown as text


def test_from_explanation_tokens_rows_and_dispatch(pyplot):
    e = token_explanation()
    disp = e.plot("text", row=1)
    assert [t.get_text() for t in disp.texts_] == ["a", "fine", "and", "warm", "film"]
    assert is_blue(disp.colors_[1]) and is_red(disp.colors_[3])  # row 1 is -SCORES
    assert disp.colorbar_.ax.get_xlabel() == "attribution"
    named = Explanation(SCORES[None], np.zeros(1), feature_names=TOKENS)
    assert [t.get_text() for t in named.plot("text").texts_] == TOKENS
    numeric = Explanation(SCORES[None], np.zeros(1), data=np.ones((1, 5)), feature_names=TOKENS)
    assert [t.get_text() for t in numeric.plot("text").texts_] == TOKENS
    override = e.plot("text", row=-1, tokens=list("vwxyz"))
    assert [t.get_text() for t in override.texts_] == list("vwxyz")
    assert get_display("text") is TextDisplay


def test_multi_output_and_explainer_plot(pyplot):
    values = np.stack([np.vstack([SCORES, SCORES]), -np.vstack([SCORES, SCORES])], axis=-1)
    e = Explanation(values, np.zeros((2, 2)), feature_names=TOKENS, output_names=["neg", "pos"])
    with pytest.raises(ValueError, match="Choose one with output="):
        e.plot("text")
    disp = e.plot("text", output="pos")
    assert is_blue(disp.colors_[1]) and disp.colorbar_.ax.get_xlabel() == "attribution (pos)"
    np.testing.assert_allclose(e.plot("text", output=1).colors_, disp.colors_)
    rng = np.random.default_rng(0)
    explainer = ExactShapley(lambda X: X @ np.array([1.0, -1.0, 2.0])).fit(rng.normal(size=(5, 3)))
    disp = explainer.plot(np.array([[1.0, 1.0, 1.0]]), kind="text", tokens=["a", "b", "c"])
    assert is_red(disp.colors_[0]) and is_blue(disp.colors_[1])


def test_bad_inputs(pyplot):
    pyplot.close("all")  # figures left by earlier tests; this one counts its own
    e = token_explanation()
    values = e.values.copy()
    with pytest.raises(ValueError, match=r"tokens must be a list of 5 strings.*got shape \(2,\)"):
        e.plot("text", tokens=["a", "b"])
    with pytest.raises(ValueError, match="tokens must be a list of 5"):
        e.plot("text", tokens="abcde")
    with pytest.raises(IndexError, match="row=2 is out of range for an explanation of 2 rows"):
        e.plot("text", row=2)
    with pytest.raises(TypeError, match="row must be an integer position; got True"):
        e.plot("text", row=True)
    with pytest.raises(ValueError, match="one feature axis"):
        Explanation(np.ones((1, 2, 2)), np.zeros(1)).plot("text")
    with pytest.raises(ValueError, match=r"values must have shape \(2,\), one per token"):
        TextDisplay.from_tokens(["a", "b"], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"values must be finite.*\[1\]"):
        TextDisplay.from_tokens(["a", "b"], [1.0, np.nan])
    with pytest.raises(ValueError, match="vmax must be a positive number; got 0"):
        TextDisplay.from_tokens(["a"], [1.0], vmax=0)
    np.testing.assert_array_equal(e.values, values)
    assert pyplot.get_fignums() == []


def test_special_characters_are_drawn_verbatim(pyplot):
    disp = TextDisplay.from_tokens(["$x$", "a\nb", "50%"], [1.0, 0.0, -1.0])
    assert [t.get_text() for t in disp.texts_] == ["$x$", "a\\nb", "50%"]
    disp.figure_.canvas.draw()  # no mathtext parsing error
