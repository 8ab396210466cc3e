//! The one integration-test binary (jiff's layout): one module per area.
mod attribution;
mod lifecycle;
mod ltv;
mod pool;
mod properties;
mod rfm;
mod rules;
mod rules_vectors;
mod vectors;
