"""Time yutang.attribution against ChannelAttribution in the same run, on the same table.

1,000,000 synthetic paths (10 channels, lengths 1-10, seeded), pandas in and out for both.
ChannelAttribution's Markov model runs with its defaults (1e5 simulated walks, 10 folds,
convergence 5 %); ours solves the chain exactly. Usage (a venv with both installed, see
scripts/oracle/channelattribution.txt):

    python bindings-python/benches/bench_vs_channelattribution.py [--paths 1000000] [--repeat 3]
"""
import argparse
import contextlib
import io
import os
import platform
import time

import numpy as np
import pandas as pd

import ChannelAttribution as ca
import yutang.attribution as ya

CHANNELS = np.array(["douyin", "taobao", "wechat", "app", "sms", "staff", "weibo", "jd", "search", "direct"])


def synthetic(n: int, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 11, n)
    weights = np.array([0.2, 0.15, 0.14, 0.12, 0.1, 0.08, 0.07, 0.06, 0.05, 0.03])
    touches = rng.choice(len(CHANNELS), size=int(lengths.sum()), p=weights)
    names = CHANNELS[touches]
    ends = np.cumsum(lengths)
    starts = ends - lengths
    paths = [" > ".join(names[s:e]) for s, e in zip(starts, ends)]
    # Conversion odds depend on the channels seen, so that attributions differ.
    score = np.add.reduceat(touches % 4, starts) / lengths
    conv = (rng.random(n) < 0.05 + 0.1 * score).astype(np.int64)
    value = np.where(conv > 0, np.round(rng.gamma(2.0, 60.0, n), 2), 0.0)
    return pd.DataFrame({"path": paths, "total_conversions": conv, "total_conversion_value": value,
                         "total_null": 1 - conv})


def best_of(repeat: int, fn):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus; "
          f"ChannelAttribution {getattr(ca, '__version__', '2.2.x')}; {args.paths:,} paths")
    t = time.perf_counter()
    df = synthetic(args.paths)
    print(f"data: {time.perf_counter() - t:.1f} s to generate; {df['total_conversions'].sum():,} conversions")
    cases = [
        ("heuristics (conv + value)",
         lambda: ya.heuristic_models(df, "path", "total_conversions", var_value="total_conversion_value"),
         lambda: ca.heuristic_models(df, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False)),
        ("markov order 1 (conv + value + null)",
         lambda: ya.markov_model(df, "path", "total_conversions", var_value="total_conversion_value", var_null="total_null"),
         lambda: ca.markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                                 var_null="total_null", verbose=False, flg_pro=False)),
    ]
    print(f"{'model':40} {'yutang':>10} {'ChannelAttr':>12} {'ratio':>8}")
    for name, ours, theirs in cases:
        t_ours, a = best_of(args.repeat, ours)
        t_theirs, b = best_of(max(1, args.repeat - 2), theirs)
        print(f"{name:40} {t_ours:9.3f}s {t_theirs:11.3f}s {t_theirs / t_ours:7.1f}x")
        a = a.set_index("channel_name")
        b = b.set_index("channel_name").loc[a.index]
        diff = max((a[c] - b[c]).abs().max() / a[c].sum() for c in a.columns)
        print(f"{'':40} largest difference: {diff:.2e} of a column's total")


if __name__ == "__main__":
    main()
