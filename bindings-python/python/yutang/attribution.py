"""Channel attribution: which touchpoints earn the conversions.

A drop-in for the Python package ChannelAttribution's ``heuristic_models`` and
``markov_model`` (same argument names, same output columns), plus ``shapley_model``.
The Markov model is solved exactly on the absorbing chain instead of simulated, so results
are reproducible and small channels keep their (small, non-zero) removal effects.

Every function accepts a pandas, polars or pyarrow table and returns the same kind.
Channels come out in order of first appearance (scanning rows top to bottom, each path
left to right), as in ChannelAttribution.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import pyarrow as pa

from . import _yutang
from ._errors import column_not_found, invalid as _invalid
from ._yutang import InvalidFieldError
from .frame import kind_of

__all__ = ["heuristic_models", "markov_model", "shapley_model", "paths_from_touchpoints"]

# ChannelAttribution arguments that only steer its simulation: accepted, not needed.
_SIMULATION_ARGS = ("nsim_start", "max_step", "ncore", "nfold", "seed", "conv_par", "rate_step_sim", "verbose", "flg_pro")


# --- small frame helpers (pandas / polars / pyarrow in, the same kind out) ---------------


def _kind_of(data: Any) -> str:
    kind = kind_of(data)
    if kind == "other":
        raise TypeError(f"Data must be a pandas, polars or pyarrow table, got {type(data).__name__}")
    return kind


def _columns(data: Any, kind: str) -> List[str]:
    if kind == "pyarrow":
        return list(data.schema.names)
    return [str(c) for c in data.columns]


def _check_column(data: Any, kind: str, arg: str, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{arg} must be a column name (str), got {type(name).__name__}")
    if name not in _columns(data, kind):
        raise column_not_found(arg, name, _columns(data, kind))


def _strings(data: Any, kind: str, name: str) -> pa.Array:
    """The path column as one contiguous pyarrow large_string array."""
    if kind == "pandas":
        col = pa.array(data[name], from_pandas=True)
    elif kind == "polars":
        col = data[name].to_arrow()
    else:
        col = data.column(name)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type)):
        raise TypeError(f"var_path column {name!r} must hold strings, got {col.type}")
    col = col.cast(pa.large_string())
    if col.null_count:
        row = int(np.flatnonzero(np.asarray(col.is_null()))[0])
        err = InvalidFieldError(f"invalid paths[{row}]: None (a path needs at least one channel)")
        err.field, err.value = f"paths[{row}]", "None"
        raise err
    return col


def _buffers(col: pa.Array) -> Tuple[np.ndarray, np.ndarray]:
    _, offsets, values = col.buffers()
    offs = np.frombuffer(offsets, dtype=np.int64)[col.offset : col.offset + len(col) + 1]
    data = np.frombuffer(values, dtype=np.uint8) if values is not None else np.empty(0, np.uint8)
    return data, np.ascontiguousarray(offs)


def _floats(data: Any, kind: str, name: str) -> np.ndarray:
    if kind == "pandas":
        col = data[name].to_numpy(dtype=np.float64, na_value=np.nan)
    elif kind == "polars":
        col = data[name].cast(float).to_numpy()
    else:
        col = data.column(name).to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(col, dtype=np.float64)


def _frame(columns: Dict[str, Any], kind: str) -> Any:
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(columns)
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(columns)
    return pa.table(columns)


class _Input:
    """Parsed arguments shared by the three models."""

    def __init__(self, Data: Any, var_path: str, var_conv: str, var_value: Optional[str],
                 var_null: Optional[str], sep: str) -> None:
        self.kind = _kind_of(Data)
        _check_column(Data, self.kind, "var_path", var_path)
        _check_column(Data, self.kind, "var_conv", var_conv)
        if var_value is not None:
            _check_column(Data, self.kind, "var_value", var_value)
        if var_null is not None:
            _check_column(Data, self.kind, "var_null", var_null)
        self.sep = sep
        paths = _strings(Data, self.kind, var_path)
        conv = _floats(Data, self.kind, var_conv)
        value = _floats(Data, self.kind, var_value) if var_value is not None else None
        null = _floats(Data, self.kind, var_null) if var_null is not None else None
        self.data, self.offsets = _buffers(paths)
        self.conv, self.value, self.null = conv, value, null


# --- the models ------------------------------------------------------------------------


def heuristic_models(Data: Any, var_path: str, var_conv: str, var_value: Optional[str] = None,
                     sep: str = ">", flg_pro: bool = False, *, extended: bool = False,
                     half_life: float = 7.0, position_weights: Tuple[float, float] = (0.4, 0.4),
                     direct_channels: Tuple[str, ...] = ("direct", "(direct)")) -> Any:
    """First-touch, last-touch and linear attribution (ChannelAttribution's ``heuristic_models``).

    Parameters
    ----------
    Data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per path (or per distinct path with counts).
    var_path : str
        Column with paths such as ``"douyin > wechat > taobao"``.
    var_conv : str
        Column with the number of conversions of each path.
    var_value : str, optional
        Column with the conversion value of each path.
    sep : str, default ">"
        The separator: one non-whitespace character. Channel names are trimmed.
    flg_pro : bool
        Accepted for compatibility; ignored.
    extended : bool, default False
        Also return last non-direct, time decay and position based columns.
    half_life : float, default 7.0
        Time decay: half-life in steps before the conversion (paths carry no times here).
    position_weights : (float, float), default (0.4, 0.4)
        Position based: shares of the first and the last touch.
    direct_channels : tuple of str
        Channels that "last non-direct" skips.

    Returns
    -------
    Same kind as ``Data``
        ``channel_name, first_touch_conversions, first_touch_value, last_touch_conversions,
        last_touch_value, linear_touch_conversions, linear_touch_value``; without
        ``var_value``, ChannelAttribution's ``channel_name, first_touch, last_touch,
        linear_touch``.

    Raises
    ------
    yutang.InvalidFieldError
        Empty paths or channel names, bad separator, negative or NaN numbers; ``.field``
        names the row, e.g. ``"paths[17][2]"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from yutang.attribution import heuristic_models
    >>> df = pd.DataFrame({"path": ["a > b", "b"], "conv": [1, 1], "value": [10.0, 4.0]})
    >>> heuristic_models(df, "path", "conv", var_value="value")["linear_touch_value"].tolist()
    [5.0, 9.0]
    """
    inp = _Input(Data, var_path, var_conv, var_value, None, sep)
    first, last = position_weights
    # read by computed keys (<model>_conversions / <model>_value)
    res: Mapping[str, Any] = _yutang.attribution_heuristics(
        inp.data, inp.offsets, inp.conv, inp.value, sep, float(half_life), float(first), float(last),
        list(direct_channels))
    models = ["first_touch", "last_touch", "linear_touch"]
    if extended:
        models += ["last_non_direct", "time_decay", "position_based"]
    cols: Dict[str, Any] = {"channel_name": res["channel_name"]}
    for m in models:
        if var_value is None:
            cols[m] = res[f"{m}_conversions"]
        else:
            cols[f"{m}_conversions"] = res[f"{m}_conversions"]
            cols[f"{m}_value"] = res[f"{m}_value"]
    return _frame(cols, inp.kind)


def markov_model(Data: Any, var_path: str, var_conv: str, var_value: Optional[str] = None,
                 var_null: Optional[str] = None, order: int = 1, sep: str = ">",
                 out_more: bool = False, **simulation: Any) -> Any:
    """Markov-chain attribution with removal effects, solved exactly (ChannelAttribution's chain).

    States are ``(start)``, channels (or tuples of ``order`` channels), ``(conversion)`` and
    ``(null)``; consecutive repeats are merged. Each channel's removal effect is
    ``1 - P(conversion without it) / P(conversion)``; it receives ``removal effect / sum of
    removal effects`` of the observed conversions (and likewise of the value). No
    simulation: ChannelAttribution's ``nsim_start``, ``max_step``, ``ncore``, ``nfold``,
    ``seed``, ``conv_par``, ``rate_step_sim``, ``verbose`` and ``flg_pro`` are accepted and
    ignored.

    Parameters
    ----------
    Data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
    var_path, var_conv : str
        Path and conversion columns.
    var_value : str, optional
        Conversion value column.
    var_null : str, optional
        Column with how many times each path ended without a conversion. Without it, only
        converting rows are used (as ChannelAttribution does).
    order : int, default 1
        Markov order, 1 to 4.
    sep : str, default ">"
    out_more : bool, default False
        Also return the transition matrix and the removal effects.

    Returns
    -------
    Same kind as ``Data``, or a dict of them when ``out_more``
        ``channel_name, total_conversions[, total_conversion_value]``; with ``out_more`` a
        dict with ``result``, ``transition_matrix`` (``channel_from, channel_to,
        transition_probability``; higher-order states are channel names joined by
        ``" > "``) and ``removal_effects``.

    Examples
    --------
    >>> import pandas as pd
    >>> from yutang.attribution import markov_model
    >>> df = pd.DataFrame({"path": ["a > b", "b"], "conv": [1, 0], "null": [0, 1]})
    >>> markov_model(df, "path", "conv", var_null="null")["total_conversions"].round(6).tolist()
    [0.333333, 0.666667]
    """
    unknown = set(simulation) - set(_SIMULATION_ARGS)
    if unknown:
        raise TypeError(f"markov_model() got unexpected keyword arguments {sorted(unknown)}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise TypeError("order must be an int")
    inp = _Input(Data, var_path, var_conv, var_value, var_null, sep)
    # Without var_null, ChannelAttribution keeps only converting rows: list only their channels.
    res = _yutang.attribution_markov(inp.data, inp.offsets, inp.conv, inp.value, inp.null, sep, int(order),
                                     var_null is None)
    cols: Dict[str, Any] = {"channel_name": res["channel_name"], "total_conversions": res["total_conversions"]}
    if var_value is not None:
        cols["total_conversion_value"] = res["total_conversion_value"]
    result = _frame(cols, inp.kind)
    if not out_more:
        return result
    tm = _frame({k: res[k] for k in ("channel_from", "channel_to", "transition_probability")}, inp.kind)
    if var_value is None:
        re = {"channel_name": res["channel_name"], "removal_effect": res["removal_effects_conversion"]}
    else:
        re = {k: res[k] for k in ("channel_name", "removal_effects_conversion", "removal_effects_conversion_value")}
    return {"result": result, "transition_matrix": tm, "removal_effects": _frame(re, inp.kind)}


def shapley_model(Data: Any, var_path: str, var_conv: str, var_value: Optional[str] = None,
                  var_null: Optional[str] = None, sep: str = ">", *, worth: str = "conversions",
                  exact_limit: int = 16, samples: int = 10_000, seed: int = 0) -> Any:
    """Shapley-value attribution over channel sets.

    With ``worth="conversions"`` a set of channels is worth the conversions (value) of the
    paths that use only channels of the set; its Shapley value splits each path evenly over
    its distinct channels (exact for any number of channels). With
    ``worth="conversion_rate"`` (give ``var_null``) a set is worth the conversions per path
    among those paths; computed over all coalitions up to ``exact_limit`` channels, by
    sampling ``samples`` random channel orders (seeded) beyond. Shares are scaled to the
    observed totals.

    Returns
    -------
    Same kind as ``Data``
        ``channel_name, total_conversions[, total_conversion_value]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from yutang.attribution import shapley_model
    >>> df = pd.DataFrame({"path": ["a > b > a", "a"], "conv": [2, 1]})
    >>> shapley_model(df, "path", "conv")["total_conversions"].tolist()
    [2.0, 1.0]
    """
    if worth == "conversion_rate" and var_null is None:
        raise ValueError('worth="conversion_rate" needs var_null (without nulls every rate is 1)')
    for name, v in (("exact_limit", exact_limit), ("samples", samples), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0 or v >= 2**64:
            raise _invalid(name, v, "expected a whole number >= 0")
    inp = _Input(Data, var_path, var_conv, var_value, var_null, sep)
    res = _yutang.attribution_shapley(inp.data, inp.offsets, inp.conv, inp.value, inp.null, sep,
                                      worth, int(exact_limit), int(samples), int(seed))
    cols: Dict[str, Any] = {"channel_name": res["channel_name"], "total_conversions": res["total_conversions"]}
    if var_value is not None:
        cols["total_conversion_value"] = res["total_conversion_value"]
    return _frame(cols, inp.kind)


# --- paths from touchpoints ------------------------------------------------------------

_DAY_US = 86_400_000_000


def _micros(value: Any, what: str) -> int:
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return int(round(value.timestamp() * 1_000_000))
    try:
        return int(np.datetime64(value, "us").astype(np.int64))
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} must be a datetime, a date or an ISO-8601 string, got {value!r}") from e


def _column(data: Any, kind: str, name: str) -> pa.Array:
    if kind == "pandas":
        col = pa.array(data[name], from_pandas=True)
    elif kind == "polars":
        col = data[name].to_arrow()
    else:
        col = data.column(name)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    return col


def paths_from_touchpoints(Data: Any, var_customer: str, var_time: str, var_channel: str,
                           var_conversion: str, var_value: Optional[str] = None, *,
                           lookback: Union[float, _dt.timedelta] = 30, as_of: Any = None,
                           conversion_touch: bool = False, return_unattributed: bool = False) -> Any:
    """Build ChannelAttribution-style paths from per-customer touchpoints.

    Per customer, rows are taken in time order. A conversion row (``var_conversion`` true)
    gets the customer's touches since their previous conversion that lie within
    ``lookback`` before it; the touches left after the last conversion (within ``lookback``
    of ``as_of``, or of the customer's newest touch) become a path with ``total_null = 1``.

    Parameters
    ----------
    Data : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        One row per touch or conversion.
    var_customer : str
        Customer key column (any type; compared as text).
    var_time : str
        Timestamp column (naive times are read as UTC) or int64 epoch microseconds.
    var_channel : str
        Channel of each touch (may be empty on conversion rows).
    var_conversion : str
        Boolean column: is this row a conversion (an order, or the event kind you choose)?
    var_value : str, optional
        Value of each conversion (order amount).
    lookback : float (days) or datetime.timedelta, default 30 days
    as_of : datetime, date or ISO-8601 string, optional
        Rows after it are ignored.
    conversion_touch : bool, default False
        Append the conversion row's own channel as the last touch.
    return_unattributed : bool, default False
        Also return ``{"conversions": ..., "value": ...}`` of conversions with no touch.

    Returns
    -------
    Same kind as ``Data``
        ``path, total_conversions, total_conversion_value, total_null``, ready for
        :func:`heuristic_models`, :func:`markov_model` and :func:`shapley_model`. Touch times
        do not survive the path strings: time decay then counts steps (the Rust and Kotlin
        APIs keep the ages in days).

    Examples
    --------
    >>> import pandas as pd
    >>> from yutang.attribution import paths_from_touchpoints
    >>> ev = pd.DataFrame({"customer": [1, 1, 1, 2],
    ...                    "at": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-01"]),
    ...                    "channel": ["douyin", "wechat", "", "sms"],
    ...                    "order": [False, False, True, False], "amount": [0, 0, 88.0, 0]})
    >>> paths_from_touchpoints(ev, "customer", "at", "channel", "order", "amount")["path"].tolist()
    ['douyin > wechat', 'sms']
    """
    kind = _kind_of(Data)
    for arg, name in (("var_customer", var_customer), ("var_time", var_time), ("var_channel", var_channel),
                      ("var_conversion", var_conversion)):
        _check_column(Data, kind, arg, name)
    if var_value is not None:
        _check_column(Data, kind, "var_value", var_value)
    customers = _column(Data, kind, var_customer)
    if customers.null_count:
        row = int(np.flatnonzero(np.asarray(customers.is_null()))[0])
        err = InvalidFieldError(f"invalid customers[{row}]: None (a touchpoint needs a customer)")
        err.field, err.value = f"customers[{row}]", "None"
        raise err
    customers = customers.cast(pa.large_string())
    times = _column(Data, kind, var_time)
    if pa.types.is_timestamp(times.type) or pa.types.is_date(times.type):
        times = times.cast(pa.timestamp("us", tz=getattr(times.type, "tz", None))).cast(pa.int64())
    elif not pa.types.is_integer(times.type):
        raise TypeError(f"var_time column {var_time!r} must hold timestamps or epoch microseconds, got {times.type}")
    if times.null_count:
        row = int(np.flatnonzero(np.asarray(times.is_null()))[0])
        err = InvalidFieldError(f"invalid at_micros[{row}]: None (a touchpoint needs a time)")
        err.field, err.value = f"at_micros[{row}]", "None"
        raise err
    at = np.ascontiguousarray(times.to_numpy(zero_copy_only=False), dtype=np.int64)
    channels = _column(Data, kind, var_channel).cast(pa.large_string()).fill_null("")
    conv = np.ascontiguousarray(
        _column(Data, kind, var_conversion).cast(pa.bool_()).fill_null(False).to_numpy(zero_copy_only=False),
        dtype=np.bool_)
    values = (_floats(Data, kind, var_value) if var_value is not None else np.zeros(len(at)))
    lb = lookback.total_seconds() * 1e6 if isinstance(lookback, _dt.timedelta) else float(lookback) * _DAY_US
    cd, co = _buffers(customers)
    hd, ho = _buffers(channels)
    res = _yutang.attribution_paths_from_touchpoints(
        cd, co, at, hd, ho, conv, values, int(round(lb)),
        None if as_of is None else _micros(as_of, "as_of"), bool(conversion_touch))
    table = _frame({k: res[k] for k in ("path", "total_conversions", "total_conversion_value", "total_null")}, kind)
    if return_unattributed:
        return table, {"conversions": res["unattributed_conversions"], "value": res["unattributed_value"]}
    return table
