"""The pool's own pictures: a year of a small shop on four channels, its HTML report, and the
five matplotlib plots of ``yutang.plotting`` for the pool's frames (attribution, cohort heat
map, lifecycle flows, RFM tiers, journey funnel). Writes ``pool_*.png`` and
``pool_report.html`` to a folder (default docs/img; the report goes beside the pictures):

    python bindings-python/examples/pool_pictures.py [out_dir]
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import yutang  # noqa: E402
from yutang import plotting  # noqa: E402

CHANNELS = ["douyin", "mini_program", "taobao", "app"]


def demo_pool(customers: int = 400, seed: int = 7) -> yutang.Pool:
    """Customers who register on a channel, view on random channels and order a geometric
    number of times (gamma-distributed amounts) over 2024, plus the coffee coupon journey."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        phone = f"1380000{c:04d}"
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        rows.append({"id": f"r{c}", "at": start, "kind": "register", "channel": CHANNELS[c % 4], "phone": phone})
        t = start
        for k in range(int(rng.geometric(0.3))):
            t = t + pd.Timedelta(days=int(rng.integers(3, 60)))
            rows.append({"id": f"v{c}-{k}", "at": t - pd.Timedelta(hours=2), "kind": "view",
                         "channel": CHANNELS[int(rng.integers(0, 4))], "phone": phone})
            rows.append({"id": f"o{c}-{k}", "at": t, "kind": "order", "phone": phone,
                         "amount": round(float(rng.gamma(4.0, 20.0)), 2), "order_id": f"o{c}-{k}"})
    pool = yutang.Pool()
    report = pool.ingest(pd.DataFrame(rows))
    assert not report.rejected, report.rejected[:3]
    pool.add_journey(yutang.journeys.coffee_coupon_ladder())
    return pool


def main(out):
    os.makedirs(out, exist_ok=True)
    pool = demo_pool()
    as_of = "2024-12-31 23:59:59"
    pictures = {
        "pool_attribution.png": plotting.attribution(pool.attribution(as_of=as_of)),
        "pool_cohorts.png": plotting.cohort_heatmap(pool.cohort_retention(as_of)),
        "pool_lifecycle_flow.png": plotting.lifecycle_flow(pool.stage_transitions("2024-07-01", as_of)),
        "pool_rfm_tiers.png": plotting.rfm_tiers(pool.rfm(as_of)),
        "pool_journey_funnel.png": plotting.journey_funnel(
            pool.simulate([yutang.journeys.coffee_coupon_ladder()], "2024-01-01", as_of)),
    }
    written = []
    for name, ax in pictures.items():  # one size for the docs
        fig = ax.figure
        fig.set_size_inches(7, 4.5)
        fig.tight_layout()
        written.append(os.path.join(out, name))
        fig.savefig(written[-1], dpi=80)
        plt.close(fig)
    report = os.path.join(out, "pool_report.html")
    pool.report(as_of, report, title="A small shop, 2024")
    for p in written + [report]:
        print("wrote", p)
    return written, report


if __name__ == "__main__":
    default = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img")
    out = sys.argv[1] if len(sys.argv) > 1 else default
    written, report = main(out)
    if out == default:  # the page is not a picture: keep docs/img for images
        os.remove(report)
