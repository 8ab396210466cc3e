"""``yutang.Pool.report``: the pool's self-contained HTML report (a mixin; the native pool is ``self._pool``)."""
from __future__ import annotations

import html as _html
import json
import math
import os
from typing import Any, Optional, Union

from . import _yutang
from . import frame as _frame
from ._errors import invalid

__all__ = ["Report", "ReportMixin"]


class Report(str):
    """The HTML of a report: a ``str`` that Jupyter displays as the page itself (in an iframe)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        # in an iframe: the page's own styles must not restyle the notebook around it
        return ('<iframe style="width:100%;height:80vh;border:0" srcdoc="'
                + _html.escape(str(self), quote=True) + '"></iframe>')


class ReportMixin:
    """The report of the pool (see docs/concepts.md, "The report")."""

    __slots__ = ()
    _pool: Any

    def report(self, as_of: Any, path: Optional[Union[str, "os.PathLike[str]"]] = None, *,
               title: Optional[str] = None, period_days: Optional[int] = None, flow_days: Optional[int] = None,
               lookback_days: Optional[int] = None, clv_months: Optional[int] = None,
               clv_discount_rate: Optional[float] = None, top_customers: Optional[int] = None,
               journey_days: Optional[int] = None) -> Report:
        """A self-contained HTML report of the pool as of ``as_of``: lifecycle distribution and
        flows, RFM tiers, cohort heat map, growth decomposition, channel attribution, CLV
        distribution and the top customers by CLV, journeys with per-step counts (inline SVG, no
        script, no network; deterministic). Written to ``path`` (UTF-8) when given. Options left
        ``None`` take the library's defaults (182-day growth periods, 90-day flows, 30-day
        attribution look-back, 12-month CLV at 1 % a month, 20 top customers, journeys replayed
        over 365 days).

        >>> import yutang
        >>> pool = yutang.Pool()
        >>> _ = pool.ingest([{"id": "1", "at": "2024-05-01", "kind": "order", "phone": "13800138000", "amount": 10}])
        >>> html = pool.report("2024-06-01")
        >>> html.startswith("<!doctype html>"), "Lifecycle distribution" in html
        (True, True)
        """
        given = {"title": title, "period_days": period_days, "flow_days": flow_days,
                 "lookback_days": lookback_days, "clv_months": clv_months,
                 "clv_discount_rate": clv_discount_rate, "top_customers": top_customers,
                 "journey_days": journey_days}
        options = {k: v for k, v in given.items() if v is not None}
        for k, v in options.items():  # what JSON cannot carry is checked here; the rest by the core
            if k == "title":
                if not isinstance(v, str):
                    raise invalid(k, v, "must be a string")
            elif k == "clv_discount_rate":
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise invalid(k, v, "must be a finite number")
            elif isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2 ** 32:
                raise invalid(k, v, "must be a whole number from 0 to 4294967295")
        html = Report(_yutang.pool_report(self._pool, _frame.to_iso(as_of), json.dumps(options) if options else None))
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(html)
        return html
