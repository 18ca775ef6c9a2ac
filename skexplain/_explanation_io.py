"""Saving and loading explanations as ``.npz`` + JSON metadata, never pickle.

``np.load(..., allow_pickle=False)`` cannot read object arrays, so object
columns of ``data`` (a DataFrame's strings, missing values, mixed columns)
are stored column by column: a type code per value (None, ``pd.NA``, str,
bool, int, float) plus the values, as a typed array when the column holds one
type and as exact text otherwise.  Each value then loads back equal and of
the same Python type (numpy scalars load as the equivalent Python scalar).
"""
import json
import numbers
import os

import numpy as np
import pandas as pd

from .exceptions import ExplanationFileError

FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_ARRAY_FIELDS = ("values", "base_values", "stderr", "delta")
_META_KEYS = ("feature_names", "output_names", "metadata", "data")

# Type codes of the values of an object column.
_NONE, _NA, _STR, _BOOL, _INT, _FLOAT = range(6)
_TYPE_NAMES = ("None", "pd.NA", "str", "bool", "int", "float")
_TYPED = {_STR: str, _BOOL: bool, _INT: np.int64, _FLOAT: float}


def _jsonable(obj):
    """Metadata as JSON values: see :meth:`skexplain.Explanation.save`."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return float(obj)
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return repr(obj)


def _type_code(value, column, row):
    if value is None:
        return _NONE
    if value is pd.NA:
        return _NA
    if isinstance(value, str):
        if value.endswith("\x00"):  # numpy's unicode arrays drop trailing NULs
            raise ValueError(
                f"data column {column} holds a string ending in a NUL character (row {row}): "
                f"{value!r}; save would store it without the NUL. Strip it first.")
        return _STR
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, numbers.Integral):
        return _INT
    if isinstance(value, (float, np.floating)):
        return _FLOAT
    raise ValueError(
        f"data column {column} holds {value!r} (row {row}), a {type(value).__name__}: "
        "save stores data values of type None, pd.NA, str, bool, int or float only "
        "(never pickle). Convert the column first, e.g. to str.")


def _as_text(value, code):
    if code == _FLOAT:
        return repr(float(value))  # repr round-trips every float (nan and inf included)
    if code == _INT:
        return str(int(value))
    if code == _BOOL:
        return "1" if value else "0"
    return "" if code in (_NONE, _NA) else value


def _encode_object_column(column, j):
    """(type codes, values) of one object column; values typed when one type is present."""
    codes = np.array([_type_code(v, j, i) for i, v in enumerate(column)], dtype=np.int8)
    kinds = set(codes[codes > _NA].tolist())
    if len(kinds) == 1 and not (kinds == {_INT} and not _fits_int64(column, codes)):
        kind = kinds.pop()
        filler = _TYPED[kind]("" if kind == _STR else 0)
        return codes, np.array([filler if c <= _NA else v for v, c in zip(column, codes)],
                               dtype=_TYPED[kind])
    return codes, np.array([_as_text(v, c) for v, c in zip(column, codes)], dtype=str)


def _fits_int64(column, codes):
    ints = [int(v) for v, c in zip(column, codes) if c == _INT]
    return all(-2**63 <= v < 2**63 for v in ints)


def _decode_object_column(codes, values):
    out = np.empty(codes.shape[0], dtype=object)
    text = values.dtype.kind == "U"  # a mixed column (or strings): parse the text
    parse = {_STR: str, _BOOL: lambda t: t == "1", _INT: int, _FLOAT: float}
    typed = {_STR: str, _BOOL: bool, _INT: int, _FLOAT: float}
    for i, (code, value) in enumerate(zip(codes.tolist(), values.tolist())):
        if code == _NONE:
            out[i] = None
        elif code == _NA:
            out[i] = pd.NA
        else:
            out[i] = parse[code](value) if text else typed[code](value)
    return out


def _encode_data(data, arrays):
    if data is None:
        return None
    if data.dtype.kind != "O":
        arrays["data"] = data
        return {"kind": "plain"}
    # explicit width: reshape(0, -1) cannot infer it when there are no rows
    flat = data.reshape(data.shape[0], int(np.prod(data.shape[1:])))
    for j in range(flat.shape[1]):
        arrays[f"data_types{j}"], arrays[f"data_col{j}"] = _encode_object_column(flat[:, j], j)
    return {"kind": "typed_columns", "shape": list(data.shape)}


def _decode_data(spec, npz):
    if spec is None:
        return None
    if spec["kind"] == "plain":
        return npz["data"]
    shape = tuple(spec["shape"])
    n_columns = int(np.prod(shape[1:]))
    flat = np.empty((shape[0], n_columns), dtype=object)
    for j in range(n_columns):
        if spec["kind"] == "columns":  # format version 1
            values, missing = npz[f"data_col{j}"], npz[f"data_missing{j}"]
            col = values.astype(float if spec["column_kinds"][j] == "float" else object)
            col = col.astype(object)
            col[missing] = np.nan
        else:
            col = _decode_object_column(npz[f"data_types{j}"], npz[f"data_col{j}"])
        flat[:, j] = col
    return flat.reshape(shape)


def written_path(path):
    """The file :func:`numpy.savez` writes for ``path`` (it appends ``.npz``)."""
    if hasattr(path, "write"):
        return path
    name = os.fspath(path)
    suffix = b".npz" if isinstance(name, bytes) else ".npz"
    if name.endswith(suffix):
        return path
    return type(path)(name + suffix) if isinstance(path, os.PathLike) else name + suffix


def save_explanation(expl, path):
    """Write ``expl``; returns the path written (see :meth:`Explanation.save`)."""
    arrays = {}
    for name in _ARRAY_FIELDS:
        value = getattr(expl, name)
        if value is not None:
            arrays[name] = value
    extras = {}  # entry -> name: numbered entries, so that any name is a safe key
    for i, (name, value) in enumerate(expl.extras.items()):
        arrays[f"extras_{i}"] = value
        extras[f"extras_{i}"] = name
    meta = {
        "format_version": FORMAT_VERSION,
        "extras": extras,
        "feature_names": expl.feature_names,
        "output_names": expl.output_names,
        "metadata": _jsonable(expl.metadata),
        "data": _encode_data(expl.data, arrays),
    }
    arrays["__meta__"] = np.array(json.dumps(meta))
    target = written_path(path)
    np.savez(target, **arrays)
    return target


def _not_ours(path, reason):
    return ExplanationFileError(f"{path!s} is not a skexplain explanation file: {reason}")


def load_explanation(path):
    """Read the fields of an Explanation written by :func:`save_explanation`.

    Raises
    ------
    ExplanationFileError
        For anything but an explanation file this version reads.
    """
    try:
        npz = np.load(path, allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as exc:  # text, pickle, truncated or foreign binary files
        raise _not_ours(path, f"numpy cannot read it as .npz ({type(exc).__name__}: "
                              f"{exc})") from exc
    if not hasattr(npz, "files"):
        raise _not_ours(path, "it holds a single .npy array, not an .npz archive")
    with npz:
        try:
            return _read_fields(npz, path)
        except ExplanationFileError:
            raise
        except Exception as exc:  # corrupt members, bad JSON, wrong types
            raise _not_ours(path, f"{type(exc).__name__}: {exc}") from exc


def _read_fields(npz, path):
    if "__meta__" not in npz.files:
        raise _not_ours(path, f"it has no __meta__ entry (entries: {npz.files[:10]})")
    meta = json.loads(str(npz["__meta__"]))
    if not isinstance(meta, dict):
        raise _not_ours(path, "its __meta__ entry is not a JSON object")
    version = meta.get("format_version")
    if version not in _READABLE_VERSIONS:
        raise ExplanationFileError(
            f"{path!s} is not a skexplain explanation file that this version reads: it has "
            f"format version {version!r} and this skexplain reads versions "
            f"{list(_READABLE_VERSIONS)} (a newer skexplain wrote it?).")
    missing = [k for k in _META_KEYS if k not in meta] + [
        k for k in ("values", "base_values") if k not in npz.files]
    if missing:
        raise _not_ours(path, f"it lacks the entries {missing}")
    fields = {name: npz[name] for name in _ARRAY_FIELDS if name in npz.files}
    fields["data"] = _decode_data(meta["data"], npz)
    fields["extras"] = {name: npz[key] for key, name in meta.get("extras", {}).items()}
    fields.update(feature_names=meta["feature_names"], output_names=meta["output_names"],
                  metadata=meta["metadata"])
    return fields
