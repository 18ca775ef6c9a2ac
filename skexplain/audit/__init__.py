"""Audit a tabular model's explanations: :func:`audit` and :class:`AuditReport`.

``skexplain.audit`` is both this package and the function: importing the
package makes Python set ``skexplain.audit`` to the module, so the module is
made callable and ``skexplain.audit(model, X, y)`` calls :func:`audit`
whichever of the two the name holds.
"""
import sys
import types

from ._audit import audit
from ._report import AuditReport

__all__ = ["AuditReport", "audit"]


class _CallableModule(types.ModuleType):
    """The ``skexplain.audit`` package, callable as :func:`audit`."""

    def __call__(self, *args, **kwargs):
        return audit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
