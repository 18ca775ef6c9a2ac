"""check_explainer stays cheap on real data and reports progress with ``verbose``.

``check_explainer(KernelSHAP(model), X, y)`` on the 442 diabetes rows called
the model ~10^5 times (the batch_size check used 3-row batches) and took
minutes in silence.  The checks now run on small random samples of the rows
and split batches into about 20 model calls; the cost is counted in model
calls and rows (not wall time).
"""
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, Ridge

from skexplain import ExactShapley, KernelSHAP, LinearSHAP
from skexplain.testing import check_explainer
from skexplain.testing._check_utils import split_batch_size
from skexplain.testing._toy_models import make_check_data


class CountingGBR(GradientBoostingRegressor):
    """Records the rows of every ``predict`` call (shared by clones)."""

    calls = []

    def predict(self, X):
        CountingGBR.calls.append(len(X))
        return super().predict(X)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="module")
def counting_gbr(diabetes):
    X, y = diabetes
    return CountingGBR(n_estimators=20, max_depth=3, random_state=0).fit(X, y)


@pytest.mark.parametrize("make", [lambda m: KernelSHAP(m, random_state=0), ExactShapley],
                         ids=["KernelSHAP", "ExactShapley"])
def test_diabetes_checks_pass_with_few_model_calls(make, diabetes, counting_gbr):
    X, y = diabetes
    CountingGBR.calls.clear()
    results = check_explainer(make(counting_gbr), X, y)  # raises on a failed check
    statuses = {r.check: r.status for r in results}
    assert set(statuses.values()) <= {"passed", "skipped"}
    assert statuses["check_batch_size_invariance"] == "passed"
    assert statuses["check_data_randomization"] == "passed"
    # before: ~110 000 predict calls for KernelSHAP, ~8 000 for ExactShapley
    assert len(CountingGBR.calls) < 1000, len(CountingGBR.calls)
    assert sum(CountingGBR.calls) < 5_000_000


def test_batch_size_check_splits_into_about_20_calls(diabetes, counting_gbr):
    X, y = diabetes
    CountingGBR.calls.clear()
    result = check_explainer(ExactShapley(counting_gbr), X, y,
                             checks=["check_batch_size_invariance"])[0]
    assert result.status == "passed"
    small = int(re.search(r"batch_size=None and (\d+)", result.message)[1])
    assert small > 1000  # 8 rows x 20 background rows x 2^10 coalitions / 20
    # two fits, the default run in a few calls, the split run in about 20 (before: ~8000)
    assert 15 <= len(CountingGBR.calls) <= 45, len(CountingGBR.calls)
    assert max(CountingGBR.calls[-15:]) <= small


def test_split_batch_size_is_odd_and_splits():
    for n_rows in (1, 7, 20, 163_840, 10**7):
        size = split_batch_size(n_rows)
        assert size % 2 == 1 and size >= 3
        assert -(-n_rows // size) <= 20
    assert split_batch_size(None) == 3
    assert split_batch_size(2000, n_calls=10) == 201


def test_check_data_is_a_small_random_sample(diabetes):
    X, y = diabetes
    model = LinearRegression().fit(X, y)
    data = make_check_data(ExactShapley(model), X, y)
    assert data.X.shape == (8, 10) and data.background.shape == (20, 10)
    assert data.X_train.shape == (200, 10) and data.y.shape == (200,)
    assert not set(data.X.index) & set(data.background.index)
    assert list(data.X.index) != list(range(8))  # not the first rows of X
    np.testing.assert_array_equal(data.y, y.loc[data.X_train.index].to_numpy())
    again = make_check_data(ExactShapley(model), X, y)
    assert data.X.equals(again.X) and data.background.equals(again.background)
    other = make_check_data(ExactShapley(model), X, y, random_state=1)
    assert not data.X.equals(other.X)


def test_check_data_of_small_x_keeps_every_row():
    X = np.arange(30.0).reshape(10, 3)
    data = make_check_data(ExactShapley(Ridge()), X, X[:, 0])
    assert data.X.shape == (8, 3) and data.background.shape == (10, 3)
    np.testing.assert_array_equal(np.sort(data.X_train[:, 0]), X[:, 0])


def test_unfitted_model_is_fitted_on_the_training_rows(diabetes):
    X, y = diabetes
    data = make_check_data(ExactShapley(Ridge()), X, y)
    expected = Ridge().fit(data.X_train, data.y)
    np.testing.assert_allclose(data.model.coef_, expected.coef_)


def test_pipeline_with_a_string_column(string_frame, string_pipeline):
    frame, y = string_frame
    results = check_explainer(ExactShapley(string_pipeline), frame, y)
    assert {r.status for r in results} <= {"passed", "skipped"}
    assert results["check_data_randomization"].status == "passed"
    data = make_check_data(ExactShapley(string_pipeline), frame, y)
    assert isinstance(data.X, pd.DataFrame) and data.X["city"].dtype == frame["city"].dtype


LINE = re.compile(r"^\[check_explainer\] (\d+)/(\d+) (check_\w+) (passed|failed|skipped|xfail) "
                  r"in \d+\.\d\d s")


def test_verbose_reports_each_check_on_stderr(diabetes, capsys):
    X, y = diabetes
    explainer = LinearSHAP(Ridge().fit(X, y))
    quiet = check_explainer(explainer, X, y)
    assert capsys.readouterr() == ("", "")  # verbose=0: silent
    results = check_explainer(explainer, X, y, verbose=1)
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("[check_explainer] LinearSHAP(model=Ridge) on the user data: "
                               "explaining 8x10 against a background of 20x10; 200 training")
    matches = [LINE.match(line) for line in lines[1:-1]]
    assert all(matches), lines
    assert [m[3] for m in matches] == [r.check for r in results]
    assert [m[4] for m in matches] == [r.status for r in results]
    assert {m[2] for m in matches} == {str(len(results))}
    assert re.match(r"\[check_explainer\] \d+ passed(, \d+ skipped)? in \d+\.\d s$", lines[-1])
    assert [r.status for r in results] == [r.status for r in quiet]


def test_verbose_2_also_announces_each_check(capsys):
    check_explainer(ExactShapley(Ridge()), checks=["check_clone", "check_dummy"], verbose=2)
    err = capsys.readouterr().err
    assert "1/2 check_clone ...\n" in err and "2/2 check_dummy ...\n" in err
    assert "2/2 check_dummy passed in" in err


def test_verbose_reports_a_skip_with_its_reason(capsys):
    check_explainer(ExactShapley(Ridge()), checks=["check_shapley_agreement"], verbose=True)
    err = capsys.readouterr().err
    assert "1/1 check_shapley_agreement skipped in" in err
    assert "s: ExactShapley is the reference." in err


@pytest.mark.parametrize("verbose, error, match", [
    (-1, ValueError, r"verbose must be an integer >= 0; got -1"),
    (0.5, TypeError, r"verbose must be an integer >= 0; got float 0.5"),
    ("yes", TypeError, r"verbose must be an integer >= 0; got str 'yes'"),
])
def test_bad_verbose(verbose, error, match):
    with pytest.raises(error, match=match):
        check_explainer(ExactShapley(Ridge()), checks=["check_clone"], verbose=verbose)
