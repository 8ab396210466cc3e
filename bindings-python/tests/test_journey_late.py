"""Late events from Python: a late goal ends its instance as of its time and is reported; a late
trigger acts like an in-time one; any arrival order within max_lateness changes only the reported
actions (a property)."""
import pandas as pd
import yutang
from hypothesis import given, settings, strategies as st


def pool_with_ladder(max_lateness=None):
    pool = yutang.Pool()
    ladder = yutang.journeys.coffee_coupon_ladder()
    if max_lateness:
        ladder["max_lateness"] = max_lateness
    pool.add_journey(ladder, since="2024-02-01")
    return pool


def reg(i, at):
    return {"id": f"r{i}", "at": at, "kind": "register", "phone": f"1380000{i:04d}"}


def order(i, k, at):
    return {"id": f"o{i}-{k}", "at": at, "kind": "order", "phone": f"1380000{i:04d}", "amount": 20,
            "order_id": f"o{i}-{k}"}


def test_a_late_goal_ends_the_instance_as_of_its_time():
    pool = pool_with_ladder()
    pool.ingest([reg(1, "2024-03-01 10:00")])
    assert pool.advance("2024-03-31 12:00")["step"].tolist() == ["coupon_85"]
    pool.ingest([order(1, 0, "2024-03-30 08:00")])
    actions, report = pool.advance("2024-04-01 12:00", with_report=True)
    assert len(actions) == 0
    assert report["late_events"] == 1 and report["too_late_triggers"] == 1
    ended = report["ended_late"]
    assert ended[["journey", "outcome"]].values.tolist() == [["coffee_coupon_ladder", "converted"]]
    assert ended["at"][0] == pd.Timestamp("2024-03-30 00:00", tz="UTC")
    assert len(pool.advance("2024-06-01")) == 0
    assert pool.journey_instances()["status"].tolist() == ["converted"]


def test_a_late_trigger_within_max_lateness_runs_from_its_own_time():
    pool = pool_with_ladder("3d")
    pool.ingest([reg(1, "2024-03-01 10:00")])
    pool.advance("2024-03-31 12:00")
    pool.ingest([order(1, 0, "2024-03-30 10:00")])
    _, report = pool.advance("2024-04-01 12:00", with_report=True)
    assert report["too_late_triggers"] == 0
    acts = pool.advance("2024-06-01")
    assert acts["step"].tolist() == ["first_43"]
    assert acts["due_at"][0] == pd.Timestamp("2024-04-06 02:00", tz="UTC")


def run(events, delays, late):
    """Advance every 12 hours for 90 days, each event ingested once it has arrived."""
    pool = pool_with_ladder()
    start = pd.Timestamp("2024-03-01")
    pending = sorted(((pd.Timestamp(e["at"]) + pd.Timedelta(hours=d if late else 0), k) for k, (e, d)
                      in enumerate(zip(events, delays))), key=lambda x: x[0])
    keys, actions, ended = set(), [], []
    for step in range(2 * 90):
        now = start + pd.Timedelta(hours=12 * step)
        batch = [events[k] for at, k in pending if at <= now]
        pending = [(at, k) for at, k in pending if at > now]
        if batch:
            pool.ingest(batch)
        a, report = pool.advance(now, with_report=True)
        keys |= set(a["key"])
        actions += a[["key", "customer_id", "due_at"]].to_dict("records")
        ended += report["ended_late"].to_dict("records")
    return keys, actions, ended


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20 * 24), st.lists(st.tuples(st.integers(1, 50 * 24), st.integers(0, 20)),
                                                           max_size=3), st.integers(0, 20)), min_size=1, max_size=4))
def test_arrival_order_changes_only_the_reported_actions(people):
    base = pd.Timestamp("2024-03-01 09:00")
    events, delays = [], []
    for c, (r, orders, d) in enumerate(people):
        at = base + pd.Timedelta(hours=r)
        events.append(reg(c, str(at)))
        delays.append(d)
        for k, (after, od) in enumerate(orders):
            events.append(order(c, k, str(at + pd.Timedelta(hours=after))))
            delays.append(od)
    in_order, _, none = run(events, delays, late=False)
    assert none == []
    late, acts, ended = run(events, delays, late=True)
    assert in_order <= late
    for a in acts:
        if a["key"] not in in_order:
            assert any(e["customer_id"] == a["customer_id"] and e["at"] <= a["due_at"] for e in ended), a
