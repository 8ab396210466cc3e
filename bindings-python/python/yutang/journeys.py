"""Journeys: behaviour-triggered marketing automation (see ``docs/journeys.md``).

A journey definition is plain JSON-shaped data (a ``dict``): triggers, re-entry policy,
instance key, steps (send, wait, wait_until, hold, branch, split, end), goals, exit rules,
what to do with a blocked send (``defer`` / ``drop``) and fallback channels. Add one to a pool
with :meth:`yutang.Pool.add_journey`, then call :meth:`yutang.Pool.advance` to get the actions
due.

Examples
--------
>>> import yutang
>>> ladder = yutang.journeys.coffee_coupon_ladder()
>>> ladder["id"], [s["id"] for s in ladder["steps"]][:2]
('coffee_coupon_ladder', ['welcome_wait', 'coupon_85'])
>>> yutang.journeys.load('{"version": 1, "id": "x", "triggers": [{"event": "register"}],'
...                      ' "steps": [{"id": "a", "type": "send", "channel": "fax"}]}')
Traceback (most recent call last):
...
yutang.InvalidFieldError: invalid steps[0].channel: "fax" (expected one of ...)
"""
from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Union

from . import _yutang

__all__ = ["coffee_coupon_ladder", "renewal_reminders", "load", "to_json", "sample_size", "compare_rates"]

Definition = Dict[str, Any]


def coffee_coupon_ladder() -> Definition:
    """The coffee-chain coupon ladder.

    On registration, if no order within 30 days, a coupon at 85 % of price by app push; if
    still no order 7 days later, 43 %; 7 days later, 28 %; then stop. Any order ends that ladder
    (converted) and starts the post-purchase ladder: 7 days after each order, if no newer order
    came, one coupon priced by the number of orders so far (1st: 43 %, 2nd: 58 %, 3rd on:
    95 %). Customers who refused app push get the coupons by SMS.
    """
    return json.loads(_yutang.journey_example("coffee_coupon_ladder"))


def renewal_reminders() -> Definition:
    """The renewal reminders.

    For a subscription expiring at E: an SMS at E - 7 days at 10:00 local time; if not renewed,
    a second SMS 5-7 days later (deterministic per-customer draw); then, only for the
    high-value tier, a staff phone-call task 2 days later. Renewal (a ``subscription_start`` for
    the same subscription id) ends the instance at once.
    """
    return json.loads(_yutang.journey_example("renewal_reminders"))


def load(definition: Union[str, bytes, Mapping[str, Any]]) -> Definition:
    """Load and validate a definition from JSON text (or a ``dict``); returns the canonical dict.

    Raises :class:`yutang.InvalidFieldError` whose ``field`` is the JSON path of the offending
    element (``steps[2].next``, ``steps[0].max`` ...).
    """
    return json.loads(_yutang.journey_load(to_json(definition)))


def to_json(definition: Union[str, bytes, Mapping[str, Any]]) -> str:
    """A definition as JSON text (text is passed through)."""
    if isinstance(definition, bytes):
        return definition.decode("utf-8")
    if isinstance(definition, str):
        return definition
    return json.dumps(definition)


def sample_size(baseline: float, min_lift: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers needed in each of two equal arms to detect a conversion rate going from
    ``baseline`` to ``baseline + min_lift`` with a two-sided test at level ``alpha`` and the
    given ``power`` (the normal approximation without continuity correction, Fleiss et al.).

    Examples
    --------
    >>> import yutang
    >>> yutang.journeys.sample_size(0.10, 0.05)
    686
    """
    return int(_yutang.journey_sample_size(float(baseline), float(min_lift), float(alpha), float(power)))


def compare_rates(converted: int, entered: int, base_converted: int, base_entered: int,
                  level: float = 0.95) -> Dict[str, Optional[float]]:
    """The statistics of :meth:`yutang.Pool.journey_results` for counts from anywhere:
    ``rate, rate_low, rate_high`` (Wilson), ``lift, lift_low, lift_high`` (Newcombe),
    ``relative_lift, relative_lift_low, relative_lift_high`` (log-adjusted ratio − 1) and
    ``p_value`` (score test) of ``converted / entered`` against the baseline's.

    Examples
    --------
    >>> import yutang
    >>> r = yutang.journeys.compare_rates(120, 1000, 100, 1000)
    >>> round(r["lift"], 3), round(r["p_value"], 4)
    (0.02, 0.153)
    """
    out: Dict[str, Optional[float]] = json.loads(
        _yutang.journey_compare_rates(int(converted), int(entered), int(base_converted), int(base_entered),
                                      float(level)))
    return out
