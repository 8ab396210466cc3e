"""The condition language: rule text <-> the versioned JSON tree.

A rule is written as text (``orders(30d) >= 2 and not did(coupon_redeemed, 14d)``) or given as
its tree, a ``dict`` such as ``{"version": 1, "root": {"op": "compare", ...}}`` that a UI
builder produces. Every pool method that takes a ``rule`` accepts either. See docs/rules.md for
the grammar, the node kinds, the missing-value rule and the limits.

Examples
--------
>>> import yutang
>>> tree = yutang.rules.parse('orders(30d) >= 2 and stage == "at_risk"')
>>> tree["root"]["op"]
'and'
>>> yutang.rules.to_text(tree)
'count(order, 30d) >= 2 and stage == "at_risk"'
"""
from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Union

from . import _yutang

__all__ = ["parse", "to_text", "validate", "rule_arg", "Rule"]

#: A rule: its text, or its JSON tree as a dict (or a JSON string of it).
Rule = Union[str, Mapping[str, Any]]


def parse(text: str) -> Dict[str, Any]:
    """Parse rule text into its JSON tree (a dict).

    Raises :class:`yutang.RuleSyntaxError` (with ``.line``, ``.column``, ``.expected``) for text
    that does not parse, :class:`yutang.LimitExceededError` over a limit, and
    :class:`yutang.InvalidFieldError` for a literal of the wrong type.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() needs rule text (str), got {type(text).__name__}")
    return json.loads(_yutang.rules_parse(text))


def rule_arg(rule: Rule) -> str:
    """The form the native module takes: rule text, or the tree as JSON text."""
    if isinstance(rule, str):
        return rule
    if isinstance(rule, Mapping):
        return json.dumps(rule, ensure_ascii=False, allow_nan=False)
    raise TypeError(f"a rule is text or a dict tree, got {type(rule).__name__}")


def to_text(tree: Rule) -> str:
    """The canonical text of a rule (a tree dict, or text, which is normalised)."""
    return _yutang.rules_to_text(rule_arg(tree))


def validate(rule: Rule) -> Dict[str, Any]:
    """Check a rule (text or tree) and return its tree; raises like :func:`parse`."""
    return json.loads(_yutang.rules_parse(to_text(rule)))
