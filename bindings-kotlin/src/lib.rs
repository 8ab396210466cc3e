//! Kotlin and Swift bindings for yutang through UniFFI: small mirror types around the core.
//! Each `uniffi::Object` holds a core value as `inner` (outer/inner, as application-services).
uniffi::setup_scaffolding!();

mod attribution;
mod errors;
mod journeys;
mod lifecycle;
mod ltv;
mod metrics;
mod pool;
mod progress;
mod report;
mod rules;

pub use errors::YutangError;
