"""lifetimes' quickstart, end to end, on yutang: the CDNOW data, BG/NBD, the standard plots,
a calibration/holdout check, Gamma-Gamma spend and CLV. Only the import differs from the
lifetimes version. Writes its pictures to a folder (default docs/img):

    python bindings-python/examples/lifetimes_quickstart.py [out_dir]
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

import yutang as lifetimes  # noqa: E402  (the one change: was `import lifetimes`)
from yutang.datasets import load_cdnow_summary_data_with_monetary_value, load_dataset  # noqa: E402
from yutang.plotting import (  # noqa: E402
    plot_calibration_purchases_vs_holdout_purchases,
    plot_cumulative_transactions,
    plot_frequency_recency_matrix,
    plot_period_transactions,
    plot_probability_alive_matrix,
)
from yutang.utils import calibration_and_holdout_data  # noqa: E402


def save(ax, out, name):
    ax.figure.set_size_inches(7, 4.5)
    ax.figure.tight_layout()
    path = os.path.join(out, name)
    ax.figure.savefig(path, dpi=80)
    plt.close(ax.figure)
    return path


def main(out):
    os.makedirs(out, exist_ok=True)
    data = load_cdnow_summary_data_with_monetary_value()
    bgf = lifetimes.BetaGeoFitter(penalizer_coef=0.0).fit(data["frequency"], data["recency"], data["T"])
    print(bgf)  # <yutang.BetaGeoFitter: fitted with 2357 subjects, a: 0.79, alpha: 4.41, b: 2.43, r: 0.24>

    written = [
        save(plot_frequency_recency_matrix(bgf), out, "clv_frequency_recency.png"),
        save(plot_probability_alive_matrix(bgf), out, "clv_probability_alive.png"),
        save(plot_period_transactions(bgf), out, "clv_period_transactions.png"),
    ]

    # ranking customers by their expected purchases in the next week
    t = 1
    data["predicted_purchases"] = bgf.conditional_expected_number_of_purchases_up_to_time(
        t, data["frequency"], data["recency"], data["T"])
    print(data.sort_values(by="predicted_purchases").tail(3))

    # calibration and holdout from the transaction log
    log = load_dataset("CDNOW_sample.txt", header=None, sep=r"\s+")
    log.columns = ["id_total", "id_sample", "date", "cds", "dollars"]
    ch = calibration_and_holdout_data(log, "id_sample", "date", calibration_period_end="19970930",
                                      observation_period_end="19980630", freq="D", freq_multiplier=7,
                                      datetime_format="%Y%m%d")
    cal = lifetimes.BetaGeoFitter().fit(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    written.append(save(plot_calibration_purchases_vs_holdout_purchases(cal, ch), out, "clv_calibration_holdout.png"))
    written.append(save(plot_cumulative_transactions(cal, log, "date", "id_sample", 78 * 7, 39 * 7,
                                                     datetime_format="%Y%m%d", freq_multiplier=7,
                                                     xlabel="week"), out, "clv_cumulative_tracking.png"))

    # spend and customer lifetime value
    returning = data[data["frequency"] > 0]
    ggf = lifetimes.GammaGammaFitter(penalizer_coef=0).fit(returning["frequency"], returning["monetary_value"])
    print(ggf)  # <yutang.GammaGammaFitter: fitted with 946 subjects, p: 6.25, q: 3.74, v: 15.45>
    clv = ggf.customer_lifetime_value(bgf, data["frequency"], data["recency"], data["T"], data["monetary_value"],
                                      time=12, discount_rate=0.01, freq="W")
    print(clv.head())
    for p in written:
        print("wrote", p)
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img"))
