//! The one error type the core returns.

/// Everything that can go wrong in yutang, with typed fields.
///
/// Identity values never appear unmasked in a message: see [`crate::mask`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field holds a value that is not allowed.
    #[error("invalid {field}: {value:?} ({reason})")]
    InvalidField {
        /// The field, e.g. `at`, `amount`, `identities[1].value`.
        field: String,
        /// The offending value (masked where it is personal data).
        value: String,
        /// Why it is not allowed.
        reason: String,
    },
    /// An explicit limit was exceeded.
    #[error("{what} exceeds the limit of {limit} (got {got})")]
    LimitExceeded {
        /// What was too large.
        what: String,
        /// The limit.
        limit: usize,
        /// What arrived.
        got: usize,
    },
    /// No such customer (or identity) in the pool.
    #[error("not found: {what} {id:?}")]
    NotFound {
        /// What was looked for (`customer`, `identity`).
        what: String,
        /// The id looked for (masked where it is personal data).
        id: String,
    },
    /// A snapshot blob could not be restored.
    #[error("snapshot: {reason}")]
    Snapshot {
        /// Why.
        reason: String,
    },
    /// A model fit did not converge.
    #[error("model did not converge after {iterations} iterations: {reason}")]
    NotConverged {
        /// Iterations run.
        iterations: u32,
        /// Why it stopped.
        reason: String,
    },
    /// A rule text could not be parsed.
    #[error("rule syntax: line {line}, column {column}: expected {expected}, found {found}")]
    Parse {
        /// Line (1-based).
        line: usize,
        /// Column (1-based, in characters).
        column: usize,
        /// What the parser expected there.
        expected: String,
        /// What it found.
        found: String,
    },
    /// Two values in different currencies were combined without rates.
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch {
        /// One currency.
        left: String,
        /// The other currency.
        right: String,
    },
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Build an [`Error::InvalidField`].
    pub fn invalid(field: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidField { field: field.into(), value: value.into(), reason: reason.into() }
    }

    /// Build an [`Error::LimitExceeded`].
    pub fn limit(what: impl Into<String>, limit: usize, got: usize) -> Self {
        Error::LimitExceeded { what: what.into(), limit, got }
    }

    /// The field an error is about, where it names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidField { field, .. } => Some(field),
            Error::LimitExceeded { what, .. } => Some(what),
            Error::Parse { .. } => Some("rule"),
            _ => None,
        }
    }
}
