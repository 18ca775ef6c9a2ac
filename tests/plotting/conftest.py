import pytest


@pytest.fixture
def pyplot():
    """matplotlib.pyplot on the Agg backend; closes every figure after the test."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")
