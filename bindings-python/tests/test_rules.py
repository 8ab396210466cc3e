"""The condition language, tags and segments from Python: the boundary (text or tree rules,
frames, errors, times), not the maths again (core/tests/it/rules.rs has that)."""
import threading

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import yutang

EVENTS = [
    {"id": "a1", "at": "2024-05-02 10:00", "kind": "order", "channel": "douyin", "amount": "120", "phone": "13800000001"},
    {"id": "a2", "at": "2024-05-20 10:00", "kind": "order", "channel": "douyin", "amount": "450", "phone": "13800000001"},
    {"id": "a3", "at": "2024-05-21 10:00", "kind": "refund", "channel": "douyin", "amount": "50", "phone": "13800000001"},
    {"id": "b1", "at": "2024-05-01 08:00", "kind": "register", "channel": "mini_program", "phone": "13800000002"},
    {"id": "b2", "at": "2024-05-10 10:00", "kind": "add_to_cart", "channel": "mini_program", "phone": "13800000002"},
    {"id": "b3", "at": "2024-05-11 09:00", "kind": "order", "channel": "mini_program", "amount": "30", "phone": "13800000002"},
]
AS_OF = "2024-05-31 00:00"


@pytest.fixture()
def pool():
    p = yutang.Pool()
    assert p.ingest(EVENTS).accepted == len(EVENTS)
    return p


def ids(pool):
    return pool.resolve("phone", "13800000001"), pool.resolve("phone", "13800000002")


def test_parse_and_to_text_round_trip():
    text = ('orders(30d) >= 2 and spend(90d, currency: "CNY") > 500.00\n  and not did(coupon_redeemed, 14d) '
            'and channel_seen("douyin") and stage == "at_risk"')
    tree = yutang.rules.parse(text)
    assert tree["version"] == 1
    assert tree["root"]["op"] == "and"
    assert tree["root"]["args"][0] == {
        "op": "compare", "cmp": "ge", "right": 2.0,
        "left": {"fn": "aggregate", "agg": "count", "events": {"kind": "order"}, "window": {"last": "30d"}},
    }
    canon = yutang.rules.to_text(tree)
    assert yutang.rules.parse(canon) == tree
    assert yutang.rules.to_text(canon) == canon


def test_parse_errors_carry_line_and_column():
    with pytest.raises(yutang.RuleSyntaxError) as e:
        yutang.rules.parse("orders(30d) >= 2\n  and did(coupon_redeemed, 14x)")
    assert (e.value.line, e.value.column) == (2, 28)
    assert "duration" in e.value.expected
    assert isinstance(e.value, yutang.InvalidFieldError) and isinstance(e.value, ValueError)
    with pytest.raises(yutang.LimitExceededError):
        yutang.rules.parse("not " * 40 + "true")
    with pytest.raises(yutang.CurrencyMismatchError):
        yutang.rules.parse('spend(90d, currency: "CNY") > 5 USD')
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.rules.to_text({"version": 2, "root": {"op": "const", "value": True}})
    assert e.value.field == "rule.version"
    with pytest.raises(TypeError):
        yutang.rules.parse({"version": 1})


@pytest.mark.parametrize("kind,cls", [("pandas", pd.DataFrame), ("polars", pl.DataFrame), ("pyarrow", pa.Table)])
def test_evaluate_returns_a_frame_of_the_requested_kind(pool, kind, cls):
    a, b = ids(pool)
    df = pool.evaluate("orders(30d) >= 2", AS_OF, frame=kind)
    assert isinstance(df, cls)
    t = df if kind == "pyarrow" else (pa.Table.from_pandas(df) if kind == "pandas" else df.to_arrow())
    assert pa.types.is_string(t.column("customer_id").type) or pa.types.is_large_string(t.column("customer_id").type)
    assert t.column("result").type == pa.bool_()
    got = dict(zip(t.column("customer_id").to_pylist(), t.column("result").to_pylist()))
    assert got == {a: True, b: False}


def test_rules_as_text_or_tree_agree_and_unknown_is_false(pool):
    tree = yutang.rules.parse('attr("stage") != "churned"')
    # nobody has a host-set stage: unknown for everyone, and never missing in the result column
    for rule in ('attr("stage") != "churned"', tree, 'not (attr("stage") != "churned")'):
        df = pool.evaluate(rule, AS_OF)
        assert df["result"].dtype == bool
        assert not df["result"].any()
    a, _ = ids(pool)
    pool.set_attribute(a, "stage", "at_risk")
    assert pool.evaluate(tree, AS_OF).set_index("customer_id")["result"][a]
    e = pool.explain(tree, ids(pool)[1], AS_OF)
    assert e["result"] == "unknown" and e["value"] == "missing"


def test_explain_and_next_change_at(pool):
    _, b = ids(pool)
    e = pool.explain("orders(30d) >= 2", b, "2024-05-31T00:00:00+08:00")
    assert e["result"] == "false"
    assert e["detail"] == "count(order, 30d) = 1 (order b3 on 2024-05-11), needed >= 2"
    assert e["events"] == ["b3"]
    # b3 (05-11 09:00 +08:00) leaves the 30-day window at 06-10 09:00 +08:00 = 01:00Z
    assert pool.next_change_at("orders(30d) >= 1", b, AS_OF) == "2024-06-10T01:00:00Z"
    assert pool.next_change_at("orders() >= 1", b, AS_OF) is None
    with pytest.raises(yutang.NotFoundError):
        pool.explain("true", "c00000000000000000000", AS_OF)


def test_segments(pool):
    a, b = ids(pool)
    pool.define_segment("buyers_30d", "orders(30d) >= 1")
    pool.define_segment("douyin_buyers", yutang.rules.parse('segment("buyers_30d") and did(order, channel: "douyin")'))
    assert pool.segment_members("buyers_30d", AS_OF) == [b, a]  # founding order: b registered first
    assert pool.segment_members("douyin_buyers", AS_OF) == [a]
    assert set(pool.segments()) == {"buyers_30d", "douyin_buyers"}
    with pytest.raises(yutang.InvalidFieldError):
        pool.define_segment("buyers_30d", 'segment("douyin_buyers")')
    with pytest.raises(yutang.NotFoundError):
        pool.segment_members("nope", AS_OF)
    ch = pool.segment_changes("buyers_30d", "2024-05-01", "2024-07-01")
    assert list(ch.columns) == ["customer_id", "segment", "entered", "at"]
    assert ch["entered"].tolist() == [True, True, False, False]
    assert str(ch["at"].iloc[0]) == "2024-05-02 02:00:00+00:00"
    first = pool.refresh_segment("buyers_30d", "2024-05-15")
    assert len(first) == 2
    second = pool.refresh_segment("buyers_30d", "2024-06-15", frame="polars")
    assert isinstance(second, pl.DataFrame) and second["customer_id"].to_list() == [b]
    assert pool.segment_sizes("buyers_30d")["size"].tolist() == [2, 1]
    assert pool.segment_sizes("buyers_30d", ["2024-05-01", "2024-05-12"])["size"].tolist() == [0, 2]
    # survives a snapshot
    back = yutang.Pool.restore(pool.snapshot())
    assert back.segment_members("buyers_30d", AS_OF) == [b, a]
    assert pool.remove_segment("douyin_buyers")


def test_tags(pool):
    a, b = ids(pool)
    warnings = pool.define_tag_group("value_level", [
        ("high", "spend(365d) >= 1000"), ("mid", "spend(365d) >= 200"),
        ("top", yutang.rules.parse("spend(365d) >= 5000")), ("low", "true")])
    assert [(w["value"], w["kind"], w["earlier"]) for w in warnings] == [
        ("mid", "overlap", "high"), ("top", "unreachable", "high")]
    assert [(t["group"], t["value"], t["source"]) for t in pool.tags(a, AS_OF)] == [("value_level", "mid", "rule")]
    assert pool.tags(a) == []  # no as_of: rule groups are not evaluated
    pool.set_manual_tag(b, "vip", "gold", "staff:li", "2024-05-20")
    t = [x for x in pool.tags(b, AS_OF) if x["group"] == "vip"][0]
    assert (t["value"], t["source"], t["set_by"], t["set_at"]) == ("gold", "manual", "staff:li", "2024-05-19T16:00:00Z")
    assert pool.evaluate('tag("vip") == "gold"', AS_OF).set_index("customer_id")["result"].to_dict() == {a: False, b: True}
    pool.tag_identity("phone", "+86 139-0000-0009", "source", "offline_fair", "import", "2024-05-01")
    pool.ingest([{"id": "n1", "at": "2024-05-30 10:00", "kind": "register", "phone": "13900000009"}])
    n = pool.resolve("phone", "13900000009")
    assert [(x["group"], x["value"], x["source"]) for x in pool.tags(n)] == [("source", "offline_fair", "identity")]
    assert pool.remove_identity_tag("phone", "13900000009", "source")
    assert set(pool.tag_groups()) == {"value_level"}


def test_attributes(pool):
    a, _ = ids(pool)
    pool.set_attribute(a, "city", "上海")
    pool.set_attribute(a, "age", 31)
    pool.set_attribute(a, "score", 0.5)
    pool.set_attribute(a, "vip", True)
    assert pool.attributes(a) == {"age": 31, "city": "上海", "score": 0.5, "vip": True}
    assert pool.evaluate('attr("city") in ["北京", "上海"] and attr("age") >= 30 and attr("vip") == true',
                         AS_OF)["result"].sum() == 1
    with pytest.raises(yutang.InvalidFieldError):
        pool.set_attribute(a, "x", float("nan"))
    with pytest.raises(yutang.InvalidFieldError):
        pool.set_attribute(a, "x", [1, 2])
    assert pool.remove_attribute(a, "age")


def test_evaluate_releases_the_gil(pool):
    """Evaluations from several threads run side by side and agree."""
    out = []
    def work():
        out.append(pool.evaluate("orders(30d) >= 1 and spend(90d) > 10", AS_OF)["result"].tolist())
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(out) == 4 and all(o == out[0] for o in out)


# ---------------------------------------------------------------- properties

_kind = st.sampled_from(["order", "view", "coupon_redeemed", "any", '"custom:xhs_like"'])
_window = st.sampled_from(["", ", 30d", ", 12h", ", 2w", ', between("2024-05-01", "2024-06-01")'])
_leaf = st.one_of(
    st.builds(lambda k, w, n: f"count({k}{w}) >= {n}", _kind, _window, st.integers(0, 9)),
    st.builds(lambda w, x: f"spend({w.lstrip(', ')}) > {x}", _window, st.decimals(0, 10000, places=2).map(str)),
    st.builds(lambda k, w: f"did({k}{w})", _kind, _window),
    st.builds(lambda s: f"stage == {s}", st.text(max_size=8).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"')),
    st.just("missing(tier)"),
    st.just("sequence(add_to_cart then order within 2d)"),
)


def _combine(children):
    return st.one_of(
        st.builds(lambda a, b: f"({a} and {b})", children, children),
        st.builds(lambda a, b: f"{a} or {b}", children, children),
        st.builds(lambda a: f"not {a}", children),
    )


@settings(max_examples=200, deadline=None)
@given(st.recursive(_leaf, _combine, max_leaves=8))
def test_text_tree_text_is_stable(text):
    tree = yutang.rules.parse(text)
    canon = yutang.rules.to_text(tree)
    assert yutang.rules.parse(canon) == tree
    assert yutang.rules.to_text(yutang.rules.parse(canon)) == canon


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_yutang_errors(text):
    try:
        yutang.rules.parse(text)
    except yutang.YutangError:
        pass
