//! Journeys: behaviour-triggered marketing automation.
//!
//! A [`Journey`] is data (serde, versioned JSON): triggers (an event kind with an optional
//! condition), a re-entry policy, an instance key (one instance per customer, per order or per
//! subscription), steps (send, wait, wait-until, hold-until-event, branch, split, end), goals,
//! exit rules, what to do with a blocked send (defer or drop) and fallback channels.
//!
//! The pool runs the journeys added to it: [`Pool::advance`] processes the events and the
//! timers due up to `as_of` in time order, per customer, and returns the [`Action`]s due, each
//! with a deterministic idempotency key. Advancing again to the same `as_of`, or re-ingesting
//! the same events, emits nothing new. [`Pool::next_wake_at`] tells the host when the next
//! timer is due. Journey state is part of the pool (and of its snapshot).
//!
//! [`Pool::simulate`] replays the pool's history through journeys on a scratch state and
//! returns the actions they would have emitted, per-step counts and conversion; the live state
//! is not touched.
//!
//! See the guide `docs/journeys.md` (rendered in [`crate::_documentation::journeys`]) for the
//! semantics in full and the two example journeys ([`examples`]).

mod caps;
mod consent;
mod def;
pub mod examples;
mod quiet;
mod results;
mod runner;
pub(crate) mod section;
mod simulate;
mod stats;
mod validate;

pub use caps::{Cap, CapScope};
pub use def::{
    Anchor, Arm, Blocked, Case, ChannelWhen, Condition, EventRule, InstanceKey, Journey, LocalTime, Reentry, Span,
    Step, StepKind, Trigger, DEFAULT_CONVERSION_WINDOW, DEFAULT_MAX_LATENESS, JOURNEY_VERSION, MAX_CONVERSION_WINDOW,
};
pub use quiet::QuietHours;
pub use results::{ArmResult, JourneyResults, ResultsOptions, GLOBAL_CONTROL, TREATMENT};
pub use runner::{AdvanceReport, InstanceInfo, JourneyState, LateEnd};
pub use simulate::{JourneyCount, Simulation, StepCount};
pub use stats::{compare_rates, sample_size_per_arm, RateComparison};
pub use validate::{END, MAX_STEPS};

use crate::error::{Error, Result};
use crate::model::{Channel, Timestamp};
use crate::pool::Pool;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per-customer overrides of the journey settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSettings {
    /// The customer's IANA time zone (quiet hours and wall-clock waits use it).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The customer's quiet hours.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// The customer's value tier as set by the host (`high`, `mid`, `low` …), read by
    /// [`Condition::Tier`].
    #[serde(default)]
    pub tier: Option<String>,
}

/// Pool-wide journey settings: quiet hours, time zone, frequency caps, per-customer overrides,
/// the global control group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneySettings {
    /// Quiet hours (default 21:00–09:00).
    pub quiet_hours: QuietHours,
    /// The customers' default time zone; `None`: the pool's business zone (default
    /// Asia/Shanghai).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Frequency caps (default ≤ 1 per channel per day, ≤ 3 per 7 days across channels).
    pub caps: Vec<Cap>,
    /// Per-customer overrides, by customer id (aliases of merged customers resolve).
    #[serde(default)]
    pub customers: BTreeMap<String, CustomerSettings>,
    /// The fraction of customers (0 ≤ f < 1, default 0) held out of every journey: the global
    /// control group. Membership is a keyed hash of the customer id (the pool's
    /// [`crate::pool::PoolConfig::id_key`]), so it is stable and cannot be guessed. Members
    /// receive no action; their instances are followed for each journey's conversion window
    /// and reported as the arm `global_control`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub global_control: f64,
}

fn is_zero(f: &f64) -> bool {
    *f == 0.0
}

impl Default for JourneySettings {
    fn default() -> Self {
        JourneySettings {
            quiet_hours: QuietHours::default(),
            time_zone: None,
            caps: Cap::defaults(),
            customers: BTreeMap::new(),
            global_control: 0.0,
        }
    }
}

impl JourneySettings {
    /// Check the zones and caps.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        if let Some(z) = &self.time_zone {
            crate::model::parse_tz(z)?;
        }
        let g = self.global_control;
        if !(g.is_finite() && (0.0..1.0).contains(&g)) {
            return Err(Error::invalid("global_control", g.to_string(), "a fraction: at least 0 and below 1"));
        }
        for (i, c) in self.caps.iter().enumerate() {
            if c.window.seconds() <= 0 {
                return Err(Error::invalid(format!("caps[{i}].window"), c.window.to_string(), "must be positive"));
            }
        }
        for (id, c) in &self.customers {
            if let Some(z) = &c.time_zone {
                crate::model::parse_tz(z).map_err(|_| {
                    Error::invalid(format!("customers[{}].time_zone", crate::mask(id)), z, "not an IANA time-zone name")
                })?;
            }
        }
        Ok(())
    }
}

/// One action due: what the host should send (or the task it should create).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The customer (current id; merged-away ids resolve to it).
    pub customer_id: String,
    /// The journey id.
    pub journey: String,
    /// The step id.
    pub step: String,
    /// The channel to use (after consent fallbacks).
    pub channel: Channel,
    /// Template id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Offer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    /// Offer value: the price level as a fraction (0.85 = a coupon at 85 % of price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<f64>,
    /// When it is due.
    pub due_at: Timestamp,
    /// Deterministic idempotency key (`a` + 20 base-32 characters).
    pub key: String,
    /// The instance key (order or subscription id) of a keyed journey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_key: Option<String>,
}

impl Pool {
    /// Add (or replace, by id) a journey. It acts on trigger events after `since`; `None`:
    /// after the latest of the last `advance` and the latest event in the pool, i.e. from now
    /// on. To backfill, pass an earlier `since`: the next `advance` replays the events after
    /// it (actions whose time has passed come out with their original due times).
    ///
    /// # Errors
    /// An invalid definition (with the path of the offending element).
    pub fn add_journey(&mut self, journey: Journey, since: Option<Timestamp>) -> Result<()> {
        journey.validate()?;
        let n = self.ext().journeys.definitions().len();
        if n >= u16::MAX as usize && !self.journeys().iter().any(|j| j.id == journey.id) {
            return Err(Error::limit("journeys", u16::MAX as usize - 1, n + 1));
        }
        let since = match since {
            Some(t) => t.micros(),
            None => {
                let mut latest = self.ext().journeys.processed_to().unwrap_or(i64::MIN);
                for p in 0..self.customer_count() {
                    if let Some(e) = self.customer_at(p).and_then(|v| v.events().next_back()) {
                        latest = latest.max(e.at_micros());
                    }
                }
                latest
            }
        };
        self.ext_mut().journeys.add(journey, since);
        Ok(())
    }

    /// Remove a journey and its instances. Returns whether it was there.
    pub fn remove_journey(&mut self, journey_id: &str) -> bool {
        self.ext_mut().journeys.remove(journey_id)
    }

    /// The journeys added, in the order they were added.
    pub fn journeys(&self) -> Vec<Journey> {
        self.ext().journeys.definitions()
    }

    /// Replace the journey settings (quiet hours, zone, caps, per-customer overrides).
    ///
    /// # Errors
    /// An invalid zone or cap.
    pub fn set_journey_settings(&mut self, settings: JourneySettings) -> Result<()> {
        settings.validate()?;
        self.ext_mut().journeys.set_settings(settings);
        Ok(())
    }

    /// The journey settings.
    pub fn journey_settings(&self) -> &JourneySettings {
        self.ext().journeys.settings()
    }

    /// Process events and timers up to `as_of` and return the actions due, ordered by
    /// (due time, customer id, journey, step). See the [module documentation](crate::journey).
    ///
    /// # Errors
    /// A condition-language rule of a journey that does not compile against the pool (an
    /// undefined segment …), named by its path (`journey.steps[3].cases[0].when…`).
    pub fn advance(&mut self, as_of: Timestamp) -> Result<Vec<Action>> {
        Ok(self.advance_report(as_of)?.actions)
    }

    /// [`Pool::advance`], with what was done with the events that arrived dated before the
    /// previous advance (a marketplace order synced hours late): how many were acted on, the
    /// triggers too late to start an instance (beyond the journey's `max_lateness`), and the
    /// instances a late goal or exit ended as of the event's time — actions sent to those after
    /// that time would not have been sent had the event arrived in time.
    ///
    /// # Errors
    /// As [`Pool::advance`].
    pub fn advance_report(&mut self, as_of: Timestamp) -> Result<AdvanceReport> {
        let mut st = std::mem::take(&mut self.ext_mut().journeys);
        let out = st.advance_report(self, as_of.micros());
        self.ext_mut().journeys = st;
        out
    }

    /// When the next timer (wait, hold timeout, deferred send) is due; `None` if none is
    /// pending. Also call [`Pool::advance`] after ingesting events.
    pub fn next_wake_at(&self) -> Option<Timestamp> {
        self.ext().journeys.next_wake_at().and_then(|t| Timestamp::from_micros(t).ok())
    }

    /// Every journey instance (running and ended), for inspection: customer, journey, key,
    /// step, status, entry time and next timer (or end time).
    pub fn journey_instances(&self) -> Vec<InstanceInfo> {
        let mut st = self.ext().journeys.clone();
        st.instances_info()
    }

    /// The results of a journey at `as_of` with the default options (95 % intervals): per arm,
    /// the customers who entered, converted within the journey's conversion window and their
    /// revenue, with the lift over the control arm (or the global control group) and its
    /// intervals and tests. The customer is the unit (the arms are drawn per customer). See
    /// [`JourneyResults`].
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a journey id not in the pool; a goal condition that does
    /// not compile against the pool.
    pub fn journey_results(&self, journey: &str, as_of: Timestamp) -> Result<JourneyResults> {
        self.journey_results_with(journey, as_of, &ResultsOptions::default())
    }

    /// [`Pool::journey_results`] with options (confidence level, mixing variance of the
    /// sequential test).
    ///
    /// # Errors
    /// As [`Pool::journey_results`]; invalid options, by name.
    pub fn journey_results_with(
        &self,
        journey: &str,
        as_of: Timestamp,
        opts: &ResultsOptions,
    ) -> Result<JourneyResults> {
        self.ext().journeys.results(self, journey, as_of.micros(), opts)
    }

    /// The global control group against everyone else, across every journey, per customer: a
    /// customer converted when any of their instances converted within its window; revenue is
    /// the orders within the union of their windows. Arms [`TREATMENT`] and
    /// [`GLOBAL_CONTROL`] (the baseline).
    ///
    /// # Errors
    /// Invalid options, by name; a goal condition that does not compile against the pool.
    pub fn global_control_results(&self, as_of: Timestamp, opts: &ResultsOptions) -> Result<JourneyResults> {
        self.ext().journeys.global_results(self, as_of.micros(), opts)
    }

    /// Replay the pool's events in `[start, end]` through `journeys` on a scratch state (the
    /// pool's journey settings apply; the live journey state is not touched) and return the
    /// actions they would have emitted, with per-step and per-journey counts.
    ///
    /// # Errors
    /// An invalid definition; `end < start`.
    pub fn simulate(&self, journeys: &[Journey], start: Timestamp, end: Timestamp) -> Result<Simulation> {
        simulate::simulate(self, journeys, start, end, None)
    }

    /// [`Pool::simulate`], telling `progress` how far it has got (stage
    /// [`Stage::Journeys`](crate::progress::Stage::Journeys): customers with work to do).
    ///
    /// # Errors
    /// As [`Pool::simulate`]; [`Error::Cancelled`] when `progress`
    /// returns `false`.
    pub fn simulate_with_progress(
        &self,
        journeys: &[Journey],
        start: Timestamp,
        end: Timestamp,
        progress: &mut crate::progress::OnProgress<'_>,
    ) -> Result<Simulation> {
        simulate::simulate(self, journeys, start, end, Some(progress))
    }
}
