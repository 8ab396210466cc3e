"""Laws checked with hypothesis: arrival order and batching do not change the outcome;
snapshot -> restore is identity; replaying events changes nothing."""
import pandas as pd
from hypothesis import given, settings, strategies as st
import yutang

KINDS = ["phone", "wechat_unionid", "app_user", "douyin"]


def value(kind, v):
    return f"1380013800{v}" if kind == "phone" else f"{kind[:2]}{v}"


event = st.tuples(
    st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), min_size=1, max_size=3),
    st.integers(0, 5), st.booleans(),
)


def build(rows):
    out = []
    for i, (ids, day, order) in enumerate(rows):
        e = {"id": f"e{i:03d}", "at": f"2024-05-0{day + 1} 10:00", "kind": "order" if order else "view"}
        if order:
            e["amount"] = i + 1
        e["identities"] = [{"kind": k, "value": value(k, v)} for k, v in ids]
        out.append(e)
    return out


def state(pool):
    ids = pool.customer_ids()
    part = {frozenset(pool.timeline(c)["id"]) for c in ids}
    return part, frozenset(ids), frozenset(pool.conflicts()["event_id"])


@settings(max_examples=60, deadline=None)
@given(st.lists(event, min_size=1, max_size=15), st.randoms(use_true_random=False), st.integers(1, 4))
def test_order_and_batches_do_not_matter(rows, rnd, parts):
    evs = build(rows)
    a = yutang.Pool()
    a.ingest(evs)
    shuffled = evs[:]
    rnd.shuffle(shuffled)
    b = yutang.Pool()
    size = max(1, len(shuffled) // parts)
    for i in range(0, len(shuffled), size):
        b.ingest(shuffled[i:i + size])
    assert state(a) == state(b)
    pd.testing.assert_frame_equal(a.profiles(), b.profiles())


@settings(max_examples=40, deadline=None)
@given(st.lists(event, min_size=1, max_size=15))
def test_snapshot_restore_and_replay(rows):
    evs = build(rows)
    p = yutang.Pool()
    first = p.ingest(evs)
    blob = p.snapshot()
    q = yutang.Pool.restore(blob)
    assert q.snapshot() == blob and state(q) == state(p)
    r = p.ingest(evs)
    assert r.accepted == 0 and r.duplicates == first.accepted + first.duplicates
    assert p.snapshot() == blob
