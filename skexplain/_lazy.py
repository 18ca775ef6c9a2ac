"""Names of a package imported on first use (PEP 562), for cheap imports.

``import skexplain`` and the pytest plugin must not import the explainers,
numpy-heavy modules or torch until a name is used.
"""
import importlib
import sys

__all__ = ["lazy_attributes"]


def lazy_attributes(package, names, submodules):
    """``(__getattr__, __dir__)`` for a package's namespace.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str to str
        Public name -> the relative module that defines it (``".base"``).
    submodules : tuple of str
        Subpackages reachable as attributes (``skexplain.gradient``).

    Examples
    --------
    >>> getattr_, dir_ = lazy_attributes("skexplain", {"Explanation": ".explanation"}, ())
    >>> getattr_("Explanation").__name__
    'Explanation'
    """
    def __getattr__(name):
        # Nothing is cached in the package's globals: a submodule imported again
        # after leaving sys.modules (pytester's in-process runs do that) must not
        # leave a stale class behind; the look-up is a dict access in sys.modules.
        if name in names:
            return getattr(importlib.import_module(names[name], package), name)
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        namespace = vars(sys.modules[package])
        return sorted(set(namespace) | set(namespace.get("__all__", ())) | set(submodules))

    return __getattr__, __dir__
