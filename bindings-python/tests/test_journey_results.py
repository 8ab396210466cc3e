"""Journey results from Python: the shared hand-worked vectors (tests/vectors/journey_results.json)
fed as dicts and as a pandas table, the frame's columns, the replay's results, the lift chart,
the planner, and bad input named."""
import json

import numpy as np
import pandas as pd
import pytest
import yutang
from hypothesis import given, settings, strategies as st

from conftest import VECTORS

DOC = json.loads((VECTORS / "journey_results.json").read_text())
CASES = DOC["cases"]
CONTRACT = ["arm", "entered", "converted", "conversion_rate", "rate_low", "rate_high", "revenue",
            "revenue_per_customer", "lift", "lift_low", "lift_high", "relative_lift", "relative_lift_low",
            "relative_lift_high", "p_value", "p_value_sequential"]
STATS = ["rate_low", "rate_high", "lift", "lift_low", "lift_high", "relative_lift", "relative_lift_low",
         "relative_lift_high", "p_value"]


def flat(events):
    out = []
    for e in events:
        d = {k: v for k, v in e.items() if k != "identities"}
        d["phone"] = e["identities"][0]["value"]
        out.append(d)
    return out


def run(case, as_table=False, order=None):
    pool = yutang.Pool()
    events = flat(case["events"])
    if order is not None:
        events = [events[i] for i in order]
    report = pool.ingest(pd.DataFrame(events) if as_table else events)
    assert report.rejected == []
    pool.set_journey_settings(global_control=case["settings"].get("global_control", 0.0))
    pool.add_journey(case["journey"], since=case["since"])
    pool.advance(case["as_of"])
    return pool, pool.journey_results(case["journey"]["id"], case["as_of"])


@pytest.mark.parametrize("as_table", [False, True], ids=["dicts", "pandas"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hand_worked_vectors(case, as_table):
    pool, r = run(case, as_table)
    assert list(r.columns[:len(CONTRACT)]) == CONTRACT
    inst = pool.journey_instances()
    for c in case["customers"]:
        arm = inst.loc[inst["customer_id"] == pool.resolve("phone", c["phone"]), "arm"].iloc[0]
        assert (arm if isinstance(arm, str) else "treatment") == c["arm"], c
    assert r.attrs["baseline"] == case["expect"]["baseline"]
    assert r["arm"].tolist() == [a["arm"] for a in case["expect"]["arms"]]
    for want in case["expect"]["arms"]:
        row = r.set_index("arm").loc[want["arm"]]
        mine = [c for c in case["customers"] if c["arm"] == want["arm"]]
        assert row["entered"] == len(mine) == want["entered"]
        assert row["converted"] == sum(c["converted"] for c in mine) == want["converted"]
        assert row["revenue"] == pytest.approx(sum(c["revenue"] for c in mine), abs=1e-9)
        for f in STATS:
            if want[f] is None:
                assert np.isnan(row[f]), f
            else:
                assert row[f] == pytest.approx(want[f], rel=1e-12, abs=1e-15), f


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(len(CASES[0]["events"]))), st.sampled_from(CASES))
def test_results_do_not_depend_on_the_order_events_arrive_in(order, case):
    _, r = run(case)
    _, shuffled = run(case, order=list(order))
    pd.testing.assert_frame_equal(r, shuffled)


def test_a_replay_reports_the_same_results_as_the_live_run():
    case = CASES[0]
    pool, live = run(case)
    actions, res = pool.simulate([case["journey"]], case["since"], case["as_of"], with_results=True)
    assert len(actions) == 4 and res["journey"].unique().tolist() == ["winback"]
    pd.testing.assert_frame_equal(res.drop(columns="journey"), live)
    a, steps, journeys, res2 = pool.simulate([case["journey"]], case["since"], case["as_of"],
                                             with_counts=True, with_results=True)
    assert journeys["control"].iloc[0] == 6 and journeys["global_control"].iloc[0] == 0
    pd.testing.assert_frame_equal(res2, res)
    r, steps = pool.journey_results("winback", case["as_of"], with_steps=True)
    assert steps.set_index("step")["sent"].to_dict() == {"split": 0, "coupon": 4}


def test_frames_and_the_global_results():
    pool, r = run(CASES[1])
    pl_r = pool.journey_results("welcome", CASES[1]["as_of"], frame="polars")
    assert pl_r.columns == list(r.columns) and pl_r["entered"].to_list() == r["entered"].tolist()
    g = pool.global_control_results(CASES[1]["as_of"])
    assert g["arm"].tolist() == ["treatment", "global_control"] and g.attrs["journey"] == "*"
    assert g["entered"].tolist() == r["entered"].tolist()


def test_the_lift_chart_draws_each_arm_with_its_interval():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    _, r = run(CASES[0])
    ax = yutang.plotting.journey_lift(r)
    bars = ax.patches
    assert len(bars) == 1 and bars[0].get_width() == pytest.approx(r["lift"].iloc[0] * 100)
    assert "control" in ax.get_xlabel()
    with pytest.raises(ValueError, match="no arm has a lift"):
        yutang.plotting.journey_lift(r[r["arm"] == "control"])


def test_the_planner_and_compare_rates():
    assert yutang.journeys.sample_size(0.10, 0.05) == 686
    assert yutang.journeys.sample_size(0.10, 0.05, power=0.9) > 686
    c = yutang.journeys.compare_rates(1, 4, 4, 6)
    want = CASES[0]["expect"]["arms"][0]
    assert c["lift_low"] == pytest.approx(want["lift_low"], rel=1e-12)
    with pytest.raises(yutang.InvalidFieldError, match="min_lift"):
        yutang.journeys.sample_size(0.5, 0.6)
    with pytest.raises(yutang.InvalidFieldError, match="converted"):
        yutang.journeys.compare_rates(5, 4, 1, 4)


def test_bad_input_is_named():
    pool, r = run(CASES[0])
    with pytest.raises(yutang.InvalidFieldError, match="journey"):
        pool.journey_results("nope", "2024-04-01")
    with pytest.raises(yutang.InvalidFieldError, match="level"):
        pool.journey_results("winback", "2024-04-01", level=1.5)
    with pytest.raises(yutang.InvalidFieldError, match="mixing_variance"):
        pool.journey_results("winback", "2024-04-01", mixing_variance=-1)
    with pytest.raises(yutang.InvalidFieldError, match="global_control"):
        pool.set_journey_settings(global_control=1.0)
    bad = dict(CASES[0]["journey"], conversion_window="-3d")
    with pytest.raises(yutang.InvalidFieldError, match="conversion_window"):
        pool.add_journey(bad)


def test_the_lift_example_finds_the_effect_it_simulates(tmp_path):
    """The example's coupons raise the chance of an order: the treated arm's lift over the global
    control group is positive with an interval above 0."""
    pytest.importorskip("matplotlib")
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "journey_lift.py"
    spec = importlib.util.spec_from_file_location("journey_lift", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pool, as_of = mod.coffee_shop()
    r = pool.journey_results("coffee_coupon_ladder", as_of).set_index("arm")
    assert r.loc["treatment", "lift_low"] > 0 and r.loc["treatment", "p_value"] < 0.01
    assert r["entered"].sum() == 4000
    assert 0.07 < r.loc["global_control", "entered"] / 4000 < 0.13
