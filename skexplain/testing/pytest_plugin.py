"""pytest plugin of skexplain, registered through the ``pytest11`` entry point.

Installed with skexplain, it is active in every pytest run (``-p no:skexplain``
disables it) and adds:

* assertion rewriting for the ``skexplain.testing.assert_*`` helpers;
* failure explanations for ``assert expl == other`` (exact) and
  ``assert expl == pytest.approx(expected)``: a per-feature table of the
  differing attributions, worst first;
* the session fixtures ``fitted_explainer`` (a factory
  ``fitted_explainer(cls, model, background, **params)``) and
  ``skexplain_explainer_cache``, which fit an explainer once per model,
  background and parameters;
* the marker ``explanation`` for tests that assert properties of explanations;
* the option ``--skexplain-report=PATH``: a JSON summary of every explanation
  assertion run in the session (test id, helper, statistic, threshold,
  outcome); a self-contained HTML table when ``PATH`` ends in ``.html``.

Loading it imports pytest and the standard library only: no numpy, torch,
matplotlib or explainer until a fixture or hook needs one.
"""
import json
import pathlib
import sys

import pytest

from . import _registry

__all__ = ["ExplainerCache"]

_HELPER_MODULES = ("skexplain.testing._assertions", "skexplain.testing._assertions_features",
                   "skexplain.testing._assertions_sanity")
# Rewriting only applies to modules imported later; one already imported (by
# a doctest run of skexplain itself) is left as it is instead of warned about.
pytest.register_assert_rewrite(*(m for m in _HELPER_MODULES if m not in sys.modules))


def pytest_addoption(parser):
    group = parser.getgroup("skexplain", "skexplain explanation assertions")
    group.addoption(
        "--skexplain-report", action="store", metavar="PATH", default=None,
        help="write a JSON summary of every skexplain explanation assertion run in the "
             "session (test, helper, statistic, threshold, outcome) to PATH; an HTML table "
             "when PATH ends in .html")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "explanation: a test that asserts properties of model explanations "
                   "(skexplain.testing.assert_* helpers)")
    path = config.getoption("skexplain_report", None)
    if path:
        path = pathlib.Path(path).expanduser()
        if not path.is_absolute():
            path = pathlib.Path(config.invocation_params.dir) / path
        writer = _ReportWriter(path)
        writer.previous = _registry.install(writer.recorder)
        config.pluginmanager.register(writer, "skexplain-report")


class _ReportWriter:
    """Collects the helpers' records during the session and writes the report."""

    def __init__(self, path):
        self.path = path
        self.recorder = _registry.Recorder()
        self.previous = None
        self.payload = None

    def pytest_runtest_logstart(self, nodeid, location):
        self.recorder.current_test = nodeid

    def pytest_runtest_logfinish(self, nodeid, location):
        self.recorder.current_test = None

    def pytest_sessionfinish(self, session):
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # a pytest-xdist worker: the controller writes
            workeroutput["skexplain_records"] = json.dumps(self.recorder.records)
            return
        from ._plugin_report import write_report

        self.payload = write_report(self.path, self.recorder.records)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        # pytest-xdist: each worker sends its records when it finishes
        records = getattr(node, "workeroutput", {}).get("skexplain_records")
        if records:
            self.recorder.records.extend(json.loads(records))

    def pytest_terminal_summary(self, terminalreporter):
        if self.payload is not None:
            s = self.payload["summary"]
            terminalreporter.write_sep(
                "-", f"skexplain report: {s['assertions']} explanation assertions "
                     f"({s['failed']} failed) written to {self.path}")

    def pytest_unconfigure(self, config):
        _registry.install(self.previous)


def pytest_assertrepr_compare(config, op, left, right):
    """A per-feature table of differences for ``Explanation == ...`` failures."""
    module = sys.modules.get("skexplain.explanation")
    if op != "==" or module is None:  # no Explanation can exist before its module
        return None
    explanation = module.Explanation
    from . import _plugin_repr

    max_lines = None if config.getoption("verbose") >= 2 else 10
    if isinstance(left, explanation) and isinstance(right, explanation):
        return _plugin_repr.compare_explanations(left, right, max_lines)
    if isinstance(left, explanation) and _plugin_repr.is_approx(right):
        return _plugin_repr.compare_with_approx(left, right, max_lines)
    if isinstance(right, explanation) and _plugin_repr.is_approx(left):
        return _plugin_repr.compare_with_approx(right, left, max_lines)
    return None


class ExplainerCache:
    """Fitted explainers keyed by explainer class, model, background and parameters.

    ``model`` and ``background`` are matched by identity (``is``) and kept
    alive while cached, so that their ids cannot be reused; parameters are
    matched by equality.  Share models and backgrounds through module- or
    session-scoped fixtures, and do not refit a cached model or modify a
    cached background: the cache cannot see it.  The least recently used
    entry is dropped beyond ``maxsize``.

    Parameters
    ----------
    maxsize : int, default=32

    Attributes
    ----------
    hits, misses : int
        Look-ups answered from the cache, and explainers fitted.
    """

    def __init__(self, maxsize=32):
        self.maxsize = maxsize
        self.hits = self.misses = 0
        self._entries = []

    def get(self, explainer, model, background, **params):
        """``explainer(model, **params).fit(background)``, fitted once per key.

        ``explainer`` is an explainer class or the name of one exported by
        skexplain (``"KernelSHAP"``).  The same object is returned to every
        caller: use it to explain, never to ``fit`` or ``set_params``.
        """
        cls = self._resolve(explainer)
        for i, (key, fitted) in enumerate(self._entries):
            if key[0] is cls and key[1] is model and key[2] is background and _same(
                    key[3], params):
                self._entries.append(self._entries.pop(i))
                self.hits += 1
                return fitted
        fitted = cls(model, **params).fit(background)
        self.misses += 1
        self._entries.append(((cls, model, background, dict(params)), fitted))
        del self._entries[:-self.maxsize]
        return fitted

    __call__ = get

    @staticmethod
    def _resolve(explainer):
        import skexplain

        if isinstance(explainer, str):
            if explainer not in skexplain.__all__ or not explainer[0].isupper():
                raise KeyError(f"Unknown explainer {explainer!r}; skexplain exports "
                               f"{[n for n in skexplain.__all__ if n[0].isupper()]}.")
            explainer = getattr(skexplain, explainer)
        if not (isinstance(explainer, type) and issubclass(explainer, skexplain.BaseExplainer)):
            raise TypeError(f"explainer must be an explainer class (e.g. KernelSHAP) or its "
                            f"name; got {explainer!r}.")
        return explainer


def _same(a, b):
    """Equal parameter dicts; values that do not compare to one bool must be identical."""
    if a.keys() != b.keys():
        return False
    for k in a:
        if a[k] is b[k]:
            continue
        try:
            if type(a[k]) is not type(b[k]) or not bool(a[k] == b[k]):
                return False
        except (TypeError, ValueError):  # arrays: equal only when identical
            return False
    return True


@pytest.fixture(scope="session")
def skexplain_explainer_cache():
    """The session's :class:`ExplainerCache` of fitted explainers."""
    return ExplainerCache()


@pytest.fixture(scope="session")
def fitted_explainer(skexplain_explainer_cache):
    """A factory ``fitted_explainer(cls, model, background, **params)`` -> fitted explainer.

    The explainer is fitted once per (class, model, background, parameters)
    in the session and shared; see :class:`ExplainerCache`.
    """
    return skexplain_explainer_cache.get
