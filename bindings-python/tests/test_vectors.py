"""tests/vectors/identity.json, shared with the Rust and Kotlin tests."""
import json

import pytest
import yutang

from conftest import VECTORS

CASES = json.loads((VECTORS / "identity.json").read_text())["cases"]


def rules_for(case):
    base = yutang.Pool().config["identity_rules"]
    r = case.get("identity_rules", {})
    for kind, limit in r.get("limits", {}).items():
        for k in base["kinds"]:
            if k["kind"] == kind:
                k["limit"] = limit
    if "blocklist" in r:
        base["blocklist"] = r["blocklist"]
    return base


def ident(i):
    return f"{i['kind']}:{i['namespace']}:{i['value']}" if i.get("namespace") else f"{i['kind']}:{i['value']}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_identity_vector(case):
    exp = case["expect"]
    pool = yutang.Pool(identity_rules=rules_for(case))
    acc = dup = 0
    rejected, warnings = [], []
    for batch in case["batches"]:
        r = pool.ingest(batch)
        acc += r.accepted
        dup += r.duplicates
        rejected += [(i, f) for i, f, _ in r.rejected]
        warnings += [(i, f) for i, f, _ in r.warnings]
    assert acc == exp["accepted"]
    assert dup == exp["duplicates"]
    assert rejected == [tuple(x) for x in exp["rejected"]]
    assert warnings == [tuple(x) for x in exp["warnings"]]
    ids = pool.customer_ids()
    customers = {frozenset(ident(i) for i in pool.export(c)["profile"]["identities"]) for c in ids}
    assert customers == {frozenset(c) for c in exp["customers"]}
    groups = {frozenset(pool.timeline(c)["id"]) for c in ids}
    assert groups == {frozenset(g) for g in exp["event_groups"]}
    cf = pool.conflicts()
    got = {(r.event_id, f"{r.kind}:{r.value}", r.limit_kind) for r in cf.itertuples()}
    assert got == {(c["event_id"], c["identity"], c["limit_kind"]) for c in exp["conflicts"]}
    if "merges" in exp:
        ml = pool.merge_log()
        assert int((ml["reason"] == "merge").sum()) == exp["merges"]
