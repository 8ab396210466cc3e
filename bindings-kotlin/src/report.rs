//! `Pool.report`: the pool's self-contained HTML report.
use yutang::report::ReportOptions;

use crate::errors::YutangError;
use crate::pool::Pool;

/// What the report covers; a `null` field takes the library's default (see `ReportOptions` in
/// the Rust docs: 182-day growth periods, 90-day flows, 30-day look-back, 12-month CLV at 1 % a
/// month, 20 top customers, journeys replayed over 365 days).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ReportOptionsRecord {
    #[uniffi(default = None)]
    pub title: Option<String>,
    #[uniffi(default = None)]
    pub period_days: Option<u32>,
    #[uniffi(default = None)]
    pub flow_days: Option<u32>,
    #[uniffi(default = None)]
    pub lookback_days: Option<u32>,
    #[uniffi(default = None)]
    pub clv_months: Option<u32>,
    #[uniffi(default = None)]
    pub clv_discount_rate: Option<f64>,
    #[uniffi(default = None)]
    pub top_customers: Option<u32>,
    #[uniffi(default = None)]
    pub journey_days: Option<u32>,
}

impl From<ReportOptionsRecord> for ReportOptions {
    fn from(r: ReportOptionsRecord) -> Self {
        let d = ReportOptions::default();
        ReportOptions {
            title: r.title,
            period_days: r.period_days.unwrap_or(d.period_days),
            flow_days: r.flow_days.unwrap_or(d.flow_days),
            lookback_days: r.lookback_days.unwrap_or(d.lookback_days),
            clv_months: r.clv_months.unwrap_or(d.clv_months),
            clv_discount_rate: r.clv_discount_rate.unwrap_or(d.clv_discount_rate),
            top_customers: r.top_customers.unwrap_or(d.top_customers),
            journey_days: r.journey_days.unwrap_or(d.journey_days),
        }
    }
}

#[uniffi::export]
impl Pool {
    /// A self-contained HTML report of the pool as of `asOf` (ISO-8601): lifecycle, RFM,
    /// cohorts, growth, attribution, CLV and journeys as inline SVG charts and tables; no
    /// script, no network; deterministic.
    #[uniffi::method(default(options = None))]
    pub fn report(&self, as_of: String, options: Option<ReportOptionsRecord>) -> Result<String, YutangError> {
        let p = self.read();
        let at = yutang::parse_time(&as_of, p.time_zone())?;
        Ok(p.report(at, &options.unwrap_or_default().into())?)
    }
}
