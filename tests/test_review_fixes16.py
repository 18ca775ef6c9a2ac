"""Fixes from the review of issue 16 that need no torch (see the _torch module too)."""
import numpy as np
import pytest


def test_kernel_link_shares_the_convergence_rule():
    from skexplain.perturbation import _kernel_games, _kernel_link

    assert _kernel_link._converged is _kernel_games._converged


# 4. baselines: bools refused, NaN only where the background has NaN ----------
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skexplain import ExactShapley, KernelSHAP, Occlusion  # noqa: E402

PERTURBATION = [ExactShapley, lambda m: KernelSHAP(m, random_state=0),
                lambda m: Occlusion(m, window=1)]


def _linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    return LinearRegression().fit(X, X @ [1.0, -2.0, 0.5]), X


@pytest.mark.parametrize("make", PERTURBATION)
@pytest.mark.parametrize("flag", [True, False, np.True_])
def test_bool_baselines_are_refused(make, flag):
    model, X = _linear()
    with pytest.raises(TypeError, match=r"baselines must be reference rows.*got the bool"):
        make(model).fit(X[:5]).explain(X[:2], baselines=flag)


@pytest.mark.parametrize("make", PERTURBATION)
def test_nan_baselines_where_the_background_has_none_are_refused(make):
    model, X = _linear()
    explainer = make(model).fit(X[:5])
    with pytest.raises(ValueError, match=r"baselines hold NaN in 3 feature\(s\), e.g. feature 0"):
        explainer.explain(X[:2], baselines=np.nan)
    rows = np.zeros((2, 3))
    rows[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"baselines hold NaN in 1 feature\(s\), e.g. feature 2"):
        explainer.explain(X[:2], baselines=rows)


def test_nan_baselines_name_the_dataframe_column():
    pd = pytest.importorskip("pandas")
    model, X = _linear()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = LinearRegression().fit(frame, X @ [1.0, -2.0, 0.5])
    refs = frame.iloc[:2].copy()
    refs.loc[0, "b"] = np.nan
    with pytest.raises(ValueError, match=r"baselines hold NaN .*column 'b'"):
        ExactShapley(model).fit(frame.iloc[:5]).explain(frame.iloc[:2], baselines=refs)


def test_nan_baselines_where_the_background_has_nan_too_are_taken():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    X[::3, 0] = np.nan
    model = make_pipeline(SimpleImputer(), LinearRegression()).fit(
        X, np.nan_to_num(X) @ [1.0, -2.0, 0.5])
    explainer = ExactShapley(model).fit(X[:6])
    refs = np.array([[np.nan, 0.0, 0.0]])
    imputed = refs.copy()
    imputed[0, 0] = model[0].statistics_[0]
    got = explainer.explain(X[1:3], baselines=refs)
    expected = explainer.explain(X[1:3], baselines=imputed)
    np.testing.assert_allclose(got.values, expected.values, atol=1e-12)
    np.testing.assert_allclose(got.base_values, expected.base_values, atol=1e-12)
