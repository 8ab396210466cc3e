//! Kotlin/Swift bindings for `yutang::ltv`: a `PurchaseModel` object (BG/NBD, MBG/NBD or
//! Pareto/NBD around the core model), a `SpendModel` (Gamma-Gamma) for CLV, and an RFM summary
//! from columns. Fit from rows or columns, predict, serialise to and from a JSON string.

use crate::errors::YutangError;
use std::sync::Arc;
use yutang::ltv::{self, TransactionModel};

/// One customer's history: repeat purchases, time of the last purchase and age, in the model's
/// time unit; `weight` = how many customers share the row (default 1).
#[derive(Debug, Clone, uniffi::Record)]
pub struct RfmRow {
    pub frequency: f64,
    pub recency: f64,
    pub t: f64,
    #[uniffi(default = 1.0)]
    pub weight: f64,
}

/// Fit options (see the core `FitOptions`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct LtvFitOptions {
    #[uniffi(default = 0.0)]
    pub penalizer: f64,
    #[uniffi(default = 1e-6)]
    pub tolerance: f64,
    #[uniffi(default = 200)]
    pub max_iterations: u32,
}

impl From<&LtvFitOptions> for ltv::FitOptions {
    fn from(o: &LtvFitOptions) -> Self {
        ltv::FitOptions::new().penalizer(o.penalizer).tolerance(o.tolerance).max_iterations(o.max_iterations)
    }
}

/// One fitted parameter.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ParamRecord {
    pub name: String,
    pub value: f64,
    pub std_error: f64,
    pub lower: f64,
    pub upper: f64,
}

/// What a fit found.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FitSummary {
    pub params: Vec<ParamRecord>,
    /// Total log-likelihood in the data's time unit (comparable with the papers).
    pub log_likelihood: f64,
    pub iterations: u32,
    pub gradient_norm: f64,
    pub n_unique_rows: u64,
    pub total_weight: f64,
}

fn summary(r: Option<&ltv::FitReport>) -> Option<FitSummary> {
    r.map(|r| FitSummary {
        params: r
            .params
            .iter()
            .map(|p| ParamRecord {
                name: p.name.clone(),
                value: p.value,
                std_error: p.std_error,
                lower: p.lower,
                upper: p.upper,
            })
            .collect(),
        log_likelihood: r.log_likelihood,
        iterations: r.iterations,
        gradient_norm: r.gradient_norm,
        n_unique_rows: r.n_unique_rows as u64,
        total_weight: r.total_weight,
    })
}

/// Which continuous-time purchase model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
#[allow(clippy::enum_variant_names)] // the models' own names
pub enum ModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005); parameters r, alpha, a, b.
    BgNbd,
    /// MBG/NBD (Batislam et al. 2007); parameters r, alpha, a, b.
    MbgNbd,
    /// Pareto/NBD (Schmittlein et al. 1987); parameters r, alpha, s, beta.
    ParetoNbd,
}

enum Inner {
    Bg(ltv::BgNbd),
    Mbg(ltv::MbgNbd),
    Pareto(ltv::ParetoNbd),
}

/// Run `$body` with `$m` bound to the core model, whatever its kind.
macro_rules! with_model {
    ($inner:expr, $m:ident => $body:expr) => {
        match $inner {
            Inner::Bg($m) => $body,
            Inner::Mbg($m) => $body,
            Inner::Pareto($m) => $body,
        }
    };
}

fn json_err(e: serde_json::Error) -> YutangError {
    YutangError::Snapshot { reason: format!("invalid model JSON: {e}") }
}

fn bad(field: &str, value: String, reason: &str) -> YutangError {
    yutang::Error::invalid(field, value, reason).into()
}

fn columns(rows: &[RfmRow]) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut c = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for r in rows {
        c.0.push(r.frequency);
        c.1.push(r.recency);
        c.2.push(r.t);
        c.3.push(r.weight);
    }
    c
}

/// A fitted (or given) BG/NBD, MBG/NBD or Pareto/NBD model.
#[derive(uniffi::Object)]
pub struct PurchaseModel {
    inner: Inner,
}

#[uniffi::export]
impl PurchaseModel {
    /// Fit to rows (with their weights) by maximum likelihood.
    #[uniffi::constructor]
    pub fn fit_rows(kind: ModelKind, rows: Vec<RfmRow>, options: LtvFitOptions) -> Result<Arc<Self>, YutangError> {
        let (x, r, t, w) = columns(&rows);
        Self::fit_columns(kind, x, r, t, Some(w), options)
    }

    /// Fit to columns (frequency, recency, T and optional weights).
    #[uniffi::constructor(default(weights = None))]
    pub fn fit_columns(
        kind: ModelKind,
        frequency: Vec<f64>,
        recency: Vec<f64>,
        t: Vec<f64>,
        weights: Option<Vec<f64>>,
        options: LtvFitOptions,
    ) -> Result<Arc<Self>, YutangError> {
        let o = ltv::FitOptions::from(&options);
        let w = weights.as_deref();
        let inner = match kind {
            ModelKind::BgNbd => Inner::Bg(ltv::BgNbd::fit(&frequency, &recency, &t, w, &o)?),
            ModelKind::MbgNbd => Inner::Mbg(ltv::MbgNbd::fit(&frequency, &recency, &t, w, &o)?),
            ModelKind::ParetoNbd => Inner::Pareto(ltv::ParetoNbd::fit(&frequency, &recency, &t, w, &o)?),
        };
        Ok(Arc::new(Self { inner }))
    }

    /// A model with known parameters, in lifetimes' order (r, alpha, a, b) or (r, alpha, s, beta).
    #[uniffi::constructor]
    pub fn from_params(kind: ModelKind, params: Vec<f64>) -> Result<Arc<Self>, YutangError> {
        if params.len() != 4 {
            return Err(bad("params.len", params.len().to_string(), "must be 4"));
        }
        let p = &params;
        let inner = match kind {
            ModelKind::BgNbd => Inner::Bg(ltv::BgNbd::new(p[0], p[1], p[2], p[3])?),
            ModelKind::MbgNbd => Inner::Mbg(ltv::MbgNbd::new(p[0], p[1], p[2], p[3])?),
            ModelKind::ParetoNbd => Inner::Pareto(ltv::ParetoNbd::new(p[0], p[1], p[2], p[3])?),
        };
        Ok(Arc::new(Self { inner }))
    }

    /// Restore a model written by `toJson`.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, YutangError> {
        let v: serde_json::Value = serde_json::from_str(&json).map_err(json_err)?;
        let model =
            v.get("model").cloned().ok_or_else(|| YutangError::Snapshot { reason: "missing \"model\"".into() })?;
        let inner = match v.get("kind").and_then(|k| k.as_str()) {
            Some("bg_nbd") => Inner::Bg(serde_json::from_value(model).map_err(json_err)?),
            Some("mbg_nbd") => Inner::Mbg(serde_json::from_value(model).map_err(json_err)?),
            Some("pareto_nbd") => Inner::Pareto(serde_json::from_value(model).map_err(json_err)?),
            other => return Err(YutangError::Snapshot { reason: format!("unknown model kind {other:?}") }),
        };
        Ok(Arc::new(Self { inner }))
    }

    /// The model (kind, parameters, fit report) as a JSON string.
    pub fn to_json(&self) -> Result<String, YutangError> {
        let (kind, model) = match &self.inner {
            Inner::Bg(m) => ("bg_nbd", serde_json::to_value(m)),
            Inner::Mbg(m) => ("mbg_nbd", serde_json::to_value(m)),
            Inner::Pareto(m) => ("pareto_nbd", serde_json::to_value(m)),
        };
        let v = serde_json::json!({ "kind": kind, "model": model.map_err(json_err)? });
        serde_json::to_string(&v).map_err(json_err)
    }

    pub fn kind(&self) -> ModelKind {
        match self.inner {
            Inner::Bg(_) => ModelKind::BgNbd,
            Inner::Mbg(_) => ModelKind::MbgNbd,
            Inner::Pareto(_) => ModelKind::ParetoNbd,
        }
    }

    /// Parameters in lifetimes' order.
    pub fn params(&self) -> Vec<f64> {
        with_model!(&self.inner, m => m.params().to_vec())
    }

    /// Standard errors, intervals, log-likelihood; None for a model built from parameters.
    pub fn summary(&self) -> Option<FitSummary> {
        with_model!(&self.inner, m => summary(m.report.as_ref()))
    }

    /// Expected repeat purchases in (0, t] for a new customer.
    pub fn expected_purchases(&self, t: f64) -> Result<f64, YutangError> {
        Ok(with_model!(&self.inner, m => m.expected_number_of_purchases_up_to_time(t))?)
    }

    /// Expected repeat purchases in the next `t` for a customer with this history.
    pub fn conditional_expected_purchases(&self, t: f64, row: RfmRow) -> Result<f64, YutangError> {
        Ok(
            with_model!(&self.inner, m => m.conditional_expected_number_of_purchases_up_to_time(t, row.frequency, row.recency, row.t))?,
        )
    }

    /// Probability that a customer with this history is alive.
    pub fn probability_alive(&self, row: RfmRow) -> Result<f64, YutangError> {
        Ok(with_model!(&self.inner, m => m.conditional_probability_alive(row.frequency, row.recency, row.t))?)
    }

    /// P(exactly n repeat purchases in (0, t]) for a new customer.
    pub fn probability_of_n_purchases(&self, t: f64, n: u64) -> Result<f64, YutangError> {
        Ok(with_model!(&self.inner, m => m.probability_of_n_purchases_up_to_time(t, n))?)
    }

    /// Conditional expected purchases for many customers.
    pub fn conditional_expected_purchases_batch(&self, t: f64, rows: Vec<RfmRow>) -> Result<Vec<f64>, YutangError> {
        let (x, r, tt, _) = columns(&rows);
        Ok(with_model!(&self.inner, m => m.conditional_expected_number_of_purchases_up_to_time_batch(t, &x, &r, &tt))?)
    }

    /// Probability alive for many customers.
    pub fn probability_alive_batch(&self, rows: Vec<RfmRow>) -> Result<Vec<f64>, YutangError> {
        let (x, r, tt, _) = columns(&rows);
        Ok(with_model!(&self.inner, m => m.conditional_probability_alive_batch(&x, &r, &tt))?)
    }
}

/// The Gamma-Gamma spend model, for expected average order value and CLV.
#[derive(uniffi::Object)]
pub struct SpendModel {
    inner: ltv::GammaGamma,
}

#[uniffi::export]
impl SpendModel {
    /// Fit to repeat buyers' frequency (> 0) and average order value. `q_constraint`: keep
    /// q ≥ 1, so that the population mean spend is finite and positive (lifetimes'
    /// `q_constraint=True`).
    #[uniffi::constructor(default(weights = None, q_constraint = false))]
    pub fn fit_columns(
        frequency: Vec<f64>,
        monetary_value: Vec<f64>,
        weights: Option<Vec<f64>>,
        options: LtvFitOptions,
        q_constraint: bool,
    ) -> Result<Arc<Self>, YutangError> {
        let fit = if q_constraint { ltv::GammaGamma::fit_q_constrained } else { ltv::GammaGamma::fit };
        let inner = fit(&frequency, &monetary_value, weights.as_deref(), &ltv::FitOptions::from(&options))?;
        Ok(Arc::new(Self { inner }))
    }

    /// A model with known parameters p, q, v.
    #[uniffi::constructor]
    pub fn from_params(p: f64, q: f64, v: f64) -> Result<Arc<Self>, YutangError> {
        Ok(Arc::new(Self { inner: ltv::GammaGamma::new(p, q, v)? }))
    }

    /// Restore a model written by `toJson`.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, YutangError> {
        Ok(Arc::new(Self { inner: serde_json::from_str(&json).map_err(json_err)? }))
    }

    pub fn to_json(&self) -> Result<String, YutangError> {
        serde_json::to_string(&self.inner).map_err(json_err)
    }

    pub fn params(&self) -> Vec<f64> {
        self.inner.params().to_vec()
    }

    pub fn summary(&self) -> Option<FitSummary> {
        summary(self.inner.report.as_ref())
    }

    /// Expected average order value for a customer with `frequency` repeat purchases averaging
    /// `monetary_value`.
    pub fn expected_average_profit(&self, frequency: f64, monetary_value: f64) -> Result<f64, YutangError> {
        Ok(self.inner.conditional_expected_average_profit(frequency, monetary_value)?)
    }

    /// Discounted CLV over `months` months with lifetimes' semantics; `periods_per_month` is
    /// 30 for days, 4.345 for weeks (lifetimes) or 30.4375 / 4.348 for PyMC-Marketing's month.
    pub fn customer_lifetime_value(
        &self,
        model: Arc<PurchaseModel>,
        rows: Vec<RfmRow>,
        monetary_values: Vec<f64>,
        months: u32,
        discount_rate: f64,
        periods_per_month: f64,
    ) -> Result<Vec<f64>, YutangError> {
        let (x, r, t, _) = columns(&rows);
        let gg = &self.inner;
        Ok(
            with_model!(&model.inner, m => ltv::customer_lifetime_value(m, gg, &x, &r, &t, &monetary_values, months, discount_rate, periods_per_month))?,
        )
    }
}

/// Per-customer summary (sorted by customer id).
#[derive(Debug, Clone, uniffi::Record)]
pub struct RfmSummaryRecord {
    pub customer_ids: Vec<String>,
    pub rows: Vec<RfmRow>,
    pub monetary_value: Option<Vec<f64>>,
}

/// RFM summary of a transaction log (lifetimes' semantics): ids, epoch-millisecond timestamps
/// (UTC), optional amounts; `freq` is "H", "D", "W" or "M"; periods are floored in the business
/// time zone given as `utc_offset_seconds` (e.g. 28800 for China).
#[uniffi::export(default(monetary = None, observation_period_end_millis = None, include_first_transaction = false, utc_offset_seconds = 0, freq_multiplier = 1.0))]
#[allow(clippy::too_many_arguments)]
pub fn rfm_summary(
    customer_ids: Vec<String>,
    at_millis: Vec<i64>,
    freq: String,
    monetary: Option<Vec<f64>>,
    observation_period_end_millis: Option<i64>,
    include_first_transaction: bool,
    utc_offset_seconds: i32,
    freq_multiplier: f64,
) -> Result<RfmSummaryRecord, YutangError> {
    let mut o = ltv::SummaryOptions::new()
        .freq(ltv::Freq::parse(&freq)?)
        .freq_multiplier(freq_multiplier)
        .include_first_transaction(include_first_transaction)
        .zone(ltv::Zone::Fixed(utc_offset_seconds));
    if let Some(e) = observation_period_end_millis {
        o = o.observation_period_end(e.saturating_mul(1000));
    }
    let us: Vec<i64> = at_millis.iter().map(|m| m.saturating_mul(1000)).collect();
    let s = ltv::rfm_summary(ltv::CustomerKeys::String(&customer_ids), &us, monetary.as_deref(), &o)?;
    let customer_ids = s.first_row.iter().map(|&i| customer_ids.get(i).cloned().unwrap_or_default()).collect();
    let rows = (0..s.frequency.len())
        .map(|i| RfmRow { frequency: s.frequency[i], recency: s.recency[i], t: s.t[i], weight: 1.0 })
        .collect();
    Ok(RfmSummaryRecord { customer_ids, rows, monetary_value: s.monetary_value })
}

/// BG/BB: the discrete-time model (one purchase opportunity per period: renewals, donations,
/// yearly events). Rows are (frequency, recency, n_periods), optionally with weights.
#[derive(uniffi::Object)]
pub struct DiscreteModel {
    inner: ltv::BgBb,
}

#[uniffi::export]
impl DiscreteModel {
    /// Fit by maximum likelihood (`weights`: the count of customers with each row).
    #[uniffi::constructor(default(weights = None))]
    pub fn fit_columns(
        frequency: Vec<f64>,
        recency: Vec<f64>,
        n_periods: Vec<f64>,
        weights: Option<Vec<f64>>,
        options: LtvFitOptions,
    ) -> Result<Arc<Self>, YutangError> {
        let inner =
            ltv::BgBb::fit(&frequency, &recency, &n_periods, weights.as_deref(), &ltv::FitOptions::from(&options))?;
        Ok(Arc::new(Self { inner }))
    }

    /// A model with known parameters alpha, beta, gamma, delta.
    #[uniffi::constructor]
    pub fn from_params(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Arc<Self>, YutangError> {
        Ok(Arc::new(Self { inner: ltv::BgBb::new(alpha, beta, gamma, delta)? }))
    }

    /// Restore a model written by `toJson`.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, YutangError> {
        Ok(Arc::new(Self { inner: serde_json::from_str(&json).map_err(json_err)? }))
    }

    pub fn to_json(&self) -> Result<String, YutangError> {
        serde_json::to_string(&self.inner).map_err(json_err)
    }

    /// alpha, beta, gamma, delta.
    pub fn params(&self) -> Vec<f64> {
        self.inner.params().to_vec()
    }

    pub fn summary(&self) -> Option<FitSummary> {
        summary(self.inner.report.as_ref())
    }

    /// Expected purchases in the next `periods` opportunities for a customer with this history.
    pub fn conditional_expected_purchases(
        &self,
        periods: u64,
        frequency: f64,
        recency: f64,
        n_periods: f64,
    ) -> Result<f64, YutangError> {
        Ok(self.inner.conditional_expected_number_of_purchases_up_to_time(periods, frequency, recency, n_periods)?)
    }

    /// Probability that the customer is still alive `periods` opportunities from now.
    pub fn probability_alive(
        &self,
        periods: u64,
        frequency: f64,
        recency: f64,
        n_periods: f64,
    ) -> Result<f64, YutangError> {
        Ok(self.inner.conditional_probability_alive(periods, frequency, recency, n_periods)?)
    }

    /// Probability of `x` purchases in the first `n` opportunities.
    pub fn probability_of_n_purchases(&self, n: u64, x: u64) -> Result<f64, YutangError> {
        Ok(self.inner.probability_of_n_purchases_in_first_n_periods(n, x)?)
    }
}
