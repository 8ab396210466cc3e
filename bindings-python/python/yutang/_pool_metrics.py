"""``yutang.Pool`` methods for growth metrics, referrals and group activity (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

__all__ = ["MetricsMixin"]


class MetricsMixin:
    """Pool methods for growth metrics, referrals and group activity."""

    __slots__ = ()
