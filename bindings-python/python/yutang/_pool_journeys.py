"""``yutang.Pool`` methods for journeys (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pyarrow as pa

from . import _progress, _yutang
from . import frame as _frame
from .journeys import to_json

__all__ = ["JourneysMixin"]

ACTION_COLUMNS = ("customer_id", "journey", "step", "channel", "offer", "due_at", "key",
                  "template", "offer_id", "instance_key")

RESULT_COLUMNS = ("arm", "entered", "converted", "conversion_rate", "rate_low", "rate_high", "revenue",
                  "revenue_per_customer", "lift", "lift_low", "lift_high", "relative_lift", "relative_lift_low",
                  "relative_lift_high", "p_value", "p_value_sequential", "open", "revenue_lift",
                  "revenue_lift_low", "revenue_lift_high")
STEP_COLUMNS = ("journey", "step", "visits", "sent", "deferred", "dropped", "suppressed")

_FLOAT_RESULTS = frozenset(RESULT_COLUMNS) - {"arm", "entered", "converted", "open"}


def _results_frame(results: Sequence[Mapping[str, Any]], kind: str, with_journey: bool = False) -> Any:
    """One row per (journey and) arm; undefined values are missing (NaN / null)."""
    cols: Dict[str, Any] = {}
    rows = [(r, a) for r in results for a in r["arms"]]
    if with_journey:
        cols["journey"] = pa.array([r["journey"] for r, _ in rows], type=pa.string())
    for c in RESULT_COLUMNS:
        vals = [a.get(c) for _, a in rows]
        if c == "arm":
            cols[c] = pa.array(vals, type=pa.string())
        elif c in _FLOAT_RESULTS:
            cols[c] = pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
        else:
            cols[c] = pa.array(vals, type=pa.int64())
    out = _frame.from_arrow(pa.table(cols), kind)
    if kind == "pandas" and len(results) == 1:
        r = results[0]
        out.attrs.update(journey=r["journey"], baseline=r["baseline"], level=r["level"],
                         conversion_window=r["conversion_window"],
                         other_currency_orders=r["other_currency_orders"])
    return out


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
                             customers: Optional[Mapping[str, Mapping[str, Any]]] = None,
                             global_control: Optional[float] = None) -> None:
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
        global_control : float
            The fraction of customers (``0 <= f < 1``, default 0) held out of every journey: they
            receive nothing, and :meth:`journey_results` reports them as the arm
            ``global_control``. Membership is a keyed hash of the customer id: stable, and not
            guessable without the pool's ``id_key``.
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
        if global_control is not None:
            s["global_control"] = float(global_control)
        _yutang.pool_set_journey_settings(self._pool, json.dumps(s))

    def journey_settings(self) -> Dict[str, Any]:
        """The pool's journey settings (quiet hours, zone, caps, per-customer overrides)."""
        return dict(json.loads(_yutang.pool_journey_settings_json(self._pool)))

    def advance(self, as_of: Any, frame: str = "pandas", with_report: bool = False) -> Any:
        """Process events and timers up to ``as_of``; return the actions due.

        Columns: ``customer_id, journey, step, channel, offer, due_at, key`` (then
        ``template, offer_id, instance_key``). ``offer`` is the price level as a fraction
        (0.85 = a coupon at 85 % of price), missing for actions without one; ``due_at`` is a
        UTC timestamp; ``key`` is a deterministic idempotency key. Advancing again to the same
        ``as_of``, or re-ingesting the same events, emits nothing new. The GIL is released.

        Events that arrive dated before the previous advance (a marketplace order synced hours
        late) are acted on: a late goal or exit ends its instance as of the event's time, a late
        trigger starts an instance at its own time when it is dated at most the journey's
        ``max_lateness`` (default ``"24h"``) before the previous advance. With
        ``with_report=True`` returns ``(actions, report)``: ``report`` is a dict with
        ``late_events`` (acted on), ``too_late_triggers`` (reported, not acted on) and
        ``ended_late``, a frame ``customer_id, journey, instance_key, at, outcome`` of the
        instances a late goal or exit ended: actions sent to them at or after ``at`` would not
        have been sent had the event arrived in time.

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
        if not with_report:
            return _actions_frame(self._journeys_call("pool_advance", _frame.to_iso(as_of)), frame)
        c, late, too_late, ended = self._journeys_call("pool_advance_report", _frame.to_iso(as_of))
        report = {"late_events": int(late), "too_late_triggers": int(too_late),
                  "ended_late": _frame.records_to_frame(json.loads(ended), ("customer_id", "journey", "instance_key",
                                                                           "at", "outcome"), frame,
                                                        time_columns=("at",))}
        return _actions_frame(c, frame), report

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
        entered_at, at, arm`` (``at``: the next timer while active, the end time once done;
        ``arm``: the journey's first split arm drawn for the customer, ``global_control``
        for the global control group, missing for a journey without a split). A control
        instance is ``following`` until its conversion window closes, then ``control``."""
        rows = json.loads(_yutang.pool_journey_instances_json(self._pool))
        cols = ("customer_id", "journey", "instance_key", "step", "status", "entered_at", "at", "arm")
        return _frame.records_to_frame(rows, cols, frame, time_columns=("entered_at", "at"))

    def journey_results(self, name: str, as_of: Any, frame: str = "pandas", level: float = 0.95,
                        mixing_variance: float = 0.001, with_steps: bool = False) -> Any:
        """Did the journey pay? One row per arm (the split's arms, ``treatment`` for a journey
        without a split, then ``global_control`` when the pool has a global control group).

        Columns: ``arm, entered, converted, conversion_rate, rate_low, rate_high, revenue,
        revenue_per_customer, lift, lift_low, lift_high, relative_lift, relative_lift_low,
        relative_lift_high, p_value, p_value_sequential`` and then ``open, revenue_lift,
        revenue_lift_low, revenue_lift_high``. An instance converts when one of the journey's
        goals happens within its ``conversion_window`` after entry (default 30 days; also
        after the journey's last step); revenue is the orders in that window, in the pool's
        currency. ``rate_low/high`` is the Wilson interval; ``lift`` is the rate minus the
        baseline's (the journey's control arm, else the global control group; see
        ``.attrs["baseline"]``) with Newcombe's interval; ``relative_lift`` the ratio − 1 with
        its log-scale interval; ``p_value`` the score test; ``p_value_sequential`` an
        always-valid p-value (mixture SPRT, mixing variance ``mixing_variance``) that may be
        looked at every day. ``open``: instances still inside their window. With
        ``with_steps=True`` returns ``(results, steps)``, the per-step counts of this pool
        object. The GIL is released.

        Examples
        --------
        >>> import yutang
        >>> pool = yutang.Pool()
        >>> _ = pool.ingest([{"id": f"r{i}", "at": "2024-03-01 10:00", "kind": "register",
        ...                   "phone": f"1390000{i:04d}"} for i in range(40)])
        >>> pool.set_journey_settings(global_control=0.2)
        >>> pool.add_journey({"version": 1, "id": "hello", "triggers": [{"event": "register"}],
        ...                   "goals": [{"event": "order"}],
        ...                   "steps": [{"id": "sms", "type": "send", "channel": "sms"}]}, since="2024-01-01")
        >>> _ = pool.advance("2024-05-01")
        >>> r = pool.journey_results("hello", "2024-05-01")
        >>> r["arm"].tolist(), int(r["entered"].sum()), r.attrs["baseline"]
        (['treatment', 'global_control'], 40, 'global_control')
        """
        js = self._journeys_call("pool_journey_results_json", name, _frame.to_iso(as_of), float(level),
                                 float(mixing_variance))
        r = json.loads(js)
        out = _results_frame([r], frame)
        if with_steps:
            return out, _frame.records_to_frame(r["steps"], STEP_COLUMNS, frame)
        return out

    def global_control_results(self, as_of: Any, frame: str = "pandas", level: float = 0.95,
                               mixing_variance: float = 0.001) -> Any:
        """The global control group against everyone else across every journey, per customer
        (arms ``treatment`` and ``global_control``, the baseline): a customer converted when
        any of their instances converted within its window; revenue is the orders within the
        union of their windows. Same columns as :meth:`journey_results`."""
        js = self._journeys_call("pool_journey_results_json", None, _frame.to_iso(as_of), float(level),
                                 float(mixing_variance))
        return _results_frame([json.loads(js)], frame)

    def simulate(self, journeys: Sequence[Union[str, Mapping[str, Any]]], start: Any, end: Any,
                 frame: str = "pandas", with_counts: bool = False, with_results: bool = False,
                 progress: _progress.ProgressArg = None) -> Any:
        """Replay the pool's events in ``[start, end]`` through ``journeys`` and return the
        actions they would have emitted (same columns as :meth:`advance`). The pool's live
        journey state is not touched.

        With ``with_counts=True`` returns ``(actions, steps, journeys)``: per-step counts
        (``journey, step, visits, sent, deferred, dropped, suppressed``) and per-journey
        outcomes (``entered, converted, exited, finished, merged, restarted, control, active,
        conversion``).

        With ``with_results=True`` also returns the results of the replay at ``end`` (the table
        of :meth:`journey_results` with a ``journey`` column first), as the last element:
        ``(actions, results)``, or ``(actions, steps, journeys, results)`` with both flags.

        ``progress=True`` shows a progress bar over the customers replayed (tqdm's when it is
        installed); a callable ``progress(stage, done, total)`` (stage ``"journeys"``) is called
        instead, and returning ``False`` stops the replay with :class:`yutang.CancelledError`.
        """
        if isinstance(journeys, (str, bytes)) or isinstance(journeys, Mapping):
            journeys = [journeys]  # type: ignore[list-item]
        c, steps, outcomes, results = self._journeys_call("pool_simulate", [to_json(j) for j in journeys],
                                                          _frame.to_iso(start), _frame.to_iso(end),
                                                          _progress.callback(progress, "simulate"))
        actions = _actions_frame(c, frame)
        res = _results_frame(json.loads(results), frame, with_journey=True) if with_results else None
        if not with_counts:
            return (actions, res) if with_results else actions
        j_cols = ("journey", "entered", "converted", "exited", "finished", "merged", "restarted", "control",
                  "global_control", "active", "conversion")
        counts = (actions, _frame.records_to_frame(json.loads(steps), STEP_COLUMNS, frame),
                  _frame.records_to_frame(json.loads(outcomes), j_cols, frame))
        return counts + (res,) if with_results else counts

    def _journeys_call(self, name: str, *args: Any) -> Any:
        return getattr(_yutang, name)(self._pool, *args)
