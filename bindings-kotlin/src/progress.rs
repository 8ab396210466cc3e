//! Progress listeners for the long calls (`ingestWithProgress`, `simulate`).
use crate::errors::YutangError;
use std::sync::Arc;
use yutang::progress::Progress;

/// Told how far a long call has got: `stage` is `ingest`, `link` or `journeys`, `done` of
/// `total` units (events, or customers for `journeys`); called when each stage starts and ends
/// and after every hundredth of it. Return `false` to stop the call; an exception stops it too
/// and is thrown from the call (as `YutangException.Other` unless it is a `YutangException`).
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    fn on_progress(&self, stage: String, done: u64, total: u64) -> Result<bool, YutangError>;
}

/// Relays the core's progress to a listener and keeps what it threw.
pub(crate) struct Relay {
    listener: Option<Arc<dyn ProgressListener>>,
    error: Option<YutangError>,
}

impl Relay {
    pub(crate) fn new(listener: Option<Arc<dyn ProgressListener>>) -> Self {
        Relay { listener, error: None }
    }

    /// `false`: stop.
    pub(crate) fn call(&mut self, p: Progress) -> bool {
        let Some(l) = &self.listener else { return true };
        match l.on_progress(p.stage.as_str().to_string(), p.done, p.total) {
            Ok(go_on) => go_on,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    /// What the listener threw, if anything.
    pub(crate) fn check(self) -> Result<(), YutangError> {
        self.error.map_or(Ok(()), Err)
    }
}
