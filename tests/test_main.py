import io

import pytest

from skexplain.__main__ import main


def test_default_demo_prints_top_features_and_efficiency():
    out = io.StringIO()
    assert main(["--rows", "2", "--background", "10"], out=out) == 0
    text = out.getvalue()
    assert "Top 5 features" in text and "sex" in text
    assert "Efficiency check" in text


def test_classification_dataset():
    out = io.StringIO()
    assert main(["--dataset", "iris", "--rows", "2", "--background", "10", "--top", "2"],
                out=out) == 0
    assert "output '2'" in out.getvalue()


def test_bad_arguments():
    with pytest.raises(SystemExit):
        main(["--rows", "0"])
    with pytest.raises(SystemExit):
        main(["--dataset", "mnist"])
