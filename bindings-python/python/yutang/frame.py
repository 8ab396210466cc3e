"""Tables in, tables out: pandas, polars or pyarrow, returning the same kind it was given.

Columnar input crosses into Rust as numpy views of Arrow buffers: no Python loop per row.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["kind_of", "to_arrow", "from_arrow", "column_arrays", "events_table", "identity_columns_as_text", "to_iso",
           "FRAME_KINDS"]

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


_INT64_MAX = 2**63 - 1


def events_table(obj: Any) -> Tuple[pa.Table, int, List[Tuple[int, str, str]]]:
    """An events frame as ``(table, rows, bad)``: ``bad`` lists ``(row, column, reason)`` for
    cells that cannot cross into Arrow (a lone surrogate; a pandas object column mixing
    strings and numbers is read as text instead), so that one bad cell costs its row, not the
    batch. ``rows`` counts a pandas frame's rows even when it has no columns."""
    if kind_of(obj) != "pandas":
        t = to_arrow(obj)
        return t, t.num_rows, []
    n = len(obj)
    try:
        t = pa.Table.from_pandas(obj, preserve_index=False)
        return t, n, []
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError, OverflowError):
        pass
    bad: List[Tuple[int, str, str]] = []
    arrays: Dict[str, pa.Array] = {}
    for name in obj.columns:
        col = obj[name]
        try:
            arrays[str(name)] = pa.array(col, from_pandas=True)
            continue
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError, OverflowError):
            pass
        texts: List[Optional[str]] = []
        for row, v in enumerate(col.tolist()):
            text = _cell_text(v)
            if text is not None:
                try:
                    text.encode("utf-8")
                except UnicodeError:
                    bad.append((row, str(name), "not valid Unicode text (a lone surrogate)"))
                    text = None
            texts.append(text)
        arrays[str(name)] = pa.array(texts, type=pa.large_string())
    bad.sort(key=lambda b: b[0])
    return pa.table(arrays) if arrays else pa.table({}), n, bad


def _cell_text(v: Any) -> Optional[str]:
    """A cell of a mixed pandas object column as text: integers (and whole floats) as their
    digits, missing values as ``None``."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)).lower()
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f != f:
            return None
        return str(int(f)) if f.is_integer() and abs(f) < 2**63 else repr(f)
    if type(v).__name__ in ("NaTType",):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="surrogateescape")
    return str(v)


def identity_columns_as_text(table: pa.Table, is_identity: Callable[[str], bool]) -> pa.Table:
    """Integer columns named ``is_identity`` (identity kinds, ``referrer``) as their decimal
    digits; a float column when every present value is a whole number (NaN and null mean
    missing), else an :class:`yutang.InvalidFieldError` naming the column; a bool column is an
    error too."""
    from ._errors import invalid

    out = table
    for i, name in enumerate(table.column_names):
        if not is_identity(name):
            continue
        arr = table.column(i).combine_chunks()
        t = arr.type
        if pa.types.is_integer(t):
            text = pc.cast(arr, pa.large_string())
        elif pa.types.is_floating(t):
            f = pc.if_else(pc.is_nan(arr), pa.scalar(None, type=t), arr)
            present = pc.drop_null(f)
            if len(present) and not pc.all(pc.and_(pc.is_finite(present), pc.equal(pc.floor(present), present))).as_py():
                raise invalid(name, "", "a float identity column must hold whole numbers (or NaN for missing)")
            if len(present) and pc.max(pc.abs(present)).as_py() >= 2**63:
                raise invalid(name, "", "a whole number too large for an identity value")
            text = pc.cast(pc.cast(f, pa.int64()), pa.large_string())
        elif pa.types.is_boolean(t):
            raise invalid(name, "", "an identity column holds strings or integers, not bools")
        else:
            continue
        out = out.set_column(i, name, text)
    return out


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
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        tag = "ts_utc" if pa.types.is_timestamp(t) and t.tz is not None else "ts_naive"
        return (name, tag, _micros(arr, t), None, _mask(arr))
    if pa.types.is_boolean(t):
        vals = arr.fill_null(False).to_numpy(zero_copy_only=False)
        return (name, "bool", np.ascontiguousarray(vals, dtype=np.bool_), None, _mask(arr))
    if pa.types.is_floating(t):
        vals = arr.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)
        return (name, "f64", np.ascontiguousarray(vals, dtype=np.float64), None, None)
    if pa.types.is_unsigned_integer(t) and len(arr) and (pc.max(arr).as_py() or 0) > _INT64_MAX:
        # beyond int64: read as float (an amount that large is then refused per row)
        vals = arr.cast(pa.float64(), safe=False).fill_null(float("nan")).to_numpy(zero_copy_only=False)
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


# microseconds per unit of an Arrow time type
_PER_UNIT = {"s": (1_000_000, 1), "ms": (1_000, 1), "us": (1, 1), "ns": (1, 1_000)}


def _micros(arr: pa.Array, t: pa.DataType) -> np.ndarray:
    """Epoch microseconds of a timestamp or date column, without Arrow's casts: sub-microsecond
    parts are floored, and a value whose microseconds overflow int64 becomes one the pool
    refuses per row as out of range (instead of failing the whole column)."""
    if pa.types.is_date32(t):
        mul, div = 86_400_000_000, 1
        raw = arr.cast(pa.int32()).cast(pa.int64())
    elif pa.types.is_date64(t):
        mul, div = 1_000, 1
        raw = arr.cast(pa.int64())
    else:
        mul, div = _PER_UNIT[t.unit]
        raw = arr.cast(pa.int64())
    v = raw.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    if div > 1:
        v = np.floor_divide(v, div)
    if mul > 1:
        lim = _INT64_MAX // mul
        over = np.abs(v) > lim
        v = np.where(over, np.sign(v) * _INT64_MAX, v * np.where(over, 0, mul))
    return np.ascontiguousarray(v, dtype=np.int64)


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
