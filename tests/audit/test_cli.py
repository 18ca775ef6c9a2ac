"""``skexplain audit``: success, the demo, every error path.

Each exit status (sysexits.h codes, documented in ``skexplain audit --help``)
is checked through a real subprocess (``cli``); the other messages of the same
status go through ``main()`` in this process (``inproc``, same argv, same
stdout/stderr/exit status), because each subprocess pays about 5 s of imports.
Each error checks that stderr names the option or file, what was expected and
what was found.
"""
import os
import pathlib
import subprocess
import sys
import types

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import skexplain
from skexplain.audit._cli import main
from skexplain.audit._loading import LoadError, load_model

SOURCE_ROOT = str(pathlib.Path(skexplain.__file__).resolve().parents[1])


def cli(*args, cwd):
    """Run ``python -m skexplain *args`` importing this skexplain; a CompletedProcess."""
    path = os.pathsep.join(filter(None, [SOURCE_ROOT, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "skexplain", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def inproc(monkeypatch, capsys):
    """Like ``cli`` but calling ``main()`` here: a result with returncode, stdout, stderr."""
    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        try:
            code = main(list(map(str, args)))
        except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
            code = exc.code
        captured = capsys.readouterr()
        return types.SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)
    return run


@pytest.fixture
def table(tmp_path):
    """A CSV with columns a, b, c and target y (y = 3a - 2b, c unused)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    frame["y"] = 3 * frame["a"] - 2 * frame["b"]
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.fixture
def joblib_model(tmp_path, table):
    _, frame = table
    model = LinearRegression().fit(frame[["a", "b", "c"]], frame["y"])
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    return path


def error_of(result, code):
    """stderr's last line (after any progress bar), checked to be one error message."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("skexplain audit: error: "), result.stderr
    return last


def test_trusted_joblib_model_on_csv_writes_report_and_json(tmp_path, table, joblib_model):
    data, _ = table
    result = cli("audit", "--model", joblib_model, "--trust-model", "--data", data,
                 "--target", "y", "--out", "out/audit.html", "--json", "audit.json",
                 "--rows", 20, "--background", 20, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "audit.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and 'id="findings"' in html
    assert (tmp_path / "audit.json").stat().st_size > 0
    assert "Findings" in result.stdout and "out/audit.html" in result.stdout
    assert "3 columns" in result.stdout


def test_demo_by_default_writes_report(tmp_path):
    result = cli("--out", "tmp/report.html", "--rows", 20, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "tmp" / "report.html").read_text(encoding="utf-8")
    for section in ("findings", "importance", "dependence", "sanity", "agreement"):
        assert f'id="{section}"' in html
    assert "sex" in html  # the string column of the demo is audited as one column
    out = result.stdout
    assert "Demo: diabetes" in out and "Explainer:" in out and "Findings" in out
    assert "Report written to tmp/report.html" in out


def test_dataset_is_for_the_demo_only(inproc, tmp_path):
    result = inproc("audit", "--quiet", "--dataset", "iris", "--model", "m.skops", "--data",
                 "d.csv", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "--dataset chooses the embedded demo" in result.stderr


def test_help_documents_exit_codes(inproc, tmp_path):
    result = inproc("audit", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for code in ("65", "66", "69", "73", "77", "EX_NOPERM", "--trust-model"):
        assert code in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--model", "m.joblib"], "--model needs --data"),
    (["--data", "d.csv"], "--data needs --model"),
    (["--rows", "0"], "argument --rows: expected a positive integer; got 0"),
    (["--explainer", "lime"], "argument --explainer: invalid choice: 'lime'"),
    (["--target", "y"], "--target applies to --model/--data"),
])
def test_usage_errors_exit_2(inproc, tmp_path, args, message):
    result = inproc("audit", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert "usage: skexplain audit" in result.stderr and message in result.stderr


def test_usage_error_without_command_exits_2(tmp_path):
    result = cli("--model", "m.joblib", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        "skexplain audit: error: --model needs --data: pass both to audit your model, or "
        "neither to audit the embedded demo")


def test_missing_model_file_exits_66(tmp_path, table):
    stderr = error_of(cli("audit", "--model", "nope.joblib", "--data", table[0],
                          "--trust-model", cwd=tmp_path), 66)
    assert "--model 'nope.joblib': no such file" in stderr


def test_missing_data_file_exits_66(inproc, tmp_path, joblib_model):
    stderr = error_of(inproc("audit", "--model", joblib_model, "--trust-model", "--data",
                          "missing.csv", cwd=tmp_path), 66)
    assert "--data 'missing.csv': no such file" in stderr


def test_directory_as_data_exits_66(inproc, tmp_path, joblib_model):
    (tmp_path / "dir.csv").mkdir()
    stderr = error_of(inproc("audit", "--model", joblib_model, "--trust-model", "--data",
                          "dir.csv", cwd=tmp_path), 66)
    assert "expected a file, found a directory" in stderr


def test_untrusted_pickle_is_refused_with_the_reason(tmp_path, table, joblib_model):
    stderr = error_of(cli("audit", "--model", joblib_model, "--data", table[0],
                          cwd=tmp_path), 77)
    assert "refusing to unpickle without --trust-model" in stderr
    assert "runs arbitrary code" in stderr and "skops" in stderr


@pytest.mark.parametrize("content, found", [
    ("", "expected a CSV file with a header row; found an empty file"),
    ("a,b,c\n", "expected at least one data row; found only the header (3 columns)"),
    ("a,b,c\n1,2,3\n4,5,6,7,8\n", "not a readable CSV file (ParserError"),
])
def test_bad_csv_exits_65(inproc, tmp_path, joblib_model, content, found):
    (tmp_path / "bad.csv").write_text(content)
    stderr = error_of(inproc("audit", "--model", joblib_model, "--trust-model", "--data",
                          "bad.csv", cwd=tmp_path), 65)
    assert "--data 'bad.csv'" in stderr and found in stderr


def test_absent_target_lists_the_columns(tmp_path, table, joblib_model):
    stderr = error_of(cli("audit", "--model", joblib_model, "--trust-model", "--data",
                          table[0], "--target", "price", cwd=tmp_path), 65)
    assert "--target 'price': no such column" in stderr
    assert "its columns are 'a', 'b', 'c', 'y'" in stderr


def test_extra_column_names_it_and_suggests_target(inproc, tmp_path, table, joblib_model):
    stderr = error_of(inproc("audit", "--model", joblib_model, "--trust-model", "--data",
                          table[0], cwd=tmp_path), 65)
    assert "fitted on 3 columns, the CSV has 4" in stderr and "extra 'y'" in stderr
    assert "pass --target COL" in stderr


def test_missing_column_is_named(inproc, tmp_path, table, joblib_model):
    table[1].drop(columns="b").to_csv(tmp_path / "narrow.csv", index=False)
    stderr = error_of(inproc("audit", "--model", joblib_model, "--trust-model", "--data",
                          "narrow.csv", "--target", "y", cwd=tmp_path), 65)
    assert "missing 'b'" in stderr and "extra" not in stderr


def test_width_mismatch_for_a_model_without_feature_names(inproc, tmp_path, table):
    frame = table[1]
    model = LinearRegression().fit(frame[["a", "b"]].to_numpy(), frame["y"])
    joblib.dump(model, tmp_path / "nameless.pkl")
    stderr = error_of(inproc("audit", "--model", "nameless.pkl", "--trust-model", "--data",
                          table[0], "--target", "y", cwd=tmp_path), 65)
    assert "the model expects 2 columns, the CSV has 3" in stderr


def test_unknown_model_format_exits_65(inproc, tmp_path, table):
    (tmp_path / "model.onnx").write_bytes(b"\x00")
    stderr = error_of(inproc("audit", "--model", "model.onnx", "--data", table[0],
                          cwd=tmp_path), 65)
    assert "unknown model format '.onnx'; expected one of .skops" in stderr


def test_unwritable_out_exits_73_before_auditing(inproc, tmp_path, table, joblib_model):
    (tmp_path / "taken").write_text("a file, not a folder")
    stderr = error_of(cli("audit", "--model", joblib_model, "--trust-model", "--data",
                          table[0], "--target", "y", "--out", "taken/report.html",
                          cwd=tmp_path), 73)
    assert "--out 'taken/report.html': cannot create its folder" in stderr
    (tmp_path / "folder.html").mkdir()
    stderr = error_of(inproc("audit", "--json", "folder.html", cwd=tmp_path), 73)
    assert "--json 'folder.html': expected a file name, found a directory" in stderr


def test_audit_failure_exits_1_without_traceback(tmp_path, table):
    frame = table[1]
    model = LinearRegression().fit(frame[["a", "b", "c"]], frame["y"])
    model.coef_ = "broken"  # predict fails inside the audit
    joblib.dump(model, tmp_path / "broken.joblib")
    stderr = error_of(cli("audit", "--model", "broken.joblib", "--trust-model", "--data",
                          table[0], "--target", "y", cwd=tmp_path), 1)
    assert "the audit failed" in stderr and "--debug" in stderr


def test_skops_missing_says_how_to_install(tmp_path, monkeypatch):
    (tmp_path / "m.skops").write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "skops", None)  # import skops raises ImportError
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(LoadError, match=r'pip install "skexplain\[skops\]"') as info:
        load_model(tmp_path / "m.skops")
    assert info.value.exit_code == 69


def test_skops_round_trip(inproc, tmp_path, table):
    sio = pytest.importorskip("skops.io")
    from sklearn.ensemble import GradientBoostingRegressor

    data, frame = table
    X, y = frame[["a", "b", "c"]], frame["y"]
    sio.dump(LinearRegression().fit(X, y), tmp_path / "linear.skops")
    loaded = load_model(tmp_path / "linear.skops")  # only default-trusted types
    np.testing.assert_allclose(loaded.predict(X), LinearRegression().fit(X, y).predict(X))

    sio.dump(GradientBoostingRegressor(n_estimators=5, random_state=0).fit(X, y),
             tmp_path / "trees.skops")
    stderr = error_of(inproc("audit", "--model", "trees.skops", "--data", data, "--target",
                             "y", cwd=tmp_path), 77)
    assert "skops refuses types it does not trust by default: sklearn.tree._tree.Tree" \
        in stderr and "--trust-model" in stderr
    result = inproc("audit", "--model", "trees.skops", "--trust-model", "--data", data,
                    "--target", "y", "--rows", 10, "--background", 10, "--quiet",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""  # --quiet: no summary, no progress bar
    assert (tmp_path / "report.html").exists()
