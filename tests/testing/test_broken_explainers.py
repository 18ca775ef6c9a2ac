"""Broken explainers are caught by the check named after what they break.

Each broken explainer is a small BaseExplainer subclass (most build on
ExactShapley so that everything else about them is right).  Each test also
shows that ExactShapley itself passes the same check, so the check is what
tells them apart.
"""
import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.utils import check_random_state

from skexplain import ExactShapley
from skexplain.base import BaseExplainer, ExplainerTags
from skexplain.explanation import Explanation
from skexplain.testing import CheckFailedWarning, CheckFailure, check_explainer


class ConstantValues(ExactShapley):
    """Returns the same attributions for every row and model (claims efficiency)."""

    def _explain_all(self, X):
        expl = super()._explain_all(X)
        return expl._replace(values=np.full_like(expl.values, 0.5))


class NoiseValues(ExactShapley):
    """Returns noise drawn from random_state (claims efficiency)."""

    def __init__(self, model, *, random_state=None):
        super().__init__(model)
        self.random_state = random_state

    def __skexplain_tags__(self):
        tags = super().__skexplain_tags__()
        tags.stochastic = True
        return tags

    def _explain_all(self, X):
        expl = super()._explain_all(X)
        rng = check_random_state(self.random_state)
        return expl._replace(values=rng.normal(size=expl.values.shape))


class MutatesInput(ExactShapley):
    """Centres the rows it explains in place."""

    def _explain_all(self, X):
        expl = super()._explain_all(X)
        X -= self.background_.mean(axis=0)
        return expl


class IgnoresRandomState(NoiseValues):
    """Stochastic, but draws from an unseeded generator."""

    def _explain_all(self, X):
        expl = ExactShapley._explain_all(self, X)
        noise = np.random.default_rng().normal(scale=1e-3, size=expl.values.shape)
        return expl._replace(values=expl.values + noise)


class DoesNotSum(ExactShapley):
    """Attributions 10% too large: they do not sum to f(x) - base."""

    def _explain_all(self, X):
        expl = super()._explain_all(X)
        return expl._replace(values=1.1 * expl.values)


class DummyNotZero(ExactShapley):
    """Moves credit onto the last feature (still efficient)."""

    def _explain_all(self, X):
        expl = super()._explain_all(X)
        values = expl.values.copy()
        values[:, -1] += 0.3
        values[:, 0] -= 0.3
        return expl._replace(values=values)


class Asymmetric(ExactShapley):
    """Moves credit from feature 1 to feature 0 (still efficient)."""

    def _explain_all(self, X):
        expl = super()._explain_all(X)
        values = expl.values.copy()
        values[:, 0] += 0.2
        values[:, 1] -= 0.2
        return expl._replace(values=values)


class NoisyShapley(NoiseValues):
    """A Shapley 'estimator' with a configurable error around the exact values."""

    def __init__(self, model, *, noise=0.01, random_state=None):
        super().__init__(model, random_state=random_state)
        self.noise = noise

    def _explain_all(self, X):
        expl = ExactShapley._explain_all(self, X)
        rng = check_random_state(self.random_state)
        scale = np.abs(expl.values).max()
        return expl._replace(values=expl.values + self.noise * scale * rng.normal(
            size=expl.values.shape))


class SetsAttributeInInit(ExactShapley):
    def __init__(self, model, *, feature_groups=None, max_features=16, interactions=False,
                 output="auto", link="identity", batch_size=None, n_jobs=None):
        super().__init__(model, feature_groups=feature_groups, max_features=max_features,
                         interactions=interactions, output=output, link=link,
                         batch_size=batch_size, n_jobs=n_jobs)
        self.cache = {}


class StoresStateInExplain(ExactShapley):
    def _explain_all(self, X):
        self.last_rows_ = X
        return super()._explain_all(X)


class DependsOnBatchSize(ExactShapley):
    def _explain_all(self, X):
        expl = super()._explain_all(X)
        return expl._replace(values=expl.values + 1e-3 * (self.batch_size or 0))


class NotPicklable(ExactShapley):
    def _fit(self, background):
        super()._fit(background)
        self.scale_ = lambda v: v


class NoValidation(BaseExplainer):
    """Skips row validation and fails obscurely on bad input."""

    def _check_rows(self, X):
        return X

    def _explain(self, X, target=None):
        values = X[:, :self.n_features_in_] * 0.0
        return Explanation(values, np.zeros(len(values)))


@pytest.fixture(scope="module")
def gbr():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    return GradientBoostingRegressor(n_estimators=20, max_depth=2, random_state=0).fit(
        X, X[:, 0] - X[:, 1] * X[:, 2])


def _status(explainer, check, **kwargs):
    result = check_explainer(explainer, checks=[check], on_fail=None, **kwargs)[check]
    return result


@pytest.mark.parametrize("broken, check", [
    (ConstantValues(Ridge()), "check_efficiency"),
    (ConstantValues(Ridge()), "check_model_randomization_cascading"),
    (ConstantValues(Ridge()), "check_data_randomization"),
    (NoiseValues(Ridge()), "check_stochastic_consistency"),
    (NoiseValues(Ridge()), "check_efficiency"),
    (MutatesInput(Ridge()), "check_inputs_not_mutated"),
    (IgnoresRandomState(Ridge()), "check_random_state"),
    (DoesNotSum(Ridge()), "check_efficiency"),
    (DoesNotSum(Ridge()), "check_linear_exactness"),
    (DummyNotZero(Ridge()), "check_dummy"),
    (Asymmetric(Ridge()), "check_symmetry"),
    (SetsAttributeInInit(Ridge()), "check_no_attributes_set_in_init"),
    (StoresStateInExplain(Ridge()), "check_explain_stateless"),
    (DependsOnBatchSize(Ridge()), "check_batch_size_invariance"),
    (NotPicklable(Ridge()), "check_pickle"),
    (NoValidation(Ridge()), "check_wrong_width"),
    (NoValidation(Ridge()), "check_1d_input"),
], ids=lambda p: p if isinstance(p, str) else type(p).__name__)
def test_broken_explainer_fails_the_named_check(broken, check):
    result = _status(broken, check)
    assert result.status == "failed", result.message
    assert isinstance(result.exception, CheckFailure), result.message  # not a crash
    assert _status(ExactShapley(Ridge()), check).status in ("passed", "skipped")


def test_attribute_set_in_init_is_named():
    result = _status(SetsAttributeInInit(Ridge()), "check_no_attributes_set_in_init")
    assert "['cache']" in result.message


def test_shapley_agreement_separates_estimates():
    good = _status(NoisyShapley(Ridge(), noise=0.01), "check_shapley_agreement")
    assert good.status == "passed" and good.statistic < 0.05
    assert good.threshold == pytest.approx(0.1)  # stochastic estimator: looser tolerance
    bad = _status(NoisyShapley(Ridge(), noise=0.5), "check_shapley_agreement")
    assert bad.status == "failed" and bad.statistic > 0.1


def test_failures_report_statistic_and_threshold():
    result = _status(DoesNotSum(Ridge()), "check_efficiency")
    assert result.threshold == pytest.approx(1e-5)
    assert 0.05 < result.statistic < 0.2  # 10% of each attribution
    result = _status(ConstantValues(Ridge()), "check_model_randomization_cascading")
    assert result.statistic == pytest.approx(1.0)  # identical explanations


def test_on_fail_raise_names_the_check():
    with pytest.raises(CheckFailure, match="DoesNotSum.*check_efficiency") as info:
        check_explainer(DoesNotSum(Ridge()), checks=["check_efficiency"])
    assert isinstance(info.value, AssertionError)
    assert info.value.statistic > info.value.threshold


def test_on_fail_warn():
    with pytest.warns(CheckFailedWarning, match="check_inputs_not_mutated"):
        results = check_explainer(MutatesInput(Ridge()), on_fail="warn",
                                  checks=["check_inputs_not_mutated", "check_clone"])
    assert [r.status for r in results] == ["passed", "failed"]
    assert not results.passed and len(results.failed) == 1


def test_broken_explainer_with_user_data(gbr):
    X = np.random.default_rng(1).normal(size=(30, 4))
    result = check_explainer(DoesNotSum(gbr), X, checks=["check_efficiency"], on_fail=None)[0]
    assert result.status == "failed"
    assert check_explainer(ExactShapley(gbr), X, checks=["check_efficiency"])[0].status == (
        "passed")


def test_expected_failure_is_xfail():
    results = check_explainer(DoesNotSum(Ridge()), checks=["check_efficiency"],
                              expected_failed_checks={"check_efficiency": "known"})
    assert results[0].status == "xfail"
    assert results.passed


def test_unclear_error_message_is_caught():
    class VagueError(ExactShapley):
        def _check_rows(self, X):
            if np.ndim(X) != 2 or np.shape(X)[1] != self.n_features_in_:
                raise ValueError("bad input")
            return super()._check_rows(X)

    result = _status(VagueError(Ridge()), "check_wrong_width")
    assert result.status == "failed"
    assert "does not mention" in result.message


def test_crashing_explainer_is_reported_not_raised_with_on_fail_none():
    class Crashes(BaseExplainer):
        def __skexplain_tags__(self):
            return ExplainerTags(axioms={"efficiency"})

        def _explain(self, X, target=None):
            raise RuntimeError("boom")

    result = _status(Crashes(Ridge()), "check_efficiency")
    assert result.status == "failed"
    assert "RuntimeError: boom" in result.message
    with pytest.raises(RuntimeError, match="boom"):
        check_explainer(Crashes(Ridge()), checks=["check_efficiency"])
