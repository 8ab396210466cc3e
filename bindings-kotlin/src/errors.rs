//! The one place where core errors become `YutangException` subclasses in Kotlin / Swift.

/// Errors surfaced to Kotlin as `YutangException.<Variant>`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum YutangError {
    /// A field holds a value that is not allowed.
    #[error("invalid {field}: {value:?} ({reason})")]
    InvalidField { field: String, value: String, reason: String },
    /// An explicit limit was exceeded.
    #[error("{what} exceeds the limit of {limit} (got {got})")]
    LimitExceeded { what: String, limit: u64, got: u64 },
    /// No such customer or identity.
    #[error("not found: {what} {id}")]
    NotFound { what: String, id: String },
    /// A snapshot could not be restored.
    #[error("snapshot: {reason}")]
    Snapshot { reason: String },
    /// A model fit did not converge.
    #[error("did not converge after {iterations} iterations: {reason}")]
    NotConverged { iterations: u32, reason: String },
    /// Amounts in different currencies were combined.
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch { left: String, right: String },
    /// Rule text could not be parsed.
    #[error("rule syntax: line {line}, column {column}: expected {expected}, found {found}")]
    Parse { line: u64, column: u64, expected: String, found: String },
    /// A progress listener stopped the call.
    #[error("{call} stopped by its progress listener")]
    Cancelled { call: String },
    /// Anything else.
    #[error("{detail}")]
    Other { detail: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for YutangError {
    /// An exception a progress listener threw that is not a `YutangException`.
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        YutangError::Other { detail: e.reason }
    }
}

impl From<yutang::Error> for YutangError {
    fn from(e: yutang::Error) -> Self {
        use yutang::Error as E;
        match e {
            E::InvalidField { field, value, reason } => YutangError::InvalidField { field, value, reason },
            E::LimitExceeded { what, limit, got } => {
                YutangError::LimitExceeded { what, limit: limit as u64, got: got as u64 }
            }
            E::NotFound { what, id } => YutangError::NotFound { what, id },
            E::Snapshot { reason } => YutangError::Snapshot { reason },
            E::NotConverged { iterations, reason } => YutangError::NotConverged { iterations, reason },
            E::CurrencyMismatch { left, right } => YutangError::CurrencyMismatch { left, right },
            E::Parse { line, column, expected, found } => {
                YutangError::Parse { line: line as u64, column: column as u64, expected, found }
            }
            E::Cancelled { call } => YutangError::Cancelled { call },
            other => YutangError::Other { detail: other.to_string() },
        }
    }
}
