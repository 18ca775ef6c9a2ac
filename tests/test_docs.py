"""The API reference is complete, without building it.

* every public name (``skexplain.__all__`` and the ``__all__`` of the public
  subpackages) is listed in an ``autosummary`` of ``docs/api.rst``;
* the class template renders the methods with their docstrings;
* every public method of every public class, and every public function, has a
  numpydoc docstring with Parameters (when it takes any), Returns and Examples.

"Public method" follows the rule that ``docs/conf.py`` applies when it renders
a class page: the members written in skexplain (inherited from ``BaseExplainer``
too), not those of scikit-learn, builtins or other libraries.
"""
import importlib
import importlib.util
import inspect
import pathlib
import re
import runpy

import pytest

import skexplain

docscrape = pytest.importorskip("numpydoc.docscrape")

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONF = runpy.run_path(str(DOCS / "conf.py"))
# subpackages whose __all__ is public API besides the top level (skexplain.utils has none)
PUBLIC_MODULES = ["skexplain"] + [f"skexplain.{name}" for name in
                                  (*skexplain._SUBMODULES, "audit")]


def public_names():
    """``{qualified name: object}`` of every public name, submodules' ``__all__`` included."""
    found, modules = {}, list(PUBLIC_MODULES)
    while modules:
        module = importlib.import_module(modules.pop(0))
        for name in getattr(module, "__all__", ()):
            if name.startswith("__"):  # __version__
                continue
            try:
                obj = getattr(module, name)
            except ModuleNotFoundError:  # a torch-only name (TorchModel) without torch
                continue
            if inspect.ismodule(obj) and callable(obj):  # the skexplain.audit package
                obj = getattr(obj, name)
            if inspect.ismodule(obj):  # skexplain.testing.metrics: document its names
                modules.append(obj.__name__)
                continue
            found[f"{module.__name__}.{name}"] = obj
    return found


def autosummary_entries(text):
    """The names listed in the autosummary directives of an rst text, qualified by
    the ``currentmodule`` in force."""
    entries, current, inside = [], None, False
    for line in text.splitlines():
        directive = re.match(r"\.\. (currentmodule|autosummary)::\s*(\S*)", line)
        if directive:
            inside = directive[1] == "autosummary"
            current = directive[2] if directive[1] == "currentmodule" else current
        elif inside and re.match(r"   \S", line) and not line.strip().startswith(":"):
            entries.append(f"{current}.{line.strip().lstrip('~')}")
        elif line.strip() and not line.startswith(" "):
            inside = False
    return entries


def resolve(qualified):
    module_name, _, rest = qualified.partition(".")
    obj = importlib.import_module(module_name)
    for part in rest.split("."):
        obj = getattr(obj, part)
    return obj  # as Sphinx imports it: skexplain.audit is the package, not the function


PUBLIC = public_names()
API_ENTRIES = autosummary_entries((DOCS / "api.rst").read_text(encoding="utf-8"))


def test_entries_are_found():
    assert len(PUBLIC) > 80 and "skexplain.testing.metrics.top_k_intersection" in PUBLIC
    assert "skexplain.KernelSHAP" in API_ENTRIES
    assert "skexplain.recurrent.HiddenStates" in API_ENTRIES
    assert autosummary_entries(".. currentmodule:: a\n\n.. autosummary::\n   :toctree: g\n\n"
                               "   B\n   c.d\n\ntext\n   e\n") == ["a.B", "a.c.d"]


@pytest.mark.parametrize("entry", API_ENTRIES)
def test_api_entry_is_public(entry):
    obj = resolve(entry)
    assert any(obj is public for public in PUBLIC.values()), (
        f"docs/api.rst lists {entry}, which is no public name")


def test_every_public_name_is_in_the_api_reference():
    listed = {id(resolve(entry)) for entry in API_ENTRIES}
    missing = sorted(name for name, obj in PUBLIC.items() if id(obj) not in listed)
    assert not missing, f"public names missing from docs/api.rst: {missing}"


def test_class_template_renders_methods():
    template = (DOCS / "_templates" / "autosummary" / "class.rst").read_text(encoding="utf-8")
    assert ":members:" in template and ":inherited-members:" in template
    assert CONF["numpydoc_show_class_members"] is False
    assert "_templates" in CONF["templates_path"]


def documented_callables():
    """``(name, function)`` of every public function and public class method."""
    out = {}
    for name, obj in PUBLIC.items():
        if inspect.isclass(obj):
            for attr, _ in inspect.getmembers(obj):
                member = inspect.getattr_static(obj, attr)
                function = getattr(member, "__func__", member)
                if (attr.startswith("_") or not inspect.isfunction(function)
                        or CONF["_defined_outside_skexplain"](function)):
                    continue  # private, a property or data, or sklearn's/builtins'
                out.setdefault(function.__qualname__, (f"{name}.{attr}", function))
        elif inspect.isfunction(obj):
            out.setdefault(obj.__qualname__, (name, obj))
    return sorted(out.values(), key=lambda item: item[0])


CALLABLES = documented_callables()


def test_callables_are_found():
    names = [name for name, _ in CALLABLES]
    for expected in ("skexplain.BaseExplainer.explain", "skexplain.Explanation.save",
                     "skexplain.plotting.BarDisplay.from_explanation", "skexplain.audit"):
        assert expected in names
    assert not any(name.endswith((".fit_transform", ".set_output")) for name in names)


def takes_parameters(function):
    params = list(inspect.signature(function).parameters)
    return bool(params[1:] if params and params[0] in ("self", "cls") else params)


@pytest.mark.parametrize("name, function", CALLABLES, ids=[name for name, _ in CALLABLES])
def test_docstring_sections(name, function):
    doc = docscrape.FunctionDoc(function)
    missing = [section for section, present in (
        ("Parameters", doc["Parameters"] or not takes_parameters(function)),
        ("Returns", doc["Returns"] or doc["Yields"]),
        ("Examples", doc["Examples"])) if not present]
    assert not missing, f"{name}'s docstring has no {' or '.join(missing)} section"


# ------------------------------------------------------------ build command
def test_build_command_treats_warnings_as_errors_and_runs_in_ci():
    makefile = (DOCS / "Makefile").read_text(encoding="utf-8")
    options = re.search(r"^SPHINXOPTS\s*\?=(.*)$", makefile, re.M)[1].split()
    assert "-W" in options and "--keep-going" in options
    assert "make -C docs html" in (ROOT / "README.rst").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "make -C docs html" in [line.strip() for line in ci]
    assert 'python -m pip install --quiet ".[docs]"' in [line.strip() for line in ci]


def test_gallery_runs_during_the_build_and_generated_files_are_ignored():
    assert CONF["sphinx_gallery_conf"]["examples_dirs"] == "../examples"
    assert "plot_gallery" not in CONF["sphinx_gallery_conf"]  # executed (the default)
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    for generated in ("docs/_build/", "docs/auto_examples/", "docs/gen_modules/",
                      "docs/sg_execution_times.rst"):
        assert generated in ignored


# -------------------------------------------------- the guide's code blocks
# Pages whose ``.. code-block:: python`` blocks run as they are, in order, each
# page in its own namespace (blocks are parsed as tests/test_readme.py does).
RUNNABLE_PAGES = ["quick_start.rst", "user_guide/auditing.rst", "user_guide/pipeline_steps.rst",
                  "user_guide/images.rst", "user_guide/recurrent.rst",
                  "user_guide/sanity_checks.rst", "user_guide/scaling.rst",
                  "user_guide/saving.rst"]


def python_blocks(page):
    from test_readme import literal_blocks

    text = (DOCS / page).read_text(encoding="utf-8")
    return [code for kind, code in literal_blocks(text) if kind == "python"]


@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_guide_code_blocks_run(page, tmp_path, monkeypatch):
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python code block"
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace, missing, ran = {"__name__": "__docs__"}, set(), 0
    for code in blocks:
        # a block that imports an optional extra that is not installed is left out
        # (the guide's torch and Dask blocks stand alone); the others still run
        needed = {m for m in ("torch", "distributed")
                  if re.search(rf"^\s*(import|from) {m}\b", code, re.M)}
        absent = {m for m in needed if importlib.util.find_spec(m) is None}
        if absent:
            missing |= absent
            continue
        exec(compile(code, page, "exec"), namespace)
        ran += 1
    if not ran:
        pytest.skip(f"every code block of {page} needs {sorted(missing)}, not installed")
