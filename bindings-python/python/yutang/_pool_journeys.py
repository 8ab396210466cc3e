"""``yutang.Pool`` methods for journeys (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

__all__ = ["JourneysMixin"]


class JourneysMixin:
    """Pool methods for journeys."""

    __slots__ = ()
