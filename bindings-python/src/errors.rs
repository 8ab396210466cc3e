//! The one place where core errors become Python exceptions.
//!
//! `YutangError(ValueError)` is the base; subclasses carry `.field` / `.value` where they apply.
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(yutang, YutangError, PyValueError, "Base class of every yutang error.");
create_exception!(yutang, InvalidFieldError, YutangError, "A field holds a value that is not allowed.");
create_exception!(yutang, LimitExceededError, YutangError, "An explicit limit was exceeded.");
create_exception!(yutang, NotFoundError, YutangError, "No such customer or identity.");
create_exception!(yutang, SnapshotError, YutangError, "A snapshot could not be restored.");
create_exception!(yutang, ConvergenceError, YutangError, "A model fit did not converge.");
create_exception!(yutang, CurrencyMismatchError, YutangError, "Amounts in different currencies were combined.");
create_exception!(yutang, CancelledError, YutangError, "A progress callback stopped the call.");
create_exception!(
    yutang,
    RuleSyntaxError,
    InvalidFieldError,
    "Rule text could not be parsed (.line, .column, .expected, .found)."
);

/// A JSON argument that does not parse as the core's shape: `InvalidFieldError` naming `field`.
pub fn json_err(field: &str, e: impl std::fmt::Display) -> PyErr {
    to_py_err(yutang::Error::invalid(field, "", e.to_string()))
}

/// Convert a core error into the matching Python exception (orphan rule: a fn, not `From`).
pub fn to_py_err(e: yutang::Error) -> PyErr {
    Python::attach(|py| {
        let msg = e.to_string();
        let err = match &e {
            yutang::Error::InvalidField { .. } => InvalidFieldError::new_err(msg),
            yutang::Error::LimitExceeded { .. } => LimitExceededError::new_err(msg),
            yutang::Error::NotFound { .. } => NotFoundError::new_err(msg),
            yutang::Error::Snapshot { .. } => SnapshotError::new_err(msg),
            yutang::Error::NotConverged { .. } => ConvergenceError::new_err(msg),
            yutang::Error::CurrencyMismatch { .. } => CurrencyMismatchError::new_err(msg),
            yutang::Error::Parse { .. } => RuleSyntaxError::new_err(msg),
            yutang::Error::Cancelled { .. } => CancelledError::new_err(msg),
            _ => YutangError::new_err(msg),
        };
        let value = err.value(py);
        let (field, val) = match &e {
            yutang::Error::InvalidField { field, value, .. } => (Some(field.clone()), Some(value.clone())),
            yutang::Error::LimitExceeded { what, got, .. } => (Some(what.clone()), Some(got.to_string())),
            yutang::Error::Parse { found, .. } => (Some("rule".to_string()), Some(found.clone())),
            _ => (None, None),
        };
        if let yutang::Error::Parse { line, column, expected, found } = &e {
            let _ = value.setattr("line", *line);
            let _ = value.setattr("column", *column);
            let _ = value.setattr("expected", expected.clone());
            let _ = value.setattr("found", found.clone());
        }
        let _ = value.setattr("field", field);
        let _ = value.setattr("value", val);
        err
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("YutangError", py.get_type::<YutangError>())?;
    m.add("InvalidFieldError", py.get_type::<InvalidFieldError>())?;
    m.add("LimitExceededError", py.get_type::<LimitExceededError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("SnapshotError", py.get_type::<SnapshotError>())?;
    m.add("ConvergenceError", py.get_type::<ConvergenceError>())?;
    m.add("CurrencyMismatchError", py.get_type::<CurrencyMismatchError>())?;
    m.add("RuleSyntaxError", py.get_type::<RuleSyntaxError>())?;
    m.add("CancelledError", py.get_type::<CancelledError>())?;
    Ok(())
}
