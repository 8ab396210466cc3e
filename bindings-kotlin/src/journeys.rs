//! Kotlin/Swift bindings for journeys (`yutang::journey`): definitions as JSON, actions as
//! records, `Pool` methods in a separate export block.

use crate::errors::YutangError;
use crate::pool::Pool;
use crate::progress::{ProgressListener, Relay};
use std::sync::Arc;
use yutang::journey::{
    examples, Action, ArmResult, Journey, JourneyResults, JourneySettings, RateComparison, ResultsOptions, StepCount,
};

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
    /// Held out by the global control group.
    #[uniffi(default = 0)]
    pub global_control: u64,
}

/// What `simulate` returns.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SimulationRecord {
    pub actions: Vec<ActionRecord>,
    pub steps: Vec<StepCountRecord>,
    pub journeys: Vec<JourneyCountRecord>,
    /// Per journey, its results at the end of the replay.
    #[uniffi(default = [])]
    pub results: Vec<JourneyResultsRecord>,
}

/// An instance a late goal or exit ended as of the event's time (`at`, RFC-3339 UTC): actions
/// sent to it at or after `at` would not have been sent had the event arrived in time.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LateEndRecord {
    pub customer_id: String,
    pub journey: String,
    pub instance_key: Option<String>,
    pub at: String,
    /// `converted` or `exited`.
    pub outcome: String,
}

/// What `advanceReport` returns: the actions, and what was done with late events.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AdvanceReportRecord {
    pub actions: Vec<ActionRecord>,
    /// Events acted on although they arrived dated before the previous advance.
    pub late_events: u64,
    /// Triggers dated more than the journey's `max_lateness` before the previous advance.
    pub too_late_triggers: u64,
    pub ended_late: Vec<LateEndRecord>,
}

/// Options of the results; a `null` field takes the default (level 0.95, mixing variance
/// 0.001).
#[derive(Debug, Clone, PartialEq, Default, uniffi::Record)]
pub struct ResultsOptionsRecord {
    #[uniffi(default = None)]
    pub level: Option<f64>,
    #[uniffi(default = None)]
    pub mixing_variance: Option<f64>,
}

impl From<ResultsOptionsRecord> for ResultsOptions {
    fn from(r: ResultsOptionsRecord) -> Self {
        let d = ResultsOptions::default();
        ResultsOptions {
            level: r.level.unwrap_or(d.level),
            mixing_variance: r.mixing_variance.unwrap_or(d.mixing_variance),
        }
    }
}

/// The results of one arm (see `JourneyResultsRecord`); null where undefined.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ArmResultRecord {
    pub arm: String,
    pub entered: u64,
    pub converted: u64,
    pub open: u64,
    pub conversion_rate: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
    pub revenue: f64,
    pub revenue_per_customer: Option<f64>,
    pub lift: Option<f64>,
    pub lift_low: Option<f64>,
    pub lift_high: Option<f64>,
    pub relative_lift: Option<f64>,
    pub relative_lift_low: Option<f64>,
    pub relative_lift_high: Option<f64>,
    pub revenue_lift: Option<f64>,
    pub revenue_lift_low: Option<f64>,
    pub revenue_lift_high: Option<f64>,
    pub p_value: Option<f64>,
    pub p_value_sequential: Option<f64>,
}

/// Results of a journey: per arm, entries, conversions within the conversion window, revenue,
/// the lift over `baseline` with intervals and tests; the per-step counts of this pool object.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct JourneyResultsRecord {
    pub journey: String,
    /// RFC-3339 UTC.
    pub as_of: String,
    /// A span such as `30d`.
    pub conversion_window: String,
    pub baseline: Option<String>,
    pub level: f64,
    pub arms: Vec<ArmResultRecord>,
    pub steps: Vec<StepCountRecord>,
    pub other_currency_orders: u64,
}

/// A conversion rate against a baseline's (see `compareRates`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RateComparisonRecord {
    pub rate: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
    pub lift: Option<f64>,
    pub lift_low: Option<f64>,
    pub lift_high: Option<f64>,
    pub relative_lift: Option<f64>,
    pub relative_lift_low: Option<f64>,
    pub relative_lift_high: Option<f64>,
    pub p_value: Option<f64>,
}

fn step_record(c: StepCount) -> StepCountRecord {
    StepCountRecord {
        journey: c.journey,
        step: c.step,
        visits: c.visits,
        sent: c.sent,
        deferred: c.deferred,
        dropped: c.dropped,
        suppressed: c.suppressed,
    }
}

fn arm_record(a: ArmResult) -> ArmResultRecord {
    ArmResultRecord {
        arm: a.arm,
        entered: a.entered,
        converted: a.converted,
        open: a.open,
        conversion_rate: a.conversion_rate,
        rate_low: a.rate_low,
        rate_high: a.rate_high,
        revenue: a.revenue,
        revenue_per_customer: a.revenue_per_customer,
        lift: a.lift,
        lift_low: a.lift_low,
        lift_high: a.lift_high,
        relative_lift: a.relative_lift,
        relative_lift_low: a.relative_lift_low,
        relative_lift_high: a.relative_lift_high,
        revenue_lift: a.revenue_lift,
        revenue_lift_low: a.revenue_lift_low,
        revenue_lift_high: a.revenue_lift_high,
        p_value: a.p_value,
        p_value_sequential: a.p_value_sequential,
    }
}

fn results_record(r: JourneyResults) -> JourneyResultsRecord {
    JourneyResultsRecord {
        journey: r.journey,
        as_of: r.as_of.to_rfc3339(),
        conversion_window: r.conversion_window.to_string(),
        baseline: r.baseline,
        level: r.level,
        arms: r.arms.into_iter().map(arm_record).collect(),
        steps: r.steps.into_iter().map(step_record).collect(),
        other_currency_orders: r.other_currency_orders,
    }
}

/// Customers needed in each of two equal arms to detect `baseline` → `baseline + minLift` with
/// a two-sided test at level `alpha` and the given power.
#[uniffi::export(default(alpha = 0.05, power = 0.8))]
pub fn journey_sample_size(baseline: f64, min_lift: f64, alpha: f64, power: f64) -> Result<u64, YutangError> {
    Ok(yutang::journey::sample_size_per_arm(baseline, min_lift, alpha, power)?)
}

/// The statistics of journey results for counts from anywhere: `converted` of `entered`
/// against `baseConverted` of `baseEntered`.
#[uniffi::export(default(level = 0.95))]
pub fn compare_rates(
    converted: u64,
    entered: u64,
    base_converted: u64,
    base_entered: u64,
    level: f64,
) -> Result<RateComparisonRecord, YutangError> {
    let c: RateComparison = yutang::journey::compare_rates(converted, entered, base_converted, base_entered, level)?;
    Ok(RateComparisonRecord {
        rate: c.rate,
        rate_low: c.rate_low,
        rate_high: c.rate_high,
        lift: c.lift,
        lift_low: c.lift_low,
        lift_high: c.lift_high,
        relative_lift: c.relative_lift,
        relative_lift_low: c.relative_lift_low,
        relative_lift_high: c.relative_lift_high,
        p_value: c.p_value,
    })
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

    /// `advance`, with what was done with events that arrived dated before the previous advance:
    /// late goals and exits end their instances as of the event's time; late triggers start an
    /// instance when dated at most the journey's `max_lateness` (default 24 h) before it.
    pub fn advance_report(&self, as_of: String) -> Result<AdvanceReportRecord, YutangError> {
        let t = self.time(&as_of)?;
        let r = self.write().advance_report(t)?;
        Ok(AdvanceReportRecord {
            actions: r.actions.iter().map(action_record).collect(),
            late_events: r.late_events,
            too_late_triggers: r.too_late_triggers,
            ended_late: r
                .ended_late
                .into_iter()
                .map(|e| LateEndRecord {
                    customer_id: e.customer_id,
                    journey: e.journey,
                    instance_key: e.instance_key,
                    at: e.at.to_rfc3339(),
                    outcome: e.outcome,
                })
                .collect(),
        })
    }

    /// When the next timer is due (RFC-3339 UTC), or null.
    pub fn next_wake_at(&self) -> Option<String> {
        self.read().next_wake_at().map(|t| t.to_rfc3339())
    }

    /// Every journey instance (a JSON array: customer_id, journey, instance_key, step,
    /// status, arm, entered_at, at).
    pub fn journey_instances_json(&self) -> String {
        serde_json::to_string(&self.read().journey_instances()).unwrap_or_default()
    }

    /// The results of a journey at `as_of` (ISO-8601): one entry per arm, against the
    /// journey's control arm or the global control group.
    #[uniffi::method(default(options = None))]
    pub fn journey_results(
        &self,
        journey: String,
        as_of: String,
        options: Option<ResultsOptionsRecord>,
    ) -> Result<JourneyResultsRecord, YutangError> {
        let t = self.time(&as_of)?;
        let opts: ResultsOptions = options.unwrap_or_default().into();
        Ok(results_record(self.read().journey_results_with(&journey, t, &opts)?))
    }

    /// The global control group against everyone else, across every journey, per customer.
    #[uniffi::method(default(options = None))]
    pub fn global_control_results(
        &self,
        as_of: String,
        options: Option<ResultsOptionsRecord>,
    ) -> Result<JourneyResultsRecord, YutangError> {
        let t = self.time(&as_of)?;
        let opts: ResultsOptions = options.unwrap_or_default().into();
        Ok(results_record(self.read().global_control_results(t, &opts)?))
    }

    /// Replay the pool's events in [start, end] through the journeys (JSON definitions); the
    /// live journey state is not touched. `progress` is told how far the replay has got (stage
    /// `journeys`, customers); when it returns false the replay stops with
    /// `YutangException.Cancelled`.
    #[uniffi::method(default(progress = None))]
    pub fn simulate(
        &self,
        journeys_json: Vec<String>,
        start: String,
        end: String,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> Result<SimulationRecord, YutangError> {
        let mut js = Vec::with_capacity(journeys_json.len());
        for j in &journeys_json {
            js.push(Journey::from_json(j)?);
        }
        let (s, e) = (self.time(&start)?, self.time(&end)?);
        let mut relay = Relay::new(progress);
        let sim = self.read().simulate_with_progress(&js, s, e, &mut |p| relay.call(p));
        relay.check()?;
        let sim = sim?;
        Ok(SimulationRecord {
            actions: sim.actions.iter().map(action_record).collect(),
            steps: sim.steps.into_iter().map(step_record).collect(),
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
                    global_control: c.global_control,
                })
                .collect(),
            results: sim.results.into_iter().map(results_record).collect(),
        })
    }
}
