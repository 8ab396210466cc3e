"""The standard pictures of the customer-base models, with lifetimes' functions, arguments and
labels (``lifetimes.plotting``); each returns the matplotlib Axes it drew on. matplotlib is an
optional dependency: ``pip install "yutang[plot]"``.

Deliberate difference from lifetimes: ``plot_period_transactions`` draws the model's expected
number of customers with each count (the sum over customers of P(X(T) = k)), not one random
simulation of it, so the picture is the same on every run.

>>> import matplotlib; matplotlib.use("Agg")
>>> import yutang
>>> from yutang.plotting import plot_probability_alive_matrix
>>> from yutang.datasets import load_cdnow_summary
>>> s = load_cdnow_summary()
>>> bgf = yutang.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
>>> plot_probability_alive_matrix(bgf).get_title().startswith("Probability Customer is Alive")
True
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
import pandas as pd

from ._tracking import calculate_alive_path, expected_cumulative_transactions, to_datetime

__all__ = [
    "plot_period_transactions",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_expected_repeat_purchases",
    "plot_history_alive",
    "plot_cumulative_transactions",
    "plot_incremental_transactions",
    "plot_transaction_rate_heterogeneity",
    "plot_dropout_rate_heterogeneity",
    "attribution",
    "cohort_heatmap",
    "journey_lift",
    "lifecycle_flow",
    "rfm_tiers",
    "journey_funnel",
]


def _plt() -> Any:
    try:
        from matplotlib import pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('yutang.plotting needs matplotlib: pip install "yutang[plot]"') from e
    return plt


def _fitted_data(model: Any) -> pd.DataFrame:
    model._check_fitted()
    if not isinstance(getattr(model, "data", None), pd.DataFrame):
        raise ValueError("this plot needs the data the model was fitted on (model.data); fit the model first")
    return model.data


def plot_period_transactions(model: Any, max_frequency: int = 7, title: str = "Frequency of Repeat Transactions",
                             xlabel: str = "Number of Calibration Period Transactions", ylabel: str = "Customers",
                             **kwargs: Any) -> Any:
    """Bars of the number of customers with 0, 1, … ``max_frequency - 1`` repeat purchases in
    the fitted data (``Actual``) and as the model expects them (``Model``: the sum over the
    customers of P(X(T) = k), or the BG/BB expectation over their opportunities)."""
    plt = _plt()
    data = _fitted_data(model)
    labels = kwargs.pop("label", ["Actual", "Model"])
    ks = np.arange(int(max_frequency))
    w = data["weights"].to_numpy() if "weights" in data else np.ones(len(data))
    actual = np.array([w[data["frequency"].to_numpy() == k].sum() for k in ks])
    if "n_periods" in data:
        expected = np.zeros(len(ks))
        total = w.sum()  # the expectation is of the fitted customers' count; scale to each group
        for n, wn in pd.Series(w).groupby(data["n_periods"].to_numpy()).sum().items():
            e = model.expected_number_of_transactions_in_first_n_periods(int(n))["model"]
            expected += wn / total * e.reindex(ks, fill_value=0.0).to_numpy()
    else:
        by_t = pd.Series(w).groupby(data["T"].to_numpy()).sum()
        expected = np.array([sum(wt * model.probability_of_n_purchases_up_to_time(t, int(k)) for t, wt in by_t.items())
                             for k in ks])
    counts = pd.DataFrame({labels[0]: actual, labels[1]: expected}, index=pd.Index(ks, name="frequency"))
    ax = counts.plot(kind="bar", **kwargs)
    ax.legend()
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    return ax


_X_LABELS = {
    "frequency_cal": "Purchases in calibration period",
    "recency_cal": "Age of customer at last purchase",
    "T_cal": "Age of customer at the end of calibration period",
    "time_since_last_purchase": "Time since user made last purchase",
}


def plot_calibration_purchases_vs_holdout_purchases(model: Any, calibration_holdout_matrix: pd.DataFrame,
                                                    kind: str = "frequency_cal", n: int = 7, **kwargs: Any) -> Any:
    """Average holdout purchases, actual and as the model predicts them from the calibration
    period, grouped by ``kind`` (``frequency_cal``, ``recency_cal``, ``T_cal`` or
    ``time_since_last_purchase``), the first ``n`` groups; the frame is what
    :func:`yutang.utils.calibration_and_holdout_data` returns."""
    plt = _plt()
    if kind not in _X_LABELS:
        raise ValueError(f"kind must be one of {', '.join(_X_LABELS)} (got {kind!r})")
    s = calibration_holdout_matrix.copy()
    duration = float(s["duration_holdout"].iloc[0])
    s["model_predictions"] = model.conditional_expected_number_of_purchases_up_to_time(
        duration, s["frequency_cal"], s["recency_cal"], s["T_cal"])
    if kind == "time_since_last_purchase":
        s[kind] = s["T_cal"] - s["recency_cal"]
    ax = s.groupby(kind)[["frequency_holdout", "model_predictions"]].mean().iloc[:n].plot(**kwargs)
    ax.set_title("Actual Purchases in Holdout Period vs Predicted Purchases")
    ax.set_xlabel(_X_LABELS[kind])
    ax.set_ylabel("Average of Purchases in Holdout Period")
    ax.legend()
    return ax


def _matrix(plt: Any, z: np.ndarray, title: str, xlabel: str, ylabel: str, kwargs: dict) -> Any:
    interpolation = kwargs.pop("interpolation", "none")
    ax = kwargs.pop("ax", None) or plt.figure().add_subplot(111)
    image = ax.imshow(z, interpolation=interpolation, aspect="auto", **kwargs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax)
    return ax


def plot_frequency_recency_matrix(model: Any, T: float = 1, max_frequency: Optional[int] = None,
                                  max_recency: Optional[int] = None, title: Optional[str] = None,
                                  xlabel: str = "Customer's Historical Frequency", ylabel: str = "Customer's Recency",
                                  **kwargs: Any) -> Any:
    """Heat map of the expected purchases in the next ``T`` periods by frequency (columns) and
    recency (rows), age = ``max_recency``."""
    plt = _plt()
    data = _fitted_data(model)
    max_frequency = int(data["frequency"].max()) if max_frequency is None else int(max_frequency)
    max_recency = int(data["T"].max()) if max_recency is None else int(max_recency)
    rec, freq = np.meshgrid(np.arange(max_recency + 1, dtype=float), np.arange(max_frequency + 1, dtype=float), indexing="ij")
    z = np.asarray(model.conditional_expected_number_of_purchases_up_to_time(
        T, freq.ravel(), rec.ravel(), np.full(rec.size, float(max_recency)))).reshape(rec.shape)
    if title is None:
        title = (f"Expected Number of Future Purchases for {T} Unit{'s'[T == 1:]} of Time,"
                 "\nby Frequency and Recency of a Customer")
    return _matrix(plt, z, title, xlabel, ylabel, kwargs)


def plot_probability_alive_matrix(model: Any, max_frequency: Optional[int] = None, max_recency: Optional[int] = None,
                                  title: str = "Probability Customer is Alive,\nby Frequency and Recency of a Customer",
                                  xlabel: str = "Customer's Historical Frequency", ylabel: str = "Customer's Recency",
                                  **kwargs: Any) -> Any:
    """Heat map of P(alive) by frequency (columns) and recency (rows), age = ``max_recency``
    (``model.conditional_probability_alive_matrix``)."""
    plt = _plt()
    z = model.conditional_probability_alive_matrix(max_frequency, max_recency)
    return _matrix(plt, z, title, xlabel, ylabel, kwargs)


def plot_expected_repeat_purchases(model: Any, title: str = "Expected Number of Repeat Purchases per Customer",
                                   xlabel: str = "Time Since First Purchase", ax: Any = None, label: Optional[str] = None,
                                   **kwargs: Any) -> Any:
    """E[X(t)] of a new customer over the fitted data's ages, solid, and dashed to a quarter
    beyond them."""
    plt = _plt()
    data = _fitted_data(model)
    ax = ax or plt.figure().add_subplot(111)
    end = float(data["T"].max())
    inside = np.linspace(0, end, 100)
    beyond = np.linspace(end, 1.25 * end, 25)
    line = ax.plot(inside, model.expected_number_of_purchases_up_to_time(inside), label=label, **kwargs)[0]
    ax.plot(beyond, model.expected_number_of_purchases_up_to_time(beyond), color=line.get_color(), ls="--")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    if label is not None:
        ax.legend(loc="lower right")
    return ax


def plot_history_alive(model: Any, t: int, transactions: Any, datetime_col: str, freq: str = "D",
                       start_date: Any = None, ax: Any = None, **kwargs: Any) -> Any:
    """One customer's P(alive) path over ``t`` periods from their first purchase, with a dashed
    line at each purchase; ``start_date`` sets where the view begins."""
    plt = _plt()
    ax = ax or plt.figure().add_subplot(111)
    dates = to_datetime(pd.DataFrame(transactions)[datetime_col])
    path = calculate_alive_path(model, transactions, datetime_col, t, freq)
    x = pd.period_range(dates.min(), periods=len(path), freq=freq).to_timestamp()
    ax.plot(x, path.to_numpy(), label="P_alive", **kwargs)
    for d in dates.dt.to_period(freq).unique():
        ax.axvline(d.to_timestamp(), color="r", linestyle="--", alpha=0.5)
    ax.set_title("History of P_alive")
    ax.set_ylabel("P_alive")
    ax.set_ylim(0, 1.05)
    if start_date is not None:  # the view starts there; the path starts at the first purchase
        ax.set_xlim(left=pd.Timestamp(start_date))
    ax.legend(["P_alive", "purchases"], loc=3)
    return ax


def _tracking(model: Any, transactions: Any, datetime_col: str, customer_id_col: str, t: int, t_cal: float,
              datetime_format: Optional[str], freq: str, set_index_date: bool, title: str, xlabel: str, ylabel: str,
              ax: Any, incremental: bool, freq_multiplier: int, kwargs: dict) -> Any:
    plt = _plt()
    ax = ax or plt.figure().add_subplot(111)
    df = expected_cumulative_transactions(model, transactions, datetime_col, customer_id_col, t, datetime_format, freq,
                                          freq_multiplier=freq_multiplier, set_index_date=set_index_date)
    if incremental:
        df = df - df.shift(1).fillna(0)
    df.plot(ax=ax, title=title, **kwargs)
    if set_index_date:
        x = df.index[int(t_cal) // freq_multiplier - 1]
        x = x.to_timestamp() if hasattr(x, "to_timestamp") else x
        ax.set_xlabel("date")
    else:
        x = t_cal / freq_multiplier
        ax.set_xlabel(xlabel)
    ax.axvline(x=x, color="r", linestyle="--")
    ax.set_ylabel(ylabel)
    return ax


def plot_cumulative_transactions(model: Any, transactions: Any, datetime_col: str, customer_id_col: str, t: int,
                                 t_cal: float, datetime_format: Optional[str] = None, freq: str = "D",
                                 set_index_date: bool = False, title: str = "Tracking Cumulative Transactions",
                                 xlabel: str = "day", ylabel: str = "Cumulative Transactions", ax: Any = None,
                                 freq_multiplier: int = 1, **kwargs: Any) -> Any:
    """The cohort's actual and expected cumulative repeat purchases
    (:func:`yutang.utils.expected_cumulative_transactions`), with a dashed line at the end of
    the calibration period ``t_cal``."""
    return _tracking(model, transactions, datetime_col, customer_id_col, t, t_cal, datetime_format, freq,
                     set_index_date, title, xlabel, ylabel, ax, False, freq_multiplier, kwargs)


def plot_incremental_transactions(model: Any, transactions: Any, datetime_col: str, customer_id_col: str, t: int,
                                  t_cal: float, datetime_format: Optional[str] = None, freq: str = "D",
                                  set_index_date: bool = False, title: str = "Tracking Daily Transactions",
                                  xlabel: str = "day", ylabel: str = "Transactions", ax: Any = None,
                                  freq_multiplier: int = 1, **kwargs: Any) -> Any:
    """As :func:`plot_cumulative_transactions`, per period instead of cumulated."""
    return _tracking(model, transactions, datetime_col, customer_id_col, t, t_cal, datetime_format, freq,
                     set_index_date, title, xlabel, ylabel, ax, True, freq_multiplier, kwargs)


def _density(plt: Any, x: np.ndarray, y: np.ndarray, title: str, suptitle: str, xlabel: str, ylabel: str,
             fontsize: int, kwargs: dict) -> Any:
    ax = kwargs.pop("ax", None) or plt.figure().add_subplot(111)
    ax.plot(x, y, **kwargs)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.suptitle(suptitle, fontsize=fontsize, fontweight="bold")
    return ax


def plot_transaction_rate_heterogeneity(model: Any, suptitle: str = "Heterogeneity in Transaction Rate",
                                        xlabel: str = "Transaction Rate", ylabel: str = "Density",
                                        suptitle_fontsize: int = 14, **kwargs: Any) -> Any:
    """The density of the customers' transaction rates, Gamma(r, alpha) (BG/NBD, MBG/NBD,
    Pareto/NBD), with its mean and coefficient of variation in the title."""
    plt = _plt()
    r, alpha = model._unload_params("r", "alpha")
    mean, cv = r / alpha, 1 / math.sqrt(r)
    x = np.linspace(0, mean + 5 * mean * cv, 500)[1:]
    y = np.exp(r * math.log(alpha) - math.lgamma(r) + (r - 1) * np.log(x) - alpha * x)
    return _density(plt, x, y, f"mean: {mean:.3f}, var: {mean * mean * cv * cv:.3f}", suptitle, xlabel, ylabel,
                    suptitle_fontsize, kwargs)


def plot_dropout_rate_heterogeneity(model: Any, suptitle: str = "Heterogeneity in Dropout Probability",
                                    xlabel: str = "Dropout Probability p", ylabel: str = "Density",
                                    suptitle_fontsize: int = 14, **kwargs: Any) -> Any:
    """The density of the customers' dropout probability after a purchase, Beta(a, b) (BG/NBD
    and MBG/NBD), with its mean and variance in the title."""
    plt = _plt()
    a, b = model._unload_params("a", "b")
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    x = np.linspace(0, 1, 502)[1:-1]
    ln_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    y = np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - ln_beta)
    return _density(plt, x, y, f"mean: {mean:.3f}, var: {var:.3f}", suptitle, xlabel, ylabel, suptitle_fontsize, kwargs)


# ---------------------------------------------------------------- the pool's pictures
# Each takes what the pool's call returns (pandas, as by default) and returns the Axes.


def _axes(plt: Any, ax: Any, figsize: tuple = (8, 5)) -> Any:
    return ax if ax is not None else plt.figure(figsize=figsize).add_subplot(111)


def attribution(result: pd.DataFrame, value: bool = False, ax: Any = None,
                title: str = "Conversions credited to each channel") -> Any:
    """Grouped horizontal bars: every model's credit per channel, from ``pool.attribution(...)``
    or the frames of :mod:`yutang.attribution` (a ``channel_name`` column and one
    ``<model>_conversions`` / ``<model>_value`` column per model). ``value=True`` draws the
    value columns."""
    plt = _plt()
    suffix = "_value" if value else "_conversions"
    if "channel_name" not in result:
        raise ValueError("attribution() needs a channel_name column (the frame of pool.attribution or yutang.attribution)")
    cols = [c for c in result.columns if c.endswith(suffix) and c != "total" + suffix]
    if not cols:
        raise ValueError(f"attribution() found no *{suffix} column in {list(result.columns)}")
    table = result.set_index("channel_name")[cols]
    table.columns = [c[: -len(suffix)].replace("_", " ") for c in cols]
    ax = table.plot(kind="barh", ax=_axes(plt, ax))
    ax.invert_yaxis()
    ax.legend(title="model", fontsize=8, bbox_to_anchor=(1.01, 1.0), loc="upper left")
    ax.set_title(title)
    ax.set_xlabel("value" if value else "conversions")
    ax.set_ylabel("channel")
    return ax


def cohort_heatmap(table: pd.DataFrame, ax: Any = None, title: str = "Cohort retention") -> Any:
    """Heat map of ``pool.cohort_retention(...)``: a row per first-order month (``cohort``), a
    column per ``months_since``, the ``retention`` share written in each cell."""
    plt = _plt()
    grid = table.pivot(index="cohort", columns="months_since", values="retention").sort_index()
    ax = _axes(plt, ax, (10, 0.4 * len(grid) + 2))
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0.0,
                      vmax=float(np.nanmax(grid.iloc[:, 1:].to_numpy(dtype=float))) if grid.shape[1] > 1 else 1.0)
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        if not math.isnan(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(c) for c in grid.index])
    ax.set_xlabel("months since first order")
    ax.set_ylabel("first-order month")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax)
    return ax


_STAGES = ["prospect", "new", "repeat", "at_risk", "churned", "won_back"]


def _stage_order(names: Any) -> list:
    known = [s for s in _STAGES if s in set(names)]
    return known + sorted(set(names) - set(known))


def lifecycle_flow(transitions: pd.DataFrame, ax: Any = None, title: str = "Lifecycle flows") -> Any:
    """The stage transition matrix of ``pool.stage_transitions(start, end)``: from-stage rows
    (``(new)`` for customers not yet known at the start) by to-stage columns, with the number of
    customers in each cell."""
    plt = _plt()
    t = transitions.assign(from_stage=transitions["from_stage"].fillna("(new)"))
    grid = t.pivot_table(index="from_stage", columns="to_stage", values="customers", aggfunc="sum", fill_value=0)
    rows = [r for r in ["(new)"] + _stage_order(grid.index) if r in grid.index]
    grid = grid.reindex(index=list(dict.fromkeys(rows)), columns=_stage_order(grid.columns), fill_value=0)
    ax = _axes(plt, ax)
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="Oranges")
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(grid.shape[1]), list(grid.columns))
    ax.set_yticks(range(grid.shape[0]), list(grid.index))
    ax.set_xlabel("to stage")
    ax.set_ylabel("from stage")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax)
    return ax


def rfm_tiers(rfm: pd.DataFrame, ax: Any = None, title: str = "Buyers by RFM tier") -> Any:
    """Bars of the number of buyers in each tier of ``pool.rfm(as_of)``, largest first."""
    plt = _plt()
    counts = rfm["tier"].value_counts().sort_values(ascending=True, kind="stable")
    ax = counts.plot(kind="barh", ax=_axes(plt, ax), color="#ff7f0e")
    ax.set_title(title)
    ax.set_xlabel("buyers")
    ax.set_ylabel("tier")
    return ax


def journey_funnel(simulation: pd.DataFrame, journey: Optional[str] = None, ax: Any = None,
                   title: Optional[str] = None) -> Any:
    """Bars of the actions per step of ``pool.simulate(...)`` (or ``pool.advance(...)``), steps in
    the order of their first action; ``journey`` picks one journey (default: the only one, or
    every journey's steps as ``journey/step``)."""
    plt = _plt()
    acts = simulation if journey is None else simulation[simulation["journey"] == journey]
    if acts.empty:
        raise ValueError(f"journey_funnel(): no actions{'' if journey is None else f' for journey {journey!r}'}")
    one = acts["journey"].nunique() == 1
    label = acts["step"] if one else acts["journey"] + "/" + acts["step"]
    counts = label.value_counts(sort=False).reindex(pd.unique(label))
    ax = counts.iloc[::-1].plot(kind="barh", ax=_axes(plt, ax), color="#1f77b4")
    ax.set_title(title or (f"{acts['journey'].iloc[0]}: actions per step" if one else "Actions per step"))
    ax.set_xlabel("actions")
    ax.set_ylabel("step")
    return ax


def journey_lift(results: pd.DataFrame, ax: Any = None, title: Optional[str] = None) -> Any:
    """The lift of each arm of ``pool.journey_results(...)`` over the baseline, in percentage
    points, with Newcombe's interval as error bars and the score-test p-value beside each bar
    (the baseline itself is not drawn)."""
    plt = _plt()
    rows = results[results["lift"].notna()]
    if rows.empty:
        raise ValueError("journey_lift(): no arm has a lift (is there a control arm or a global control group?)")
    ax = _axes(plt, ax)
    y = np.arange(len(rows))
    lift = rows["lift"].to_numpy(dtype=float) * 100
    err = np.vstack([lift - rows["lift_low"].to_numpy(dtype=float) * 100,
                     rows["lift_high"].to_numpy(dtype=float) * 100 - lift])
    colors = ["#2ca02c" if lo > 0 else "#d62728" if hi < 0 else "#7f7f7f"
              for lo, hi in zip(rows["lift_low"], rows["lift_high"])]
    ax.barh(y, lift, xerr=err, color=colors, capsize=4, height=0.5)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(rows["arm"].tolist())
    for k, (v, p) in enumerate(zip(lift, rows["p_value"])):
        ax.annotate("" if pd.isna(p) else f"p={p:.3g}", (v, k), xytext=(4, 8), textcoords="offset points", fontsize=8)
    base = results.attrs.get("baseline")
    ax.set_xlabel(f"conversion lift over {base or 'the baseline'} (percentage points)")
    ax.set_title(title or f"{results.attrs.get('journey', 'Journey')}: lift per arm")
    return ax
