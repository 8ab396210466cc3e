"""Tables in, tables out: pandas, polars or pyarrow, returning the same kind it was given.

Columnar input crosses into Rust as numpy views of Arrow buffers: no Python loop per row.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["kind_of", "to_arrow", "from_arrow", "column_arrays", "to_iso", "FRAME_KINDS"]

FRAME_KINDS = ("pandas", "polars", "pyarrow")


def kind_of(obj: Any) -> str:
    """``"pandas"``, ``"polars"``, ``"pyarrow"`` (Table or RecordBatch), or ``"other"``."""
    mod = type(obj).__module__.split(".")[0]
    if mod == "pandas":
        return "pandas"
    if mod == "polars":
        return "polars"
    if isinstance(obj, (pa.Table, pa.RecordBatch)):
        return "pyarrow"
    return "other"


def to_arrow(obj: Any) -> pa.Table:
    """A pyarrow Table from a pandas / polars DataFrame or a pyarrow Table / RecordBatch."""
    kind = kind_of(obj)
    if kind == "pyarrow":
        return obj if isinstance(obj, pa.Table) else pa.Table.from_batches([obj])
    if kind == "polars":
        return obj.to_arrow()
    if kind == "pandas":
        return pa.Table.from_pandas(obj, preserve_index=False)
    raise TypeError(f"expected a pandas or polars DataFrame or a pyarrow Table, got {type(obj).__name__}")


def from_arrow(table: pa.Table, kind: str = "pandas") -> Any:
    """Convert a pyarrow Table to ``kind`` (``pandas`` default, ``polars`` or ``pyarrow``)."""
    if kind == "pyarrow":
        return table
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if kind == "pandas":
        return table.to_pandas()
    raise ValueError(f"frame must be one of {FRAME_KINDS}, got {kind!r}")


def _mask(arr: pa.Array) -> Optional[np.ndarray]:
    if arr.null_count == 0:
        return None
    return pc.is_valid(arr).to_numpy(zero_copy_only=False)


def _column(name: str, col: pa.ChunkedArray) -> Tuple[str, str, Any, Any, Any]:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    if pa.types.is_timestamp(t):
        if t.tz is None:
            us = arr.cast(pa.timestamp("us"))
            tag = "ts_naive"
        else:
            us = arr.cast(pa.timestamp("us", tz="UTC"))
            tag = "ts_utc"
        vals = us.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return (name, tag, np.ascontiguousarray(vals, dtype=np.int64), None, _mask(arr))
    if pa.types.is_date(t):
        us = arr.cast(pa.timestamp("us"))
        vals = us.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return (name, "ts_naive", np.ascontiguousarray(vals, dtype=np.int64), None, _mask(arr))
    if pa.types.is_boolean(t):
        vals = arr.fill_null(False).to_numpy(zero_copy_only=False)
        return (name, "bool", np.ascontiguousarray(vals, dtype=np.bool_), None, _mask(arr))
    if pa.types.is_floating(t):
        vals = arr.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)
        return (name, "f64", np.ascontiguousarray(vals, dtype=np.float64), None, None)
    if pa.types.is_integer(t):
        vals = arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return (name, "i64", np.ascontiguousarray(vals, dtype=np.int64), None, _mask(arr))
    if pa.types.is_decimal(t):
        arr = arr.cast(pa.string())
        t = arr.type
    if pa.types.is_null(t):
        arr = pa.array([None] * len(arr), type=pa.large_string())
        t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        arr = arr.cast(pa.large_string())
        if arr.offset != 0:
            arr = pa.concat_arrays([arr])  # materialise a sliced array
        bufs = arr.buffers()
        n = len(arr)
        offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset: arr.offset + n + 1]
        data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, dtype=np.uint8)
        return (name, "str", offsets, data, _mask(arr))
    raise TypeError(f"column {name!r}: unsupported type {t}")


def column_arrays(table: pa.Table) -> List[Tuple[str, str, Any, Any, Any]]:
    """The ``(name, tag, a, b, valid)`` tuples the native layer reads."""
    return [_column(name, table.column(name)) for name in table.column_names]


def to_iso(t: Any) -> str:
    """A time argument as an ISO-8601 string.

    Accepts an ISO-8601 string (with an offset, or read in the pool's business zone), a
    timezone-aware ``datetime`` or a pandas ``Timestamp`` (naive ones are read in the business
    zone, like zone-less input times), or a ``date`` (midnight in the business zone).
    """
    if isinstance(t, str):
        return t
    if hasattr(t, "isoformat") and hasattr(t, "tzinfo"):  # datetime, pandas Timestamp
        return t.isoformat()
    if isinstance(t, _dt.date):
        return t.isoformat()
    if isinstance(t, np.datetime64):
        return str(np.datetime_as_string(t, unit="us"))
    raise TypeError(f"expected an ISO-8601 string, a datetime or a pandas Timestamp, got {type(t).__name__}")


def columns_to_table(cols: Dict[str, Any]) -> pa.Table:
    """Build a Table from a dict of already-typed pyarrow arrays / numpy arrays / lists."""
    return pa.table({k: v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(v) for k, v in cols.items()})


def ts_array(values: np.ndarray, mask: np.ndarray) -> pa.Array:
    """int64 µs since the epoch + validity mask -> timestamp[us, UTC]."""
    return pa.array(values, type=pa.int64(), mask=~np.asarray(mask, dtype=bool)).cast(pa.timestamp("us", tz="UTC"))


def records_to_frame(records: Sequence[Dict[str, Any]], columns: Sequence[str], kind: str,
                     time_columns: Sequence[str] = ()) -> Any:
    """A frame from a list of dicts (small outputs: timelines, conflicts, merge logs)."""
    data: Dict[str, Any] = {}
    for c in columns:
        vals = [r.get(c) for r in records]
        if c in time_columns:
            data[c] = pa.array(vals, type=pa.string()).cast(pa.timestamp("us", tz="UTC")) if vals else pa.array([], type=pa.timestamp("us", tz="UTC"))
        else:
            data[c] = pa.array(vals) if vals else pa.array([], type=pa.string())
    return from_arrow(pa.table(data), kind)
