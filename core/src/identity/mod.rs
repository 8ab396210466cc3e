//! ONE_ID identity rules: which identity kinds exist, how their values are normalised, which
//! values are junk, how strongly each kind identifies a person (priority) and how many of a kind
//! one customer may hold (limit).
//!
//! The graph itself (union–find over identities, conflicts, merge log) lives in
//! [`crate::pool`], which owns the events it is derived from.

mod rules;

pub use rules::{BlockRule, IdentityRules, KindRule, NormalizeOutcome, Normalizer};
