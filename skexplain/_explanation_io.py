"""Saving and loading explanations as ``.npz`` + JSON metadata, never pickle.

Object columns of ``data`` (strings from a DataFrame, with missing values) are
stored column by column as unicode arrays plus a missing-value mask, because
``np.load(..., allow_pickle=False)`` cannot read object arrays.
"""
import json
import numbers

import numpy as np

FORMAT_VERSION = 1
_ARRAY_FIELDS = ("values", "base_values", "stderr", "delta")


def _jsonable(obj):
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


def _is_missing(value):
    return value is None or (isinstance(value, float) and np.isnan(value))


def _encode_object_column(column):
    """Return (kind, array, missing mask) for one object column."""
    missing = np.array([_is_missing(v) for v in column], dtype=bool)
    present = [v for v, m in zip(column, missing) if not m]
    if all(isinstance(v, (numbers.Real, np.bool_)) and not isinstance(v, str) for v in present):
        values = np.array([np.nan if m else float(v) for v, m in zip(column, missing)])
        return "float", values, missing
    values = np.array(["" if m else str(v) for v, m in zip(column, missing)], dtype=str)
    return "str", values, missing


def _encode_data(data, arrays):
    if data is None:
        return None
    if data.dtype.kind != "O":
        arrays["data"] = data
        return {"kind": "plain"}
    flat = data.reshape(data.shape[0], -1)
    kinds = []
    for j in range(flat.shape[1]):
        kind, values, missing = _encode_object_column(flat[:, j])
        arrays[f"data_col{j}"] = values
        arrays[f"data_missing{j}"] = missing
        kinds.append(kind)
    return {"kind": "columns", "shape": list(data.shape), "column_kinds": kinds}


def _decode_data(spec, npz):
    if spec is None:
        return None
    if spec["kind"] == "plain":
        return npz["data"]
    shape = tuple(spec["shape"])
    flat = np.empty((shape[0], len(spec["column_kinds"])), dtype=object)
    for j, kind in enumerate(spec["column_kinds"]):
        values, missing = npz[f"data_col{j}"], npz[f"data_missing{j}"]
        col = values.astype(float) if kind == "float" else values.astype(object)
        col = col.astype(object)
        col[missing] = np.nan
        flat[:, j] = col
    return flat.reshape(shape)


def save_explanation(expl, path):
    """Write ``expl`` to ``path`` (``.npz`` is appended by numpy if missing)."""
    arrays = {}
    for name in _ARRAY_FIELDS:
        value = getattr(expl, name)
        if value is not None:
            arrays[name] = value
    meta = {
        "format_version": FORMAT_VERSION,
        "feature_names": expl.feature_names,
        "output_names": expl.output_names,
        "metadata": _jsonable(expl.metadata),
        "data": _encode_data(expl.data, arrays),
    }
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return path


def load_explanation(path):
    """Read the fields of an Explanation written by :func:`save_explanation`."""
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(str(npz["__meta__"]))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{path!s} has format version {meta.get('format_version')}; this "
                f"skexplain reads version {FORMAT_VERSION}."
            )
        fields = {name: npz[name] for name in _ARRAY_FIELDS if name in npz.files}
        fields["data"] = _decode_data(meta["data"], npz)
    fields.update(feature_names=meta["feature_names"], output_names=meta["output_names"],
                  metadata=meta["metadata"])
    return fields
