//! The `journeys` snapshot section, version 1: frozen types that never change. The runtime
//! state ([`JourneyState`]) is converted to and from them, so it can change shape freely;
//! a change to what the section holds is a new version here, and the old one is still read.
//!
//! Version 1 (the layout of formats 3 and 4) in order: settings (quiet hours as `HH:MM`
//! texts, the default time zone, caps with spans as texts, per-customer overrides by id), the
//! journeys (definition JSON, registered-since and watermark times), the customers (id, first
//! instance, merged-into index, recent sends), the instances, instance keys, channels, the
//! count of merges seen, the processed-to time and the entry memberships. Times are
//! microseconds since the Unix epoch.
//!
//! Version 2 is version 1 followed by the global-control fraction (an f64), the ended
//! instances kept for the results (journey, outcome, customer, origin, key, entry time, each
//! whose slot a later entry took over) and the number of the pool's event slots the last
//! advance saw (the events in later slots arrived since: late events are found by it), and
//! allows the instance states of control instances
//! (followed through their conversion window, or held out by the global control group). It is
//! written only when the state holds any of these, so a state without them still writes
//! version 1, which older libraries read.

use super::caps::{Cap, CapScope};
use super::def::{LocalTime, Span};
use super::quiet::QuietHours;
use super::runner::{Cust, Ended, Instance, JourneyState, Registered};
use super::{CustomerSettings, JourneySettings};
use crate::error::{Error, Result};
use crate::model::Channel;
use serde::{Deserialize, Serialize};

/// The newest version this library writes and reads.
pub(crate) const VERSION: u16 = 2;

/// Version 2: version 1 and the global-control fraction.
#[derive(Serialize, Deserialize)]
pub(crate) struct JourneysV2 {
    base: JourneysV1,
    global_control: f64,
    ended: Vec<EndedV2>,
    seen_slots: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct EndedV2 {
    journey: u16,
    outcome: u8,
    cust: u32,
    origin: u32,
    key: u32,
    entered: i64,
}

/// The section of a state: version 1 when it holds nothing of version 2, else version 2.
pub(crate) enum Frozen {
    V1(JourneysV1),
    V2(JourneysV2),
}

impl Frozen {
    pub(crate) fn of(st: &JourneyState) -> Frozen {
        use super::runner::{FOLLOW, GLOBAL_CONTROL, HELD};
        let base = JourneysV1::of(st);
        let v2 = st.settings.global_control != 0.0
            || !st.ended.is_empty()
            || st.seen_slots.is_some()
            || st.instances.iter().any(|x| x.status == FOLLOW || x.outcome & HELD != 0 || x.outcome == GLOBAL_CONTROL);
        if v2 {
            let ended = st
                .ended
                .iter()
                .map(|e| EndedV2 {
                    journey: e.journey,
                    outcome: e.outcome,
                    cust: e.cust,
                    origin: e.origin,
                    key: e.key,
                    entered: e.entered,
                })
                .collect();
            Frozen::V2(JourneysV2 {
                base,
                global_control: st.settings.global_control,
                ended,
                seen_slots: st.seen_slots,
            })
        } else {
            Frozen::V1(base)
        }
    }

    /// The version and the frozen value to encode.
    pub(crate) fn version(&self) -> u16 {
        match self {
            Frozen::V1(_) => 1,
            Frozen::V2(_) => 2,
        }
    }
}

impl Serialize for Frozen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Frozen::V1(v) => v.serialize(s),
            Frozen::V2(v) => v.serialize(s),
        }
    }
}

/// Read a section of version 1 or 2 (the version was checked by the caller).
pub(crate) fn decode(version: u16, bytes: &[u8]) -> Result<JourneyState> {
    if version == 1 {
        let v: JourneysV1 = crate::pool::decode_section(bytes).map_err(bad)?;
        return v.into_state(0.0, Vec::new(), None);
    }
    let v: JourneysV2 = crate::pool::decode_section(bytes).map_err(bad)?;
    let ended = v
        .ended
        .into_iter()
        .map(|e| Ended {
            journey: e.journey,
            outcome: e.outcome,
            cust: e.cust,
            origin: e.origin,
            key: e.key,
            entered: e.entered,
        })
        .collect();
    v.base.into_state(v.global_control, ended, v.seen_slots)
}

#[derive(Serialize, Deserialize)]
pub(crate) struct JourneysV1 {
    settings: SettingsV1,
    journeys: Vec<RegisteredV1>,
    customers: Vec<CustV1>,
    instances: Vec<InstanceV1>,
    keys: Vec<String>,
    channels: Vec<String>,
    merges_seen: u64,
    processed_to: Option<i64>,
    entry_members: Vec<(u16, u16, Vec<String>)>,
}

#[derive(Serialize, Deserialize)]
struct QuietV1 {
    start: String,
    end: String,
}

#[derive(Serialize, Deserialize)]
enum CapScopeV1 {
    EachChannel,
    AllChannels,
    Channel(String),
}

#[derive(Serialize, Deserialize)]
struct CapV1 {
    scope: CapScopeV1,
    max: u32,
    window: String,
}

#[derive(Serialize, Deserialize)]
struct CustomerSettingsV1 {
    time_zone: Option<String>,
    quiet_hours: Option<QuietV1>,
    tier: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SettingsV1 {
    quiet_hours: QuietV1,
    time_zone: Option<String>,
    caps: Vec<CapV1>,
    customers: Vec<(String, CustomerSettingsV1)>,
}

#[derive(Serialize, Deserialize)]
struct RegisteredV1 {
    json: String,
    since: i64,
    watermark: i64,
}

#[derive(Serialize, Deserialize)]
struct CustV1 {
    id: String,
    first: u32,
    merged_into: u32,
    sends: Vec<(i64, u8)>,
}

#[derive(Serialize, Deserialize)]
struct InstanceV1 {
    cust: u32,
    origin: u32,
    key: u32,
    next: u32,
    journey: u16,
    step: u16,
    sends: u16,
    status: u8,
    outcome: u8,
    wake: i64,
    entered: i64,
    anchor: i64,
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::Snapshot { reason: format!("corrupted section `journeys`: {what}") }
}

fn quiet_v1(q: &QuietHours) -> QuietV1 {
    QuietV1 { start: q.start.to_string(), end: q.end.to_string() }
}

fn quiet_from(q: QuietV1) -> Result<QuietHours> {
    let t = |s: &str| LocalTime::parse(s).map_err(bad);
    Ok(QuietHours { start: t(&q.start)?, end: t(&q.end)? })
}

fn channel_from(s: &str) -> Result<Channel> {
    Channel::parse(s).map_err(bad)
}

impl JourneysV1 {
    /// The frozen form of the state.
    pub(crate) fn of(st: &JourneyState) -> JourneysV1 {
        let s = &st.settings;
        let settings = SettingsV1 {
            quiet_hours: quiet_v1(&s.quiet_hours),
            time_zone: s.time_zone.clone(),
            caps: s
                .caps
                .iter()
                .map(|c| CapV1 {
                    scope: match &c.scope {
                        CapScope::EachChannel => CapScopeV1::EachChannel,
                        CapScope::AllChannels => CapScopeV1::AllChannels,
                        CapScope::Channel(ch) => CapScopeV1::Channel(ch.to_string()),
                    },
                    max: c.max,
                    window: c.window.to_string(),
                })
                .collect(),
            customers: s
                .customers
                .iter()
                .map(|(id, c)| {
                    let v = CustomerSettingsV1 {
                        time_zone: c.time_zone.clone(),
                        quiet_hours: c.quiet_hours.as_ref().map(quiet_v1),
                        tier: c.tier.clone(),
                    };
                    (id.clone(), v)
                })
                .collect(),
        };
        JourneysV1 {
            settings,
            journeys: st
                .journeys
                .iter()
                .map(|r| RegisteredV1 { json: r.json.clone(), since: r.since, watermark: r.watermark })
                .collect(),
            customers: st
                .customers
                .iter()
                .map(|c| CustV1 {
                    id: c.id.clone(),
                    first: c.first,
                    merged_into: c.merged_into,
                    sends: c.sends.clone(),
                })
                .collect(),
            instances: st
                .instances
                .iter()
                .map(|x| InstanceV1 {
                    cust: x.cust,
                    origin: x.origin,
                    key: x.key,
                    next: x.next,
                    journey: x.journey,
                    step: x.step,
                    sends: x.sends,
                    status: x.status,
                    outcome: x.outcome,
                    wake: x.wake,
                    entered: x.entered,
                    anchor: x.anchor,
                })
                .collect(),
            keys: st.keys.clone(),
            channels: st.channels.iter().map(|c| c.to_string()).collect(),
            merges_seen: st.merges_seen,
            processed_to: st.processed_to,
            entry_members: st.entry_members.clone(),
        }
    }

    /// The runtime state, every value and reference checked.
    pub(crate) fn into_state(
        self,
        global_control: f64,
        ended: Vec<Ended>,
        seen_slots: Option<u32>,
    ) -> Result<JourneyState> {
        let s = self.settings;
        let caps = s
            .caps
            .into_iter()
            .map(|c| {
                let scope = match c.scope {
                    CapScopeV1::EachChannel => CapScope::EachChannel,
                    CapScopeV1::AllChannels => CapScope::AllChannels,
                    CapScopeV1::Channel(ch) => CapScope::Channel(channel_from(&ch)?),
                };
                Ok(Cap { scope, max: c.max, window: Span::parse(&c.window).map_err(bad)? })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut customers = std::collections::BTreeMap::new();
        for (id, c) in s.customers {
            let v = CustomerSettings {
                time_zone: c.time_zone,
                quiet_hours: c.quiet_hours.map(quiet_from).transpose()?,
                tier: c.tier,
            };
            if customers.insert(id, v).is_some() {
                return Err(bad("a customer's settings appear twice"));
            }
        }
        let settings = JourneySettings {
            quiet_hours: quiet_from(s.quiet_hours)?,
            time_zone: s.time_zone,
            caps,
            customers,
            global_control,
        };
        settings.validate().map_err(bad)?;
        let mut st = JourneyState::with_settings(settings);
        st.journeys = self
            .journeys
            .into_iter()
            .map(|r| Registered { json: r.json, since: r.since, watermark: r.watermark })
            .collect();
        st.customers = self
            .customers
            .into_iter()
            .map(|c| Cust { id: c.id, first: c.first, merged_into: c.merged_into, sends: c.sends })
            .collect();
        st.instances = self
            .instances
            .into_iter()
            .map(|x| Instance {
                cust: x.cust,
                origin: x.origin,
                key: x.key,
                next: x.next,
                journey: x.journey,
                step: x.step,
                sends: x.sends,
                status: x.status,
                outcome: x.outcome,
                wake: x.wake,
                entered: x.entered,
                anchor: x.anchor,
            })
            .collect();
        st.keys = self.keys;
        st.channels = self.channels.iter().map(|c| channel_from(c)).collect::<Result<_>>()?;
        st.merges_seen = self.merges_seen;
        st.processed_to = self.processed_to;
        st.entry_members = self.entry_members;
        st.ended = ended;
        st.seen_slots = seen_slots;
        st.validate()?;
        Ok(st)
    }
}
