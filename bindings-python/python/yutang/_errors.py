"""Errors raised by the pure-Python layer: the same classes and attributes as the core's."""
from __future__ import annotations

from typing import Any

from ._yutang import InvalidFieldError

__all__ = ["invalid"]


def invalid(field: str, value: Any, reason: str) -> InvalidFieldError:
    """An :class:`yutang.InvalidFieldError` with ``.field`` and ``.value`` set, worded as the
    core words it (``invalid <field>: "<value>" (<reason>)``)."""
    shown = "" if value is None else str(value)
    if len(shown) > 64:
        shown = shown[:63] + "…"
    err = InvalidFieldError(f'invalid {field}: "{shown}" ({reason})')
    err.field = field
    err.value = shown
    return err
