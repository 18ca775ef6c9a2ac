"""``fill_doc`` and the gradient explainers' filled docstrings."""
import inspect

import pytest

import skexplain.gradient
from skexplain.utils._docstring import fill_doc

ENTRY = """
    alpha : float, default=1.0
        Strength.

        Second paragraph.
    """


def _documented(**snippets):
    @fill_doc(**snippets)
    class Documented:
        """Summary line.

        Parameters
        ----------
        %(alpha)s
        beta : int, default=2
            Kept as written; 100% literal.
        """

    return Documented


def test_fill_doc_substitutes_and_indents():
    doc = inspect.getdoc(_documented(alpha=ENTRY, unused="ignored"))
    assert doc == (
        "Summary line.\n\n"
        "Parameters\n----------\n"
        "alpha : float, default=1.0\n"
        "    Strength.\n"
        "\n"
        "    Second paragraph.\n"
        "beta : int, default=2\n"
        "    Kept as written; 100% literal."
    )


def test_fill_doc_indents_to_the_placeholder_line():
    # The raw __doc__ (not only getdoc's) must line the snippet up with its
    # neighbours, whatever indentation the compiler left in the docstring.
    lines = _documented(alpha=ENTRY).__doc__.splitlines()
    i = next(i for i, line in enumerate(lines) if "alpha :" in line)
    indent = lines[i][:lines[i].index("alpha")]
    assert lines[i + 1:i + 5] == [indent + "    Strength.", "", indent + "    Second paragraph.",
                                  indent + "beta : int, default=2"]


def test_fill_doc_result_parses_as_numpydoc():
    docscrape = pytest.importorskip("numpydoc.docscrape")
    params = docscrape.NumpyDocString(_documented(alpha=ENTRY).__doc__)["Parameters"]
    assert [(p.name, p.type) for p in params] == [("alpha", "float, default=1.0"),
                                                  ("beta", "int, default=2")]
    assert params[0].desc == ["Strength.", "", "Second paragraph."]


def test_fill_doc_missing_snippet_raises():
    with pytest.raises(KeyError, match=r"Documented uses %\(alpha\)s .*named 'alpha'"):
        _documented(other="text")


def test_fill_doc_without_docstring():
    def undocumented():
        pass

    assert fill_doc(alpha="x")(undocumented) is undocumented
    assert undocumented.__doc__ is None


GRADIENT_EXPLAINERS = [getattr(skexplain.gradient, name) for name in skexplain.gradient.__all__
                       if inspect.isclass(getattr(skexplain.gradient, name))]


@pytest.mark.parametrize("cls", GRADIENT_EXPLAINERS, ids=lambda c: c.__name__)
def test_gradient_docstrings_are_filled(cls):
    assert "%(" not in cls.__doc__
    docscrape = pytest.importorskip("numpydoc.docscrape")
    doc = docscrape.NumpyDocString(cls.__doc__)
    documented = [p.name for p in doc["Parameters"]]
    assert documented == list(inspect.signature(cls).parameters)
    assert {"model_", "background_", "expected_value_", "feature_shape_",
            "n_features_in_"} <= {a.name for a in doc["Attributes"]}
