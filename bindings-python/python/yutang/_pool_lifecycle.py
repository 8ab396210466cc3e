"""``yutang.Pool`` methods for lifecycle stages and RFM value tiers (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np
import pyarrow as pa

from . import _yutang
from . import frame as _frame

__all__ = ["LifecycleMixin"]


def _stage_col(codes: np.ndarray) -> pa.Array:
    names = np.asarray(_yutang.lifecycle_stage_names() + [None], dtype=object)
    return pa.array(names[np.asarray(codes, dtype=np.int64)], type=pa.string())


def _ts(micros: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(micros, dtype=np.int64), type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))


class LifecycleMixin:
    """Pool methods for lifecycle stages and RFM value tiers (see docs/lifecycle.md)."""

    __slots__ = ()
    _pool: Any

    # ---------------------------------------------------------------- settings
    @property
    def lifecycle_config(self) -> Dict[str, Any]:
        """The stage machine's configuration: ``at_risk_days``, ``churned_days``, ``rhythm``,
        ``p_alive``."""
        return json.loads(_yutang.lifecycle_config_json(self._pool))

    def set_lifecycle_config(self, at_risk_days: int = 90, churned_days: int = 180,
                             rhythm: Any = None, p_alive: Optional[Mapping[str, Any]] = None) -> None:
        """Configure the stage machine (kept in snapshots).

        ``rhythm``: ``True`` for the defaults or ``{"at_risk_multiple": 2.0, "churned_multiple":
        4.0, "min_orders": 3}``: thresholds relative to the customer's median gap between order
        days (fixed days below ``min_orders`` order days). ``p_alive``: ``{"model": a fitted
        BetaGeoFitter (time unit days) or [r, alpha, a, b], "at_risk_below": 0.5,
        "churned_below": 0.2}``. Raises :class:`yutang.InvalidFieldError` for unordered or
        overlapping thresholds.
        """
        cfg: Dict[str, Any] = {"at_risk_days": int(at_risk_days), "churned_days": int(churned_days),
                               "rhythm": None, "p_alive": None}
        if rhythm is True:
            rhythm = {}
        if rhythm:
            cfg["rhythm"] = {"at_risk_multiple": float(rhythm.get("at_risk_multiple", 2.0)),
                             "churned_multiple": float(rhythm.get("churned_multiple", 4.0)),
                             "min_orders": int(rhythm.get("min_orders", 3))}
        if p_alive:
            model = p_alive["model"]
            if hasattr(model, "params_"):
                params = [float(model.params_[k]) for k in ("r", "alpha", "a", "b")]
            elif isinstance(model, Mapping):
                params = [float(model[k]) for k in ("r", "alpha", "a", "b")]
            else:
                params = [float(x) for x in model]
            cfg["p_alive"] = {"params": params, "at_risk_below": float(p_alive.get("at_risk_below", 0.5)),
                              "churned_below": float(p_alive.get("churned_below", 0.2))}
        _yutang.lifecycle_set_config(self._pool, json.dumps(cfg))

    @property
    def rfm_options(self) -> Dict[str, Any]:
        """RFM scoring, tier map and currency rates."""
        return json.loads(_yutang.rfm_options_json(self._pool))

    def set_rfm_options(self, recency: Any = None, frequency: Any = None, monetary: Any = None, tiers: Any = None,
                        rates: Optional[Mapping[str, float]] = None) -> None:
        """Set how :meth:`rfm` scores (same arguments as :func:`yutang.rfm_scores`) and the rates
        to the reporting currency for other currencies (``{"USD": 7.1}``); kept in snapshots."""
        from .lifecycle import _options

        _yutang.rfm_set_options(self._pool, json.dumps(_options(recency, frequency, monetary, tiers, rates)))

    # ---------------------------------------------------------------- stages
    def lifecycle(self, as_of: Any, frame: str = "pandas") -> Any:
        """Every customer known at ``as_of`` with their stage: ``customer_id, stage, since``.

        Stage ids: ``prospect``, ``new``, ``repeat``, ``at_risk``, ``churned``, ``won_back``;
        ``since`` (UTC) is when the customer entered it. Founding order.
        """
        ids, codes, since = _yutang.lifecycle_stages(self._pool, _frame.to_iso(as_of))
        table = pa.table({"customer_id": pa.array(ids, type=pa.string()), "stage": _stage_col(codes),
                          "since": _ts(since)})
        return _frame.from_arrow(table, frame)

    def stage(self, customer_id: str, as_of: Any) -> Optional[Tuple[str, Any]]:
        """One customer's ``(stage, since)`` at ``as_of`` (``since`` a UTC pandas Timestamp), or
        ``None`` if they have no event at or before it."""
        import pandas as pd

        s = _yutang.lifecycle_stage_of(self._pool, customer_id, _frame.to_iso(as_of))
        return None if s is None else (s[0], pd.Timestamp(s[1], unit="us", tz="UTC"))

    def stage_history(self, customer_id: str, as_of: Any, frame: str = "pandas") -> Any:
        """A customer's transitions up to ``as_of``: ``from_stage`` (None for the first),
        ``to_stage``, ``at``."""
        rows = _yutang.lifecycle_history(self._pool, customer_id, _frame.to_iso(as_of))
        f = np.array([r[0] for r in rows], dtype=np.int64)
        t = np.array([r[1] for r in rows], dtype=np.int64)
        at = np.array([r[2] for r in rows], dtype=np.int64)
        table = pa.table({"from_stage": _stage_col(f), "to_stage": _stage_col(t), "at": _ts(at)})
        return _frame.from_arrow(table, frame)

    def stage_changes(self, after: Any, until: Any, frame: str = "pandas") -> Any:
        """Transitions of every customer with ``after < at <= until`` (events for journeys):
        ``customer_id, from_stage, to_stage, at``, by time then customer id."""
        ids, f, t, at = _yutang.lifecycle_changes(self._pool, _frame.to_iso(after), _frame.to_iso(until))
        table = pa.table({"customer_id": pa.array(ids, type=pa.string()), "from_stage": _stage_col(f),
                          "to_stage": _stage_col(t), "at": _ts(at)})
        return _frame.from_arrow(table, frame)

    def stage_distribution(self, as_of: Any, frame: str = "pandas") -> Any:
        """Customers per stage at ``as_of``: ``stage, customers, share`` (all six stages)."""
        rows = _yutang.lifecycle_distribution(self._pool, _frame.to_iso(as_of))
        total = sum(c for _, c in rows)
        table = pa.table({"stage": pa.array([s for s, _ in rows], type=pa.string()),
                          "customers": pa.array([c for _, c in rows], type=pa.int64()),
                          "share": pa.array([c / total if total else 0.0 for _, c in rows], type=pa.float64())})
        return _frame.from_arrow(table, frame)

    def stage_transitions(self, start: Any, end: Any, frame: str = "pandas", wide: bool = False) -> Any:
        """The transition matrix between two dates: ``from_stage`` (None: not yet known at
        ``start``), ``to_stage``, ``customers`` (non-zero cells). ``wide=True`` (pandas only):
        a from × to table with zeros."""
        rows = _yutang.lifecycle_transitions(self._pool, _frame.to_iso(start), _frame.to_iso(end))
        table = pa.table({"from_stage": pa.array([r[0] for r in rows], type=pa.string()),
                          "to_stage": pa.array([r[1] for r in rows], type=pa.string()),
                          "customers": pa.array([r[2] for r in rows], type=pa.int64())})
        if not wide:
            return _frame.from_arrow(table, frame)
        df = table.to_pandas()
        df["from_stage"] = df["from_stage"].fillna("(new)")
        stages = list(_yutang.lifecycle_stage_names())
        m = df.pivot_table(index="from_stage", columns="to_stage", values="customers", aggfunc="sum", fill_value=0)
        return m.reindex(index=["(new)"] + stages, columns=stages, fill_value=0)

    # ---------------------------------------------------------------- RFM
    def rfm(self, as_of: Any, frame: str = "pandas", **options: Any) -> Any:
        """RFM of every customer with an order at or before ``as_of``:
        ``customer_id, recency_days, frequency, monetary, r, f, m, tier``.

        ``recency_days``: calendar days (business zone) since the last order; ``frequency``:
        orders; ``monetary``: net spend (orders − refunds) in the reporting currency, major
        units. Scored with the pool's :meth:`set_rfm_options`, or with ``recency=``,
        ``frequency=``, ``monetary=``, ``tiers=``, ``rates=`` given here for this call.
        """
        from .lifecycle import _options

        opts = json.dumps(_options(**options)) if options else None
        ids, rec, freq, mon, r, f, m, tier, names = _yutang.rfm_pool(self._pool, _frame.to_iso(as_of), opts)
        tier_col = pa.array(np.asarray(names, dtype=object)[tier] if len(ids) else [], type=pa.string())
        table = pa.table({"customer_id": pa.array(ids, type=pa.string()), "recency_days": rec, "frequency": freq,
                          "monetary": mon, "r": r.astype(np.int8), "f": f.astype(np.int8),
                          "m": m.astype(np.int8), "tier": tier_col})
        return _frame.from_arrow(table, frame)
