//! Simulation: replay the pool's history through journeys on a scratch state.

use super::runner::JourneyState;
use super::{Action, Journey};
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::pool::Pool;
use crate::progress::{Meter, OnProgress};
use serde::{Deserialize, Serialize};

/// Counts for one step of a simulated journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCount {
    /// The journey id.
    pub journey: String,
    /// The step id.
    pub step: String,
    /// Times an instance reached the step.
    pub visits: u64,
    /// Actions emitted.
    pub sent: u64,
    /// Sends deferred by a cap or quiet hours (each deferral counts).
    pub deferred: u64,
    /// Sends dropped by a cap or quiet hours (journeys with `blocked: drop`).
    pub dropped: u64,
    /// Sends suppressed because every usable channel was refused.
    pub suppressed: u64,
}

/// Outcome counts for one simulated journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyCount {
    /// The journey id.
    pub journey: String,
    /// Instances entered.
    pub entered: u64,
    /// Ended by a goal.
    pub converted: u64,
    /// Ended by an exit rule.
    pub exited: u64,
    /// Ran to the end.
    pub finished: u64,
    /// Ended by a merge (the younger of two instances).
    pub merged: u64,
    /// Ended by a new trigger (re-entry `every_trigger`).
    pub restarted: u64,
    /// Assigned to a control arm.
    pub control: u64,
    /// Held out by the global control group.
    #[serde(default)]
    pub global_control: u64,
    /// Still running at the end of the simulation.
    pub active: u64,
    /// `converted / entered` (0 when nothing entered).
    pub conversion: f64,
}

/// What a simulation returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// Every action, ordered by (due time, customer id, journey, step).
    pub actions: Vec<Action>,
    /// Per-step counts.
    pub steps: Vec<StepCount>,
    /// Per-journey outcomes and conversion.
    pub journeys: Vec<JourneyCount>,
    /// Per journey, its results at the end of the simulation (see [`Pool::journey_results`]).
    #[serde(default)]
    pub results: Vec<super::JourneyResults>,
}

pub(crate) fn simulate(
    pool: &Pool,
    journeys: &[Journey],
    start: Timestamp,
    end: Timestamp,
    progress: Option<&mut OnProgress<'_>>,
) -> Result<Simulation> {
    if end < start {
        return Err(Error::invalid("end", end.to_rfc3339(), "before start"));
    }
    let mut st = JourneyState::with_settings(pool.journey_settings().clone());
    for (i, j) in journeys.iter().enumerate() {
        j.validate().map_err(|e| match e {
            Error::InvalidField { field, value, reason } => {
                Error::InvalidField { field: format!("journeys[{i}].{field}"), value, reason }
            }
            other => other,
        })?;
        // events at `start` itself count
        st.add(j.clone(), start.micros() - 1);
    }
    let mut meter = Meter::new(progress);
    let actions = st.advance_metered(pool, end.micros(), &mut meter)?;
    let active = st.active_counts();
    let counters = st.counters().to_vec();
    let defs = st.definitions();
    let mut steps = Vec::new();
    let mut out = Vec::new();
    for ((d, c), act) in defs.iter().zip(&counters).zip(active) {
        for (s, k) in d.steps.iter().zip(&c.steps) {
            steps.push(StepCount {
                journey: d.id.clone(),
                step: s.id.clone(),
                visits: k[0],
                sent: k[1],
                deferred: k[2],
                dropped: k[3],
                suppressed: k[4],
            });
        }
        let o = c.outcomes;
        out.push(JourneyCount {
            journey: d.id.clone(),
            entered: o[0],
            finished: o[1],
            converted: o[2],
            exited: o[3],
            merged: o[4],
            restarted: o[5],
            control: o[6],
            global_control: o[8],
            active: act,
            conversion: if o[0] == 0 { 0.0 } else { o[2] as f64 / o[0] as f64 },
        });
    }
    let opts = super::ResultsOptions::default();
    let results = defs.iter().map(|d| st.results(pool, &d.id, end.micros(), &opts)).collect::<Result<Vec<_>>>()?;
    Ok(Simulation { actions, steps, journeys: out, results })
}
