//! The domain model: identities, channels, events, money and time.
//!
//! String ids (`"phone"`, `"douyin"`, `"order"` …) are the contract shared with Python column
//! values, JSON and Kotlin strings. Hosts add their own values as `custom:<name>`.

mod currency;
mod event;
mod ids;
mod money;
mod time;

pub use currency::Currency;
pub use event::{
    BorrowedEvent, BorrowedIdentity, Consent, Event, EventInput, IdentityInput, IdentitySlice, Item, ItemInput, Limits,
    PropValue, Subscription, NO_PROPERTIES,
};
pub use ids::{Channel, EventKind, IdentityKind};
pub use money::Money;
pub use time::{local_to_utc, parse_time, parse_tz, Timestamp};

/// An identity of a person on one channel: a phone number, a WeChat unionid, an openid within
/// one app (`namespace` = app id) …
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// What kind of identity this is.
    pub kind: IdentityKind,
    /// The scope of the value: the app id of an openid, the corp id of a WeCom external user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The value as given (normalised by the pool's identity rules on ingestion).
    pub value: String,
}

impl Identity {
    /// A new identity without namespace.
    pub fn new(kind: IdentityKind, value: impl Into<String>) -> Self {
        Identity { kind, namespace: None, value: value.into() }
    }

    /// A new identity scoped to a namespace (app id, corp id).
    pub fn with_namespace(kind: IdentityKind, namespace: impl Into<String>, value: impl Into<String>) -> Self {
        Identity { kind, namespace: Some(namespace.into()), value: value.into() }
    }
}

/// Mask a personal value for messages and logs: keep at most the first 3 and last 2 characters
/// of values longer than 6 characters, and replace the rest with `*`; shorter values are fully
/// masked.
///
/// ```
/// assert_eq!(yutang::mask("13800138000"), "138******00");
/// assert_eq!(yutang::mask("abc"), "***");
/// ```
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n <= 6 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(n);
    for (i, c) in chars.iter().enumerate() {
        if i < 3 || i >= n - 2 {
            out.push(*c);
        } else {
            out.push('*');
        }
    }
    out
}
