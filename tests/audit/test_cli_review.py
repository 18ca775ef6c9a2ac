"""CSV files as people have them: other separators, a BOM, an index, the target as feature."""
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from skexplain.audit._loading import LoadError, load_data, match_columns


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=20), "b": rng.normal(size=20),
                         "y": rng.normal(size=20)})


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_separated_files_are_read(tmp_path, frame, sep):
    path = tmp_path / "data.csv"
    frame.to_csv(path, sep=sep, index=False, encoding="utf-8-sig")  # with a BOM
    X, y = load_data(path, target="y")
    assert list(X.columns) == ["a", "b"]
    np.testing.assert_allclose(y.to_numpy(), frame["y"].to_numpy())


def test_a_comma_file_with_semicolons_in_text_stays_comma_separated(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,note\n1,x;y\n2,z\n")
    X, _ = load_data(path)
    assert list(X.columns) == ["a", "note"] and X["note"].tolist() == ["x;y", "z"]


def test_an_index_column_and_a_feature_given_as_target_are_explained(frame):
    model = LinearRegression().fit(frame[["a", "b"]], frame["y"])
    with pytest.raises(LoadError, match=r"extra 'Unnamed: 0'.*index=False"):
        match_columns(model, frame[["a", "b"]].assign(**{"Unnamed: 0": 1}))
    with pytest.raises(LoadError, match=r"missing 'a' \(the --target column: the model uses "
                                        r"it as a feature\)"):
        match_columns(model, frame[["b", "y"]], target="a")


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, frame, monkeypatch, capsys):
    import io

    import joblib

    from skexplain.audit._cli import main

    joblib.dump(LinearRegression().fit(frame[["a", "b"]], frame["y"]), tmp_path / "m.joblib")
    frame.to_csv(tmp_path / "d.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code = main(["audit", "--model", "m.joblib", "--trust-model", "--data", "d.csv",
                 "--target", "y", "--rows", "10", "--background", "5"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "\r" not in captured.err and "it/s" not in captured.err
    assert "Report written to report.html" in captured.out

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    from skexplain.audit._cli import _audit_kwargs, build_parser

    args = build_parser()[0].parse_args(["audit"])
    assert _audit_kwargs(args)["verbose"] == 1
