"""Mistakes a user can make, each of which `mypy --strict` must report (tests/test_typing.py).

Every line marked `# E: <code>` must get exactly that error and no other line any error: this
proves the public types are real (were they `Any`, mypy would accept every line). Not run.
"""
from __future__ import annotations

import yutang
from yutang import BetaGeoFitter, Pool


def mistakes(pool: Pool) -> None:
    customer: str = pool.resolve("phone", "13800138000")  # E: assignment
    count: int = pool.snapshot()  # E: assignment
    pool.ingest([], properties=5)  # E: arg-type
    yutang.Pool(time_zone=8)  # E: arg-type
    pool.ingest([]).acepted  # E: attr-defined
    yutang.NoSuchName  # E: attr-defined
    fitter: BetaGeoFitter = yutang.GammaGammaFitter()  # E: assignment
    ll: str = BetaGeoFitter.from_params(r=0.2, alpha=4.0, a=0.8, b=2.4).log_likelihood_  # E: assignment
    try:
        yutang.rules.parse("orders(")
    except yutang.RuleSyntaxError as e:
        column: str = e.column  # E: assignment
    print(customer, count, fitter, ll, column)
