"""The pool from Python: CDNOW orders from a pyarrow-read file, plus a small multi-channel sample.

Run: python bindings-python/examples/pool_quickstart.py
"""
import pathlib

import pandas as pd
import yutang

ROOT = pathlib.Path(__file__).resolve().parents[2]

# 1. CDNOW: whitespace-separated customer id, date, number of CDs, dollar value
cd = pd.read_csv(ROOT / "data" / "cdnow" / "CDNOW_master.txt", sep=r"\s+", header=0,
                 names=["customer", "date", "cds", "value"], dtype={"customer": str, "date": str})
orders = pd.DataFrame({
    "id": "cdnow-" + cd.index.astype(str),
    "at": pd.to_datetime(cd["date"], format="%Y%m%d"),     # naive dates = business zone
    "kind": "order",
    "custom:cdnow": cd["customer"],
    "amount": cd["value"],
    "cds": cd["cds"],
})
rules = yutang.Pool().config["identity_rules"]
rules["kinds"].append({"kind": "custom:cdnow", "normalizer": "trim", "priority": 80, "limit": 1, "namespaced": False})
pool = yutang.Pool(time_zone="America/New_York", currency="USD", identity_rules=rules)
report = pool.ingest(orders, properties=["cds"])
prof = pool.profiles()
print(f"CDNOW: {report.accepted} orders, {len(prof)} customers, "
      f"repeat buyers {(prof.order_count > 1).mean():.1%}, spend ${prof.spend_minor.sum() / 100:,.2f}")

# 2. A multi-channel sample: the same person on the mini program, Douyin and the app
shop = yutang.Pool()
r = shop.ingest([
    {"id": "m1", "at": "2024-05-01 10:00", "kind": "register", "channel": "mini_program",
     "phone": "+86 138-0013-8000", "wechat_unionid": "oU1", "wechat_openid": "oM1", "wechat_openid_namespace": "wx_app"},
    {"id": "d1", "at": "2024-05-03 20:15", "kind": "order", "channel": "douyin", "douyin": "dy1",
     "phone": "13800138000", "amount": "59.00", "order_id": "D-1"},
    {"id": "a1", "at": "2024-05-04 08:00", "kind": "view", "channel": "app", "app_user": "u-77", "device": "IDFA-XYZ"},
    {"id": "a2", "at": "2024-05-05 08:00", "kind": "order", "channel": "app", "app_user": "u-77",
     "wechat_unionid": "oU1", "amount": 32.5},
    {"id": "x1", "at": "2024-05-05 09:00", "kind": "view", "channel": "web", "phone": "null"},
])
print(f"multi-channel: accepted {r.accepted}, rejected {r.rejected}, warnings {r.warnings}")
print(shop.profiles()[["customer_id", "identity_count", "order_count", "spend", "events_douyin", "events_app"]])
c = shop.resolve("douyin", "dy1")
print(shop.timeline(c)[["id", "at", "kind", "channel", "amount"]])
print(shop.merge_log()[["at", "survivor", "absorbed", "reason"]])

# 3. Would the coffee ladder's post-purchase coupons have paid on CDNOW? Replay it over the log
#    with 10 % of the customers held out (the global control group) and read the results.
pool.set_journey_settings(global_control=0.10)
actions, results = pool.simulate([yutang.journeys.coffee_coupon_ladder()], "1997-01-01", "1998-06-30",
                                 with_results=True)
print(f"coffee ladder replayed on CDNOW: {len(actions)} actions")
print(results[["arm", "entered", "converted", "conversion_rate", "rate_low", "rate_high", "lift", "p_value",
               "p_value_sequential"]].to_string(index=False))
