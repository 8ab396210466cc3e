"""Lifecycle stages and RFM tiers from Python: the boundary (frames of every kind, errors,
settings, snapshots), the shared vectors, pandas qcut as the outside reference for quantile
scores, and hypothesis laws."""
import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import yutang
from yutang.lifecycle import STAGES, TIERS, check_tiers, default_tiers

from conftest import VECTORS

A, B, C = "13800138000", "13900139000", "13700137000"


def utc(s):
    return pd.Timestamp(s).tz_convert("UTC") if pd.Timestamp(s).tzinfo else pd.Timestamp(s, tz="UTC")


@pytest.fixture
def pool():
    p = yutang.Pool()
    r = p.ingest([
        {"id": "a1", "at": "2024-01-01 09:00", "kind": "register", "phone": A},
        {"id": "a2", "at": "2024-01-10 15:00", "kind": "order", "phone": A, "amount": "99"},
        {"id": "a3", "at": "2024-08-01 10:00", "kind": "order", "phone": A, "amount": "50"},
        {"id": "a4", "at": "2024-08-05 10:00", "kind": "order", "phone": A, "amount": "20"},
        {"id": "b1", "at": "2024-03-01 12:00", "kind": "view", "phone": B},
        {"id": "c1", "at": "2024-06-01 12:00", "kind": "order", "phone": C, "amount": "10"},
    ])
    assert r.accepted == 6
    return p


def test_stage_ids():
    assert STAGES == ("prospect", "new", "repeat", "at_risk", "churned", "won_back")
    assert len(TIERS) == 11 and TIERS[0] == "champions" and "cant_lose" in TIERS


def test_lifecycle_frame_contract(pool):
    df = pool.lifecycle("2024-09-01")
    assert list(df.columns) == ["customer_id", "stage", "since"]
    stage = dict(zip(df.customer_id, df.stage))
    assert stage[pool.resolve("phone", A)] == "repeat"
    assert stage[pool.resolve("phone", B)] == "prospect"
    # C ordered 2024-06-01: + 90 days = 2024-08-30 (29 + 31 + 30), at risk from its midnight
    row = df[df.customer_id == pool.resolve("phone", C)].iloc[0]
    assert row.stage == "at_risk" and row.since == pd.Timestamp("2024-08-30T00:00:00+08:00")
    assert str(df.since.dtype).startswith("datetime64[us, UTC]")
    # same content as polars and pyarrow
    assert pool.lifecycle("2024-09-01", frame="polars").shape == (3, 3)
    assert isinstance(pool.lifecycle("2024-09-01", frame="pyarrow"), pa.Table)
    # as_of accepts datetimes (naive = business zone)
    import datetime as dt
    assert pool.lifecycle(dt.datetime(2024, 9, 1)).equals(df)


def test_history_changes_distribution_matrix(pool):
    a = pool.resolve("phone", A)
    h = pool.stage_history(a, "2024-09-01")
    assert h.to_stage.tolist() == ["prospect", "new", "at_risk", "churned", "won_back", "repeat"]
    assert h.from_stage.iloc[0] is None or pd.isna(h.from_stage.iloc[0])
    assert pool.stage(a, "2024-08-02") == ("won_back", pd.Timestamp("2024-08-01T10:00:00+08:00"))
    assert pool.stage(a, "2023-01-01") is None
    ch = pool.stage_changes("2024-07-01", "2024-09-01")
    assert ch.to_stage.tolist() == ["churned", "won_back", "repeat", "at_risk"]
    assert ch["at"].is_monotonic_increasing
    d = pool.stage_distribution("2024-09-01")
    assert dict(zip(d.stage, d.customers)) == {"prospect": 1, "new": 0, "repeat": 1, "at_risk": 1, "churned": 0,
                                               "won_back": 0}
    assert math.isclose(d.share.sum(), 1.0)
    m = pool.stage_transitions("2024-05-01", "2024-09-01")
    cells = {(f if isinstance(f, str) else None, t): n for f, t, n in zip(m.from_stage, m.to_stage, m.customers)}
    assert cells == {("prospect", "prospect"): 1, ("at_risk", "repeat"): 1, (None, "at_risk"): 1}
    w = pool.stage_transitions("2024-05-01", "2024-09-01", wide=True)
    assert w.loc["at_risk", "repeat"] == 1 and w.values.sum() == 3
    with pytest.raises(yutang.NotFoundError):
        pool.stage_history("cnotacustomer00000000", "2024-09-01")


def test_config_errors_settings_and_snapshot(pool):
    with pytest.raises(yutang.InvalidFieldError) as e:
        pool.set_lifecycle_config(at_risk_days=200, churned_days=180)
    assert e.value.field == "lifecycle.churned_days" and "unordered" in str(e.value)
    with pytest.raises(yutang.InvalidFieldError) as e:
        pool.set_lifecycle_config(rhythm={"at_risk_multiple": 3, "churned_multiple": 2})
    assert e.value.field == "lifecycle.rhythm.churned_multiple"
    assert pool.lifecycle_config["at_risk_days"] == 90
    pool.set_lifecycle_config(at_risk_days=30, churned_days=60)
    pool.set_rfm_options(frequency=[1, 2, 4, 8])
    q = yutang.Pool.restore(pool.snapshot())
    assert q.lifecycle_config == pool.lifecycle_config and q.rfm_options == pool.rfm_options
    assert q.lifecycle("2024-09-01").equals(pool.lifecycle("2024-09-01"))
    # p_alive from a fitted model object or parameters
    pool.set_lifecycle_config(p_alive={"model": [0.243, 4.414, 0.793, 2.426], "at_risk_below": 0.5,
                                       "churned_below": 0.2})
    assert pool.lifecycle_config["p_alive"]["params"] == [0.243, 4.414, 0.793, 2.426]


def test_rfm_frame_contract_and_kinds(pool):
    df = pool.rfm("2024-09-01")
    assert list(df.columns) == ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "tier"]
    a = df[df.customer_id == pool.resolve("phone", A)].iloc[0]
    # A: last order 08-05 -> 09-01 is 27 days; 3 orders; 99 + 50 + 20 = 169
    assert (a.recency_days, a.frequency, a.monetary) == (27, 3, 169.0)
    assert set(df.tier) <= set(TIERS) and len(df) == 2  # B never ordered
    assert isinstance(pool.rfm("2024-09-01", frame="polars"), pl.DataFrame)
    assert isinstance(pool.rfm("2024-09-01", frame="pyarrow"), pa.Table)
    # per-call options
    cut = pool.rfm("2024-09-01", frequency={"cuts": [1, 2, 4, 8]})
    assert cut.set_index("customer_id").loc[pool.resolve("phone", A), "f"] == 3


def test_other_currency_needs_a_rate():
    p = yutang.Pool()
    p.ingest([{"id": "1", "at": "2024-05-01", "kind": "order", "phone": A, "amount": "10", "currency": "USD"},
              {"id": "2", "at": "2024-05-02", "kind": "order", "phone": A, "amount": "100"}])
    with pytest.raises(yutang.CurrencyMismatchError):
        p.rfm("2024-06-01")
    assert p.rfm("2024-06-01", rates={"USD": 7.0}).monetary.tolist() == [170.0]


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_rfm_scores_returns_the_same_kind(kind):
    data = {"customer": ["a", "b", "c", "d", "e"], "recency_days": [1, 400, 30, 200, 5], "frequency": [9, 1, 3, 2, 1],
            "monetary": [900.0, 10.0, 120.0, 60.0, 15.0]}
    df = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.table}[kind](data)
    out = yutang.rfm_scores(df)
    assert type(out) is type(df)
    t = out if kind == "pandas" else (out.to_pandas())
    assert t.columns.tolist() == ["customer", "recency_days", "frequency", "monetary", "r", "f", "m", "tier"]
    assert t.tier.tolist()[:2] == ["champions", "lost"]


def test_rfm_scores_errors():
    df = pd.DataFrame({"recency_days": [1.0, np.nan], "frequency": [1, 2], "monetary": [1.0, 2.0]})
    with pytest.raises(ValueError):
        yutang.rfm_scores(df)
    ok = df.fillna(3.0)
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.rfm_scores(ok, frequency=[1, 3, 2, 4])
    assert e.value.field == "rfm.frequency.cuts[2]"
    with pytest.raises(KeyError):
        yutang.rfm_scores(ok, recency_col="nope")


# ---------------------------------------------------------------- pandas as the outside truth

def pandas_qcut_scores(s: pd.Series, ascending: bool = True) -> np.ndarray:
    """The common practice: qcut of rank(method='first') into 5 labelled bins."""
    r = (s if ascending else -s).rank(method="first")
    return pd.qcut(r, 5, labels=[1, 2, 3, 4, 5]).astype(int).to_numpy()


def documented_rule(s: pd.Series, ascending: bool = True) -> np.ndarray:
    """docs/lifecycle.md: x = (average rank - 1) / (n - 1); score = 1 + #{0.2, 0.4, 0.6, 0.8 < x}."""
    r = (s if ascending else -s).rank(method="average").to_numpy()
    n = len(s)
    x = (r - 1) / (n - 1) if n > 1 else np.full(n, 0.5)
    return 1 + sum((x > p).astype(int) for p in (0.2, 0.4, 0.6, 0.8))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=5, max_size=300, unique=True))
def test_quintiles_equal_pandas_qcut_without_ties(values):
    s = pd.Series(values, dtype=float)
    df = pd.DataFrame({"recency_days": s, "frequency": s, "monetary": s})
    out = yutang.rfm_scores(df)
    assert (out.m.to_numpy() == pandas_qcut_scores(s)).all()
    assert (out.f.to_numpy() == pandas_qcut_scores(s)).all()
    assert (out.r.to_numpy() == pandas_qcut_scores(s, ascending=False)).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=2, max_size=300))
def test_ties_follow_the_documented_rule_and_stay_within_rank_first_scores(values):
    s = pd.Series(values, dtype=float)
    df = pd.DataFrame({"recency_days": s, "frequency": s, "monetary": s})
    out = yutang.rfm_scores(df)
    assert (out.f.to_numpy() == documented_rule(s)).all()
    assert (out.r.to_numpy() == documented_rule(s, ascending=False)).all()
    # equal values -> equal scores; and each tied block's score lies between the lowest and
    # highest score pandas' rank-first qcut hands out inside that block
    if len(s) >= 5:
        first = pandas_qcut_scores(s)
        for v in set(values):
            block = (s == v).to_numpy()
            assert len(set(out.f.to_numpy()[block])) == 1
            assert first[block].min() <= out.f.to_numpy()[block][0] <= first[block].max()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 40), st.floats(-100, 1e5, allow_nan=False)),
                min_size=1, max_size=200))
def test_every_row_one_tier_scores_1_to_5(rows):
    df = pd.DataFrame(rows, columns=["recency_days", "frequency", "monetary"])
    out = yutang.rfm_scores(df)
    for c in "rfm":
        assert out[c].between(1, 5).all()
    assert out.tier.isin(TIERS).all() and len(out) == len(df)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
def test_gap_or_overlap_is_refused_naming_the_cell(r, f, m):
    tiers = default_tiers()
    owner = [n for n, boxes in tiers.items()
             if any(b["r"][0] <= r <= b["r"][1] and b["f"][0] <= f <= b["f"][1] and b["m"][0] <= m <= b["m"][1]
                    for b in boxes)]
    assert len(owner) == 1
    other = "lost" if owner[0] != "lost" else "champions"
    tiers[other] = tiers[other] + [{"r": [r, r], "f": [f, f], "m": [m, m]}]
    with pytest.raises(yutang.InvalidFieldError, match=f"r={r} f={f} m={m}.*overlap"):
        check_tiers(tiers)
    cells = {f"t{a}{b}{c}": [{"r": [a, a], "f": [b, b], "m": [c, c]}]
             for a in range(1, 6) for b in range(1, 6) for c in range(1, 6) if (a, b, c) != (r, f, m)}
    with pytest.raises(yutang.InvalidFieldError, match=f"r={r} f={f} m={m}.*gap"):
        check_tiers(cells)
    assert check_tiers(default_tiers()) == list(TIERS)


# ---------------------------------------------------------------- shared vectors

LIFE = json.loads((VECTORS / "lifecycle.json").read_text())
RFM = json.loads((VECTORS / "rfm.json").read_text())


def _config_kwargs(cfg):
    kw = {"at_risk_days": cfg["at_risk_days"], "churned_days": cfg["churned_days"], "rhythm": cfg.get("rhythm")}
    if cfg.get("p_alive"):
        p = cfg["p_alive"]
        kw["p_alive"] = {"model": p["params"], "at_risk_below": p["at_risk_below"], "churned_below": p["churned_below"]}
    return kw


@pytest.mark.parametrize("case", LIFE["cases"], ids=[c["name"] for c in LIFE["cases"]])
def test_lifecycle_vector(case):
    p = yutang.Pool(time_zone=case.get("time_zone", "Asia/Shanghai"))
    assert not p.ingest(case["events"]).rejected
    if case["config"]:
        p.set_lifecycle_config(**_config_kwargs(case["config"]))
    for probe in case["stages"]:
        for phone, want in probe["expect"].items():
            got = p.stage(p.resolve("phone", phone), probe["as_of"])
            if want is None:
                assert got is None
            else:
                assert got == (want[0], pd.Timestamp(want[1])), (case["name"], phone, probe["as_of"])
    if "distribution" in case:
        d = p.stage_distribution(case["distribution"]["as_of"])
        assert dict(zip(d.stage, d.customers)) == case["distribution"]["expect"]
    if "history" in case:
        h = case["history"]
        got = p.stage_history(p.resolve("phone", h["phone"]), h["as_of"])
        rows = [[f if isinstance(f, str) else None, t, a.isoformat().replace("+00:00", "Z")]
                for f, t, a in zip(got.from_stage, got.to_stage, got["at"])]
        assert rows == h["expect"]


def _scoring_kwargs(opts):
    return {k: opts.get(k) for k in ("recency", "frequency", "monetary", "tiers")}


@pytest.mark.parametrize("case", RFM["cases"], ids=[c["name"] for c in RFM["cases"]])
def test_rfm_vector(case):
    df = pd.DataFrame({c: case[c] for c in ("recency_days", "frequency", "monetary")})
    if "error" in case:
        with pytest.raises(yutang.InvalidFieldError) as e:
            yutang.rfm_scores(df, **_scoring_kwargs(case["options"]))
        assert e.value.field == case["error"]["field"] and case["error"]["contains"] in str(e.value)
        return
    out = yutang.rfm_scores(df, **_scoring_kwargs(case["options"]))
    for c in ("r", "f", "m", "tier"):
        assert out[c].tolist() == case["expect"][c], (case["name"], c)


@pytest.mark.parametrize("case", RFM["pool_cases"], ids=[c["name"] for c in RFM["pool_cases"]])
def test_rfm_pool_vector(case):
    p = yutang.Pool()
    assert not p.ingest(case["events"]).rejected
    df = p.rfm(case["as_of"]).set_index("customer_id")
    assert len(df) == len(case["expect"])
    for phone, e in case["expect"].items():
        row = df.loc[p.resolve("phone", phone)]
        assert {k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in e} == e
