//! Kotlin/Swift bindings for `yutang::Pool`: mirror records and a thread-safe `Pool` object.

use crate::errors::YutangError;
use crate::progress::{ProgressListener, Relay};
use std::collections::HashMap;
use std::sync::Arc;

/// An identity (`kind` is a string id such as `phone`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct IdentityRecord {
    pub kind: String,
    #[uniffi(default = None)]
    pub namespace: Option<String>,
    pub value: String,
}

/// An order line.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ItemRecord {
    pub sku: String,
    #[uniffi(default = None)]
    pub category: Option<String>,
    #[uniffi(default = 1)]
    pub quantity: u32,
    /// Unit price in major units ("19.90").
    #[uniffi(default = None)]
    pub unit_price: Option<String>,
}

/// An event as it arrives. `at` is ISO-8601 (with an offset, or in the pool's business zone);
/// `amount` a decimal string in major units.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EventRecord {
    pub id: String,
    pub at: String,
    pub kind: String,
    pub identities: Vec<IdentityRecord>,
    #[uniffi(default = None)]
    pub channel: Option<String>,
    #[uniffi(default = None)]
    pub amount: Option<String>,
    #[uniffi(default = None)]
    pub currency: Option<String>,
    #[uniffi(default = None)]
    pub order_id: Option<String>,
    #[uniffi(default = [])]
    pub items: Vec<ItemRecord>,
    #[uniffi(default)]
    pub properties: HashMap<String, String>,
    #[uniffi(default = None)]
    pub referrer: Option<IdentityRecord>,
    #[uniffi(default = None)]
    pub group_id: Option<String>,
    #[uniffi(default = None)]
    pub consent_channel: Option<String>,
    #[uniffi(default = None)]
    pub granted: Option<bool>,
    #[uniffi(default = None)]
    pub source: Option<String>,
    #[uniffi(default = None)]
    pub subscription_id: Option<String>,
    #[uniffi(default = None)]
    pub expires_at: Option<String>,
}

/// One rejected or warned-about event.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RejectionRecord {
    pub index: u64,
    pub field: String,
    pub reason: String,
}

/// What an ingest did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct IngestReportRecord {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: Vec<RejectionRecord>,
    pub warnings: Vec<RejectionRecord>,
    /// Accepted events dated before the latest event already processed.
    #[uniffi(default = 0)]
    pub late: u64,
    /// Whether late events touched over a quarter of the pool and cost a pass over all of it
    /// (otherwise they re-link only the customers they touch).
    #[uniffi(default = false)]
    pub full_pass: bool,
    /// Whether a progress listener stopped the ingest: only the events before the stop were
    /// read (and counted); they are stored.
    #[uniffi(default = false)]
    pub stopped: bool,
}

/// Money in one currency: exact minor units and the decimal string.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MoneyRecord {
    pub currency: String,
    pub minor: i64,
    pub amount: String,
}

/// Per-channel activity.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChannelStatsRecord {
    pub channel: String,
    pub events: u64,
    pub last_at: String,
}

/// Profile facts of one customer (times ISO-8601 UTC).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProfileRecord {
    pub customer_id: String,
    pub identities: Vec<IdentityRecord>,
    pub event_count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub order_count: u64,
    pub refund_count: u64,
    pub first_order_at: Option<String>,
    pub last_order_at: Option<String>,
    pub spend: Vec<MoneyRecord>,
    pub channels: Vec<ChannelStatsRecord>,
}

/// A refused link.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ConflictRecord {
    pub event_id: String,
    pub at: String,
    pub identity: IdentityRecord,
    pub limit_kind: String,
    pub customer_id: String,
    pub other_customer_id: Option<String>,
}

/// A merge-log entry.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MergeEntryRecord {
    pub seq: u64,
    pub at: String,
    pub event_id: Option<String>,
    pub survivor: Option<String>,
    pub absorbed: String,
    pub reason: String,
}

/// Pool counts.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PoolStatsRecord {
    pub events: u64,
    pub identities: u64,
    pub customers: u64,
    pub conflicts: u64,
    pub merges: u64,
}

/// One customer's RFM summary (lifetimes' columns).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PoolRfmRecord {
    pub customer_id: String,
    pub frequency: f64,
    pub recency: f64,
    pub t: f64,
    pub monetary_value: f64,
}

/// Pool options (defaults: Asia/Shanghai, CNY, no retention).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PoolOptions {
    #[uniffi(default = "Asia/Shanghai")]
    pub time_zone: String,
    #[uniffi(default = "CNY")]
    pub currency: String,
    #[uniffi(default = None)]
    pub retention_days: Option<u32>,
    /// Full configuration as JSON (`PoolConfig`), overriding the fields above when given.
    #[uniffi(default = None)]
    pub config_json: Option<String>,
}

fn identity_record(i: &yutang::Identity) -> IdentityRecord {
    IdentityRecord { kind: i.kind.to_string(), namespace: i.namespace.clone(), value: i.value.clone() }
}

fn identity_input(i: &IdentityRecord) -> yutang::model::IdentityInput {
    yutang::model::IdentityInput { kind: i.kind.clone(), namespace: i.namespace.clone(), value: i.value.clone() }
}

fn to_identity(kind: &str, value: &str, namespace: Option<String>) -> Result<yutang::Identity, YutangError> {
    Ok(yutang::Identity { kind: yutang::IdentityKind::parse(kind)?, namespace, value: value.to_string() })
}

impl From<&EventRecord> for yutang::EventInput {
    fn from(r: &EventRecord) -> Self {
        yutang::EventInput {
            id: Some(r.id.clone()),
            at: Some(r.at.clone()),
            kind: Some(r.kind.clone()),
            channel: r.channel.clone(),
            identities: r.identities.iter().map(identity_input).collect(),
            amount: r.amount.clone().map(serde_json::Value::String),
            currency: r.currency.clone(),
            order_id: r.order_id.clone(),
            items: r
                .items
                .iter()
                .map(|i| yutang::model::ItemInput {
                    sku: i.sku.clone(),
                    category: i.category.clone(),
                    quantity: Some(i.quantity),
                    unit_price: i.unit_price.clone().map(serde_json::Value::String),
                })
                .collect(),
            properties: r.properties.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
            referrer: r.referrer.as_ref().map(identity_input),
            group_id: r.group_id.clone(),
            consent_channel: r.consent_channel.clone(),
            granted: r.granted,
            source: r.source.clone(),
            subscription_id: r.subscription_id.clone(),
            expires_at: r.expires_at.clone(),
        }
    }
}

fn event_record(e: &yutang::Event) -> EventRecord {
    EventRecord {
        id: e.id.clone(),
        at: e.at.to_rfc3339(),
        kind: e.kind.to_string(),
        identities: e.identities.iter().map(identity_record).collect(),
        channel: e.channel.as_ref().map(|c| c.to_string()),
        amount: e.money.map(|m| m.to_decimal_string()),
        currency: e.money.map(|m| m.currency.to_string()),
        order_id: e.order_id.clone(),
        items: e
            .items
            .iter()
            .map(|i| ItemRecord {
                sku: i.sku.clone(),
                category: i.category.clone(),
                quantity: i.quantity,
                unit_price: i.unit_price.map(|m| m.to_decimal_string()),
            })
            .collect(),
        properties: e
            .properties
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    yutang::PropValue::Str(s) => s.clone(),
                    yutang::PropValue::Int(i) => i.to_string(),
                    yutang::PropValue::Float(f) => f.to_string(),
                    yutang::PropValue::Bool(b) => b.to_string(),
                };
                (k.clone(), s)
            })
            .collect(),
        referrer: e.referrer.as_ref().map(identity_record),
        group_id: e.group_id.clone(),
        consent_channel: e.consent.as_ref().map(|c| c.channel.to_string()),
        granted: e.consent.as_ref().map(|c| c.granted),
        source: e.consent.as_ref().and_then(|c| c.source.clone()),
        subscription_id: e.subscription.as_ref().map(|s| s.id.clone()),
        expires_at: e.subscription.as_ref().and_then(|s| s.expires_at).map(|t| t.to_rfc3339()),
    }
}

fn rejection_record(r: &yutang::Rejection) -> RejectionRecord {
    RejectionRecord { index: r.index as u64, field: r.field.clone(), reason: r.reason.clone() }
}

fn report_record(r: yutang::IngestReport) -> IngestReportRecord {
    IngestReportRecord {
        accepted: r.accepted as u64,
        duplicates: r.duplicates as u64,
        rejected: r.rejected.iter().map(rejection_record).collect(),
        warnings: r.warnings.iter().map(rejection_record).collect(),
        late: r.late as u64,
        full_pass: r.full_pass,
        stopped: r.stopped,
    }
}

fn profile_record(p: &yutang::Profile) -> ProfileRecord {
    ProfileRecord {
        customer_id: p.customer_id.clone(),
        identities: p.identities.iter().map(identity_record).collect(),
        event_count: p.event_count,
        first_seen: p.first_seen.map(|t| t.to_rfc3339()),
        last_seen: p.last_seen.map(|t| t.to_rfc3339()),
        order_count: p.order_count,
        refund_count: p.refund_count,
        first_order_at: p.first_order_at.map(|t| t.to_rfc3339()),
        last_order_at: p.last_order_at.map(|t| t.to_rfc3339()),
        spend: p
            .spend
            .iter()
            .map(|(c, m)| MoneyRecord {
                currency: c.to_string(),
                minor: *m,
                amount: yutang::Money::new(*m, *c).to_decimal_string(),
            })
            .collect(),
        channels: p
            .channels
            .iter()
            .map(|(c, s)| ChannelStatsRecord {
                channel: c.to_string(),
                events: s.events,
                last_at: s.last_at.to_rfc3339(),
            })
            .collect(),
    }
}

/// The customer pool. Safe to share across threads: reads run in parallel, writes are
/// exclusive (an internal read–write lock).
#[derive(uniffi::Object)]
pub struct Pool {
    inner: yutang::SharedPool,
}

impl Pool {
    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, yutang::Pool> {
        self.inner.read()
    }
    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, yutang::Pool> {
        self.inner.write()
    }
}

#[uniffi::export]
impl Pool {
    /// A new, empty pool.
    #[uniffi::constructor]
    pub fn new(options: PoolOptions) -> Result<Arc<Self>, YutangError> {
        let config = match &options.config_json {
            Some(j) => serde_json::from_str::<yutang::PoolConfig>(j).map_err(|e| YutangError::InvalidField {
                field: "config_json".into(),
                value: String::new(),
                reason: e.to_string(),
            })?,
            None => yutang::PoolConfig {
                time_zone: options.time_zone.clone(),
                currency: yutang::Currency::parse(&options.currency)?,
                retention_days: options.retention_days,
                ..Default::default()
            },
        };
        Ok(Arc::new(Pool { inner: yutang::SharedPool::new(yutang::Pool::new(config)?) }))
    }

    /// Restore a pool from `snapshot()` bytes.
    #[uniffi::constructor]
    pub fn restore(bytes: Vec<u8>) -> Result<Arc<Self>, YutangError> {
        Ok(Arc::new(Pool { inner: yutang::SharedPool::new(yutang::Pool::restore(&bytes)?) }))
    }

    /// Restore from a file written by `snapshotTo` (or holding `snapshot()` bytes), streaming.
    #[uniffi::constructor]
    pub fn restore_from(path: String) -> Result<Arc<Self>, YutangError> {
        let f = std::fs::File::open(&path)
            .map_err(|e| yutang::Error::Snapshot { reason: format!("cannot open the file: {e}") })?;
        let pool = yutang::Pool::restore_from(std::io::BufReader::with_capacity(1 << 20, f))?;
        Ok(Arc::new(Pool { inner: yutang::SharedPool::new(pool) }))
    }

    /// Ingest events; bad events are reported per index, never thrown.
    pub fn ingest(&self, events: Vec<EventRecord>) -> IngestReportRecord {
        let inputs: Vec<yutang::EventInput> = events.iter().map(Into::into).collect();
        report_record(self.write().ingest_inputs(&inputs))
    }

    /// `ingest`, telling `progress` how far it has got (stages `ingest` and `link`). When the
    /// listener returns false the ingest stops reading: the events read so far are stored and
    /// the report says `stopped`; when it throws, the same, and the exception is thrown.
    /// Ingesting the same events again is safe: the stored ones count as duplicates.
    pub fn ingest_with_progress(
        &self,
        events: Vec<EventRecord>,
        progress: Arc<dyn ProgressListener>,
    ) -> Result<IngestReportRecord, YutangError> {
        let inputs: Vec<yutang::EventInput> = events.iter().map(Into::into).collect();
        let mut relay = Relay::new(Some(progress));
        let report = self.write().ingest_inputs_with_progress(&inputs, &mut |p| relay.call(p));
        relay.check()?;
        Ok(report_record(report))
    }

    /// Ingest a JSON array of events (the `EventInput` shape). An element that is not a valid
    /// event is a rejection at its position (values masked), not a failed batch; only text
    /// that is not a JSON array throws.
    pub fn ingest_json(&self, json: String) -> Result<IngestReportRecord, YutangError> {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(&json).map_err(|e| yutang::Error::json("json", &e))?;
        let mut pool = self.write();
        let (tz, cur, limits) = (pool.time_zone(), pool.config().currency, pool.config().limits);
        let events = values.into_iter().map(|v| {
            serde_json::from_value::<yutang::EventInput>(v)
                .map_err(|e| yutang::Error::json("event", &e))
                .and_then(|i| i.into_event(tz, cur, &limits))
        });
        Ok(report_record(pool.ingest_results(events)))
    }

    /// The customer of an identity, or null.
    pub fn resolve(
        &self,
        kind: String,
        value: String,
        namespace: Option<String>,
    ) -> Result<Option<String>, YutangError> {
        Ok(self.read().resolve(&to_identity(&kind, &value, namespace)?))
    }

    /// Every customer id, in founding order.
    pub fn customer_ids(&self) -> Vec<String> {
        self.read().customer_ids()
    }

    /// Profile facts of one customer.
    pub fn profile(&self, customer_id: String) -> Result<ProfileRecord, YutangError> {
        Ok(profile_record(&self.read().profile(&customer_id)?))
    }

    /// Profile facts of every customer.
    pub fn profiles(&self) -> Vec<ProfileRecord> {
        self.read().profiles().iter().map(profile_record).collect()
    }

    /// A customer's events in time order.
    pub fn timeline(&self, customer_id: String) -> Result<Vec<EventRecord>, YutangError> {
        Ok(self.read().timeline(&customer_id)?.iter().map(event_record).collect())
    }

    /// Everything held about one customer, as JSON.
    pub fn export_json(&self, customer_id: String) -> Result<String, YutangError> {
        let x = self.read().export(&customer_id)?;
        serde_json::to_string(&x).map_err(|e| YutangError::Other { detail: e.to_string() })
    }

    /// Remove a customer and everything of theirs. Returns the number of events removed.
    pub fn erase(&self, customer_id: String) -> Result<u64, YutangError> {
        Ok(self.write().erase(&customer_id)?.events as u64)
    }

    /// Split an identity off its customer; returns its (new) customer id.
    pub fn unbind(
        &self,
        kind: String,
        value: String,
        namespace: Option<String>,
    ) -> Result<Option<String>, YutangError> {
        let ident = to_identity(&kind, &value, namespace)?;
        Ok(self.write().unbind(&ident)?)
    }

    /// Refused links.
    pub fn conflicts(&self) -> Vec<ConflictRecord> {
        self.read()
            .conflicts()
            .iter()
            .map(|c| ConflictRecord {
                event_id: c.event_id.clone(),
                at: c.at.to_rfc3339(),
                identity: identity_record(&c.identity),
                limit_kind: c.limit_kind.to_string(),
                customer_id: c.customer_id.clone(),
                other_customer_id: c.other_customer_id.clone(),
            })
            .collect()
    }

    /// The append-only merge log.
    pub fn merge_log(&self) -> Vec<MergeEntryRecord> {
        self.read()
            .merge_log()
            .iter()
            .map(|m| MergeEntryRecord {
                seq: m.seq,
                at: m.at.to_rfc3339(),
                event_id: m.event_id.clone(),
                survivor: m.survivor.clone(),
                absorbed: m.absorbed.clone(),
                reason: serde_json::to_value(m.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// The current id of a (possibly merged-away) customer id.
    pub fn canonical_id(&self, customer_id: String) -> Option<String> {
        self.read().canonical_id(&customer_id)
    }

    /// Heap memory the pool holds at rest, in bytes: events, identities, indexes, the merge
    /// log and the modules' state (tags, attributes, journey instances …).
    pub fn memory_bytes(&self) -> u64 {
        self.read().memory_bytes() as u64
    }

    /// Counts.
    pub fn stats(&self) -> PoolStatsRecord {
        let s = self.read().stats();
        PoolStatsRecord {
            events: s.events as u64,
            identities: s.identities as u64,
            customers: s.customers as u64,
            conflicts: s.conflicts as u64,
            merges: s.merges as u64,
        }
    }

    /// Attribution paths from the pool's events up to `as_of` (ISO-8601): each `conversion`
    /// event (usually "order") with the customer's touches within `lookback_days` before it.
    pub fn attribution_paths(
        &self,
        as_of: String,
        lookback_days: u32,
        conversion: String,
    ) -> Result<Arc<crate::attribution::AttributionPaths>, YutangError> {
        let pool = self.read();
        let t = yutang::parse_time(&as_of, pool.time_zone())?;
        let paths = pool.attribution_paths(t, lookback_days, &yutang::EventKind::parse(&conversion)?)?;
        Ok(Arc::new(crate::attribution::AttributionPaths::from_touchpoint_paths(paths)))
    }

    /// RFM summary of the customers' orders (`freq` "D", "W", "M" or "H"; periods floored in
    /// the business zone; `observation_period_end` ISO-8601, default the last order).
    pub fn rfm_summary(
        &self,
        freq: String,
        observation_period_end: Option<String>,
        include_first_transaction: bool,
    ) -> Result<Vec<PoolRfmRecord>, YutangError> {
        use yutang::ltv::summary::{Freq, SummaryOptions};
        let pool = self.read();
        let mut opts =
            SummaryOptions::new().freq(Freq::parse(&freq)?).include_first_transaction(include_first_transaction);
        if let Some(e) = observation_period_end {
            opts = opts.observation_period_end(yutang::parse_time(&e, pool.time_zone())?.micros());
        }
        let s = pool.rfm_summary(&opts)?;
        let m = s.summary.monetary_value.unwrap_or_default();
        Ok((0..s.customer_ids.len())
            .map(|i| PoolRfmRecord {
                customer_id: s.customer_ids[i].clone(),
                frequency: s.summary.frequency[i],
                recency: s.summary.recency[i],
                t: s.summary.t[i],
                monetary_value: m.get(i).copied().unwrap_or(0.0),
            })
            .collect())
    }

    /// Serialise the pool (versioned, checksummed).
    pub fn snapshot(&self) -> Vec<u8> {
        self.read().snapshot()
    }

    /// Write a snapshot to a file, streaming (bounded buffers: no copy of the pool in memory).
    pub fn snapshot_to(&self, path: String) -> Result<(), YutangError> {
        let f = std::fs::File::create(&path)
            .map_err(|e| yutang::Error::Snapshot { reason: format!("cannot create the file: {e}") })?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        self.read().snapshot_to(&mut w)?;
        std::io::Write::flush(&mut w)
            .map_err(|e| yutang::Error::Snapshot { reason: format!("cannot write the file: {e}") })?;
        Ok(())
    }
}

/// The default pool configuration as JSON (time zone, currency, identity rules, limits); edit
/// it and pass it as `PoolOptions.configJson`.
#[uniffi::export]
pub fn default_config_json() -> String {
    serde_json::to_string(&yutang::PoolConfig::default()).unwrap_or_default()
}
