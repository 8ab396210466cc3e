//! Kotlin/Swift bindings for journeys (`yutang::journey`): definitions as JSON, actions as
//! records, `Pool` methods in a separate export block.

use crate::errors::YutangError;
use crate::pool::Pool;
use yutang::journey::{examples, Action, Journey, JourneySettings};

/// One action due. `due_at` is RFC-3339 UTC, `due_at_millis` epoch milliseconds; `offer` is the
/// price level as a fraction (0.85 = a coupon at 85 % of price), null without one.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ActionRecord {
    pub customer_id: String,
    pub journey: String,
    pub step: String,
    pub channel: String,
    pub offer: Option<f64>,
    pub due_at: String,
    pub due_at_millis: i64,
    pub key: String,
    pub template: Option<String>,
    pub offer_id: Option<String>,
    pub instance_key: Option<String>,
}

/// Counts for one step of a simulation.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StepCountRecord {
    pub journey: String,
    pub step: String,
    pub visits: u64,
    pub sent: u64,
    pub deferred: u64,
    pub dropped: u64,
    pub suppressed: u64,
}

/// Outcomes of one simulated journey.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct JourneyCountRecord {
    pub journey: String,
    pub entered: u64,
    pub converted: u64,
    pub exited: u64,
    pub finished: u64,
    pub merged: u64,
    pub restarted: u64,
    pub control: u64,
    pub active: u64,
    pub conversion: f64,
}

/// What `simulate` returns.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SimulationRecord {
    pub actions: Vec<ActionRecord>,
    pub steps: Vec<StepCountRecord>,
    pub journeys: Vec<JourneyCountRecord>,
}

fn action_record(a: &Action) -> ActionRecord {
    ActionRecord {
        customer_id: a.customer_id.clone(),
        journey: a.journey.clone(),
        step: a.step.clone(),
        channel: a.channel.to_string(),
        offer: a.offer,
        due_at: a.due_at.to_rfc3339(),
        due_at_millis: a.due_at.millis(),
        key: a.key.clone(),
        template: a.template.clone(),
        offer_id: a.offer_id.clone(),
        instance_key: a.instance_key.clone(),
    }
}

/// The coffee-chain coupon ladder definition (JSON).
#[uniffi::export]
pub fn coffee_coupon_ladder() -> String {
    examples::coffee_coupon_ladder().to_json()
}

/// The renewal-reminders definition (JSON).
#[uniffi::export]
pub fn renewal_reminders() -> String {
    examples::renewal_reminders().to_json()
}

/// Load and validate a definition from JSON; returns its canonical JSON. Errors name the JSON
/// path of the offending element (`steps[2].next`).
#[uniffi::export]
pub fn load_journey(json: String) -> Result<String, YutangError> {
    Ok(Journey::from_json(&json)?.to_json())
}

impl Pool {
    fn time(&self, s: &str) -> Result<yutang::Timestamp, YutangError> {
        Ok(yutang::parse_time(s, self.read().time_zone())?)
    }
}

#[uniffi::export]
impl Pool {
    /// Add (or replace) a journey from its JSON definition. It acts on trigger events after
    /// `since` (ISO-8601); null: from now on (the later of the last advance and the latest
    /// event). Pass an earlier `since` to backfill.
    pub fn add_journey(&self, definition_json: String, since: Option<String>) -> Result<(), YutangError> {
        let j = Journey::from_json(&definition_json)?;
        let since = since.map(|s| self.time(&s)).transpose()?;
        Ok(self.write().add_journey(j, since)?)
    }

    /// Remove a journey and its instances; whether it was there.
    pub fn remove_journey(&self, journey_id: String) -> bool {
        self.write().remove_journey(&journey_id)
    }

    /// The journeys added (a JSON array of definitions).
    pub fn journeys_json(&self) -> String {
        serde_json::to_string(&self.read().journeys()).unwrap_or_default()
    }

    /// Replace the journey settings (JSON: quiet_hours, time_zone, caps, customers).
    pub fn set_journey_settings_json(&self, json: String) -> Result<(), YutangError> {
        let s: JourneySettings =
            serde_json::from_str(&json).map_err(|e| yutang::Error::invalid("settings", "", e.to_string()))?;
        Ok(self.write().set_journey_settings(s)?)
    }

    /// The journey settings as JSON.
    pub fn journey_settings_json(&self) -> String {
        serde_json::to_string(self.read().journey_settings()).unwrap_or_default()
    }

    /// Process events and timers up to `as_of` (ISO-8601); the actions due, ordered by due
    /// time, customer, journey, step. Again to the same `as_of`: nothing new.
    pub fn advance(&self, as_of: String) -> Result<Vec<ActionRecord>, YutangError> {
        let t = self.time(&as_of)?;
        Ok(self.write().advance(t)?.iter().map(action_record).collect())
    }

    /// When the next timer is due (RFC-3339 UTC), or null.
    pub fn next_wake_at(&self) -> Option<String> {
        self.read().next_wake_at().map(|t| t.to_rfc3339())
    }

    /// Every journey instance (a JSON array: customer_id, journey, instance_key, step,
    /// status, entered_at, at).
    pub fn journey_instances_json(&self) -> String {
        serde_json::to_string(&self.read().journey_instances()).unwrap_or_default()
    }

    /// Replay the pool's events in [start, end] through the journeys (JSON definitions); the
    /// live journey state is not touched.
    pub fn simulate(
        &self,
        journeys_json: Vec<String>,
        start: String,
        end: String,
    ) -> Result<SimulationRecord, YutangError> {
        let mut js = Vec::with_capacity(journeys_json.len());
        for j in &journeys_json {
            js.push(Journey::from_json(j)?);
        }
        let (s, e) = (self.time(&start)?, self.time(&end)?);
        let sim = self.read().simulate(&js, s, e)?;
        Ok(SimulationRecord {
            actions: sim.actions.iter().map(action_record).collect(),
            steps: sim
                .steps
                .into_iter()
                .map(|c| StepCountRecord {
                    journey: c.journey,
                    step: c.step,
                    visits: c.visits,
                    sent: c.sent,
                    deferred: c.deferred,
                    dropped: c.dropped,
                    suppressed: c.suppressed,
                })
                .collect(),
            journeys: sim
                .journeys
                .into_iter()
                .map(|c| JourneyCountRecord {
                    journey: c.journey,
                    entered: c.entered,
                    converted: c.converted,
                    exited: c.exited,
                    finished: c.finished,
                    merged: c.merged,
                    restarted: c.restarted,
                    control: c.control,
                    active: c.active,
                    conversion: c.conversion,
                })
                .collect(),
        })
    }
}
