"""Loading a model file and a CSV for ``skexplain audit``, refusing clearly.

Every refusal is a :class:`LoadError` whose ``exit_code`` follows sysexits.h:
66 (EX_NOINPUT) for a missing or unreadable file, 65 (EX_DATAERR) for data
that cannot be audited as given, 69 (EX_UNAVAILABLE) when the optional skops
package is needed but absent, 77 (EX_NOPERM) for a model file that would
run code or load types nobody said to trust.
"""
import os
import pathlib
import warnings

EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE, EX_NOPERM = 65, 66, 69, 77
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
SKOPS_SUFFIXES = (".skops",)


class LoadError(ValueError):
    """An input the command cannot use; ``exit_code`` is the process's exit status."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.exit_code = exit_code


def _readable_file(path, option):
    path = pathlib.Path(path)
    if not path.exists():
        raise LoadError(f"{option} {str(path)!r}: no such file", EX_NOINPUT)
    if not path.is_file():
        raise LoadError(f"{option} {str(path)!r}: expected a file, found a directory",
                        EX_NOINPUT)
    if not os.access(path, os.R_OK):
        raise LoadError(f"{option} {str(path)!r}: the file is not readable (permission "
                        "denied)", EX_NOINPUT)
    return path


def _load_skops(path, trust_model):
    try:
        import skops.io as sio
    except ImportError:
        raise LoadError(f"--model {str(path)!r}: loading a .skops file needs the skops "
                        'package; install it with: pip install "skexplain[skops]"',
                        EX_UNAVAILABLE) from None
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # a zip that is not a skops file, a truncated file
        raise LoadError(f"--model {str(path)!r}: not a readable skops file "
                        f"({type(exc).__name__}: {exc})", EX_DATAERR) from None
    if untrusted and not trust_model:
        raise LoadError(
            f"--model {str(path)!r}: skops refuses types it does not trust by default: "
            f"{', '.join(untrusted)}. Pass --trust-model to trust them if you created the "
            "file or trust its source.", EX_NOPERM)
    return sio.load(path, trusted=list(untrusted) or None)


def _load_pickle(path, trust_model):
    if not trust_model:
        raise LoadError(
            f"--model {str(path)!r}: refusing to unpickle without --trust-model: loading a "
            "pickle or joblib file runs arbitrary code stored in the file. Only load files "
            "you created or trust (then pass --trust-model), or save the model with skops "
            '(pip install "skexplain[skops]"; skops.io.dump(model, "model.skops")).',
            EX_NOPERM)
    import joblib  # reads plain pickles too

    try:
        return joblib.load(path)
    except Exception as exc:  # truncated file, missing class, wrong format
        raise LoadError(f"--model {str(path)!r}: cannot unpickle the model "
                        f"({type(exc).__name__}: {exc})", EX_DATAERR) from None


def load_model(path, *, trust_model=False):
    """The model stored in a ``.skops``, ``.pkl``, ``.pickle`` or ``.joblib`` file.

    Parameters
    ----------
    path : str or path-like
        The model file; its suffix chooses the format.
    trust_model : bool, default=False
        Unpickle pickle/joblib files, and load the types skops does not trust
        by default. Unpickling runs code from the file: only for files you
        created or trust.

    Returns
    -------
    model : object with ``predict``

    Raises
    ------
    LoadError
        ``exit_code`` 66 for a missing file, 69 without the skops package, 77 for
        a refused (untrusted) file, 65 for an unknown suffix, an unreadable
        file or an object without ``predict``.
    """
    path = _readable_file(path, "--model")
    suffix = path.suffix.lower()
    if suffix in SKOPS_SUFFIXES:
        model = _load_skops(path, trust_model)
    elif suffix in PICKLE_SUFFIXES:
        model = _load_pickle(path, trust_model)
    else:
        raise LoadError(f"--model {str(path)!r}: unknown model format {suffix or '(none)'!r}; "
                        f"expected one of {', '.join(SKOPS_SUFFIXES + PICKLE_SUFFIXES)}",
                        EX_DATAERR)
    if not callable(getattr(model, "predict", None)):
        raise LoadError(f"--model {str(path)!r}: expected a fitted model with a predict "
                        f"method; found a {type(model).__name__}", EX_DATAERR)
    return model


def _separator(path):
    """``","``, or the ``;``/tab/``|`` of a header with no comma (Excel's CSV in many locales)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as file:
            header = file.readline()
    except OSError:
        return ","
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in (";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def load_data(path, *, target=None):
    """``(X, y)`` from a CSV file with a header row; ``y`` is None without ``target``.

    The separator is ``","``; a header without a comma but with ``";"``, a
    tab or ``"|"`` selects the most frequent of those.

    Parameters
    ----------
    path : str or path-like
    target : str or None, default=None
        The column holding the target, dropped from ``X``.

    Returns
    -------
    X : pandas.DataFrame of shape (n_rows, n_columns)
    y : pandas.Series of shape (n_rows,) or None

    Raises
    ------
    LoadError
        ``exit_code`` 66 for a missing or unreadable file; 65 for a file that
        is not a CSV with rows, or a target column it does not have.
    """
    import pandas as pd

    path = _readable_file(path, "--data")
    try:
        frame = pd.read_csv(path, sep=_separator(path))
    except pd.errors.EmptyDataError:
        raise LoadError(f"--data {str(path)!r}: expected a CSV file with a header row; "
                        "found an empty file", EX_DATAERR) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise LoadError(f"--data {str(path)!r}: not a readable CSV file "
                        f"({type(exc).__name__}: {str(exc).strip()})", EX_DATAERR) from None
    if len(frame) == 0:
        raise LoadError(f"--data {str(path)!r}: expected at least one data row; found only "
                        f"the header ({frame.shape[1]} columns)", EX_DATAERR)
    if target is None:
        return frame, None
    if target not in frame.columns:
        raise LoadError(f"--target {target!r}: no such column in {str(path)!r}; its columns "
                        f"are {', '.join(map(repr, frame.columns))}", EX_DATAERR)
    return frame.drop(columns=target), frame[target]


def match_columns(model, X, *, target=None):
    """``X`` with the columns ``model`` was fitted on, in its order.

    Parameters
    ----------
    model : fitted estimator
        Its ``feature_names_in_`` (or else ``n_features_in_``) says which
        columns it expects; with neither, ``X`` is returned as it is.
    X : pandas.DataFrame
    target : str or None, default=None
        Named in the message, to tell a missing ``--target`` apart.

    Returns
    -------
    X : pandas.DataFrame
        Reordered to ``feature_names_in_`` when the names match as a set.

    Raises
    ------
    LoadError
        ``exit_code`` 65 when names are missing or extra (both are listed), or
        when the number of columns differs from ``n_features_in_``.
    """
    names = getattr(model, "feature_names_in_", None)
    given = list(X.columns)
    hint = "" if target is not None else " (is one of them the target? pass --target COL)"
    if names is not None:
        names = [str(n) for n in names]
        missing = [n for n in names if n not in given]
        extra = [c for c in given if c not in names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(map(repr, missing))}")
            if target in missing:
                parts[-1] += " (the --target column: the model uses it as a feature)"
            if extra:
                if any(str(c).startswith("Unnamed: ") for c in extra):
                    hint += (" ('Unnamed: N' is a column without a header, often an index "
                             "written by DataFrame.to_csv: save with index=False)")
                parts.append(f"extra {', '.join(map(repr, extra))}{hint}")
            raise LoadError(f"--data: the model was fitted on {len(names)} columns, the CSV "
                            f"has {len(given)} (after dropping the target): "
                            f"{'; '.join(parts)}", EX_DATAERR)
        return X[names]
    width = getattr(model, "n_features_in_", None)
    if width is not None and width != len(given):
        hint = hint if width < len(given) else ""
        raise LoadError(f"--data: the model expects {width} columns, the CSV has "
                        f"{len(given)} (after dropping the target){hint}", EX_DATAERR)
    return X


def ignore_missing_feature_names():
    """Silence scikit-learn's "X has feature names" warning for nameless models.

    The CSV's columns were already checked against ``n_features_in_``; the
    warning would repeat once per model call during the audit.
    """
    warnings.filterwarnings("ignore", message="X has feature names, but", category=UserWarning)
