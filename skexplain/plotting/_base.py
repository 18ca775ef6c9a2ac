"""Shared plumbing for Display objects (matplotlib is imported lazily)."""
import numbers

from ..utils._validation import check_positive_int

__all__ = ["axes_and_figure", "check_finite", "check_max_display", "feature_names",
           "one_output", "require_one_feature_axis"]


def axes_and_figure(ax=None):
    """Return ``(ax, figure)``, creating a figure when ``ax`` is None.

    Never calls ``plt.show()``: showing or saving is the caller's business.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax, ax.figure


def one_output(explanation, output, kind):
    """The explanation of a single output, chosen by name or position.

    Displays that draw one value per row and feature (all but ``"bar"``) need
    a single output.  A one-output explanation is returned as it is (``output``
    may then be None, 0 or its name); with several outputs ``output`` must say
    which, and None raises an error listing the outputs.
    """
    if not explanation.has_output_axis:
        if output is not None and output not in (0, -1) and not (
                explanation.output_names and str(output) in explanation.output_names):
            raise ValueError(f"output={output!r} does not exist: this explanation has a "
                             "single output.")
        return explanation
    if output is None:
        if explanation.n_outputs == 1:
            return explanation.select_output(0)
        raise ValueError(
            f"The {kind!r} plot shows one output and this explanation has "
            f"{explanation.n_outputs}: "
            f"{explanation.output_names or list(range(explanation.n_outputs))}"
            ". Choose one with output= (a name or an index).")
    if isinstance(output, (list, tuple)) or not isinstance(output, (str, numbers.Integral)):
        raise TypeError(f"output must be one output name or index; got {output!r}.")
    return explanation.select_output(output)


def require_one_feature_axis(explanation, kind):
    """Refuse n-d attributions (images) in displays of tabular features."""
    if len(explanation.feature_shape) != 1:
        raise ValueError(
            f"The {kind!r} plot needs one feature axis; got feature shape "
            f"{explanation.feature_shape}. Use an image display for n-d attributions.")


def check_max_display(max_display):
    """``max_display`` must be a positive integer (bools refused)."""
    return check_positive_int(max_display, "max_display")


def feature_names(explanation):
    """The explanation's feature names, or ``x0, x1, ...`` when it has none."""
    return explanation.feature_names or [f"x{i}" for i in range(explanation.feature_shape[0])]


def check_finite(explanation, kind, rows=None):
    """Refuse NaN or infinite attributions (in ``rows`` when given) before drawing.

    matplotlib would fail half-way (an open figure, "Axis limits cannot be
    NaN or Inf") or silently draw a NaN bar; the message says where they are.
    """
    import numpy as np

    values = np.asarray(explanation.values, dtype=float)
    if rows is not None:
        values = values[rows]
    bad = ~np.isfinite(values)
    if bad.any():
        r, j = np.argwhere(bad)[0][:2]
        r = r if rows is None else np.arange(explanation.n_rows)[rows].reshape(-1)[r]
        raise ValueError(f"The {kind!r} plot needs finite attributions; explanation.values "
                         f"has {int(bad.sum())} NaN or infinite value(s), the first at row "
                         f"{int(r)}, feature {feature_names(explanation)[int(j)]!r}.")
