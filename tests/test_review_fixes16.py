"""Fixes from the review of issue 16 that need no torch (see the _torch module too)."""
import numpy as np
import pytest


def test_kernel_link_shares_the_convergence_rule():
    from skexplain.perturbation import _kernel_games, _kernel_link

    assert _kernel_link._converged is _kernel_games._converged
