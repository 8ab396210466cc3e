//! A self-contained HTML report of a pool: one file, inline SVG charts, no script and no
//! network, for a person to look at.
//!
//! [`Pool::report`] draws, as of one instant: the lifecycle distribution and the stage flows of
//! the last weeks, the RFM tiers, the cohort retention heat map, the growth formula and its
//! decomposition between two periods, channel attribution (heuristic models and the Markov
//! removal effect), the CLV distribution and the top customers by CLV (BG/NBD and Gamma-Gamma
//! fitted on the pool's orders), the pool's journeys with per-step counts (replayed over the
//! last months), and, where the pool has the events for them, category fit, referral trees,
//! group activity and cross-sell rules.
//!
//! A section whose numbers cannot be computed (no orders, a model that does not converge on a
//! handful of customers) says why in a note; the report itself fails only on invalid options.
//! The output is deterministic: the same pool, instant and options give the same bytes. Every
//! chart is an `<svg>` element with a `data-chart` attribute naming it (`lifecycle`,
//! `lifecycle_flows`, `rfm_tiers`, `cohorts`, `growth`, `attribution`, `clv`, `journey_<id>`,
//! `categories`, `referrals`, `groups_active`, `groups_largest`).
//!
//! ```
//! use yutang::report::ReportOptions;
//! use yutang::synth::{events, SynthConfig};
//! use yutang::{parse_time, Pool};
//!
//! let cfg = SynthConfig { customers: 300, events: 6_000, ..SynthConfig::default() };
//! let mut pool = Pool::default();
//! pool.ingest(events(&cfg, 0..cfg.events));
//! let as_of = parse_time("2024-12-31 23:59:59", pool.time_zone())?;
//! let html = pool.report(as_of, &ReportOptions::default())?;
//! assert!(html.starts_with("<!doctype html>") && html.contains(r#"data-chart="cohorts""#));
//! assert_eq!(html, pool.report(as_of, &ReportOptions::default())?); // deterministic
//! # Ok::<(), yutang::Error>(())
//! ```

mod sections;
mod svg;

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::pool::Pool;

/// The longest title a report takes, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest period (growth, flows, journeys, attribution look-back) a report takes, in days.
pub const MAX_REPORT_DAYS: u32 = 3_660;
/// The most customers the top-customers table lists.
pub const MAX_TOP_CUSTOMERS: u32 = 1_000;

/// What [`Pool::report`] covers. `ReportOptions::default()` is a good start; every field has a
/// default when read from JSON (`{"clv_months": 24}`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportOptions {
    /// The page title (default "yutang report"); at most [`MAX_TITLE_CHARS`] characters.
    pub title: Option<String>,
    /// Growth formula: the current period is the `period_days` before `as_of`, the previous
    /// period the `period_days` before that (default 182: two half-years).
    pub period_days: u32,
    /// Lifecycle flows: stage changes within the `flow_days` before `as_of` (default 90).
    pub flow_days: u32,
    /// Attribution: touches within `lookback_days` before each order count (default 30).
    pub lookback_days: u32,
    /// CLV horizon in months (default 12).
    pub clv_months: u32,
    /// Monthly discount rate of the CLV (default 0.01).
    pub clv_discount_rate: f64,
    /// Rows of the top-customers-by-CLV table (default 20, at most [`MAX_TOP_CUSTOMERS`]).
    pub top_customers: u32,
    /// Journeys: the pool's journeys are replayed over the `journey_days` before `as_of`
    /// (default 365).
    pub journey_days: u32,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            title: None,
            period_days: 182,
            flow_days: 90,
            lookback_days: 30,
            clv_months: 12,
            clv_discount_rate: 0.01,
            top_customers: 20,
            journey_days: 365,
        }
    }
}

impl ReportOptions {
    /// Check every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field: a title longer than [`MAX_TITLE_CHARS`], a
    /// period of 0 or more than [`MAX_REPORT_DAYS`] days, a CLV horizon of 0 or more than 1,200
    /// months, a monthly discount rate outside 0 to 1, more than
    /// [`MAX_TOP_CUSTOMERS`] top customers.
    pub fn validate(&self) -> Result<()> {
        if let Some(t) = &self.title {
            if t.chars().count() > MAX_TITLE_CHARS {
                return Err(Error::invalid("title", t, format!("at most {MAX_TITLE_CHARS} characters")));
            }
        }
        for (field, v) in [
            ("period_days", self.period_days),
            ("flow_days", self.flow_days),
            ("lookback_days", self.lookback_days),
            ("journey_days", self.journey_days),
        ] {
            if v == 0 || v > MAX_REPORT_DAYS {
                return Err(Error::invalid(field, v.to_string(), format!("must be 1 to {MAX_REPORT_DAYS} days")));
            }
        }
        if self.clv_months == 0 || self.clv_months > 1_200 {
            return Err(Error::invalid("clv_months", self.clv_months.to_string(), "must be 1 to 1200 months"));
        }
        if !(0.0..=1.0).contains(&self.clv_discount_rate) {
            return Err(Error::invalid(
                "clv_discount_rate",
                self.clv_discount_rate.to_string(),
                "must be 0 to 1 a month",
            ));
        }
        if self.top_customers > MAX_TOP_CUSTOMERS {
            return Err(Error::invalid(
                "top_customers",
                self.top_customers.to_string(),
                format!("at most {MAX_TOP_CUSTOMERS}"),
            ));
        }
        Ok(())
    }
}

/// One titled part of the report.
pub(crate) struct Section {
    pub(crate) title: String,
    pub(crate) body: String,
}

impl Section {
    pub(crate) fn new(title: impl Into<String>, body: String) -> Section {
        Section { title: title.into(), body }
    }

    pub(crate) fn note(title: impl Into<String>, text: &str) -> Section {
        Section { title: title.into(), body: format!("<p class=note>{}</p>", svg::esc(text)) }
    }
}

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;color:#222;line-height:1.4}\
h1{margin-bottom:0}h2{border-bottom:2px solid #1f77b4;padding-bottom:4px;margin-top:40px}h3{margin-top:24px}\
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}\
th{background:#f3f6fa}td:first-child,th:first-child{text-align:left}.note{color:#777;font-style:italic}svg{display:block;margin:8px 0;max-width:100%;height:auto}\
nav a{margin-right:14px}";

impl Pool {
    /// A self-contained HTML report of the pool as of `as_of` (see the [module
    /// documentation](crate::report)): lifecycle, RFM, cohorts, growth, attribution, CLV and
    /// journeys, as inline SVG charts and tables. Deterministic.
    ///
    /// # Errors
    /// Only invalid `options` ([`ReportOptions::validate`]); a section that cannot be computed
    /// says why in the report.
    pub fn report(&self, as_of: Timestamp, options: &ReportOptions) -> Result<String> {
        options.validate()?;
        let title = options.title.clone().unwrap_or_else(|| "yutang report".to_string());
        let groups = sections::all(self, as_of, options);
        let stats = self.stats();
        let mut html = String::with_capacity(256 * 1024);
        let _ = write!(
            html,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>\
             <p>{} customers, {} events, as of {} ({}, amounts in {}). Made by yutang {}: one file, no script, no network.</p><nav>",
            stats.customers,
            stats.events,
            as_of.to_rfc3339(),
            svg::esc(&self.config().time_zone),
            self.config().currency.code(),
            crate::VERSION,
            t = svg::esc(&title),
        );
        for (i, (group, _)) in groups.iter().enumerate() {
            let _ = write!(html, "<a href=\"#s{i}\">{}</a>", svg::esc(group));
        }
        html.push_str("</nav>");
        for (i, (group, secs)) in groups.iter().enumerate() {
            let _ = write!(html, "<h2 id=\"s{i}\">{}</h2>", svg::esc(group));
            for s in secs {
                let _ = write!(html, "<h3>{}</h3>{}", svg::esc(&s.title), s.body);
            }
        }
        html.push_str("</body></html>");
        Ok(html)
    }
}
