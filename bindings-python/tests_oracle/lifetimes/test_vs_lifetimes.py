"""Oracle tests: yutang against lifetimes 0.11.3 (scripts/oracle/lifetimes.txt pins the
environment: numpy 1.26.4, scipy 1.13.1, pandas 2.2.3, setuptools<70, pyarrow 20, mpmath).

- Where lifetimes is numerically sound, predictions with the same parameters agree to 1e-6
  relative (in practice ~1e-11), and summaries agree exactly.
- Fits: lifetimes stops its optimiser early (BFGS tol 1e-7 on the mean, Nelder-Mead tol 1e-4 for
  Pareto/NBD); yutang's estimates have a log-likelihood at least as high, and parameters agree to
  lifetimes' optimiser accuracy.
- Where lifetimes breaks (NaN/overflow), yutang is finite and matches mpmath at 50 digits.
"""
import os
import warnings

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

warnings.simplefilter("ignore")

import lifetimes  # noqa: E402
from lifetimes import utils as lt_utils  # noqa: E402

import yutang  # noqa: E402

HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, "..", "..", "..", "data", "cdnow")
REL = 1e-6


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(os.path.join(DATA, "cdnow_customers_summary.csv"))


@pytest.fixture(scope="module")
def sample_log():
    df = pd.read_csv(os.path.join(DATA, "CDNOW_sample.txt"), sep=r"\s+", header=None,
                     names=["master", "id", "date", "cds", "dollars"], dtype={"date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


def close(a, b, rel=REL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.allclose(a, b, rtol=rel, atol=0)


# ------------------------------------------------------------------ summaries

@pytest.mark.parametrize("freq,mult", [("D", 1), ("W", 1), ("D", 7)])
@pytest.mark.parametrize("first", [False, True])
def test_summary_equals_lifetimes_on_cdnow_sample(sample_log, freq, mult, first):
    kw = dict(monetary_value_col="dollars", observation_period_end="1997-09-30", freq=freq,
              freq_multiplier=mult, include_first_transaction=first)
    want = lt_utils.summary_data_from_transaction_data(sample_log, "id", "date", **kw)
    got = yutang.utils.summary_data_from_transaction_data(sample_log, "id", "date", **kw)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False, rtol=1e-12)


def test_summary_equals_lifetimes_on_random_hourly_log():
    rng = np.random.default_rng(7)
    n = 20000
    ids = rng.choice([f"c{i:04d}" for i in range(1500)], n)
    ts = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 400 * 24 * 60, n), unit="min")
    df = pd.DataFrame({"cid": ids, "ts": ts, "amount": rng.gamma(2.0, 20.0, n).round(2)})
    for freq in ["D", "W"]:
        want = lt_utils.summary_data_from_transaction_data(df, "cid", "ts", "amount", freq=freq)
        got = yutang.utils.summary_data_from_transaction_data(df, "cid", "ts", "amount", freq=freq)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12)


@pytest.mark.parametrize("freq", ["D", "W"])
def test_calibration_and_holdout_equals_lifetimes(sample_log, freq):
    kw = dict(calibration_period_end="1997-09-30", observation_period_end="1998-06-30", freq=freq,
              monetary_value_col="dollars")
    want = lt_utils.calibration_and_holdout_data(sample_log, "id", "date", **kw)
    got = yutang.utils.calibration_and_holdout_data(sample_log, "id", "date", **kw)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12)


# ------------------------------------------------------------------ predictions, same parameters

BG = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)
MBG = dict(r=0.525, alpha=6.183, a=0.891, b=1.614)
PARETO = dict(r=0.553, alpha=10.578, s=0.606, beta=11.669)


def lt_with(cls, params):
    m = cls()
    m.params_ = pd.Series(params)
    return m


@pytest.mark.parametrize("cls_lt,cls_yt,params", [
    (lifetimes.BetaGeoFitter, yutang.BetaGeoFitter, BG),
    (lifetimes.ModifiedBetaGeoFitter, yutang.ModifiedBetaGeoFitter, MBG),
    (lifetimes.ParetoNBDFitter, yutang.ParetoNBDFitter, PARETO),
])
@pytest.mark.parametrize("t", [1.0, 39.0, 100.0])
def test_predictions_equal_lifetimes_on_cdnow(cdnow, cls_lt, cls_yt, params, t):
    lt, yt = lt_with(cls_lt, params), cls_yt.from_params(**params)
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    assert close(yt.conditional_expected_number_of_purchases_up_to_time(t, f, r, T),
                 lt.conditional_expected_number_of_purchases_up_to_time(t, f, r, T))
    assert close(yt.conditional_probability_alive(f, r, T), lt.conditional_probability_alive(f, r, T))
    ts = np.array([0.5, t, 10 * t])
    assert close(yt.expected_number_of_purchases_up_to_time(ts), lt.expected_number_of_purchases_up_to_time(ts))


@pytest.mark.parametrize("cls_lt,cls_yt,params", [
    (lifetimes.BetaGeoFitter, yutang.BetaGeoFitter, BG),
    (lifetimes.ModifiedBetaGeoFitter, yutang.ModifiedBetaGeoFitter, MBG),
])
def test_probability_of_n_purchases_equals_lifetimes(cls_lt, cls_yt, params):
    lt, yt = lt_with(cls_lt, params), cls_yt.from_params(**params)
    for t in [1.0, 39.0, 78.0]:
        for n in range(0, 40):
            want = lt.probability_of_n_purchases_up_to_time(t, n)
            if want < 1e-8:
                continue  # lifetimes' 1 - partial sum cancels here: see the mpmath test below
            assert close(yt.probability_of_n_purchases_up_to_time(t, n), want), (t, n)


def test_pareto_conditional_probability_of_n_equals_lifetimes():
    lt, yt = lt_with(lifetimes.ParetoNBDFitter, PARETO), yutang.ParetoNBDFitter.from_params(**PARETO)
    for (x, tx, T) in [(0, 0, 39.0), (2, 30.43, 38.86), (5, 10.0, 39.0)]:
        for n in range(0, 6):
            a = yt.conditional_probability_of_n_purchases_up_to_time(n, 39.0, x, tx, T)
            b = lt.conditional_probability_of_n_purchases_up_to_time(n, 39.0, x, tx, T)
            assert close(a, b, 1e-6) or abs(a - b) < 1e-12, (x, n, a, b)


def test_gamma_gamma_and_clv_equal_lifetimes(cdnow):
    gg_lt = lt_with(lifetimes.GammaGammaFitter, dict(p=6.25, q=3.74, v=15.44))
    gg_yt = yutang.GammaGammaFitter.from_params(p=6.25, q=3.74, v=15.44)
    rng = np.random.default_rng(1)
    m = pd.Series(rng.gamma(3.0, 12.0, len(cdnow)) * (cdnow["frequency"] > 0))
    f = cdnow["frequency"]
    assert close(gg_yt.conditional_expected_average_profit(f, m), gg_lt.conditional_expected_average_profit(f, m))
    for cls_lt, cls_yt, params in [(lifetimes.BetaGeoFitter, yutang.BetaGeoFitter, BG),
                                   (lifetimes.ParetoNBDFitter, yutang.ParetoNBDFitter, PARETO)]:
        lt, yt = lt_with(cls_lt, params), cls_yt.from_params(**params)
        lt.predict = lt.conditional_expected_number_of_purchases_up_to_time
        for freq, time, rate in [("W", 12, 0.01), ("D", 6, 0.05)]:
            want = gg_lt.customer_lifetime_value(lt, f, cdnow["recency"], cdnow["T"], m, time=time, discount_rate=rate, freq=freq)
            got = gg_yt.customer_lifetime_value(yt, f, cdnow["recency"], cdnow["T"], m, time=time, discount_rate=rate, freq=freq)
            assert close(got, want), freq


def test_bg_bb_predictions_equal_lifetimes():
    d = pd.read_csv(os.path.join(DATA, "donations.csv"))
    lt = lifetimes.BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], weights=d["weights"])
    yt = yutang.BetaGeoBetaBinomFitter.from_params(**lt.params_.to_dict())
    yt.data = lt.data
    for m in [1, 5, 10]:
        assert close(yt.conditional_expected_number_of_purchases_up_to_time(m, d["frequency"], d["recency"], d["periods"]),
                     lt.conditional_expected_number_of_purchases_up_to_time(m, d["frequency"], d["recency"], d["periods"]), 1e-6)
        assert close(yt.conditional_probability_alive(m, d["frequency"], d["recency"], d["periods"]),
                     lt.conditional_probability_alive(m, d["frequency"], d["recency"], d["periods"]), 1e-6)
    want = lt.expected_number_of_transactions_in_first_n_periods(6)
    got = yt.expected_number_of_transactions_in_first_n_periods(6)
    assert close(got["model"].values, want["model"].values, 1e-6)


# ------------------------------------------------------------------ fits

def total_ll(model_yt, f, r, T, w=None):
    return model_yt._model.log_likelihood(np.asarray(f, float), np.asarray(r, float), np.asarray(T, float),
                                          None if w is None else np.asarray(w, float))


@pytest.mark.parametrize("cls_lt,cls_yt", [
    (lifetimes.BetaGeoFitter, yutang.BetaGeoFitter),
    (lifetimes.ModifiedBetaGeoFitter, yutang.ModifiedBetaGeoFitter),
    (lifetimes.ParetoNBDFitter, yutang.ParetoNBDFitter),
])
@pytest.mark.parametrize("pen", [0.0, 0.01])
def test_fits_reach_at_least_lifetimes_likelihood(cdnow, cls_lt, cls_yt, pen):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    lt = cls_lt(penalizer_coef=pen).fit(f, r, T)
    yt = cls_yt(penalizer_coef=pen).fit(f, r, T)
    # yutang's objective is lifetimes' objective times the number of customers (same argmin)
    obj_yt = -total_ll(yt, f, r, T)
    obj_lt = -total_ll(cls_yt.from_params(**lt.params_.to_dict()), f, r, T)
    if pen == 0.0:
        assert obj_yt <= obj_lt + 1e-9
    # parameters agree to lifetimes' optimiser accuracy
    tol = 2e-2 if cls_lt is lifetimes.ParetoNBDFitter else 2e-3
    assert close(yt.params_.values, lt.params_[yt.params_.index].values, tol), (yt.params_, lt.params_)


def test_gamma_gamma_fit_equals_lifetimes(sample_log):
    s = yutang.utils.summary_data_from_transaction_data(sample_log, "id", "date", "dollars",
                                                         observation_period_end="1997-09-30", freq="D", freq_multiplier=7)
    rb = s[s["frequency"] > 0]
    lt = lifetimes.GammaGammaFitter().fit(rb["frequency"], rb["monetary_value"])
    yt = yutang.GammaGammaFitter().fit(rb["frequency"], rb["monetary_value"])
    assert close(yt.params_.values, lt.params_.values, 1e-4)
    assert close(yt.standard_errors_.values, lt.standard_errors_.values, 1e-2)


def test_bg_nbd_standard_errors_equal_lifetimes(cdnow):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    lt = lifetimes.BetaGeoFitter().fit(f, r, T)
    yt = yutang.BetaGeoFitter().fit(f, r, T)
    assert close(yt.standard_errors_.values, lt.standard_errors_.values, 1e-3)
    assert list(yt.summary.columns) == list(lt.summary.columns)


# ------------------------------------------------------------------ where lifetimes breaks

mp.mp.dps = 50


def mp_bgnbd_conditional(t, x, tx, T, r, alpha, a, b):
    """FHL (2005) eq. 10 evaluated with mpmath at 50 digits, straight from the paper."""
    r, alpha, a, b, t, x, tx, T = map(mp.mpf, (r, alpha, a, b, t, x, tx, T))
    z = t / (alpha + T + t)
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x, a + b + x - 1, z, maxterms=10**7))
    den = 1 + (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return float(num / den)


def mp_mbgnbd_conditional(t, x, tx, T, r, alpha, a, b):
    r, alpha, a, b, t, x, tx, T = map(mp.mpf, (r, alpha, a, b, t, x, tx, T))
    z = t / (alpha + T + t)
    num = (a + b + x) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x + 1, a + b + x, z, maxterms=10**7))
    den = 1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return float(num / den)


def mp_bgnbd_p_n(t, n, r, alpha, a, b):
    """FHL (2005) eq. 8 at 50 digits."""
    r, alpha, a, b, t = map(mp.mpf, (r, alpha, a, b, t))
    first = mp.beta(a, b + n) / mp.beta(a, b) * mp.gamma(r + n) / mp.gamma(r) / mp.factorial(n) * (alpha / (alpha + t)) ** r * (t / (alpha + t)) ** n
    s = mp.fsum(mp.gamma(r + j) / mp.gamma(r) / mp.factorial(j) * (t / (alpha + t)) ** j for j in range(n))
    second = mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * (1 - (alpha / (alpha + t)) ** r * s)
    return float(first + second)


def test_mbg_nbd_heavy_buyer_lifetimes_nan_yutang_matches_mpmath():
    lt, yt = lt_with(lifetimes.ModifiedBetaGeoFitter, MBG), yutang.ModifiedBetaGeoFitter.from_params(**MBG)
    for x in [2000, 10000]:
        assert np.isnan(lt.conditional_expected_number_of_purchases_up_to_time(39, x, 39.0, 39.0))
        got = yt.conditional_expected_number_of_purchases_up_to_time(39, x, 39.0, 39.0)
        assert close(got, mp_mbgnbd_conditional(39, x, 39.0, 39.0, **MBG), 1e-10)


def test_bg_nbd_probability_of_n_lifetimes_nan_yutang_matches_mpmath():
    lt, yt = lt_with(lifetimes.BetaGeoFitter, BG), yutang.BetaGeoFitter.from_params(**BG)
    for t, n in [(39.0, 200), (1000.0, 300)]:
        assert np.isnan(lt.probability_of_n_purchases_up_to_time(t, n))
        assert close(yt.probability_of_n_purchases_up_to_time(t, n), mp_bgnbd_p_n(t, n, **BG), 1e-9)


def test_bg_nbd_extreme_history_matches_mpmath_better_than_lifetimes():
    # frequency = recency = T = 1e5: both finite, yutang within 1e-12 of mpmath, lifetimes ~1e-10 off.
    lt, yt = lt_with(lifetimes.BetaGeoFitter, BG), yutang.BetaGeoFitter.from_params(**BG)
    want = mp_bgnbd_conditional(39, 1e5, 1e5, 1e5, **BG)
    got = yt.conditional_expected_number_of_purchases_up_to_time(39, 1e5, 1e5, 1e5)
    ltv = lt.conditional_expected_number_of_purchases_up_to_time(39, 1e5, 1e5, 1e5)
    assert abs(got - want) <= abs(ltv - want) + 1e-15
    assert close(got, want, 1e-11)


def test_bg_nbd_small_probability_of_n_lifetimes_cancels_yutang_matches_mpmath():
    # lifetimes computes 1 - (alpha/(alpha+t))^r * partial sum: for small t and larger n the
    # difference is below rounding and comes out as noise; yutang sums the tail directly.
    lt, yt = lt_with(lifetimes.BetaGeoFitter, BG), yutang.BetaGeoFitter.from_params(**BG)
    for t, n in [(1.0, 13), (1.0, 20), (2.0, 25)]:
        want = mp_bgnbd_p_n(t, n, **BG)
        assert close(yt.probability_of_n_purchases_up_to_time(t, n), want, 1e-9)
        assert not close(lt.probability_of_n_purchases_up_to_time(t, n), want, 1e-6)


def test_gamma_gamma_q_constraint_equals_lifetimes():
    # heavy-tailed spend (each customer's average a power of 1.6 times 10): the free estimate
    # has q < 1, so lifetimes' bound log q >= 0 is active and both fits end on q = 1
    x = np.array([(i % 4 + 1) for i in range(60)], dtype=float)
    m = np.array([10.0 * 1.6 ** (i % 30) for i in range(60)])
    lt = lifetimes.GammaGammaFitter().fit(x, m, q_constraint=True)
    yt = yutang.GammaGammaFitter().fit(x, m, q_constraint=True)
    assert yutang.GammaGammaFitter().fit(x, m).params_["q"] < 1.0
    assert yt.params_["q"] == 1.0 and abs(lt.params_["q"] - 1.0) < 1e-6, lt.params_
    # lifetimes stops at its L-BFGS-B tolerance; ours is the exact maximum on the bound
    nll = lambda f: lt._negative_log_likelihood(np.log(f.params_[["p", "q", "v"]].values), x, m, np.ones_like(x), 0.0)
    assert nll(yt) <= nll(lt) + 1e-9, (nll(yt), nll(lt))
    assert close(yt.params_.values, lt.params_.values, 1e-2), (yt.params_, lt.params_)
    # on the bound lifetimes' expected spend is 0 * inf (inf or nan); ours is its limit m + v/x
    with np.errstate(all="ignore"):
        e_lt = lt.conditional_expected_average_profit(pd.Series(x), pd.Series(m)).values
    assert not np.isfinite(e_lt).any()
    e_yt = yt.conditional_expected_average_profit(x, m)
    assert close(e_yt, m + yt.params_["v"] / x, 1e-12)


def test_objectives_take_lifetimes_arguments():
    # BG/NBD's objective takes log-parameters, Pareto/NBD's the parameters themselves
    x, tx, T = np.array([1.0, 3.0, 0.0]), np.array([2.0, 2.5, 0.0]), np.array([5.0, 6.0, 4.0])
    w = np.array([1.0, 2.0, 1.0])
    p = np.array([0.5, 0.2, 0.6, 0.3])
    for lt_cls, yt_cls in [(lifetimes.BetaGeoFitter, yutang.BetaGeoFitter), (lifetimes.ParetoNBDFitter, yutang.ParetoNBDFitter)]:
        want = lt_cls()._negative_log_likelihood(p, x, tx, T, w, 0.1)
        got = yt_cls()._negative_log_likelihood(p, x, tx, T, w, 0.1)
        assert got == pytest.approx(want, rel=1e-9), lt_cls.__name__


def test_gamma_gamma_q_constraint_where_the_free_fit_fails_equals_lifetimes():
    # Pareto-tailed spend: the free fit runs off towards q -> 0; both end on q = 1
    u = (np.arange(300) + 0.5) / 300
    x, m = (np.arange(300) % 5 + 1).astype(float), 10 * u ** (-1 / 0.3)
    with pytest.raises(yutang.ConvergenceError):
        yutang.GammaGammaFitter().fit(x, m)
    lt = lifetimes.GammaGammaFitter().fit(x, m, q_constraint=True)
    yt = yutang.GammaGammaFitter().fit(x, m, q_constraint=True)
    assert yt.params_["q"] == 1.0 and abs(lt.params_["q"] - 1.0) < 1e-6
    nll = lambda f: lt._negative_log_likelihood(np.log(f.params_[["p", "q", "v"]].values), x, m, np.ones_like(x), 0.0)
    assert nll(yt) <= nll(lt) + 1e-9
    assert close(yt.params_.values, lt.params_.values, 1e-2), (yt.params_, lt.params_)
