"""yutang.plotting: lifetimes' pictures, each checked for what it draws (not just that it runs)."""
import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

import yutang  # noqa: E402
from yutang import plotting  # noqa: E402
from yutang.datasets import load_cdnow_summary, load_dataset, load_donations  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary(index_col=[0])


@pytest.fixture(scope="module")
def bgf(cdnow):
    return yutang.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def sample_log():
    log = load_dataset("CDNOW_sample.txt", header=None, sep=r"\s+")
    log.columns = ["id_total", "id_sample", "date", "cds", "dollars"]
    return log[["id_sample", "date"]]


def test_period_transactions_draw_the_actual_and_the_expected_counts(cdnow, bgf):
    ax = plotting.plot_period_transactions(bgf)
    assert ax.get_title() == "Frequency of Repeat Transactions" and ax.get_ylabel() == "Customers"
    actual, model = ax.containers
    heights = lambda c: np.array([b.get_height() for b in c])
    np.testing.assert_array_equal(heights(actual), [(cdnow["frequency"] == k).sum() for k in range(7)])
    want = [sum(bgf.probability_of_n_purchases_up_to_time(t, k) for t in cdnow["T"]) for k in range(7)]
    np.testing.assert_allclose(heights(model), want, rtol=1e-9)
    # the model's expectation of the whole distribution sums to the customers
    every = [sum(bgf.probability_of_n_purchases_up_to_time(t, k) for t in cdnow["T"]) for k in range(60)]
    assert sum(every) == pytest.approx(len(cdnow), rel=1e-5)  # the tail beyond 60 holds ~3e-6


def test_period_transactions_of_bg_bb_use_its_opportunities():
    d = load_donations()
    bb = yutang.BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], d["weights"])
    ax = plotting.plot_period_transactions(bb)
    model = np.array([b.get_height() for b in ax.containers[1]])
    want = bb.expected_number_of_transactions_in_first_n_periods(6)["model"].iloc[:7].to_numpy()
    np.testing.assert_allclose(model, want, rtol=1e-9)


def test_probability_alive_and_frequency_recency_matrices_are_the_models(bgf):
    ax = plotting.plot_probability_alive_matrix(bgf, max_frequency=10, max_recency=20)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), bgf.conditional_probability_alive_matrix(10, 20))
    ax = plotting.plot_frequency_recency_matrix(bgf, T=5, max_frequency=10, max_recency=20)
    z = ax.get_images()[0].get_array()
    assert z.shape == (21, 11) and z[4, 3] == pytest.approx(bgf.predict(5, 3, 4, 20)[0] if np.ndim(bgf.predict(5, 3, 4, 20)) else bgf.predict(5, 3, 4, 20))
    assert ax.get_title().startswith("Expected Number of Future Purchases for 5 Units of Time")


def test_calibration_vs_holdout_groups_actual_and_predicted(sample_log):
    ch = yutang.utils.calibration_and_holdout_data(sample_log, "id_sample", "date", "19970930", "19980630",
                                                   freq="D", freq_multiplier=7, datetime_format="%Y%m%d")
    m = yutang.BetaGeoFitter().fit(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    ax = plotting.plot_calibration_purchases_vs_holdout_purchases(m, ch)
    actual, predicted = ax.get_lines()
    want = ch.groupby("frequency_cal")["frequency_holdout"].mean().iloc[:7]
    np.testing.assert_allclose(actual.get_ydata(), want.to_numpy())
    assert predicted.get_ydata()[0] < predicted.get_ydata()[6]  # more calibration purchases, more later
    with pytest.raises(ValueError, match="kind"):
        plotting.plot_calibration_purchases_vs_holdout_purchases(m, ch, kind="nope")


def test_cumulative_and_incremental_tracking_draw_the_tracking_frame(sample_log):
    s = yutang.utils.summary_data_from_transaction_data(sample_log, "id_sample", "date", datetime_format="%Y%m%d", freq="D",
                                                        freq_multiplier=7, observation_period_end="19970930")
    pnbd = yutang.ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"])
    args = (pnbd, sample_log, "date", "id_sample", 78 * 7, 39 * 7)
    ax = plotting.plot_cumulative_transactions(*args, datetime_format="%Y%m%d", freq_multiplier=7)
    cum = yutang.utils.expected_cumulative_transactions(pnbd, sample_log, "date", "id_sample", 78 * 7, "%Y%m%d",
                                                        freq_multiplier=7)
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), cum["actual"].to_numpy())
    np.testing.assert_array_equal(lines[1].get_ydata(), cum["predicted"].to_numpy())
    assert lines[2].get_xdata()[0] == 39  # the end of calibration, in weeks
    ax = plotting.plot_incremental_transactions(*args, datetime_format="%Y%m%d", freq_multiplier=7)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[1:], np.diff(cum["actual"].to_numpy()))


def test_history_alive_draws_the_alive_path(bgf):
    tx = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-10"])})
    ax = plotting.plot_history_alive(bgf, 60, tx, "date")
    path = yutang.utils.calculate_alive_path(bgf, tx, "date", 60)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), path.to_numpy())
    assert len(ax.get_lines()) == 1 + 3  # the path and one line per purchase day
    later = plotting.plot_history_alive(bgf, 60, tx, "date", start_date="2024-01-15")
    line = later.get_lines()[0]
    assert (line.get_xdata()[0], line.get_ydata()[0]) == (ax.get_lines()[0].get_xdata()[0], 1.0)  # still at the first purchase
    assert matplotlib.dates.num2date(later.get_xlim()[0]).date().isoformat() == "2024-01-15"


def test_heterogeneity_curves_are_densities(bgf):
    from math import lgamma, log
    r, alpha, a, b = bgf._unload_params("r", "alpha", "a", "b")
    ax = plotting.plot_transaction_rate_heterogeneity(bgf)
    x, y = ax.get_lines()[0].get_data()
    # the Gamma(r, alpha) density of the transaction rates, by hand at a few points
    for i in (0, 100, 400):
        assert y[i] == pytest.approx(np.exp(r * log(alpha) - lgamma(r) + (r - 1) * log(x[i]) - alpha * x[i]), rel=1e-12)
    assert ax.get_title() == f"mean: {r / alpha:.3f}, var: {r / alpha ** 2:.3f}"
    ax = plotting.plot_dropout_rate_heterogeneity(bgf)
    x, y = ax.get_lines()[0].get_data()
    dx = x[1] - x[0]
    assert np.sum(y) * dx == pytest.approx(1.0, abs=0.02) and np.sum(y * x) * dx == pytest.approx(a / (a + b), abs=0.01)


def test_expected_repeat_purchases_follow_the_model(bgf):
    ax = plotting.plot_expected_repeat_purchases(bgf, label="BG/NBD")
    x, y = ax.get_lines()[0].get_data()
    np.testing.assert_allclose(y, bgf.expected_number_of_purchases_up_to_time(x))


def test_a_plot_that_needs_data_says_so():
    with pytest.raises(ValueError, match="data"):
        plotting.plot_period_transactions(yutang.BetaGeoFitter.from_params(r=0.2, alpha=4, a=0.8, b=2.4))


def test_the_lifetimes_quickstart_example_runs_and_draws_its_pictures(tmp_path):
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "lifetimes_quickstart.py")
    spec = importlib.util.spec_from_file_location("lifetimes_quickstart", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    written = example.main(str(tmp_path))
    assert len(written) == 5 and all(os.path.getsize(p) > 5_000 for p in written)


# ---------------------------------------------------------------- the pool's pictures
@pytest.fixture(scope="module")
def shop():
    from test_report import _pool

    return _pool()


def _saved(ax, name, tmp_path):
    """The figure as a PNG: written, and not blank."""
    from PIL import Image

    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path, dpi=60)
    img = np.asarray(Image.open(path).convert("L"))
    assert (img < 200).mean() > 0.01, f"{name}.png is nearly blank"
    return path


def test_attribution_bars_every_model_per_channel(shop, tmp_path):
    result = shop.attribution(as_of="2024-12-31")
    ax = plotting.attribution(result)
    models = [c for c in result.columns if c.endswith("_conversions")]
    assert len(ax.patches) == len(models) * len(result)
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(result["channel_name"])
    widths = {round(p.get_width(), 6) for p in ax.patches}
    assert round(float(result["markov_conversions"].iloc[0]), 6) in widths
    assert ax.get_xlabel() == "conversions" and plotting.attribution(result, value=True).get_xlabel() == "value"
    _saved(ax, "attribution", tmp_path)
    with pytest.raises(ValueError):
        plotting.attribution(pd.DataFrame({"x": [1]}))


def test_cohort_heatmap_has_a_cell_per_cohort_and_month(shop, tmp_path):
    table = shop.cohort_retention("2024-12-31")
    ax = plotting.cohort_heatmap(table)
    grid = ax.images[0].get_array()
    assert grid.shape == (table["cohort"].nunique(), table["months_since"].nunique())
    assert grid[0, 0] == pytest.approx(1.0)  # month 0 is everyone
    assert len(ax.texts) == table["retention"].notna().sum()
    _saved(ax, "cohort_heatmap", tmp_path)


def test_lifecycle_flow_counts_every_transition(shop, tmp_path):
    t = shop.stage_transitions("2024-07-01", "2024-12-31")
    ax = plotting.lifecycle_flow(t)
    assert ax.images[0].get_array().sum() == t["customers"].sum()
    assert ax.get_yticklabels()[0].get_text() in ("(new)", "prospect")
    _saved(ax, "lifecycle_flow", tmp_path)


def test_rfm_tiers_counts_buyers(shop, tmp_path):
    rfm = shop.rfm("2024-12-31")
    ax = plotting.rfm_tiers(rfm)
    assert sum(p.get_width() for p in ax.patches) == len(rfm)
    assert ax.patches[-1].get_width() == rfm["tier"].value_counts().max()  # largest on top
    _saved(ax, "rfm_tiers", tmp_path)


def test_journey_funnel_counts_actions_per_step(shop, tmp_path):
    sim = shop.simulate([yutang.journeys.coffee_coupon_ladder()], "2024-01-01", "2024-12-31")
    ax = plotting.journey_funnel(sim)
    counts = sim["step"].value_counts()
    bars = {t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), ax.patches)}
    assert bars == {k: float(v) for k, v in counts.items()}
    _saved(ax, "journey_funnel", tmp_path)
    with pytest.raises(ValueError):
        plotting.journey_funnel(sim, journey="nope")


def test_the_pool_pictures_example_draws_its_pictures_and_report(tmp_path):
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "pool_pictures.py")
    spec = importlib.util.spec_from_file_location("pool_pictures", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    written, report = example.main(str(tmp_path))
    assert len(written) == 5 and all(os.path.getsize(p) > 5_000 for p in written)
    assert open(report, encoding="utf-8").read().startswith("<!doctype html>")

