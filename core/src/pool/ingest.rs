//! Ingestion: validate, normalise and store events, then link their identities.
//!
//! Every way in ([`Pool::ingest`], [`Pool::ingest_inputs`], [`Pool::ingest_results`], the
//! bindings' columnar paths) goes through one [`Ingester`], which stores a [`BorrowedEvent`]
//! without the host building an owned [`Event`]: strings are copied once, into the pool.

use super::graph::ident_hash;
use super::store::{self, Extra, Rare, Row, NONE};
use super::{rejection, rename_field, IngestReport, Pool, Rejection, MAX_EVENTS};
use crate::error::{Error, Result};
use crate::model::{BorrowedEvent, BorrowedIdentity, Event, EventInput, EventKind, Identity, Timestamp};
use crate::progress::{Meter, OnProgress, Stage};

/// Stores events one at a time and links them when it finishes (see [`Pool::ingester`]).
///
/// Events pushed are stored in push order (a later event with the same id is a duplicate);
/// the identity graph is updated for all of them together by [`Ingester::finish`], or when the
/// ingester is dropped.
///
/// Inside, each event is first *prepared* (validated, its identities normalised and hashed,
/// its strings copied) without touching the pool, and *committed* a few events later, in
/// order: the pool's hash-table slots for its keys are prefetched in between, so that the
/// cache misses of several events overlap instead of following each other.
#[derive(Debug)]
pub struct Ingester<'p> {
    pool: &'p mut Pool,
    meter: Meter<'p, 'p>,
    report: IngestReport,
    new_slots: Vec<u32>,
    index: usize,
    /// Prepared events waiting to be committed: a ring of reused buffers.
    ring: Vec<Staged>,
    head: usize,
    queued: usize,
}

/// How many events are prepared ahead of the one being committed.
const AHEAD: usize = 16;

/// Prepared events are committed in runs of this many (the ring holds `AHEAD + RUN`), so that
/// preparing and committing each run through their own code instead of alternating per event.
const RUN: usize = 16;

const RING: usize = AHEAD + RUN;

/// One prepared event: owned copies in reused buffers, so that preparing allocates nothing in
/// the common case.
#[derive(Debug)]
pub(super) struct Staged {
    index: usize,
    /// `Err`: the event is rejected (after its warnings).
    outcome: Option<Error>,
    warnings: Vec<Rejection>,
    norm: Norm,
    /// Event id, order id and group id, back to back.
    text: String,
    id: (u32, u32),
    order_id: Option<(u32, u32)>,
    group_id: Option<(u32, u32)>,
    id_hash: u64,
    /// `ident_hash` of each identity in `norm.ids`, then of the referrer.
    hashes: Vec<u64>,
    at: Timestamp,
    kind: EventKind,
    channel: Option<crate::model::Channel>,
    money: Option<crate::model::Money>,
    rare: Option<Box<Rare>>,
    /// The event comes from the pool's own store (a rebuild or a restore), where a referral
    /// may have lost its erased referrer.
    stored: bool,
}

impl Default for Staged {
    fn default() -> Self {
        Staged {
            index: 0,
            outcome: None,
            warnings: Vec::new(),
            norm: Norm::default(),
            text: String::new(),
            id: (0, 0),
            order_id: None,
            group_id: None,
            id_hash: 0,
            hashes: Vec::new(),
            // overwritten by `prepare` before any use
            at: Timestamp::from_micros(0).unwrap_or_else(|_| unreachable!("the epoch is in range")),
            kind: EventKind::View,
            channel: None,
            money: None,
            rare: None,
            stored: false,
        }
    }
}

/// Append `s` to `buf` and return its byte range (the ranges the staged buffers are read by).
fn put(buf: &mut String, s: &str) -> (u32, u32) {
    let start = buf.len() as u32;
    buf.push_str(s);
    (start, buf.len() as u32)
}

/// The text of a range returned by [`put`].
fn get(buf: &str, r: (u32, u32)) -> &str {
    &buf[r.0 as usize..r.1 as usize]
}

impl Staged {
    fn str(&self, r: (u32, u32)) -> &str {
        get(&self.text, r)
    }
}

/// Normalised identities of one event: byte ranges into one reused buffer.
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
        (r.0 != u32::MAX).then(|| get(&self.buf, r))
    }

    fn value(&self, n: &NormIdent) -> &str {
        get(&self.buf, n.value)
    }

    /// The order identities are stored in: kind code, namespace (none first), value.
    fn cmp(&self, a: &NormIdent, b: &NormIdent) -> std::cmp::Ordering {
        a.kind
            .cmp(&b.kind)
            .then_with(|| self.slice(a.ns).cmp(&self.slice(b.ns)))
            .then_with(|| self.value(a).cmp(self.value(b)))
    }

    fn identity(&self, pool: &Pool, n: &NormIdent) -> Identity {
        Identity {
            kind: pool.config.identity_rules.kinds[n.kind as usize].kind.clone(),
            namespace: self.slice(n.ns).map(str::to_string),
            value: self.value(n).to_string(),
        }
    }

    fn hash(&self, n: &NormIdent) -> u64 {
        ident_hash(n.kind, self.slice(n.ns).map(str::as_bytes), self.value(n).as_bytes())
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

    /// [`Pool::ingest_inputs`], telling `progress` how far it has got (stages
    /// [`Stage::Ingest`] and [`Stage::Link`]). When `progress` returns `false` the ingest stops
    /// reading: the events read so far are stored and linked, and the report says
    /// [`IngestReport::stopped`]; ingesting the same events again is safe (the stored ones
    /// count as duplicates).
    pub fn ingest_inputs_with_progress(
        &mut self,
        inputs: &[EventInput],
        progress: &mut OnProgress<'_>,
    ) -> IngestReport {
        let (tz, cur, limits) = (self.tz, self.config.currency, self.config.limits);
        let mut ing = self.ingester_with_progress(inputs.len() as u64, progress);
        for i in inputs {
            if ing.stopped() {
                break;
            }
            match i.into_event(tz, cur, &limits) {
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
        self.ingester_metered(Meter::default())
    }

    /// [`Pool::ingester`], telling `progress` how far it has got: `total` is the number of
    /// events the host is about to push (stage [`Stage::Ingest`]), then the linking (stage
    /// [`Stage::Link`]) when the ingester finishes. Once `progress` returns `false`,
    /// [`Ingester::stopped`] is true: the host should stop pushing (what it pushed is kept).
    pub fn ingester_with_progress<'a>(&'a mut self, total: u64, progress: &'a mut OnProgress<'a>) -> Ingester<'a> {
        self.ingester_metered(Meter::start(Some(progress), Stage::Ingest, total))
    }

    fn ingester_metered<'a>(&'a mut self, meter: Meter<'a, 'a>) -> Ingester<'a> {
        // events stored by an ingester that was leaked (`mem::forget`) instead of dropped are
        // the only ones not yet linked: they are the tail of the slots
        if self.order.len() < self.rows.len() {
            let pending = (self.order.len() as u32..self.rows.len() as u32).collect();
            let _ = self.process_new(pending);
        }
        Ingester {
            pool: self,
            meter,
            report: IngestReport::default(),
            new_slots: Vec::new(),
            index: 0,
            ring: Vec::new(),
            head: 0,
            queued: 0,
        }
    }
}

impl Ingester<'_> {
    /// Validate, normalise and store one event (its position is the number of earlier
    /// `push`/`reject` calls).
    pub fn push(&mut self, e: &BorrowedEvent<'_>) {
        self.meter.tick();
        if self.ring.is_empty() {
            self.ring.resize_with(RING, Staged::default);
        }
        if self.queued == RING {
            for _ in 0..RUN {
                self.commit_one();
            }
        }
        let at = (self.head + self.queued) % RING;
        let st = &mut self.ring[at];
        prepare(self.pool, e, self.index, st);
        self.index += 1;
        self.queued += 1;
        // the new event's slots now; the records of the one halfway through the ring, whose
        // slots arrived meanwhile
        let pool = &*self.pool;
        if st.outcome.is_none() {
            pool.event_ids.prefetch(st.id_hash);
            for &h in &st.hashes {
                pool.table.prefetch_slot(h);
            }
        }
        if self.queued > AHEAD / 2 {
            let mid = &self.ring[(self.head + self.queued - 1 - AHEAD / 2) % RING];
            if mid.outcome.is_none() {
                let norm = &mid.norm;
                for (n, &h) in norm.ids.iter().chain(&norm.referrer).zip(&mid.hashes) {
                    pool.table.prefetch_record(h, (n.value.1 - n.value.0) as usize);
                }
            }
        }
    }

    /// Record an event the host could not convert, as a rejection at the next position.
    pub fn reject(&mut self, err: &Error) {
        self.meter.tick();
        self.drain();
        self.report.rejected.push(rejection(self.index, err));
        self.index += 1;
    }

    /// Whether the progress callback asked to stop (see [`Pool::ingester_with_progress`]).
    pub fn stopped(&self) -> bool {
        self.meter.stopped()
    }

    /// Link the stored events into customers and return the report.
    pub fn finish(mut self) -> IngestReport {
        self.link();
        std::mem::take(&mut self.report)
    }

    fn commit_one(&mut self) {
        let st = &mut self.ring[self.head];
        self.head = (self.head + 1) % RING;
        self.queued -= 1;
        self.report.warnings.append(&mut st.warnings);
        let result = match st.outcome.take() {
            Some(err) => Err(err),
            None => commit(self.pool, st),
        };
        match result {
            Ok(Some(slot)) => {
                self.report.accepted += 1;
                self.new_slots.push(slot);
            }
            Ok(None) => self.report.duplicates += 1,
            Err(err) => self.report.rejected.push(rejection(st.index, &err)),
        }
    }

    fn drain(&mut self) {
        while self.queued > 0 {
            self.commit_one();
        }
    }

    fn link(&mut self) {
        self.drain();
        // a stop asked for while linking comes too late to change anything
        self.report.stopped |= self.meter.finish();
        let n = self.new_slots.len() as u64;
        self.meter.restart(Stage::Link, n);
        if !self.new_slots.is_empty() {
            let slots = std::mem::take(&mut self.new_slots);
            let (late, full_pass) = self.pool.process_new(slots);
            self.report.late += late;
            self.report.full_pass |= full_pass;
        }
        self.meter.finish();
        self.meter = Meter::default();
    }
}

impl Drop for Ingester<'_> {
    /// Events already pushed are stored and linked even when `finish` is not called.
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
        Ok(ns) => {
            let value = (start as u32, norm.buf.len() as u32);
            let ns = match ns {
                Some(n) => put(&mut norm.buf, n),
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

/// Prepare one event without changing the pool: validate it, normalise and hash its
/// identities, copy its strings. A failure is kept in `st.outcome`.
fn prepare(pool: &Pool, e: &BorrowedEvent<'_>, index: usize, st: &mut Staged) {
    st.index = index;
    st.warnings.clear();
    st.outcome = prepare_fields(pool, e, st).err();
}

fn prepare_fields(pool: &Pool, e: &BorrowedEvent<'_>, st: &mut Staged) -> Result<()> {
    if st.stored {
        e.validate_stored(&pool.config.limits)?;
    } else {
        e.validate(&pool.config.limits)?;
    }
    if let Some(h) = pool.retention_horizon {
        if e.at < h {
            return Err(Error::invalid("at", e.at.to_rfc3339(), format!("older than the retention horizon {h}")));
        }
    }
    // normalise the identities into the scratch buffer, then sort and drop repeats
    let norm = &mut st.norm;
    norm.buf.clear();
    norm.ids.clear();
    for k in 0..e.identities.len() {
        if let Some(n) =
            normalize(pool, e.identities.get(k), || format!("identities[{k}]"), st.index, &mut st.warnings, norm)?
        {
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
        Some(r) => {
            let warned = st.warnings.len();
            let n = normalize(pool, r, || "referrer".to_string(), st.index, &mut st.warnings, norm)?;
            if n.is_none() && *e.kind == crate::model::EventKind::Referral {
                // a referral needs its referrer: rejected, not stored without one (which would
                // make the pool's own events invalid on restore)
                st.warnings.truncate(warned);
                return Err(Error::invalid(
                    "referrer.value",
                    r.value,
                    "blocklisted or malformed, and referral events need a usable referrer",
                ));
            }
            n
        }
        None => None,
    };
    st.hashes.clear();
    st.hashes.extend(norm.ids.iter().chain(&norm.referrer).map(|n| norm.hash(n)));
    st.text.clear();
    st.id = put(&mut st.text, e.id);
    st.order_id = e.order_id.map(|o| put(&mut st.text, o));
    st.group_id = e.group_id.map(|g| put(&mut st.text, g));
    st.id_hash = crate::hash::fast_hash(e.id.as_bytes());
    st.at = e.at;
    st.kind.clone_from(e.kind);
    st.channel = e.channel.cloned();
    st.money = e.money;
    let rare = !e.items.is_empty() || !e.properties.is_empty() || e.consent.is_some() || e.subscription.is_some();
    st.rare = rare.then(|| {
        Box::new(Rare {
            items: e.items.to_vec(),
            properties: e.properties.clone(),
            consent: e.consent.cloned(),
            subscription: e.subscription.cloned(),
        })
    });
    Ok(())
}

/// The prepared event as an owned [`Event`] (to compare with a stored duplicate).
fn staged_event(pool: &Pool, st: &Staged) -> Event {
    let norm = &st.norm;
    let mut e =
        Event::new(st.str(st.id), st.at, st.kind.clone(), norm.ids.iter().map(|n| norm.identity(pool, n)).collect());
    e.channel = st.channel.clone();
    e.money = st.money;
    e.order_id = st.order_id.map(|r| st.str(r).to_string());
    e.group_id = st.group_id.map(|r| st.str(r).to_string());
    e.referrer = norm.referrer.map(|n| norm.identity(pool, &n));
    if let Some(r) = &st.rare {
        e.items = r.items.clone();
        e.properties = r.properties.clone();
        e.consent = r.consent.clone();
        e.subscription = r.subscription.clone();
    }
    e
}

/// Store a prepared event. `Ok(None)`: a duplicate.
fn commit(pool: &mut Pool, st: &mut Staged) -> Result<Option<u32>> {
    let id = st.str(st.id);
    let vacancy = match pool.event_ids.probe(st.id_hash, id) {
        Ok(slot) => {
            return if pool.event_at(slot) == staged_event(pool, st) {
                Ok(None)
            } else {
                Err(Error::invalid("id", id, "already stored with different content (conflicting duplicate)"))
            };
        }
        Err(vacancy) => vacancy,
    };
    if pool.rows.len() >= MAX_EVENTS {
        return Err(Error::limit("events in the pool", MAX_EVENTS, pool.rows.len() + 1));
    }
    // codes first (may fail), then push
    let ev_kind = &st.kind;
    let kind = match ev_kind.builtin_index() {
        Some(i) => i as u8,
        None => pool.kinds.code(ev_kind, "event kind")? as u8,
    };
    let channel = match &st.channel {
        Some(c) => {
            1 + match c.builtin_index() {
                Some(i) => i as u8,
                None => pool.channels.code(c, "channel")? as u8,
            }
        }
        None => 0,
    };
    let (amount, currency) = match st.money {
        Some(m) if m.currency == pool.config.currency => (m.minor, 1),
        Some(m) => (m.minor, pool.currencies.code(&m.currency, "currency")? as u16 + 1),
        None => (0, 0),
    };
    let group = match st.group_id {
        Some(g) => pool.groups.intern(st.str(g), "group id")?.0,
        None => NONE,
    };
    if let Some(o) = st.order_id {
        if !pool.orders.arena.fits((o.1 - o.0) as usize) {
            return Err(Error::limit("order id bytes in the pool", u32::MAX as usize, (o.1 - o.0) as usize));
        }
    }
    // identities, referrer and event id; a failure takes the event's identities back off
    let ident_start = pool.idents.len();
    let stored = intern_identities(pool, st)
        .and_then(|referrer| pool.event_ids.insert_at(vacancy, st.id_hash, id, "event id").map(|_| referrer));
    let referrer = match stored {
        Ok(r) => r,
        Err(err) => {
            pool.idents.truncate(ident_start);
            return Err(err);
        }
    };
    let ident_len = pool.idents.len() - ident_start;
    let slot = pool.rows.len() as u32;
    if let Some(o) = st.order_id {
        let oi = pool.orders.arena.push(st.str(o), "order id").unwrap_or_else(|_| unreachable!("checked by fits"));
        pool.orders.refs.push((slot, oi));
    }
    let rare = st.rare.take();
    let extra = if rare.is_some() || referrer != NONE || group != NONE {
        store::grow(&mut pool.extras, 1);
        pool.extras.push(Extra { group, referrer, rare });
        (pool.extras.len() - 1) as u32
    } else {
        NONE
    };
    store::grow(&mut pool.rows, 1);
    pool.rows.push(Row {
        at: st.at.micros(),
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

/// Prepare and store one event at once (for rebuilding a pool from its own events).
pub(super) fn store_event(
    pool: &mut Pool,
    e: &BorrowedEvent<'_>,
    index: usize,
    warnings: &mut Vec<Rejection>,
    st: &mut Staged,
) -> Result<Option<u32>> {
    st.stored = true;
    prepare(pool, e, index, st);
    warnings.append(&mut st.warnings);
    match st.outcome.take() {
        Some(err) => Err(err),
        None => commit(pool, st),
    }
}

/// Intern the event's identities (appended to `pool.idents`) and its referrer (returned, or
/// `NONE`).
fn intern_identities(pool: &mut Pool, st: &Staged) -> Result<u32> {
    let norm = &st.norm;
    store::grow(&mut pool.idents, norm.ids.len());
    for (n, &h) in norm.ids.iter().zip(&st.hashes) {
        let i = intern(pool, norm, n, h)?;
        pool.idents.push(i);
    }
    match &norm.referrer {
        Some(r) => intern(pool, norm, r, st.hashes[norm.ids.len()]),
        None => Ok(NONE),
    }
}

/// Intern a normalised identity (namespace and value) in the pool's identity table.
fn intern(pool: &mut Pool, norm: &Norm, n: &NormIdent, h: u64) -> Result<u32> {
    let ns = match norm.slice(n.ns) {
        Some(s) => pool.namespaces.intern(s, "namespace")?.0 + 1,
        None => 0,
    };
    pool.table.intern_hashed(h, n.kind, ns, norm.value(n))
}
