//! String-id enums with host extensions (`custom:<name>`).

use crate::error::{Error, Result};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, { $($(#[$vmeta:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A host-defined value, written `custom:<name>`.
            Custom(String),
        }

        impl $name {
            /// Every built-in value, in declaration order.
            pub const BUILTIN: &'static [$name] = &[$($name::$variant),+];

            /// Position of a built-in value in [`Self::BUILTIN`] (`None` for `Custom`), without
            /// comparing against each value in turn.
            #[allow(unused_assignments)]
            pub fn builtin_index(&self) -> Option<usize> {
                let mut i = 0usize;
                $(
                    if matches!(self, $name::$variant) {
                        return Some(i);
                    }
                    i += 1;
                )+
                None
            }

            /// The string id (`custom:<name>` for host values).
            pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
                match self {
                    $($name::$variant => std::borrow::Cow::Borrowed($s),)+
                    $name::Custom(n) => std::borrow::Cow::Owned(format!("custom:{n}")),
                }
            }

            /// Parse a string id; unknown ids that are not `custom:<name>` are an error naming
            /// the field and the allowed values.
            pub fn parse(s: &str) -> Result<Self> {
                match s {
                    $($s => Ok($name::$variant),)+
                    other => {
                        if let Some(n) = other.strip_prefix("custom:") {
                            if !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
                                return Ok($name::Custom(n.to_string()));
                            }
                        }
                        let allowed = [$($s),+].join(", ");
                        Err(Error::invalid($field, other, format!("expected one of {allowed}, or custom:<name> (ascii letters, digits, _ - .; at most 64)")))
                    }
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(&self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_enum!(
    /// The kind of an [`crate::Identity`].
    IdentityKind, "identity.kind", {
    /// A mobile phone number (normalised: `+86 138-0013-8000` = `13800138000`).
    Phone => "phone",
    /// An e-mail address (trimmed, lower case).
    Email => "email",
    /// A WeChat unionid (one per person across a brand's WeChat apps).
    WechatUnionid => "wechat_unionid",
    /// A WeChat openid, scoped to one app (namespace = app id).
    WechatOpenid => "wechat_openid",
    /// A WeCom external user id, scoped to one corp (namespace = corp id).
    WecomExternalUserid => "wecom_external_userid",
    /// A Taobao / Tmall buyer id.
    Taobao => "taobao",
    /// A JD user id.
    Jd => "jd",
    /// A Douyin user id.
    Douyin => "douyin",
    /// A Kuaishou user id.
    Kuaishou => "kuaishou",
    /// A Dewu user id.
    Dewu => "dewu",
    /// The brand's own app account id.
    AppUser => "app_user",
    /// A device id (shared devices exist: lowest priority by default).
    Device => "device",
});

string_enum!(
    /// A channel through which a customer is reached or buys.
    Channel, "channel", {
    /// A WeChat official account.
    WechatOfficialAccount => "wechat_official_account",
    /// WeCom (enterprise WeChat) staff chats and groups.
    Wecom => "wecom",
    /// A WeChat mini program.
    MiniProgram => "mini_program",
    /// The brand's own app.
    App => "app",
    /// SMS.
    Sms => "sms",
    /// A phone call (e.g. by staff).
    PhoneCall => "phone_call",
    /// The web.
    Web => "web",
    /// Taobao / Tmall.
    Taobao => "taobao",
    /// JD.
    Jd => "jd",
    /// Douyin.
    Douyin => "douyin",
    /// Kuaishou.
    Kuaishou => "kuaishou",
    /// Dewu.
    Dewu => "dewu",
    /// A physical store.
    OfflineStore => "offline_store",
});

string_enum!(
    /// What happened in an [`crate::Event`].
    EventKind, "kind", {
    /// The customer registered.
    Register => "register",
    /// A page or product view.
    View => "view",
    /// An item was added to the cart.
    AddToCart => "add_to_cart",
    /// An order (money = order amount).
    Order => "order",
    /// A refund (money = refunded amount, positive).
    Refund => "refund",
    /// A message was sent to the customer.
    MessageSent => "message_sent",
    /// A message was opened.
    MessageOpened => "message_opened",
    /// A coupon was issued.
    CouponIssued => "coupon_issued",
    /// A coupon was redeemed.
    CouponRedeemed => "coupon_redeemed",
    /// The customer was referred (`referrer` = the inviter's identity).
    Referral => "referral",
    /// The customer joined a group chat (`group_id`).
    GroupJoin => "group_join",
    /// The customer left a group chat (`group_id`).
    GroupLeave => "group_leave",
    /// The customer spoke in a group chat (`group_id`).
    GroupMessage => "group_message",
    /// The customer followed (an official account, a store …).
    Follow => "follow",
    /// The customer unfollowed.
    Unfollow => "unfollow",
    /// Consent on a channel was granted or denied (`consent`).
    Consent => "consent",
    /// A subscription started (`subscription`).
    SubscriptionStart => "subscription_start",
    /// A subscription expired (`subscription`).
    SubscriptionExpire => "subscription_expire",
});

impl EventKind {
    /// Whether events of this kind carry money.
    pub fn carries_money(&self) -> bool {
        matches!(self, EventKind::Order | EventKind::Refund)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_builtin() {
        for k in IdentityKind::BUILTIN {
            assert_eq!(&IdentityKind::parse(&k.as_str()).unwrap(), k);
        }
        for k in Channel::BUILTIN {
            assert_eq!(&Channel::parse(&k.as_str()).unwrap(), k);
        }
        for k in EventKind::BUILTIN {
            assert_eq!(&EventKind::parse(&k.as_str()).unwrap(), k);
        }
    }

    #[test]
    fn builtin_index_is_the_position() {
        for (i, k) in EventKind::BUILTIN.iter().enumerate() {
            assert_eq!(k.builtin_index(), Some(i));
        }
        for (i, k) in Channel::BUILTIN.iter().enumerate() {
            assert_eq!(k.builtin_index(), Some(i));
        }
        for (i, k) in IdentityKind::BUILTIN.iter().enumerate() {
            assert_eq!(k.builtin_index(), Some(i));
        }
        assert_eq!(Channel::Custom("xhs".into()).builtin_index(), None);
    }

    #[test]
    fn custom_and_unknown() {
        assert_eq!(Channel::parse("custom:xhs").unwrap(), Channel::Custom("xhs".into()));
        assert_eq!(Channel::Custom("xhs".into()).as_str(), "custom:xhs");
        let e = Channel::parse("myspace").unwrap_err();
        assert_eq!(e.field(), Some("channel"));
        assert!(Channel::parse("custom:").is_err());
        assert!(Channel::parse("custom:a b").is_err());
    }
}
