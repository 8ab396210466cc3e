//! The core section of a snapshot (version 1, in formats 3 and 4): the pool's stored columns,
//! frozen.
//!
//! In this order (numbers little-endian fixed width, strings as u32 length + UTF-8, counts u64):
//! 1. configuration: postcard of `ConfigV1`;
//! 2. event kinds, channels, currencies (code tables), namespaces, group ids (strings);
//! 3. identities, in table order: kind code u8, namespace code u32 (0: none, else index + 1),
//!    normalised value;
//! 4. events, in slot order: at i64, amount i64, kind u8, channel u8 (code + 1, 0: none),
//!    currency u16 (code + 1, 0: no money), no-link mask u16, identity count u8, extra u32
//!    (`u32::MAX`: none; else the next extra), identity indices u32 each, event id;
//! 5. order ids: (event slot u32, order id), by slot;
//! 6. extras, in order: group u32, referrer identity u32 (`u32::MAX`: none), then a u8 flag
//!    and, when 1, postcard of `RareV3` (items, properties, consent, subscription);
//! 7. processing order: u8 0 (slot order) or 1 and the slots u32;
//! 8. merge log (postcard of `Vec<MergeV1>`), retention horizon (postcard of `Option<i64>`).
//!
//! Restoring re-interns the strings and identities (rebuilding the hash tables) and links the
//! events in the stored processing order; events are not normalised or validated again, but
//! every code, index and reference is checked, so a damaged stream is an error, never a pool
//! that fails later.

use super::frames::{FrameReader, FrameWriter};
use super::graph::ident_hash;
use super::snapshot::{
    config_from, config_v1, consent_from, corrupt, items_from, items_v1, merges_from, merges_v1, props_from, props_v1,
    subscription_from, ItemV1, PropV1,
};
use super::store::{Extra, Rare, Row, NONE};
use super::{Pool, ProcOrder, MAX_IDENTITIES_PER_EVENT};
use crate::error::Result;
use crate::model::{Channel, Currency, EventKind, Timestamp};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::io::{Read, Write};

/// The version of the core section this library writes and reads.
pub(super) const CORE_VERSION: u16 = 1;

/// The rare parts of an event, frozen.
#[derive(Serialize, Deserialize)]
struct RareV3 {
    items: Vec<ItemV1>,
    properties: Vec<(String, PropV1)>,
    consent: Option<(String, bool, Option<String>)>,
    subscription: Option<(String, Option<i64>)>,
}

/// Longest string the stream may hold where the pool has no tighter limit.
const MAX_STR: usize = u32::MAX as usize;

impl Pool {
    /// Roughly the bytes of a snapshot (to size an in-memory buffer once).
    pub(super) fn snapshot_size_hint(&self) -> usize {
        self.rows.len() * 30
            + self.idents.len() * 4
            + self.event_ids.arena.byte_len()
            + self.event_ids.arena.len() * 4
            + self.table.len() * 8
            + self.orders.arena.byte_len()
            + self.orders.refs.len() * 8
            + 4096
    }

    pub(super) fn write_columns<W: Write>(&self, w: &mut FrameWriter<W>) -> Result<()> {
        w.postcard(&config_v1(&self.config))?;
        let strings = |w: &mut FrameWriter<W>, v: Vec<String>| {
            w.u64(v.len() as u64);
            for s in v {
                w.str(s.as_bytes());
            }
        };
        strings(w, self.kinds.values.iter().map(|k| k.to_string()).collect());
        strings(w, self.channels.values.iter().map(|k| k.to_string()).collect());
        strings(w, self.currencies.values.iter().map(|k| k.to_string()).collect());
        for set in [&self.namespaces, &self.groups] {
            w.u64(set.arena.len() as u64);
            for i in 0..set.arena.len() as u32 {
                w.str(set.arena.bytes(i));
            }
        }
        w.u64(self.table.len() as u64);
        for i in 0..self.table.len() as u32 {
            w.u8(self.table.kind(i));
            w.u32(self.table.ns(i));
            w.str(self.table.value_bytes(i));
        }
        w.u64(self.rows.len() as u64);
        for (slot, r) in self.rows.iter().enumerate() {
            w.i64(r.at);
            w.i64(r.amount);
            w.u8(r.kind);
            w.u8(r.channel);
            w.u16(r.currency);
            w.u16(r.nolink);
            w.u8(r.ident_len);
            w.u32(r.extra);
            for &i in &self.idents[r.ident_start as usize..r.ident_start as usize + r.ident_len as usize] {
                w.u32(i);
            }
            w.str(self.event_ids.arena.bytes(slot as u32));
        }
        w.u64(self.orders.refs.len() as u64);
        for &(slot, o) in &self.orders.refs {
            w.u32(slot);
            w.str(self.orders.arena.bytes(o));
        }
        w.u64(self.extras.len() as u64);
        for x in &self.extras {
            w.u32(x.group);
            w.u32(x.referrer);
            match &x.rare {
                None => w.u8(0),
                Some(r) => {
                    w.u8(1);
                    w.postcard(&RareV3 {
                        items: items_v1(&r.items),
                        properties: props_v1(&r.properties),
                        consent: r.consent.as_ref().map(|c| (c.channel.to_string(), c.granted, c.source.clone())),
                        subscription: r.subscription.as_ref().map(|s| (s.id.clone(), s.expires_at.map(|t| t.micros()))),
                    })?;
                }
            }
        }
        match &self.order.explicit {
            None => w.u8(0),
            Some(v) => {
                w.u8(1);
                for &s in v {
                    w.u32(s);
                }
            }
        }
        w.postcard(&merges_v1(&self.merge_log))?;
        w.postcard(&self.retention_horizon.map(|t| t.micros()))?;
        Ok(())
    }

    pub(super) fn read_columns<R: Read>(r: &mut FrameReader<R>) -> Result<Pool> {
        let config = config_from(r.postcard("configuration")?)?;
        let mut p = Pool::new(config).map_err(corrupt)?;
        // code tables: the built-in values first, in their order
        code_table(&mut p.kinds.values, read_codes(r, "event kind", 256, EventKind::parse)?, 255, "event kinds")?;
        code_table(&mut p.channels.values, read_codes(r, "channel", 256, Channel::parse)?, 255, "channels")?;
        code_table(
            &mut p.currencies.values,
            read_codes(r, "currency", 8, Currency::parse)?,
            u16::MAX as usize - 1,
            "currencies",
        )?;
        let mut buf = Vec::new();
        for (set, what) in [(&mut p.namespaces, "namespace"), (&mut p.groups, "group id")] {
            let n = r.count(4, what)?;
            for _ in 0..n {
                r.str_into(&mut buf, MAX_STR, what)?;
                let s = std::str::from_utf8(&buf).map_err(|_| corrupt(format!("{what}: not UTF-8")))?;
                if !set.intern(s, "snapshot strings").map_err(corrupt)?.1 {
                    return Err(corrupt(format!("a repeated {what}")));
                }
            }
        }
        // identities
        let n_ident = r.count(9, "identities")?;
        let (n_kinds, n_ns) = (p.config.identity_rules.kinds.len(), p.namespaces.arena.len() as u32);
        for i in 0..n_ident {
            let kind = r.u8()?;
            let ns = r.u32()?;
            r.str_into(&mut buf, u8::MAX as usize, "identity value")?;
            let value = std::str::from_utf8(&buf).map_err(|_| corrupt("identity value: not UTF-8"))?;
            if kind as usize >= n_kinds || ns > n_ns {
                return Err(corrupt(format!("identity {i}: kind {kind} or namespace {ns} out of range")));
            }
            let ns_bytes = (ns != 0).then(|| p.namespaces.arena.bytes(ns - 1));
            let h = ident_hash(kind, ns_bytes, value.as_bytes());
            if p.table.intern_hashed(h, kind, ns, value).map_err(corrupt)? as usize != i {
                return Err(corrupt(format!("identity {i} repeats an earlier one")));
            }
        }
        // events
        let n_events = r.count(31, "events")?;
        if n_events > super::MAX_EVENTS {
            return Err(corrupt(format!("{n_events} events")));
        }
        // counts are not trusted for allocation: a damaged count must not reserve memory the
        // stream cannot fill (buffers grow as events are actually read)
        p.rows.reserve_exact(n_events.min(1 << 16));
        let (n_kind, n_channel, n_currency) =
            (p.kinds.values.len(), p.channels.values.len(), p.currencies.values.len());
        let mut extras_expected = 0u32;
        for slot in 0..n_events as u32 {
            let at = r.i64()?;
            Timestamp::from_micros(at).map_err(corrupt)?;
            let amount = r.i64()?;
            let (kind, channel, currency, nolink, ident_len) = (r.u8()?, r.u8()?, r.u16()?, r.u16()?, r.u8()?);
            let extra = r.u32()?;
            if kind as usize >= n_kind || channel as usize > n_channel || currency as usize > n_currency {
                return Err(corrupt(format!("event {slot}: a code out of range")));
            }
            if ident_len == 0 || ident_len as usize > MAX_IDENTITIES_PER_EVENT || (u32::from(nolink) >> ident_len) != 0
            {
                return Err(corrupt(format!("event {slot}: {ident_len} identities, no-link mask {nolink:#x}")));
            }
            if amount < 0 || (currency == 0 && amount != 0) {
                return Err(corrupt(format!("event {slot}: amount {amount}")));
            }
            if extra != NONE {
                if extra != extras_expected {
                    return Err(corrupt(format!("event {slot}: extra {extra}")));
                }
                extras_expected += 1;
            }
            let ident_start = p.idents.len() as u32;
            for _ in 0..ident_len {
                let i = r.u32()?;
                if i as usize >= n_ident {
                    return Err(corrupt(format!("event {slot}: identity {i} out of range")));
                }
                p.idents.push(i);
            }
            r.str_into(&mut buf, MAX_STR, "event id")?;
            let id = std::str::from_utf8(&buf).map_err(|_| corrupt("event id: not UTF-8"))?;
            if id.is_empty() {
                return Err(corrupt(format!("event {slot}: an empty id")));
            }
            let h = crate::hash::fast_hash(id.as_bytes());
            match p.event_ids.probe(h, id) {
                Ok(_) => return Err(corrupt(format!("event {slot}: a repeated event id"))),
                Err(vacancy) => p.event_ids.insert_at(vacancy, h, id, "event id").map_err(corrupt)?,
            };
            p.rows.push(Row { at, amount, ident_start, extra, kind, channel, currency, ident_len, nolink });
        }
        // order ids
        let n = r.count(8, "order ids")?;
        let mut last: Option<u32> = None;
        for _ in 0..n {
            let slot = r.u32()?;
            if slot as usize >= n_events || last.is_some_and(|l| l >= slot) {
                return Err(corrupt(format!("order id of event {slot}: out of order or range")));
            }
            last = Some(slot);
            r.str_into(&mut buf, MAX_STR, "order id")?;
            let o = std::str::from_utf8(&buf).map_err(|_| corrupt("order id: not UTF-8"))?;
            let oi = p.orders.arena.push(o, "order id").map_err(corrupt)?;
            p.orders.refs.push((slot, oi));
        }
        // extras
        let n = r.count(9, "extras")?;
        if n != extras_expected as usize {
            return Err(corrupt(format!("{n} extras for {extras_expected} events that have one")));
        }
        let n_groups = p.groups.arena.len() as u32;
        p.extras.reserve_exact(n);
        for k in 0..n {
            let (group, referrer) = (r.u32()?, r.u32()?);
            if (group != NONE && group >= n_groups) || (referrer != NONE && referrer as usize >= n_ident) {
                return Err(corrupt(format!("extra {k}: a reference out of range")));
            }
            let rare = match r.u8()? {
                0 => None,
                1 => {
                    let x: RareV3 = r.postcard("event details")?;
                    Some(Box::new(Rare {
                        items: items_from(x.items)?,
                        properties: props_from(x.properties),
                        consent: consent_from(x.consent)?,
                        subscription: subscription_from(x.subscription)?,
                    }))
                }
                f => return Err(corrupt(format!("extra {k}: flag {f}"))),
            };
            p.extras.push(Extra { group, referrer, rare });
        }
        // processing order: a permutation of the slots, in (time, id) order
        let order = match r.u8()? {
            0 => ProcOrder { n: n_events, explicit: None },
            1 => {
                let mut seen = vec![false; n_events];
                let mut v = Vec::with_capacity(n_events);
                for _ in 0..n_events {
                    let s = r.u32()?;
                    if s as usize >= n_events || std::mem::replace(&mut seen[s as usize], true) {
                        return Err(corrupt(format!("processing order: slot {s}")));
                    }
                    v.push(s);
                }
                ProcOrder { n: n_events, explicit: Some(v) }
            }
            f => return Err(corrupt(format!("processing order flag {f}"))),
        };
        for k in 1..order.len() {
            if p.key_cmp(order.get(k - 1), order.get(k)) != Ordering::Less {
                return Err(corrupt(format!(
                    "processing order: slot {} is not after slot {}",
                    order.get(k),
                    order.get(k - 1)
                )));
            }
        }
        p.merge_log = merges_from(r.postcard("merge log")?)?;
        let horizon: Option<i64> = r.postcard("retention horizon")?;
        p.retention_horizon = horizon.map(super::snapshot::ts).transpose()?;
        p.relink(order);
        Ok(p)
    }
}

/// A stored code table: a count, then each value's text (at most `max_len` bytes).
fn read_codes<T, R: Read>(
    r: &mut FrameReader<R>,
    what: &str,
    max_len: usize,
    parse: fn(&str) -> Result<T>,
) -> Result<Vec<T>> {
    let n = r.count(4, what)?;
    let mut values = Vec::with_capacity(n.min(256));
    for _ in 0..n {
        values.push(parse(&r.string(max_len, what)?).map_err(corrupt)?);
    }
    Ok(values)
}

/// Check that a stored code table starts with the pool's initial values (built-in kinds and
/// channels, the reporting currency) in their order, then take it.
fn code_table<T: PartialEq + Eq + std::hash::Hash>(
    have: &mut Vec<T>,
    stored: Vec<T>,
    max: usize,
    what: &str,
) -> Result<()> {
    if stored.len() > max || stored.len() < have.len() || stored[..have.len()] != have[..] {
        return Err(corrupt(format!("{what}: the stored table does not match this library's")));
    }
    let distinct: std::collections::HashSet<&T> = stored.iter().collect();
    if distinct.len() != stored.len() {
        return Err(corrupt(format!("{what}: a repeated value")));
    }
    *have = stored;
    Ok(())
}
