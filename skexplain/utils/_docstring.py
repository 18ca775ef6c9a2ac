"""``fill_doc``: put shared numpydoc text into docstrings.

Parameter and attribute entries that several explainers share are written once,
as named snippets, and placed with ``%(name)s``; the decorator indents each
snippet to where it stands, so numpydoc sees ordinary entries.
"""
import inspect
import re

__all__ = ["fill_doc"]

# Only ``%(name)s`` is a placeholder: any other ``%`` in a docstring is left
# alone, so docstrings never need ``%%``.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def fill_doc(**snippets):
    r"""Decorator that fills ``%(name)s`` placeholders of a docstring.

    Each snippet is written as it would stand at the left margin of a
    docstring (it goes through :func:`inspect.cleandoc`, so an indented
    triple-quoted string is fine).  Its first line replaces the placeholder
    and its other lines get the indentation of the placeholder's line, so a
    multi-line parameter entry keeps its description indented under it.

    Parameters
    ----------
    **snippets : str
        Text for each placeholder name.  Snippets the docstring does not use
        are ignored, so one dict of shared snippets can serve many objects.

    Returns
    -------
    decorator : callable
        Takes a class or function, sets its ``__doc__`` to the filled text and
        returns it.  An object without a docstring (``python -OO``) is
        returned unchanged.

    Raises
    ------
    KeyError
        When the docstring names a placeholder that is not in ``snippets``
        (raised when the decorator is applied, so at import time).

    Examples
    --------
    >>> import inspect
    >>> from skexplain.utils._docstring import fill_doc
    >>> @fill_doc(alpha="alpha : float, default=1.0\n    Strength.")
    ... def f(alpha=1.0):
    ...     '''Do nothing.
    ...
    ...     Parameters
    ...     ----------
    ...     %(alpha)s
    ...     '''
    >>> print(inspect.getdoc(f))
    Do nothing.
    <BLANKLINE>
    Parameters
    ----------
    alpha : float, default=1.0
        Strength.
    """
    snippets = {name: inspect.cleandoc(text) for name, text in snippets.items()}

    def decorate(obj):
        if obj.__doc__ is not None:
            obj.__doc__ = _fill(obj.__doc__, snippets, getattr(obj, "__qualname__", obj))
        return obj

    return decorate


def _fill(doc, snippets, owner):
    """Fill the placeholders of ``doc``, one line at a time (for the indentation)."""
    lines = doc.splitlines(keepends=True)
    for i, line in enumerate(lines):
        indent = line[:len(line) - len(line.lstrip())]

        def snippet(match):
            name = match.group(1)
            if name not in snippets:
                raise KeyError(
                    f"The docstring of {owner} uses %({name})s but fill_doc got no snippet "
                    f"named {name!r}; it has {sorted(snippets)}."
                )
            first, *rest = snippets[name].split("\n")
            # Blank lines stay empty: no trailing whitespace in the docstring.
            return "\n".join([first] + [indent + r if r.strip() else "" for r in rest])

        lines[i] = _PLACEHOLDER.sub(snippet, line)
    return "".join(lines)
