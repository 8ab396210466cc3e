//! Python bindings for journeys (`yutang::journey`): native functions taking the pool first.
//! The public API is `yutang.journeys` and the `JourneysMixin` methods of `yutang.Pool`.

use crate::errors::{json_err, to_py_err};
use crate::pool::PyPool;
use crate::progress::PyProgress;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use yutang::journey::{examples, Action, Journey, JourneySettings, ResultsOptions};
use yutang::{Error, Timestamp};

fn time(pool: &PyPool, s: &str) -> PyResult<Timestamp> {
    yutang::parse_time(s, pool.read().time_zone()).map_err(to_py_err)
}

/// The JSON of a shipped example journey.
#[pyfunction]
fn journey_example(name: &str) -> PyResult<String> {
    match name {
        "coffee_coupon_ladder" => Ok(examples::coffee_coupon_ladder().to_json()),
        "renewal_reminders" => Ok(examples::renewal_reminders().to_json()),
        other => Err(to_py_err(Error::invalid("name", other, "expected coffee_coupon_ladder or renewal_reminders"))),
    }
}

/// Load and validate a definition; returns its canonical JSON.
#[pyfunction]
fn journey_load(json: &str) -> PyResult<String> {
    Ok(Journey::from_json(json).map_err(to_py_err)?.to_json())
}

#[pyfunction]
#[pyo3(signature = (pool, json, since=None))]
fn pool_add_journey(pool: &PyPool, json: &str, since: Option<&str>) -> PyResult<()> {
    let j = Journey::from_json(json).map_err(to_py_err)?;
    let since = since.map(|s| time(pool, s)).transpose()?;
    pool.write().add_journey(j, since).map_err(to_py_err)
}

#[pyfunction]
fn pool_remove_journey(pool: &PyPool, journey_id: &str) -> bool {
    pool.write().remove_journey(journey_id)
}

#[pyfunction]
fn pool_journeys_json(pool: &PyPool) -> String {
    serde_json::to_string(&pool.read().journeys()).unwrap_or_default()
}

#[pyfunction]
fn pool_set_journey_settings(pool: &PyPool, json: &str) -> PyResult<()> {
    let s: JourneySettings = serde_json::from_str(json).map_err(|e| json_err("settings", e))?;
    pool.write().set_journey_settings(s).map_err(to_py_err)
}

#[pyfunction]
fn pool_journey_settings_json(pool: &PyPool) -> String {
    serde_json::to_string(pool.read().journey_settings()).unwrap_or_default()
}

#[pyfunction]
fn pool_journey_instances_json(pool: &PyPool) -> String {
    serde_json::to_string(&pool.read().journey_instances()).unwrap_or_default()
}

#[pyfunction]
fn pool_next_wake_at(pool: &PyPool) -> Option<i64> {
    pool.read().next_wake_at().map(|t| t.micros())
}

/// Actions as columns: strings as lists, `offer` as (values, valid), `due_at` as µs.
fn action_columns<'py>(py: Python<'py>, actions: &[Action]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let strs = |f: fn(&Action) -> String| actions.iter().map(f).collect::<Vec<String>>();
    let opt = |f: fn(&Action) -> Option<String>| actions.iter().map(f).collect::<Vec<Option<String>>>();
    d.set_item("customer_id", strs(|a| a.customer_id.clone()))?;
    d.set_item("journey", strs(|a| a.journey.clone()))?;
    d.set_item("step", strs(|a| a.step.clone()))?;
    d.set_item("channel", strs(|a| a.channel.to_string()))?;
    let offer: Vec<f64> = actions.iter().map(|a| a.offer.unwrap_or(0.0)).collect();
    let valid: Vec<bool> = actions.iter().map(|a| a.offer.is_some()).collect();
    d.set_item("offer", (offer.into_pyarray(py), valid.into_pyarray(py)))?;
    let due: Vec<i64> = actions.iter().map(|a| a.due_at.micros()).collect();
    d.set_item("due_at", due.into_pyarray(py))?;
    d.set_item("key", strs(|a| a.key.clone()))?;
    d.set_item("template", opt(|a| a.template.clone()))?;
    d.set_item("offer_id", opt(|a| a.offer_id.clone()))?;
    d.set_item("instance_key", opt(|a| a.instance_key.clone()))?;
    Ok(d)
}

#[pyfunction]
fn pool_advance<'py>(py: Python<'py>, pool: &PyPool, as_of: &str) -> PyResult<Bound<'py, PyDict>> {
    let t = time(pool, as_of)?;
    let actions = py.detach(|| pool.write().advance(t)).map_err(to_py_err)?;
    action_columns(py, &actions)
}

/// Advance with the late-event report: (action columns, late events, too-late triggers, the
/// instances ended late as JSON).
#[pyfunction]
fn pool_advance_report<'py>(
    py: Python<'py>,
    pool: &PyPool,
    as_of: &str,
) -> PyResult<(Bound<'py, PyDict>, u64, u64, String)> {
    let t = time(pool, as_of)?;
    let r = py.detach(|| pool.write().advance_report(t)).map_err(to_py_err)?;
    let cols = action_columns(py, &r.actions)?;
    Ok((cols, r.late_events, r.too_late_triggers, serde_json::to_string(&r.ended_late).unwrap_or_default()))
}

/// The results of a journey (`journey` = None: the global control group across journeys), as
/// JSON.
#[pyfunction]
#[pyo3(signature = (pool, journey, as_of, level=0.95, mixing_variance=0.001))]
fn pool_journey_results_json(
    py: Python<'_>,
    pool: &PyPool,
    journey: Option<&str>,
    as_of: &str,
    level: f64,
    mixing_variance: f64,
) -> PyResult<String> {
    let t = time(pool, as_of)?;
    let opts = ResultsOptions { level, mixing_variance };
    let r = py
        .detach(|| {
            let p = pool.read();
            match journey {
                Some(j) => p.journey_results_with(j, t, &opts),
                None => p.global_control_results(t, &opts),
            }
        })
        .map_err(to_py_err)?;
    Ok(serde_json::to_string(&r).unwrap_or_default())
}

/// Customers per arm to detect a lift (see `yutang::journey::sample_size_per_arm`).
#[pyfunction]
fn journey_sample_size(baseline: f64, min_lift: f64, alpha: f64, power: f64) -> PyResult<u64> {
    yutang::journey::sample_size_per_arm(baseline, min_lift, alpha, power).map_err(to_py_err)
}

/// Compare two conversion rates, as JSON (see `yutang::journey::compare_rates`).
#[pyfunction]
fn journey_compare_rates(
    converted: u64,
    entered: u64,
    base_converted: u64,
    base_entered: u64,
    level: f64,
) -> PyResult<String> {
    let c =
        yutang::journey::compare_rates(converted, entered, base_converted, base_entered, level).map_err(to_py_err)?;
    Ok(serde_json::to_string(&c).unwrap_or_default())
}

/// Simulate: (action columns, steps JSON, journeys JSON, results JSON).
#[pyfunction]
fn pool_simulate<'py>(
    py: Python<'py>,
    pool: &PyPool,
    journeys_json: Vec<String>,
    start: &str,
    end: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<(Bound<'py, PyDict>, String, String, String)> {
    let mut js = Vec::with_capacity(journeys_json.len());
    for j in &journeys_json {
        js.push(Journey::from_json(j).map_err(to_py_err)?);
    }
    let (s, e) = (time(pool, start)?, time(pool, end)?);
    let mut prog = PyProgress::new(progress);
    let sim = py.detach(|| pool.read().simulate_with_progress(&js, s, e, &mut |p| prog.call(p)));
    prog.check()?;
    let sim = sim.map_err(to_py_err)?;
    let cols = action_columns(py, &sim.actions)?;
    Ok((
        cols,
        serde_json::to_string(&sim.steps).unwrap_or_default(),
        serde_json::to_string(&sim.journeys).unwrap_or_default(),
        serde_json::to_string(&sim.results).unwrap_or_default(),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(journey_example, m)?)?;
    m.add_function(wrap_pyfunction!(journey_load, m)?)?;
    m.add_function(wrap_pyfunction!(pool_add_journey, m)?)?;
    m.add_function(wrap_pyfunction!(pool_remove_journey, m)?)?;
    m.add_function(wrap_pyfunction!(pool_journeys_json, m)?)?;
    m.add_function(wrap_pyfunction!(pool_set_journey_settings, m)?)?;
    m.add_function(wrap_pyfunction!(pool_journey_settings_json, m)?)?;
    m.add_function(wrap_pyfunction!(pool_journey_instances_json, m)?)?;
    m.add_function(wrap_pyfunction!(pool_next_wake_at, m)?)?;
    m.add_function(wrap_pyfunction!(pool_advance, m)?)?;
    m.add_function(wrap_pyfunction!(pool_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(pool_journey_results_json, m)?)?;
    m.add_function(wrap_pyfunction!(pool_advance_report, m)?)?;
    m.add_function(wrap_pyfunction!(journey_sample_size, m)?)?;
    m.add_function(wrap_pyfunction!(journey_compare_rates, m)?)?;
    Ok(())
}
