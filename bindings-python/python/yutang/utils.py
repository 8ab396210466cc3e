"""RFM summaries with the semantics of ``lifetimes.utils`` 0.11.3, computed in Rust.

``summary_data_from_transaction_data`` and ``calibration_and_holdout_data`` keep lifetimes'
names, arguments and output (a pandas DataFrame indexed by customer id). ``rfm_summary`` is
the yutang convenience: it accepts pandas, polars or pyarrow tables and returns the same kind,
with the customer id as a column.

Deliberate differences from lifetimes: ``freq="M"`` counts whole calendar months (lifetimes
fails on pandas 2); ``freq="H"`` and ``"h"`` both mean hours; NaN monetary values are an error.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np
import pandas as pd

from . import _yutang
from ._errors import invalid
from .fitters import _PERIODS_PER_MONTH, _to_numpy
from ._tracking import _find_first_transactions, calculate_alive_path, expected_cumulative_transactions, to_datetime
from ._yutang import ConvergenceError  # noqa: F401  (lifetimes.utils.ConvergenceError)

__all__ = [
    "summary_data_from_transaction_data",
    "calibration_and_holdout_data",
    "rfm_summary",
    "calculate_alive_path",
    "expected_cumulative_transactions",
    "ConvergenceError",
    # lifetimes' underscored helpers, which its users and tests call
    "_check_inputs",
    "_customer_lifetime_value",
    "_find_first_transactions",
    "_scale_time",
]

_FREQS = ("D", "W", "M", "H", "h")


def _to_pandas(transactions: Any) -> pd.DataFrame:
    if isinstance(transactions, pd.DataFrame):
        return transactions
    mod = type(transactions).__module__
    if mod.startswith("polars") or mod.startswith("pyarrow"):
        return transactions.to_pandas()
    return pd.DataFrame(transactions)


def _kind(obj: Any) -> str:
    mod = type(obj).__module__
    if mod.startswith("polars"):
        return "polars"
    if mod.startswith("pyarrow"):
        return "pyarrow"
    return "pandas"


def _micros(values: Any, datetime_format: Optional[str]) -> np.ndarray:
    """A datetime-like column -> int64 µs of local wall time (tz-aware columns keep their zone)."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else None
    if arr is not None and arr.dtype.kind == "M":
        # naive datetime64 column: reinterpret, no parsing (floor to µs; periods are coarser)
        unit = np.datetime_data(arr.dtype)[0]
        per_us = {"ns": 1000, "us": 1, "ms": None, "s": None}.get(unit)
        if per_us is not None:
            i8 = arr.view(np.int64)
            return np.ascontiguousarray(i8 // per_us if per_us != 1 else i8)
    s = to_datetime(values, datetime_format)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return np.ascontiguousarray(s.to_numpy().astype("datetime64[us]").astype(np.int64))


def _micros_scalar(value: Any, datetime_format: Optional[str], like_tz: Any = None) -> int:
    ts = to_datetime([value], datetime_format).iloc[0]
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int(np.datetime64(ts.to_datetime64(), "us").astype(np.int64))


def _codes(ids: Any) -> "tuple[np.ndarray, Optional[np.ndarray]]":
    """Customer ids -> (uint64 keys whose order is the id order, the ids per key or None).

    Non-negative integer ids pass through unchanged (the keys are the ids); anything else is
    factorised with pandas (sorted, so code order = id order, as lifetimes' groupby)."""
    arr = ids.to_numpy() if isinstance(ids, (pd.Series, pd.Index)) else np.asarray(ids)
    if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0:
        return np.ascontiguousarray(arr.astype(np.uint64, copy=False)), None
    codes, uniques = pd.factorize(pd.Series(ids), sort=True)
    if (codes < 0).any():
        raise _yutang.InvalidFieldError(f"invalid customer_id[{int(np.argmax(codes < 0))}]: missing value")
    return np.ascontiguousarray(codes.astype(np.uint64)), np.asarray(uniques)


def _check_freq(freq: str) -> None:
    if freq not in _FREQS:
        raise ValueError(f"freq must be one of D, W, M, H (got {freq!r})")


def _prepare(transactions: Any, customer_id_col: str, datetime_col: str, monetary_value_col: Optional[str], datetime_format: Optional[str]):
    df = _to_pandas(transactions)
    codes, uniques = _codes(df[customer_id_col])
    ts = _micros(df[datetime_col], datetime_format)
    money = None
    if monetary_value_col:
        money = np.ascontiguousarray(df[monetary_value_col].to_numpy(), dtype=np.float64)
    return codes, uniques, ts, money


def summary_data_from_transaction_data(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    datetime_format: Optional[str] = None,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
) -> pd.DataFrame:
    """Per-customer frequency, recency, T [, monetary_value] from a transaction log.

    Same arguments and output as ``lifetimes.utils.summary_data_from_transaction_data``: a
    float DataFrame indexed by customer id (sorted), columns ``frequency, recency, T`` and
    ``monetary_value`` when ``monetary_value_col`` is given.

    Examples
    --------
    >>> import pandas as pd, yutang
    >>> tx = pd.DataFrame({"id": ["a", "a", "b"], "date": ["2024-01-01", "2024-01-04", "2024-01-02"]})
    >>> yutang.utils.summary_data_from_transaction_data(tx, "id", "date", observation_period_end="2024-01-10")
        frequency  recency     T
    id                          
    a         1.0      3.0   9.0
    b         0.0      0.0   8.0
    """
    _check_freq(freq)
    codes, uniques, ts, money = _prepare(transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format)
    end = None if observation_period_end is None else _micros_scalar(observation_period_end, datetime_format)
    d = _yutang.ltv_rfm_summary(codes, ts, money, freq, float(freq_multiplier), end, bool(include_first_transaction))
    return _summary_frame(d, codes, uniques, customer_id_col, "")


def _summary_frame(d: Mapping[str, Any], codes: np.ndarray, uniques: np.ndarray, customer_id_col: str, suffix: str) -> pd.DataFrame:
    keys = codes[d["first_row"]]
    ids = keys.astype(np.int64) if uniques is None else uniques[keys.astype(np.int64)]
    cols = {k: d[k] for k in (f"frequency{suffix}", f"recency{suffix}", f"T{suffix}", f"monetary_value{suffix}") if k in d}
    return pd.DataFrame(cols, index=pd.Index(ids, name=customer_id_col))


def calibration_and_holdout_data(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    calibration_period_end: Any,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    datetime_format: Optional[str] = None,
    monetary_value_col: Optional[str] = None,
    include_first_transaction: bool = False,
) -> pd.DataFrame:
    """Calibration summary plus holdout counts, as ``lifetimes.utils.calibration_and_holdout_data``.

    Columns ``frequency_cal, recency_cal, T_cal[, monetary_value_cal], frequency_holdout[,
    monetary_value_holdout], duration_holdout``.
    """
    _check_freq(freq)
    codes, uniques, ts, money = _prepare(transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format)
    cal = _micros_scalar(calibration_period_end, datetime_format)
    end = None if observation_period_end is None else _micros_scalar(observation_period_end, datetime_format)
    d = _yutang.ltv_calibration_and_holdout(codes, ts, cal, money, end, freq, float(freq_multiplier), bool(include_first_transaction))
    df = _summary_frame(d, codes, uniques, customer_id_col, "_cal")
    df["frequency_holdout"] = d["frequency_holdout"]
    if "monetary_value_holdout" in d:
        df["monetary_value_holdout"] = d["monetary_value_holdout"]
    df["duration_holdout"] = float(d["duration_holdout"])
    return df


def rfm_summary(
    transactions: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "datetime",
    monetary_value_col: Optional[str] = None,
    observation_period_end: Any = None,
    freq: str = "D",
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
    datetime_format: Optional[str] = None,
) -> Any:
    """RFM summary returning the same kind of table it was given (pandas, polars or pyarrow).

    The customer id is a column (first), followed by ``frequency, recency, T`` and
    ``monetary_value`` when ``monetary_value_col`` is given.

    Examples
    --------
    >>> import polars as pl, yutang
    >>> tx = pl.DataFrame({"customer_id": [1, 1, 2], "datetime": ["2024-01-01", "2024-01-08", "2024-01-03"]})
    >>> yutang.rfm_summary(tx, freq="W", observation_period_end="2024-01-15")["frequency"].to_list()
    [1.0, 0.0]
    """
    df = summary_data_from_transaction_data(
        transactions, customer_id_col, datetime_col, monetary_value_col, datetime_format,
        observation_period_end, freq, freq_multiplier, include_first_transaction,
    ).reset_index()
    kind = _kind(transactions)
    if kind == "polars":
        import polars as pl

        return pl.from_pandas(df)
    if kind == "pyarrow":
        import pyarrow as pa

        return pa.Table.from_pandas(df, preserve_index=False)
    return df


def _check_inputs(frequency: Any, recency: Any = None, T: Any = None, monetary_value: Any = None) -> None:
    """lifetimes' checks of summary columns: recency <= T, recency 0 when frequency is 0,
    recency >= 0, no empty column, whole frequencies, monetary values > 0. Returns None or
    raises :class:`yutang.InvalidFieldError` (a ``ValueError``) naming the column and row."""
    x = _to_numpy(frequency)

    def first(mask: np.ndarray) -> Optional[int]:
        hits = np.flatnonzero(mask)
        return int(hits[0]) if hits.size else None

    if recency is not None:
        r = _to_numpy(recency)
        t = None if T is None else _to_numpy(T)
        if t is not None and (i := first(r > t)) is not None:
            raise invalid(f"recency[{i}]", r[i], f"larger than T ({t[i]})")
        if (i := first((x == 0) & (r != 0))) is not None:
            raise invalid(f"recency[{i}]", r[i], "must be 0 when frequency is 0")
        if (i := first(r < 0)) is not None:
            raise invalid(f"recency[{i}]", r[i], "must be >= 0 (a last order before the first?)")
        if len(r) == 0 or len(x) == 0 or (t is not None and len(t) == 0):
            raise invalid("frequency", "[]", "a zero-length column among frequency, recency and T")
    if (i := first(x != np.floor(x))) is not None:
        raise invalid(f"frequency[{i}]", x[i], "must be a whole number")
    if monetary_value is not None and (i := first(_to_numpy(monetary_value) <= 0)) is not None:
        raise invalid(f"monetary_value[{i}]", _to_numpy(monetary_value)[i], "must be > 0")
    return None


def _scale_time(age: Any) -> float:
    """The factor that makes the largest age 1 (lifetimes fits on time scaled by it)."""
    return 1.0 / float(np.max(np.asarray(age, dtype=float)))


def _customer_lifetime_value(transaction_prediction_model: Any, frequency: Any, recency: Any, T: Any, monetary_value: Any,
                             time: int = 12, discount_rate: float = 0.01, freq: str = "D") -> pd.Series:
    """Discounted value of each customer's expected purchases over ``time`` months at the
    given value per purchase (lifetimes' helper; ``GammaGammaFitter.customer_lifetime_value``
    passes the expected average order value): the sum over months i of
    ``monetary_value * (E[X(i)] - E[X(i - 1)]) / (1 + discount_rate) ** i``, a month being 30
    days = 4.345 weeks = 720 hours. A Series named ``clv``, indexed as ``frequency`` when it is
    a Series."""
    if freq not in _PERIODS_PER_MONTH:
        raise ValueError(f"freq must be one of W, M, D, H (got {freq!r})")
    f = _PERIODS_PER_MONTH[freq]
    m = _to_numpy(monetary_value)
    clv = np.zeros(max(len(_to_numpy(frequency)), len(m)))
    before: Any = 0.0
    for i in range(1, int(time) + 1):
        now = np.asarray(transaction_prediction_model.predict(i * f, frequency, recency, T), dtype=float)
        clv += m * (now - before) / (1.0 + discount_rate) ** i
        before = now
    index = frequency.index if isinstance(frequency, pd.Series) and len(frequency) == len(clv) else None
    return pd.Series(clv, index=index, name="clv")
