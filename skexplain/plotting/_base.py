"""Shared plumbing for Display objects (matplotlib is imported lazily)."""

__all__ = ["axes_and_figure"]


def axes_and_figure(ax=None):
    """Return ``(ax, figure)``, creating a figure when ``ax`` is None.

    Never calls ``plt.show()``: showing or saving is the caller's business.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax, ax.figure
