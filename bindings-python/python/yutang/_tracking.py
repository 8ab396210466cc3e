"""Model paths over calendar time, with lifetimes' names and arguments: a customer's P(alive)
path, and the cohort's actual vs expected cumulative repeat transactions (the tracking plot of
Fader, Hardie & Lee's notes). Re-exported by :mod:`yutang.utils`."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pandas as pd

__all__ = ["calculate_alive_path", "expected_cumulative_transactions", "_find_first_transactions"]


def to_datetime(values: Any, datetime_format: Optional[str] = None) -> pd.Series:
    """A date column as datetimes; integer dates such as 19970101 are read as their digits
    under ``datetime_format`` (as lifetimes' CDNOW examples pass them)."""
    s = pd.Series(values)
    if datetime_format is not None and s.dtype.kind in "iu":
        s = s.astype(str)
    return pd.to_datetime(s, format=datetime_format)


def _periods(dates: Any, freq: str, datetime_format: Optional[str] = None) -> pd.PeriodIndex:
    return pd.PeriodIndex(to_datetime(dates, datetime_format), freq=freq)


def calculate_alive_path(model: Any, transactions: Any, datetime_col: str, t: int, freq: str = "D") -> pd.Series:
    """P(alive) of one customer at each period 0..t after their first purchase (longer if
    their history is): ``transactions`` holds that customer's purchases. At period k,
    frequency is the number of earlier periods with a purchase after the first, recency the
    last such period and T = k, so the path drops between purchases and jumps at each.

    Examples
    --------
    >>> import pandas as pd, yutang
    >>> bgf = yutang.BetaGeoFitter.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> tx = pd.DataFrame({"date": ["2024-01-01", "2024-01-05"]})
    >>> path = yutang.utils.calculate_alive_path(bgf, tx, "date", 10)
    >>> float(path[0]), bool(path[5] > path[10])
    (1.0, True)
    """
    per = _periods(pd.DataFrame(transactions)[datetime_col], freq)
    if len(per) == 0:
        raise ValueError("calculate_alive_path needs at least one transaction")
    k = per.asi8 - per.asi8.min()
    n = max(int(t) + 1, int(k.max()) + 1)
    bought = np.zeros(n, dtype=bool)
    bought[k] = True
    periods = np.arange(n, dtype=float)
    frequency = np.cumsum(bought) - 1.0  # the first purchase is not a repeat
    recency = np.maximum.accumulate(np.where(bought, periods, 0.0))
    p = model.conditional_probability_alive(frequency, recency, periods)
    return pd.Series(np.asarray(p, dtype=float), index=pd.RangeIndex(n))


def _find_first_transactions(
    transactions: Any,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: Optional[str] = None,
    datetime_format: Optional[str] = None,
    observation_period_end: Any = None,
    freq: str = "D",
) -> pd.DataFrame:
    """One row per customer and period with a purchase (up to ``observation_period_end``),
    ``datetime_col`` as the period, the summed ``monetary_value_col`` if given, and ``first``:
    whether it is the customer's first period. Sorted by customer, then period."""
    df = pd.DataFrame(transactions)
    per = _periods(df[datetime_col], freq, datetime_format)
    out = pd.DataFrame({customer_id_col: df[customer_id_col].to_numpy(), datetime_col: per})
    if monetary_value_col:
        out[monetary_value_col] = df[monetary_value_col].to_numpy()
    if observation_period_end is not None:
        end = observation_period_end if isinstance(observation_period_end, pd.Period) else \
            pd.Period(to_datetime([observation_period_end], datetime_format).iloc[0], freq=freq)
        out = out[out[datetime_col] <= end]
    keys = [customer_id_col, datetime_col]
    if monetary_value_col:
        out = out.groupby(keys, sort=True, as_index=False)[monetary_value_col].sum()
    else:
        out = out.drop_duplicates(keys).sort_values(keys, kind="stable").reset_index(drop=True)
    out["first"] = out.groupby(customer_id_col)[datetime_col].transform("min") == out[datetime_col]
    return out


def expected_cumulative_transactions(
    model: Any,
    transactions: Any,
    datetime_col: str,
    customer_id_col: str,
    t: int,
    datetime_format: Optional[str] = None,
    freq: str = "D",
    freq_multiplier: int = 1,
    set_index_date: bool = False,
) -> pd.DataFrame:
    """Actual and expected cumulative repeat transactions of the cohort over ``t`` periods
    from the first transaction in the log, every ``freq_multiplier`` periods (model time unit
    = ``freq_multiplier`` periods, e.g. ``freq="D", freq_multiplier=7`` for weeks).

    ``predicted`` at period i sums, over the customers whose first purchase was in an earlier
    period j, E[X(i - j)] of a new customer (``model.expected_number_of_purchases_up_to_time``);
    ``actual`` counts the repeat purchase periods (one per customer and period) before i. As
    lifetimes (and the BTYD walkthrough): columns ``actual, predicted``, indexed 0 ..
    t // freq_multiplier - 1, or by period with ``set_index_date``.
    """
    t, fm = int(t), int(freq_multiplier)
    if t < 1 or fm < 1:
        raise ValueError(f"t and freq_multiplier must be >= 1 (got {t}, {fm})")
    dates = to_datetime(pd.DataFrame(transactions)[datetime_col], datetime_format)
    start = dates.min()
    date_periods = pd.date_range(start, periods=t + 1, freq=freq).to_period(freq)
    tx = _find_first_transactions(transactions, customer_id_col, datetime_col, datetime_format=datetime_format,
                                  observation_period_end=date_periods[-1], freq=freq)
    offset = pd.PeriodIndex(tx[datetime_col], freq=freq).asi8 - date_periods[0].ordinal
    first = tx["first"].to_numpy()
    new = np.bincount(offset[first], minlength=t + 1)[: t + 1].astype(float)
    repeats = np.bincount(offset[~first], minlength=t + 1)[: t + 1].astype(float)
    # E[X(lag)] for lags 0..t (in model time), then the cohort's sum as a convolution
    lags = np.arange(t + 1, dtype=float) / fm
    e = np.zeros(t + 1)
    e[1:] = np.asarray(model.expected_number_of_purchases_up_to_time(lags[1:]), dtype=float)
    expected = np.convolve(new, e)[: t + 1]
    steps = np.arange(fm, t + 1, fm)
    predicted = expected[steps]
    actual = np.cumsum(repeats)[steps - 1]
    index: Any = date_periods[fm - 1 : -1 : fm] if set_index_date else range(0, t // fm)
    return pd.DataFrame({"actual": actual, "predicted": predicted}, index=index)
