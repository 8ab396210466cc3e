"""``yutang.Pool`` methods for journeys (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pyarrow as pa

from . import _yutang
from . import frame as _frame
from .journeys import to_json

__all__ = ["JourneysMixin"]

ACTION_COLUMNS = ("customer_id", "journey", "step", "channel", "offer", "due_at", "key",
                  "template", "offer_id", "instance_key")


def _actions_frame(c: Mapping[str, Any], kind: str) -> Any:
    offer, valid = c["offer"]
    cols = {
        "customer_id": pa.array(c["customer_id"], type=pa.string()),
        "journey": pa.array(c["journey"], type=pa.string()),
        "step": pa.array(c["step"], type=pa.string()),
        "channel": pa.array(c["channel"], type=pa.string()),
        "offer": pa.array(offer, type=pa.float64(), mask=~np.asarray(valid, dtype=bool)),
        "due_at": _frame.ts_array(c["due_at"], np.ones(len(c["due_at"]), dtype=bool)),
        "key": pa.array(c["key"], type=pa.string()),
        "template": pa.array(c["template"], type=pa.string()),
        "offer_id": pa.array(c["offer_id"], type=pa.string()),
        "instance_key": pa.array(c["instance_key"], type=pa.string()),
    }
    return _frame.from_arrow(pa.table(cols), kind)


class JourneysMixin:
    """Pool methods for journeys."""

    __slots__ = ()
    _pool: Any

    def add_journey(self, definition: Union[str, Mapping[str, Any]], since: Any = None) -> None:
        """Add (or replace, by id) a journey; it is validated first.

        It acts on trigger events after ``since``. By default that is *now*: the later of the
        last :meth:`advance` and the latest event in the pool, so history does not trigger it.
        To backfill, pass an earlier ``since`` (an ISO string, ``datetime`` or ``date``): the
        next :meth:`advance` replays the events after it, and actions whose time has passed
        come out with their original due times (preview them first with :meth:`simulate`).
        Replacing a journey ends the running instances of the old version.

        Raises :class:`yutang.InvalidFieldError` naming the JSON path of a bad element.
        """
        self._journeys_call("pool_add_journey", to_json(definition), None if since is None else _frame.to_iso(since))

    def remove_journey(self, journey_id: str) -> bool:
        """Remove a journey and its instances; returns whether it was there."""
        return bool(_yutang.pool_remove_journey(self._pool, journey_id))

    def journeys(self) -> List[Dict[str, Any]]:
        """The journeys added, as definition dicts, in the order they were added."""
        return list(json.loads(_yutang.pool_journeys_json(self._pool)))

    def set_journey_settings(self, quiet_hours: Optional[Tuple[str, str]] = None, time_zone: Optional[str] = None,
                             caps: Optional[Sequence[Mapping[str, Any]]] = None,
                             customers: Optional[Mapping[str, Mapping[str, Any]]] = None) -> None:
        """Change the pool's journey settings (unchanged where an argument is ``None``).

        Parameters
        ----------
        quiet_hours : (str, str)
            Local ``("21:00", "09:00")`` window (the default) during which nothing is sent.
        time_zone : str
            The customers' default IANA zone (default: the pool's business zone).
        caps : list of dict
            ``{"scope": "each_channel" | "all_channels" | {"channel": "sms"}, "max": 1,
            "window": "1d"}``; the default is ``<= 1`` per channel per day and ``<= 3`` per 7
            days across channels.
        customers : dict
            Per customer id: ``{"time_zone": ..., "quiet_hours": {"start", "end"}, "tier": ...}``.
        """
        s = json.loads(_yutang.pool_journey_settings_json(self._pool))
        if quiet_hours is not None:
            s["quiet_hours"] = {"start": quiet_hours[0], "end": quiet_hours[1]}
        if time_zone is not None:
            s["time_zone"] = time_zone
        if caps is not None:
            s["caps"] = [dict(c) for c in caps]
        if customers is not None:
            s["customers"] = {k: {"time_zone": v.get("time_zone"), "quiet_hours": v.get("quiet_hours"),
                                  "tier": v.get("tier")} for k, v in customers.items()}
        _yutang.pool_set_journey_settings(self._pool, json.dumps(s))

    def journey_settings(self) -> Dict[str, Any]:
        """The pool's journey settings (quiet hours, zone, caps, per-customer overrides)."""
        return dict(json.loads(_yutang.pool_journey_settings_json(self._pool)))

    def advance(self, as_of: Any, frame: str = "pandas") -> Any:
        """Process events and timers up to ``as_of``; return the actions due.

        Columns: ``customer_id, journey, step, channel, offer, due_at, key`` (then
        ``template, offer_id, instance_key``). ``offer`` is the price level as a fraction
        (0.85 = a coupon at 85 % of price), missing for actions without one; ``due_at`` is a
        UTC timestamp; ``key`` is a deterministic idempotency key. Advancing again to the same
        ``as_of``, or re-ingesting the same events, emits nothing new. The GIL is released.

        Examples
        --------
        >>> import yutang
        >>> pool = yutang.Pool()
        >>> _ = pool.ingest([{"id": "r1", "at": "2024-03-01 10:00", "kind": "register", "phone": "13800000001"}])
        >>> pool.add_journey(yutang.journeys.coffee_coupon_ladder(), since="2024-01-01")
        >>> actions = pool.advance("2024-04-01")
        >>> actions[["step", "channel", "offer"]].values.tolist()
        [['coupon_85', 'app', 0.85]]
        >>> str(actions["due_at"][0])
        '2024-03-31 02:00:00+00:00'
        >>> len(pool.advance("2024-04-01"))
        0
        """
        c = self._journeys_call("pool_advance", _frame.to_iso(as_of))
        return _actions_frame(c, frame)

    def next_wake_at(self) -> Any:
        """When the next timer is due (a UTC ``pandas.Timestamp``), or ``None``. Also call
        :meth:`advance` after ingesting events."""
        us = _yutang.pool_next_wake_at(self._pool)
        if us is None:
            return None
        import pandas as pd  # type: ignore[import-untyped]
        return pd.Timestamp(us, unit="us", tz="UTC")

    def journey_instances(self, frame: str = "pandas") -> Any:
        """Every journey instance: ``customer_id, journey, instance_key, step, status,
        entered_at, at`` (``at``: the next timer while active, the end time once done)."""
        rows = json.loads(_yutang.pool_journey_instances_json(self._pool))
        cols = ("customer_id", "journey", "instance_key", "step", "status", "entered_at", "at")
        return _frame.records_to_frame(rows, cols, frame, time_columns=("entered_at", "at"))

    def simulate(self, journeys: Sequence[Union[str, Mapping[str, Any]]], start: Any, end: Any,
                 frame: str = "pandas", with_counts: bool = False) -> Any:
        """Replay the pool's events in ``[start, end]`` through ``journeys`` and return the
        actions they would have emitted (same columns as :meth:`advance`). The pool's live
        journey state is not touched.

        With ``with_counts=True`` returns ``(actions, steps, journeys)``: per-step counts
        (``journey, step, visits, sent, deferred, dropped, suppressed``) and per-journey
        outcomes (``entered, converted, exited, finished, merged, restarted, control, active,
        conversion``).
        """
        if isinstance(journeys, (str, bytes)) or isinstance(journeys, Mapping):
            journeys = [journeys]  # type: ignore[list-item]
        c, steps, outcomes = self._journeys_call("pool_simulate", [to_json(j) for j in journeys],
                                             _frame.to_iso(start), _frame.to_iso(end))
        actions = _actions_frame(c, frame)
        if not with_counts:
            return actions
        step_cols = ("journey", "step", "visits", "sent", "deferred", "dropped", "suppressed")
        j_cols = ("journey", "entered", "converted", "exited", "finished", "merged", "restarted", "control",
                  "active", "conversion")
        return (actions, _frame.records_to_frame(json.loads(steps), step_cols, frame),
                _frame.records_to_frame(json.loads(outcomes), j_cols, frame))

    def _journeys_call(self, name: str, *args: Any) -> Any:
        return getattr(_yutang, name)(self._pool, *args)
