"""yutang.attribution against ChannelAttribution 2.2.5 (PyPI, GPL-3: a test-only oracle,
nothing of it ships). Requirements: scripts/oracle/channelattribution.txt.

- heuristic models: equal (to the last bits of floating-point summation order);
- Markov orders 1-3: our exact removal effects agree with its simulation within its noise
  (1e6 simulated walks, max_step raised so that long walks are not cut off as non-converting).
"""
import io
import contextlib

import numpy as np
import pandas as pd
import pytest

ca = pytest.importorskip("ChannelAttribution")
import yutang.attribution as ya  # noqa: E402

CHANNELS = np.array(["douyin", "taobao", "wechat", "app", "sms", "staff", "weibo", "jd"])


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 5000
    lengths = rng.integers(1, 9, n)
    probs = [0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.04]
    paths = [" > ".join(rng.choice(CHANNELS, size=k, p=probs)) for k in lengths]
    conv = rng.integers(0, 4, n)
    null = rng.integers(0, 4, n)
    value = np.where(conv > 0, np.round(rng.gamma(2.0, 50.0, n) * conv, 2), 0.0)
    return pd.DataFrame({"path": paths, "total_conversions": conv, "total_conversion_value": value, "total_null": null})


def test_heuristics_equal_channelattribution_with_value(data):
    want = quiet(ca.heuristic_models, data, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False)
    got = ya.heuristic_models(data, "path", "total_conversions", var_value="total_conversion_value")
    assert list(got.columns) == list(want.columns)
    assert list(got["channel_name"]) == list(want["channel_name"])
    for col in want.columns[1:]:
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=1e-12, atol=0)
    # First and last touch sum integers: bit-for-bit equal.
    for col in ("first_touch_conversions", "last_touch_conversions"):
        assert got[col].tolist() == want[col].tolist()


def test_heuristics_equal_channelattribution_without_value(data):
    want = quiet(ca.heuristic_models, data, "path", "total_conversions", flg_pro=False)
    got = ya.heuristic_models(data, "path", "total_conversions")
    assert list(got.columns) == list(want.columns)
    assert list(got["channel_name"]) == list(want["channel_name"])
    for col in want.columns[1:]:
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=1e-12, atol=0)


def test_heuristics_on_channelattribution_quirks():
    # Whitespace around names, a one-character custom separator, repeated channels.
    df = pd.DataFrame({"path": ["  a|b |a", "b", "c | a|c|c"], "conv": [3, 1, 2], "val": [9.5, 1.25, 7.0]})
    want = quiet(ca.heuristic_models, df, "path", "conv", var_value="val", sep="|", flg_pro=False)
    got = ya.heuristic_models(df, "path", "conv", var_value="val", sep="|")
    assert list(got["channel_name"]) == list(want["channel_name"])
    for col in want.columns[1:]:
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_within_channelattribution_simulation_noise(data, order):
    kwargs = dict(var_value="total_conversion_value", var_null="total_null", order=order, out_more=True)
    want = quiet(ca.markov_model, data, "path", "total_conversions", max_step=200, nsim_start=1e6,
                 conv_par=0.01, verbose=False, flg_pro=False, **kwargs)
    got = ya.markov_model(data, "path", "total_conversions", **kwargs)
    a = want["result"].set_index("channel_name")
    b = got["result"].set_index("channel_name")
    assert sorted(a.index) == sorted(b.index)
    b = b.loc[a.index]
    tc = data["total_conversions"].sum()
    tv = data["total_conversion_value"].sum()
    # Shares of the total within half a percentage point (observed: ~0.1 pp).
    assert np.abs(a["total_conversions"] - b["total_conversions"]).max() / tc < 0.005
    assert np.abs(a["total_conversion_value"] - b["total_conversion_value"]).max() / tv < 0.005
    ra = want["removal_effects"].set_index("channel_name")
    rb = got["removal_effects"].set_index("channel_name").loc[ra.index]
    # Removal effects are probabilities estimated from ~1e5+ converting walks (observed: ~0.003).
    np.testing.assert_allclose(rb.to_numpy(), ra.to_numpy(), atol=0.012)
    # Our totals are exact.
    assert b["total_conversions"].sum() == pytest.approx(tc, rel=1e-12)


def test_markov_transition_matrix_equals_channelattribution(data):
    want = quiet(ca.markov_model, data, "path", "total_conversions", var_null="total_null", out_more=True,
                 verbose=False, flg_pro=False)["transition_matrix"]
    got = ya.markov_model(data, "path", "total_conversions", var_null="total_null", out_more=True)["transition_matrix"]
    # ChannelAttribution names channel states by their 1-based id in order of first appearance.
    names = ya.heuristic_models(data, "path", "total_conversions")["channel_name"].tolist()
    ids = {str(i + 1): name for i, name in enumerate(names)}
    want = want.assign(channel_from=want["channel_from"].map(lambda s: ids.get(s, s)),
                       channel_to=want["channel_to"].map(lambda s: ids.get(s, s)))
    key = ["channel_from", "channel_to"]
    merged = want.merge(got, on=key, how="outer", suffixes=("_ca", "_yt"), indicator=True)
    assert (merged["_merge"] == "both").all()
    np.testing.assert_allclose(merged["transition_probability_yt"], merged["transition_probability_ca"], rtol=1e-12)


def test_markov_is_reproducible_where_the_simulation_drifts(data):
    runs = [ya.markov_model(data, "path", "total_conversions", var_null="total_null") for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0], runs[1])
    # The simulation's answer depends on how many walks it ran.
    sims = [quiet(ca.markov_model, data, "path", "total_conversions", var_null="total_null", nsim_start=k,
                  verbose=False, flg_pro=False) for k in (1e5, 3e5)]
    assert not np.array_equal(sims[0]["total_conversions"].to_numpy(), sims[1]["total_conversions"].to_numpy())


def _ca_state_names(frame, names):
    """ChannelAttribution names a higher-order state by the 1-based ids of its channels joined
    by spaces ("1 2"); ours joins the channel names with " > "."""
    ids = {str(i + 1): name for i, name in enumerate(names)}
    to_name = lambda s: " > ".join(ids[p] for p in s.split(" ")) if all(p in ids for p in s.split(" ")) else s
    return frame.assign(channel_from=frame["channel_from"].map(to_name), channel_to=frame["channel_to"].map(to_name))


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("which", ["repeats", "sample"])
def test_higher_order_states_are_channelattributions(data, order, which):
    # ChannelAttribution's order-k states: the sliding windows of k consecutive touches of the
    # path as it is (a window may repeat a channel: "a > a"), a path shorter than k being one
    # state; equal consecutive states merge. The transition matrices agree exactly.
    if which == "repeats":
        frame = pd.DataFrame({"path": ["a > a > b", "a > b > b > c", "c > a", "b", "a > a > a > c > c"],
                              "total_conversions": [1, 1, 0, 1, 2], "total_null": [0, 1, 1, 0, 1]})
    else:
        frame = data
    want = quiet(ca.markov_model, frame, "path", "total_conversions", var_null="total_null", order=order, out_more=True,
                 verbose=False, flg_pro=False)["transition_matrix"]
    got = ya.markov_model(frame, "path", "total_conversions", var_null="total_null", order=order,
                          out_more=True)["transition_matrix"]
    names = ya.heuristic_models(frame, "path", "total_conversions")["channel_name"].tolist()
    want = _ca_state_names(want, names)
    merged = want.merge(got, on=["channel_from", "channel_to"], how="outer", suffixes=("_ca", "_yt"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    np.testing.assert_allclose(merged["transition_probability_yt"], merged["transition_probability_ca"], rtol=1e-12)
    if which == "repeats":
        # windows that repeat a channel are states ("a > a", "a > a > b")
        parts = [s.split(" > ") for s in set(got["channel_from"])]
        assert any(len(p) == order and p[0] == p[1] for p in parts)
