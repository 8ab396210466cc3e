//! The one integration-test binary (jiff's layout): one module per area.
mod attribution;
mod ltv;
mod pool;
mod properties;
mod rules;
mod rules_vectors;
mod vectors;
