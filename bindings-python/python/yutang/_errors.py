"""Errors raised by the pure-Python layer: the same classes and attributes as the core's."""
from __future__ import annotations

from typing import Any

from ._yutang import InvalidFieldError

__all__ = ["invalid", "column_not_found", "ColumnNotFoundError"]


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


class ColumnNotFoundError(InvalidFieldError, KeyError):
    """A column named by an argument is not in the table. Both a
    :class:`yutang.InvalidFieldError` (so a :class:`yutang.YutangError`) and a ``KeyError``,
    as pandas users expect for a missing column."""

    __str__ = ValueError.__str__


def column_not_found(arg: str, name: Any, columns: Any) -> ColumnNotFoundError:
    """The error for ``arg=name`` naming no column of a table with ``columns``."""
    err = ColumnNotFoundError(f"invalid {arg}: \"{name}\" (not a column; columns: {', '.join(map(str, columns))})")
    err.field = arg
    err.value = str(name)
    return err
