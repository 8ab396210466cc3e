use crate::error::{Error, Result};
use crate::model::{BorrowedIdentity, Identity, IdentityKind};

/// How values of a kind are normalised before they are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalizer {
    /// Trim surrounding white space only (ids are case-sensitive).
    Trim,
    /// Trim and lower-case (device ids, case-insensitive ids).
    Lowercase,
    /// Phone numbers: drop spaces, dashes, dots and brackets; `+86` / `0086` / `86` before an
    /// 11-digit mainland mobile number are removed (`+86 138-0013-8000` = `13800138000`); other
    /// international numbers keep a leading `+`. Anything that is then not 5–15 digits is not a
    /// phone number.
    Phone,
    /// E-mail: trim, lower-case; must contain one `@` with text on both sides.
    Email,
}

/// What normalisation made of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizeOutcome {
    /// A usable, normalised value.
    Value(String),
    /// A junk value (blocklisted or malformed), with the reason; the identity is dropped.
    Junk(&'static str),
}

impl Normalizer {
    /// Whether `raw` is already in normal form (so it can be kept without allocating).
    pub fn is_identity_on(self, raw: &str) -> bool {
        let b = raw.as_bytes();
        match self {
            Normalizer::Trim => is_trimmed(raw),
            Normalizer::Lowercase => is_trimmed(raw) && !raw.chars().any(char::is_uppercase),
            // an 11-digit mainland mobile number, the overwhelmingly common case
            Normalizer::Phone => b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit),
            Normalizer::Email => {
                raw.trim().len() == raw.len()
                    && !raw.chars().any(|c| c.is_uppercase() || c.is_whitespace())
                    && raw.bytes().filter(|&c| c == b'@').count() == 1
                    && !raw.starts_with('@')
                    && !raw.ends_with('@')
            }
        }
    }

    /// Normalise one value.
    pub fn apply(self, raw: &str) -> NormalizeOutcome {
        let t = raw.trim();
        match self {
            Normalizer::Trim => NormalizeOutcome::Value(t.to_string()),
            Normalizer::Lowercase => NormalizeOutcome::Value(t.to_lowercase()),
            Normalizer::Email => {
                let v = t.to_lowercase();
                match v.split_once('@') {
                    Some((a, b))
                        if !a.is_empty() && !b.is_empty() && !b.contains('@') && !v.contains(char::is_whitespace) =>
                    {
                        NormalizeOutcome::Value(v)
                    }
                    _ => NormalizeOutcome::Junk("not an e-mail address"),
                }
            }
            Normalizer::Phone => normalize_phone(t),
        }
    }
}

fn normalize_phone(t: &str) -> NormalizeOutcome {
    let mut s = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            ' ' | '-' | '.' | '(' | ')' | '\u{3000}' | '\t' => {}
            _ => s.push(c),
        }
    }
    let (plus, digits) = if let Some(r) = s.strip_prefix('+') {
        (true, r.to_string())
    } else if let Some(r) = s.strip_prefix("00") {
        (true, r.to_string())
    } else {
        (false, s)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return NormalizeOutcome::Junk("not a phone number");
    }
    let is_cn_mobile = |d: &str| d.len() == 11 && d.starts_with('1');
    let out = if let Some(rest) = digits.strip_prefix("86").filter(|r| is_cn_mobile(r)) {
        rest.to_string()
    } else if plus {
        match digits.strip_prefix("86") {
            // +86 landline: keep the national number
            Some(national) => national.to_string(),
            None => format!("+{digits}"),
        }
    } else {
        digits
    };
    let n = out.trim_start_matches('+').len();
    if !(5..=15).contains(&n) {
        return NormalizeOutcome::Junk("not a phone number");
    }
    NormalizeOutcome::Value(out)
}

/// The rule for one identity kind.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KindRule {
    /// The kind.
    pub kind: IdentityKind,
    /// How values are normalised.
    pub normalizer: Normalizer,
    /// How strongly this kind identifies a person: an event belongs to the customer of its
    /// highest-priority identity, and in a conflict the lowest-priority identity is left
    /// unlinked.
    pub priority: u32,
    /// The most identities of this kind one customer may hold (≥ 1).
    pub limit: u32,
    /// Whether a namespace (app id, corp id) is required.
    pub namespaced: bool,
}

impl KindRule {
    /// A rule.
    pub fn new(kind: IdentityKind, normalizer: Normalizer, priority: u32, limit: u32) -> Self {
        KindRule { kind, normalizer, priority, limit, namespaced: false }
    }

    /// Require a namespace.
    pub fn namespaced(mut self) -> Self {
        self.namespaced = true;
        self
    }
}

/// A blocklist rule: values (after normalisation) that are junk, for one kind or all kinds.
/// `pattern` is matched case-insensitively as a glob: `*` any run, `?` any one character;
/// without wildcards it is an exact value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockRule {
    /// The kind it applies to (`None`: every kind).
    #[serde(default)]
    pub kind: Option<IdentityKind>,
    /// Exact value or glob pattern.
    pub pattern: String,
}

/// The identity rules of a pool. [`IdentityRules::default`] gives rules for Chinese
/// e-commerce; hosts can declare their own kinds and change every number.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IdentityRules {
    /// The declared kinds. Identities of an undeclared kind reject their event.
    pub kinds: Vec<KindRule>,
    /// User-added junk values and patterns (on top of the built-in junk: empty, `null`,
    /// `undefined`, `none`, `nan`, `0`, `-1`, and all-zero strings).
    pub blocklist: Vec<BlockRule>,
}

/// The largest per-kind limit allowed.
pub const MAX_KIND_LIMIT: u32 = 64;

impl Default for IdentityRules {
    /// Defaults for Chinese e-commerce:
    ///
    /// | kind | priority | limit | normaliser |
    /// |---|---|---|---|
    /// | phone | 100 | 1 | phone |
    /// | wechat_unionid | 90 | 1 | trim |
    /// | app_user | 80 | 1 | trim |
    /// | email | 70 | 2 | email |
    /// | taobao, jd, douyin, kuaishou, dewu | 60 | 2 | trim |
    /// | wechat_openid (namespaced) | 50 | 10 | trim |
    /// | wecom_external_userid (namespaced) | 50 | 5 | trim |
    /// | device | 10 | 5 | lower case |
    fn default() -> Self {
        use IdentityKind as K;
        use Normalizer as N;
        IdentityRules {
            kinds: vec![
                KindRule::new(K::Phone, N::Phone, 100, 1),
                KindRule::new(K::WechatUnionid, N::Trim, 90, 1),
                KindRule::new(K::AppUser, N::Trim, 80, 1),
                KindRule::new(K::Email, N::Email, 70, 2),
                KindRule::new(K::Taobao, N::Trim, 60, 2),
                KindRule::new(K::Jd, N::Trim, 60, 2),
                KindRule::new(K::Douyin, N::Trim, 60, 2),
                KindRule::new(K::Kuaishou, N::Trim, 60, 2),
                KindRule::new(K::Dewu, N::Trim, 60, 2),
                KindRule::new(K::WechatOpenid, N::Trim, 50, 10).namespaced(),
                KindRule::new(K::WecomExternalUserid, N::Trim, 50, 5).namespaced(),
                KindRule::new(K::Device, N::Lowercase, 10, 5),
            ],
            blocklist: Vec::new(),
        }
    }
}

/// Glob match (case-insensitive ASCII), `*` and `?`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let (mut star, mut mark) = (usize::MAX, 0usize);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = p;
            mark = t;
            p += 1;
        } else if star != usize::MAX {
            p = star + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// Whether `s` has no surrounding white space. ASCII fast path: Unicode white space starts with
/// a byte >= 0x80, so ASCII non-space ends need no decoding.
fn is_trimmed(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        // char::is_whitespace in ASCII: space and \t \n \x0b \x0c \r
        (Some(&f), Some(&l)) if f < 0x80 && l < 0x80 => {
            let ws = |b: u8| b == b' ' || (0x09..=0x0d).contains(&b);
            !ws(f) && !ws(l)
        }
        (None, _) | (_, None) => true,
        _ => s.trim().len() == s.len(),
    }
}

fn builtin_junk(v: &str) -> bool {
    let l = if is_trimmed(v) { v } else { v.trim() };
    // the junk words are at most 9 bytes long
    (l.len() <= 9
        && (l.is_empty()
            || ["null", "undefined", "none", "nan", "nil", "-1", "(null)"].iter().any(|j| l.eq_ignore_ascii_case(j))))
        || l.bytes().all(|b| b == b'0')
}

impl IdentityRules {
    /// Check the rules: at least one kind, no kind twice, limits in 1..=64.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the rule.
    pub fn validate(&self) -> Result<()> {
        if self.kinds.is_empty() {
            return Err(Error::invalid("identity_rules.kinds", "[]", "declare at least one kind"));
        }
        for (i, k) in self.kinds.iter().enumerate() {
            if self.kinds[..i].iter().any(|o| o.kind == k.kind) {
                return Err(Error::invalid(format!("identity_rules.kinds[{i}]"), k.kind.to_string(), "declared twice"));
            }
            if k.limit == 0 || k.limit > MAX_KIND_LIMIT {
                return Err(Error::invalid(
                    format!("identity_rules.kinds[{i}].limit"),
                    k.limit.to_string(),
                    format!("must be 1..={MAX_KIND_LIMIT}"),
                ));
            }
        }
        for (i, b) in self.blocklist.iter().enumerate() {
            if b.pattern.is_empty() || b.pattern.len() > 256 {
                return Err(Error::invalid(
                    format!("identity_rules.blocklist[{i}].pattern"),
                    &b.pattern,
                    "must be 1..=256 bytes",
                ));
            }
        }
        Ok(())
    }

    /// The rule for a kind, if declared.
    pub fn rule(&self, kind: &IdentityKind) -> Option<&KindRule> {
        self.kinds.iter().find(|k| &k.kind == kind)
    }

    /// Whether a normalised value of `kind` is junk.
    pub fn is_blocked(&self, kind: &IdentityKind, value: &str) -> bool {
        builtin_junk(value)
            || self
                .blocklist
                .iter()
                .any(|b| b.kind.as_ref().is_none_or(|k| k == kind) && glob(b.pattern.as_bytes(), value.as_bytes()))
    }

    /// The core of [`IdentityRules::normalize`], without allocating in the common case: checks
    /// `ident`, appends its normalised value to `out`, and returns the trimmed namespace (the
    /// kind's rule is at [`IdentityRules::position`]). `Ok(Err(reason))` for a junk
    /// value (nothing is appended). This is what ingestion and `resolve` both use.
    ///
    /// # Errors
    /// An undeclared kind, or a missing namespace for a namespaced kind.
    pub fn normalize_into<'a>(
        &self,
        ident: BorrowedIdentity<'a>,
        out: &mut String,
    ) -> Result<std::result::Result<Option<&'a str>, &'static str>> {
        let pos = self.position(ident.kind)?;
        self.normalize_at(pos, ident, out)
    }

    /// Position of `kind`'s rule in [`IdentityRules::kinds`].
    ///
    /// # Errors
    /// An undeclared kind.
    pub fn position(&self, kind: &IdentityKind) -> Result<usize> {
        self.kinds.iter().position(|k| &k.kind == kind).ok_or_else(|| {
            Error::invalid("identities.kind", kind.to_string(), "kind not declared in the pool's identity rules")
        })
    }

    /// [`IdentityRules::normalize_into`] with the rule's position already known.
    pub(crate) fn normalize_at<'a>(
        &self,
        pos: usize,
        ident: BorrowedIdentity<'a>,
        out: &mut String,
    ) -> Result<std::result::Result<Option<&'a str>, &'static str>> {
        let rule = &self.kinds[pos];
        let ns = ident.namespace.map(str::trim).filter(|s| !s.is_empty());
        if rule.namespaced && ns.is_none() {
            return Err(Error::invalid(
                "identities.namespace",
                "",
                format!("required for {} (app id or corp id)", ident.kind),
            ));
        }
        let raw = ident.value;
        if builtin_junk(raw) {
            return Ok(Err("blocklisted value"));
        }
        let start = out.len();
        if rule.normalizer.is_identity_on(raw) {
            out.push_str(raw);
            if !self.blocklist.is_empty() && self.is_blocked(&rule.kind, raw) {
                out.truncate(start);
                return Ok(Err("blocklisted value"));
            }
        } else {
            match rule.normalizer.apply(raw) {
                NormalizeOutcome::Junk(why) => return Ok(Err(why)),
                NormalizeOutcome::Value(v) => {
                    if self.is_blocked(&rule.kind, &v) {
                        return Ok(Err("blocklisted value"));
                    }
                    out.push_str(&v);
                }
            }
        }
        Ok(Ok(ns))
    }

    /// Normalise an identity with these rules.
    ///
    /// Returns `Ok(Some(identity))` for a usable identity, `Ok(None)` with a reason for junk
    /// (blocklisted or malformed: drop it and warn), and an error for an undeclared kind or a
    /// missing namespace.
    ///
    /// ```
    /// use yutang::{Identity, IdentityKind, IdentityRules};
    /// let rules = IdentityRules::default();
    /// let n = rules.normalize(&Identity::new(IdentityKind::Phone, "+86 138-0013-8000"))?;
    /// assert_eq!(n.ok().unwrap().value, "13800138000");
    /// assert!(rules.normalize(&Identity::new(IdentityKind::Phone, "null"))?.is_err());
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn normalize(&self, ident: &Identity) -> Result<std::result::Result<Identity, &'static str>> {
        let mut value = String::new();
        Ok(self.normalize_into(BorrowedIdentity::from(ident), &mut value)?.map(|ns| Identity {
            kind: ident.kind.clone(),
            namespace: ns.map(str::to_string),
            value,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(s: &str) -> NormalizeOutcome {
        Normalizer::Phone.apply(s)
    }

    #[test]
    fn phones() {
        let v = |s: &str| NormalizeOutcome::Value(s.to_string());
        assert_eq!(phone("+86 138-0013-8000"), v("13800138000"));
        assert_eq!(phone("0086 13800138000"), v("13800138000"));
        assert_eq!(phone("8613800138000"), v("13800138000"));
        assert_eq!(phone(" 138 0013 8000 "), v("13800138000"));
        assert_eq!(phone("(010) 6552-9988"), v("01065529988"));
        assert_eq!(phone("+1 415-555-0100"), v("+14155550100"));
        assert!(matches!(phone("abc"), NormalizeOutcome::Junk(_)));
        assert!(matches!(phone("123"), NormalizeOutcome::Junk(_)));
    }

    #[test]
    fn emails_and_junk() {
        let r = IdentityRules::default();
        let e = r.normalize(&Identity::new(IdentityKind::Email, "  Foo@Example.COM ")).unwrap().unwrap();
        assert_eq!(e.value, "foo@example.com");
        for junk in ["", "null", "NULL", "undefined", "0", "-1", "0000", "  "] {
            assert!(r.normalize(&Identity::new(IdentityKind::AppUser, junk)).unwrap().is_err(), "{junk:?}");
        }
        assert!(r.normalize(&Identity::new(IdentityKind::Email, "nope")).unwrap().is_err());
    }

    #[test]
    fn user_patterns_and_namespaces() {
        let mut r = IdentityRules::default();
        r.blocklist.push(BlockRule { kind: Some(IdentityKind::Phone), pattern: "1380000*".into() });
        r.blocklist.push(BlockRule { kind: None, pattern: "test?".into() });
        assert!(r.normalize(&Identity::new(IdentityKind::Phone, "13800001111")).unwrap().is_err());
        assert!(r.normalize(&Identity::new(IdentityKind::Phone, "13800138000")).unwrap().is_ok());
        assert!(r.normalize(&Identity::new(IdentityKind::AppUser, "TEST1")).unwrap().is_err());
        assert!(r.normalize(&Identity::new(IdentityKind::AppUser, "test12")).unwrap().is_ok());
        let e = r.normalize(&Identity::new(IdentityKind::WechatOpenid, "o1")).unwrap_err();
        assert_eq!(e.field(), Some("identities.namespace"));
        assert!(r.normalize(&Identity::new(IdentityKind::Custom("crm".into()), "x")).is_err());
    }

    proptest::proptest! {
        /// The ASCII fast paths agree with their plain definitions (Unicode spaces included).
        #[test]
        fn trim_and_junk_fast_paths_agree(v in "[ \u{3000}\u{a0}\u{85}\t\u{b}\u{c}\r\n0-9a-zA-Z()-]{0,12}") {
            proptest::prop_assert_eq!(is_trimmed(&v), v.trim().len() == v.len());
            let l = v.trim();
            let plain = l.is_empty()
                || ["null", "undefined", "none", "nan", "nil", "-1", "(null)"].iter().any(|j| l.eq_ignore_ascii_case(j))
                || l.bytes().all(|b| b == b'0');
            proptest::prop_assert_eq!(builtin_junk(&v), plain, "{:?}", v);
        }

        /// The no-allocation fast path agrees with the full normaliser.
        #[test]
        fn fast_path_agrees(v in "[ 0-9a-zA-Z@+.-]{0,16}") {
            for n in [Normalizer::Trim, Normalizer::Lowercase, Normalizer::Phone, Normalizer::Email] {
                if n.is_identity_on(&v) {
                    proptest::prop_assert_eq!(n.apply(&v), NormalizeOutcome::Value(v.clone()), "{:?}", n);
                }
            }
        }
    }

    #[test]
    fn glob_matches() {
        assert!(glob(b"a*c", b"abbbc"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"a?c", b"ac"));
        assert!(glob(b"A?C", b"abc"));
    }

    #[test]
    fn rules_validate() {
        let mut r = IdentityRules::default();
        assert!(r.validate().is_ok());
        r.kinds[0].limit = 0;
        assert!(r.validate().is_err());
        let mut r = IdentityRules::default();
        let dup = r.kinds[0].clone();
        r.kinds.push(dup);
        assert!(r.validate().is_err());
    }
}
