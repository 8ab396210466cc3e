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
    /// A progress callback stopped the call (see [`crate::progress`]); nothing it would have
    /// returned is kept.
    #[error("{call} stopped by its progress callback")]
    Cancelled {
        /// The call stopped, e.g. `simulate`.
        call: String,
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

/// The most characters of a caller's value that an error message quotes.
pub const MAX_QUOTED_CHARS: usize = 64;

/// `v`, cut to [`MAX_QUOTED_CHARS`] characters (the last one `…`) when longer.
pub(crate) fn clip(v: String) -> String {
    match v.char_indices().nth(MAX_QUOTED_CHARS - 1) {
        Some((cut, _)) if v[cut..].chars().nth(1).is_some() => {
            let mut s = v[..cut].to_string();
            s.push('…');
            s
        }
        _ => v,
    }
}

/// Mask the values in a serde_json message: in `invalid type: integer `13812345678`, expected
/// a string` the integer is masked; `unknown field `chanel`` keeps the key name (a key is not
/// personal data), cut to [`MAX_QUOTED_CHARS`].
fn scrub_json_message(msg: &str) -> String {
    let keeps_names =
        msg.starts_with("unknown field") || msg.starts_with("missing field") || msg.starts_with("duplicate field");
    let mut out = String::with_capacity(msg.len().min(256));
    let mut rest = msg;
    while let Some(open) = rest.find(['`', '"']) {
        let q = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(q) else {
            out.push_str(&crate::mask(after));
            return out;
        };
        let inner = &after[..close];
        if keeps_names {
            out.push_str(&clip(inner.to_string()));
        } else {
            out.push_str(&crate::mask(inner));
        }
        out.push(q);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Build an [`Error::InvalidField`]. A value longer than [`MAX_QUOTED_CHARS`] characters
    /// is cut there (ending in `…`): a message never echoes a huge input.
    pub fn invalid(field: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidField { field: field.into(), value: clip(value.into()), reason: reason.into() }
    }

    /// An [`Error::InvalidField`] for input that JSON decoding refused (a wrong type, a
    /// missing or unknown key). The values serde quotes are masked like identity values (a
    /// wrong-typed phone number must not appear in a report); key names stay readable.
    pub fn json(field: impl Into<String>, e: &serde_json::Error) -> Self {
        Error::InvalidField { field: field.into(), value: String::new(), reason: scrub_json_message(&e.to_string()) }
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
