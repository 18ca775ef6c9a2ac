"""Every gallery script in examples/ runs (matplotlib Agg, no display); those that
import torch skip when torch (an optional extra) is not installed."""
import ast
import importlib.util
import pathlib
import runpy

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").rglob("plot_*.py"))
HAS_TORCH = importlib.util.find_spec("torch") is not None


def imports_torch(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    return any(name.split(".")[0] == "torch" for name in names)


def example_params():
    skip = pytest.mark.skip(reason="imports torch, an optional extra that is not installed")
    return [pytest.param(p, id=p.stem, marks=[skip] if not HAS_TORCH and imports_torch(p) else [])
            for p in EXAMPLES]


@pytest.mark.parametrize("path", example_params())
def test_example_runs(path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(path.parent)
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")


def test_examples_are_found():
    assert any(p.stem == "plot_exact_shapley" for p in EXAMPLES)
    by_stem = {p.stem: p for p in EXAMPLES}
    assert imports_torch(by_stem["plot_deeplift"])  # "import torch" and "from torch import nn"
    assert not imports_torch(by_stem["plot_exact_shapley"])
