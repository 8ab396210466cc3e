//! Kotlin/Swift bindings for `yutang::attribution`: an `AttributionPaths` object (outer/inner
//! around `yutang::attribution::Paths`) built from rows, path strings or touchpoints, and plain
//! records for options and results. Channels come out in order of first appearance.

use crate::errors::YutangError;
use std::sync::Arc;
use yutang::attribution as attr;

/// One path: its channels in order, conversions, conversion value and nulls.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PathRecord {
    pub channels: Vec<String>,
    pub conversions: f64,
    #[uniffi(default = 0.0)]
    pub value: f64,
    #[uniffi(default = 0.0)]
    pub nulls: f64,
}

/// One touchpoint or conversion of a customer. `at_millis`: epoch milliseconds, UTC.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TouchpointRecord {
    pub customer: String,
    pub at_millis: i64,
    /// The channel of a touch; may be empty on a conversion.
    pub channel: String,
    #[uniffi(default = false)]
    pub is_conversion: bool,
    /// The conversion's value (e.g. the order amount in major units).
    #[uniffi(default = 0.0)]
    pub value: f64,
}

/// How touchpoints become paths.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TouchpointPathOptions {
    #[uniffi(default = 30)]
    pub lookback_days: u32,
    #[uniffi(default = None)]
    pub as_of_millis: Option<i64>,
    #[uniffi(default = false)]
    pub conversion_touch: bool,
}

/// Heuristic tunables (`None` = the core default: direct channels `direct`, `(direct)`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct HeuristicOptionsRecord {
    #[uniffi(default = 7.0)]
    pub half_life: f64,
    #[uniffi(default = 0.4)]
    pub position_first: f64,
    #[uniffi(default = 0.4)]
    pub position_last: f64,
    #[uniffi(default = None)]
    pub direct_channels: Option<Vec<String>>,
}

/// Markov tunables.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MarkovOptionsRecord {
    #[uniffi(default = 1)]
    pub order: u32,
}

/// What a set of channels is worth in the Shapley game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ShapleyWorthRecord {
    Conversions,
    ConversionRate,
}

/// Shapley tunables (`worth` `None` = conversions).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShapleyOptionsRecord {
    #[uniffi(default = None)]
    pub worth: Option<ShapleyWorthRecord>,
    #[uniffi(default = 16)]
    pub exact_limit: u32,
    #[uniffi(default = 10000)]
    pub samples: u32,
    #[uniffi(default = 0)]
    pub seed: u64,
}

/// Conversions and value attributed to one channel.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChannelCreditRecord {
    pub channel: String,
    pub conversions: f64,
    pub value: f64,
}

/// The six heuristic models side by side.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HeuristicAttributionRecord {
    pub first_touch: Vec<ChannelCreditRecord>,
    pub last_touch: Vec<ChannelCreditRecord>,
    pub last_non_direct: Vec<ChannelCreditRecord>,
    pub linear: Vec<ChannelCreditRecord>,
    pub time_decay: Vec<ChannelCreditRecord>,
    pub position_based: Vec<ChannelCreditRecord>,
}

/// A channel's removal effects (conversions and value), in [0, 1].
#[derive(Debug, Clone, uniffi::Record)]
pub struct RemovalEffectRecord {
    pub channel: String,
    pub conversion: f64,
    pub value: f64,
}

/// One transition of the Markov chain; states are `(start)`, `(conversion)`, `(null)` or
/// channel names joined by `" > "`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TransitionRecord {
    pub from: String,
    pub to: String,
    pub probability: f64,
}

/// Markov attribution with its removal effects and chain.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MarkovAttributionRecord {
    pub channels: Vec<ChannelCreditRecord>,
    pub removal_effects: Vec<RemovalEffectRecord>,
    pub transitions: Vec<TransitionRecord>,
    pub conversion_probability: f64,
}

/// Shapley attribution; `exact` is false when sampled.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShapleyAttributionRecord {
    pub channels: Vec<ChannelCreditRecord>,
    pub exact: bool,
}

/// Customer paths, validated and interned once, attributed by any model.
#[derive(uniffi::Object)]
pub struct AttributionPaths {
    inner: attr::Paths,
    unattributed_conversions: f64,
    unattributed_value: f64,
}

impl AttributionPaths {
    /// Wrap paths built in Rust (e.g. by `Pool::attribution_paths`).
    pub(crate) fn from_touchpoint_paths(t: attr::TouchpointPaths) -> Self {
        Self {
            inner: t.paths,
            unattributed_conversions: t.unattributed_conversions,
            unattributed_value: t.unattributed_value,
        }
    }
}

fn credits(channels: &[String], conversions: &[f64], value: &[f64]) -> Vec<ChannelCreditRecord> {
    channels
        .iter()
        .zip(conversions.iter().zip(value))
        .map(|(c, (&conversions, &value))| ChannelCreditRecord { channel: c.clone(), conversions, value })
        .collect()
}

#[uniffi::export]
impl AttributionPaths {
    /// Paths from rows of channel lists.
    #[uniffi::constructor]
    pub fn from_rows(rows: Vec<PathRecord>) -> Result<Arc<Self>, YutangError> {
        let mut b = attr::PathsBuilder::new();
        for r in &rows {
            b.push(&r.channels, r.conversions, r.value, r.nulls)?;
        }
        Ok(Arc::new(Self { inner: b.build(), unattributed_conversions: 0.0, unattributed_value: 0.0 }))
    }

    /// Paths from strings such as `"douyin > wechat"`, with a one-character separator.
    #[uniffi::constructor(default(values = None, nulls = None, sep = ">"))]
    pub fn parse(
        paths: Vec<String>,
        conversions: Vec<f64>,
        values: Option<Vec<f64>>,
        nulls: Option<Vec<f64>>,
        sep: String,
    ) -> Result<Arc<Self>, YutangError> {
        let inner = attr::Paths::parse(&paths, &conversions, values.as_deref(), nulls.as_deref(), &sep)?;
        Ok(Arc::new(Self { inner, unattributed_conversions: 0.0, unattributed_value: 0.0 }))
    }

    /// Paths from touchpoints: each conversion's touches within the lookback window; the
    /// touches left after a customer's last conversion become a null path.
    #[uniffi::constructor]
    pub fn from_touchpoints(
        touchpoints: Vec<TouchpointRecord>,
        options: TouchpointPathOptions,
    ) -> Result<Arc<Self>, YutangError> {
        let n = touchpoints.len();
        let mut customers = Vec::with_capacity(n);
        let mut at = Vec::with_capacity(n);
        let mut channels = Vec::with_capacity(n);
        let mut conv = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        for (i, t) in touchpoints.iter().enumerate() {
            let micros = t.at_millis.checked_mul(1000).ok_or_else(|| {
                yutang::Error::invalid(format!("touchpoints[{i}].at_millis"), t.at_millis.to_string(), "out of range")
            })?;
            customers.push(t.customer.as_str());
            at.push(micros);
            channels.push(t.channel.as_str());
            conv.push(t.is_conversion);
            values.push(t.value);
        }
        let mut o = attr::PathOptions::new()
            .lookback_days(options.lookback_days as i64)
            .conversion_touch(options.conversion_touch);
        if let Some(ms) = options.as_of_millis {
            let micros = ms
                .checked_mul(1000)
                .ok_or_else(|| yutang::Error::invalid("as_of_millis", ms.to_string(), "out of range"))?;
            o = o.as_of_micros(micros);
        }
        let t = attr::paths_from_touchpoints(&customers, &at, &channels, &conv, &values, &o)?;
        Ok(Arc::new(Self {
            inner: t.paths,
            unattributed_conversions: t.unattributed_conversions,
            unattributed_value: t.unattributed_value,
        }))
    }

    /// Number of paths.
    pub fn len(&self) -> u64 {
        self.inner.len() as u64
    }

    /// Channel names in order of first appearance.
    pub fn channels(&self) -> Vec<String> {
        self.inner.channels().to_vec()
    }

    /// Observed conversions.
    pub fn total_conversions(&self) -> f64 {
        self.inner.total_conversions()
    }

    /// Observed value.
    pub fn total_value(&self) -> f64 {
        self.inner.total_value()
    }

    /// Conversions (from touchpoints) with no touch inside the lookback window.
    pub fn unattributed_conversions(&self) -> f64 {
        self.unattributed_conversions
    }

    /// Their value.
    pub fn unattributed_value(&self) -> f64 {
        self.unattributed_value
    }

    /// First touch, last touch, last non-direct, linear, time decay, position based.
    pub fn heuristics(&self, options: HeuristicOptionsRecord) -> Result<HeuristicAttributionRecord, YutangError> {
        let mut o = attr::HeuristicOptions::new()
            .half_life(options.half_life)
            .position_weights(options.position_first, options.position_last);
        if let Some(d) = options.direct_channels {
            o = o.direct_channels(d);
        }
        let h = attr::heuristic_models(&self.inner, &o)?;
        let c = |x: &attr::Credits| credits(&h.channels, &x.conversions, &x.value);
        Ok(HeuristicAttributionRecord {
            first_touch: c(&h.first_touch),
            last_touch: c(&h.last_touch),
            last_non_direct: c(&h.last_non_direct),
            linear: c(&h.linear),
            time_decay: c(&h.time_decay),
            position_based: c(&h.position_based),
        })
    }

    /// Exact Markov removal-effect attribution.
    pub fn markov(&self, options: MarkovOptionsRecord) -> Result<MarkovAttributionRecord, YutangError> {
        let m = attr::markov_model(&self.inner, &attr::MarkovOptions::new().order(options.order as usize))?;
        let removal_effects = m
            .channels
            .iter()
            .zip(m.removal_effects.iter().zip(&m.removal_effects_value))
            .map(|(c, (&conversion, &value))| RemovalEffectRecord { channel: c.clone(), conversion, value })
            .collect();
        let transitions = m
            .transitions
            .iter()
            .map(|t| TransitionRecord {
                from: m.state_name(t.from, " > "),
                to: m.state_name(t.to, " > "),
                probability: t.probability,
            })
            .collect();
        Ok(MarkovAttributionRecord {
            channels: credits(&m.channels, &m.conversions, &m.value),
            removal_effects,
            transitions,
            conversion_probability: m.conversion_probability,
        })
    }

    /// Shapley-value attribution.
    pub fn shapley(&self, options: ShapleyOptionsRecord) -> Result<ShapleyAttributionRecord, YutangError> {
        let worth = match options.worth {
            Some(ShapleyWorthRecord::ConversionRate) => attr::ShapleyWorth::ConversionRate,
            _ => attr::ShapleyWorth::Conversions,
        };
        let o = attr::ShapleyOptions::new()
            .worth(worth)
            .exact_limit(options.exact_limit as usize)
            .samples(options.samples as usize)
            .seed(options.seed);
        let s = attr::shapley_model(&self.inner, &o)?;
        Ok(ShapleyAttributionRecord { channels: credits(&s.channels, &s.conversions, &s.value), exact: s.exact })
    }
}
