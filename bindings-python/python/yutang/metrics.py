"""Growth metrics on tables: cohort retention, repurchase rate, category fit, the growth
formula with its LMDI decomposition, and cross-sell affinity.

Every function takes a pandas, polars or pyarrow table and returns the same kind. Column
names default to what a data scientist expects (``customer_id``, ``timestamp``, ``amount``,
``channel``, ``category``, ``order_id``, ``sku``) and can be changed with the ``*_col``
arguments. Times may be timestamp / date columns (zone-less ones are read in ``time_zone``)
or ISO-8601 strings. Month, day and week boundaries are those of ``time_zone`` (default
``Asia/Shanghai``). The same metrics on a live pool are methods of :class:`yutang.Pool`
(``pool.cohort_retention()``, ``pool.growth()``, ``pool.referrals()``,
``pool.group_activity()``, ``pool.affinity()``); see ``docs/metrics.md``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _yutang
from ._errors import column_not_found
from .frame import from_arrow, kind_of, to_arrow

__all__ = [
    "cohort_retention",
    "repurchase_rate",
    "category_fit",
    "growth",
    "decompose",
    "affinity",
    "recommend",
    "Growth",
    "FACTORS",
]

#: Factors of the growth formula, in order (``referral`` is the multiplier 1 + referral rate).
FACTORS = ("traffic", "conversion", "aov", "referral", "ltv")
NO_CODE = np.uint32(0xFFFFFFFF)


# --- column helpers ------------------------------------------------------------------------


def _table(data: Any) -> Tuple[pa.Table, str]:
    kind = kind_of(data)
    if kind == "other":
        raise TypeError(f"expected a pandas or polars DataFrame or a pyarrow Table, got {type(data).__name__}")
    return to_arrow(data), kind


def _col(t: pa.Table, name: str, arg: str) -> pa.Array:
    if not isinstance(name, str):
        raise TypeError(f"{arg} must be a column name (str), got {type(name).__name__}")
    if name not in t.column_names:
        raise column_not_found(arg, name, t.column_names)
    c = t.column(name)
    return c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c


def _codes(arr: pa.Array, arg: str, nulls_ok: bool = False) -> Tuple[np.ndarray, List[Any]]:
    """Dense uint32 codes (first-appearance order) and the distinct values; nulls -> NO_CODE."""
    if arr.null_count and not nulls_ok:
        raise _yutang.InvalidFieldError(f"invalid {arg}: {arr.null_count} null value(s) (every row needs one)")
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    enc = pc.dictionary_encode(arr)
    idx = enc.indices.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False)
    codes = np.where(idx < 0, NO_CODE, idx).astype(np.uint32)
    return np.ascontiguousarray(codes), enc.dictionary.to_pylist()


def _micros(arr: pa.Array, time_zone: str, arg: str) -> np.ndarray:
    if arr.null_count:
        raise _yutang.InvalidFieldError(f"invalid {arg}: {arr.null_count} null time(s)")
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        s = pd.to_datetime(pd.Series(arr.to_pylist()), format="ISO8601")
        if s.dt.tz is None:
            s = s.dt.tz_localize(time_zone, ambiguous=True, nonexistent="shift_forward")
        arr = pa.array(s.dt.tz_convert("UTC"))
        t = arr.type
    if pa.types.is_date(t):
        arr = arr.cast(pa.timestamp("us"))
        t = arr.type
    if not pa.types.is_timestamp(t):
        raise TypeError(f"{arg}: expected a timestamp, date or ISO-8601 string column, got {t}")
    if t.tz is None:
        arr = pc.assume_timezone(arr.cast(pa.timestamp("us")), timezone=time_zone, ambiguous="earliest",
                                 nonexistent="latest")
    us = arr.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return np.ascontiguousarray(us.to_numpy(zero_copy_only=False), dtype=np.int64)


def _scalar_micros(v: Any, time_zone: str) -> int:
    ts = pd.Timestamp(v)
    if ts.tzinfo is None:
        ts = ts.tz_localize(time_zone, ambiguous=True, nonexistent="shift_forward")
    return int(ts.tz_convert("UTC").value // 1000)


def _amounts(arr: pa.Array) -> np.ndarray:
    if pa.types.is_decimal(arr.type):
        arr = arr.cast(pa.float64())
    return np.ascontiguousarray(arr.cast(pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False), dtype=np.float64)


def _out(cols: Dict[str, Any], kind: str) -> Any:
    return from_arrow(pa.table(cols), kind)


def _cohort_columns(cohorts: List[Dict[str, Any]], category: Optional[str] = None) -> Dict[str, List[Any]]:
    out: Dict[str, List[Any]] = {"cohort": [], "months_since": [], "customers": [], "active": [], "retention": []}
    if category is not None:
        out = {"category": [], **out}
    for c in cohorts:
        n = c["customers"]
        if n == 0:
            continue
        for k, a in enumerate(c["active"]):
            if category is not None:
                out["category"].append(category)
            out["cohort"].append(c["month"])
            out["months_since"].append(k)
            out["customers"].append(n)
            out["active"].append(a)
            out["retention"].append(a / n)
    return out


def _cohort_table(parsed: Dict[str, Any], kind: str) -> Any:
    cols = _cohort_columns(parsed["cohorts"])
    return _out({"cohort": pa.array(cols["cohort"], pa.string()), "months_since": pa.array(cols["months_since"], pa.int64()),
                 "customers": pa.array(cols["customers"], pa.int64()), "active": pa.array(cols["active"], pa.int64()),
                 "retention": pa.array(cols["retention"], pa.float64())}, kind)


def _category_cohorts(cats: List[Dict[str, Any]], kind: str) -> Any:
    cols: Dict[str, List[Any]] = {"category": [], "cohort": [], "months_since": [], "customers": [], "active": [], "retention": []}
    for c in cats:
        part = _cohort_columns(c["cohorts"]["cohorts"], c["category"])
        for k in cols:
            cols[k].extend(part[k])
    types = {"category": pa.string(), "cohort": pa.string(), "months_since": pa.int64(), "customers": pa.int64(),
             "active": pa.int64(), "retention": pa.float64()}
    return _out({k: pa.array(v, types[k]) for k, v in cols.items()}, kind)


def _category_table(cats: List[Dict[str, Any]], kind: str) -> Any:
    names = ["category", "customers", "repeat_customers", "repurchase_rate", "orders", "revenue", "aov", "fit_score", "fit"]
    types = [pa.string(), pa.int64(), pa.int64(), pa.float64(), pa.int64(), pa.float64(), pa.float64(), pa.float64(), pa.string()]
    return _out({n: pa.array([c[n] for c in cats], t) for n, t in zip(names, types)}, kind)


# --- cohorts ---------------------------------------------------------------------------------


def _order_codes(orders: Any, customer_id_col: str, datetime_col: str, time_zone: str):
    t, kind = _table(orders)
    cust, _ = _codes(_col(t, customer_id_col, "customer_id_col"), customer_id_col)
    at = _micros(_col(t, datetime_col, "datetime_col"), time_zone, datetime_col)
    return t, kind, cust, at


def cohort_retention(orders: Any, customer_id_col: str = "customer_id", datetime_col: str = "timestamp",
                     category_col: Optional[str] = None, time_zone: str = "Asia/Shanghai",
                     as_of: Any = None) -> Any:
    """Cohort retention by first-order month.

    One row of ``orders`` per order (or order line: rows with the same customer and time are one
    order). A customer's cohort is the month (in ``time_zone``) of their first order; ``active``
    counts the cohort's customers with an order ``months_since`` months later, and
    ``retention = active / customers``. With ``category_col`` the table is per category:
    cohorts by the first order of that category, activity = an order containing it.

    Parameters
    ----------
    orders : pandas / polars DataFrame or pyarrow Table
    customer_id_col, datetime_col : column names
    category_col : optional category column (rows with a null category are left out)
    time_zone : IANA zone deciding month boundaries
    as_of : ignore later orders and run the months up to this one (``None``: the last order)

    Returns
    -------
    The input's kind with columns ``[category,] cohort, months_since, customers, active,
    retention`` (empty cohorts left out).

    Examples
    --------
    >>> import pandas as pd, yutang
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-09"])})
    >>> yutang.metrics.cohort_retention(df)[["cohort", "months_since", "active", "retention"]].values.tolist()
    [['2024-01', 0, 2, 1.0], ['2024-01', 1, 1, 0.5]]
    """
    t, kind, cust, at = _order_codes(orders, customer_id_col, datetime_col, time_zone)
    cut = None if as_of is None else _scalar_micros(as_of, time_zone)
    if category_col is None:
        parsed = json.loads(_yutang.metrics_cohort_retention(cust, at, time_zone, cut))
        return _cohort_table(parsed, kind)
    cats = _category_call(t, cust, at, category_col, None, time_zone, cut, None)
    return _category_cohorts(cats, kind)


def _category_call(t, cust, at, category_col, amount_col, time_zone, cut, thresholds):
    codes, names = _codes(_col(t, category_col, "category_col"), category_col, nulls_ok=True)
    order = sorted(range(len(names)), key=lambda i: str(names[i]))
    remap = np.empty(len(names) + 1, dtype=np.uint32)
    remap[order] = np.arange(len(names), dtype=np.uint32)
    codes = np.where(codes == NO_CODE, NO_CODE, remap[np.minimum(codes, len(names))]).astype(np.uint32)
    sorted_names = [str(names[i]) for i in order]
    amount = None if amount_col is None else _amounts(_col(t, amount_col, "amount_col"))
    return json.loads(_yutang.metrics_category_metrics(cust, at, np.ascontiguousarray(codes), sorted_names, amount,
                                                      time_zone, cut, thresholds))


def repurchase_rate(orders: Any, customer_id_col: str = "customer_id", datetime_col: str = "timestamp",
                    time_zone: str = "Asia/Shanghai", as_of: Any = None) -> float:
    """Share of customers with orders at two or more distinct times (rows with the same customer
    and time are one order)."""
    _, _, cust, at = _order_codes(orders, customer_id_col, datetime_col, time_zone)
    cut = None if as_of is None else _scalar_micros(as_of, time_zone)
    return float(json.loads(_yutang.metrics_cohort_retention(cust, at, time_zone, cut))["repurchase_rate"])


def category_fit(orders: Any, customer_id_col: str = "customer_id", datetime_col: str = "timestamp",
                 category_col: str = "category", amount_col: Optional[str] = "amount",
                 time_zone: str = "Asia/Shanghai", as_of: Any = None,
                 thresholds: Optional[Tuple[float, float]] = None) -> Any:
    """Per-category repurchase rate, average order value and "private-domain fit".

    One row per order line. ``orders`` = distinct (customer, time) with the category;
    ``aov = revenue / orders`` (the category's spend per order that contains it);
    ``repurchase_rate`` = share of the category's buyers who bought it again;
    ``fit_score = repurchase_rate × aov`` (expected repeat spend per buyer); ``fit`` is the
    quadrant against ``thresholds = (repurchase_rate, aov)`` (default: the medians over the
    categories): ``core`` (both high), ``frequency`` (repurchase high, AOV low),
    ``considered`` (AOV high, repurchase low), ``weak``.

    Returns the input's kind with columns ``category, customers, repeat_customers,
    repurchase_rate, orders, revenue, aov, fit_score, fit``, categories in name order.
    """
    t, kind, cust, at = _order_codes(orders, customer_id_col, datetime_col, time_zone)
    cut = None if as_of is None else _scalar_micros(as_of, time_zone)
    th = None if thresholds is None else (float(thresholds[0]), float(thresholds[1]))
    return _category_table(_category_call(t, cust, at, category_col, amount_col, time_zone, cut, th), kind)


# --- growth ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Growth:
    """The growth formula in two periods and the decomposition of its change.

    ``factors``: one row per period (``previous`` / ``current``) and channel (``(all)`` first)
    with ``traffic, buyers, orders, revenue, invited, conversion, aov, referral_rate, ltv,
    value``. ``decomposition``: one row per channel and factor with ``previous, current, ratio,
    contribution, share`` (the contributions of a channel add up to its ``value`` change;
    ``share = contribution / change``).
    """

    factors: Any
    decomposition: Any

    def total_change(self) -> float:
        """Change of the growth formula for all customers (the sum of their contributions)."""
        d = to_arrow(self.decomposition)
        mask = pc.equal(d.column("channel"), "(all)")
        return float(pc.sum(pc.filter(d.column("contribution"), mask)).as_py() or 0.0)


_GROWTH_COLS = ["traffic", "buyers", "orders", "revenue", "invited", "conversion", "aov", "referral_rate", "ltv", "value"]


def _growth_frames(parsed: Dict[str, Any], kind: str) -> Growth:
    rows: Dict[str, List[Any]] = {"period": [], "channel": [], **{c: [] for c in _GROWTH_COLS}}
    for period in ("previous", "current"):
        for r in parsed[period]:
            rows["period"].append(period)
            rows["channel"].append(r["channel"] if r["channel"] is not None else "(all)")
            for c in _GROWTH_COLS:
                rows[c].append(r[c])
    ints = {"traffic", "buyers", "orders", "invited"}
    factors = _out({k: pa.array(v, pa.int64() if k in ints else (pa.string() if k in ("period", "channel") else pa.float64()))
                    for k, v in rows.items()}, kind)
    dec: Dict[str, List[Any]] = {"channel": [], "factor": [], "previous": [], "current": [], "ratio": [],
                                 "contribution": [], "share": []}
    for r, d in zip(parsed["current"], parsed["decomposition"]):
        change = d["current_value"] - d["previous_value"]
        for i, f in enumerate(d["factors"]):
            dec["channel"].append(r["channel"] if r["channel"] is not None else "(all)")
            dec["factor"].append(f)
            dec["previous"].append(d["previous"][i])
            dec["current"].append(d["current"][i])
            ratio = d["ratios"][i]
            dec["ratio"].append(float("nan") if ratio is None else ratio)
            dec["contribution"].append(d["contributions"][i])
            dec["share"].append(d["contributions"][i] / change if change != 0 else float("nan"))
    decomposition = _out({k: pa.array(v, pa.string() if k in ("channel", "factor") else pa.float64())
                          for k, v in dec.items()}, kind)
    return Growth(factors, decomposition)


def growth(events: Any, previous: Tuple[Any, Any], current: Tuple[Any, Any], customer_id_col: str = "customer_id",
           datetime_col: str = "timestamp", event_col: str = "event", amount_col: str = "amount",
           channel_col: Optional[str] = "channel", traffic: str = "visitors",
           time_zone: str = "Asia/Shanghai", ltv_days: Optional[int] = 365) -> Growth:
    """The growth formula traffic × conversion × AOV × referral × LTV in two periods, and the
    LMDI decomposition of its change into each factor's contribution, overall and by channel.

    ``events`` has one row per event; ``event_col`` says what it is: ``"order"`` (its
    ``amount`` is revenue), ``"register"``, ``"referral"`` (the customer arrived through a
    counted invite) or anything else (a visit). A :class:`yutang.Pool` may be passed instead
    of a table (then the column arguments are ignored and referrals are checked against the
    identity graph).

    Per period ``[start, end)``: traffic = customers with any event (``traffic="visitors"``)
    or with a ``register`` event (``"registrants"``); conversion = buyers / traffic;
    aov = revenue / orders; referral_rate = invited traffic / traffic; ltv = the buyers' order
    revenue in the ``ltv_days`` (default 365; ``None``: all history) before the period end, per
    buyer (historical). The formula
    multiplies traffic, conversion, aov, ``1 + referral_rate`` and ltv. A customer's channel is
    the channel of their first event that has one (``(none)`` without). The decomposition is
    the additive LMDI-I (Ang 2005): contributions add up exactly to the change.

    Returns
    -------
    :class:`Growth` with ``factors`` and ``decomposition`` tables of the input's kind.
    """
    if type(events).__name__ == "Pool" and hasattr(events, "_pool"):
        return events.growth(previous, current, traffic=traffic, ltv_days=ltv_days)
    t, kind = _table(events)
    cust, _ = _codes(_col(t, customer_id_col, "customer_id_col"), customer_id_col)
    at = _micros(_col(t, datetime_col, "datetime_col"), time_zone, datetime_col)
    ev = _col(t, event_col, "event_col").cast(pa.string())
    k = np.zeros(len(ev), dtype=np.uint8)
    for code, name in ((1, "register"), (2, "order"), (3, "referral")):
        k[pc.fill_null(pc.equal(ev, name), False).to_numpy(zero_copy_only=False)] = code
    amount = _amounts(_col(t, amount_col, "amount_col")) if amount_col in t.column_names else np.zeros(len(ev))
    if amount_col not in t.column_names and (k == 2).any():
        raise column_not_found("amount_col", amount_col, t.column_names)
    ch, names = (None, [])
    if channel_col is not None and channel_col in t.column_names:
        codes, raw = _codes(_col(t, channel_col, "channel_col"), channel_col, nulls_ok=True)
        order = sorted(range(len(raw)), key=lambda i: str(raw[i]))
        remap = np.empty(len(raw) + 1, dtype=np.uint32)
        remap[order] = np.arange(len(raw), dtype=np.uint32)
        ch = np.ascontiguousarray(np.where(codes == NO_CODE, NO_CODE, remap[np.minimum(codes, len(raw))]).astype(np.uint32))
        names = [str(raw[i]) for i in order]
    p = (_scalar_micros(previous[0], time_zone), _scalar_micros(previous[1], time_zone))
    c = (_scalar_micros(current[0], time_zone), _scalar_micros(current[1], time_zone))
    parsed = json.loads(_yutang.metrics_growth(cust, at, k, amount, ch, names, p, c, traffic,
                                               None if ltv_days is None else int(ltv_days)))
    return _growth_frames(parsed, kind)


def decompose(previous: Mapping[str, float], current: Mapping[str, float], frame: str = "pandas") -> Any:
    """LMDI-I decomposition of the change of a product of named factors (Ang 2005).

    ``contribution_k = L(V1, V0) · ln(x_k1 / x_k0)`` with ``L(a, b) = (a − b) / (ln a − ln b)``;
    the contributions add up to ``V1 − V0``. Zeros take the formula's limit (Ang & Liu 2007).
    Returns a ``frame`` table ``factor, previous, current, ratio, contribution``.

    Examples
    --------
    >>> import yutang
    >>> d = yutang.metrics.decompose({"traffic": 100, "aov": 50}, {"traffic": 120, "aov": 40})
    >>> round(float(d["contribution"].sum()), 9)  # 120*40 - 100*50
    -200.0
    """
    names = list(previous)
    if set(names) != set(current):
        raise _yutang.InvalidFieldError(f"invalid current: factors {sorted(current)} differ from previous {sorted(names)}")
    d = json.loads(_yutang.metrics_decompose(names, [float(previous[n]) for n in names], [float(current[n]) for n in names]))
    ratios = [float("nan") if r is None else r for r in d["ratios"]]
    return from_arrow(pa.table({"factor": names, "previous": pa.array(d["previous"], pa.float64()),
                                "current": pa.array(d["current"], pa.float64()), "ratio": pa.array(ratios, pa.float64()),
                                "contribution": pa.array(d["contributions"], pa.float64())}), frame)


# --- affinity -------------------------------------------------------------------------------

_RULE_COLS = ["antecedent", "consequent", "baskets", "support", "antecedent_support", "consequent_support",
              "confidence", "lift"]


def _rules_table(rules: List[Dict[str, Any]], kind: str) -> Any:
    types = [pa.string(), pa.string(), pa.int64()] + [pa.float64()] * 5
    return _out({c: pa.array([r[c] for r in rules], t) for c, t in zip(_RULE_COLS, types)}, kind)


def _basket_codes(t: pa.Table, basket_col: str, item_col: str):
    b, _ = _codes(_col(t, basket_col, "basket_col"), basket_col)
    i, names = _codes(_col(t, item_col, "item_col"), item_col)
    return b, i, [str(n) for n in names]


def affinity(orders: Any, basket_col: str = "order_id", item_col: str = "sku", min_support: float = 0.0,
             min_confidence: float = 0.0, min_count: int = 1) -> Any:
    """Item-pair association rules from order lines (one row per line; an item repeated in an
    order counts once).

    ``support`` = share of baskets with both items, ``confidence`` = P(consequent | antecedent),
    ``lift`` = confidence / support(consequent); ``antecedent_support`` and
    ``consequent_support`` as in mlxtend's ``association_rules``. Rules come in both directions,
    sorted by lift, then confidence (descending), then names.

    Returns the input's kind with columns ``antecedent, consequent, baskets, support,
    antecedent_support, consequent_support, confidence, lift``.
    """
    t, kind = _table(orders)
    b, i, names = _basket_codes(t, basket_col, item_col)
    a = json.loads(_yutang.metrics_affinity(b, i, names, float(min_support), float(min_confidence), int(min_count)))
    return _rules_table(a["rules"], kind)


def recommend(orders: Any, n: int = 3, customer_id_col: str = "customer_id", basket_col: str = "order_id",
              item_col: str = "sku", min_support: float = 0.0, min_confidence: float = 0.0,
              min_count: int = 1) -> Any:
    """The next items to recommend to each customer of ``orders``: rules are mined from all the
    orders (:func:`affinity`); a customer's candidates are the consequents of rules whose
    antecedent they bought and that they have not bought, scored by the best rule's confidence
    (ties: lift, then item). Returns the input's kind with ``customer_id, rank, item, score,
    lift, because`` (``because`` = the owned item of the best rule), at most ``n`` per customer.
    """
    t, kind = _table(orders)
    b, i, names = _basket_codes(t, basket_col, item_col)
    cust, cust_names = _codes(_col(t, customer_id_col, "customer_id_col"), customer_id_col)
    recs = json.loads(_yutang.metrics_recommend(b, i, names, cust, int(n), float(min_support), float(min_confidence),
                                                int(min_count)))
    ids = pa.array([cust_names[r[0]] for r in recs]) if recs else pa.array([], pa.string())
    return _out({customer_id_col: ids, "rank": pa.array([r[1] for r in recs], pa.int64()),
                 "item": pa.array([r[2]["item"] for r in recs], pa.string()),
                 "score": pa.array([r[2]["score"] for r in recs], pa.float64()),
                 "lift": pa.array([r[2]["lift"] for r in recs], pa.float64()),
                 "because": pa.array([r[2]["because"] for r in recs], pa.string())}, kind)
