//! The one integration-test binary (jiff's layout): one module per area.
mod attribution;
mod erase;
mod fuzz_corpus;
mod hardening;
mod journeys;
mod lifecycle;
mod ltv;
mod metrics;
mod pool;
mod properties;
mod report;
mod rfm;
mod rules;
mod rules_vectors;
mod snapshots;
mod vectors;
mod wiring;
