//! The condition language: one language for tags, segments, lifecycle rules and journey
//! branches. See `docs/rules.md` for the grammar, the node kinds, the missing-value rule and
//! the limits.
//!
//! - The contract is the typed, versioned tree [`Rule`] (serde JSON); [`parse`] reads the
//!   compact text syntax into it and [`to_text`] prints it back.
//! - [`Compiled::new`] compiles a rule against a pool once; [`Compiled::eval`] evaluates it for
//!   one customer at an explicit `as_of`, [`crate::Pool::evaluate`] for every customer in one
//!   parallel pass.
//! - [`Compiled::next_change_at`] says when the answer can change by the passage of time
//!   alone; [`crate::Pool::explain`] says why a customer is (not) matched.
//!
//! ```
//! use yutang::rules::{parse, to_text};
//! let rule = parse(r#"orders(30d) >= 2 and spend(90d, currency: "CNY") > 500.00
//!   and not did(coupon_redeemed, 14d) and channel_seen("douyin") and stage == "at_risk""#)?;
//! assert_eq!(parse(&to_text(&rule))?, rule);
//! # Ok::<(), yutang::Error>(())
//! ```

mod ast;
pub(crate) mod attrs;
pub(crate) mod check;
mod compile;
pub(crate) mod eval;
mod explain;
pub mod limits;
mod parse;
mod text;

pub use ast::{
    AggFn, Cmp, Duration, DurationLit, EventFilter, Field, FieldCond, MoneyLit, Node, Operand, Rule, Unit, Value,
    Which, Window, RULE_VERSION,
};
pub use compile::Compiled;
pub use eval::{Truth, MAX_NEXT_CHANGE_STEPS};
pub use explain::{Explanation, MAX_EXPLAINED_EVENTS};
pub use parse::parse;
pub use text::{node_text, to_text};

pub(crate) use ast::truncate as check_truncate;
pub(crate) use compile::CNode;
pub(crate) use eval::eval as eval_node;
pub(crate) use eval::Cx;
pub(crate) use eval::SideSrc;
pub(crate) use explain::explain as explain_node;
