"""Sphinx configuration: numpydoc API pages and a sphinx-gallery of examples/."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
import skexplain  # noqa: E402

project = "skexplain"
author = "skexplain developers"
release = version = skexplain.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build", "auto_examples/*.ipynb"]
html_theme = "alabaster"

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
}
