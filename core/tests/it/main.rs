//! The one integration-test binary (jiff's layout): one module per area.
mod attribution;
mod journeys;
mod ltv;
mod pool;
mod properties;
mod vectors;
mod rules;
