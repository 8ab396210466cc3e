//! Python bindings for yutang. The native module is private (`yutang._yutang`); the public API
//! is the pure-Python package under `python/yutang/`.
use pyo3::prelude::*;

mod attribution;
mod convert;
mod errors;
mod journeys;
mod lifecycle;
mod ltv;
mod metrics;
mod pool;
mod progress;
mod report;
mod rules;

#[pymodule]
fn _yutang(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", yutang::VERSION)?;
    errors::register(m)?;
    pool::register(m)?;
    ltv::register(m)?;
    attribution::register(m)?;
    lifecycle::register(m)?;
    rules::register(m)?;
    metrics::register(m)?;
    journeys::register(m)?;
    report::register(m)?;
    Ok(())
}
