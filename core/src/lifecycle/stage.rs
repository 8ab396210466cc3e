//! Stage ids and stage changes.

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// A lifecycle stage. Serialises as its string id (`prospect`, `new`, `repeat`, `at_risk`,
/// `churned`, `won_back`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Known to the pool, no order yet.
    Prospect,
    /// Exactly one order, bought recently.
    New,
    /// Two or more orders, bought recently.
    Repeat,
    /// No order for the at-risk threshold.
    AtRisk,
    /// No order for the churn threshold.
    Churned,
    /// Bought again after having churned (until their next order, which makes them `repeat`).
    WonBack,
}

impl Stage {
    /// Every stage, in machine order (the order of distributions and matrices).
    pub const ALL: [Stage; 6] =
        [Stage::Prospect, Stage::New, Stage::Repeat, Stage::AtRisk, Stage::Churned, Stage::WonBack];

    /// The string id.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Prospect => "prospect",
            Stage::New => "new",
            Stage::Repeat => "repeat",
            Stage::AtRisk => "at_risk",
            Stage::Churned => "churned",
            Stage::WonBack => "won_back",
        }
    }

    /// Position in [`Stage::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parse a string id.
    ///
    /// # Errors
    /// [`Error::InvalidField`] (field `stage`) for an unknown id.
    ///
    /// # Example
    /// ```
    /// use yutang::lifecycle::Stage;
    /// assert_eq!(Stage::parse("at_risk")?, Stage::AtRisk);
    /// assert!(Stage::parse("gone").is_err());
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Stage> {
        Stage::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Error::invalid("stage", s, "expected prospect, new, repeat, at_risk, churned or won_back"))
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a customer's stage history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transition {
    /// The stage before (`None` for the first entry: the customer became known).
    pub from: Option<Stage>,
    /// The stage after.
    pub to: Stage,
    /// When.
    pub at: Timestamp,
}

/// A stage transition as an event, for journeys to trigger on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StageChange {
    /// The customer.
    pub customer_id: String,
    /// The stage before (`None`: the customer became known).
    pub from: Option<Stage>,
    /// The stage after.
    pub to: Stage,
    /// When.
    pub at: Timestamp,
}

/// A customer's stage at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StageAt {
    /// The stage.
    pub stage: Stage,
    /// Since when (the time of the transition into it).
    pub since: Timestamp,
}
