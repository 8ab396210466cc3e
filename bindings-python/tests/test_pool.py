"""The Python boundary of yutang.Pool: inputs of every kind, outputs, errors, threads."""
import datetime as dt
import threading

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import yutang

SH = dt.timezone(dt.timedelta(hours=8))


def base_events():
    return [
        {"id": "e1", "at": "2024-05-01 10:00", "kind": "register", "phone": "+86 138-0013-8000",
         "wechat_unionid": "u1", "channel": "mini_program"},
        {"id": "e2", "at": "2024-05-02T10:00:00+08:00", "kind": "order", "wechat_unionid": "u1",
         "channel": "douyin", "amount": 19.9, "order_id": "o1"},
        {"id": "e3", "at": "2024-05-03T02:00:00Z", "kind": "refund", "phone": "13800138000",
         "channel": "douyin", "amount": "9.90"},
    ]


def test_dicts_resolve_profile_timeline():
    pool = yutang.Pool()
    r = pool.ingest(base_events())
    assert (r.accepted, r.duplicates, r.rejected, r.warnings) == (3, 0, [], [])
    c = pool.resolve("phone", "+86 138 0013 8000")
    assert c is not None and c == pool.resolve("wechat_unionid", "u1")
    prof = pool.profiles()
    assert isinstance(prof, pd.DataFrame)
    row = prof.set_index("customer_id").loc[c]
    assert row["order_count"] == 1 and row["refund_count"] == 1
    assert row["spend_minor"] == 1990 - 990
    assert row["spend"] == pytest.approx(10.0)
    assert row["last_order_at"] == pd.Timestamp("2024-05-02T02:00:00Z")
    assert row["events_douyin"] == 2
    tl = pool.timeline(c)
    assert list(tl["id"]) == ["e1", "e2", "e3"]
    assert list(tl["amount"])[1:] == ["19.90", "9.90"]
    assert str(tl["at"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_frames_in_all_kinds_and_same_result_as_dicts(kind):
    evs = base_events()
    ref = yutang.Pool()
    ref.ingest(evs)
    table = pa.table({
        "id": [e["id"] for e in evs],
        "at": [e["at"] for e in evs],
        "kind": [e["kind"] for e in evs],
        "channel": [e["channel"] for e in evs],
        "phone": [e.get("phone") for e in evs],
        "wechat_unionid": [e.get("wechat_unionid") for e in evs],
        "amount": [None, "19.9", "9.90"],
        "order_id": [None, "o1", None],
    })
    obj = {"pyarrow": table, "pandas": table.to_pandas(), "polars": pl.from_arrow(table)}[kind]
    pool = yutang.Pool()
    r = pool.ingest(obj)
    assert r.accepted == 3, r.rejected
    assert pool.snapshot() == ref.snapshot()
    out = pool.profiles(frame=kind)
    assert yutang.frame.kind_of(out) == kind


def test_large_string_timestamps_and_missing_values():
    n = 4
    table = pa.table({
        "id": pa.array([f"x{i}" for i in range(n)], type=pa.large_string()),
        "at": pa.array([dt.datetime(2024, 5, 1, 10, tzinfo=SH)] * 2 + [None, dt.datetime(2024, 5, 1, 2, tzinfo=dt.timezone.utc)],
                       type=pa.timestamp("ms", tz="Asia/Shanghai")),
        "kind": ["order", "view", "view", "view"],
        "app_user": ["a1", None, "a3", "a1"],
        "device": [None, "d2", None, None],
        "amount": [12.5, float("nan"), None, None],
    })
    pool = yutang.Pool()
    r = pool.ingest(table)
    assert r.accepted == 3
    assert r.rejected == [(2, "at", "missing")]
    c = pool.resolve("app_user", "a1")
    tl = pool.timeline(c)
    assert list(tl["at"]) == [pd.Timestamp("2024-05-01T02:00:00Z")] * 2
    assert pool.profile(c)["spend"] == {"CNY": 1250}


def test_naive_timestamps_are_business_zone():
    df = pd.DataFrame({"id": ["a"], "at": [pd.Timestamp("2024-05-01 10:00")], "kind": ["view"], "phone": ["13800138000"]})
    pool = yutang.Pool()
    pool.ingest(df)
    tl = pool.timeline(pool.resolve("phone", "13800138000"))
    assert tl["at"][0] == pd.Timestamp("2024-05-01T02:00:00Z")
    ny = yutang.Pool(time_zone="America/New_York")
    ny.ingest(df)
    assert ny.timeline(ny.resolve("phone", "13800138000"))["at"][0] == pd.Timestamp("2024-05-01T14:00:00Z")


def test_float_amounts_are_exact():
    pool = yutang.Pool()
    df = pd.DataFrame({"id": ["a", "b", "c"], "at": ["2024-05-01"] * 3, "kind": ["order"] * 3,
                       "phone": ["13800138000"] * 3, "amount": [19.9, 0.1, 1234567.89]})
    pool.ingest(df)
    assert pool.profile(pool.resolve("phone", "13800138000"))["spend"] == {"CNY": 1990 + 10 + 123456789}


def test_table_rows_with_non_ascii_text_and_bad_rows_keep_their_positions():
    # columns cross borrowed (no event object per row): Unicode values, a wide space to trim,
    # floats with more decimals than the currency, and bad rows between good ones
    t = pa.table({
        "id": ["订单-1", "订单-2", "订单-3", "订单-4", "订单-1"],
        "at": ["2024-05-01 10:00", "2024-05-01 11:00", "not a time", "2024-05-01 12:00", "2024-05-01 10:00"],
        "kind": ["order", "order", "view", "order", "order"],
        "wechat_openid": ["\u3000微信用户\u3000", "微信用户", "微信用户", "微信用户", "\u3000微信用户\u3000"],
        "wechat_openid_namespace": ["小程序", "小程序", "小程序", "小程序", "小程序"],
        "amount": [19.9, 0.1 + 0.2, None, 5.0, 19.9],
    })
    pool = yutang.Pool()
    r = pool.ingest(t)
    assert (r.accepted, r.duplicates) == (2, 1)
    assert [(i, f) for i, f, _ in r.rejected] == [(1, "amount"), (2, "at")]
    c = pool.resolve("wechat_openid", "微信用户", namespace="小程序")
    assert c is not None and pool.profile(c)["spend"] == {"CNY": 1990 + 500}
    assert list(pool.timeline(c)["id"]) == ["订单-1", "订单-4"]


def test_bad_rows_are_reported_with_field_and_never_raise():
    pool = yutang.Pool()
    r = pool.ingest([
        {"id": "a", "at": "yesterday", "kind": "view", "phone": "13800138000"},
        {"id": "b", "at": "2024-05-01", "kind": "order", "phone": "13800138000", "amount": -1},
        {"id": "c", "at": "2024-05-01", "kind": "order", "phone": "13800138000", "amount": "1", "currency": "RMB"},
        {"at": "2024-05-01", "kind": "view", "phone": "13800138000"},
        {"id": "e", "at": "2024-05-01", "kind": "view", "phone": "1" * 200},
        {"id": "f", "at": "2024-05-01", "kind": "view", "phone": "null", "wechat_unionid": "u9"},
    ])
    assert r.accepted == 1
    assert [(i, f) for i, f, _ in r.rejected] == [(0, "at"), (1, "amount"), (2, "currency"), (3, "id"), (4, "identities[0].value")]
    assert [(i, f) for i, f, _ in r.warnings] == [(5, "identities[0].value")]
    assert "null" not in r.warnings[0][2].replace("n**l", "")


def test_unknown_column_is_a_clear_error():
    with pytest.raises(yutang.InvalidFieldError, match='invalid columns: "colour" \\(unknown column'):
        yutang.Pool().ingest(pa.table({"id": ["a"], "at": ["2024-05-01"], "kind": ["view"], "phone": ["13800138000"], "colour": ["red"]}))
    pool = yutang.Pool()
    r = pool.ingest(pa.table({"id": ["a"], "at": ["2024-05-01"], "kind": ["view"], "phone": ["13800138000"], "colour": ["red"]}),
                    properties=["colour"])
    assert r.accepted == 1
    assert pool.export(pool.resolve("phone", "13800138000"))["events"][0]["properties"] == {"colour": "red"}


def test_errors_are_typed():
    pool = yutang.Pool()
    with pytest.raises(yutang.NotFoundError):
        pool.timeline("c0000000000000000000")
    with pytest.raises(yutang.InvalidFieldError) as e:
        pool.resolve("myspace", "x")
    assert e.value.field == "identity.kind"
    with pytest.raises(yutang.SnapshotError):
        yutang.Pool.restore(b"not a snapshot")
    with pytest.raises(yutang.YutangError):
        yutang.Pool(time_zone="Mars/Olympus")
    assert issubclass(yutang.YutangError, ValueError)


def test_snapshot_restore_erase_export_unbind():
    pool = yutang.Pool()
    pool.ingest(base_events() + [{"id": "e4", "at": "2024-05-04", "kind": "view", "phone": "13900139000", "device": "dev1"}])
    blob = pool.snapshot()
    again = yutang.Pool.restore(blob)
    assert again.snapshot() == blob
    pd.testing.assert_frame_equal(again.profiles(), pool.profiles())
    c = pool.resolve("phone", "13800138000")
    x = pool.export(c)
    assert x["customer_id"] == c and len(x["events"]) == 3
    assert {i["kind"] for i in x["profile"]["identities"]} == {"phone", "wechat_unionid"}
    assert pool.erase(c) == {"events": 3, "identities": 2}
    assert b"13800138000" not in pool.snapshot()
    assert pool.resolve("wechat_unionid", "u1") is None
    new = pool.unbind("device", "dev1")
    assert new is not None and pool.stats()["customers"] == 2
    with pytest.raises(yutang.NotFoundError):
        pool.unbind("device", "nope")


def test_conflicts_and_merge_log_frames():
    pool = yutang.Pool()
    pool.ingest([
        {"id": "e1", "at": "2024-05-01", "kind": "register", "phone": "13800138000", "wechat_unionid": "u1"},
        {"id": "e2", "at": "2024-05-02", "kind": "register", "phone": "13900139000"},
        {"id": "e3", "at": "2024-05-03", "kind": "view", "phone": "13900139000", "wechat_unionid": "u1"},
        {"id": "e4", "at": "2024-05-04", "kind": "view", "app_user": "a1"},
        {"id": "e5", "at": "2024-05-05", "kind": "view", "app_user": "a1", "phone": "13900139000"},
    ])
    cf = pool.conflicts(frame="polars")
    assert isinstance(cf, pl.DataFrame) and cf["value"].to_list() == ["u1"]
    ml = pool.merge_log()
    assert list(ml["reason"]) == ["merge"]
    survivor = pool.resolve("phone", "13900139000")
    assert ml["survivor"][0] == survivor
    assert pool.canonical_id(ml["absorbed"][0]) == survivor


def test_retention_and_time_arguments():
    pool = yutang.Pool(retention_days=30)
    pool.ingest([{"id": "old", "at": "2024-01-01", "kind": "view", "phone": "13800138000"},
                 {"id": "new", "at": "2024-05-01", "kind": "view", "phone": "13800138000"}])
    assert pool.apply_retention(pd.Timestamp("2024-05-10", tz="Asia/Shanghai")) == 1
    assert pool.apply_retention(dt.datetime(2024, 5, 10, tzinfo=dt.timezone.utc)) == 0
    r = pool.ingest([{"id": "older", "at": "2024-02-01", "kind": "view", "phone": "13800138000"}])
    assert r.rejected[0][1] == "at"


def test_pool_is_safe_from_threads():
    pool = yutang.Pool()
    errors = []

    def work(t):
        try:
            for i in range(100):
                pool.ingest([{"id": f"{t}-{i}", "at": "2024-05-01", "kind": "view", "app_user": f"user{i}"}])
                pool.profiles()
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert pool.stats() == {"events": 400, "identities": 100, "customers": 100, "conflicts": 0, "merges": 0}


def test_referral_needs_a_usable_referrer_and_the_pool_still_restores():
    pool = yutang.Pool()
    r = pool.ingest([
        {"id": "r1", "at": "2024-05-01", "kind": "referral", "phone": "13800138000", "referrer": "null"},
        {"id": "r2", "at": "2024-05-02", "kind": "referral", "phone": "13800138000", "referrer": "13800138001"},
    ])
    assert r.accepted == 1
    assert [(i, f) for i, f, _ in r.rejected] == [(0, "referrer.value")]
    assert yutang.Pool.restore(pool.snapshot()).stats() == pool.stats()
