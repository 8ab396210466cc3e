"""A user's script against the public API, checked with `mypy --strict` (tests/test_typing.py).

It is also run, so that it stays a real script and not only a type-level sketch. It imports
yutang both ways a user would (`import yutang` and `from yutang import ...`) and uses the
installed package's own types: `py.typed`, the annotations of the pure-Python API and the stubs
of the native module (`_yutang.pyi`).
"""
from __future__ import annotations

import io
from typing import Dict, List, Optional, Tuple

import numpy as np
import polars as pl

import yutang
from yutang import (
    BetaGeoFitter,
    GammaGammaFitter,
    IngestReport,
    InvalidFieldError,
    Pool,
    RuleSyntaxError,
    YutangError,
)
from yutang.attribution import markov_model
from yutang.journeys import coffee_coupon_ladder


def load(pool: Pool) -> IngestReport:
    return pool.ingest([
        {"id": "e1", "at": "2024-05-01 10:00", "kind": "register", "channel": "mini_program",
         "phone": "+86 138-0013-8000", "wechat_unionid": "u1"},
        {"id": "e2", "at": "2024-05-02T10:00:00+08:00", "kind": "order", "channel": "douyin",
         "wechat_unionid": "u1", "amount": 19.9, "order_id": "o1"},
    ])


def main() -> None:
    version: str = yutang.__version__
    pool = yutang.Pool(time_zone="Asia/Shanghai", currency="CNY")
    report = load(pool)
    counts: Tuple[int, int] = (report.accepted, report.duplicates)
    rejected: List[Tuple[int, str, str]] = report.rejected
    assert counts == (2, 0) and rejected == [] and version

    customer: Optional[str] = pool.resolve("phone", "13800138000")
    assert customer is not None
    assert pool.canonical_id(customer) == customer
    stats: Dict[str, int] = pool.stats()
    assert stats["customers"] == 1

    blob: bytes = pool.snapshot()
    again: Pool = Pool.restore(blob)
    buf = io.BytesIO()
    again.snapshot_to(buf)
    buf.seek(0)
    assert yutang.Pool.restore_from(buf).snapshot() == blob

    tree = yutang.rules.parse("orders(30d) >= 1")
    text: str = yutang.rules.to_text(tree)
    try:
        yutang.rules.parse("orders(30d) >=")
    except RuleSyntaxError as e:
        where: Tuple[int, int] = (e.line, e.column)
        assert where[0] == 1
    pool.define_segment("buyers", text)
    members: List[str] = pool.segment_members("buyers", as_of="2024-05-03")
    assert members == [customer]

    ladder = coffee_coupon_ladder()
    pool.add_journey(ladder, since="2024-04-01")
    pool.advance(as_of="2024-07-01T09:00:00+08:00")

    f = np.array([2.0, 1.0, 0.0, 0.0, 4.0, 3.0])
    r = np.array([30.4, 1.7, 0.0, 0.0, 35.0, 20.0])
    t = np.array([38.9, 38.9, 38.9, 38.9, 38.9, 38.9])
    bgf: BetaGeoFitter = BetaGeoFitter.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    alive = bgf.conditional_probability_alive(f, r, t)
    ll: float = BetaGeoFitter(penalizer_coef=0.01).fit(f, r, t).log_likelihood_
    ggf: GammaGammaFitter = GammaGammaFitter.from_params(p=6.25, q=3.74, v=15.44)
    assert len(alive) == 6 and np.isfinite(ll) and ggf.params_["p"] == 6.25

    paths = pl.DataFrame({"path": ["douyin > taobao", "taobao"], "total_conversions": [1.0, 2.0]})
    markov_model(paths, "path", "total_conversions")

    try:
        pool.ingest([{"id": "x"}], extra="keep")
    except InvalidFieldError as e:
        field: Optional[str] = e.field
        assert field == "extra"
    except YutangError:
        raise


if __name__ == "__main__":
    main()
