"""Pool ingest from a pyarrow Table, end to end from Python (issue 2 floor: >= 1 M events/s).

Builds a synthetic multi-channel log with pyarrow compute (no Python loop per row): N events,
N/10 customers, each with a phone, a unionid, a Douyin id or an app account depending on the
channel, overlapping across channels. Times only `pool.ingest(table)` and reports memory.

Run: python bindings-python/benches/bench_pool_ingest.py [N]   (default 10_000_000)
"""
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yutang


def synthetic(n: int, seed: int = 42) -> pa.Table:
    rng = np.random.default_rng(seed)
    customers = max(1, n // 10)
    c = rng.integers(0, customers, n)
    channel_codes = rng.integers(0, 5, n)            # 0 mini_program, 1 douyin, 2 taobao, 3 app, 4 sms
    channels = pa.array(np.array(["mini_program", "douyin", "taobao", "app", "sms"])[channel_codes])
    r = rng.integers(0, 1000, n)
    kinds = np.where(r < 200, "order", np.where(r < 700, "view", np.where(r < 850, "add_to_cart", "message_opened")))
    kinds[channel_codes == 4] = "message_sent"
    kinds[(channel_codes != 4) & (r < 200)] = "order"
    at = np.datetime64("2024-01-01T00:00:00", "us") + (np.arange(n, dtype=np.int64) * (365 * 86400 * 10**6 // n)).astype("timedelta64[us]")
    cs = pa.array(c).cast(pa.string())
    none = pa.nulls(n, pa.string())
    phone = pa.array(c + 13_000_000_000).cast(pa.string())
    has_phone = (c % 10) < 7
    with_phone = has_phone & ((channel_codes == 4) | (kinds == "order") | (r % 10 == 0))
    union = pc.binary_join_element_wise("oU", cs, "")
    douyin = pc.binary_join_element_wise("dy", cs, "")
    taobao = pc.binary_join_element_wise("tb", cs, "")
    app = pc.binary_join_element_wise("u", cs, "")
    def where(mask, vals):
        return pc.if_else(pa.array(mask), vals, none)
    amount = np.where(kinds == "order", rng.integers(990, 50_000, n) / 100.0, np.nan)
    return pa.table({
        "id": pc.binary_join_element_wise("ev", pa.array(np.arange(n)).cast(pa.string()), ""),
        "at": pa.array(at, type=pa.timestamp("us", tz="UTC")),
        "kind": pa.array(kinds),
        "channel": channels,
        "phone": where(with_phone | (channel_codes == 4), phone),
        "wechat_unionid": where(channel_codes == 0, union),
        "douyin": where(channel_codes == 1, douyin),
        "taobao": where(channel_codes == 2, taobao),
        "app_user": where(channel_codes == 3, app),
        "amount": amount,
    })


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    t = time.perf_counter()
    table = synthetic(n)
    print(f"generated {n:,} events in {time.perf_counter() - t:.1f}s ({table.nbytes / 1e6:.0f} MB of Arrow)")
    pool = yutang.Pool()
    batch = 1_000_000
    total = cpu = 0.0
    for start in range(0, n, batch):
        part = table.slice(start, batch)
        t, c = time.perf_counter(), time.thread_time()
        r = pool.ingest(part)
        total += time.perf_counter() - t
        cpu += time.thread_time() - c   # the native ingest runs on this thread (GIL released)
        assert not r.rejected, r.rejected[:3]
    s = pool.stats()
    mem = pool.memory_bytes()
    print(f"yutang Pool.ingest(pyarrow.Table): {n / total / 1e6:.2f} M events/s wall ({total:.1f}s for {n:,}), "
          f"{n / cpu / 1e6:.2f} M events/s of thread CPU; "
          f"{s['customers']:,} customers, {s['merges']:,} merges; memory {mem / n:.0f} B/event, {mem / s['customers']:.0f} B/customer")


if __name__ == "__main__":
    main()
