//! The rule tree: the typed, versioned JSON contract of the condition language.
//!
//! A UI builder or another service produces this tree; the text syntax ([`super::parse`],
//! [`super::to_text`]) converts to it and back. Every tree that passes [`Rule::validate`]
//! prints to a text that parses back to the same tree.

use crate::error::{Error, Result};
use crate::model::{Channel, Currency, EventKind};

/// The current version of the rule tree format.
pub const RULE_VERSION: u32 = 1;

/// A rule: a versioned condition tree.
///
/// In JSON: `{"version": 1, "root": {"op": "compare", ...}}`. In binary formats (the pool's
/// snapshot sections) it is stored as that JSON text, so that it does not depend on the
/// binary format's support for tagged enums.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Format version (currently 1; a newer version is refused by [`Rule::validate`]).
    pub version: u32,
    /// The condition.
    pub root: Node,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleRepr {
    version: u32,
    root: Node,
}

#[derive(serde::Serialize)]
struct RuleRef<'a> {
    version: u32,
    root: &'a Node,
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let r = RuleRef { version: self.version, root: &self.root };
        if s.is_human_readable() {
            r.serialize(s)
        } else {
            s.serialize_str(&serde_json::to_string(&r).map_err(serde::ser::Error::custom)?)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if d.is_human_readable() {
            let r = RuleRepr::deserialize(d)?;
            Ok(Rule { version: r.version, root: r.root })
        } else {
            let s = String::deserialize(d)?;
            Rule::from_json(&s).map_err(serde::de::Error::custom)
        }
    }
}

impl Rule {
    /// A version-1 rule around a node.
    pub fn new(root: Node) -> Self {
        Rule { version: RULE_VERSION, root }
    }

    /// Check version, limits (depth, size, window lengths, string lengths) and the types of
    /// comparisons, naming the path of the offending node (`root.args[1].left.window`).
    ///
    /// # Errors
    /// [`Error::InvalidField`] or [`Error::LimitExceeded`] with the path.
    pub fn validate(&self) -> Result<()> {
        super::check::validate(self)
    }

    /// The rule as its JSON tree.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Read (and validate) a JSON tree.
    ///
    /// # Errors
    /// [`Error::InvalidField`] (field `rule`) for malformed JSON, then what
    /// [`Rule::validate`] finds.
    pub fn from_json(json: &str) -> Result<Rule> {
        if json.len() > super::limits::MAX_TEXT_BYTES * 8 {
            return Err(Error::limit("rule JSON bytes", super::limits::MAX_TEXT_BYTES * 8, json.len()));
        }
        // serde_json refuses nesting deeper than 128 levels; validate() enforces MAX_DEPTH
        let mut de = serde_json::Deserializer::from_str(json);
        let rule: Rule = serde::Deserialize::deserialize(&mut de)
            .map_err(|e| Error::invalid("rule", truncate(json, 80), e.to_string()))?;
        de.end().map_err(|e| Error::invalid("rule", truncate(json, 80), e.to_string()))?;
        rule.validate()?;
        Ok(rule)
    }
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A node of the condition tree.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    /// All arguments hold (`a and b`; `all()` is true).
    And {
        /// The conditions.
        args: Vec<Node>,
    },
    /// At least one argument holds (`a or b`; `any()` is false).
    Or {
        /// The conditions.
        args: Vec<Node>,
    },
    /// The argument does not hold (`not a`).
    Not {
        /// The condition.
        arg: Box<Node>,
    },
    /// A constant (`true`, `false`).
    Const {
        /// The value.
        value: bool,
    },
    /// A comparison of a computed value with a literal (`orders(30d) >= 2`, `stage == "new"`,
    /// `stage in ["new", "repeat"]`).
    Compare {
        /// What is compared.
        left: Operand,
        /// How.
        cmp: Cmp,
        /// With what.
        right: Value,
    },
    /// The operand has no value (`missing(stage)`): the one test that is never unknown.
    Missing {
        /// The operand.
        operand: Operand,
    },
    /// At least one matching event in the window (`did(coupon_redeemed, 14d)`;
    /// `not did(…)` is absence).
    Did {
        /// Which events.
        events: EventFilter,
        /// When.
        #[serde(default)]
        window: Window,
    },
    /// Events matching each step in order, the last at most `within` after the first, all in
    /// the window (`sequence(add_to_cart then order within 2d, 30d)`).
    Sequence {
        /// The steps, in order (2 or more).
        steps: Vec<EventFilter>,
        /// Longest time from the first step to the last.
        within: Duration,
        /// When.
        #[serde(default)]
        window: Window,
    },
    /// Membership in a named segment (`segment("at_risk_vip")`).
    Segment {
        /// The segment name.
        name: String,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in [..]` (the right side is a list)
    In,
}

impl Cmp {
    /// The text form (`>=`, `in`).
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::In => "in",
        }
    }

    /// Apply to an ordering (`In` behaves as `Eq`).
    pub fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Cmp::Eq | Cmp::In => o == Equal,
            Cmp::Ne => o != Equal,
            Cmp::Lt => o == Less,
            Cmp::Le => o != Greater,
            Cmp::Gt => o == Greater,
            Cmp::Ge => o != Less,
        }
    }
}

/// An aggregate function over events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggFn {
    /// Number of matching events (a number; never missing).
    Count,
    /// Sum of their amounts (money; 0 when none).
    Sum,
    /// Mean amount (money; missing when none).
    Avg,
    /// Smallest amount (money; missing when none).
    Min,
    /// Largest amount (money; missing when none).
    Max,
    /// Net spend: order amounts minus refund amounts (money; 0 when none). No event kind.
    Spend,
}

impl AggFn {
    /// The text name.
    pub fn as_str(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Spend => "spend",
        }
    }
}

/// Which end of a customer's history `since` measures from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// The first matching event.
    First,
    /// The last matching event.
    Last,
}

/// A computed value: the left side of a comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "fn", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operand {
    /// An aggregate over events in a window (`count(order, 30d)`, `spend(90d)`).
    Aggregate {
        /// The function.
        agg: AggFn,
        /// Which events.
        events: EventFilter,
        /// When.
        #[serde(default)]
        window: Window,
    },
    /// Time since the first / last matching event up to `as_of` (a duration; missing when
    /// there is none): `since_last(order) > 30d`.
    Since {
        /// First or last.
        which: Which,
        /// Which events.
        events: EventFilter,
    },
    /// The lifecycle stage (a string; from the lifecycle module or a host-set `stage`
    /// attribute).
    Stage,
    /// The value tier (a string; from RFM tiers or a host-set `tier` attribute).
    Tier,
    /// The value of a tag group (a string; rule groups first-match, else a manual tag).
    Tag {
        /// The tag group.
        group: String,
    },
    /// A host-set customer attribute (`attr("city")`): string, number or boolean.
    Attr {
        /// The attribute name.
        name: String,
    },
}

/// Which events an aggregate, `did`, `since` or a sequence step looks at.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// The event kind (`None`: any kind; `spend` always has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EventKind>,
    /// Any of these channels (empty: any channel).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Only money in this currency (amounts in other currencies never pass; for money
    /// aggregates the default is the pool's reporting currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Further conditions on each event (all must hold; an event without the field fails).
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<FieldCond>,
}

/// A condition on one event's field: `amount >= 100`, `prop("city") == "上海"`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldCond {
    /// The field.
    pub field: Field,
    /// How.
    pub cmp: Cmp,
    /// With what.
    pub value: Value,
}

/// An event field usable in a [`FieldCond`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The amount (money, major units in literals).
    Amount,
    /// The group chat id (string).
    GroupId,
    /// The order id (string).
    OrderId,
    /// An event property.
    Prop(String),
}

/// The window of a `did`, aggregate or sequence. Relative windows are half-open and end at
/// `as_of`: `30d` is `(as_of − 30d, as_of]`. Absolute ranges are `[from, to)`, read in the
/// pool's business time zone, and never look past `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Window {
    /// Everything up to `as_of`.
    #[default]
    All,
    /// The last duration up to `as_of`.
    Last(Duration),
    /// An absolute range `[from, to)` (ISO-8601 dates or times; zone-less in the business zone).
    Between {
        /// Start (included).
        from: String,
        /// End (excluded).
        to: String,
    },
}

/// A duration literal: a count of a unit (`30d`, `12h`, `2w`, `90min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    /// How many units.
    pub value: u32,
    /// The unit.
    pub unit: Unit,
}

/// A duration unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Minutes (`min`).
    Minutes,
    /// Hours (`h`).
    Hours,
    /// Days of 24 hours (`d`).
    Days,
    /// Weeks of 7 days (`w`).
    Weeks,
}

impl Unit {
    /// Suffix in the text.
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Minutes => "min",
            Unit::Hours => "h",
            Unit::Days => "d",
            Unit::Weeks => "w",
        }
    }

    /// Seconds in one unit.
    pub fn seconds(self) -> i64 {
        match self {
            Unit::Minutes => 60,
            Unit::Hours => 3600,
            Unit::Days => 86_400,
            Unit::Weeks => 7 * 86_400,
        }
    }
}

impl Duration {
    /// Days.
    pub fn days(value: u32) -> Self {
        Duration { value, unit: Unit::Days }
    }

    /// Length in seconds.
    pub fn seconds(self) -> i64 {
        self.value as i64 * self.unit.seconds()
    }

    /// Length in microseconds.
    pub fn micros(self) -> i64 {
        self.seconds() * 1_000_000
    }

    /// Parse `30d`, `12h`, `2w`, `90min`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] (field `duration`).
    pub fn parse(s: &str) -> Result<Duration> {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (num, unit) = s.split_at(digits);
        let bad = |why: &str| Error::invalid("duration", truncate(s, 40), why.to_string());
        if num.is_empty() || num.len() > 9 {
            return Err(bad("expected a whole number of 1-9 digits followed by min, h, d or w (e.g. 30d)"));
        }
        let value: u32 = num.parse().map_err(|_| bad("not a whole number"))?;
        let unit = match unit {
            "min" => Unit::Minutes,
            "h" => Unit::Hours,
            "d" => Unit::Days,
            "w" => Unit::Weeks,
            _ => return Err(bad("unknown unit: expected min, h, d or w")),
        };
        Ok(Duration { value, unit })
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.value, self.unit.suffix())
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A literal on the right side of a comparison.
///
/// JSON: `true`, `2`, `"at_risk"`, `{"amount": 500.0, "currency": "CNY"}`,
/// `{"duration": "30d"}`, or a list of these for `in`. A JSON array is always a list (the
/// money and duration forms are objects only).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A number (finite).
    Number(f64),
    /// A string.
    Text(String),
    /// A list (for `in`). Tried before the object forms: serde would otherwise read an array
    /// such as `["12h"]` or `[500, "CNY"]` as a duration or an amount, field by field.
    List(Vec<Value>),
    /// An amount in major units with its currency (`500.00 CNY`).
    Money(MoneyLit),
    /// A duration (`30d`).
    Duration(DurationLit),
}

/// An amount with a currency.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyLit {
    /// Major units (`500.0` = ¥500.00).
    pub amount: f64,
    /// The currency.
    pub currency: Currency,
}

/// A duration literal in JSON form.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationLit {
    /// The duration.
    pub duration: Duration,
}

impl Node {
    /// `a and b …`
    pub fn and(args: Vec<Node>) -> Node {
        Node::And { args }
    }
    /// `a or b …`
    pub fn or(args: Vec<Node>) -> Node {
        Node::Or { args }
    }
    /// `not a`
    #[allow(clippy::should_implement_trait)]
    pub fn not(arg: Node) -> Node {
        Node::Not { arg: Box::new(arg) }
    }
    /// `left cmp right`
    pub fn compare(left: Operand, cmp: Cmp, right: Value) -> Node {
        Node::Compare { left, cmp, right }
    }
}

impl EventFilter {
    /// Events of one kind.
    pub fn kind(kind: EventKind) -> Self {
        EventFilter { kind: Some(kind), ..Default::default() }
    }
}
