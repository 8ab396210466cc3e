"""Boundary tests of yutang.attribution: table kinds in and out, errors, NaN/None, laws.

The maths is tested in Rust (core/tests/it/attribution.rs); the numbers against
ChannelAttribution live in tests_oracle/channelattribution/.
"""
import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import yutang
from yutang.attribution import heuristic_models, markov_model, shapley_model

ROWS = {
    "path": ["a > b > c", "b > a", "c", "a > a > b"],
    "conv": [1, 2, 0, 1],
    "val": [10.0, 5.0, 0.0, 3.0],
    "null": [1, 0, 3, 2],
}


def frames():
    df = pd.DataFrame(ROWS)
    return [df, pl.DataFrame(ROWS), pa.table(ROWS)]


def as_pandas(out):
    if isinstance(out, pl.DataFrame):
        return out.to_pandas()
    if isinstance(out, pa.Table):
        return out.to_pandas()
    return out


@pytest.mark.parametrize("data", frames(), ids=["pandas", "polars", "pyarrow"])
def test_returns_the_kind_it_was_given(data):
    for out in (
        heuristic_models(data, "path", "conv", var_value="val"),
        markov_model(data, "path", "conv", var_value="val", var_null="null"),
        shapley_model(data, "path", "conv", var_value="val"),
    ):
        assert type(out) is type(data)
        assert list(as_pandas(out)["channel_name"]) == ["a", "b", "c"]


def test_heuristic_columns_follow_channelattribution():
    df = pd.DataFrame(ROWS)
    with_value = heuristic_models(df, "path", "conv", var_value="val")
    assert list(with_value.columns) == [
        "channel_name",
        "first_touch_conversions",
        "first_touch_value",
        "last_touch_conversions",
        "last_touch_value",
        "linear_touch_conversions",
        "linear_touch_value",
    ]
    without = heuristic_models(df, "path", "conv")
    assert list(without.columns) == ["channel_name", "first_touch", "last_touch", "linear_touch"]
    extended = heuristic_models(df, "path", "conv", var_value="val", extended=True)
    assert "time_decay_value" in extended.columns and "position_based_conversions" in extended.columns


def test_markov_out_more_has_matrix_and_removal_effects():
    df = pd.DataFrame(ROWS)
    res = markov_model(df, "path", "conv", var_value="val", var_null="null", out_more=True)
    assert set(res) == {"result", "transition_matrix", "removal_effects"}
    tm = res["transition_matrix"]
    assert list(tm.columns) == ["channel_from", "channel_to", "transition_probability"]
    sums = tm.groupby("channel_from")["transition_probability"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    assert list(res["removal_effects"].columns) == [
        "channel_name",
        "removal_effects_conversion",
        "removal_effects_conversion_value",
    ]
    # ChannelAttribution's simulation arguments are accepted and ignored.
    again = markov_model(df, "path", "conv", var_value="val", var_null="null", nsim_start=1e6, seed=3, ncore=2, verbose=False)
    pd.testing.assert_frame_equal(again, res["result"])
    with pytest.raises(TypeError):
        markov_model(df, "path", "conv", not_an_argument=1)


def test_markov_without_nulls_keeps_only_converting_rows():
    df = pd.DataFrame({"path": ["a > b", "z"], "conv": [1, 0]})
    out = markov_model(df, "path", "conv")
    assert list(out["channel_name"]) == ["a", "b"]
    assert list(out.columns) == ["channel_name", "total_conversions"]


@pytest.mark.parametrize(
    "rows, field",
    [
        ({"path": ["a", "a >  > b"], "conv": [1, 1]}, "paths[1][1]"),
        ({"path": ["a", "  "], "conv": [1, 1]}, "paths[1]"),
        ({"path": ["a", "b"], "conv": [1, float("nan")]}, "conversions[1]"),
        ({"path": ["a", "b"], "conv": [1, -2]}, "conversions[1]"),
        ({"path": ["a", "b", "c"], "conv": [0, 1, float("nan")]}, "conversions[2]"),
        ({"path": ["a", None], "conv": [1, 1]}, "paths[1]"),
    ],
)
def test_bad_rows_raise_invalid_field_naming_the_row(rows, field):
    df = pd.DataFrame(rows)
    for fn in (heuristic_models, markov_model, shapley_model):
        with pytest.raises(yutang.InvalidFieldError) as e:
            fn(df, "path", "conv")
        assert e.value.field == field
        assert isinstance(e.value, ValueError)


def test_bad_separator_and_arguments():
    df = pd.DataFrame(ROWS)
    with pytest.raises(yutang.InvalidFieldError) as e:
        heuristic_models(df, "path", "conv", sep="->")
    assert e.value.field == "sep"
    with pytest.raises(yutang.InvalidFieldError):
        markov_model(df, "path", "conv", order=5)
    with pytest.raises(KeyError):
        heuristic_models(df, "nope", "conv")
    with pytest.raises(TypeError):
        heuristic_models([1, 2], "path", "conv")
    with pytest.raises(yutang.InvalidFieldError):
        shapley_model(df, "path", "conv", var_null="null", worth="banana")
    with pytest.raises(ValueError):
        shapley_model(df, "path", "conv", worth="conversion_rate")


def test_record_batch_in_table_out():
    batch = pa.RecordBatch.from_pydict({"path": ["a > b", "b"], "conv": [1.0, None]})
    with pytest.raises(yutang.InvalidFieldError) as e:
        heuristic_models(batch, "path", "conv")
    assert e.value.field == "conversions[1]"
    out = heuristic_models(pa.RecordBatch.from_pydict({"path": ["a > b"], "conv": [2]}), "path", "conv")
    assert isinstance(out, pa.Table)
    assert out.column("linear_touch").to_pylist() == [1.0, 1.0]


def test_other_separator_and_sliced_arrow_input():
    table = pa.table({"path": ["x|y", "skip", "y | x | y"], "conv": [1.0, 5.0, 2.0]}).slice(1)
    out = heuristic_models(table, "path", "conv", sep="|").to_pandas()
    assert list(out["channel_name"]) == ["skip", "y", "x"]
    assert out["linear_touch"].tolist() == pytest.approx([5.0, 4.0 / 3.0, 2.0 / 3.0])


def test_unicode_channel_names():
    df = pd.DataFrame({"path": ["抖音 > 微信", "微信"], "conv": [1, 1]})
    out = heuristic_models(df, "path", "conv")
    assert list(out["channel_name"]) == ["抖音", "微信"]


paths_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["douyin", "taobao", "wechat", "app", "sms"]), min_size=1, max_size=6),
        st.integers(0, 5),
        st.floats(0, 1000, allow_nan=False),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(paths_strategy)
def test_attributed_totals_equal_observed_totals(rows):
    df = pd.DataFrame(
        {
            "path": [" > ".join(p) for p, _, _, _ in rows],
            "conv": [c for _, c, _, _ in rows],
            "val": [v if c > 0 else 0.0 for _, c, v, _ in rows],
            "null": [n for _, _, _, n in rows],
        }
    )
    tc, tv = df["conv"].sum(), df["val"].sum()
    h = heuristic_models(df, "path", "conv", var_value="val", extended=True)
    for m in ("first_touch", "last_touch", "linear_touch", "last_non_direct", "time_decay", "position_based"):
        assert math.isclose(h[f"{m}_conversions"].sum(), tc, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(h[f"{m}_value"].sum(), tv, rel_tol=1e-9, abs_tol=1e-9)
    if tc > 0:
        for order in (1, 2, 3):
            m = markov_model(df, "path", "conv", var_value="val", var_null="null", order=order)
            assert math.isclose(m["total_conversions"].sum(), tc, rel_tol=1e-9)
            assert math.isclose(m["total_conversion_value"].sum(), tv, rel_tol=1e-9, abs_tol=1e-9)
    s = shapley_model(df, "path", "conv", var_value="val")
    assert math.isclose(s["total_conversions"].sum(), tc, rel_tol=1e-9, abs_tol=1e-9)


def touchpoints():
    return {
        "customer": ["c1", "c1", "c1", "c1", "c2", "c3"],
        "at": pd.to_datetime(
            ["2024-05-01", "2024-05-20", "2024-05-21", "2024-06-30", "2024-05-01", "2024-05-02"]
        ),
        "channel": ["sms", "douyin", None, "app", "", "wechat"],
        "order": [False, False, True, False, True, False],
        "amount": [0.0, 0.0, 99.0, 0.0, 5.0, 0.0],
    }


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_paths_from_touchpoints_feed_the_models(kind):
    df = pd.DataFrame(touchpoints())
    data = {"pandas": df, "polars": pl.from_pandas(df), "pyarrow": pa.Table.from_pandas(df)}[kind]
    out, lost = ya_paths(data, return_unattributed=True)
    assert type(out) is type(data)
    got = as_pandas(out)
    # c1 converts on 05-21 with sms (20 days) and douyin; app after that is a null path; c2's
    # order has no touch; c3 never converts.
    assert got["path"].tolist() == ["sms > douyin", "app", "wechat"]
    assert got["total_conversions"].tolist() == [1.0, 0.0, 0.0]
    assert got["total_null"].tolist() == [0.0, 1.0, 1.0]
    assert lost == {"conversions": 1.0, "value": 5.0}
    m = markov_model(out, "path", "total_conversions", var_value="total_conversion_value", var_null="total_null")
    assert math.isclose(as_pandas(m)["total_conversion_value"].sum(), 99.0)


def test_paths_from_touchpoints_lookback_as_of_and_errors():
    import datetime as dt

    df = pd.DataFrame(touchpoints())
    short = ya_paths(df, lookback=dt.timedelta(days=5))
    assert short["path"].tolist() == ["douyin", "app", "wechat"]
    cut = ya_paths(df, as_of="2024-05-10")
    assert cut["path"].tolist() == ["sms", "wechat"]  # nothing after as_of; no conversion yet
    aware = df.assign(at=df["at"].dt.tz_localize("Asia/Shanghai"))
    assert ya_paths(aware)["path"].tolist() == ["sms > douyin", "app", "wechat"]
    bad = df.copy()
    bad.loc[5, "channel"] = " "
    with pytest.raises(yutang.InvalidFieldError) as e:
        ya_paths(bad)
    assert e.value.field == "channels[5]"
    with pytest.raises(TypeError):
        ya_paths(df.assign(at=["x"] * len(df)))


def ya_paths(data, **kw):
    from yutang.attribution import paths_from_touchpoints

    return paths_from_touchpoints(data, "customer", "at", "channel", "order", "amount", **kw)
