"""tests/vectors/rules.json, shared with the Rust and Kotlin tests."""
import json

import pytest
import yutang

from conftest import VECTORS

DOC = json.loads((VECTORS / "rules.json").read_text(encoding="utf-8"))


def who(pool, name):
    kind, value = name.split(":", 1)
    return pool.resolve(kind, value)


@pytest.fixture(scope="module")
def pool():
    p = yutang.Pool()
    r = p.ingest(DOC["events"])
    assert r.accepted == len(DOC["events"]), r.rejected
    for a in DOC["attributes"]:
        p.set_attribute(who(p, a["customer"]), a["name"], a["value"])
    return p


@pytest.mark.parametrize("case", DOC["cookbook"], ids=[c["name"] for c in DOC["cookbook"]])
def test_cookbook_segment(pool, case):
    df = pool.evaluate(case["rule"], DOC["as_of"])
    got = set(df.loc[df["result"], "customer_id"])
    assert got == {who(pool, m) for m in case["members"]}


@pytest.mark.parametrize("case", DOC["truth"], ids=[c["rule"] for c in DOC["truth"]])
def test_three_valued(pool, case):
    res = pool.evaluate(case["rule"], DOC["as_of"]).set_index("customer_id")["result"]
    for name, want in case["truth"].items():
        cid = who(pool, name)
        assert pool.explain(case["rule"], cid, DOC["as_of"])["result"] == want
        assert bool(res[cid]) is (want == "true")


def test_explain_next_change_text_and_errors(pool):
    for x in DOC["explain"]:
        e = pool.explain(x["rule"], who(pool, x["customer"]), DOC["as_of"])
        assert (e["result"], e["value"], e["detail"], e["events"]) == (x["result"], x["value"], x["detail"], x["events"])
    for x in DOC["next_change"]:
        assert pool.next_change_at(x["rule"], who(pool, x["customer"]), DOC["as_of"]) == x["at"]
    for x in DOC["text"]:
        tree = yutang.rules.parse(x["text"])
        assert tree == x["tree"]
        assert yutang.rules.to_text(tree) == x["canonical"]
        assert yutang.rules.to_text(x["tree"]) == x["canonical"]
    for x in DOC["errors"]:
        with pytest.raises(yutang.RuleSyntaxError) as e:
            yutang.rules.parse(x["text"])
        assert (e.value.line, e.value.column) == (x["line"], x["column"])
