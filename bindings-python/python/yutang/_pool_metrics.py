"""``yutang.Pool`` methods for growth metrics, referrals and group activity (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _yutang
from . import frame as _frame

__all__ = ["MetricsMixin", "Referrals"]


def _opt_iso(t: Any) -> Optional[str]:
    return None if t is None else _frame.to_iso(t)


def _records(rows: List[Dict[str, Any]], columns: Dict[str, pa.DataType], kind: str) -> Any:
    return _frame.from_arrow(pa.table({c: pa.array([r[c] for r in rows], t) for c, t in columns.items()}), kind)


def _us(rows: List[Dict[str, Any]], key: str) -> pa.Array:
    return pa.array([r[key] for r in rows], pa.int64()).cast(pa.timestamp("us", tz="UTC"))


@dataclass(frozen=True)
class Referrals:
    """Referral (fission) trees and the K-factor from ``Pool.referrals``.

    ``edges``: attributed invites (``inviter, invitee, at, generation, root, converted``);
    ``trees``: one row per tree (``root, size, depth, converted``), largest first;
    ``rejected``: invites not attributed (``event_id, reason, invitee``; reasons
    ``unknown_referrer``, ``self_referral``, ``already_customer``, ``already_invited``,
    ``cycle``). ``k_factor = invites_per_customer × invite_conversion``.
    """

    edges: Any
    trees: Any
    rejected: Any
    customers: int
    invites: int
    converted: int
    invites_per_customer: float
    invite_conversion: float
    k_factor: float


class MetricsMixin:
    """Pool methods for growth metrics, referrals and group activity."""

    __slots__ = ()
    _pool: Any

    def cohort_retention(self, as_of: Any = None, by_category: bool = False, frame: str = "pandas") -> Any:
        """Cohort retention by first-order month (business time zone) from the ``order`` events
        up to ``as_of``: ``cohort, months_since, customers, active, retention`` (see
        :func:`yutang.metrics.cohort_retention`). ``by_category=True``: per category of the order
        items, with a ``category`` column first."""
        from .metrics import _category_cohorts, _cohort_table

        if by_category:
            return _category_cohorts(json.loads(_yutang.pool_category_metrics(self._pool, _opt_iso(as_of))), frame)
        return _cohort_table(json.loads(_yutang.pool_cohort_retention(self._pool, _opt_iso(as_of))), frame)

    def repurchase_rate(self, as_of: Any = None) -> float:
        """Share of buyers with orders at two or more distinct times, up to ``as_of``."""
        return float(json.loads(_yutang.pool_cohort_retention(self._pool, _opt_iso(as_of)))["repurchase_rate"])

    def category_fit(self, as_of: Any = None, frame: str = "pandas") -> Any:
        """Per-category repurchase rate, AOV and private-domain fit from the order items (see
        :func:`yutang.metrics.category_fit`; a line's amount is unit price × quantity, or the
        order amount split over its lines)."""
        from .metrics import _category_table

        return _category_table(json.loads(_yutang.pool_category_metrics(self._pool, _opt_iso(as_of))), frame)

    def growth(self, previous: Tuple[Any, Any], current: Tuple[Any, Any], traffic: str = "visitors",
               ltv_days: Optional[int] = 365, frame: str = "pandas") -> Any:
        """The growth formula in two periods ``(start, end)`` and its LMDI decomposition, overall
        and by acquisition channel (see :func:`yutang.metrics.growth`). A ``referral`` event
        counts as an invited arrival only when its referrer resolves to another customer."""
        from .metrics import _growth_frames

        p = (_frame.to_iso(previous[0]), _frame.to_iso(previous[1]))
        c = (_frame.to_iso(current[0]), _frame.to_iso(current[1]))
        ltv = None if ltv_days is None else int(ltv_days)
        return _growth_frames(json.loads(_yutang.pool_growth(self._pool, p, c, traffic, ltv)), frame)

    def referrals(self, as_of: Any = None, window_days: int = 30, frame: str = "pandas") -> Referrals:
        """Referral (fission) trees from ``referral`` events up to ``as_of``: who invited whom
        (the referrer identity resolved through the identity graph), generations, conversion of
        an invitee = first order within ``window_days`` after the invite, and the K-factor.

        A referrer that resolves to the invitee (their own other account) is rejected as
        ``self_referral``; see :class:`Referrals` for the other reasons."""
        if int(window_days) < 0:
            raise _yutang.InvalidFieldError(f"invalid window_days: {window_days!r} (must be >= 0)")
        r = json.loads(_yutang.pool_referrals(self._pool, _opt_iso(as_of), int(window_days)))
        s = pa.string()
        edges = _frame.from_arrow(pa.table({
            "inviter": pa.array([e["inviter"] for e in r["edges"]], s),
            "invitee": pa.array([e["invitee"] for e in r["edges"]], s),
            "at": _us(r["edges"], "at"),
            "generation": pa.array([e["generation"] for e in r["edges"]], pa.int64()),
            "root": pa.array([e["root"] for e in r["edges"]], s),
            "converted": pa.array([e["converted"] for e in r["edges"]], pa.bool_()),
        }), frame)
        trees = _records(r["trees"], {"root": s, "size": pa.int64(), "depth": pa.int64(), "converted": pa.int64()}, frame)
        rejected = _records(r["rejected"], {"event_id": s, "reason": s, "invitee": s}, frame)
        return Referrals(edges, trees, rejected, r["customers"], r["invites"], r["converted"],
                         r["invites_per_customer"], r["invite_conversion"], r["k_factor"])

    def group_activity(self, start: Any, end: Any, per: str = "group", frame: str = "pandas") -> Any:
        """Group-chat activity over ``[start, end)`` from ``group_join`` / ``group_leave`` /
        ``group_message`` events.

        ``per="group"``: ``group, members, members_during, speakers, messages,
        messages_per_member, daily_active_share, weekly_active_share, silent``;
        ``per="day"`` / ``"week"``: ``group, start, members, speakers, messages, active_share``
        per day / ISO week (business time zone); ``per="silent"``: ``group, customer_id`` of the
        members who said nothing in the period."""
        if per not in ("group", "day", "week", "silent"):
            raise _yutang.InvalidFieldError(f"invalid per: {per!r} (expected 'group', 'day', 'week' or 'silent')")
        r = json.loads(_yutang.pool_group_activity(self._pool, _frame.to_iso(start), _frame.to_iso(end)))
        s, i, f = pa.string(), pa.int64(), pa.float64()
        if per == "group":
            cols = {"group": s, "members": i, "members_during": i, "speakers": i, "messages": i,
                    "messages_per_member": f, "daily_active_share": f, "weekly_active_share": f, "silent": i}
            return _records(r["groups"], cols, frame)
        if per == "silent":
            return _records(r["silent"], {"group": s, "customer_id": s}, frame)
        cols = {"group": s, "start": s, "members": i, "speakers": i, "messages": i, "active_share": f}
        return _records(r["days" if per == "day" else "weeks"], cols, frame)

    def affinity(self, as_of: Any = None, level: str = "sku", min_support: float = 0.0, min_confidence: float = 0.0,
                 min_count: int = 1, frame: str = "pandas") -> Any:
        """Item-pair rules (support, confidence, lift) from the items of the ``order`` events up
        to ``as_of``, each order a basket; ``level="sku"`` or ``"category"`` (see
        :func:`yutang.metrics.affinity`)."""
        from .metrics import _rules_table

        a = json.loads(_yutang.pool_affinity(self._pool, _opt_iso(as_of), level, float(min_support),
                                             float(min_confidence), int(min_count)))
        return _rules_table(a["rules"], frame)

    def recommend(self, customer_ids: Union[str, Sequence[str]], n: int = 3, as_of: Any = None, level: str = "sku",
                  min_support: float = 0.0, min_confidence: float = 0.0, min_count: int = 1,
                  frame: str = "pandas") -> Any:
        """The next items to recommend to these customers from the pool's pair rules: ``customer_id,
        rank, item, score, lift, because`` (see :func:`yutang.metrics.recommend`)."""
        ids = [customer_ids] if isinstance(customer_ids, str) else list(customer_ids)
        rows = json.loads(_yutang.pool_recommend(self._pool, ids, int(n), _opt_iso(as_of), level, float(min_support),
                                                 float(min_confidence), int(min_count)))
        s, f = pa.string(), pa.float64()
        return _records(rows, {"customer_id": s, "rank": pa.int64(), "item": s, "score": f, "lift": f, "because": s}, frame)
