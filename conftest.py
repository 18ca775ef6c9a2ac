"""Test configuration shared by tests/ and the doctests in skexplain/.

torch is an optional extra, and ``python -m pytest`` must run every other test
without it.  Without torch:

* the modules of ``skexplain/`` that cannot be imported without torch (found by
  importing each module, so a new one is covered without a list to maintain)
  are left out of doctest collection (``collect_ignore``); any other import
  error is still reported by pytest;
* doctests that ``import torch`` are skipped with a reason;
* the pytest header says which modules were left out.

Torch tests under ``tests/`` skip with ``pytest.importorskip("torch")``, placed
at the top of modules that hold only torch tests (``tests/gradient/``,
``*_torch.py``) so that no sklearn-only test is skipped with them.
"""
import ast
import importlib
import importlib.util
import os
import pathlib
import sys

os.environ.setdefault("MPLBACKEND", "Agg")
import pytest  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None
_ROOT = pathlib.Path(__file__).resolve().parent
_NEEDS_TORCH = "needs torch, an optional extra (pip install '.[torch]')"


def _needs_torch(module_name):
    """Whether importing ``module_name`` fails only because torch is missing."""
    try:
        importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        return (exc.name or "").split(".")[0] == "torch"
    except Exception:  # a real error: let the doctest collector report it
        return False
    return False


def _imports_torch(source):
    """Whether a doctest example imports torch (``import numpy as np, torch`` too)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names]
    names += [node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module]
    return any(name.split(".")[0] == "torch" for name in names)


def torch_only_modules():
    """Paths (relative to the repository root) of skexplain modules needing torch."""
    found = []
    for path in sorted((_ROOT / "skexplain").rglob("*.py")):
        parts = path.relative_to(_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if _needs_torch(name):
            found.append(path.relative_to(_ROOT).as_posix())
    return found


collect_ignore = [] if HAS_TORCH else torch_only_modules()


def pytest_report_header(config):
    if HAS_TORCH:
        return None
    return (f"torch: not installed; torch tests skip and the doctests of "
            f"{len(collect_ignore)} modules that need it are not collected: "
            f"{', '.join(collect_ignore) or 'none'}")


def pytest_collection_modifyitems(config, items):
    """Without torch, skip the doctests whose examples import torch."""
    if HAS_TORCH:
        return
    skip = pytest.mark.skip(reason=_NEEDS_TORCH)
    for item in items:
        dtest = getattr(item, "dtest", None)  # doctest items only
        if dtest is not None and any(_imports_torch(example.source)
                                     for example in dtest.examples):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test or doctest drew (the docstring examples of every
    Display draw one; pyplot keeps them all and warns above 20)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
