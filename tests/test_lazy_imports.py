"""skexplain and skexplain.testing import their names on first use (PEP 562)."""
import json
import pathlib
import subprocess
import sys

import pytest

import skexplain
import skexplain.testing

ROOT = pathlib.Path(__file__).resolve().parents[1]


def modules_after(code):
    """The modules imported by ``code`` in a fresh interpreter on this source tree."""
    run = subprocess.run([sys.executable, "-c", code + "\nimport sys, json\n"
                          "print(json.dumps(sorted(sys.modules)))"], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout.splitlines()[-1]))


def test_import_skexplain_imports_no_explainer():
    modules = modules_after("import skexplain, skexplain.testing")
    assert {"skexplain", "skexplain.testing"} <= modules
    assert not {m for m in modules if m.split(".")[0] in ("numpy", "sklearn", "torch",
                                                          "matplotlib")}


def test_a_perturbation_explainer_does_not_import_the_gradient_ones():
    modules = modules_after("from skexplain import KernelSHAP\nimport skexplain\n"
                            "assert skexplain.KernelSHAP is KernelSHAP")
    assert "skexplain.perturbation._kernel_shap" in modules
    assert not {m for m in modules if m.startswith("skexplain.gradient") or m == "torch"}


@pytest.mark.parametrize("package", [skexplain, skexplain.testing], ids=lambda p: p.__name__)
def test_every_public_name_resolves(package):
    for name in package.__all__:
        assert getattr(package, name) is not None
        assert name in dir(package)
    namespace = {}
    exec(f"from {package.__name__} import *", namespace)
    assert set(package.__all__) <= set(namespace)


def test_submodules_are_attributes():
    assert skexplain.testing.metrics.spearman_rank_correlation is not None
    assert skexplain.gradient.__name__ == "skexplain.gradient"
    assert "plotting" in dir(skexplain)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="module 'skexplain' has no attribute 'Kernel'"):
        skexplain.Kernel  # noqa: B018
    with pytest.raises(ImportError, match="cannot import name 'nothing'"):
        exec("from skexplain.testing import nothing", {})


def test_the_torch_adapter_imports_without_torch():
    # TorchModel is public (skexplain.adapters) and documented: it must import on an
    # install without torch, which it only imports when a module is adapted
    # (a module-level torch import in a helper broke this once, seen only by CI's
    # run without torch)
    modules = modules_after("from skexplain.adapters import TorchModel\n"
                            "import skexplain._multi_input, skexplain.utils._baselines\n"
                            "import skexplain.perturbation._baselines")
    assert "skexplain.adapters._torch" in modules
    assert "torch" not in modules
