//! Python bindings for `yutang::metrics`: code columns cross as numpy arrays (zero copy),
//! results come back as JSON that `yutang.metrics` turns into tables of the caller's kind.
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use serde_json::json;
use yutang::metrics as m;
use yutang::{Error, Timestamp};

use crate::errors::to_py_err;
use crate::pool::PyPool;

type U32<'py> = PyReadonlyArray1<'py, u32>;
type I64<'py> = PyReadonlyArray1<'py, i64>;
type F64<'py> = PyReadonlyArray1<'py, f64>;

/// Serialise a result (`serde_json::to_string` without naming serde's trait: no serde dependency).
macro_rules! ser {
    ($v:expr) => {
        serde_json::to_string($v).map_err(|e| to_py_err(Error::invalid("result", "", e.to_string())))
    };
}

fn tz(name: &str) -> PyResult<chrono_tz::Tz> {
    yutang::parse_tz(name).map_err(to_py_err)
}

fn time(pool: &yutang::Pool, s: Option<&str>) -> yutang::Result<Option<Timestamp>> {
    s.map(|s| yutang::parse_time(s, pool.time_zone())).transpose()
}

fn cohorts_json(c: &m::Cohorts) -> serde_json::Value {
    json!({"cohorts": c.cohorts, "customers": c.customers, "repeat_customers": c.repeat_customers,
           "repurchase_rate": c.repurchase_rate()})
}

/// Cohort retention from code columns; JSON `{cohorts, customers, repeat_customers, repurchase_rate}`.
#[pyfunction]
#[pyo3(signature = (customers, at, time_zone, as_of=None))]
fn metrics_cohort_retention(
    py: Python<'_>,
    customers: U32<'_>,
    at: I64<'_>,
    time_zone: &str,
    as_of: Option<i64>,
) -> PyResult<String> {
    let (c, t) = (customers.as_slice()?, at.as_slice()?);
    let mut o = m::CohortOptions::new().time_zone(tz(time_zone)?);
    o.as_of = as_of;
    let r = py.detach(|| m::cohort_retention(c, t, &o)).map_err(to_py_err)?;
    ser!(&cohorts_json(&r))
}

fn categories_json(v: &[m::CategoryMetrics]) -> serde_json::Value {
    serde_json::Value::Array(
        v.iter()
            .map(|c| {
                json!({"category": c.category, "cohorts": cohorts_json(&c.cohorts), "orders": c.orders,
                   "revenue": c.revenue, "aov": c.aov, "repurchase_rate": c.repurchase_rate,
                   "fit_score": c.fit_score, "fit": c.fit.as_str(), "customers": c.cohorts.customers,
                   "repeat_customers": c.cohorts.repeat_customers})
            })
            .collect(),
    )
}

/// Category metrics from code columns; JSON list.
#[pyfunction]
#[pyo3(signature = (customers, at, categories, names, amount, time_zone, as_of=None, fit_thresholds=None))]
#[allow(clippy::too_many_arguments)]
fn metrics_category_metrics(
    py: Python<'_>,
    customers: U32<'_>,
    at: I64<'_>,
    categories: U32<'_>,
    names: Vec<String>,
    amount: Option<F64<'_>>,
    time_zone: &str,
    as_of: Option<i64>,
    fit_thresholds: Option<(f64, f64)>,
) -> PyResult<String> {
    let (c, t, k) = (customers.as_slice()?, at.as_slice()?, categories.as_slice()?);
    let a = amount.as_ref().map(|a| a.as_slice()).transpose()?;
    let mut o = m::CohortOptions::new().time_zone(tz(time_zone)?);
    o.as_of = as_of;
    o.fit_thresholds = fit_thresholds;
    let r = py.detach(|| m::category_metrics(c, t, k, &names, a, &o)).map_err(to_py_err)?;
    ser!(&categories_json(&r))
}

fn growth_json(g: &m::Growth) -> serde_json::Value {
    let rows = |v: &[m::GrowthRow]| -> Vec<serde_json::Value> {
        v.iter()
            .map(|r| {
                let mut x = serde_json::to_value(r).unwrap_or_default();
                x["value"] = json!(r.value());
                x
            })
            .collect()
    };
    json!({"previous": rows(&g.previous), "current": rows(&g.current), "decomposition": g.decomposition})
}

/// Growth formula from code columns; JSON `{previous, current, decomposition}`.
#[pyfunction]
#[pyo3(signature = (customers, at, kind, amount, channel, channel_names, previous, current, traffic, ltv_days=Some(365)))]
#[allow(clippy::too_many_arguments)]
fn metrics_growth(
    py: Python<'_>,
    customers: U32<'_>,
    at: I64<'_>,
    kind: PyReadonlyArray1<'_, u8>,
    amount: F64<'_>,
    channel: Option<U32<'_>>,
    channel_names: Vec<String>,
    previous: (i64, i64),
    current: (i64, i64),
    traffic: &str,
    ltv_days: Option<u32>,
) -> PyResult<String> {
    let ch = channel.as_ref().map(|c| c.as_slice()).transpose()?;
    let cols = m::GrowthColumns {
        customers: customers.as_slice()?,
        at: at.as_slice()?,
        kind: kind.as_slice()?,
        amount: amount.as_slice()?,
        channel: ch,
        channel_names: &channel_names,
    };
    let opts = m::GrowthOptions { traffic: m::Traffic::parse(traffic).map_err(to_py_err)?, ltv_days };
    let g = py
        .detach(|| {
            m::growth(
                &cols,
                m::Period { start: previous.0, end: previous.1 },
                m::Period { start: current.0, end: current.1 },
                &opts,
            )
        })
        .map_err(to_py_err)?;
    ser!(&growth_json(&g))
}

/// LMDI decomposition of a product of named factors; JSON of the decomposition.
#[pyfunction]
fn metrics_decompose(names: Vec<String>, previous: Vec<f64>, current: Vec<f64>) -> PyResult<String> {
    let n: Vec<&str> = names.iter().map(String::as_str).collect();
    ser!(&m::decompose(&n, &previous, &current).map_err(to_py_err)?)
}

fn affinity_opts(min_support: f64, min_confidence: f64, min_count: u64) -> m::AffinityOptions {
    m::AffinityOptions { min_support, min_confidence, min_count, ..Default::default() }
}

/// Pair rules from basket/item code columns; JSON `{baskets, items, rules}`.
#[pyfunction]
#[pyo3(signature = (baskets, items, names, min_support, min_confidence, min_count))]
fn metrics_affinity(
    py: Python<'_>,
    baskets: U32<'_>,
    items: U32<'_>,
    names: Vec<String>,
    min_support: f64,
    min_confidence: f64,
    min_count: u64,
) -> PyResult<String> {
    let (b, i) = (baskets.as_slice()?, items.as_slice()?);
    let o = affinity_opts(min_support, min_confidence, min_count);
    let a = py.detach(|| m::affinity(b, i, &names, &o)).map_err(to_py_err)?;
    ser!(&a)
}

/// Recommendations for every customer of the rows; JSON list of `[customer code, rank, rec]`.
#[pyfunction]
#[pyo3(signature = (baskets, items, names, customers, n, min_support, min_confidence, min_count))]
#[allow(clippy::too_many_arguments)]
fn metrics_recommend(
    py: Python<'_>,
    baskets: U32<'_>,
    items: U32<'_>,
    names: Vec<String>,
    customers: U32<'_>,
    n: usize,
    min_support: f64,
    min_confidence: f64,
    min_count: u64,
) -> PyResult<String> {
    let (b, i, c) = (baskets.as_slice()?, items.as_slice()?, customers.as_slice()?);
    let o = affinity_opts(min_support, min_confidence, min_count);
    let r = py
        .detach(|| {
            let a = m::affinity(b, i, &names, &o)?;
            m::recommend(&a, c, i, &names, n)
        })
        .map_err(to_py_err)?;
    ser!(&r)
}

// ------------------------------------------------------------------ on the pool

#[pyfunction]
#[pyo3(signature = (pool, as_of=None))]
fn pool_cohort_retention(py: Python<'_>, pool: &PyPool, as_of: Option<&str>) -> PyResult<String> {
    let r = py
        .detach(|| {
            let p = pool.read();
            p.cohort_retention(time(&p, as_of)?)
        })
        .map_err(to_py_err)?;
    ser!(&cohorts_json(&r))
}

#[pyfunction]
#[pyo3(signature = (pool, as_of=None))]
fn pool_category_metrics(py: Python<'_>, pool: &PyPool, as_of: Option<&str>) -> PyResult<String> {
    let r = py
        .detach(|| {
            let p = pool.read();
            p.category_metrics(time(&p, as_of)?)
        })
        .map_err(to_py_err)?;
    ser!(&categories_json(&r))
}

#[pyfunction]
#[pyo3(signature = (pool, previous, current, traffic, ltv_days=Some(365)))]
fn pool_growth(
    py: Python<'_>,
    pool: &PyPool,
    previous: (String, String),
    current: (String, String),
    traffic: &str,
    ltv_days: Option<u32>,
) -> PyResult<String> {
    let opts = m::GrowthOptions { traffic: m::Traffic::parse(traffic).map_err(to_py_err)?, ltv_days };
    let g = py
        .detach(|| {
            let p = pool.read();
            let t = |s: &str| yutang::parse_time(s, p.time_zone());
            p.growth((t(&previous.0)?, t(&previous.1)?), (t(&current.0)?, t(&current.1)?), &opts)
        })
        .map_err(to_py_err)?;
    ser!(&growth_json(&g))
}

#[pyfunction]
#[pyo3(signature = (pool, as_of, window_days))]
fn pool_referrals(py: Python<'_>, pool: &PyPool, as_of: Option<&str>, window_days: u32) -> PyResult<String> {
    let r = py
        .detach(|| {
            let p = pool.read();
            p.referrals(time(&p, as_of)?, &m::ReferralOptions { window_days })
        })
        .map_err(to_py_err)?;
    ser!(&json!({"edges": r.edges, "trees": r.trees, "rejected": r.rejected, "customers": r.customers,
                "invites": r.invites, "converted": r.converted, "invites_per_customer": r.invites_per_customer(),
                "invite_conversion": r.invite_conversion(), "k_factor": r.k_factor()}))
}

#[pyfunction]
fn pool_group_activity(py: Python<'_>, pool: &PyPool, start: &str, end: &str) -> PyResult<String> {
    let r = py
        .detach(|| {
            let p = pool.read();
            let t = |s: &str| yutang::parse_time(s, p.time_zone());
            p.group_activity(t(start)?, t(end)?)
        })
        .map_err(to_py_err)?;
    ser!(&r)
}

#[pyfunction]
#[pyo3(signature = (pool, as_of, level, min_support, min_confidence, min_count))]
fn pool_affinity(
    py: Python<'_>,
    pool: &PyPool,
    as_of: Option<&str>,
    level: &str,
    min_support: f64,
    min_confidence: f64,
    min_count: u64,
) -> PyResult<String> {
    let lv = m::PoolAffinityOptions::parse(level).map_err(to_py_err)?;
    let o = affinity_opts(min_support, min_confidence, min_count);
    let a = py
        .detach(|| {
            let p = pool.read();
            p.affinity(time(&p, as_of)?, lv, &o)
        })
        .map_err(to_py_err)?;
    ser!(&a)
}

#[pyfunction]
#[pyo3(signature = (pool, customer_ids, n, as_of, level, min_support, min_confidence, min_count))]
#[allow(clippy::too_many_arguments)]
fn pool_recommend(
    py: Python<'_>,
    pool: &PyPool,
    customer_ids: Vec<String>,
    n: usize,
    as_of: Option<&str>,
    level: &str,
    min_support: f64,
    min_confidence: f64,
    min_count: u64,
) -> PyResult<String> {
    let lv = m::PoolAffinityOptions::parse(level).map_err(to_py_err)?;
    let o = affinity_opts(min_support, min_confidence, min_count);
    let out = py
        .detach(|| {
            let p = pool.read();
            let as_of = time(&p, as_of)?;
            let a = p.affinity(as_of, lv, &o)?;
            let mut out = Vec::new();
            for c in &customer_ids {
                for (rank, r) in p.recommend(&a, c, as_of, lv, n)?.into_iter().enumerate() {
                    out.push(json!({"customer_id": c, "rank": rank + 1, "item": r.item, "score": r.score,
                                    "lift": r.lift, "because": r.because}));
                }
            }
            Ok::<_, Error>(out)
        })
        .map_err(to_py_err)?;
    ser!(&out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(metrics_cohort_retention, m)?)?;
    m.add_function(wrap_pyfunction!(metrics_category_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(metrics_growth, m)?)?;
    m.add_function(wrap_pyfunction!(metrics_decompose, m)?)?;
    m.add_function(wrap_pyfunction!(metrics_affinity, m)?)?;
    m.add_function(wrap_pyfunction!(metrics_recommend, m)?)?;
    m.add_function(wrap_pyfunction!(pool_cohort_retention, m)?)?;
    m.add_function(wrap_pyfunction!(pool_category_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(pool_growth, m)?)?;
    m.add_function(wrap_pyfunction!(pool_referrals, m)?)?;
    m.add_function(wrap_pyfunction!(pool_group_activity, m)?)?;
    m.add_function(wrap_pyfunction!(pool_affinity, m)?)?;
    m.add_function(wrap_pyfunction!(pool_recommend, m)?)?;
    Ok(())
}
