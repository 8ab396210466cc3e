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
pub(crate) use time::local_to_utc_unchecked;
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
/// masked. The result has at most [`crate::error::MAX_QUOTED_CHARS`] characters (a longer
/// value's middle is one run of `*` and `…`).
///
/// ```
/// assert_eq!(yutang::mask("13800138000"), "138******00");
/// assert_eq!(yutang::mask("abc"), "***");
/// assert_eq!(yutang::mask(&"9".repeat(1_000_000)).chars().count(), 64);
/// ```
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    if n <= 6 {
        return "*".repeat(n);
    }
    let max = crate::error::MAX_QUOTED_CHARS;
    let mut out = String::with_capacity(n.min(max) + 4);
    out.extend(value.chars().take(3));
    if n <= max {
        out.extend(std::iter::repeat_n('*', n - 5));
    } else {
        out.extend(std::iter::repeat_n('*', max - 6));
        out.push('…');
    }
    out.extend(value.chars().skip(n - 2));
    out
}
