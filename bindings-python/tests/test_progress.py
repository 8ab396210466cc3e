"""Progress feedback from long calls: ingest (tables and dict lists) and simulate report their
stages; a callback can stop them; a stopped ingest keeps what it read and a second ingest of the
same events completes it."""
import sys
import types

import numpy as np
import pandas as pd
import pytest
import yutang


def frame(n, seed=0):
    rng = np.random.default_rng(seed)
    customers = rng.integers(0, n // 4, n)
    start = pd.Timestamp("2024-01-01")
    return pd.DataFrame({
        "id": [f"e{i}" for i in range(n)],
        "at": start + pd.to_timedelta(np.sort(rng.integers(0, 300 * 86400, n)), unit="s"),
        "kind": np.where(rng.random(n) < 0.3, "order", "view"),
        "amount": np.round(rng.random(n) * 100, 2),
        "phone": [f"1380{c:07d}" for c in customers],
    })


class Recorder:
    def __init__(self, stop_at=None):
        self.calls = []
        self.stop_at = stop_at

    def __call__(self, stage, done, total):
        self.calls.append((stage, done, total))
        if self.stop_at is not None and len(self.calls) >= self.stop_at:
            return False
        return None


def test_ingest_reports_ingest_then_link_from_zero_to_the_total():
    df = frame(5000)
    rec = Recorder()
    pool = yutang.Pool()
    r = pool.ingest(df, progress=rec)
    assert r.accepted == 5000 and not r.stopped
    stages = [c[0] for c in rec.calls]
    assert stages == sorted(stages, key=["ingest", "link"].index)
    ingest = [c for c in rec.calls if c[0] == "ingest"]
    assert ingest[0] == ("ingest", 0, 5000) and ingest[-1] == ("ingest", 5000, 5000)
    assert all(a[1] < b[1] for a, b in zip(ingest, ingest[1:]))
    assert 50 <= len(ingest) <= 101
    assert [c for c in rec.calls if c[0] == "link"] == [("link", 0, 5000), ("link", 5000, 5000)]
    plain = yutang.Pool()
    plain.ingest(df)
    assert pool.customer_ids() == plain.customer_ids()
    assert pool.profiles().equals(plain.profiles())


def test_a_callback_returning_false_stops_and_a_second_ingest_completes_it():
    df = frame(3000)
    pool = yutang.Pool()
    r = pool.ingest(df, progress=Recorder(stop_at=3))  # reports at 0, 30, 60: stops after 60 events
    assert r.stopped
    assert r.accepted + r.duplicates + len(r.rejected) == 60
    assert pool.stats()["events"] == 60
    again = pool.ingest(df)
    assert (again.accepted, again.duplicates, again.stopped) == (2940, 60, False)
    whole = yutang.Pool()
    whole.ingest(df)
    assert pool.customer_ids() == whole.customer_ids()
    assert pool.profiles().equals(whole.profiles())


def test_an_exception_in_the_callback_propagates_and_the_read_events_are_kept():
    rows = frame(400).assign(at=lambda d: d["at"].astype(str)).to_dict("records")

    def boom(stage, done, total):
        if done >= 8:
            raise KeyboardInterrupt
    pool = yutang.Pool()
    with pytest.raises(KeyboardInterrupt):
        pool.ingest(rows, progress=boom)  # the list-of-dicts path
    assert pool.stats()["events"] == 8
    assert pool.ingest(rows).duplicates == 8


def test_progress_true_draws_a_tqdm_bar_when_tqdm_is_installed(monkeypatch):
    bars = []

    class FakeTqdm:
        def __init__(self, total, desc, **kw):
            self.total, self.desc, self.n, self.closed = total, desc, 0, False
            bars.append(self)

        def update(self, k):
            self.n += k

        def close(self):
            self.closed = True
    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    yutang.Pool().ingest(frame(1000), progress=True)
    assert [(b.desc, b.total, b.n, b.closed) for b in bars] == [
        ("ingest: ingest", 1000, 1000, True), ("ingest: link", 1000, 1000, True)]


def test_progress_true_without_tqdm_writes_one_line_per_stage(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    yutang.Pool().ingest(frame(1000), progress=True)
    err = capsys.readouterr().err
    assert err.count("\n") == 2
    assert "ingest: ingest 100% (1,000/1,000 events)" in err
    assert "ingest: link 100% (1,000/1,000 events)" in err


def test_a_bad_progress_argument_names_the_field():
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.Pool().ingest(frame(10), progress="yes")
    assert e.value.field == "progress"


def test_simulate_reports_customers_and_can_be_stopped():
    pool = yutang.Pool()
    pool.ingest(frame(20_000))
    ladder = [yutang.journeys.coffee_coupon_ladder()]
    rec = Recorder()
    actions = pool.simulate(ladder, "2024-01-01", "2024-12-31", progress=rec)
    pd.testing.assert_frame_equal(actions, pool.simulate(ladder, "2024-01-01", "2024-12-31"))
    assert {c[0] for c in rec.calls} == {"journeys"}
    total = rec.calls[-1][2]
    assert total > 1000 and rec.calls[0][1] == 0 and rec.calls[-1][1] == total
    with pytest.raises(yutang.CancelledError, match="simulate stopped by its progress callback"):
        pool.simulate(ladder, "2024-01-01", "2024-12-31", progress=Recorder(stop_at=2))

    def boom(stage, done, total):
        if done:
            raise RuntimeError("stop here")
    with pytest.raises(RuntimeError, match="stop here"):
        pool.simulate(ladder, "2024-01-01", "2024-12-31", progress=boom)
