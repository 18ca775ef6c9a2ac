""".ci/compare_runs.py: the torch-less CI run must run every test that is not
torch-only (a module-level importorskip after sklearn tests is caught)."""
import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compare_runs():
    spec = importlib.util.spec_from_file_location("compare_runs", ROOT / ".ci" / "compare_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def report(path, cases):
    """A junit XML report like pytest's: ``cases`` maps classname::name to a skip
    message, "failed" or None (passed)."""
    rows = []
    for key, outcome in cases.items():
        classname, name = key.split("::")
        inner = ("" if outcome is None else "<failure message='boom'/>" if outcome == "failed"
                 else f"<skipped message=\"{outcome}\"/>")
        rows.append(f'<testcase classname="{classname}" name="{name}">{inner}</testcase>')
    path.write_text("<testsuites><testsuite>" + "".join(rows) + "</testsuite></testsuites>")
    return path


WITH_TORCH = {
    "tests.adapters.test_adapters::test_not_a_model": None,
    "tests.adapters.test_adapters_torch::test_torch_bad_output": None,
    "tests.gradient.test_saliency::test_saliency": None,
    "tests.perturbation.test_exact::test_torch_module": None,
    "tests.perturbation.test_exact::test_shap_parity": None,
    "skexplain.testing._toy_torch::skexplain.testing._toy_torch.relu_module": None,
    "tests.test_base::test_xfail": "xfail",
    "tests.test_common::test_checks[Ridge]": None,
    "tests.test_common::test_checks[Sequential]": None,
}


def test_torch_only_tests_may_be_missing(compare_runs, tmp_path, monkeypatch):
    # the script runs where torch is missing; here a module "needs torch" by name
    monkeypatch.setattr(compare_runs, "needs_torch", lambda module: "torch" in module)
    without = {
        "tests.adapters.test_adapters::test_not_a_model": None,
        "tests.test_common::test_checks[Ridge]": None,
        "::tests.adapters.test_adapters_torch": "collection skipped",
        "tests.perturbation.test_exact::test_torch_module": "could not import 'torch'",
        "tests.perturbation.test_exact::test_shap_parity": "could not import 'shap'",
    }
    a, b = report(tmp_path / "a.xml", WITH_TORCH), report(tmp_path / "b.xml", without)
    assert compare_runs.main([str(a), str(b)]) == 0
    counts, problems = compare_runs.compare(compare_runs.outcomes(a), compare_runs.outcomes(b))
    assert not problems
    assert counts == {"passed": 2, "skipped (optional dependency)": 2,
                      "torch-only, not collected": 3,
                      "parametrizations made only with torch": 1}


@pytest.mark.parametrize("change, problem", [
    ({"tests.adapters.test_adapters::test_not_a_model": "absent"}, "not run without torch"),
    ({"tests.adapters.test_adapters::test_not_a_model": "flaky"}, "skipped without torch"),
    ({"tests.adapters.test_adapters::test_not_a_model": "failed"}, "failed without torch"),
    # a function none of whose parametrizations ran
    ({"tests.test_common::test_checks[Ridge]": "absent"}, "not run without torch"),
])
def test_sklearn_tests_must_run(compare_runs, tmp_path, capsys, change, problem):
    without = {k: None for k in WITH_TORCH
               if not any(word in k for word in ("torch", "gradient", "Sequential"))}
    without.update({k: v for k, v in change.items() if v != "absent"})
    for key in (k for k, v in change.items() if v == "absent"):
        without.pop(key)
    a, b = report(tmp_path / "a.xml", WITH_TORCH), report(tmp_path / "b.xml", without)
    assert compare_runs.main([str(a), str(b)]) == 1
    key = next(iter(change)).split("::")[1]
    assert f"{key}: {problem}" in capsys.readouterr().err


def test_an_empty_run_fails(compare_runs, tmp_path):
    a, b = report(tmp_path / "a.xml", WITH_TORCH), report(tmp_path / "b.xml", {})
    _, problems = compare_runs.compare(compare_runs.outcomes(a), compare_runs.outcomes(b))
    assert "no test passed without torch" in problems
