"""Time yutang against lifetimes 0.11.3 in the same run, on the same data, and print ratios.

Run in an environment with both installed (lifetimes needs numpy 1.26 / scipy 1.13 /
pandas 2.2, see scripts/oracle/lifetimes.txt):

    RAYON_NUM_THREADS=1 python bindings-python/benches/bench_vs_lifetimes.py [--lifetimes-1m]

Targets (issue 3): BG/NBD fit on the CDNOW sample summary >= 50x; Gamma-Gamma fit on the CDNOW
repeat buyers >= 50x; summary_data_from_transaction_data on 1M transactions >= 20x; BG/NBD fit on
1M synthetic customers (unique rows with weights) < 1 s on one core; conditional expected
purchases + probability alive for 1M customers < 0.2 s on one core. Times are end to end from
Python, best of `repeat` runs.
"""
import argparse
import os
import time
import warnings

os.environ.setdefault("RAYON_NUM_THREADS", "1")
warnings.simplefilter("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import lifetimes  # noqa: E402
from lifetimes import utils as lt_utils  # noqa: E402

import yutang  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "cdnow")
ROWS = []


def best(fn, repeat):
    ts = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def compare(name, yt_fn, lt_fn, repeat_yt=20, repeat_lt=3, target=None):
    t_yt, _ = best(yt_fn, repeat_yt)
    t_lt, _ = best(lt_fn, repeat_lt) if lt_fn else (float("nan"), None)
    ratio = t_lt / t_yt
    ok = "" if target is None else ("  OK" if ratio >= target else f"  BELOW TARGET {target}x")
    print(f"{name:58s} yutang {t_yt * 1e3:10.2f} ms   lifetimes {t_lt * 1e3:10.1f} ms   ratio {ratio:8.1f}x{ok}", flush=True)
    ROWS.append((name, t_yt, t_lt, ratio))


def absolute(name, fn, limit, repeat=3):
    t, _ = best(fn, repeat)
    ok = "OK" if t < limit else f"ABOVE TARGET {limit} s"
    print(f"{name:58s} yutang {t * 1e3:10.2f} ms   (target < {limit * 1e3:.0f} ms) {ok}", flush=True)


def synthetic_bgnbd(n, seed=42, r=0.243, alpha=4.414, a=0.793, b=2.426):
    """n customers from the BG/NBD process (CDNOW parameters, weeks), first purchase in the first
    12 weeks, observed in whole days to day 273 (39 weeks), expressed in weeks."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 84, n).astype(float)
    horizon = 273.0 - first
    lam = rng.gamma(r, 1.0 / alpha, n) / 7.0  # per day
    p = rng.beta(a, b, n)
    t = np.zeros(n)
    last = np.zeros(n)
    x = np.zeros(n)
    active = np.arange(n)
    while active.size:
        t[active] += rng.exponential(1.0, active.size) / lam[active]
        alive = t[active] <= horizon[active]
        active = active[alive]
        day = np.floor(t[active])
        new = day > last[active]
        x[active[new]] += 1
        last[active[new]] = day[new]
        survive = rng.random(active.size) >= p[active]
        active = active[survive]
    return x, last / 7.0, horizon / 7.0


def transaction_log(n_tx, n_customers, seed=3):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, n_customers, n_tx)
    ts = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730 * 24 * 60, n_tx), unit="min")
    return pd.DataFrame({"customer_id": ids, "date": ts, "amount": rng.gamma(2.0, 25.0, n_tx).round(2)})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifetimes-1m", action="store_true", help="also time lifetimes on the 1M-customer fit (slow)")
    args = ap.parse_args()
    print(f"yutang {yutang.__version__}, lifetimes {lifetimes.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS')}")

    # CDNOW sample summary (weeks, calibration to 1997-09-30), derived unrounded from the log
    log = pd.read_csv(os.path.join(DATA, "CDNOW_sample.txt"), sep=r"\s+", header=None,
                      names=["master", "id", "date", "cds", "dollars"], dtype={"date": str})
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    summ = yutang.utils.summary_data_from_transaction_data(log, "id", "date", "dollars", observation_period_end="1997-09-30",
                                                           freq="D", freq_multiplier=7)
    f, r, T = summ["frequency"], summ["recency"], summ["T"]
    compare("BG/NBD fit, CDNOW sample (2,357 customers)",
            lambda: yutang.BetaGeoFitter().fit(f, r, T), lambda: lifetimes.BetaGeoFitter().fit(f, r, T), target=50)
    compare("Pareto/NBD fit, CDNOW sample",
            lambda: yutang.ParetoNBDFitter().fit(f, r, T), lambda: lifetimes.ParetoNBDFitter().fit(f, r, T))
    compare("MBG/NBD fit, CDNOW sample",
            lambda: yutang.ModifiedBetaGeoFitter().fit(f, r, T), lambda: lifetimes.ModifiedBetaGeoFitter().fit(f, r, T))
    rb = summ[summ["frequency"] > 0]
    compare("Gamma-Gamma fit, CDNOW repeat buyers (946)",
            lambda: yutang.GammaGammaFitter().fit(rb["frequency"], rb["monetary_value"]),
            lambda: lifetimes.GammaGammaFitter().fit(rb["frequency"], rb["monetary_value"]), target=50)
    d = pd.read_csv(os.path.join(DATA, "donations.csv"))
    compare("BG/BB fit, donations (22 patterns, 11,104 donors)",
            lambda: yutang.BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"]),
            lambda: lifetimes.BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"]))

    # predictions on CDNOW
    bg_yt = yutang.BetaGeoFitter().fit(f, r, T)
    bg_lt = lifetimes.BetaGeoFitter().fit(f, r, T)
    compare("BG/NBD conditional expected purchases, CDNOW",
            lambda: bg_yt.conditional_expected_number_of_purchases_up_to_time(39, f, r, T),
            lambda: bg_lt.conditional_expected_number_of_purchases_up_to_time(39, f, r, T), repeat_lt=3)

    # 1M-transaction summary
    tx = transaction_log(1_000_000, 200_000)
    compare("summary_data_from_transaction_data, 1M transactions",
            lambda: yutang.utils.summary_data_from_transaction_data(tx, "customer_id", "date", "amount"),
            lambda: lt_utils.summary_data_from_transaction_data(tx, "customer_id", "date", "amount"), repeat_yt=3, target=20)

    # 1M synthetic customers
    x, rec, age = synthetic_bgnbd(1_000_000)
    u = pd.DataFrame({"x": x, "r": rec, "T": age}).value_counts().reset_index(name="w")
    print(f"synthetic BG/NBD: 1,000,000 customers, {len(u):,} unique (frequency, recency, T) rows")
    absolute("BG/NBD fit, 1M synthetic customers (unique rows + weights)",
             lambda: yutang.BetaGeoFitter().fit(u["x"], u["r"], u["T"], weights=u["w"]), 1.0)
    m = yutang.BetaGeoFitter().fit(u["x"], u["r"], u["T"], weights=u["w"])
    print(f"    fitted {m.params_.round(4).to_dict()} (true r=0.243, alpha=4.414, a=0.793, b=2.426)")
    absolute("BG/NBD fit, 1M synthetic customers (raw rows)", lambda: yutang.BetaGeoFitter().fit(x, rec, age), 2.0, repeat=1)

    def predict_yt():
        e = m.conditional_expected_number_of_purchases_up_to_time(39.0, x, rec, age)
        p = m.conditional_probability_alive(x, rec, age)
        return e, p

    absolute("cond. expected purchases + P(alive), 1M customers", predict_yt, 0.2)
    lt1m = lifetimes.BetaGeoFitter()
    lt1m.params_ = m.params_.copy()
    compare("cond. expected purchases + P(alive), 1M customers",
            predict_yt,
            lambda: (lt1m.conditional_expected_number_of_purchases_up_to_time(39.0, x, rec, age),
                     lt1m.conditional_probability_alive(x, rec, age)), repeat_yt=3)
    if args.lifetimes_1m:
        compare("BG/NBD fit, 1M synthetic (unique rows + weights)",
                lambda: yutang.BetaGeoFitter().fit(u["x"], u["r"], u["T"], weights=u["w"]),
                lambda: lifetimes.BetaGeoFitter().fit(u["x"], u["r"], u["T"], weights=u["w"]), repeat_yt=3)


if __name__ == "__main__":
    main()
