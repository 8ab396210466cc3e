//! Python bindings for `yutang::lifecycle` and `yutang::rfm`: free functions taking the
//! native pool first. Settings cross as JSON (the core serde shapes), columns as numpy arrays;
//! the GIL is released around the passes over the pool. Public API:
//! `python/yutang/_pool_lifecycle.py` (pool methods) and `python/yutang/lifecycle.py`.
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use yutang::lifecycle::{LifecycleConfig, Stage};
use yutang::rfm::RfmOptions;
use yutang::{Error, Timestamp};

use crate::errors::{json_err, to_py_err};
use crate::pool::PyPool;

fn time(pool: &yutang::Pool, s: &str, field: &str) -> yutang::Result<Timestamp> {
    yutang::parse_time(s, pool.time_zone()).map_err(|e| match e {
        Error::InvalidField { value, reason, .. } => Error::InvalidField { field: field.to_string(), value, reason },
        o => o,
    })
}

fn code(s: Option<Stage>) -> i8 {
    s.map_or(-1, |s| s.index() as i8)
}

type Arr<'py, T> = Bound<'py, PyArray1<T>>;

/// The pool's lifecycle configuration as JSON.
#[pyfunction]
fn lifecycle_config_json(pool: &PyPool) -> PyResult<String> {
    serde_json::to_string(pool.read().lifecycle_config()).map_err(|e| json_err("lifecycle", e))
}

/// Set the lifecycle configuration from JSON (validated; the pool keeps the old one on error).
#[pyfunction]
fn lifecycle_set_config(pool: &PyPool, json: &str) -> PyResult<()> {
    let c: LifecycleConfig = serde_json::from_str(json).map_err(|e| json_err("lifecycle", e))?;
    pool.write().set_lifecycle_config(c).map_err(to_py_err)
}

/// The pool's RFM options as JSON.
#[pyfunction]
fn rfm_options_json(pool: &PyPool) -> PyResult<String> {
    serde_json::to_string(pool.read().rfm_options()).map_err(|e| json_err("rfm", e))
}

/// Set the RFM options from JSON (validated).
#[pyfunction]
fn rfm_set_options(pool: &PyPool, json: &str) -> PyResult<()> {
    let o: RfmOptions = serde_json::from_str(json).map_err(|e| json_err("rfm", e))?;
    pool.write().set_rfm_options(o).map_err(to_py_err)
}

/// Default RFM options (quintiles, the eleven tiers) as JSON.
#[pyfunction]
fn rfm_default_options_json() -> String {
    serde_json::to_string(&RfmOptions::default()).unwrap_or_default()
}

/// Check a tier map (JSON); raises naming the cell of a gap or an overlap.
#[pyfunction]
fn rfm_check_tiers(json: &str) -> PyResult<Vec<String>> {
    let m: yutang::rfm::TierMap = serde_json::from_str(json).map_err(|e| json_err("tiers", e))?;
    Ok(m.compile().map_err(to_py_err)?.names().to_vec())
}

/// Stage ids in machine order (the codes of the stage columns).
#[pyfunction]
fn lifecycle_stage_names() -> Vec<&'static str> {
    Stage::ALL.iter().map(|s| s.as_str()).collect()
}

/// Every known customer's stage at `as_of`: (ids, stage codes, since µs).
#[pyfunction]
fn lifecycle_stages<'py>(
    py: Python<'py>,
    pool: &PyPool,
    as_of: &str,
) -> PyResult<(Vec<String>, Arr<'py, i8>, Arr<'py, i64>)> {
    let rows = py
        .detach(|| {
            let p = pool.read();
            let t = time(&p, as_of, "as_of")?;
            Ok::<_, Error>(p.lifecycle(t))
        })
        .map_err(to_py_err)?;
    let stage: Vec<i8> = rows.iter().map(|r| r.stage.index() as i8).collect();
    let since: Vec<i64> = rows.iter().map(|r| r.since.micros()).collect();
    let ids = rows.into_iter().map(|r| r.customer_id).collect();
    Ok((ids, stage.into_pyarray(py), since.into_pyarray(py)))
}

/// One customer's stage at `as_of`: (stage id, since µs), or None when not yet known.
#[pyfunction]
fn lifecycle_stage_of(pool: &PyPool, customer_id: &str, as_of: &str) -> PyResult<Option<(&'static str, i64)>> {
    let p = pool.read();
    let t = time(&p, as_of, "as_of").map_err(to_py_err)?;
    Ok(p.stage_of(customer_id, t).map_err(to_py_err)?.map(|s| (s.stage.as_str(), s.since.micros())))
}

/// A customer's stage history up to `as_of`: [(from code, to code, at µs)].
#[pyfunction]
fn lifecycle_history(pool: &PyPool, customer_id: &str, as_of: &str) -> PyResult<Vec<(i8, i8, i64)>> {
    let p = pool.read();
    let t = time(&p, as_of, "as_of").map_err(to_py_err)?;
    let h = p.stage_history(customer_id, t).map_err(to_py_err)?;
    Ok(h.iter().map(|x| (code(x.from), x.to.index() as i8, x.at.micros())).collect())
}

/// Transitions with after < at <= until: (ids, from codes (-1: none), to codes, at µs).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn lifecycle_changes<'py>(
    py: Python<'py>,
    pool: &PyPool,
    after: &str,
    until: &str,
) -> PyResult<(Vec<String>, Arr<'py, i8>, Arr<'py, i8>, Arr<'py, i64>)> {
    let ch = py
        .detach(|| {
            let p = pool.read();
            let (a, u) = (time(&p, after, "after")?, time(&p, until, "until")?);
            Ok::<_, Error>(p.stage_changes(a, u))
        })
        .map_err(to_py_err)?;
    let from: Vec<i8> = ch.iter().map(|c| code(c.from)).collect();
    let to: Vec<i8> = ch.iter().map(|c| c.to.index() as i8).collect();
    let at: Vec<i64> = ch.iter().map(|c| c.at.micros()).collect();
    let ids = ch.into_iter().map(|c| c.customer_id).collect();
    Ok((ids, from.into_pyarray(py), to.into_pyarray(py), at.into_pyarray(py)))
}

/// Customers per stage at `as_of`, in stage order.
#[pyfunction]
fn lifecycle_distribution(py: Python<'_>, pool: &PyPool, as_of: &str) -> PyResult<Vec<(&'static str, u64)>> {
    let d = py
        .detach(|| {
            let p = pool.read();
            let t = time(&p, as_of, "as_of")?;
            Ok::<_, Error>(p.stage_distribution(t))
        })
        .map_err(to_py_err)?;
    Ok(d.into_iter().map(|(s, c)| (s.as_str(), c)).collect())
}

/// The transition matrix between two dates, long form: [(from id or None, to id, customers)].
#[pyfunction]
#[allow(clippy::type_complexity)]
fn lifecycle_transitions(
    py: Python<'_>,
    pool: &PyPool,
    start: &str,
    end: &str,
) -> PyResult<Vec<(Option<&'static str>, &'static str, u64)>> {
    let m = py
        .detach(|| {
            let p = pool.read();
            let (a, b) = (time(&p, start, "start")?, time(&p, end, "end")?);
            Ok::<_, Error>(p.stage_transitions(a, b))
        })
        .map_err(to_py_err)?;
    Ok(m.into_iter().map(|c| (c.from.map(Stage::as_str), c.to.as_str(), c.customers)).collect())
}

/// RFM of the pool's buyers: (ids, recency_days, frequency, monetary, r, f, m, tier codes,
/// tier names). `options_json` overrides the pool's options for this call.
#[pyfunction]
#[pyo3(signature = (pool, as_of, options_json=None))]
#[allow(clippy::type_complexity)]
fn rfm_pool<'py>(
    py: Python<'py>,
    pool: &PyPool,
    as_of: &str,
    options_json: Option<&str>,
) -> PyResult<(
    Vec<String>,
    Arr<'py, i64>,
    Arr<'py, i64>,
    Arr<'py, f64>,
    Arr<'py, u8>,
    Arr<'py, u8>,
    Arr<'py, u8>,
    Arr<'py, u16>,
    Vec<String>,
)> {
    let opts: Option<RfmOptions> =
        options_json.map(serde_json::from_str).transpose().map_err(|e| json_err("rfm", e))?;
    let (rows, names) = py
        .detach(|| {
            let p = pool.read();
            let t = time(&p, as_of, "as_of")?;
            let o = opts.as_ref().unwrap_or(p.rfm_options());
            let names: Vec<String> = o.tiers.tiers.iter().map(|t| t.name.clone()).collect();
            Ok::<_, Error>((p.rfm_with(t, o)?, names))
        })
        .map_err(to_py_err)?;
    let index = |name: &str| names.iter().position(|n| n == name).unwrap_or(0) as u16;
    let rec: Vec<i64> = rows.iter().map(|r| r.recency_days as i64).collect();
    let freq: Vec<i64> = rows.iter().map(|r| r.frequency as i64).collect();
    let mon: Vec<f64> = rows.iter().map(|r| r.monetary).collect();
    let (rs, fs, ms): (Vec<u8>, Vec<u8>, Vec<u8>) =
        (rows.iter().map(|r| r.r).collect(), rows.iter().map(|r| r.f).collect(), rows.iter().map(|r| r.m).collect());
    let tier: Vec<u16> = rows.iter().map(|r| index(&r.tier)).collect();
    let ids = rows.into_iter().map(|r| r.customer_id).collect();
    Ok((
        ids,
        rec.into_pyarray(py),
        freq.into_pyarray(py),
        mon.into_pyarray(py),
        rs.into_pyarray(py),
        fs.into_pyarray(py),
        ms.into_pyarray(py),
        tier.into_pyarray(py),
        names,
    ))
}

/// Score columns: (r, f, m, tier codes, tier names).
#[pyfunction]
#[pyo3(signature = (recency_days, frequency, monetary, options_json=None))]
#[allow(clippy::type_complexity)]
fn rfm_score_columns<'py>(
    py: Python<'py>,
    recency_days: PyReadonlyArray1<'py, f64>,
    frequency: PyReadonlyArray1<'py, f64>,
    monetary: PyReadonlyArray1<'py, f64>,
    options_json: Option<&str>,
) -> PyResult<(Arr<'py, u8>, Arr<'py, u8>, Arr<'py, u8>, Arr<'py, u16>, Vec<String>)> {
    let opts: RfmOptions = match options_json {
        Some(j) => serde_json::from_str(j).map_err(|e| json_err("rfm", e))?,
        None => RfmOptions::default(),
    };
    let (r, f, m) = (recency_days.as_slice()?, frequency.as_slice()?, monetary.as_slice()?);
    let s = py.detach(|| yutang::rfm::rfm_scores(r, f, m, &opts)).map_err(to_py_err)?;
    Ok((s.r.into_pyarray(py), s.f.into_pyarray(py), s.m.into_pyarray(py), s.tier.into_pyarray(py), s.tier_names))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(lifecycle_config_json, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_set_config, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_options_json, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_set_options, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_default_options_json, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_check_tiers, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_stage_names, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_stages, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_stage_of, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_history, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_changes, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_distribution, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle_transitions, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_pool, m)?)?;
    m.add_function(wrap_pyfunction!(rfm_score_columns, m)?)?;
    Ok(())
}
