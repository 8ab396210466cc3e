"""``yutang.Pool`` methods for the condition language, tags and segments (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

__all__ = ["RulesMixin"]


class RulesMixin:
    """Pool methods for the condition language, tags and segments."""

    __slots__ = ()
