"""Where the assertion helpers report what they measured (standard library only).

The ``assert_*`` helpers call :func:`record` with each verdict.  Nothing is
kept unless a recorder is installed: the pytest plugin installs one for the
session when ``--skexplain-report`` is given and sets the running test's id
on it.  This module-level slot is the only way for a helper called deep in a
test to reach the plugin without the test passing anything along; it holds
no data of its own.
"""
import math
import numbers

__all__ = ["Recorder", "install", "record"]

_recorder = None


class Recorder:
    """Collects one dict per assertion run; ``current_test`` labels the records.

    Examples
    --------
    >>> recorder = Recorder()
    >>> previous = install(recorder)
    >>> record("assert_additive", passed=True, statistic=1e-9, threshold=1e-6)
    >>> _ = install(previous)
    >>> recorder.records[0]["helper"], recorder.records[0]["passed"]
    ('assert_additive', True)
    """

    def __init__(self):
        self.records = []
        self.current_test = None

    def add(self, entry):
        self.records.append(dict(entry, test=self.current_test))


def install(recorder):
    """Make ``recorder`` (or None) receive the records; return the previous one."""
    global _recorder
    previous, _recorder = _recorder, recorder
    return previous


def _number(x):
    """A JSON-safe number: non-finite values become their name ("inf", "nan")."""
    if x is None or isinstance(x, bool) or not isinstance(x, numbers.Real):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else str(x)


def record(helper, *, passed, statistic, threshold, message="", **details):
    """Report one assertion's verdict to the installed recorder, if any.

    Parameters
    ----------
    helper : str
        Name of the assertion helper.
    passed : bool
    statistic, threshold : float
        What was measured and the limit it was held to.
    message : str, default=""
        The failure message (or a one-line summary of a pass).
    **details
        JSON-serialisable extras (the output, the feature, ...).
    """
    recorder = _recorder
    if recorder is None:
        return
    recorder.add({"helper": helper, "passed": bool(passed), "statistic": _number(statistic),
                  "threshold": _number(threshold), "message": message,
                  "details": {k: _number(v) for k, v in details.items()}})
