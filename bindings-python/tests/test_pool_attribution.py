"""pool.attribution: paths from live data into every attribution model."""
import pandas as pd
import pytest
import yutang

EVENTS = [
    {"id": "1", "at": "2024-05-01 10:00", "kind": "view", "channel": "douyin", "phone": "13800138000"},
    {"id": "2", "at": "2024-05-03 10:00", "kind": "view", "channel": "mini_program", "phone": "13800138000"},
    {"id": "3", "at": "2024-05-04 10:00", "kind": "order", "channel": "mini_program", "amount": "88.00", "phone": "13800138000"},
    {"id": "4", "at": "2024-05-02 10:00", "kind": "message_sent", "channel": "sms", "phone": "13900139000"},
    {"id": "5", "at": "2024-05-05 10:00", "kind": "order", "amount": "10", "phone": "13700137000"},
    {"id": "6", "at": "2024-05-06 10:00", "kind": "refund", "channel": "taobao", "amount": "5", "phone": "13800138000"},
    {"id": "7", "at": "2024-06-30 10:00", "kind": "view", "channel": "app", "phone": "13800138000"},
]


def pool():
    p = yutang.Pool()
    assert p.ingest(EVENTS).accepted == len(EVENTS)
    return p


def test_paths_from_live_data():
    paths = pool().attribution_paths(as_of="2024-05-20T00:00:00+08:00")
    rows = sorted(zip(paths["path"], paths["total_conversions"], paths["total_conversion_value"], paths["total_null"]))
    # customer 1: two touches then an order (refund is not a touch; the June view is after as_of);
    # customer 2: an unconverted SMS touch; customer 3's order had no touch (unattributed)
    assert rows == [("douyin > mini_program", 1.0, 88.0, 0.0), ("sms", 0.0, 0.0, 1.0)]


def test_every_model_side_by_side_adds_up():
    out = pool().attribution("all", as_of=pd.Timestamp("2024-05-20", tz="Asia/Shanghai"))
    out = out.set_index("channel_name")
    assert set(out.index) >= {"douyin", "mini_program"}
    for col in ["first_touch_conversions", "last_touch_conversions", "linear_touch_conversions",
                "markov_conversions", "shapley_conversions"]:
        assert out[col].sum() == pytest.approx(1.0), col
    for col in ["first_touch_value", "last_touch_value", "linear_touch_value", "markov_value", "shapley_value"]:
        assert out[col].sum() == pytest.approx(88.0), col
    assert out.loc["douyin", "first_touch_conversions"] == 1.0
    assert out.loc["mini_program", "last_touch_conversions"] == 1.0
    assert out.loc["douyin", "linear_touch_value"] == pytest.approx(44.0)


def test_single_models_and_errors():
    p = pool()
    m = p.attribution("markov", as_of="2024-05-20", frame="polars")
    assert yutang.frame.kind_of(m) == "polars"
    assert m["total_conversions"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        p.attribution("magic", as_of="2024-05-20")
    with pytest.raises(TypeError):
        p.attribution("markov")
    with pytest.raises(yutang.InvalidFieldError):
        p.attribution_paths(as_of="2024-05-20", lookback=0)
    usd = yutang.Pool()
    usd.ingest([{"id": "1", "at": "2024-05-01", "kind": "view", "channel": "web", "phone": "13800138000"},
                {"id": "2", "at": "2024-05-02", "kind": "order", "amount": 5, "currency": "USD", "phone": "13800138000"}])
    with pytest.raises(yutang.CurrencyMismatchError):
        usd.attribution_paths(as_of="2024-05-20")


def test_rfm_summary_from_the_pool_matches_the_columnar_summary():
    p = yutang.Pool()
    p.ingest([
        {"id": "1", "at": "2024-05-01 09:00", "kind": "order", "amount": "10", "phone": "13800138000"},
        {"id": "2", "at": "2024-05-03 23:30", "kind": "order", "amount": "20", "phone": "13800138000"},
        {"id": "3", "at": "2024-05-10 00:30", "kind": "order", "amount": "40", "phone": "13800138000"},
        {"id": "4", "at": "2024-05-05 12:00", "kind": "order", "amount": "7", "phone": "13900139000"},
    ])
    s = p.rfm_summary(observation_period_end="2024-05-20 12:00")
    a = p.resolve("phone", "13800138000")
    assert tuple(s.loc[a, ["frequency", "recency", "T", "monetary_value"]]) == (2.0, 9.0, 19.0, 30.0)
    assert s.index.name == "customer_id" and len(s) == 2
    with pytest.raises(yutang.InvalidFieldError):
        p.rfm_summary(freq="fortnight")
