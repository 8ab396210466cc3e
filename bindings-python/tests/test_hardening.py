"""Real data shapes and hostile input at the Python boundary: an int64 phone column, one inf
amount, a lone surrogate, nanosecond timestamps, a complete erase. One bad value costs its
event, never the batch; identity values never appear in a message."""
import datetime as dt
import io

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import yutang

PHONE = 13812345678


def assert_counts(report, n):
    assert report.accepted + report.duplicates + len(report.rejected) == n, report


def no_phone_in(report, phone=str(PHONE)):
    for _, field, reason in report.rejected + report.warnings:
        assert phone not in field and phone not in reason, (field, reason)


# ------------------------------------------------------------------ integer identity columns
def phone_frame():
    return pd.DataFrame({
        "id": ["e1", "e2", "e3"],
        "at": ["2024-05-01 10:00", "2024-05-02 10:00", "2024-05-03 10:00"],
        "kind": ["register", "order", "view"],
        "phone": [PHONE, PHONE, 13900000001],
        "wechat_unionid": ["u1", None, None],
        "amount": [None, 12.5, None],
    })


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_an_int64_phone_column_is_read_as_digits(kind):
    df = phone_frame()
    assert df["phone"].dtype == np.int64
    frame = {"pandas": df, "polars": pl.from_pandas(df), "pyarrow": pa.Table.from_pandas(df)}[kind]
    pool = yutang.Pool()
    r = pool.ingest(frame)
    assert (r.accepted, r.rejected) == (3, [])
    a = pool.resolve("phone", str(PHONE))
    assert a is not None and a == pool.resolve("wechat_unionid", "u1")
    assert pool.profile(a)["order_count"] == 1
    assert pool.resolve("phone", "13900000001") is not None


def test_a_float_phone_column_with_blanks_as_read_csv_gives_it():
    csv = "id,at,kind,phone,wechat_unionid\ne1,2024-05-01 10:00,register,13812345678,u1\n" \
          "e2,2024-05-02 10:00,view,,u1\ne3,2024-05-03 10:00,view,13812345678,\n"
    df = pd.read_csv(io.StringIO(csv))
    assert df["phone"].dtype == np.float64
    pool = yutang.Pool()
    r = pool.ingest(df)
    assert (r.accepted, r.rejected) == (3, [])
    assert pool.stats()["customers"] == 1
    assert pool.resolve("phone", str(PHONE)) == pool.resolve("wechat_unionid", "u1")


def test_a_float_identity_column_with_fractions_is_an_error_naming_it():
    df = pd.DataFrame({"id": ["e1"], "at": ["2024-05-01"], "kind": ["view"], "phone": [1.5]})
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.Pool().ingest(df)
    assert e.value.field == "phone"


def test_integer_identity_values_in_dicts_and_referrers():
    pool = yutang.Pool()
    r = pool.ingest([
        {"id": "e1", "at": "2024-05-01", "kind": "register", "phone": PHONE, "wechat_unionid": "u1"},
        {"id": "e2", "at": "2024-05-02", "kind": "view", "identities": [{"kind": "phone", "value": PHONE}]},
        {"id": "e3", "at": "2024-05-03", "kind": "referral", "phone": "13900000002", "referrer": PHONE},
        {"id": "e4", "at": "2024-05-04", "kind": "referral", "phone": "13900000003",
         "referrer": {"kind": "phone", "value": PHONE}},
        {"id": "e5", "at": "2024-05-05", "kind": "view", "phone": np.int64(PHONE)},
        {"id": "e6", "at": "2024-05-06", "kind": "view", "phone": float(PHONE)},
    ])
    assert (r.accepted, r.rejected) == (6, [])
    a = pool.resolve("phone", str(PHONE))
    assert pool.profile(a)["event_count"] == 4


# ------------------------------------------------------------------ masking
def test_wrong_json_types_are_rejected_with_the_value_masked():
    pool = yutang.Pool()
    r = pool.ingest([
        {"id": "e1", "at": "2024-05-01", "kind": "view", "identities": [str(PHONE)]},
        {"id": "e2", "at": "2024-05-01", "kind": "view", "identities": [{"kind": "phone", "value": [PHONE]}]},
        {"id": "e3", "at": "2024-05-01", "kind": "referral", "phone": "13900000002",
         "referrer": {"kind": "phone", "value": True}},
        {"id": "e4", "at": "2024-05-01", "kind": "view", "phone": True},
    ])
    assert_counts(r, 4)
    assert [x[0] for x in r.rejected] == [0, 1, 2, 3]
    no_phone_in(r)


def test_not_found_masks_a_phone_passed_as_customer_id():
    pool = yutang.Pool()
    with pytest.raises(yutang.NotFoundError) as e:
        pool.profile(str(PHONE))
    assert str(PHONE) not in str(e.value)


def test_huge_values_are_quoted_at_most_64_characters():
    big = "7" * 1_000_000
    events = [{"id": f"e{i}", "at": "2024-05-01", "kind": "order", "amount": "1", "phone": "13800000001", **{k: big}}
              for i, k in enumerate(["at", "kind", "channel", "currency", "amount"])]
    r = yutang.Pool().ingest(events)
    assert len(r.rejected) == 5
    for _, field, reason in r.rejected:
        assert "7" * 65 not in reason and len(reason) < 1000, (field, len(reason))


# ------------------------------------------------------------------ one bad value, one rejection
def test_an_infinite_amount_rejects_its_event_only():
    pool = yutang.Pool()
    r = pool.ingest([
        {"id": "e1", "at": "2024-05-01", "kind": "order", "amount": float("inf"), "phone": "13800000001"},
        {"id": "e2", "at": "2024-05-01", "kind": "order", "amount": 3, "phone": "13800000001"},
        {"id": "e3", "at": "2024-05-01", "kind": "order", "amount": np.float64("-inf"), "phone": "13800000001"},
    ])
    assert r.accepted == 1
    assert [(i, f) for i, f, _ in r.rejected] == [(0, "amount"), (2, "amount")]


def test_a_lone_surrogate_rejects_its_event_only():
    pool = yutang.Pool()
    r = pool.ingest([
        {"id": "e1", "at": "2024-05-01", "kind": "view", "phone": "13800000001", "channel": "\ud800"},
        {"id": "e2", "at": "2024-05-01", "kind": "view", "phone": "13800000001"},
    ])
    assert (r.accepted, [x[0] for x in r.rejected]) == (1, [0])
    df = pd.DataFrame({"id": ["e1", "e2"], "at": ["2024-05-01", "2024-05-02"], "kind": ["view", "view"],
                       "phone": ["13800000001", "138\udc00"]}, dtype=object)
    r = yutang.Pool().ingest(df)
    assert (r.accepted, [(i, f) for i, f, _ in r.rejected]) == (1, [(1, "phone")])


def test_bad_dict_shapes_are_rejections_not_attribute_errors():
    r = yutang.Pool().ingest([None, {"id": "e1", "at": "2024-05-01", "kind": "view", "phone": "13800000001", 5: "x"},
                              "not a dict", {"id": "e2", "at": "2024-05-01", "kind": "view", "phone": "13800000001"}])
    assert r.accepted == 1
    assert [x[0] for x in r.rejected] == [0, 1, 2]


def test_unknown_dict_keys_are_rejected_or_kept_as_properties():
    ev = {"id": "e1", "at": "2024-05-01", "kind": "order", "ammount": 5, "amount": 5, "phone": "13800000001",
          "chanel": "douyin"}
    r = yutang.Pool().ingest([ev])
    assert r.accepted == 0 and r.rejected[0][1] in ("ammount", "chanel")
    pool = yutang.Pool()
    r = pool.ingest([ev], extra="properties")
    assert r.accepted == 1
    with pytest.raises(yutang.InvalidFieldError):
        pool.ingest([ev], extra="drop")


def test_nanosecond_and_out_of_range_timestamps():
    ns = pa.array([1_714_530_600_123_456_789, 1_714_530_601_000_000_001], type=pa.timestamp("ns", tz="UTC"))
    t = pa.table({"id": ["a", "b"], "at": ns, "kind": ["view", "view"], "phone": ["13800000001", "13800000002"]})
    pool = yutang.Pool()
    r = pool.ingest(t)
    assert (r.accepted, r.rejected) == (2, [])
    at = pool.timeline(pool.resolve("phone", "13800000001"))["at"][0]
    assert at == pd.Timestamp(1_714_530_600_123_456_000, tz="UTC")
    secs = pa.array([1_714_530_600, 2**62, None], type=pa.timestamp("s"))
    t = pa.table({"id": ["a", "b", "c"], "at": secs, "kind": ["view"] * 3, "phone": ["13800000001"] * 3})
    r = yutang.Pool().ingest(t)
    assert r.accepted == 1 and [(i, f) for i, f, _ in r.rejected] == [(1, "at"), (2, "at")]


def test_uint64_amounts_and_mixed_object_columns():
    amounts = pa.array([5, 2**64 - 1], type=pa.uint64())
    t = pa.table({"id": ["a", "b"], "at": ["2024-05-01", "2024-05-02"], "kind": ["order", "order"],
                  "phone": ["13800000001", "13800000001"], "amount": amounts})
    r = yutang.Pool().ingest(t)
    assert r.accepted == 1 and [(i, f) for i, f, _ in r.rejected] == [(1, "amount")]
    df = pd.DataFrame({"id": ["a", "b", "c"], "at": ["2024-05-01"] * 3, "kind": ["order"] * 3,
                       "phone": ["13800000001", PHONE, None], "amount": ["1.50", 2, 3.25]}, dtype=object)
    df.loc[2, "phone"] = "13800000003"
    pool = yutang.Pool()
    r = pool.ingest(df)
    assert (r.accepted, r.rejected) == (3, [])
    assert pool.profile(pool.resolve("phone", str(PHONE)))["order_count"] == 1


def test_a_frame_with_rows_but_no_columns_reports_every_row():
    df = pd.DataFrame(index=range(3))
    r = yutang.Pool().ingest(df)
    assert_counts(r, 3)
    assert len(r.rejected) == 3


def test_properties_naming_a_missing_column_is_an_error():
    df = pd.DataFrame({"id": ["a"], "at": ["2024-05-01"], "kind": ["view"], "phone": ["13800000001"]})
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.Pool().ingest(df, properties=["x"])
    assert e.value.field == "properties"


# ------------------------------------------------------------------ erase
def test_a_referrer_can_be_erased_completely():
    pool = yutang.Pool()
    pool.ingest([
        {"id": "ev-a1", "at": "2024-03-01", "kind": "register", "phone": PHONE, "wechat_unionid": "unionid-a-77"},
        {"id": "ev-a2", "at": "2024-03-02", "kind": "order", "amount": 5, "phone": PHONE, "order_id": "ORDER-A-4242"},
        {"id": "ev-a3", "at": "2024-03-03", "kind": "subscription_start", "phone": PHONE,
         "subscription_id": "SUB-A-9191", "expires_at": "2024-06-01"},
        {"id": "ev-b1", "at": "2024-03-05", "kind": "referral", "phone": "13900000002", "referrer": PHONE},
    ])
    pool.add_journey(yutang.journeys.renewal_reminders(), since="2024-01-01")
    pool.advance("2024-03-10")
    assert any(k == "SUB-A-9191" for k in pool.journey_instances()["instance_key"])
    a, b = pool.resolve("phone", str(PHONE)), pool.resolve("phone", "13900000002")
    pool.erase(a)
    blob = pool.snapshot()
    for s in [str(PHONE), "unionid-a-77", "ev-a1", "ev-a2", "ev-a3", "ORDER-A-4242", "SUB-A-9191", a]:
        assert s.encode() not in blob, s
        assert s not in str(pool.export(b)) and s not in pool.journey_instances().to_string(), s
    assert "ev-b1" in set(pool.timeline(b)["id"])
    again = yutang.Pool.restore(blob)
    assert again.snapshot() == blob


# ------------------------------------------------------------------ hypothesis: nothing escapes
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_KEYS = ["id", "at", "kind", "channel", "amount", "currency", "order_id", "phone", "wechat_unionid", "referrer",
         "referrer_kind", "identities", "properties", "granted", "consent_channel", "subscription_id", "expires_at",
         "group_id", "items", "chanel", 7]
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["2024-05-01", "order", "view", "13800138000", "19.90", "CNY", "douyin",
                                           "\ud800", "phone", "referral"]),
    st.just(pd.Timestamp("2024-05-01 10:00")), st.just(np.int64(13812345678)), st.just(np.float64("inf")),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.sampled_from(["kind", "value", "x"]), inner, max_size=3)),
                       max_leaves=6)
_events = st.lists(st.one_of(st.none(), st.dictionaries(st.sampled_from(_KEYS), _values, max_size=8)), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_events)
def test_any_list_of_dicts_is_counted_and_nothing_escapes(events):
    pool = yutang.Pool()
    r = pool.ingest(events)
    assert_counts(r, len(events))
    r2 = pool.ingest(events, extra="properties")
    assert_counts(r2, len(events))
    assert yutang.Pool.restore(pool.snapshot()).snapshot() == pool.snapshot()


_cells = {
    "id": st.one_of(st.none(), st.sampled_from(["a", "b", "c", ""]), st.integers(0, 3)),
    "at": st.one_of(st.none(), st.sampled_from(["2024-05-01", "2024-05-02 10:00", "nope", "1899-01-01"])),
    "kind": st.one_of(st.none(), st.sampled_from(["view", "order", "register", "bogus"])),
    "amount": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**20),
                        st.sampled_from(["1.5", "x"])),
    "phone": st.one_of(st.none(), st.integers(0, 2**62), st.sampled_from(["13800138000", "null", "\udc00"]),
                       st.floats(allow_nan=True)),
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({k: v for k, v in _cells.items()}), max_size=8),
       st.sets(st.sampled_from(sorted(_cells)), max_size=5), st.sampled_from(["pandas", "polars", "pyarrow"]))
def test_any_table_is_counted_or_refused_with_a_yutang_error(rows, drop, kind):
    df = pd.DataFrame(rows, columns=[c for c in _cells if c not in drop], dtype=object)
    try:
        if kind == "pandas":
            frame = df
        else:
            frame = pa.Table.from_pandas(df, preserve_index=False)
            if kind == "polars":
                frame = pl.from_arrow(frame)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError, OverflowError, TypeError, ValueError):
        return  # the frame cannot be built in that library at all: nothing to ingest
    n = frame.num_rows if kind == "pyarrow" else len(frame)
    try:
        r = yutang.Pool().ingest(frame)
    except yutang.YutangError:
        return
    assert_counts(r, n)


# ------------------------------------------------------------------ every bad input is a YutangError
def test_bad_arguments_raise_yutang_errors():
    from yutang.attribution import shapley_model
    df = pd.DataFrame({"path": ["a > b", "b"], "conv": [1, 2], "null": [1, 1]})
    for samples in (-1, 1.5, True):
        with pytest.raises(yutang.InvalidFieldError) as e:
            shapley_model(df, "path", "conv", var_null="null", samples=samples)
        assert e.value.field == "samples"
    rfm = pd.DataFrame({"recency_days": [1.0, np.nan], "frequency": [1, 2], "monetary": [1.0, 2.0]})
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.rfm_scores(rfm)
    assert e.value.field == "recency_days[1]"
    with pytest.raises(yutang.ColumnNotFoundError) as e:
        yutang.rfm_scores(rfm.fillna(1.0), recency_col="nope")
    assert isinstance(e.value, KeyError) and isinstance(e.value, yutang.YutangError)
    j = yutang.journeys.coffee_coupon_ladder()
    j["reentry"] = {"policy": "cooldown", "cooldown": "-5d"}
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.journeys.load(j)
    assert e.value.field == "reentry.cooldown"


def test_an_empty_pool_gives_an_empty_rfm_summary():
    s = yutang.Pool().rfm_summary()
    assert len(s) == 0 and list(s.columns) == ["frequency", "recency", "T", "monetary_value"]


def test_cohorts_at_the_start_of_the_supported_range():
    pool = yutang.Pool()
    pool.ingest([{"id": "e1", "at": "1900-01-02 10:00", "kind": "order", "amount": 5, "phone": "13800000001"}])
    c = pool.cohort_retention()
    assert c["customers"].tolist()[:1] == [1]


def test_a_journey_duration_with_a_multibyte_character_is_a_yutang_error():
    j = yutang.journeys.coffee_coupon_ladder()
    j["steps"][0]["min"] = "ʛ"
    with pytest.raises(yutang.InvalidFieldError):
        yutang.journeys.load(j)


# ------------------------------------------------------------------ streaming snapshots
def test_snapshot_to_and_restore_from_paths_and_file_objects(tmp_path):
    import gzip
    pool = yutang.Pool()
    pool.ingest([{"id": f"e{i}", "at": "2024-05-01", "kind": "order", "amount": i + 1, "phone": f"1380000{i:04d}"}
                 for i in range(3000)])
    blob = pool.snapshot()
    path = tmp_path / "pool.yts"
    pool.snapshot_to(path)
    assert path.read_bytes() == blob
    assert yutang.Pool.restore_from(path).snapshot() == blob
    assert yutang.Pool.restore_from(str(path)).snapshot() == blob
    buf = io.BytesIO()
    pool.snapshot_to(buf)
    assert buf.getvalue() == blob
    buf.seek(0)
    assert yutang.Pool.restore_from(buf).snapshot() == blob
    with gzip.open(tmp_path / "pool.yts.gz", "wb") as f:
        pool.snapshot_to(f)
    with gzip.open(tmp_path / "pool.yts.gz", "rb") as f:
        assert yutang.Pool.restore_from(f).snapshot() == blob
    with pytest.raises(yutang.SnapshotError):
        yutang.Pool.restore_from(io.BytesIO(blob[:-9]))
    with pytest.raises(yutang.SnapshotError):
        yutang.Pool.restore_from(tmp_path / "missing.yts")


def test_late_events_are_reported():
    pool = yutang.Pool()
    ev = lambda i, at: {"id": i, "at": at, "kind": "view", "phone": "13800000001"}  # noqa: E731
    r = pool.ingest([ev("a", "2024-05-02"), ev("b", "2024-05-03")])
    assert (r.late, r.full_pass) == (0, False)
    r = pool.ingest([ev("c", "2024-05-01"), ev("d", "2024-05-04")])
    assert (r.late, r.full_pass) == (1, True)


def test_late_events_relink_only_the_customers_they_touch():
    import pandas as pd
    crowd = pd.DataFrame({
        "id": [f"e{c}" for c in range(200)],
        "at": [f"2024-05-{1 + c % 28:02d} 10:00" for c in range(200)],
        "kind": "view",
        "wechat_unionid": [f"u{c}" if c % 2 == 0 else None for c in range(200)],
        "app_user": [f"a{c}" if c % 2 == 1 else None for c in range(200)],
    })
    late = {"id": "late", "at": "2024-05-01 09:00", "kind": "register",
            "identities": [{"kind": "wechat_unionid", "value": "u2"}, {"kind": "app_user", "value": "a3"}]}
    pool = yutang.Pool()
    pool.ingest(crowd)
    r = pool.ingest([late])
    assert (r.accepted, r.late, r.full_pass) == (1, 1, False)
    # the same as the events in time order in one batch
    sorted_pool = yutang.Pool()
    sorted_pool.ingest([late])
    sorted_pool.ingest(crowd)
    assert pool.customer_ids() == sorted_pool.customer_ids()
    merged = pool.resolve("wechat_unionid", "u2")
    assert merged == pool.resolve("app_user", "a3") == sorted_pool.resolve("app_user", "a3")
    assert list(pool.timeline(merged)["id"]) == ["late", "e2", "e3"]
    assert len(pool.customer_ids()) == 199


def test_attribution_bounds_and_overflow_are_yutang_errors():
    from yutang.attribution import heuristic_models, markov_model, shapley_model
    df = pd.DataFrame({"path": ["a > b", "b", "c > a"], "conv": [1, 2, 1], "null": [1, 1, 1]})
    with pytest.raises(yutang.InvalidFieldError) as e:
        shapley_model(df, "path", "conv", var_null="null", worth="conversion_rate", exact_limit=1, samples=10**7)
    assert e.value.field == "samples"
    huge = pd.DataFrame({"path": ["a > b", "b"], "conv": [1e308, 1e308]})
    for model in (heuristic_models, markov_model, shapley_model):
        with pytest.raises(yutang.InvalidFieldError) as e:
            model(huge, "path", "conv")
        assert e.value.field == "conversions", model.__name__


def test_memory_bytes_counts_tags_set_on_customers():
    pool = yutang.Pool()
    pool.ingest([{"id": f"e{c}", "at": "2024-05-01 10:00", "kind": "view", "phone": f"138{c:08d}"} for c in range(500)])
    bare = pool.memory_bytes()
    for cid in pool.customer_ids():
        pool.set_manual_tag(cid, "note", "x" * 60, "y" * 60, "2024-05-01 10:00")
    tagged = pool.memory_bytes()
    # 500 tags of 120 bytes with their customer ids and map entries, as allocated
    assert 500 * 120 * 3 <= tagged - bare < 500 * 600


def test_the_golden_snapshot_restores_and_writes_itself_again():
    from conftest import VECTORS
    golden = VECTORS / "snapshot_v4.bin"
    pool = yutang.Pool.restore_from(golden)
    assert pool.snapshot() == golden.read_bytes()
    assert pool.stats()["conflicts"] >= 1 and len(pool.journey_instances()) > 0


def test_the_older_format_golden_restores_to_the_same_pool_and_writes_the_current_golden():
    from conftest import VECTORS
    old = yutang.Pool.restore_from(VECTORS / "snapshot_v3.bin")
    assert old.snapshot() == (VECTORS / "snapshot_v4.bin").read_bytes()


def test_a_section_of_a_newer_version_is_refused_by_name():
    import zlib
    from conftest import VECTORS
    blob = bytearray((VECTORS / "snapshot_v4.bin").read_bytes())
    # frames after the 10-byte header: u32 length, u32 CRC-32, payload; the sections are in
    # the last data frame, each as its name (length-prefixed) and then its version byte
    at = blob.rindex(b"\x08journeys") + len(b"\x08journeys")
    assert blob[at] == 1
    blob[at] = 3  # this library reads journeys sections of versions 1 and 2
    pos = 10
    while True:
        n = int.from_bytes(blob[pos:pos + 4], "little")
        if n == 0:
            break
        blob[pos + 4:pos + 8] = zlib.crc32(blob[pos + 8:pos + 8 + n]).to_bytes(4, "little")
        pos += 8 + n
    with pytest.raises(yutang.SnapshotError, match="section `journeys` has version 3.*upgrade"):
        yutang.Pool.restore(bytes(blob))


def test_a_list_that_looks_like_a_duration_stays_a_list_through_a_snapshot():
    pool = yutang.Pool()
    pool.define_segment("s", 'tag("level") in ["30d"]')
    back = yutang.Pool.restore(pool.snapshot())
    assert back.segments() == pool.segments()
    assert back.segments()["s"]["root"]["right"] == ["30d"]
