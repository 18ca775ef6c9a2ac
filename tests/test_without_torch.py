"""The suite runs without torch, an optional extra.

pytest runs in a subprocess whose site-packages is a copy of this one (links)
without torch: Python starts with ``-S`` and adds that folder as its site.  The
doctests of skexplain/ must pass or skip (no collection error), and every test
of a module that is not torch-only (``tests/gradient/``, ``*_torch.py``) must be
collected: a module-level ``pytest.importorskip("torch")`` below sklearn tests
would skip them silently.  ``.ci/run`` also runs the whole suite in a fresh
virtual environment without torch.
"""
import ast
import importlib.util
import pathlib
import site
import subprocess
import sys

import pytest

# Without torch the whole run is the check (and .ci/run compares it with the run
# with torch); hiding torch again would only repeat it.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                reason="torch is not installed: this whole run is the check")

ROOT = pathlib.Path(__file__).resolve().parents[1]
# torch's packages, and the editable install of skexplain (the subprocess
# imports the skexplain of ROOT, its working directory)
HIDDEN = ("torch", "torchgen", "functorch", "__editable__", "skexplain")
RUN_PYTEST = """import site, sys
site.addsitedir(sys.argv.pop(1))
import skexplain, pytest
assert skexplain.__file__.startswith(sys.argv.pop(1)), skexplain.__file__
sys.exit(pytest.main(sys.argv[1:]))"""


@pytest.fixture(scope="module")
def site_without_torch(tmp_path_factory):
    """A folder of links to every site-packages entry except torch's."""
    folder = tmp_path_factory.mktemp("site_without_torch")
    for packages in map(pathlib.Path, site.getsitepackages()):
        for entry in packages.iterdir():
            name = entry.name.split("-")[0].split(".")[0].lower()
            if name not in HIDDEN and not entry.name.startswith("__editable__") and not (
                    folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return folder


def pytest_without_torch(site_dir, *args):
    command = [sys.executable, "-S", "-c", RUN_PYTEST, str(site_dir), str(ROOT), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)


def is_torch_only(path):
    rel = path.relative_to(ROOT / "tests")
    return rel.parts[0] == "gradient" or path.stem.endswith("_torch")


def defined_tests(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test")]


def test_torch_is_hidden(site_without_torch):
    code = "import importlib.util as u; print(u.find_spec('torch'), u.find_spec('sklearn'))"
    run = subprocess.run([sys.executable, "-S", "-c", "import site, sys; site.addsitedir("
                          f"{str(site_without_torch)!r}); {code}"], capture_output=True,
                         text=True, cwd=ROOT)
    assert run.stdout.startswith("None ModuleSpec(name='sklearn'"), run.stdout + run.stderr


def test_doctests_pass_or_skip_without_torch(site_without_torch):
    run = pytest_without_torch(site_without_torch, "-rs", "skexplain")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    # the modules that import torch at module level are named, not silently dropped
    assert "torch: not installed" in out
    for module in ("skexplain/gradient/_engine.py", "skexplain/gradient/_hooks.py",
                   "skexplain/testing/_toy_torch.py"):
        assert module in out
    assert "needs torch, an optional extra" in out  # doctests that import torch skip
    assert " passed" in out


def test_every_sklearn_test_is_collected_without_torch(site_without_torch):
    run = pytest_without_torch(site_without_torch, "--collect-only", "-q", "tests")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    collected = {line.split("[")[0] for line in run.stdout.splitlines() if "::" in line}
    modules = [p for p in sorted((ROOT / "tests").rglob("test_*.py")) if not is_torch_only(p)]
    assert len(modules) > 10
    missing = [f"{p.relative_to(ROOT).as_posix()}::{name}" for p in modules
               for name in defined_tests(p)
               if f"{p.relative_to(ROOT).as_posix()}::{name}" not in collected]
    assert not missing, f"not collected without torch: {missing}"
    assert "tests/adapters/test_adapters.py::test_not_a_model" in collected
    assert "tests/testing/test_sanity.py::test_sanity_report_bad_arguments" in collected
