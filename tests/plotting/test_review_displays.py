"""Display inputs the authors did not choose: many rows, NaN attributions."""
import numpy as np
import pytest

from skexplain import Explanation
from skexplain.plotting import _heatmap


def test_heatmap_hclust_on_too_many_rows_falls_back_to_prediction_order(pyplot, monkeypatch):
    # the cap is lowered so that the test stays fast; 20000 rows took 49 s before
    monkeypatch.setattr(_heatmap, "MAX_HCLUST_ROWS", 30)
    values = np.random.default_rng(0).normal(size=(40, 3))
    e = Explanation(values, np.zeros(40))
    with pytest.warns(UserWarning, match="order='hclust' clusters at most 30 rows"):
        disp = e.plot("heatmap")
    np.testing.assert_array_equal(disp.row_order_,
                                  np.argsort(-values.sum(axis=1), kind="stable"))
    assert "by f(x) - E[f(X)]" in disp.ax_.get_xlabel()


@pytest.mark.parametrize("kind, kwargs", [("bar", {}), ("beeswarm", {}), ("heatmap", {}),
                                          ("scatter", {"feature": "b"}),
                                          ("waterfall", {"row": 2})])
def test_nan_attributions_are_refused_with_where_they_are_and_no_open_figure(pyplot, kind,
                                                                            kwargs):
    values = np.random.default_rng(0).normal(size=(5, 2))
    values[2, 1] = np.nan
    e = Explanation(values, np.zeros(5), data=np.ones((5, 2)), feature_names=["a", "b"])
    with pytest.raises(ValueError, match=rf"The '{kind}' plot needs finite attributions; "
                                         r".* 1 NaN or infinite value\(s\), the first at row "
                                         r"2, feature 'b'"):
        e.plot(kind, **kwargs)
    assert pyplot.get_fignums() == []
    assert np.isnan(e.values[2, 1])


def test_waterfall_of_a_finite_row_is_drawn_when_another_row_has_nan(pyplot):
    values = np.array([[1.0, 2.0], [np.nan, 1.0]])
    disp = Explanation(values, np.zeros(2)).plot("waterfall", row=0)
    assert disp.ax_ is not None
    values = np.array([[1.0, 2.0], [np.inf, 1.0]])
    with pytest.raises(ValueError, match="first at row 1, feature 'x0'"):
        Explanation(values, np.zeros(2)).plot("waterfall", row=-1)


@pytest.mark.parametrize("kind, kwargs", [("bar", {}), ("beeswarm", {}), ("heatmap", {}),
                                          ("waterfall", {"row": 0}),
                                          ("scatter", {"feature": 0, "color": 1})])
def test_a_very_long_feature_name_is_shortened_on_the_figure_only(pyplot, kind, kwargs):
    """A 200-character name used to squeeze the axes away (tight_layout gave up)."""
    long = "start_" + "x" * 200 + "_end"
    values = np.random.default_rng(0).normal(size=(30, 2))
    e = Explanation(values, np.zeros(30), data=np.random.default_rng(1).normal(size=(30, 2)),
                    feature_names=[long, "b"])
    disp = e.plot(kind, **kwargs)
    texts = ([t.get_text() for t in disp.ax_.get_yticklabels()]
             + [disp.ax_.get_xlabel(), disp.ax_.get_ylabel(), disp.ax_.get_title()])
    assert max(len(t) for t in texts) < 80, texts
    shortened = [t for t in texts if t.startswith("start_")]
    assert shortened and all("\u2026" in t and t.endswith("_end") or "_end " in t
                             for t in shortened), shortened
    if kind in ("bar", "beeswarm", "heatmap"):
        names = disp.feature_names if kind == "bar" else disp.feature_names_
        assert long in names  # attributes keep the full name


def test_dollar_signs_in_names_are_drawn_as_dollars_not_mathtext(pyplot):
    e = Explanation(np.array([[1.0, -2.0], [0.5, 3.0]]), np.zeros(2),
                    feature_names=["cost $5-$10", "b"])
    disp = e.plot("bar")
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert "cost \\$5-\\$10" in labels  # escaped: rendered as "cost $5-$10"
    disp.figure_.canvas.draw()
