"""The pytest plugin, run on test files of its own with pytest's ``pytester``.

Most runs load the plugin with ``-p skexplain.testing.pytest_plugin`` and
plugin autoloading off, so that they behave the same from a source tree and
from an installed skexplain; the entry-point tests need the installed
distribution (as ``.ci/run`` installs it) and skip without one.
"""
import importlib
import importlib.metadata
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = "skexplain.testing.pytest_plugin"

# A Pipeline with a string column that never reads ``gender``.
MODEL = '''
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skexplain import ExactShapley
from skexplain.testing import assert_feature_unused, assert_top_features

rng = np.random.default_rng(0)
FRAME = pd.DataFrame({"age": rng.uniform(20, 70, 120),
                      "city": rng.choice(["paris", "lyon"], 120).astype(object),
                      "gender": rng.choice(["f", "m"], 120).astype(object)})
Y = (FRAME.age + 10 * (FRAME.city == "lyon") > 50).astype(int)
MODEL = make_pipeline(ColumnTransformer([("cat", OneHotEncoder(), ["city"]),
                                         ("num", "passthrough", ["age"])]),
                      LogisticRegression(max_iter=1000)).fit(FRAME, Y)


@pytest.fixture(scope="module")
def expl():
    return ExactShapley(MODEL, output=1).fit(FRAME[:30]).explain(FRAME[30:60])
'''

TESTS = MODEL + '''

@pytest.mark.explanation
def test_gender_unused(expl):
    assert_feature_unused(expl, "gender")


def test_city_on_top(expl):
    assert_top_features(expl, "city")


def test_equal(expl):
    other = ExactShapley(MODEL, output=1).fit(FRAME[:20]).explain(FRAME[30:60])
    assert expl == other


def test_approx(expl):
    assert expl == pytest.approx(expl.values * 1.01)
'''


@pytest.fixture
def run(pytester, monkeypatch):
    """``run(*args)``: pytest in-process on pytester's files, with the plugin."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    # imported here once, instead of in (and removed after) every in-process run
    for module in ("skexplain.perturbation", "skexplain.testing._assertions_features",
                   "skexplain.testing._plugin_repr", "skexplain.testing._plugin_report", PLUGIN):
        importlib.import_module(module)

    def run(*args):
        return pytester.runpytest("-p", PLUGIN, *args)
    return run


def test_outcomes_and_messages(pytester, run):
    pytester.makepyfile(test_audit=TESTS)
    result = run("--strict-markers")
    result.assert_outcomes(passed=1, failed=3)
    out = result.stdout.str()
    assert re.search(r"^E +AssertionError: features \['city'\] are not among the top 1 by mean "
                     r"\|attribution\| over 30 rows: 'city' has \S+ and 1 other features at "
                     r"least as much\.$", out, re.MULTILINE)
    # the traceback ends at the test's call, not inside the helper
    assert ">       assert_top_features(expl, \"city\")\nE       AssertionError" in out
    # Explanation == Explanation: names the entries and the features that differ
    result.stdout.fnmatch_lines([
        "*assert ExactShapley(n_rows=30, feature_shape=(3,)) == ExactShapley(n_rows=30, "
        "feature_shape=(3,))",
        "*values differ at * of 90 entries (exact comparison; pytest.approx(expected) allows a "
        "tolerance):",
        "*feature*rows differing*max |diff|*worst row*left*right",
    ])
    # pytest.approx: the same table with the tolerance of approx
    result.stdout.fnmatch_lines([
        "*values differ beyond pytest.approx's tolerance at * of 90 entries:",
        "*feature*rows differing*max |diff|*tolerance*worst row*values*expected",
    ])


def test_full_table_with_vv(pytester, run):
    pytester.makepyfile(test_eq=MODEL + '''
from skexplain import Explanation

def test_many_features():
    a = Explanation(np.zeros((2, 14)), np.zeros(2))
    b = Explanation(np.arange(28.0).reshape(2, 14), np.zeros(2))
    assert a == b
''')
    short, full = run(), run("-vv")
    short.stdout.fnmatch_lines(["*feature*rows differing*max |diff|*worst row*left*right",
                                "*x13 *2 of 2*27*1*0*27"])
    assert not re.search(r"^E +x0 ", short.stdout.str(), re.MULTILINE)  # 10 features at most
    full.stdout.fnmatch_lines(["*x1 *2 of 2*15*", "*x0 *1 of 2*14*"])
    assert "more differing features" not in full.stdout.str()


def test_report_json(pytester, run):
    pytester.makepyfile(test_audit=TESTS)
    result = run("--skexplain-report=out/report.json")
    result.stdout.fnmatch_lines(["*skexplain report: 2 explanation assertions (1 failed) "
                                 "written to *report.json*"])
    report = json.loads((pytester.path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"] == {"assertions": 2, "passed": 1, "failed": 1, "tests": 2}
    unused, top = report["assertions"]
    assert unused["test"] == "test_audit.py::test_gender_unused"
    assert unused["helper"] == "assert_feature_unused" and unused["passed"] is True
    assert unused["threshold"] == 0.01 and 0 <= unused["statistic"] < 1e-12
    assert top["test"] == "test_audit.py::test_city_on_top"
    assert top["helper"] == "assert_top_features" and top["passed"] is False
    assert (top["statistic"], top["threshold"]) == (2, 1)
    assert top["message"].startswith("features ['city'] are not among the top 1")


def test_report_html(pytester, run):
    pytester.makepyfile(test_audit=TESTS)
    run("--skexplain-report=report.html")
    text = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "2 assertions in 2 tests: 1 passed, 1 failed" in text
    assert '<tr class="failed"><td>test_audit.py::test_city_on_top</td>' in text
    data = re.search(r'<script type="application/json" id="skexplain-report-data">(.*)</script>',
                     text).group(1)
    assert json.loads(data)["summary"]["failed"] == 1
    assert "&lt;" not in data and "<" not in data.replace("<\\/", "")


def test_no_report_without_the_option(pytester, run):
    pytester.makepyfile(test_audit=TESTS)
    result = run()
    assert "skexplain report" not in result.stdout.str()
    assert not list(pytester.path.glob("*.json"))
    from skexplain.testing import _registry

    assert _registry._recorder is None  # the session's recorder is gone


def test_fitted_explainer_is_cached_across_tests(pytester, run):
    pytester.makepyfile(test_cache=MODEL + '''
SEEN = []
BACKGROUND = FRAME[:30]

@pytest.mark.parametrize("rows", [slice(0, 5), slice(5, 10)])
def test_explain(fitted_explainer, skexplain_explainer_cache, rows):
    explainer = fitted_explainer(ExactShapley, MODEL, BACKGROUND)
    SEEN.append(explainer)
    assert explainer.explain(FRAME[rows]).values.shape == (5, 3, 2)

def test_once(skexplain_explainer_cache, fitted_explainer):
    assert SEEN[0] is SEEN[1]
    assert (skexplain_explainer_cache.misses, skexplain_explainer_cache.hits) == (1, 1)
    other = fitted_explainer("ExactShapley", MODEL, BACKGROUND, output=1)
    assert other is not SEEN[0] and other.output == 1
    assert skexplain_explainer_cache.misses == 2
    with pytest.raises(KeyError, match="Unknown explainer 'Exact'"):
        fitted_explainer("Exact", MODEL, BACKGROUND)
''')
    run().assert_outcomes(passed=3)


def test_marker_is_registered(pytester, run):
    result = run("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.explanation: a test that asserts properties of "
                                 "model explanations*"])


def _cheap_import_modules(code):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code + "; import sys, json; "
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, env=env, cwd=str(ROOT.parent),
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_plugin_is_cheap():
    modules = _cheap_import_modules(f"import {PLUGIN}")
    assert PLUGIN in modules
    heavy = {m for m in modules if m.split(".")[0] in (
        "torch", "matplotlib", "numpy", "scipy", "pandas", "sklearn")}
    assert not heavy
    assert not {m for m in modules if m.startswith(("skexplain.perturbation",
                                                    "skexplain.gradient",
                                                    "skexplain.testing._assertions"))}


# ------------------------------------------------ the installed entry point
def _installed():
    try:
        return importlib.metadata.distribution("skexplain")
    except importlib.metadata.PackageNotFoundError:
        return None


def _entry_points():
    return [ep for ep in importlib.metadata.entry_points(group="pytest11")
            if ep.name == "skexplain"]


needs_install = pytest.mark.skipif(
    _installed() is None, reason="skexplain is not installed (run from a source tree): the "
    "pytest11 entry point exists only in an installed distribution")
# stale metadata fails test_entry_point_names_the_plugin; the runs need the entry point
needs_entry_point = pytest.mark.skipif(
    not _entry_points(), reason="the installed skexplain metadata has no pytest11 entry "
    "point (see test_entry_point_names_the_plugin)")


@needs_install
def test_entry_point_names_the_plugin():
    assert [ep.value for ep in _entry_points()] == [PLUGIN], (
        "the installed skexplain has no pytest11 entry point 'skexplain': its metadata "
        "predates setup.cfg's; reinstall (pip install -e . or pip install .)")


@pytest.fixture
def installed_run(pytester, monkeypatch):
    """pytest in a subprocess, plugins autoloaded from the entry points."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    # the subprocess imports the skexplain of this tree, as this process does
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return pytester.runpytest_subprocess


@needs_install
@needs_entry_point
def test_plugin_is_active_without_p(pytester, installed_run):
    pytester.makepyfile(test_audit=TESTS)
    result = installed_run("--strict-markers", "--skexplain-report=report.json", "-p",
                           "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    assert json.loads((pytester.path / "report.json").read_text())["summary"]["assertions"] == 2
    result.stdout.fnmatch_lines(["*values differ at * of 90 entries (exact comparison*"])


@needs_install
@needs_entry_point
def test_p_no_skexplain_disables_it(pytester, installed_run):
    pytester.makepyfile(test_audit=TESTS)
    result = installed_run("-p", "no:skexplain", "--skexplain-report=report.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --skexplain-report=report.json*"])
    result = installed_run("-p", "no:skexplain", "--strict-markers", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*'explanation' not found in `markers` configuration option*"])


def test_report_gathers_the_records_of_xdist_workers(tmp_path):
    # pytest-xdist: workers hand their records to the controller through
    # workeroutput (xdist's channel), and only the controller writes the file
    from types import SimpleNamespace

    from skexplain.testing import _registry
    from skexplain.testing.pytest_plugin import _ReportWriter

    path = tmp_path / "report.json"
    outputs = []
    for worker in range(2):
        writer = _ReportWriter(path)
        previous = _registry.install(writer.recorder)
        try:
            writer.recorder.current_test = f"test_{worker}"
            _registry.record("assert_additive", passed=bool(worker), statistic=worker,
                             threshold=0.5)
        finally:
            _registry.install(previous)
        config = SimpleNamespace(workeroutput={})
        writer.pytest_sessionfinish(SimpleNamespace(config=config))
        outputs.append(config.workeroutput)
    assert not path.exists()
    controller = _ReportWriter(path)
    for output in outputs:
        controller.pytest_testnodedown(SimpleNamespace(workeroutput=output), None)
    controller.pytest_sessionfinish(SimpleNamespace(config=SimpleNamespace()))
    report = json.loads(path.read_text())
    assert report["summary"]["assertions"] == 2 and report["summary"]["failed"] == 1
