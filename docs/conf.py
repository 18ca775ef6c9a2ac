"""Sphinx configuration: numpydoc API pages and a sphinx-gallery of examples/.

Build with ``make -C docs html`` (warnings are errors; the gallery runs).
"""
import inspect
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
import skexplain  # noqa: E402

project = "skexplain"
author = "skexplain developers"
copyright = "skexplain developers"
release = version = skexplain.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
autosummary_generate = True
# the class template renders every method with its docstring (autoclass
# :members:), so numpydoc's own table of members would repeat them
numpydoc_show_class_members = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/**/*.ipynb",
                    "sg_execution_times.rst"]
html_theme = "pydata_sphinx_theme"
html_title = f"skexplain {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    # "Examples in the gallery using X" under each API page (the templates'
    # minigallery directive)
    "doc_module": ("skexplain",),
    "backreferences_dir": "gen_modules/backreferences",
    "write_computation_times": False,
}


def _defined_outside_skexplain(obj):
    """Whether a class member comes from scikit-learn, builtins or another library."""
    obj = getattr(obj, "fget", obj)  # a property: where its getter was written
    obj = inspect.unwrap(getattr(obj, "__func__", obj))
    return not (getattr(obj, "__module__", None) or "").startswith("skexplain")


def skip_foreign_members(app, what, name, obj, skip, options):
    """Render skexplain's own methods (inherited from BaseExplainer too), not
    scikit-learn's ``fit_transform``/``set_output`` or an exception's ``add_note``."""
    if what == "class" and _defined_outside_skexplain(obj):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_members)
