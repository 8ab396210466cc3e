"""The customer pool: events in, one customer per person (ONE_ID), profile facts out."""
from __future__ import annotations

import decimal
import json
import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pyarrow as pa

from . import frame as _frame
from ._errors import invalid as _invalid
from . import _progress
from ._yutang import _Pool
from ._pool_journeys import JourneysMixin
from ._pool_lifecycle import LifecycleMixin
from ._pool_report import Report, ReportMixin
from ._pool_metrics import MetricsMixin
from ._pool_rules import RulesMixin

__all__ = ["Pool", "IngestReport", "Report", "IDENTITY_KINDS"]

#: Built-in identity kinds; each may be a column (or dict key) of its own in ``Pool.ingest``.
IDENTITY_KINDS = (
    "phone", "email", "wechat_unionid", "wechat_openid", "wecom_external_userid", "taobao", "jd",
    "douyin", "kuaishou", "dewu", "app_user", "device",
)

_TIMELINE_COLUMNS = ("id", "at", "kind", "channel", "amount", "currency", "order_id", "group_id", "identities")


@dataclass
class IngestReport:
    """What an ingest did: ``accepted + duplicates + len(rejected)`` equals the input count.

    ``rejected`` and ``warnings`` are lists of ``(index, field, reason)`` tuples; personal values
    in reasons are masked. ``late`` counts accepted events dated before the latest event already
    processed (a marketplace's orders synced hours later); they re-link only the customers they
    touch; ``full_pass`` says whether they touched so much of the pool (over a quarter) that it
    recomputed its identity graph over every stored event instead. ``stopped`` says a progress
    callback returned ``False``: only the events before the stop were read (and counted); they
    are stored.
    """

    accepted: int
    duplicates: int
    rejected: List[Tuple[int, str, str]] = field(default_factory=list)
    warnings: List[Tuple[int, str, str]] = field(default_factory=list)
    late: int = 0
    full_pass: bool = False
    stopped: bool = False


class _Reject(Exception):
    """One event that cannot be encoded: a rejection at its position, not a failed batch."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason


def _clean(v: Any, field: str) -> Any:
    """JSON-ready value: NaN/NaT -> None, datetimes -> ISO, numpy scalars -> Python; an
    infinite number is a :class:`_Reject` naming ``field``."""
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return None
        if math.isinf(f):
            raise _Reject(field, f"not a finite number: {f}")
        return f
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if type(v).__name__ in ("NaTType",):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, Mapping):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise _Reject(field, f"keys must be strings, got {type(k).__name__}")
            out[k] = _clean(x, f"{field}.{k}")
        return out
    if isinstance(v, (list, tuple)):
        return [_clean(x, f"{field}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            raise _Reject(field, "not a finite number")
        return str(v)
    return v


def _identity_value(v: Any, field: str) -> Optional[str]:
    """An identity cell as text: a string as it is, an integer as its digits, a whole float as
    its digits (a phone column read as float64 because of blanks); NaN / None: missing."""
    v = _clean(v, field)
    if v is None:
        return None
    if isinstance(v, bool):
        raise _Reject(field, "expected a string or an integer, got a bool")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not v.is_integer():
            raise _Reject(field, "a float identity value must be a whole number")
        return str(int(v))
    if isinstance(v, str):
        return v
    raise _Reject(field, f"expected a string or an integer, got {type(v).__name__}")


#: The keys of one event dict (besides identity kinds, ``<kind>_namespace`` and ``custom:…``).
_EVENT_KEYS = frozenset((
    "id", "at", "kind", "channel", "amount", "currency", "order_id", "items", "properties", "referrer",
    "referrer_kind", "referrer_namespace", "group_id", "consent_channel", "granted", "source",
    "subscription_id", "expires_at", "identities",
))


def _is_identity_key(k: str) -> bool:
    return k in IDENTITY_KINDS or (k.startswith("custom:") and not k.endswith("_namespace"))


def _is_identity_column(name: str) -> bool:
    """A column whose values are identity values: an identity kind, or the referrer."""
    return name == "referrer" or _is_identity_key(name)


def _dict_event(d: Any, extra: str = "error") -> Dict[str, Any]:
    """One event dict in the core's ``EventInput`` shape. Accepts flat identity keys
    (``phone``, ``wechat_openid`` + ``wechat_openid_namespace``) and a flat ``referrer`` value
    (+ ``referrer_kind``, default ``phone``). An unknown key is a :class:`_Reject` unless
    ``extra="properties"``, which keeps it as a property."""
    if not isinstance(d, Mapping):
        raise _Reject("event", f"expected a dict, got {type(d).__name__}")
    out: Dict[str, Any] = {}
    idents: List[Any] = []
    props: Dict[str, Any] = {}
    for k in d:
        if not isinstance(k, str):
            raise _Reject("event", f"keys must be strings, got {type(k).__name__}")
    raw_idents = d.get("identities")
    if raw_idents is not None:
        if not isinstance(raw_idents, (list, tuple)):
            raise _Reject("identities", f"expected a list, got {type(raw_idents).__name__}")
        idents.extend(_clean(raw_idents, "identities"))
    for k, v in d.items():
        if _is_identity_key(k):
            value = _identity_value(v, k)
            if value is not None:
                idents.append({"kind": k, "value": value, "namespace": _clean(d.get(f"{k}_namespace"), f"{k}_namespace")})
        elif k.endswith("_namespace") and _is_identity_key(k[: -len("_namespace")]):
            continue
        elif k in ("identities", "referrer_kind", "referrer_namespace"):
            continue
        elif k == "referrer" and v is not None and not isinstance(v, Mapping):
            value = _identity_value(v, "referrer")
            if value is not None:
                out["referrer"] = {"kind": _clean(d.get("referrer_kind"), "referrer_kind") or "phone", "value": value,
                                   "namespace": _clean(d.get("referrer_namespace"), "referrer_namespace")}
        elif k in _EVENT_KEYS:
            out[k] = _clean(v, k)
        elif extra == "properties":
            props[k] = _clean(v, k)
        else:
            raise _Reject(k, "unknown key: expected one of " + ", ".join(sorted(_EVENT_KEYS))
                          + ", an identity kind (phone, wechat_unionid, …) with an optional <kind>_namespace, "
                          "or pass extra=\"properties\" to keep unknown keys as properties")
    if props:
        merged = dict(out.get("properties") or {})
        merged.update(props)
        out["properties"] = merged
    out["identities"] = idents
    return out


def _encode_events(events: Sequence[Any], extra: str) -> Tuple[List[Optional[str]], List[Tuple[int, str, str]]]:
    """Each event as one JSON object, or ``None`` with its rejection: one bad value never
    costs the batch."""
    rows: List[Optional[str]] = []
    bad: List[Tuple[int, str, str]] = []
    for i, e in enumerate(events):
        try:
            rows.append(json.dumps(_dict_event(e, extra), allow_nan=False))
        except _Reject as r:
            rows.append(None)
            bad.append((i, r.field, r.reason))
        except (TypeError, ValueError, OverflowError, RecursionError) as ex:
            rows.append(None)
            bad.append((i, "event", f"cannot be read: {type(ex).__name__}"))
    return rows, bad


class Pool(RulesMixin, LifecycleMixin, MetricsMixin, JourneysMixin, ReportMixin):
    """The customer pool.

    Parameters
    ----------
    time_zone : str
        Business time zone (IANA); zone-less times are read in it and it decides day and month
        boundaries. Default ``"Asia/Shanghai"``.
    currency : str
        Reporting currency, also used for amounts without one. Default ``"CNY"``.
    identity_rules : dict, optional
        ``{"kinds": [{"kind", "normalizer", "priority", "limit", "namespaced"}], "blocklist":
        [{"kind", "pattern"}]}`` replacing the defaults (see docs/identity.md).
    retention_days : int, optional
        Keep events this many days (applied by :meth:`apply_retention`).

    A pool is safe to use from several threads: reads run in parallel, writes are exclusive.

    Examples
    --------
    >>> import yutang
    >>> pool = yutang.Pool()
    >>> r = pool.ingest([
    ...     {"id": "e1", "at": "2024-05-01 10:00", "kind": "register", "phone": "+86 138-0013-8000",
    ...      "wechat_unionid": "u1"},
    ...     {"id": "e2", "at": "2024-05-02T10:00:00+08:00", "kind": "order", "wechat_unionid": "u1",
    ...      "channel": "douyin", "amount": "19.90"},
    ... ])
    >>> r.accepted
    2
    >>> pool.resolve("phone", "13800138000") == pool.resolve("wechat_unionid", "u1")
    True
    """

    def __init__(self, time_zone: str = "Asia/Shanghai", currency: str = "CNY",
                 identity_rules: Optional[Mapping[str, Any]] = None, retention_days: Optional[int] = None,
                 id_key: Optional[Sequence[int]] = None, _native: Optional[_Pool] = None) -> None:
        if _native is not None:
            self._pool = _native
            return
        base = json.loads(_Pool().config_json())
        base["time_zone"] = time_zone
        base["currency"] = currency
        if identity_rules is not None:
            base["identity_rules"] = {"kinds": identity_rules.get("kinds", base["identity_rules"]["kinds"]),
                                      "blocklist": identity_rules.get("blocklist", [])}
        if retention_days is not None:
            base["retention_days"] = int(retention_days)
        if id_key is not None:
            base["id_key"] = [int(x) for x in id_key]
        self._pool = _Pool(json.dumps(base))

    # ---------------------------------------------------------------- state
    @classmethod
    def restore(cls, blob: bytes) -> "Pool":
        """Restore a pool from :meth:`snapshot` bytes (any earlier format version too).

        Raises :class:`yutang.SnapshotError` for a corrupted or future-version blob.
        """
        return cls(_native=_Pool.restore(bytes(blob)))

    def snapshot(self) -> bytes:
        """Serialise the pool: a versioned, checksummed blob (see :meth:`snapshot_to` to write
        a large pool to a file without holding the bytes)."""
        return self._pool.snapshot()

    def snapshot_to(self, target: Any) -> None:
        """Write a snapshot to ``target``, streaming: a path (``str`` or ``os.PathLike``,
        written by the native layer with the GIL released) or a binary file object with
        ``write`` (a socket file, ``gzip.open(..., "wb")``, a ``zstandard`` writer). Memory
        stays bounded (1 MiB frames, each with a checksum). The bytes equal :meth:`snapshot`.

        Examples
        --------
        >>> import io, yutang
        >>> pool = yutang.Pool()
        >>> _ = pool.ingest([{"id": "e1", "at": "2024-05-01", "kind": "register", "phone": "13800138000"}])
        >>> buf = io.BytesIO()
        >>> pool.snapshot_to(buf)
        >>> _ = buf.seek(0)
        >>> yutang.Pool.restore_from(buf).stats()["customers"]
        1
        """
        self._pool.snapshot_to(target)

    @classmethod
    def restore_from(cls, source: Any) -> "Pool":
        """Restore a pool from a path or a binary file object with ``read``, streaming (see
        :meth:`snapshot_to`); any earlier format version too.

        Raises :class:`yutang.SnapshotError` for a damaged, truncated or future-version stream.
        """
        return cls(_native=_Pool.restore_from(source))

    @property
    def config(self) -> Dict[str, Any]:
        """The configuration (time zone, currency, identity rules, limits)."""
        return json.loads(self._pool.config_json())

    # ---------------------------------------------------------------- ingest
    def ingest(self, events: Any, properties: Sequence[str] = (), extra: str = "error",
               progress: _progress.ProgressArg = None) -> IngestReport:
        """Ingest events: a list of dicts, or a pandas / polars DataFrame or pyarrow Table.

        Columns (and dict keys): ``id``, ``at`` (ISO-8601 strings or a timestamp column; naive
        = business zone; finer than microseconds is floored to the microsecond), ``kind``,
        ``channel``, ``amount`` (numbers or decimal strings, in major units), ``currency``,
        ``order_id``, ``group_id``, ``referrer`` (+ ``referrer_kind``, default ``phone``),
        ``consent_channel`` / ``granted`` / ``source``, ``subscription_id`` / ``expires_at``,
        and one column per identity kind (``phone``, ``wechat_unionid``, ``wechat_openid`` with
        ``wechat_openid_namespace`` …). Identity values may be strings or integers (read as
        their digits); a float identity column must hold whole numbers. Columns named in
        ``properties`` become event properties; any other column is an error, and so is an
        unknown dict key unless ``extra="properties"`` keeps unknown keys as properties.
        ``None`` and NaN both mean missing.

        Bad events are reported, never raised: ``accepted + duplicates + len(rejected)`` is
        always the number of input events. What raises (:class:`yutang.InvalidFieldError`,
        before anything is stored) is a table that cannot be read as a whole: an unknown
        column, a ``properties`` name that is not a column, a float identity column with
        fractions.

        ``progress=True`` shows a progress bar (tqdm's when it is installed) for the stages
        ``ingest`` and ``link``; a callable ``progress(stage, done, total)`` is called instead
        (about a hundred times a stage), and returning ``False`` stops reading: the events read
        so far are stored and the report says ``stopped``. An exception from the callable (or
        Ctrl-C) stops it too, then propagates. Ingesting the same events again after a stop is
        safe: the stored ones count as duplicates.
        """
        if extra not in ("error", "properties"):
            raise _invalid("extra", extra, "expected 'error' or 'properties'")
        on = _progress.callback(progress, "ingest")
        if isinstance(events, (list, tuple)):
            rows, bad = _encode_events(events, extra)
            r = self._pool.ingest_json_rows(rows, bad, on)
        else:
            table, n, bad = _frame.events_table(events)
            missing = [p for p in properties if p not in table.column_names]
            if missing:
                raise _invalid("properties", missing[0], "not a column of the table")
            cols = _frame.column_arrays(_frame.identity_columns_as_text(table, _is_identity_column))
            r = self._pool.ingest_columns(n, cols, list(properties), bad, on)
        return IngestReport(r["accepted"], r["duplicates"], list(r["rejected"]), list(r["warnings"]), r["late"],
                            r["full_pass"], r["stopped"])

    # ---------------------------------------------------------------- lookups
    def resolve(self, kind: str, value: str, namespace: Optional[str] = None) -> Optional[str]:
        """The customer id of an identity (normalised as on ingestion), or ``None``."""
        return self._pool.resolve(kind, str(value), namespace)

    def canonical_id(self, customer_id: str) -> Optional[str]:
        """The current id of a customer id (itself, or the customer it was merged into)."""
        return self._pool.canonical_id(customer_id)

    def customer_ids(self) -> List[str]:
        """Every customer id, in founding order."""
        return self._pool.customer_ids()

    def stats(self) -> Dict[str, int]:
        """Counts: events, identities, customers, conflicts, merges."""
        return dict(self._pool.stats())

    def memory_bytes(self) -> int:
        """Heap memory held by the native pool."""
        return self._pool.memory_bytes()

    def profiles(self, frame: str = "pandas") -> Any:
        """Profile facts, one row per customer (founding order).

        Columns: ``customer_id``, ``identity_count``, ``event_count``, ``first_seen``,
        ``last_seen``, ``order_count``, ``refund_count``, ``first_order_at``, ``last_order_at``,
        ``spend`` (net of refunds, reporting currency, major units), ``spend_minor`` (exact
        minor units), ``refunds``; for other currencies ``spend_<CUR>`` / ``spend_minor_<CUR>``;
        per channel ``events_<channel>`` and ``last_touch_<channel>``. Times are UTC.
        """
        c = self._pool.profiles_columns()
        cols: Dict[str, Any] = {
            "customer_id": pa.array(c["customer_id"], type=pa.string()),
            "identity_count": c["identity_count"],
            "event_count": c["event_count"],
            "first_seen": _frame.ts_array(*c["first_seen"]),
            "last_seen": _frame.ts_array(*c["last_seen"]),
            "order_count": c["order_count"],
            "refund_count": c["refund_count"],
            "first_order_at": _frame.ts_array(*c["first_order_at"]),
            "last_order_at": _frame.ts_array(*c["last_order_at"]),
        }
        for i, (code, exp, spend, refunds) in enumerate(c["money"]):
            suffix = "" if i == 0 else f"_{code}"
            cols[f"spend{suffix}"] = spend / (10 ** exp)
            cols[f"spend_minor{suffix}"] = spend
            cols[f"refunds{suffix}"] = refunds / (10 ** exp)
        for name, events, last in c["channels"]:
            cols[f"events_{name}"] = events
            cols[f"last_touch_{name}"] = _frame.ts_array(*last)
        return _frame.from_arrow(_frame.columns_to_table(cols), frame)

    def profile(self, customer_id: str) -> Dict[str, Any]:
        """Profile facts of one customer as a dict (money in exact minor units)."""
        return json.loads(self._pool.profile_json(customer_id))

    def timeline(self, customer_id: str, frame: str = "pandas") -> Any:
        """A customer's events in time order: ``id, at, kind, channel, amount, currency,
        order_id, group_id, identities`` (``amount`` in major units as a decimal string)."""
        events = json.loads(self._pool.timeline_json(customer_id))
        rows = []
        for e in events:
            m = e.get("money")
            rows.append({
                "id": e["id"], "at": e["at"], "kind": e["kind"], "channel": e.get("channel"),
                "amount": None if m is None else m["amount"],
                "currency": None if m is None else m["currency"], "order_id": e.get("order_id"),
                "group_id": e.get("group_id"),
                "identities": ",".join(f"{i['kind']}:{i['value']}" for i in e["identities"]),
            })
        return _frame.records_to_frame(rows, _TIMELINE_COLUMNS, frame, time_columns=("at",))

    def export(self, customer_id: str) -> Dict[str, Any]:
        """Everything the pool holds about one customer (for a personal-information access
        request): profile, identities, events, aliases, merge-log entries and conflicts."""
        return json.loads(self._pool.export_json(customer_id))

    def conflicts(self, frame: str = "pandas") -> Any:
        """Links refused because a kind's per-customer limit would be exceeded:
        ``event_id, at, kind, namespace, value, limit_kind, customer_id, other_customer_id``."""
        rows = [{"event_id": c["event_id"], "at": c["at"], "kind": c["identity"]["kind"],
                 "namespace": c["identity"].get("namespace"), "value": c["identity"]["value"],
                 "limit_kind": c["limit_kind"], "customer_id": c["customer_id"],
                 "other_customer_id": c.get("other_customer_id")}
                for c in json.loads(self._pool.conflicts_json())]
        cols = ("event_id", "at", "kind", "namespace", "value", "limit_kind", "customer_id", "other_customer_id")
        return _frame.records_to_frame(rows, cols, frame, time_columns=("at",))

    def merge_log(self, frame: str = "pandas") -> Any:
        """The append-only merge log: ``seq, at, event_id, survivor, absorbed, reason``."""
        rows = json.loads(self._pool.merge_log_json())
        cols = ("seq", "at", "event_id", "survivor", "absorbed", "reason")
        return _frame.records_to_frame(rows, cols, frame, time_columns=("at",))

    # ---------------------------------------------------------------- changes
    def erase(self, customer_id: str) -> Dict[str, int]:
        """Remove a customer and everything of theirs (events, identities, merge-log entries);
        nothing of theirs survives in a later snapshot. Returns counts removed."""
        return dict(self._pool.erase(customer_id))

    def unbind(self, kind: str, value: str, namespace: Optional[str] = None) -> Optional[str]:
        """Split an identity off its customer; returns the identity's (new) customer id."""
        return self._pool.unbind(kind, str(value), namespace)

    def apply_retention(self, as_of: Any) -> int:
        """Drop events older than ``as_of - retention_days``; returns how many were dropped."""
        return self._pool.apply_retention(_frame.to_iso(as_of))

    # ---------------------------------------------------------------- CLV
    def rfm_summary(self, observation_period_end: Any = None, freq: str = "D",
                    include_first_transaction: bool = False, frame: str = "pandas") -> Any:
        """Per-customer ``frequency, recency, T, monetary_value`` of the pool's orders, with the
        semantics of ``lifetimes.utils.summary_data_from_transaction_data`` (periods floored in
        the pool's business time zone; refunds are not transactions; amounts in the reporting
        currency). One row per customer with at least one order; pandas output is indexed by
        ``customer_id`` as lifetimes' is. Feed it to :class:`yutang.BetaGeoFitter` and friends.
        """
        end = None if observation_period_end is None else _frame.to_iso(observation_period_end)
        ids, f, r, t, m = self._pool.rfm_summary(freq, end, include_first_transaction)
        table = pa.table({"customer_id": pa.array(ids, type=pa.string()), "frequency": f, "recency": r, "T": t,
                          "monetary_value": m})
        out = _frame.from_arrow(table, frame)
        return out.set_index("customer_id") if frame == "pandas" else out

    # ---------------------------------------------------------------- attribution
    def attribution_paths(self, as_of: Any, lookback: int = 30, conversion: str = "order", frame: str = "pandas") -> Any:
        """Each conversion's touchpoint path from the pool (see docs/attribution.md).

        Every ``conversion`` event (default ``order``) up to ``as_of`` is a conversion worth its
        amount (reporting currency, major units); every other event with a channel, except
        refunds, is a touch. A conversion's path is the customer's touches since their previous
        conversion within ``lookback`` days; touches left after the last conversion form a null
        path. Columns: ``path`` (``"douyin > mini_program"``), ``total_conversions``,
        ``total_conversion_value``, ``total_null``: ready for :mod:`yutang.attribution`.
        """
        paths, conv, value, nulls, _, _ = self._pool.attribution_paths(_frame.to_iso(as_of), int(lookback), conversion)
        table = pa.table({"path": pa.array(paths, type=pa.string()), "total_conversions": conv,
                          "total_conversion_value": value, "total_null": nulls})
        return _frame.from_arrow(table, frame)

    def attribution(self, model: str = "all", as_of: Any = None, lookback: int = 30, conversion: str = "order",
                    order: int = 1, frame: str = "pandas") -> Any:
        """Channel attribution on live data: which channels earn the conversions up to ``as_of``.

        ``model``: ``"heuristic"`` (first / last / linear touch, ChannelAttribution's columns),
        ``"markov"`` (exact removal effects, ``order`` 1–4), ``"shapley"``, or ``"all"`` (every
        model side by side, one row per channel: ``channel_name``, ``first_touch_conversions``,
        ``first_touch_value``, ``last_touch_…``, ``linear_touch_…``, ``markov_conversions``,
        ``markov_value``, ``shapley_conversions``, ``shapley_value``). ``lookback`` in days.
        """
        from . import attribution as _attr

        if as_of is None:
            raise TypeError("attribution() needs as_of (nothing in yutang reads the clock)")
        paths = self.attribution_paths(as_of, lookback, conversion, frame="pyarrow")
        if model not in ("heuristic", "markov", "shapley", "all"):
            raise ValueError(f"model must be 'heuristic', 'markov', 'shapley' or 'all', got {model!r}")
        args = dict(var_path="path", var_conv="total_conversions", var_value="total_conversion_value")
        if model == "heuristic":
            return _frame.from_arrow(_attr.heuristic_models(paths, **args), frame)
        if model == "markov":
            return _frame.from_arrow(_attr.markov_model(paths, var_null="total_null", order=order, **args), frame)
        if model == "shapley":
            return _frame.from_arrow(_attr.shapley_model(paths, var_null="total_null", **args), frame)
        h = _attr.heuristic_models(paths, **args).to_pandas()
        m = _attr.markov_model(paths, var_null="total_null", order=order, **args).to_pandas()
        sh = _attr.shapley_model(paths, var_null="total_null", **args).to_pandas()
        m = m.rename(columns={"total_conversions": "markov_conversions", "total_conversion_value": "markov_value"})
        sh = sh.rename(columns={"total_conversions": "shapley_conversions", "total_conversion_value": "shapley_value"})
        out = h.merge(m, on="channel_name", how="outer").merge(sh, on="channel_name", how="outer")
        return _frame.from_arrow(pa.Table.from_pandas(out, preserve_index=False), frame)

    def __repr__(self) -> str:
        s = self.stats()
        return f"<yutang.Pool customers={s['customers']} events={s['events']} identities={s['identities']}>"

