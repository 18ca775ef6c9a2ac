"""Quadrature rules: nodes, weights and exactness against closed forms."""
import numpy as np
import pytest

from skexplain.gradient import quadrature
from skexplain.gradient._paths import QUADRATURE_METHODS


@pytest.mark.parametrize("method", QUADRATURE_METHODS)
@pytest.mark.parametrize("n", [2, 5, 50])
def test_weights_sum_to_one_and_nodes_in_unit_interval(method, n):
    alphas, weights = quadrature(method, n)
    assert alphas.shape == weights.shape == (n,)
    assert np.all((alphas >= 0) & (alphas <= 1))
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-14)


def test_riemann_nodes():
    np.testing.assert_allclose(quadrature("riemann_left", 4)[0], [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(quadrature("riemann_right", 4)[0], [0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(quadrature("riemann_middle", 4)[0], [0.125, 0.375, 0.625, 0.875])


def test_trapezoid_weights_are_h_over_two_at_the_ends():
    alphas, weights = quadrature("riemann_trapezoid", 5)
    np.testing.assert_allclose(alphas, np.linspace(0, 1, 5))
    np.testing.assert_allclose(weights, [0.125, 0.25, 0.25, 0.25, 0.125])


@pytest.mark.parametrize("n", [1, 3, 10])
def test_gauss_legendre_is_exact_to_degree_2n_minus_1(n):
    alphas, weights = quadrature("gausslegendre", n)
    for degree in range(2 * n):
        np.testing.assert_allclose(weights @ alphas**degree, 1.0 / (degree + 1), rtol=1e-12)


def test_trapezoid_and_midpoint_integrate_linear_functions_exactly():
    for method in ("riemann_trapezoid", "riemann_middle"):
        alphas, weights = quadrature(method, 7)
        np.testing.assert_allclose(weights @ (3 * alphas + 1), 2.5, rtol=1e-14)


def test_left_rule_is_first_order():
    errors = [abs(w @ a - 0.5) for a, w in (quadrature("riemann_left", n) for n in (10, 20))]
    np.testing.assert_allclose(errors, [0.05, 0.025])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="riemann_trapezoid.*n_steps >= 2; got 1"):
        quadrature("riemann_trapezoid", 1)
    with pytest.raises(ValueError, match="method must be one of .*got 'simpson'"):
        quadrature("simpson", 10)
