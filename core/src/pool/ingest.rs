//! Ingestion: validate, normalise and store events, then link their identities.
//!
//! Every way in ([`Pool::ingest`], [`Pool::ingest_inputs`], [`Pool::ingest_results`], the
//! bindings' columnar paths) goes through one [`Ingester`], which stores a [`BorrowedEvent`]
//! without the host building an owned [`Event`]: strings are copied once, into the pool.

use super::store::{self, Extra, Rare, Row, NONE};
use super::{rejection, rename_field, IngestReport, Pool, Rejection, MAX_EVENTS};
use crate::error::{Error, Result};
use crate::model::{BorrowedEvent, BorrowedIdentity, Event, EventInput, Identity};

/// Stores events one at a time and links them when it finishes (see [`Pool::ingester`]).
///
/// Events pushed are stored at once (a later event with the same id is a duplicate); the
/// identity graph is updated for all of them together by [`Ingester::finish`], or when the
/// ingester is dropped.
#[derive(Debug)]
pub struct Ingester<'p> {
    pool: &'p mut Pool,
    report: IngestReport,
    new_slots: Vec<u32>,
    index: usize,
    norm: Norm,
}

/// Normalised identities of the event being stored: byte ranges into one reused buffer.
#[derive(Debug, Default)]
pub(super) struct Norm {
    buf: String,
    ids: Vec<NormIdent>,
    referrer: Option<NormIdent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NormIdent {
    /// Position of the kind's rule (the pool's identity-kind code).
    kind: u8,
    /// Namespace range in `Norm::buf` (`start == u32::MAX`: none).
    ns: (u32, u32),
    /// Value range in `Norm::buf`.
    value: (u32, u32),
}

impl Norm {
    fn slice(&self, r: (u32, u32)) -> Option<&str> {
        (r.0 != u32::MAX).then(|| &self.buf[r.0 as usize..r.1 as usize])
    }

    fn value(&self, n: &NormIdent) -> &str {
        &self.buf[n.value.0 as usize..n.value.1 as usize]
    }

    /// The order identities are stored in: kind code, namespace (none first), value.
    fn cmp(&self, a: &NormIdent, b: &NormIdent) -> std::cmp::Ordering {
        a.kind.cmp(&b.kind).then_with(|| self.slice(a.ns).cmp(&self.slice(b.ns))).then_with(|| self.value(a).cmp(self.value(b)))
    }

    fn identity(&self, pool: &Pool, n: &NormIdent) -> Identity {
        Identity {
            kind: pool.config.identity_rules.kinds[n.kind as usize].kind.clone(),
            namespace: self.slice(n.ns).map(str::to_string),
            value: self.value(n).to_string(),
        }
    }
}

impl Pool {
    /// Ingest typed events. Each event is validated, its identities normalised (junk dropped
    /// with a warning), duplicates recognised by id, and the identity graph updated.
    ///
    /// ```
    /// use yutang::{Event, EventKind, Identity, IdentityKind, Pool, parse_time};
    /// let mut pool = Pool::default();
    /// let tz = pool.time_zone();
    /// let e1 = Event::new("e1", parse_time("2024-05-01 10:00", tz)?, EventKind::Register,
    ///     vec![Identity::new(IdentityKind::Phone, "+86 138-0013-8000"),
    ///          Identity::new(IdentityKind::WechatUnionid, "u1")]);
    /// let e2 = Event::new("e2", parse_time("2024-05-02 10:00", tz)?, EventKind::View,
    ///     vec![Identity::new(IdentityKind::WechatUnionid, "u1")]);
    /// let report = pool.ingest(vec![e1, e2.clone(), e2]);
    /// assert_eq!((report.accepted, report.duplicates), (2, 1));
    /// let a = pool.resolve(&Identity::new(IdentityKind::Phone, "13800138000"));
    /// assert!(a.is_some());
    /// assert_eq!(a, pool.resolve(&Identity::new(IdentityKind::WechatUnionid, "u1")));
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn ingest(&mut self, events: impl IntoIterator<Item = Event>) -> IngestReport {
        self.ingest_results(events.into_iter().map(Ok))
    }

    /// Ingest loose inputs (strings for times and amounts, string ids for kinds), as they come
    /// from JSON, Python or Kotlin. Zone-less times are read in the business zone; amounts
    /// without a currency are in the reporting currency.
    pub fn ingest_inputs(&mut self, inputs: &[EventInput]) -> IngestReport {
        let (tz, cur, limits) = (self.tz, self.config.currency, self.config.limits);
        self.ingest_results(inputs.iter().map(move |i| i.into_event(tz, cur, &limits)))
    }

    /// Ingest events that were converted elsewhere; an `Err` is recorded as a rejection at its
    /// position (the bindings use this to keep positions of conversion errors).
    pub fn ingest_results(&mut self, events: impl IntoIterator<Item = Result<Event>>) -> IngestReport {
        let mut ing = self.ingester();
        for ev in events {
            match ev {
                Ok(e) => ing.push(&e.as_borrowed()),
                Err(err) => ing.reject(&err),
            }
        }
        ing.finish()
    }

    /// The fast way in: push [`BorrowedEvent`]s (borrowed from the host's own columns or
    /// structs: no owned [`Event`] per row), then [`Ingester::finish`] for the report. Positions
    /// in the report count every `push` and `reject` call, from 0.
    pub fn ingester(&mut self) -> Ingester<'_> {
        Ingester { pool: self, report: IngestReport::default(), new_slots: Vec::new(), index: 0, norm: Norm::default() }
    }
}

impl Ingester<'_> {
    /// Validate, normalise and store one event (its position is the number of earlier
    /// `push`/`reject` calls).
    pub fn push(&mut self, e: &BorrowedEvent<'_>) {
        let index = self.index;
        self.index += 1;
        match store_event(self.pool, e, index, &mut self.report.warnings, &mut self.norm) {
            Ok(Some(slot)) => {
                self.report.accepted += 1;
                self.new_slots.push(slot);
            }
            Ok(None) => self.report.duplicates += 1,
            Err(err) => self.report.rejected.push(rejection(index, &err)),
        }
    }

    /// Record an event the host could not convert, as a rejection at the next position.
    pub fn reject(&mut self, err: &Error) {
        self.report.rejected.push(rejection(self.index, err));
        self.index += 1;
    }

    /// Link the stored events into customers and return the report.
    pub fn finish(mut self) -> IngestReport {
        self.link();
        std::mem::take(&mut self.report)
    }

    fn link(&mut self) {
        if !self.new_slots.is_empty() {
            let slots = std::mem::take(&mut self.new_slots);
            self.pool.process_new(slots);
        }
    }
}

impl Drop for Ingester<'_> {
    /// Events already stored are linked even when `finish` is not called.
    fn drop(&mut self) {
        self.link();
    }
}

/// Normalise one identity into `norm.buf`; `Ok(None)`: junk, with a warning pushed.
fn normalize(
    pool: &Pool,
    ident: BorrowedIdentity<'_>,
    field: impl Fn() -> String,
    index: usize,
    warnings: &mut Vec<Rejection>,
    norm: &mut Norm,
) -> Result<Option<NormIdent>> {
    let rules = &pool.config.identity_rules;
    let pos = match ident.kind.builtin_index().map(|b| pool.builtin_kind_pos[b]) {
        Some(p) if p != u8::MAX => p as usize,
        _ => rules.position(ident.kind).map_err(|err| rename_field(err, &field()))?,
    };
    let start = norm.buf.len();
    match rules.normalize_at(pos, ident, &mut norm.buf).map_err(|err| rename_field(err, &field()))? {
        Ok((_, ns)) => {
            let value = (start as u32, norm.buf.len() as u32);
            let ns = match ns {
                Some(n) => {
                    let s = norm.buf.len() as u32;
                    norm.buf.push_str(n);
                    (s, norm.buf.len() as u32)
                }
                None => (u32::MAX, u32::MAX),
            };
            Ok(Some(NormIdent { kind: pos as u8, ns, value }))
        }
        Err(why) => {
            warnings.push(Rejection {
                index,
                field: format!("{}.value", field()),
                reason: format!("{why} {:?} dropped", crate::mask(ident.value)),
            });
            Ok(None)
        }
    }
}

/// Validate, normalise and store one event. `Ok(None)`: a duplicate.
pub(super) fn store_event(
    pool: &mut Pool,
    e: &BorrowedEvent<'_>,
    index: usize,
    warnings: &mut Vec<Rejection>,
    norm: &mut Norm,
) -> Result<Option<u32>> {
    e.validate(&pool.config.limits)?;
    if let Some(h) = pool.retention_horizon {
        if e.at < h {
            return Err(Error::invalid("at", e.at.to_rfc3339(), format!("older than the retention horizon {h}")));
        }
    }
    // normalise the identities into the scratch buffer, then sort and drop repeats
    norm.buf.clear();
    norm.ids.clear();
    for k in 0..e.identities.len() {
        if let Some(n) = normalize(pool, e.identities.get(k), || format!("identities[{k}]"), index, warnings, norm)? {
            norm.ids.push(n);
        }
    }
    if norm.ids.is_empty() {
        return Err(Error::invalid("identities", "", "no usable identity (all missing or blocklisted)"));
    }
    if norm.ids.len() > 1 {
        let mut ids = std::mem::take(&mut norm.ids);
        ids.sort_by(|a, b| norm.cmp(a, b));
        ids.dedup_by(|a, b| norm.cmp(a, b).is_eq());
        norm.ids = ids;
    }
    norm.referrer = match e.referrer {
        Some(r) => normalize(pool, r, || "referrer".to_string(), index, warnings, norm)?,
        None => None,
    };
    // duplicates
    let id_hash = crate::hash::fast_hash(e.id.as_bytes());
    if let Some(slot) = pool.event_ids.find_hashed(id_hash, e.id) {
        let mut mine = e.to_event();
        mine.identities = norm.ids.iter().map(|n| norm.identity(pool, n)).collect();
        mine.referrer = norm.referrer.map(|n| norm.identity(pool, &n));
        return if pool.event_at(slot) == mine {
            Ok(None)
        } else {
            Err(Error::invalid("id", e.id, "already stored with different content (conflicting duplicate)"))
        };
    }
    if pool.rows.len() >= MAX_EVENTS {
        return Err(Error::limit("events in the pool", MAX_EVENTS, pool.rows.len() + 1));
    }
    // codes first (may fail), then push
    let kind = match e.kind.builtin_index() {
        Some(i) => i as u8,
        None => pool.kinds.code(e.kind, "event kind")? as u8,
    };
    let channel = match e.channel {
        Some(c) => 1 + match c.builtin_index() {
            Some(i) => i as u8,
            None => pool.channels.code(c, "channel")? as u8,
        },
        None => 0,
    };
    let (amount, currency) = match e.money {
        Some(m) if m.currency == pool.config.currency => (m.minor, 1),
        Some(m) => (m.minor, pool.currencies.code(&m.currency, "currency")? as u16 + 1),
        None => (0, 0),
    };
    let group = match e.group_id {
        Some(g) => pool.groups.intern(g, "group id")?.0,
        None => NONE,
    };
    if let Some(o) = e.order_id {
        if !pool.orders.arena.fits(o.len()) {
            return Err(Error::limit("order id bytes in the pool", u32::MAX as usize, o.len()));
        }
    }
    let ident_start = pool.idents.len();
    store::grow(&mut pool.idents, norm.ids.len());
    for n in &norm.ids {
        match intern(pool, norm, n) {
            Ok(i) => pool.idents.push(i),
            Err(err) => {
                pool.idents.truncate(ident_start);
                return Err(err);
            }
        }
    }
    let ident_len = pool.idents.len() - ident_start;
    let referrer = match &norm.referrer {
        Some(r) => match intern(pool, norm, r) {
            Ok(i) => i,
            Err(err) => {
                pool.idents.truncate(ident_start);
                return Err(err);
            }
        },
        None => NONE,
    };
    let slot = pool.rows.len() as u32;
    if let Err(err) = pool.event_ids.insert_new(id_hash, e.id, "event id") {
        pool.idents.truncate(ident_start);
        return Err(err);
    }
    if let Some(o) = e.order_id {
        let oi = pool.orders.arena.push(o, "order id").unwrap_or_else(|_| unreachable!("checked by fits"));
        pool.orders.refs.push((slot, oi));
    }
    let rare = !e.items.is_empty() || !e.properties.is_empty() || e.consent.is_some() || e.subscription.is_some();
    let extra = if rare || referrer != NONE || group != NONE {
        let rare = rare.then(|| {
            Box::new(Rare {
                items: e.items.to_vec(),
                properties: e.properties.clone(),
                consent: e.consent.cloned(),
                subscription: e.subscription.cloned(),
            })
        });
        store::grow(&mut pool.extras, 1);
        pool.extras.push(Extra { group, referrer, rare });
        (pool.extras.len() - 1) as u32
    } else {
        NONE
    };
    store::grow(&mut pool.rows, 1);
    pool.rows.push(Row {
        at: e.at.micros(),
        amount,
        ident_start: ident_start as u32,
        extra,
        kind,
        channel,
        currency,
        ident_len: ident_len as u8,
        nolink: 0,
    });
    Ok(Some(slot))
}

/// Intern a normalised identity (namespace and value) in the pool's identity table.
fn intern(pool: &mut Pool, norm: &Norm, n: &NormIdent) -> Result<u32> {
    let ns = match norm.slice(n.ns) {
        Some(s) => pool.namespaces.intern(s, "namespace")?.0 + 1,
        None => 0,
    };
    pool.table.intern(n.kind, ns, norm.value(n))
}
