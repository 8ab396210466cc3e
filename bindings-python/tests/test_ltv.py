"""Boundary tests of the CLV API (yutang.fitters, yutang.utils): conversions, shapes, error
classes, GIL release, serialisation. The maths is tested in Rust and against lifetimes in
tests_oracle/lifetimes."""
import json
import os
import threading
import time
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

import yutang

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "cdnow")


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(os.path.join(DATA, "cdnow_customers_summary.csv"))


@pytest.fixture(scope="module")
def cdnow_monetary():
    """The CDNOW sample's calibration summary with monetary values (Fader, Hardie & Lee 2005)."""
    log = pd.read_csv(os.path.join(DATA, "CDNOW_sample.txt"), sep=r"\s+", header=None,
                      names=["master", "id", "date", "cds", "dollars"], dtype={"date": str})
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    return yutang.utils.summary_data_from_transaction_data(log, "id", "date", "dollars", observation_period_end="1997-09-30",
                                                           freq="D", freq_multiplier=7)


@pytest.fixture(scope="module")
def bgf(cdnow):
    return yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def test_public_names_match_lifetimes():
    for name in ["BetaGeoFitter", "ParetoNBDFitter", "ModifiedBetaGeoFitter", "BetaGeoBetaBinomFitter", "GammaGammaFitter"]:
        assert hasattr(yutang, name)
    assert callable(yutang.utils.summary_data_from_transaction_data)
    assert callable(yutang.utils.calibration_and_holdout_data)
    assert issubclass(yutang.ConvergenceError, ValueError)


def test_fit_returns_self_and_params_series(cdnow, bgf):
    assert isinstance(bgf, yutang.BetaGeoFitter)
    assert list(bgf.params_.index) == ["r", "alpha", "a", "b"]
    assert list(bgf.summary.columns) == ["coef", "se(coef)", "lower 95% bound", "upper 95% bound"]
    assert bgf.log_likelihood_ == pytest.approx(-9582.4256, abs=1e-3)
    assert list(yutang.ParetoNBDFitter.from_params(r=1, alpha=1, s=1, beta=1).params_.index) == ["r", "alpha", "s", "beta"]
    assert list(yutang.BetaGeoBetaBinomFitter.from_params(alpha=1, beta=1, gamma=1, delta=1).params_.index) == ["alpha", "beta", "gamma", "delta"]
    assert list(yutang.GammaGammaFitter.from_params(p=1, q=2, v=1).params_.index) == ["p", "q", "v"]


@pytest.mark.parametrize("convert", [
    lambda s: s,
    lambda s: s.to_numpy(),
    lambda s: pl.Series(s.name, s.to_numpy()),
    lambda s: pa.array(s.to_numpy()),
    lambda s: s.tolist(),
])
def test_fit_accepts_column_types(cdnow, bgf, convert):
    m = yutang.BetaGeoFitter().fit(convert(cdnow["frequency"]), convert(cdnow["recency"]), convert(cdnow["T"]))
    assert np.array_equal(m.params_.values, bgf.params_.values)


def test_prediction_shapes(cdnow, bgf):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    s = bgf.conditional_expected_number_of_purchases_up_to_time(10, f, r, T)
    assert isinstance(s, pd.Series) and s.index.equals(f.index)
    a = bgf.conditional_expected_number_of_purchases_up_to_time(10, f.to_numpy(), r.to_numpy(), T.to_numpy())
    assert isinstance(a, np.ndarray) and np.array_equal(a, s.to_numpy())
    x = bgf.conditional_expected_number_of_purchases_up_to_time(10, 2, 30.43, 38.86)
    assert isinstance(x, float)
    p = bgf.conditional_probability_alive(2, 30.43, 38.86)
    assert isinstance(p, np.ndarray) and p.shape == (1,)  # lifetimes returns np.atleast_1d
    # a vector of horizons broadcasts against a scalar history
    v = bgf.conditional_expected_number_of_purchases_up_to_time(np.array([1.0, 10.0, 39.0]), 2, 30.43, 38.86)
    assert v.shape == (3,) and np.all(np.diff(v) > 0)
    assert bgf.predict(10, 2, 30.43, 38.86) == x


def test_invalid_input_raises_typed_error_naming_field_and_row(cdnow):
    f = cdnow["frequency"].to_numpy().copy()
    r = cdnow["recency"].to_numpy().copy()
    r[17] = cdnow["T"][17] + 1
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.BetaGeoFitter().fit(f, r, cdnow["T"])
    assert e.value.field == "recency[17]"
    assert isinstance(e.value, ValueError)
    with pytest.raises(yutang.InvalidFieldError) as e:
        yutang.BetaGeoFitter().fit([0, 1], [0, 1], [np.nan, 2])
    assert e.value.field == "T[0]"
    with pytest.raises(yutang.InvalidFieldError):
        yutang.GammaGammaFitter().fit([1, 2], [10.0, -1.0])


def test_convergence_error(cdnow):
    with pytest.raises(yutang.ConvergenceError):
        yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"], maxiter=2)
    with pytest.raises(yutang.utils.ConvergenceError):
        yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"], maxiter=2)


def test_not_fitted_raises():
    with pytest.raises(ValueError, match="not been fit"):
        yutang.BetaGeoFitter().conditional_probability_alive(1, 1, 2)


def test_json_roundtrip_and_save_load(tmp_path, bgf, cdnow):
    back = yutang.BetaGeoFitter.from_json(bgf.to_json())
    assert np.array_equal(back.params_.values, bgf.params_.values)
    assert back.log_likelihood_ == bgf.log_likelihood_
    path = tmp_path / "m.json"
    bgf.save_model(str(path))
    m = yutang.BetaGeoFitter()
    m.load_model(str(path))
    assert np.array_equal(m.params_.values, bgf.params_.values)
    assert json.loads(path.read_text())["class"] == "BetaGeoFitter"
    with pytest.raises(ValueError):
        yutang.ParetoNBDFitter.from_json(bgf.to_json())


def test_gil_released_during_fit(cdnow):
    big = pd.concat([cdnow] * 200, ignore_index=True)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    th = threading.Thread(target=ticker)
    th.start()
    try:
        yutang.ParetoNBDFitter().fit(big["frequency"], big["recency"], big["T"])
    finally:
        stop.set()
        th.join()
    assert len(ticks) > 5  # the ticker ran while Rust was fitting


def test_gamma_gamma_and_clv_return_series(cdnow, bgf):
    m = pd.Series(np.where(cdnow["frequency"] > 0, 25.0, 0.0))
    rb = cdnow["frequency"] > 0
    gg = yutang.GammaGammaFitter(penalizer_coef=0.0).fit(cdnow["frequency"][rb], m[rb] * (1 + cdnow["recency"][rb] / 100))
    clv = gg.customer_lifetime_value(bgf, cdnow["frequency"], cdnow["recency"], cdnow["T"], m, time=12, discount_rate=0.01, freq="W")
    assert isinstance(clv, pd.Series) and clv.name == "clv" and len(clv) == len(cdnow)
    assert np.isfinite(clv).all() and (clv >= 0).all()


def test_bg_bb_on_donations():
    d = pd.read_csv(os.path.join(DATA, "donations.csv"))
    m = yutang.BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], weights=d["weights"])
    assert m.params_.round(3).tolist() == [1.204, 0.75, 0.657, 2.783]
    e = m.expected_number_of_transactions_in_first_n_periods(6)
    assert e.index.name == "frequency" and e["model"].sum() == pytest.approx(d["weights"].sum() * 1.0, rel=1e-9)


# ------------------------------------------------------------------ summaries

@pytest.fixture()
def tx():
    return pd.DataFrame({
        "id": ["a", "a", "a", "b", "b", "c"],
        "date": pd.to_datetime(["2024-01-03 10:00", "2024-01-03 12:00", "2024-03-31 23:00", "2024-02-10 00:00", "2024-05-02 00:00", "2024-05-30 00:00"]),
        "m": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    })


def test_summary_matches_lifetimes_semantics(tx):
    s = yutang.utils.summary_data_from_transaction_data(tx, "id", "date", "m", observation_period_end="2024-06-01")
    assert s.index.name == "id" and list(s.index) == ["a", "b", "c"]
    assert s["frequency"].tolist() == [1.0, 1.0, 0.0]
    assert s["recency"].tolist() == [88.0, 82.0, 0.0]
    assert s["T"].tolist() == [150.0, 112.0, 2.0]
    assert s["monetary_value"].tolist() == [3.0, 5.0, 0.0]


def test_summary_tz_aware_column_floors_in_its_zone():
    ts = pd.Series(pd.to_datetime(["2024-01-01 23:30", "2024-01-02 00:30"]).tz_localize("Asia/Shanghai"))
    df = pd.DataFrame({"id": [1, 1], "ts": ts})
    s = yutang.utils.summary_data_from_transaction_data(df, "id", "ts")
    assert s["frequency"].tolist() == [1.0]  # two local days
    utc = df.assign(ts=ts.dt.tz_convert("UTC"))  # both on 2024-01-01 16:30 / 17:30 UTC... one UTC day
    assert yutang.utils.summary_data_from_transaction_data(utc, "id", "ts")["frequency"].tolist() == [0.0]


def test_calibration_and_holdout_columns(tx):
    c = yutang.utils.calibration_and_holdout_data(tx, "id", "date", "2024-03-01", "2024-06-01", monetary_value_col="m", freq="W")
    assert list(c.columns) == ["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal", "frequency_holdout", "monetary_value_holdout", "duration_holdout"]
    assert list(c.index) == ["a", "b"]


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_rfm_summary_returns_same_kind(tx, kind):
    obj = {"pandas": tx, "polars": pl.from_pandas(tx), "pyarrow": pa.Table.from_pandas(tx, preserve_index=False)}[kind]
    out = yutang.utils.rfm_summary(obj, customer_id_col="id", datetime_col="date", monetary_value_col="m", observation_period_end="2024-06-01")
    assert {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.Table}[kind] == type(out)
    cols = list(out.columns) if kind != "pyarrow" else out.column_names
    assert cols == ["id", "frequency", "recency", "T", "monetary_value"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 200 * 24)), min_size=1, max_size=60))
def test_summary_laws(rows):
    ids = [f"c{i}" for i, _ in rows]
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta([h for _, h in rows], unit="h")
    df = pd.DataFrame({"id": ids, "ts": ts})
    s = yutang.utils.summary_data_from_transaction_data(df, "id", "ts")
    assert (s["recency"] <= s["T"]).all() and (s["frequency"] >= 0).all()
    assert ((s["frequency"] == 0) == (s["recency"] == 0)).all()
    days = df.assign(d=df["ts"].dt.floor("D")).groupby("id")["d"].nunique()
    assert (s["frequency"] == days.loc[s.index] - 1).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 100000), st.floats(0.0, 1.0), st.floats(0.01, 100000.0), st.floats(0.0, 1000.0))
def test_predictions_finite_and_bounded(x, frac, T, t):
    r = 0.0 if x == 0 else max(frac * T, T * 1e-6)
    for m in [yutang.BetaGeoFitter.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
              yutang.ParetoNBDFitter.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669),
              yutang.ModifiedBetaGeoFitter.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614)]:
        p = m.conditional_probability_alive(x, r, T)[0]
        e = m.conditional_expected_number_of_purchases_up_to_time(t, x, r, T)
        assert 0.0 <= p <= 1.0 and np.isfinite(e) and e >= 0.0


# -- assigning params_ sets the model (lifetimes' tests and users rely on it) ----------------
@pytest.mark.parametrize("cls, params", [
    (yutang.BetaGeoFitter, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    (yutang.ParetoNBDFitter, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    (yutang.ModifiedBetaGeoFitter, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
])
def test_assigning_params_sets_the_model_fitted_or_not(cdnow, cls, params):
    x, r, t = cdnow["frequency"].head(20), cdnow["recency"].head(20), cdnow["T"].head(20)
    want = cls.from_params(**params).conditional_probability_alive(x, r, t)
    fresh = cls()
    fresh.params_ = pd.Series(params)
    np.testing.assert_array_equal(fresh.conditional_probability_alive(x, r, t), want)
    fitted = cls().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert not np.allclose(fitted.conditional_probability_alive(x, r, t), want)
    # any order of names, a dict too; params_, summary and predictions agree afterwards
    fitted.params_ = dict(reversed(list(params.items())))
    np.testing.assert_array_equal(fitted.conditional_probability_alive(x, r, t), want)
    assert fitted.params_.to_dict() == params and list(fitted.summary["coef"]) == list(params.values())
    assert fitted.standard_errors_.isna().all()  # the fit's errors do not describe the new values


def test_assigning_bad_params_raises_and_keeps_the_model(cdnow):
    bgf = yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    before = bgf.params_
    for bad, field in [({"r": 1.0}, "params_"), ({"r": 1, "alpha": 1, "a": 1, "b": -1}, "b"),
                       ({"r": 1, "alpha": 1, "a": 1, "b": 1, "z": 2}, "params_"),
                       ({"r": 1, "alpha": float("nan"), "a": 1, "b": 1}, "alpha")]:
        with pytest.raises(yutang.InvalidFieldError) as e:
            bgf.params_ = bad
        assert e.value.field == field
    assert bgf.params_.equals(before)


def test_changing_the_returned_params_changes_nothing(cdnow):
    bgf = yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    p = bgf.conditional_probability_alive(3, 30.0, 39.0)
    with warnings.catch_warnings():  # pandas 3 warns that this chained assignment does nothing
        warnings.simplefilter("ignore")
        bgf.params_["r"] = 10.0  # a copy: the model and params_ stay as they are
    assert bgf.params_["r"] != 10.0 and bgf.conditional_probability_alive(3, 30.0, 39.0) == p
    with pytest.raises(AttributeError):
        yutang.BetaGeoFitter().params_


def test_gamma_gamma_assigned_params_give_hardie_spreadsheet_values(cdnow_monetary):
    # lifetimes' test: p, q, v from Fader & Hardie's note 025 spreadsheet
    ggf = yutang.GammaGammaFitter()
    ggf.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    head = cdnow_monetary.head(10)
    got = ggf.conditional_expected_average_profit(head["frequency"], head["monetary_value"])
    np.testing.assert_allclose(got.values, [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17], atol=0.1)


def _heavy_tailed_spend():
    """Each customer's average a power of 1.6 times 10: the free estimate has q < 1."""
    return [(i % 4 + 1) for i in range(60)], [10.0 * 1.6 ** (i % 30) for i in range(60)]


def test_gamma_gamma_q_constraint_is_honoured():
    x, m = _heavy_tailed_spend()
    free = yutang.GammaGammaFitter().fit(x, m)
    on = yutang.GammaGammaFitter().fit(x, m, q_constraint=True)
    assert free.params_["q"] < 1.0 and on.params_["q"] == 1.0
    assert on.log_likelihood_ < free.log_likelihood_
    # every repeat buyer's expectation is finite (at q = 1 it is m + v / x)
    e = on.conditional_expected_average_profit(x, m)
    v = on.params_["v"]
    np.testing.assert_allclose(e, np.asarray(m) + v / np.asarray(x), rtol=1e-12)


def test_gamma_gamma_q_constraint_changes_nothing_when_q_is_above_one(cdnow_monetary):
    rep = cdnow_monetary[cdnow_monetary["frequency"] > 0]
    free = yutang.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    on = yutang.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"], q_constraint=True)
    assert on.params_.equals(free.params_)
    np.testing.assert_array_almost_equal(on.params_.values, [6.25, 3.74, 15.44], decimal=2)


# -- lifetimes' helpers: datasets, tracking, checks, objective, save/load -------------------
def test_datasets_load_the_frames_lifetimes_ships():
    from yutang import datasets
    s = datasets.load_cdnow_summary(index_col=[0])
    assert s.shape == (2357, 3) and list(s.columns) == ["frequency", "recency", "T"]
    m = datasets.load_cdnow_summary_data_with_monetary_value()
    assert m.index.name == "customer_id" and list(m.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert (m[m["frequency"] > 0]["monetary_value"] > 0).all() and len(m) == 2357
    d = datasets.load_donations()
    assert d["weights"].sum() == 11104  # Fader, Hardie & Shang 2010: 11,104 donors
    tx = datasets.load_transaction_data(parse_dates=["date"])
    assert list(tx.columns) == ["date", "id"] and tx["date"].dt.year.unique().tolist() == [2014]
    sample = datasets.load_dataset("CDNOW_sample.txt", header=None, sep=r"\s+")
    assert sample.shape == (6919, 5)
    with pytest.raises(FileNotFoundError, match="CDNOW_sample.txt"):
        datasets.load_dataset("../pool.py")


def _cdnow_sample_log():
    from yutang import datasets
    log = datasets.load_dataset("CDNOW_sample.txt", header=None, sep=r"\s+")
    log.columns = ["id_total", "id_sample", "date", "cds", "dollars"]
    return log[["id_sample", "date"]]


def test_expected_cumulative_transactions_equal_the_btyd_walkthrough():
    # R package BTYD, vignette "BTYD walkthrough" (Dziurzynski, Wadsworth & McCarthy):
    # Pareto/NBD on the CDNOW sample in weeks, cumulative tracking at weeks 20..25
    log = _cdnow_sample_log()
    s = yutang.utils.summary_data_from_transaction_data(log, "id_sample", "date", datetime_format="%Y%m%d", freq="D",
                                                        freq_multiplier=7, observation_period_end="19970930")
    pnbd = yutang.ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"])
    cum = yutang.utils.expected_cumulative_transactions(pnbd, log, "date", "id_sample", 25 * 7, "%Y%m%d", "D", freq_multiplier=7)
    assert list(cum.columns) == ["actual", "predicted"] and len(cum) == 25
    np.testing.assert_array_equal(cum["actual"].iloc[19:25], [1359, 1414, 1484, 1517, 1573, 1672])
    np.testing.assert_array_equal(cum["predicted"].iloc[19:25].round(), [1309, 1385, 1460, 1533, 1604, 1674])
    inc = cum.diff()
    np.testing.assert_allclose(inc["predicted"].iloc[19:25], [78.31, 76.42, 74.65, 72.98, 71.41, 69.93], atol=0.01)
    by_date = yutang.utils.expected_cumulative_transactions(pnbd, log, "date", "id_sample", 25 * 7, "%Y%m%d", "D",
                                                            freq_multiplier=7, set_index_date=True)
    assert str(by_date.index[0]) == "1997-01-07" and (by_date.values == cum.values).all()


def test_expected_cumulative_transactions_count_one_purchase_per_customer_and_period():
    tx = pd.DataFrame({"id": [1, 1, 1, 2, 2], "date": pd.to_datetime(
        ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-10"])})
    bgf = yutang.BetaGeoFitter.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    by_day = yutang.utils.expected_cumulative_transactions(bgf, tx, "date", "id", 10)
    # customer 1: first on day 0, one repeat on day 1 (twice that day); customer 2: repeat on day 9
    assert by_day["actual"].tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    e = bgf.expected_number_of_purchases_up_to_time
    assert by_day["predicted"].iloc[4] == pytest.approx(e(5) + e(3))  # day 5: 1 since day 0, 1 since day 2


def test_calculate_alive_path_follows_the_purchases():
    bgf = yutang.BetaGeoFitter.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    tx = pd.DataFrame({"date": ["2024-01-01", "2024-01-05", "2024-01-05", "2024-01-09"]})
    path = yutang.utils.calculate_alive_path(bgf, tx, "date", 20)
    assert len(path) == 21 and path[0] == 1.0
    # at day 12: two repeat days (4 and 8), the last on day 8
    assert path[12] == bgf.conditional_probability_alive(2, 8, 12)[0]
    assert path[8] > path[7] and path[20] < path[12]  # up at a purchase, down while none


def test_check_inputs_names_the_column_and_row():
    x, r, t = np.array([0, 1, 2]), np.array([0, 1, 10]), np.array([5, 6, 15])
    assert yutang.utils._check_inputs(x, r, t, np.array([2.3, 490, 33.33])) is None
    for args, field in [((x, t + 1, t), "recency[0]"), ((x, np.array([1, 1, 10]), t), "recency[0]"),
                        ((np.array([0, 0.5, 2]), r, t), "frequency[1]"), ((x, np.array([0, -1, 10]), t), "recency[1]"),
                        ((x, r, t, np.array([1.0, 0.0, 2.0])), "monetary_value[1]")]:
        with pytest.raises(ValueError) as e:
            yutang.utils._check_inputs(*args)
        assert isinstance(e.value, yutang.InvalidFieldError) and e.value.field == field
    assert yutang.utils._scale_time(np.arange(200.0)) == 1.0 / 199


def test_customer_lifetime_value_helper_equals_gamma_gamma_clv(cdnow_monetary):
    bgf = yutang.BetaGeoFitter().fit(cdnow_monetary["frequency"], cdnow_monetary["recency"], cdnow_monetary["T"])
    rb = cdnow_monetary[cdnow_monetary["frequency"] > 0]
    ggf = yutang.GammaGammaFitter().fit(rb["frequency"], rb["monetary_value"])
    s = cdnow_monetary.head(50)
    clv = ggf.customer_lifetime_value(bgf, s["frequency"], s["recency"], s["T"], s["monetary_value"], time=12,
                                      discount_rate=0.01, freq="W")
    spend = ggf.conditional_expected_average_profit(s["frequency"], s["monetary_value"])
    helper = yutang.utils._customer_lifetime_value(bgf, s["frequency"], s["recency"], s["T"], spend, time=12,
                                                   discount_rate=0.01, freq="W")
    assert helper.name == "clv" and helper.index.equals(s.index)  # aligned with the customers
    np.testing.assert_allclose(helper.values, clv.values, rtol=1e-12)


@pytest.mark.parametrize("cls, cols", [
    (yutang.BetaGeoFitter, ([1, 3], [2, 2], [5, 6])),
    (yutang.ModifiedBetaGeoFitter, ([1, 3], [2, 2], [5, 6])),
    (yutang.ParetoNBDFitter, ([1, 3], [2, 2], [5, 6])),
    (yutang.GammaGammaFitter, ([1, 3], [20.0, 35.0])),
    (yutang.BetaGeoBetaBinomFitter, ([1, 3], [2, 5], [6, 6])),
])
def test_lifetimes_objective_adds_up_over_rows(cls, cols):
    # all parameters 1: as log-parameters, or as themselves for Pareto/NBD (as lifetimes)
    params = np.zeros(len(cls._param_names)) if cls._nll_takes_logs else np.ones(len(cls._param_names))
    one = [cls._negative_log_likelihood(params, *[[c[i]] for c in cols], [1.0], 0.0) for i in range(2)]
    both = cls._negative_log_likelihood(params, *cols, [1.0, 1.0], 0.0)
    # lifetimes: the mean over the rows (the sum for Pareto/NBD, divided by the mean weight)
    assert both == pytest.approx(sum(one) if cls is yutang.ParetoNBDFitter else sum(one) / 2, rel=1e-15)
    native = cls._native_cls.from_params([1.0] * len(params)).log_likelihood(*[np.asarray(c, float) for c in cols])
    assert both == pytest.approx(-native if cls is yutang.ParetoNBDFitter else -native / 2, rel=1e-15)
    assert cls._negative_log_likelihood(params, *cols, [1.0, 1.0], 0.5) == pytest.approx(both + 0.5 * len(params))


def test_fitted_objective_and_scale_are_lifetimes(cdnow):
    bgf = yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert bgf._scale == 1.0 / cdnow["T"].max()
    # lifetimes' _negative_log_likelihood_: the mean objective on time scaled by _scale; the
    # data's own log-likelihood differs from it by the Jacobian of the scaling, sum(x) * ln(scale)
    x = cdnow["frequency"].to_numpy()
    assert bgf._negative_log_likelihood_ == pytest.approx(
        -(bgf.log_likelihood_ - x.sum() * np.log(bgf._scale)) / len(x), rel=1e-12)


def test_save_and_load_keep_what_lifetimes_keeps(tmp_path, cdnow):
    bgf = yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    path = str(tmp_path / "bgf.json")
    bgf.save_model(path)
    back = yutang.BetaGeoFitter()
    back.load_model(path)
    for k in ("penalizer_coef", "_scale", "_negative_log_likelihood_"):
        assert back.__dict__[k] == bgf.__dict__[k], k
    assert back.__dict__["params_"].equals(bgf.__dict__["params_"]) and back.data.equals(bgf.data)
    assert back.__dict__["predict"](1, 1, 2, 5) == bgf.predict(1, 1, 2, 5)
    assert back.predict.__self__ is back
    bgf.save_model(path, save_data=False, save_generate_data_method=False, values_to_save=["", None])
    back.load_model(path)
    assert back.__dict__["data"] == "" and back.__dict__["generate_new_data"] is None


def test_predictions_are_defined_on_a_grid_where_recency_and_frequency_disagree(bgf):
    # lifetimes draws P(alive) over every (frequency, recency) cell; fits still check the rows
    z = bgf.conditional_probability_alive_matrix(max_frequency=5, max_recency=10)
    assert z.shape == (11, 6) and np.isfinite(z).all() and (z[:, 0] == 1.0).all()
    assert z[3, 2] == bgf.conditional_probability_alive(2, 3, 10)[0]
    assert bgf.conditional_probability_alive(0, 4, 10)[0] == 1.0
    with pytest.raises(yutang.InvalidFieldError):
        yutang.BetaGeoFitter().fit([0, 1], [4, 1], [10, 10])
    with pytest.raises(yutang.InvalidFieldError):
        bgf.conditional_probability_alive(1, 11, 10)  # recency after T is still an error


# -- generate_data: seeded simulators; a fit recovers the parameters they were drawn with ----
@pytest.mark.parametrize("gen, fitter, params, size, args", [
    ("beta_geometric_nbd_model", yutang.BetaGeoFitter, dict(r=0.243, alpha=4.414, a=0.793, b=2.426), 50_000, (39,)),
    ("modified_beta_geometric_nbd_model", yutang.ModifiedBetaGeoFitter, dict(r=0.525, alpha=6.183, a=0.891, b=1.614), 50_000, (39,)),
    ("pareto_nbd_model", yutang.ParetoNBDFitter, dict(r=0.553, alpha=10.578, s=0.606, beta=11.669), 3_000, (39,)),
    ("beta_geometric_beta_binom_model", yutang.BetaGeoBetaBinomFitter, dict(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783), 50_000, (6,)),
])
def test_generated_customers_give_back_their_parameters(gen, fitter, params, size, args):
    from yutang import generate_data
    df = getattr(generate_data, gen)(*args, **params, size=size, seed=11)
    assert df.equals(getattr(generate_data, gen)(*args, **params, size=size, seed=11))  # seeded
    assert len(df) == size and df.index.name == "customer_id"
    third = "n_periods" if "n_periods" in df else "T"
    assert ((df["recency"] <= df[third]) & ((df["frequency"] == 0) == (df["recency"] == 0))).all()
    fit = fitter().fit(df["frequency"], df["recency"], df[third])
    est, se = fit.params_, fit.standard_errors_
    for k, v in params.items():
        assert abs(est[k] - v) <= 4 * se[k], (k, est[k], v, se[k])


@pytest.mark.parametrize("gen, cls, params", [
    ("beta_geometric_nbd_model", yutang.BetaGeoFitter, dict(r=0.243, alpha=4.414, a=0.793, b=2.426)),
    ("pareto_nbd_model", yutang.ParetoNBDFitter, dict(r=0.553, alpha=10.578, s=0.606, beta=11.669)),
])
def test_generated_purchase_counts_have_the_models_mean(gen, cls, params):
    from yutang import generate_data
    df = getattr(generate_data, gen)(39, **params, size=100_000, seed=5)
    want = cls.from_params(**params).expected_number_of_purchases_up_to_time(39)
    assert abs(df["frequency"].mean() - want) <= 4 * df["frequency"].std() / np.sqrt(len(df))


def test_generated_spend_gives_back_the_gamma_gamma_parameters():
    from yutang import generate_data
    df = generate_data.gamma_gamma_model(np.tile([1, 2, 3, 5], 5_000), p=6.25, q=3.74, v=15.44, seed=3)
    fit = yutang.GammaGammaFitter().fit(df["frequency"], df["monetary_value"])
    for k, v in dict(p=6.25, q=3.74, v=15.44).items():
        assert abs(fit.params_[k] - v) <= 4 * fit.standard_errors_[k], k
    with pytest.raises(ValueError, match="frequency"):
        generate_data.gamma_gamma_model([0, 1], 1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="alpha"):
        generate_data.beta_geometric_nbd_model(39, 0.2, -1.0, 0.8, 2.4, size=10)


def test_probability_of_n_purchases_takes_arrays_of_t_and_n(bgf):
    n = np.arange(0, 30)
    got = bgf.probability_of_n_purchases_up_to_time(39, n)
    assert got.shape == (30,) and got[3] == bgf.probability_of_n_purchases_up_to_time(39, 3)
    assert 0.99 < got.sum() <= 1.0  # most of the mass is below 30 purchases
    t = pd.Series([10.0, 20.0, 39.0], index=["a", "b", "c"])
    by_t = bgf.probability_of_n_purchases_up_to_time(t, 1)
    assert list(by_t.index) == ["a", "b", "c"] and by_t["c"] == got[1]
    grid = bgf.probability_of_n_purchases_up_to_time(np.array([[10.0], [39.0]]), np.array([[0, 1, 2]]))
    assert grid.shape == (2, 3) and grid[1, 2] == got[2]
    with pytest.raises(yutang.InvalidFieldError) as e:
        bgf.probability_of_n_purchases_up_to_time(39, [1, 2.5])
    assert e.value.field == "n[1]"


def test_pareto_nbd_small_probabilities_of_n_purchases_keep_their_digits():
    # ln P from the closed form of Fader & Hardie's note 028 in mpmath with enough digits
    # (scripts/reference/pareto_nbd_pmf.py); float64 evaluation of that form cancels to noise
    pnbd = yutang.ParetoNBDFitter.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    for t, n, ln_p in [(1.0, 20, -50.899531944532059), (39.0, 100, -28.2557326260455)]:
        assert np.log(pnbd.probability_of_n_purchases_up_to_time(t, n)) == pytest.approx(ln_p, abs=1e-10)


def test_generate_new_data_draws_from_the_fitted_model(cdnow, bgf):
    sim = bgf.generate_new_data(size=len(cdnow), seed=3)
    assert len(sim) == len(cdnow) and (sim["T"].to_numpy() == cdnow["T"].to_numpy()).all()
    assert sim.equals(bgf.generate_new_data(size=len(cdnow), seed=3))
    assert len(bgf.generate_new_data()) == 1 and len(bgf.generate_new_data(size=100)) == 100  # lifetimes' sizes
    # the simulated counts have the model's mean
    want = sum(bgf.expected_number_of_purchases_up_to_time(t) for t in cdnow["T"]) / len(cdnow)
    assert abs(sim["frequency"].mean() - want) <= 4 * sim["frequency"].std() / np.sqrt(len(sim))
    assert len(bgf.generate_new_data(size=10, T=39)) == 10
