"""``yutang.Pool`` methods for the condition language, tags and segments (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pyarrow as pa

from . import _yutang
from . import frame as _frame
from .rules import Rule, rule_arg

__all__ = ["RulesMixin"]


def _iso(t: Any) -> str:
    return _frame.to_iso(t)


class RulesMixin:
    """Pool methods for the condition language, tags and segments.

    A ``rule`` is rule text or its JSON tree (dict); ``as_of`` an ISO-8601 string or a
    datetime (naive = the pool's business zone). Nothing reads the clock.
    """

    __slots__ = ()
    _pool: Any

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, rule: Rule, as_of: Any, frame: str = "pandas") -> Any:
        """Evaluate a rule for every customer at ``as_of``.

        Returns a table with ``customer_id`` (str) and ``result`` (bool, never missing: a rule
        that is unknown for a customer under the three-valued rule counts as not matching;
        :meth:`explain` says why), one row per customer in founding order.

        Examples
        --------
        >>> import yutang
        >>> pool = yutang.Pool()
        >>> _ = pool.ingest([{"id": "e1", "at": "2024-05-02 10:00", "kind": "order", "amount": "99",
        ...                   "phone": "13800138000"}])
        >>> df = pool.evaluate("orders(30d) >= 1", as_of="2024-05-10")
        >>> df["result"].tolist()
        [True]
        """
        ids, res = _yutang.rules_evaluate(self._pool, rule_arg(rule), _iso(as_of))
        table = pa.table({"customer_id": pa.array(ids, type=pa.string()),
                          "result": pa.array(np.asarray(res, dtype=bool), type=pa.bool_())})
        return _frame.from_arrow(table, frame)

    def explain(self, rule: Rule, customer_id: str, as_of: Any) -> Dict[str, Any]:
        """Why a rule is (not) true for one customer: a dict per node with ``node`` (its text),
        ``result`` (``"true"``, ``"false"`` or ``"unknown"``), ``value`` (the computed value of
        a comparison), ``events`` (ids used), ``detail`` (a sentence such as
        ``count(order, 30d) = 1 (order e7 on 2024-05-02), needed >= 2``) and ``children``."""
        return json.loads(_yutang.rules_explain(self._pool, rule_arg(rule), customer_id, _iso(as_of)))

    def next_change_at(self, rule: Rule, customer_id: str, as_of: Any) -> Optional[str]:
        """When the answer for a customer can next change by the passage of time alone
        (ISO-8601 UTC), or ``None``: re-evaluate exactly then."""
        return _yutang.rules_next_change_at(self._pool, rule_arg(rule), customer_id, _iso(as_of))

    # ---------------------------------------------------------------- segments
    def define_segment(self, name: str, rule: Rule) -> None:
        """Define (or redefine) a named segment; undefined references and cycles raise."""
        _yutang.define_segment(self._pool, name, rule_arg(rule))

    def remove_segment(self, name: str) -> bool:
        """Remove a segment; returns whether it existed."""
        return _yutang.remove_segment(self._pool, name)

    def segments(self) -> Dict[str, Dict[str, Any]]:
        """The defined segments: ``{name: rule tree}``."""
        return {s["name"]: s["rule"] for s in json.loads(_yutang.segments_json(self._pool))}

    def segment_members(self, name: str, as_of: Any) -> List[str]:
        """Customer ids in the segment at ``as_of``, in founding order."""
        return _yutang.segment_members(self._pool, name, _iso(as_of))

    def segment_changes(self, name: str, start: Any, end: Any, frame: str = "pandas") -> Any:
        """Every entry into / exit from the segment in ``(start, end]`` at the instant it happened:
        ``customer_id, segment, entered, at`` sorted by (at, customer_id)."""
        rows = json.loads(_yutang.segment_changes(self._pool, name, _iso(start), _iso(end)))
        return _frame.records_to_frame(rows, ("customer_id", "segment", "entered", "at"), frame, time_columns=("at",))

    def refresh_segment(self, name: str, as_of: Any, frame: str = "pandas") -> Any:
        """Evaluate the segment at ``as_of``, record its size, and return the changes since the
        previous refresh (the first refresh: every member enters at ``as_of``)."""
        rows = json.loads(_yutang.refresh_segment(self._pool, name, _iso(as_of)))
        return _frame.records_to_frame(rows, ("customer_id", "segment", "entered", "at"), frame, time_columns=("at",))

    def segment_sizes(self, name: str, at: Sequence[Any] = (), frame: str = "pandas") -> Any:
        """Segment size at each instant of ``at``; with no instants, the sizes recorded by
        :meth:`refresh_segment`. Columns ``at, size``."""
        if len(at):
            rows = json.loads(_yutang.segment_sizes(self._pool, name, [_iso(t) for t in at]))
        else:
            rows = json.loads(_yutang.segment_size_history(self._pool, name))
        return _frame.records_to_frame(rows, ("at", "size"), frame, time_columns=("at",))

    # ---------------------------------------------------------------- tags
    def define_tag_group(self, name: str, values: Sequence[Tuple[str, Rule]]) -> List[Dict[str, str]]:
        """Define a rule tag group: ordered ``(value, rule)`` pairs, first match wins (use
        ``"true"`` for "otherwise"). Returns warnings ``{"value", "kind": "unreachable" |
        "overlap", "earlier"}`` where they can be decided from the rules."""
        pairs = [(str(v), rule_arg(r)) for v, r in values]
        return json.loads(_yutang.define_tag_group(self._pool, name, pairs))

    def remove_tag_group(self, name: str) -> bool:
        """Remove a rule tag group; returns whether it existed."""
        return _yutang.remove_tag_group(self._pool, name)

    def tag_groups(self) -> Dict[str, List[Tuple[str, Dict[str, Any]]]]:
        """The rule tag groups: ``{name: [(value, rule tree), ...]}``."""
        return {g["name"]: [(v["value"], v["rule"]) for v in g["values"]]
                for g in json.loads(_yutang.tag_groups_json(self._pool))}

    def set_manual_tag(self, customer_id: str, group: str, value: str, set_by: str, at: Any) -> None:
        """Set a staff tag on a customer (kept apart from rule tags, with who and when); it
        applies from ``at`` on."""
        _yutang.set_manual_tag(self._pool, customer_id, group, value, set_by, _iso(at))

    def remove_manual_tag(self, customer_id: str, group: str) -> bool:
        """Remove a customer's manual tag of a group."""
        return _yutang.remove_manual_tag(self._pool, customer_id, group)

    def tag_identity(self, kind: str, value: str, group: str, tag_value: str, set_by: str, at: Any,
                     namespace: Optional[str] = None) -> None:
        """Pre-tag an identity (a phone, a unionid …) whether or not its customer exists yet;
        the tag follows the identity to its customer."""
        _yutang.tag_identity(self._pool, kind, str(value), namespace, group, tag_value, set_by, _iso(at))

    def remove_identity_tag(self, kind: str, value: str, group: str, namespace: Optional[str] = None) -> bool:
        """Remove an identity's tag of a group."""
        return _yutang.remove_identity_tag(self._pool, kind, str(value), namespace, group)

    def tags(self, customer_id: str, as_of: Any = None) -> List[Dict[str, Any]]:
        """A customer's tags: ``{"group", "value", "source": "rule" | "manual" | "identity",
        "set_by", "set_at"}``. Rule tag groups are evaluated at ``as_of`` and skipped without one
        (nothing reads the clock); manual and identity tags set after ``as_of`` are left out."""
        return json.loads(_yutang.tags_json(self._pool, customer_id, None if as_of is None else _iso(as_of)))

    # ---------------------------------------------------------------- attributes
    def set_attribute(self, customer_id: str, name: str, value: Any) -> None:
        """Set a host attribute (bool, int, float or str) read by ``attr("name")``; ``stage``
        and ``tier`` override the lifecycle module's values."""
        if isinstance(value, np.generic):
            value = value.item()
        _yutang.set_attribute(self._pool, customer_id, name, value)

    def remove_attribute(self, customer_id: str, name: str) -> bool:
        """Remove a host attribute."""
        return _yutang.remove_attribute(self._pool, customer_id, name)

    def attributes(self, customer_id: str) -> Dict[str, Any]:
        """A customer's host attributes."""
        return json.loads(_yutang.attributes_json(self._pool, customer_id))
