"""``yutang.Pool`` methods for lifecycle stages and RFM value tiers (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

__all__ = ["LifecycleMixin"]


class LifecycleMixin:
    """Pool methods for lifecycle stages and RFM value tiers."""

    __slots__ = ()
