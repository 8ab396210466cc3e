//! Python binding of `Pool::report`: the native pool first, options as the core's JSON shape.
//! Public API: `python/yutang/_pool_report.py` (`Pool.report`).
use pyo3::prelude::*;
use yutang::report::ReportOptions;

use crate::errors::{json_err, to_py_err};
use crate::pool::PyPool;

/// The self-contained HTML report of the pool as of `as_of` (ISO-8601, business zone when
/// zone-less); `options_json`: `ReportOptions` fields, each optional.
#[pyfunction]
#[pyo3(signature = (pool, as_of, options_json=None))]
fn pool_report(py: Python<'_>, pool: &PyPool, as_of: &str, options_json: Option<&str>) -> PyResult<String> {
    let options: ReportOptions =
        options_json.map(serde_json::from_str).transpose().map_err(|e| json_err("options", e))?.unwrap_or_default();
    py.detach(|| {
        let p = pool.read();
        let at = yutang::parse_time(as_of, p.time_zone())?;
        p.report(at, &options)
    })
    .map_err(to_py_err)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pool_report, m)?)?;
    Ok(())
}
