//! The journey definition: plain data (serde, versioned), loaded from JSON and validated.

use crate::error::{Error, Result};
use crate::model::{Channel, EventKind};
use serde::{Deserialize, Serialize};

/// The definition format version this library reads and writes.
pub const JOURNEY_VERSION: u32 = 1;

/// The conversion window of a journey that does not set one: 30 days.
pub const DEFAULT_CONVERSION_WINDOW: Span = Span::days(30);

/// How late a trigger may arrive and still start an instance, unless the journey says: 24 hours.
pub const DEFAULT_MAX_LATENESS: Span = Span::hours(24);

/// The longest conversion window (and `max_lateness`): 3660 days.
pub const MAX_CONVERSION_WINDOW: Span = Span::days(3660);

/// A span of time written `30d`, `12h`, `90m`, `45s` or `0` (negative: `-7d`). Stored in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span(pub i64);

impl Span {
    /// A span of whole days.
    pub const fn days(d: i64) -> Span {
        Span(d * 86_400)
    }
    /// A span of whole hours.
    pub const fn hours(h: i64) -> Span {
        Span(h * 3_600)
    }
    /// Seconds.
    pub fn seconds(self) -> i64 {
        self.0
    }
    /// Microseconds.
    pub fn micros(self) -> i64 {
        self.0.saturating_mul(1_000_000)
    }
    /// Parse `30d`, `-7d`, `12h`, `90m`, `45s`, `0`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for anything else.
    pub fn parse(text: &str) -> Result<Span> {
        let t = text.trim();
        if t == "0" {
            return Ok(Span(0));
        }
        let (neg, body) = match t.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let bad = || Error::invalid("span", text, "expected a number and a unit d, h, m or s (e.g. 30d, -7d, 90m)");
        if body.len() < 2 || !body.is_ascii() {
            return Err(bad());
        }
        let (num, unit) = body.split_at(body.len() - 1);
        let n: i64 = num.parse().map_err(|_| bad())?;
        if !num.bytes().all(|b| b.is_ascii_digit()) || n > 100_000 {
            return Err(bad());
        }
        let mult = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            "s" => 1,
            _ => return Err(bad()),
        };
        Ok(Span(if neg { -n * mult } else { n * mult }))
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        if s == 0 {
            return f.write_str("0");
        }
        let (sign, a) = if s < 0 { ("-", -s) } else { ("", s) };
        if a % 86_400 == 0 {
            write!(f, "{sign}{}d", a / 86_400)
        } else if a % 3_600 == 0 {
            write!(f, "{sign}{}h", a / 3_600)
        } else if a % 60 == 0 {
            write!(f, "{sign}{}m", a / 60)
        } else {
            write!(f, "{sign}{a}s")
        }
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Span::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A wall-clock time of day `HH:MM` (minutes after midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(pub u16);

impl LocalTime {
    /// `HH:MM`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] unless `00:00` ≤ value ≤ `23:59`.
    pub fn parse(text: &str) -> Result<LocalTime> {
        let bad = || Error::invalid("local_time", text, "expected HH:MM between 00:00 and 23:59");
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(LocalTime(h * 60 + m))
    }
    /// Minutes after midnight.
    pub fn minutes(self) -> u32 {
        self.0 as u32
    }
}

impl std::fmt::Display for LocalTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for LocalTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        LocalTime::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A condition on the customer at the moment it is evaluated (`now`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Number of the customer's events of `event` in `(now − within, now]` (whole history when
    /// `within` is absent) is at least `at_least` and at most `at_most` (each optional).
    Count {
        /// The event kind counted.
        event: EventKind,
        /// Lower bound (inclusive).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<u32>,
        /// Upper bound (inclusive).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<u32>,
        /// Look-back window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within: Option<Span>,
    },
    /// The customer's value tier is this one (`high`, `mid`, `low`): the tier set in the
    /// journey settings for the customer, else the pool's `tier` attribute of the condition
    /// language (a host-set attribute, or the lifecycle module's RFM value tier).
    Tier(String),
    /// A condition of the condition language ([`crate::rules`]), as its JSON tree.
    Rule(crate::rules::Rule),
    /// The same as text (`orders(30d) >= 2 and channel_seen("douyin")`), parsed at load.
    RuleText(String),
    /// The customer's latest event of `event` carries property `key` equal to `value`
    /// (a tag the host records on events, e.g. `{"key": "vip", "value": true}`).
    Property {
        /// The event kind to look at.
        event: EventKind,
        /// Property key.
        key: String,
        /// Expected value.
        value: crate::model::PropValue,
    },
    /// All hold.
    All(Vec<Condition>),
    /// Any holds.
    Any(Vec<Condition>),
    /// Does not hold.
    Not(Box<Condition>),
}

/// What starts an instance: exactly one of an event kind, entering a segment, entering a
/// lifecycle stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The event kind that starts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventKind>,
    /// Entering this segment (of the condition language) starts it, at the instant the
    /// customer enters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Entering this lifecycle stage starts it, at the instant the customer enters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Optional entry condition, evaluated at the event (the event itself counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// The first step (default: the first step of the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
}

/// Whether a customer may enter again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "policy", deny_unknown_fields)]
pub enum Reentry {
    /// Once per customer (and instance key) ever.
    Never,
    /// Again once the previous instance (same instance key) has ended.
    #[default]
    AfterExit,
    /// Again once the previous instance ended at least `cooldown` ago.
    Cooldown {
        /// Time since the previous instance ended.
        cooldown: Span,
    },
    /// On every trigger: a running instance with the same key is ended (`restarted`) and a
    /// new one starts.
    EveryTrigger,
}

/// What makes instances distinct for one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InstanceKey {
    /// One instance per customer.
    #[default]
    Customer,
    /// One per order id of the trigger event.
    Order,
    /// One per subscription id of the trigger event.
    Subscription,
}

/// An event that ends an instance at once (as converted for goals, exited for exit rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    /// The event kind.
    pub event: EventKind,
    /// Only an event that carries the instance's key (same order / subscription id).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_key: bool,
    /// Optional condition evaluated at the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
}

/// What happens to an action blocked by a frequency cap or quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Blocked {
    /// Send it at the first moment allowed.
    #[default]
    Defer,
    /// Skip it and go on.
    Drop,
}

/// A channel chosen by condition (first match), e.g. a staff phone call for high-value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelWhen {
    /// The condition.
    pub when: Condition,
    /// The channel if it holds.
    pub channel: Channel,
}

/// One case of a branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The condition.
    pub when: Condition,
    /// The step to go to.
    pub goto: String,
}

/// One arm of a split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// Name of the arm (`A`, `B`, `control` …).
    pub name: String,
    /// Relative weight (> 0).
    pub weight: u32,
    /// The step to go to; absent: a control arm that receives nothing (the instance is followed
    /// until its conversion window closes, then ends as `control`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goto: Option<String>,
}

/// When a wait-until step ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The time the instance was entered.
    Entered,
    /// The `expires_at` of the trigger event's subscription.
    SubscriptionExpires,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", deny_unknown_fields)]
pub enum StepKind {
    /// Emit an action.
    Send {
        /// The channel (unless a `channel_by` case matches).
        channel: Channel,
        /// Channel by condition, first match wins.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        channel_by: Vec<ChannelWhen>,
        /// Template id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<String>,
        /// Offer id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offer_id: Option<String>,
        /// Offer value: the price level as a fraction (0.85 = a coupon at 85 % of price).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offer: Option<f64>,
        /// Next step (default: the following one in the list).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    /// Wait a fixed time (`min` only) or a random time in `[min, max]` (whole minutes, drawn
    /// deterministically per customer, journey and step from the journey's seed).
    Wait {
        /// The wait (or the lower bound).
        min: Span,
        /// The upper bound of a random wait.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<Span>,
        /// Next step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    /// Wait until `anchor + offset`, optionally moved to a wall-clock time on that local day.
    WaitUntil {
        /// The reference instant.
        anchor: Anchor,
        /// Offset from it (`-7d`).
        offset: Span,
        /// Wall-clock time in the customer's zone on the resulting day (`10:00`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_local: Option<LocalTime>,
        /// Next step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<String>,
    },
    /// Hold until an event (→ `on_event`) or the timeout (→ `on_timeout`).
    Hold {
        /// The awaited event kind.
        event: EventKind,
        /// Only an event with the instance's key.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        same_key: bool,
        /// Timeout.
        timeout: Span,
        /// Step after the event.
        on_event: String,
        /// Step after the timeout.
        on_timeout: String,
    },
    /// First matching case, else `otherwise`.
    Branch {
        /// Cases in order.
        cases: Vec<Case>,
        /// Step when none matches.
        otherwise: String,
    },
    /// Sticky deterministic assignment to an arm.
    Split {
        /// Arms in order.
        arms: Vec<Arm>,
    },
    /// End the instance (finished).
    End,
}

/// One step: an id and what it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Unique id within the journey (`end` is reserved: the implicit end).
    pub id: String,
    /// What it does.
    #[serde(flatten)]
    pub kind: StepKind,
}

/// A journey definition. See the [module documentation](super).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// Format version (1).
    pub version: u32,
    /// Journey id (ascii letters, digits, `_ - .`; at most 64).
    pub id: String,
    /// Human name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Seed of the deterministic draws (random waits, splits).
    #[serde(default)]
    pub seed: u64,
    /// What starts an instance (any of these).
    pub triggers: Vec<Trigger>,
    /// Re-entry policy.
    #[serde(default)]
    pub reentry: Reentry,
    /// What makes instances distinct for one customer.
    #[serde(default)]
    pub instance_key: InstanceKey,
    /// Goal events: end the instance as converted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<EventRule>,
    /// How long after entry a goal counts as a conversion in the journey's results, and how
    /// long a control instance is followed (default 30 days; see
    /// [`Journey::conversion_window_span`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion_window: Option<Span>,
    /// How late a trigger event may arrive (dated before the last `advance`) and still start
    /// an instance (default 24 hours; see [`Journey::max_lateness_span`]). Late goals, exits
    /// and hold events act however late they arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lateness: Option<Span>,
    /// Exit events: end the instance at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exits: Vec<EventRule>,
    /// Blocked by a cap or quiet hours: defer or drop.
    #[serde(default)]
    pub blocked: Blocked,
    /// Channels to try, in order, when the chosen one is refused by the customer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback_channels: Vec<Channel>,
    /// Whether quiet hours apply to this journey's sends (default true).
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    pub quiet_hours: bool,
    /// The steps.
    pub steps: Vec<Step>,
}

fn yes() -> bool {
    true
}

impl Trigger {
    /// The condition-language rule whose becoming true is this trigger (segment or stage
    /// entry), as text.
    pub fn entry_rule_text(&self) -> Option<String> {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        match (&self.segment, &self.stage) {
            (Some(seg), _) => Some(format!("segment({})", q(seg))),
            (None, Some(st)) => Some(format!("stage == {}", q(st))),
            _ => None,
        }
    }
}

impl Journey {
    /// Load and validate a definition from JSON.
    ///
    /// # Errors
    /// [`Error::InvalidField`] with the JSON path of the offending element (`steps[2].next`).
    pub fn from_json(text: &str) -> Result<Journey> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Error::invalid("journey", format!("line {}, column {}", e.line(), e.column()), e.to_string())
        })?;
        let j = super::validate::from_value(v)?;
        j.validate()?;
        Ok(j)
    }

    /// The definition as JSON (pretty).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The conversion window: [`Journey::conversion_window`], else 30 days.
    pub fn conversion_window_span(&self) -> Span {
        self.conversion_window.unwrap_or(DEFAULT_CONVERSION_WINDOW)
    }

    /// The most a trigger may be late: [`Journey::max_lateness`], else 24 hours.
    pub fn max_lateness_span(&self) -> Span {
        self.max_lateness.unwrap_or(DEFAULT_MAX_LATENESS)
    }

    /// The journey's first split step (in the order of the list) and its arms: the split whose
    /// arm names the results and `journey_instances` report.
    pub fn first_split(&self) -> Option<(usize, &[Arm])> {
        self.steps.iter().enumerate().find_map(|(i, s)| match &s.kind {
            StepKind::Split { arms } => Some((i, arms.as_slice())),
            _ => None,
        })
    }

    /// Index of a step by id.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }
}
