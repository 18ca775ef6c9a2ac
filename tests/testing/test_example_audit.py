"""examples/tabular/test_audit_pipeline.py, the audit module users copy, passes under pytest."""
import configparser
import json
import pathlib
import shutil

pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tabular" / "test_audit_pipeline.py"


def test_example_passes_and_pins_its_reference(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    args = ("-p", "skexplain.testing.pytest_plugin", "--strict-markers")
    first = pytester.runpytest(*args)
    first.assert_outcomes(passed=5, skipped=1)  # the reference is written
    assert (pytester.path / "audit_pipeline_reference.npz").exists()
    second = pytester.runpytest(*args, "--skexplain-report=audit.json")
    second.assert_outcomes(passed=6)
    report = json.loads((pytester.path / "audit.json").read_text(encoding="utf-8"))
    helpers = [r["helper"] for r in report["assertions"]]
    assert helpers == ["assert_additive", "assert_top_features", "assert_feature_unused",
                       "assert_sign", "assert_explanations_close",
                       "assert_passes_sanity_checks", "assert_passes_sanity_checks"]
    assert report["summary"]["failed"] == 0


def test_example_is_neither_collected_nor_a_gallery_script():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["tool:pytest"]["testpaths"].split() == ["tests", "skexplain"]
    assert not EXAMPLE.name.startswith("plot_")  # sphinx-gallery and test_examples run plot_*
    assert EXAMPLE.read_text(encoding="utf-8").startswith('"""\nAuditing')  # gallery title
