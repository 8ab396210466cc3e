"""Lifecycle stages and RFM value tiers: definitions shared by ``yutang.Pool`` and DataFrames.

Pool methods (``pool.lifecycle``, ``pool.rfm``, ``pool.stage_history`` …) live in
:class:`yutang._pool_lifecycle.LifecycleMixin`; this module holds the column function
:func:`rfm_scores` (exported as ``yutang.rfm_scores``), the default tier map and the stage ids.
See docs/lifecycle.md for the definitions.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import pyarrow as pa

from . import _yutang
from . import frame as _frame
from ._errors import column_not_found, invalid as _invalid

__all__ = ["STAGES", "TIERS", "rfm_scores", "default_tiers", "check_tiers"]

#: Stage ids in machine order.
STAGES = tuple(_yutang.lifecycle_stage_names())

_DEFAULTS: Dict[str, Any] = json.loads(_yutang.rfm_default_options_json())

#: The default tier names, in map order.
TIERS = tuple(t["name"] for t in _DEFAULTS["tiers"]["tiers"])

Scoring = Union[None, str, Sequence[float], Mapping[str, Sequence[float]]]


def _scoring(spec: Scoring, name: str) -> Any:
    """``None`` / ``"quintiles"`` -> quintiles; ``{"quantiles": [p0..p3]}``; ``{"cuts": [c0..c3]}``
    or a plain list of four cut points."""
    if spec is None or spec == "quintiles":
        return {"quantiles": [0.2, 0.4, 0.6, 0.8]}
    if isinstance(spec, Mapping):
        if set(spec) - {"quantiles", "cuts"} or len(spec) != 1:
            raise ValueError(f"{name}: expected {{'quantiles': [4 probabilities]}} or {{'cuts': [4 values]}}, got {spec!r}")
        (k, v), = spec.items()
        return {k: [float(x) for x in v]}
    if isinstance(spec, str):
        raise ValueError(f"{name}: expected 'quintiles', a dict or a list of 4 cut points, got {spec!r}")
    return {"cuts": [float(x) for x in spec]}


def _tiers(tiers: Any) -> Any:
    """A tier map: ``{"tiers": [...]}``, a list of ``{"name", "cells"}``, or ``{name: [boxes]}``
    where a box is ``{"r": [lo, hi], "f": [lo, hi], "m": [lo, hi]}`` (missing = 1..5)."""
    if tiers is None:
        return _DEFAULTS["tiers"]
    if isinstance(tiers, Mapping) and "tiers" in tiers:
        return {"tiers": list(tiers["tiers"])}
    if isinstance(tiers, Mapping):
        return {"tiers": [{"name": k, "cells": list(v)} for k, v in tiers.items()]}
    return {"tiers": list(tiers)}


def _options(recency: Scoring = None, frequency: Scoring = None, monetary: Scoring = None, tiers: Any = None,
             rates: Optional[Mapping[str, float]] = None) -> Dict[str, Any]:
    return {
        "recency": _scoring(recency, "recency"),
        "frequency": _scoring(frequency, "frequency"),
        "monetary": _scoring(monetary, "monetary"),
        "tiers": _tiers(tiers),
        "rates": {str(k): float(v) for k, v in (rates or {}).items()},
    }


def default_tiers() -> Dict[str, List[Dict[str, List[int]]]]:
    """The default eleven tiers as ``{name: [boxes]}`` (a partition of the 5×5×5 score cube)."""
    return {t["name"]: t["cells"] for t in _DEFAULTS["tiers"]["tiers"]}


def check_tiers(tiers: Any) -> List[str]:
    """Check that a tier map covers every (R, F, M) cell exactly once; returns the names.

    Raises :class:`yutang.InvalidFieldError` naming the first cell of a gap or an overlap
    (``r=1 f=2 m=3``) or the bad range (``tiers[2].cells[0].m``).
    """
    return list(_yutang.rfm_check_tiers(json.dumps(_tiers(tiers))))


def _f64(table: pa.Table, col: str, arg: str) -> np.ndarray:
    if col not in table.column_names:
        raise column_not_found(arg, col, table.column_names)
    arr = table.column(col).combine_chunks()
    if not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type)):
        raise _invalid(col, "", f"expected numbers, got {arr.type}")
    v = np.ascontiguousarray(arr.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(v))
    if len(bad):
        raise _invalid(f"{col}[{bad[0]}]", str(v[bad[0]]), "missing or not a finite number")
    return v


def rfm_scores(df: Any, recency_col: str = "recency_days", frequency_col: str = "frequency",
               monetary_col: str = "monetary", *, recency: Scoring = None, frequency: Scoring = None,
               monetary: Scoring = None, tiers: Any = None) -> Any:
    """R, F, M scores 1–5 and a tier for each customer (row) of a DataFrame.

    Parameters
    ----------
    df : pandas / polars DataFrame or pyarrow Table
        One row per buyer with days since the last order, number of orders and net spend.
    recency_col, frequency_col, monetary_col : str
        Column names.
    recency, frequency, monetary : optional
        ``None`` / ``"quintiles"`` (default), ``{"quantiles": [p0, p1, p2, p3]}``, or four fixed
        cut points (``[30, 60, 90, 180]`` or ``{"cuts": [...]}``; right-closed bins; recency
        scores 5 for the fewest days).
    tiers : optional
        A tier map (``{name: [{"r": [lo, hi], "f": [lo, hi], "m": [lo, hi]}, ...]}``); default
        the eleven usual tiers. Checked: every score cell in exactly one tier.

    Returns
    -------
    The same kind of table as ``df`` with the columns ``r``, ``f``, ``m`` (int8) and ``tier``
    added. Quantile ties: equal values get equal scores, from their average rank; without ties
    the scores equal ``pd.qcut(s.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])`` (see
    docs/lifecycle.md).

    Examples
    --------
    >>> import pandas as pd, yutang
    >>> df = pd.DataFrame({"recency_days": [1, 400, 30, 200, 5], "frequency": [9, 1, 3, 2, 1],
    ...                    "monetary": [900.0, 10.0, 120.0, 60.0, 15.0]})
    >>> out = yutang.rfm_scores(df)
    >>> out[["r", "f", "m"]].iloc[0].tolist(), out["tier"].iloc[0]
    ([5, 5, 5], 'champions')
    """
    kind = _frame.kind_of(df)
    table = _frame.to_arrow(df)
    opts = _options(recency, frequency, monetary, tiers)
    r, f, m, tier, names = _yutang.rfm_score_columns(
        _f64(table, recency_col, "recency_col"), _f64(table, frequency_col, "frequency_col"),
        _f64(table, monetary_col, "monetary_col"), json.dumps(opts))
    tier_col = pa.array(np.asarray(names, dtype=object)[tier] if len(names) else [], type=pa.string())
    for name, col in (("r", pa.array(r.astype(np.int8))), ("f", pa.array(f.astype(np.int8))),
                      ("m", pa.array(m.astype(np.int8))), ("tier", tier_col)):
        if name in table.column_names:
            table = table.drop_columns([name])
        table = table.append_column(name, col)
    if kind == "pandas":
        out = df.copy()
        for name in ("r", "f", "m", "tier"):
            out[name] = table.column(name).to_numpy(zero_copy_only=False)
        return out
    return _frame.from_arrow(table, kind)
