//! Feedback from long calls: a callback told how far an ingest or a journey replay has got,
//! which may also stop it.
//!
//! ```
//! use yutang::progress::{Progress, Stage};
//! use yutang::{EventInput, Pool};
//!
//! let mut pool = Pool::default();
//! let events: Vec<EventInput> = (0..10)
//!     .map(|i| serde_json::from_value(serde_json::json!({
//!         "id": format!("e{i}"), "at": "2024-05-01 10:00", "kind": "view",
//!         "identities": [{"kind": "phone", "value": format!("1380013800{i}")}]})).unwrap())
//!     .collect();
//! let mut seen = Vec::new();
//! let report = pool.ingest_inputs_with_progress(&events, &mut |p: Progress| {
//!     seen.push((p.stage, p.done, p.total));
//!     true // false stops the call
//! });
//! assert_eq!(report.accepted, 10);
//! assert_eq!(seen.first(), Some(&(Stage::Ingest, 0, 10)));
//! assert_eq!(seen.last(), Some(&(Stage::Link, 10, 10)));
//! ```

/// Which part of a long call is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Validating, normalising and storing events (`done`, `total`: events).
    Ingest,
    /// Linking the stored events into customers (`done`, `total`: events; reported when it
    /// starts and when it ends).
    Link,
    /// Running journeys over customers (`done`, `total`: customers with work to do).
    Journeys,
}

impl Stage {
    /// The stage's name: `ingest`, `link`, `journeys`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Link => "link",
            Stage::Journeys => "journeys",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a long call has got: `done` of `total` units of its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The stage running.
    pub stage: Stage,
    /// Units done so far (0 when the stage starts, `total` when it ends).
    pub done: u64,
    /// Units in the stage.
    pub total: u64,
}

/// A progress callback: called when each stage starts and ends and after every
/// 1/[`STEPS`] of it in between (at most `STEPS + 1` calls a stage). Returning `false` stops
/// the call (see each call for what is kept).
pub type OnProgress<'a> = dyn FnMut(Progress) -> bool + 'a;

/// A stage reports its progress after every `ceil(total / STEPS)` units.
pub const STEPS: u64 = 100;

/// Counts units and calls the callback at the start, every `every` units and at the end.
pub(crate) struct Meter<'a, 'b> {
    on: Option<&'a mut OnProgress<'b>>,
    stage: Stage,
    total: u64,
    done: u64,
    next: u64,
    every: u64,
    stopped: bool,
}

impl<'a, 'b> Meter<'a, 'b> {
    /// A meter for `stage` over `total` units; reports `done = 0` at once.
    pub(crate) fn start(on: Option<&'a mut OnProgress<'b>>, stage: Stage, total: u64) -> Self {
        let mut m = Meter::new(on);
        m.restart(stage, total);
        m
    }

    /// A meter that reports nothing until its first [`Meter::restart`].
    pub(crate) fn new(on: Option<&'a mut OnProgress<'b>>) -> Self {
        Meter { on, stage: Stage::Ingest, total: 0, done: 0, next: u64::MAX, every: u64::MAX, stopped: false }
    }

    /// The next stage, with the same callback (nothing happens once stopped).
    pub(crate) fn restart(&mut self, stage: Stage, total: u64) {
        let every = total.div_ceil(STEPS).max(1);
        (self.stage, self.total, self.done, self.next, self.every) = (stage, total, 0, every, every);
        self.report();
    }

    /// One more unit done; `false` once the callback asked to stop.
    pub(crate) fn tick(&mut self) -> bool {
        self.done += 1;
        if self.done >= self.next {
            self.next = self.done.saturating_add(self.every);
            self.report();
        }
        !self.stopped
    }

    /// Whether the callback asked to stop.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// Reports the end of the stage (`done = total`, unless just reported) unless stopped;
    /// returns whether it was.
    pub(crate) fn finish(&mut self) -> bool {
        let just_reported = self.total > 0 && self.done == self.total && self.done + self.every == self.next;
        if !self.stopped && !just_reported {
            self.done = self.total;
            self.report();
        }
        self.stopped
    }

    fn report(&mut self) {
        if self.stopped {
            return;
        }
        if let Some(on) = self.on.as_mut() {
            let p = Progress { stage: self.stage, done: self.done.min(self.total), total: self.total };
            if !on(p) {
                self.stopped = true;
            }
        }
    }
}

impl std::fmt::Debug for Meter<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("stage", &self.stage)
            .field("done", &self.done)
            .field("total", &self.total)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl Default for Meter<'_, '_> {
    /// A meter that never reports.
    fn default() -> Self {
        Meter::new(None)
    }
}
