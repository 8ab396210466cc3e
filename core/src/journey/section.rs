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

use super::caps::{Cap, CapScope};
use super::def::{LocalTime, Span};
use super::quiet::QuietHours;
use super::runner::{Cust, Instance, JourneyState, Registered};
use super::{CustomerSettings, JourneySettings};
use crate::error::{Error, Result};
use crate::model::Channel;
use serde::{Deserialize, Serialize};

/// The version this library writes (and the newest it reads).
pub(crate) const VERSION: u16 = 1;

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
    pub(crate) fn into_state(self) -> Result<JourneyState> {
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
        let settings =
            JourneySettings { quiet_hours: quiet_from(s.quiet_hours)?, time_zone: s.time_zone, caps, customers };
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
        st.validate()?;
        Ok(st)
    }
}
