"""The installed wheel as a new user gets it: run in a fresh venv that holds only the wheel and the
dependencies it declares (numpy, pyarrow, pandas). Imports yutang, ingests a pandas frame, fits
the CLV models on the bundled CDNOW data and checks the answers against Fader, Hardie & Lee
(2005); checks that the optional extras fail with a message that names them.

Usage: <venv>/bin/python scripts/wheel-smoke.py     (prints "wheel smoke: N checks passed")
"""
import importlib.util
import math
import sys

import pandas as pd

import yutang
from yutang import BetaGeoFitter, GammaGammaFitter
from yutang.datasets import load_cdnow_summary_data_with_monetary_value, load_transaction_data
from yutang.utils import summary_data_from_transaction_data

passed = 0


def check(what: str, ok: bool) -> None:
    global passed
    if not ok:
        sys.exit(f"wheel smoke FAILED: {what}")
    passed += 1


check(f"yutang {yutang.__version__} is installed, not the source tree", "site-packages" in yutang.__file__)

# A pandas frame in, one customer across two channels out.
events = pd.DataFrame({
    "id": ["e1", "e2", "e3"],
    "at": ["2024-05-01 10:00", "2024-05-02 10:00", "2024-05-20 10:00"],
    "kind": ["register", "order", "order"],
    "channel": ["mini_program", "douyin", "taobao"],
    "phone": ["+86 138-0013-8000", None, "13800138000"],
    "wechat_unionid": ["u1", "u1", None],
    "amount": [None, 19.9, 45.0],
    "order_id": [None, "o1", "o2"],
})
pool = yutang.Pool()
report = pool.ingest(events)
check(f"3 events accepted ({report})", report.accepted == 3 and not report.rejected)
profiles = pool.profiles()
check("one customer with two orders", len(profiles) == 1 and int(profiles.order_count.iloc[0]) == 2)
check("spend 64.90 exactly", int(profiles.spend_minor.iloc[0]) == 6490)
check("snapshot restores", yutang.Pool.restore(pool.snapshot()).profiles().equals(profiles))

# The bundled data and the CLV models: BG/NBD on CDNOW, as published (r, alpha, a, b).
summary = load_cdnow_summary_data_with_monetary_value()
bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
paper = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
check(f"BG/NBD parameters {dict(bgf.params_)} as published",
      all(abs(bgf.params_[k] - v) < 5e-3 for k, v in paper.items()))
repeat = summary[summary["frequency"] > 0]
ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
clv = ggf.customer_lifetime_value(bgf, repeat["frequency"], repeat["recency"], repeat["T"],
                                  repeat["monetary_value"], time=12, discount_rate=0.01)
check("CLV is finite and positive", bool((clv > 0).all()) and math.isfinite(float(clv.sum())))
tx = load_transaction_data()
rfm = summary_data_from_transaction_data(tx, "id", "date", observation_period_end="2014-12-31")
check("summary from transactions", len(rfm) == tx["id"].nunique() and (rfm["T"] >= rfm["recency"]).all())

# Optional extras name themselves when missing.
if importlib.util.find_spec("matplotlib") is None:
    try:
        yutang.plotting.plot_period_transactions(bgf)
        check("plotting without matplotlib raises", False)
    except ImportError as e:
        check("the plotting error names the extra", "yutang[plot]" in str(e))
print(f"wheel smoke: {passed} checks passed (yutang {yutang.__version__}, pandas {pd.__version__})")
