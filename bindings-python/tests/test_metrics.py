"""yutang.metrics and the pool's metrics methods: cross-checked against straightforward pandas
computations on the same data, the shared vectors, laws (hypothesis) and the boundary."""
import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import yutang
from yutang import metrics
from conftest import DATA, VECTORS

VEC = json.loads((VECTORS / "metrics.json").read_text())


def cdnow() -> pd.DataFrame:
    df = pd.read_csv(DATA / "cdnow" / "CDNOW_master.txt", sep=r"\s+", header=None, skiprows=1,
                     names=["customer_id", "date", "cds", "amount"])
    df["timestamp"] = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return df


def pandas_cohorts(df: pd.DataFrame) -> pd.DataFrame:
    """The textbook pandas cohort table: first-order month per customer, months since, nunique."""
    d = df.copy()
    d["month"] = d["timestamp"].dt.to_period("M")
    d["cohort"] = d.groupby("customer_id")["month"].transform("min")
    d["months_since"] = (d["month"] - d["cohort"]).apply(lambda x: x.n)
    t = d.groupby(["cohort", "months_since"])["customer_id"].nunique().rename("active").reset_index()
    size = d.groupby("cohort")["customer_id"].nunique().rename("customers")
    t = t.join(size, on="cohort")
    t["cohort"] = t["cohort"].astype(str)
    return t


def test_cohort_retention_matches_pandas_on_cdnow():
    df = cdnow()
    got = metrics.cohort_retention(df, time_zone="UTC")
    want = pandas_cohorts(df)
    merged = got.merge(want, on=["cohort", "months_since"], how="left", suffixes=("", "_pd"))
    # months where nobody of the cohort bought are 0 in ours and absent in the groupby
    assert (merged["active"] == merged["active_pd"].fillna(0)).all()
    assert (merged["customers"] == merged["customers_pd"].ffill()).all()
    assert int(got[got["months_since"] == 0]["customers"].sum()) == 23_570
    assert len(want) == int((got["active"] > 0).sum())
    # repurchase: customers with two or more distinct order dates
    n_dates = df.groupby("customer_id")["timestamp"].nunique()
    assert metrics.repurchase_rate(df, time_zone="UTC") == pytest.approx((n_dates > 1).mean(), rel=1e-12)


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_same_kind_out(kind):
    df = pd.DataFrame({"customer_id": ["a", "a", "b"], "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-09"]),
                       "order_id": ["o1", "o2", "o3"], "sku": ["x", "y", "x"]})
    data = {"pandas": df, "polars": pl.from_pandas(df), "pyarrow": pa.Table.from_pandas(df, preserve_index=False)}[kind]
    for out in (metrics.cohort_retention(data), metrics.affinity(data), metrics.recommend(data)):
        assert yutang.frame.kind_of(out) == kind


def test_time_zone_decides_the_month():
    # 2024-01-31 20:00 UTC is already February in Shanghai
    df = pd.DataFrame({"customer_id": [1, 1], "timestamp": pd.to_datetime(["2024-01-31 20:00", "2024-03-01 00:00"], utc=True)})
    sh = metrics.cohort_retention(df)
    utc = metrics.cohort_retention(df, time_zone="UTC")
    assert sh["cohort"].iloc[0] == "2024-02" and utc["cohort"].iloc[0] == "2024-01"
    # naive times are read in time_zone; strings too
    s = pd.DataFrame({"customer_id": ["a"], "timestamp": ["2024-05-01 00:30"]})
    assert metrics.cohort_retention(s)["cohort"].iloc[0] == "2024-05"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 900)), min_size=1, max_size=80))
def test_cohorts_law_vs_pandas(rows):
    df = pd.DataFrame({"customer_id": [r[0] for r in rows],
                       "timestamp": pd.Timestamp("2023-01-01") + pd.to_timedelta([r[1] for r in rows], unit="D")})
    got = metrics.cohort_retention(df, time_zone="UTC")
    want = pandas_cohorts(df)
    merged = want.merge(got, on=["cohort", "months_since"], suffixes=("_pd", ""))
    assert len(merged) == len(want)
    assert (merged["active"] == merged["active_pd"]).all()


def test_category_fit_hand_computed():
    # coffee: a buys twice (10 + 12), b once (8): 3 orders, AOV 10, repurchase 1/2
    # grinder: a once (300); tea: b twice (20, 20), c once (20)
    df = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "b", "c"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-05", "2024-01-05", "2024-03-05", "2024-03-01"]),
        "category": ["coffee", "grinder", "coffee", "coffee", "tea", "tea", "tea"],
        "amount": [10.0, 300.0, 12.0, 8.0, 20.0, 20.0, 20.0]})
    f = metrics.category_fit(df)
    assert f["category"].tolist() == ["coffee", "grinder", "tea"]
    assert f["aov"].tolist() == [10.0, 300.0, 20.0]
    assert f["repurchase_rate"].tolist() == [0.5, 0.0, 0.5]
    assert f["fit"].tolist() == ["frequency", "considered", "core"]
    by_cat = metrics.cohort_retention(df, category_col="category")
    coffee = by_cat[(by_cat["category"] == "coffee") & (by_cat["cohort"] == "2024-01")]
    assert coffee["active"].tolist() == [2, 1, 0]


def pandas_rules(df):
    baskets = df.groupby("order_id")["sku"].apply(lambda s: set(s))
    n = len(baskets)
    items = sorted(set(df["sku"]))
    onehot = pd.DataFrame({i: baskets.apply(lambda b: i in b) for i in items})
    sup = onehot.mean()
    rows = []
    for a in items:
        for c in items:
            if a == c:
                continue
            both = (onehot[a] & onehot[c]).mean()
            if both > 0:
                rows.append((a, c, both, both / sup[a], both / sup[a] / sup[c]))
    return pd.DataFrame(rows, columns=["antecedent", "consequent", "support", "confidence", "lift"])


def test_affinity_matches_pandas():
    rng = np.random.default_rng(5)
    n = 400
    orders = rng.integers(0, 150, n)
    skus = np.where(rng.random(n) < 0.3, "beans", rng.choice(["papers", "mug", "tea", "cookies", "kettle"], n))
    df = pd.DataFrame({"order_id": orders, "sku": skus})
    got = metrics.affinity(df).set_index(["antecedent", "consequent"]).sort_index()
    want = pandas_rules(df).set_index(["antecedent", "consequent"]).sort_index()
    assert list(got.index) == list(want.index)
    for c in ["support", "confidence", "lift"]:
        np.testing.assert_allclose(got[c], want[c], rtol=1e-12)


def test_affinity_vectors_and_recommend():
    case = VEC["affinity"][0]
    df = pd.DataFrame({"order_id": case["basket"], "sku": case["item"]})
    got = metrics.affinity(df)
    assert got[["antecedent", "consequent"]].values.tolist() == [[r["antecedent"], r["consequent"]] for r in case["rules"]]
    np.testing.assert_allclose(got["lift"], [r["lift"] for r in case["rules"]], rtol=1e-12)
    orders = pd.DataFrame({"customer_id": ["u", "u", "v"], "order_id": [1, 2, 3], "sku": ["b", "d", "c"]})
    # rules from these three orders alone have no pairs: nothing to recommend
    assert len(metrics.recommend(orders)) == 0
    both = pd.concat([df.assign(customer_id="x" + df["order_id"].astype(str)), orders.assign(order_id=orders["order_id"] + 100)])
    rec = metrics.recommend(both, n=2)
    v = rec[rec["customer_id"] == "v"]
    # v owns c: c -> a has confidence 2/3 (baskets with c: {a,b,c}, {a,c}, {c,d})
    assert v["item"].iloc[0] == "a" and v["because"].iloc[0] == "c"


def test_min_thresholds_filter():
    df = pd.DataFrame({"order_id": [1, 1, 2, 2, 3, 3], "sku": ["a", "b", "a", "b", "a", "c"]})
    assert len(metrics.affinity(df, min_count=2)) == 2
    assert set(metrics.affinity(df, min_confidence=0.9)["antecedent"]) == {"b", "c"}
    with pytest.raises(yutang.InvalidFieldError):
        metrics.affinity(df, min_support=2.0)


@pytest.mark.parametrize("case", VEC["decomposition"], ids=[c["name"] for c in VEC["decomposition"]])
def test_decomposition_vectors(case):
    d = metrics.decompose(dict(zip(case["factors"], case["previous"])), dict(zip(case["factors"], case["current"])))
    np.testing.assert_allclose(d["contribution"], case["contributions"], rtol=1e-9, atol=1e-9)
    assert d["contribution"].sum() == pytest.approx(case["change"], rel=1e-9, abs=1e-9)


def test_decompose_hand_case_ang_formula():
    # V0 = 100*0.1*50*1*200 = 100,000; V1 = 120,000; L = 20,000 / ln 1.2
    prev = dict(zip(metrics.FACTORS, [100, 0.1, 50, 1, 200]))
    cur = dict(zip(metrics.FACTORS, [120, 0.1, 40, 1, 250]))
    d = metrics.decompose(prev, cur).set_index("factor")
    L = 20_000 / math.log(1.2)
    assert d.loc["traffic", "contribution"] == pytest.approx(20_000, rel=1e-12)
    assert d.loc["aov", "contribution"] == pytest.approx(L * math.log(0.8), rel=1e-12)
    assert d.loc["ltv", "contribution"] == pytest.approx(L * math.log(1.25), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1e4), min_size=5, max_size=5), st.lists(st.floats(0.01, 1e4), min_size=5, max_size=5))
def test_contributions_sum_to_change(a, b):
    d = metrics.decompose(dict(zip(metrics.FACTORS, a)), dict(zip(metrics.FACTORS, b)))
    change = math.prod(b) - math.prod(a)
    assert d["contribution"].sum() == pytest.approx(change, rel=1e-9, abs=1e-9 * max(math.prod(a), math.prod(b), 1))


def events_frame():
    # a: douyin first, orders 100 in period 1 and 30 + 10 in period 2; b: referral + order 50 in period 2;
    # c: visit in period 2 without a channel
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "c"],
        "timestamp": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-03", "2024-02-09", "2024-02-02", "2024-02-20", "2024-02-04"]),
        "event": ["order", "view", "order", "order", "referral", "order", "view"],
        "amount": [100.0, None, 30.0, 10.0, None, 50.0, None],
        "channel": ["douyin", "douyin", None, None, "wecom", "wecom", None],
    })


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_growth_hand_computed(kind):
    df = events_frame()
    data = {"pandas": df, "polars": pl.from_pandas(df), "pyarrow": pa.Table.from_pandas(df, preserve_index=False)}[kind]
    g = metrics.growth(data, previous=("2024-01-01", "2024-02-01"), current=("2024-02-01", "2024-03-01"))
    assert yutang.frame.kind_of(g.factors) == kind
    f = yutang.frame.to_arrow(g.factors).to_pandas().set_index(["period", "channel"])
    cur = f.loc[("current", "(all)")]
    # traffic 3 (a, b, c), buyers 2, orders 3, revenue 90, invited 1 (b)
    assert (cur["traffic"], cur["buyers"], cur["orders"], cur["revenue"], cur["invited"]) == (3, 2, 3, 90.0, 1)
    # LTV: a 100 + 30 + 10, b 50 -> 95
    assert cur["ltv"] == 95.0
    assert cur["value"] == pytest.approx(3 * (2 / 3) * 30 * (1 + 1 / 3) * 95)
    prev = f.loc[("previous", "(all)")]
    assert prev["value"] == pytest.approx(1 * 1 * 100 * 1 * 100)
    d = yutang.frame.to_arrow(g.decomposition).to_pandas()
    all_ = d[d["channel"] == "(all)"]
    assert all_["contribution"].sum() == pytest.approx(cur["value"] - prev["value"], rel=1e-12)
    assert g.total_change() == pytest.approx(cur["value"] - prev["value"], rel=1e-12)
    assert set(d["channel"]) == {"(all)", "douyin", "wecom", "(none)"}


def test_growth_errors():
    df = events_frame()
    with pytest.raises(KeyError):
        metrics.growth(df, ("2024-01-01", "2024-02-01"), ("2024-02-01", "2024-03-01"), customer_id_col="user")
    with pytest.raises(yutang.InvalidFieldError):
        metrics.growth(df, ("2024-02-01", "2024-01-01"), ("2024-02-01", "2024-03-01"))
    with pytest.raises(yutang.InvalidFieldError):
        metrics.growth(df, ("2024-01-01", "2024-02-01"), ("2024-02-01", "2024-03-01"), traffic="clicks")
    bad = df.copy()
    bad.loc[0, "customer_id"] = None
    with pytest.raises(yutang.InvalidFieldError):
        metrics.cohort_retention(bad)


# --- the pool --------------------------------------------------------------------------------


def pool_events():
    P = lambda v: {"kind": "phone", "value": v}  # noqa: E731
    return [
        {"id": "1", "at": "2024-05-01 10:00", "kind": "register", "identities": [P("13800138000"), {"kind": "wechat_unionid", "value": "uA"}]},
        {"id": "2", "at": "2024-05-02 10:00", "kind": "referral", "identities": [{"kind": "wechat_unionid", "value": "uA"}], "referrer": P("13800138000")},
        {"id": "3", "at": "2024-05-03 10:00", "kind": "referral", "identities": [P("13900139000")], "referrer": P("13800138000"), "channel": "wecom"},
        {"id": "4", "at": "2024-05-06 10:00", "kind": "order", "amount": "88", "identities": [P("13900139000")],
         "items": [{"sku": "beans", "category": "coffee", "unit_price": "60"}, {"sku": "papers", "category": "accessories", "unit_price": "28"}]},
        {"id": "5", "at": "2024-05-07 10:00", "kind": "order", "amount": "60", "identities": [P("13800138000")],
         "items": [{"sku": "beans", "category": "coffee"}]},
        {"id": "6", "at": "2024-05-07 11:00", "kind": "group_join", "group_id": "g1", "identities": [P("13800138000")]},
        {"id": "7", "at": "2024-05-07 12:00", "kind": "group_message", "group_id": "g1", "identities": [P("13900139000")]},
        {"id": "8", "at": "2024-06-09 10:00", "kind": "order", "amount": "30", "identities": [P("13800138000")],
         "items": [{"sku": "papers", "category": "accessories"}]},
    ]


def test_pool_referrals_block_self_referral():
    pool = yutang.Pool()
    assert pool.ingest(pool_events()).accepted == 8
    r = pool.referrals()
    assert r.rejected["reason"].tolist() == ["self_referral"]
    a = pool.resolve("phone", "13800138000")
    assert r.edges["inviter"].tolist() == [a]
    assert r.edges["converted"].tolist() == [True]
    assert r.trees[["size", "depth"]].values.tolist() == [[1, 1]]
    # 2 customers, 1 invite, converted -> K = 1/2 × 1
    assert (r.customers, r.invites, r.k_factor) == (2, 1, 0.5)
    assert pool.referrals(window_days=1).converted == 0


def test_pool_group_cohort_affinity():
    pool = yutang.Pool()
    pool.ingest(pool_events())
    g = pool.group_activity("2024-05-01", "2024-06-01")
    assert g[["group", "members", "speakers", "messages", "silent"]].values.tolist() == [["g1", 2, 1, 1, 1]]
    days = pool.group_activity("2024-05-01", "2024-06-01", per="day", frame="polars")
    assert isinstance(days, pl.DataFrame) and days.height == 31
    assert pool.group_activity("2024-05-01", "2024-06-01", per="silent")["customer_id"].tolist() == [pool.resolve("phone", "13800138000")]
    c = pool.cohort_retention()
    assert c[["cohort", "months_since", "active"]].values.tolist() == [["2024-05", 0, 2], ["2024-05", 1, 1]]
    assert pool.repurchase_rate() == 0.5
    fit = pool.category_fit()
    assert fit["category"].tolist() == ["accessories", "coffee"]
    assert fit["revenue"].tolist() == [58.0, 120.0]
    rules = pool.affinity()
    assert rules[["antecedent", "consequent"]].values.tolist() == [["beans", "papers"], ["papers", "beans"]]
    rec = pool.recommend(pool.resolve("phone", "13800138000"), as_of="2024-05-08")
    assert rec["item"].tolist() == ["papers"]
    with pytest.raises(yutang.NotFoundError):
        pool.recommend("c00000000000000000000")


def test_pool_growth_and_module_level_dispatch():
    pool = yutang.Pool()
    pool.ingest(pool_events())
    g = metrics.growth(pool, previous=("2024-04-01", "2024-05-01"), current=("2024-05-01", "2024-06-01"))
    f = g.factors.set_index(["period", "channel"])
    # May: both customers visit; both order; the self-referral does not count, B's does
    assert f.loc[("current", "(all)"), "invited"] == 1
    assert f.loc[("current", "(all)"), "traffic"] == 2
    assert f.loc[("previous", "(all)"), "traffic"] == 0


def test_big_arrow_input():
    n = 2_000_000
    rng = np.random.default_rng(1)
    df = pa.table({"customer_id": rng.integers(0, 200_000, n), "timestamp": pa.array(
        1_704_067_200_000_000 + rng.integers(0, 3 * 365 * 86_400, n) * 1_000_000, pa.timestamp("us", tz="UTC"))})
    t = metrics.cohort_retention(df)
    assert isinstance(t, pa.Table) and t.num_rows > 0
    assert pc_sum(t, "customers", months_since=0) == len(np.unique(df.column("customer_id").to_numpy()))


def pc_sum(t, col, months_since):
    d = t.to_pandas()
    return int(d[d["months_since"] == months_since][col].sum())


def test_gil_released_during_cohort():
    import threading
    import time

    from yutang import _yutang

    n = 6_000_000
    rng = np.random.default_rng(2)
    cust = rng.integers(0, 1_000_000, n).astype(np.uint32)
    at = (1_704_067_200_000_000 + rng.integers(0, 3 * 365 * 86_400, n) * 1_000_000).astype(np.int64)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    th = threading.Thread(target=ticker)
    th.start()
    try:
        t0 = time.perf_counter()
        out = _yutang.metrics_cohort_retention(cust, at, "Asia/Shanghai", None)
        t1 = time.perf_counter()
    finally:
        stop.set()
        th.join()
    assert json.loads(out)["customers"] > 900_000
    assert sum(t0 < x < t1 for x in ticks) > 5  # the ticker ran while Rust was counting


def test_docstring_examples():
    import doctest

    r = doctest.testmod(metrics)
    assert r.attempted >= 4 and r.failed == 0
