"""Journeys from Python: the shared vectors (tests/vectors/journeys.json), the boundary
(frames, time types, errors with JSON paths), simulate leaving the live state alone."""
import datetime as dt
import json

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import yutang
from hypothesis import given, settings, strategies as st

from conftest import VECTORS

DOC = json.loads((VECTORS / "journeys.json").read_text())
CASES = DOC["cases"]
EXAMPLES = {"coffee_coupon_ladder": yutang.journeys.coffee_coupon_ladder,
            "renewal_reminders": yutang.journeys.renewal_reminders}
COLUMNS = ["customer_id", "journey", "step", "channel", "offer", "due_at", "key"]


def resolve(pool, name):
    kind, value = name.split(":", 1)
    return pool.resolve(kind, value)


def run_case(case):
    pool = yutang.Pool()
    names = []
    got = []
    for step in case["steps"]:
        if "ingest" in step:
            for e in step["ingest"]:
                for i in e["identities"]:
                    n = f"{i['kind']}:{i['value']}"
                    if n not in names:
                        names.append(n)
            r = pool.ingest(step["ingest"])
            assert not r.rejected
            if not pool.journeys():
                for j in case["journeys"]:
                    pool.add_journey(EXAMPLES[j](), since=case["since"])
        if "settings" in step:
            pool.set_journey_settings(customers={resolve(pool, k): v for k, v in step["settings"]["customers"].items()})
        if "advance" in step:
            got.append(pool.advance(step["advance"]))
    return pool, names, got


def as_rows(pool, names, df):
    who = {resolve(pool, n): n for n in reversed(names)}
    rows = []
    for r in df.itertuples():
        rows.append({"customer": who.get(r.customer_id, r.customer_id), "journey": r.journey, "step": r.step,
                     "channel": r.channel, "offer": None if pd.isna(r.offer) else r.offer,
                     "due_at": r.due_at, "key": r.key})
    return rows


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_journey_vector(case):
    pool, names, got = run_case(case)
    expected = [s["expect"] for s in case["steps"] if "advance" in s]
    assert len(got) == len(expected)
    for df, exp in zip(got, expected):
        assert list(df.columns[:7]) == COLUMNS
        rows = as_rows(pool, names, df)
        want = [dict(e, due_at=pd.Timestamp(e["due_at"]).tz_convert("UTC")) for e in exp]
        assert rows == want


def test_examples_round_trip_and_match_vectors_ids():
    for f in EXAMPLES.values():
        d = f()
        assert yutang.journeys.load(json.dumps(d)) == d
        assert yutang.journeys.load(d) == d


@pytest.mark.parametrize("steps, path", [
    ([{"id": "a", "type": "wait", "min": "1d", "next": "nowhere"}], "steps[0].next"),
    ([{"id": "a", "type": "wait", "min": "1d", "next": "c"}, {"id": "b", "type": "end"}, {"id": "c", "type": "end"}],
     "steps[1]"),
    ([{"id": "a", "type": "wait", "min": "7d", "max": "5d"}], "steps[0].max"),
    ([{"id": "a", "type": "send", "channel": "sms", "next": "b"}, {"id": "b", "type": "branch", "cases": [],
                                                                   "otherwise": "a"}], "steps[0]"),
    ([{"id": "a", "type": "wait", "min": "1d"}, {"id": "b", "type": "send", "channel": "pigeon"}], "steps[1].channel"),
])
def test_bad_definitions_name_the_json_path(steps, path):
    d = {"version": 1, "id": "t", "triggers": [{"event": "register"}], "steps": steps}
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.journeys.load(d)
    assert e.value.field == path
    with pytest.raises(yutang.YutangError):
        yutang.Pool().add_journey(d)


def registered_pool():
    pool = yutang.Pool()
    pool.ingest([{"id": "r1", "at": "2024-03-01 10:00", "kind": "register", "phone": "13800000001"},
                 {"id": "r2", "at": "2024-03-02 22:30", "kind": "register", "phone": "13800000002"}])
    return pool


@pytest.mark.parametrize("kind, typ", [("pandas", pd.DataFrame), ("polars", pl.DataFrame), ("pyarrow", pa.Table)])
def test_advance_frames_and_types(kind, typ):
    pool = registered_pool()
    pool.add_journey(yutang.journeys.coffee_coupon_ladder(), since=dt.date(2024, 1, 1))
    df = pool.advance(dt.datetime(2024, 4, 2, 2, 0, tzinfo=dt.timezone.utc), frame=kind)
    assert isinstance(df, typ)
    t = df if kind == "pyarrow" else (df.to_arrow() if kind == "polars" else pa.Table.from_pandas(df))
    assert t.schema.field("due_at").type == pa.timestamp("us", tz="UTC")
    assert t.schema.field("offer").type == pa.float64()
    assert t.column("offer").to_pylist() == [0.85, 0.85]
    # 03-02 22:30 + 30d = 04-01 22:30, in quiet hours: deferred to 04-02 09:00 (+08:00) = 01:00 UTC
    assert t.column("due_at").to_pylist()[1] == dt.datetime(2024, 4, 2, 1, 0, tzinfo=dt.timezone.utc)


def test_empty_advance_and_missing_offer():
    pool = registered_pool()
    assert len(pool.advance("2024-04-01")) == 0  # no journey yet
    pool.add_journey(yutang.journeys.renewal_reminders())
    df = pool.advance("2024-04-01")
    assert list(df.columns[:7]) == COLUMNS and len(df) == 0
    pool.ingest([{"id": "s1", "at": "2024-04-02 09:00", "kind": "subscription_start", "phone": "13800000001",
                  "subscription_id": "sub-1", "expires_at": "2024-05-01 00:00"}])
    df = pool.advance("2024-04-25")
    assert df["offer"].isna().all() and df["template"].tolist() == ["renewal_first"]
    assert df["instance_key"].tolist() == ["sub-1"]


def test_add_journey_acts_from_now_and_backfill():
    pool = registered_pool()
    pool.add_journey(yutang.journeys.coffee_coupon_ladder())
    assert len(pool.advance("2024-06-01")) == 0
    assert pool.next_wake_at() is None
    pool2 = registered_pool()
    pool2.add_journey(yutang.journeys.coffee_coupon_ladder(), since="2024-01-01")
    assert len(pool2.advance("2024-06-01")) == 6
    assert [j["id"] for j in pool2.journeys()] == ["coffee_coupon_ladder"]
    assert pool2.remove_journey("coffee_coupon_ladder") and not pool2.journeys()


def test_simulate_leaves_live_state_and_counts():
    pool = registered_pool()
    blob = pool.snapshot()
    acts, steps, outcomes = pool.simulate([yutang.journeys.coffee_coupon_ladder()], "2024-01-01", "2024-06-01",
                                          with_counts=True)
    assert pool.snapshot() == blob
    assert len(acts) == 6
    assert steps.set_index("step").loc["coupon_85", "sent"] == 2
    row = outcomes.iloc[0]
    assert (row.entered, row.finished, row.converted, row.conversion) == (2, 2, 0, 0.0)
    live = registered_pool()
    live.add_journey(yutang.journeys.coffee_coupon_ladder(), since="2024-01-01")
    assert live.advance("2024-06-01")["key"].tolist() == acts["key"].tolist()


def test_snapshot_keeps_journeys_and_next_wake():
    pool = registered_pool()
    pool.add_journey(yutang.journeys.coffee_coupon_ladder(), since="2024-01-01")
    pool.advance("2024-03-05")
    back = yutang.Pool.restore(pool.snapshot())
    assert back.next_wake_at() == pool.next_wake_at() == pd.Timestamp("2024-03-31 02:00", tz="UTC")
    assert back.advance("2024-06-01")["key"].tolist() == pool.advance("2024-06-01")["key"].tolist()
    inst = back.journey_instances()
    assert set(inst["status"]) == {"finished"}


def test_settings_round_trip_and_errors():
    pool = yutang.Pool()
    pool.set_journey_settings(quiet_hours=("22:00", "08:00"), time_zone="Europe/Berlin",
                              caps=[{"scope": {"channel": "sms"}, "max": 2, "window": "7d"}])
    s = pool.journey_settings()
    assert s["quiet_hours"] == {"start": "22:00", "end": "08:00"} and s["time_zone"] == "Europe/Berlin"
    with pytest.raises(yutang.InvalidFieldError):
        pool.set_journey_settings(time_zone="Mars/Olympus")


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(min_value=0, max_value=120), again=st.booleans())
def test_stepwise_advance_equals_one_advance(cut, again):
    """Advancing in two steps (and repeating the first) emits the same actions as one advance."""
    pool = registered_pool()
    pool.ingest([{"id": "o1", "at": "2024-04-03 15:00", "kind": "order", "phone": "13800000001", "amount": "30"}])
    pool.add_journey(yutang.journeys.coffee_coupon_ladder(), since="2024-01-01")
    whole = yutang.Pool.restore(pool.snapshot())
    all_keys = whole.advance("2024-08-01")["key"].tolist()
    mid = pd.Timestamp("2024-03-01", tz="Asia/Shanghai") + pd.Timedelta(days=cut)
    keys = pool.advance(mid)["key"].tolist()
    if again:
        assert len(pool.advance(mid)) == 0
    keys += pool.advance("2024-08-01")["key"].tolist()
    assert sorted(keys) == sorted(all_keys)
