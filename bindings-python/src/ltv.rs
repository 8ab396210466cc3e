//! Python bindings for `yutang::ltv`: one native class per model holding the core model as
//! `inner`, plus the summary functions. The public, lifetimes-compatible API is the pure-Python
//! layer in `python/yutang/fitters.py` and `utils.py`. Columns cross as float64/int64 numpy
//! arrays (borrowed, zero copy); the GIL is released while fitting and predicting.
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use yutang::ltv::{self, FitOptions, FitReport, TransactionModel};

use crate::errors::to_py_err;

type Arr<'py> = PyReadonlyArray1<'py, f64>;

fn options(penalizer: f64, tol: f64, max_iter: u32, initial: Option<Vec<f64>>) -> FitOptions {
    let mut o = FitOptions::new().penalizer(penalizer).tolerance(tol).max_iterations(max_iter);
    if let Some(p) = initial {
        o = o.initial_params(p);
    }
    o
}

/// The fit report as a dict (params, se, lower, upper, covariance, log_likelihood, ...).
fn report_dict<'py>(py: Python<'py>, r: Option<&FitReport>) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(r) = r else { return Ok(None) };
    let d = PyDict::new(py);
    d.set_item("names", r.params.iter().map(|p| p.name.clone()).collect::<Vec<_>>())?;
    d.set_item("values", r.params.iter().map(|p| p.value).collect::<Vec<_>>())?;
    d.set_item("std_errors", r.params.iter().map(|p| p.std_error).collect::<Vec<_>>())?;
    d.set_item("lower", r.params.iter().map(|p| p.lower).collect::<Vec<_>>())?;
    d.set_item("upper", r.params.iter().map(|p| p.upper).collect::<Vec<_>>())?;
    d.set_item("covariance", r.covariance.clone())?;
    d.set_item("log_likelihood", r.log_likelihood)?;
    d.set_item("iterations", r.iterations)?;
    d.set_item("gradient_norm", r.gradient_norm)?;
    d.set_item("n_unique_rows", r.n_unique_rows)?;
    d.set_item("total_weight", r.total_weight)?;
    Ok(Some(d))
}

fn json_err(e: serde_json::Error) -> PyErr {
    to_py_err(yutang::Error::Snapshot { reason: format!("invalid model JSON: {e}") })
}

/// A native class for a continuous-time transaction model (BG/NBD, MBG/NBD, Pareto/NBD).
macro_rules! transaction_model {
    ($py_name:ident, $name:literal, $core:ty) => {
        #[pyclass(name = $name, module = "yutang._yutang", frozen)]
        pub struct $py_name {
            pub inner: $core,
        }

        #[pymethods]
        impl $py_name {
            /// Fit by maximum likelihood (GIL released).
            #[staticmethod]
            #[pyo3(signature = (frequency, recency, t, weights=None, penalizer=0.0, tol=1e-6, max_iter=200, initial_params=None))]
            #[allow(clippy::too_many_arguments)]
            fn fit(
                py: Python<'_>,
                frequency: Arr<'_>,
                recency: Arr<'_>,
                t: Arr<'_>,
                weights: Option<Arr<'_>>,
                penalizer: f64,
                tol: f64,
                max_iter: u32,
                initial_params: Option<Vec<f64>>,
            ) -> PyResult<Self> {
                let (x, r, tt) = (frequency.as_slice()?, recency.as_slice()?, t.as_slice()?);
                let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
                let o = options(penalizer, tol, max_iter, initial_params);
                let inner = py.detach(|| <$core>::fit(x, r, tt, w, &o)).map_err(to_py_err)?;
                Ok(Self { inner })
            }

            /// A model with known parameters.
            #[staticmethod]
            fn from_params(params: [f64; 4]) -> PyResult<Self> {
                let inner = <$core>::new(params[0], params[1], params[2], params[3]).map_err(to_py_err)?;
                Ok(Self { inner })
            }

            /// Restore from [`Self::to_json`].
            #[staticmethod]
            fn from_json(s: &str) -> PyResult<Self> {
                Ok(Self { inner: serde_json::from_str(s).map_err(json_err)? })
            }

            /// The model (parameters and fit report) as JSON.
            fn to_json(&self) -> PyResult<String> {
                serde_json::to_string(&self.inner).map_err(json_err)
            }

            /// Parameters in lifetimes' order.
            fn params(&self) -> Vec<f64> {
                self.inner.params().to_vec()
            }

            /// The fit report as a dict, or None.
            fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
                report_dict(py, self.inner.report.as_ref())
            }

            /// Total log-likelihood of data under the parameters.
            #[pyo3(signature = (frequency, recency, t, weights=None))]
            fn log_likelihood(&self, frequency: Arr<'_>, recency: Arr<'_>, t: Arr<'_>, weights: Option<Arr<'_>>) -> PyResult<f64> {
                let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
                self.inner.log_likelihood(frequency.as_slice()?, recency.as_slice()?, t.as_slice()?, w).map_err(to_py_err)
            }

            /// Conditional expected purchases, one horizon per row (GIL released).
            fn conditional_expected<'py>(
                &self,
                py: Python<'py>,
                t: Arr<'py>,
                frequency: Arr<'py>,
                recency: Arr<'py>,
                age: Arr<'py>,
            ) -> PyResult<Bound<'py, PyArray1<f64>>> {
                let (h, x, r, tt) = (t.as_slice()?, frequency.as_slice()?, recency.as_slice()?, age.as_slice()?);
                let m = &self.inner;
                let same = h.windows(2).all(|w| w[0] == w[1]);
                let v = py
                    .detach(|| match (same, h.first()) {
                        (true, Some(&h0)) => m.conditional_expected_number_of_purchases_up_to_time_batch(h0, x, r, tt),
                        _ => m.conditional_expected_number_of_purchases_up_to_times(h, x, r, tt),
                    })
                    .map_err(to_py_err)?;
                Ok(v.into_pyarray(py))
            }

            /// Probability alive per row (GIL released).
            fn probability_alive<'py>(
                &self,
                py: Python<'py>,
                frequency: Arr<'py>,
                recency: Arr<'py>,
                age: Arr<'py>,
            ) -> PyResult<Bound<'py, PyArray1<f64>>> {
                let (x, r, tt) = (frequency.as_slice()?, recency.as_slice()?, age.as_slice()?);
                let m = &self.inner;
                let v = py.detach(|| m.conditional_probability_alive_batch(x, r, tt)).map_err(to_py_err)?;
                Ok(v.into_pyarray(py))
            }

            /// Unconditional expected purchases for each horizon.
            fn expected<'py>(&self, py: Python<'py>, t: Arr<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
                let v: yutang::Result<Vec<f64>> =
                    t.as_slice()?.iter().map(|&h| self.inner.expected_number_of_purchases_up_to_time(h)).collect();
                Ok(v.map_err(to_py_err)?.into_pyarray(py))
            }

            /// P(X(t) = n) for a new customer.
            fn probability_of_n(&self, t: f64, n: u64) -> PyResult<f64> {
                self.inner.probability_of_n_purchases_up_to_time(t, n).map_err(to_py_err)
            }
        }
    };
}

transaction_model!(PyBgNbd, "BgNbd", ltv::BgNbd);
transaction_model!(PyMbgNbd, "MbgNbd", ltv::MbgNbd);
transaction_model!(PyParetoNbd, "ParetoNbd", ltv::ParetoNbd);

/// Pareto/NBD: P(n purchases in the next t | history), lifetimes' method.
#[pyfunction]
fn pareto_conditional_probability_of_n(
    model: PyRef<'_, PyParetoNbd>,
    n: u64,
    t: f64,
    frequency: f64,
    recency: f64,
    age: f64,
) -> PyResult<f64> {
    model.inner.conditional_probability_of_n_purchases_up_to_time(n, t, frequency, recency, age).map_err(to_py_err)
}

/// BG/BB (discrete time).
#[pyclass(name = "BgBb", module = "yutang._yutang", frozen)]
pub struct PyBgBb {
    inner: ltv::BgBb,
}

#[pymethods]
impl PyBgBb {
    #[staticmethod]
    #[pyo3(signature = (frequency, recency, n_periods, weights=None, penalizer=0.0, tol=1e-6, max_iter=200, initial_params=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        frequency: Arr<'_>,
        recency: Arr<'_>,
        n_periods: Arr<'_>,
        weights: Option<Arr<'_>>,
        penalizer: f64,
        tol: f64,
        max_iter: u32,
        initial_params: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let (x, r, n) = (frequency.as_slice()?, recency.as_slice()?, n_periods.as_slice()?);
        let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
        let o = options(penalizer, tol, max_iter, initial_params);
        let inner = py.detach(|| ltv::BgBb::fit(x, r, n, w, &o)).map_err(to_py_err)?;
        Ok(Self { inner })
    }
    #[staticmethod]
    fn from_params(params: [f64; 4]) -> PyResult<Self> {
        Ok(Self { inner: ltv::BgBb::new(params[0], params[1], params[2], params[3]).map_err(to_py_err)? })
    }
    #[staticmethod]
    fn from_json(s: &str) -> PyResult<Self> {
        Ok(Self { inner: serde_json::from_str(s).map_err(json_err)? })
    }
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(json_err)
    }
    fn params(&self) -> Vec<f64> {
        self.inner.params().to_vec()
    }
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        report_dict(py, self.inner.report.as_ref())
    }
    fn conditional_expected<'py>(
        &self,
        py: Python<'py>,
        m: u64,
        frequency: Arr<'py>,
        recency: Arr<'py>,
        n_periods: Arr<'py>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (x, r, n) = (frequency.as_slice()?, recency.as_slice()?, n_periods.as_slice()?);
        let inner = &self.inner;
        let v = py
            .detach(|| inner.conditional_expected_number_of_purchases_up_to_time_batch(m, x, r, n))
            .map_err(to_py_err)?;
        Ok(v.into_pyarray(py))
    }
    fn probability_alive<'py>(
        &self,
        py: Python<'py>,
        m: u64,
        frequency: Arr<'py>,
        recency: Arr<'py>,
        n_periods: Arr<'py>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (x, r, n) = (frequency.as_slice()?, recency.as_slice()?, n_periods.as_slice()?);
        let inner = &self.inner;
        let v = py.detach(|| inner.conditional_probability_alive_batch(m, x, r, n)).map_err(to_py_err)?;
        Ok(v.into_pyarray(py))
    }
    /// Total log-likelihood of data under the parameters.
    #[pyo3(signature = (frequency, recency, n_periods, weights=None))]
    fn log_likelihood(
        &self,
        frequency: Arr<'_>,
        recency: Arr<'_>,
        n_periods: Arr<'_>,
        weights: Option<Arr<'_>>,
    ) -> PyResult<f64> {
        let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
        self.inner
            .log_likelihood(frequency.as_slice()?, recency.as_slice()?, n_periods.as_slice()?, w)
            .map_err(to_py_err)
    }
    fn probability_of_n_in_first_n_periods(&self, n: u64, x: u64) -> PyResult<f64> {
        self.inner.probability_of_n_purchases_in_first_n_periods(n, x).map_err(to_py_err)
    }
}

/// Gamma-Gamma spend model.
#[pyclass(name = "GammaGamma", module = "yutang._yutang", frozen)]
pub struct PyGammaGamma {
    inner: ltv::GammaGamma,
}

#[pymethods]
impl PyGammaGamma {
    #[staticmethod]
    #[pyo3(signature = (frequency, monetary_value, weights=None, penalizer=0.0, tol=1e-6, max_iter=200, initial_params=None, q_constraint=false))]
    #[allow(clippy::too_many_arguments)] // the Python keyword arguments, one per option
    fn fit(
        py: Python<'_>,
        frequency: Arr<'_>,
        monetary_value: Arr<'_>,
        weights: Option<Arr<'_>>,
        penalizer: f64,
        tol: f64,
        max_iter: u32,
        initial_params: Option<Vec<f64>>,
        q_constraint: bool,
    ) -> PyResult<Self> {
        let (x, m) = (frequency.as_slice()?, monetary_value.as_slice()?);
        let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
        let o = options(penalizer, tol, max_iter, initial_params);
        let fit = if q_constraint { ltv::GammaGamma::fit_q_constrained } else { ltv::GammaGamma::fit };
        let inner = py.detach(|| fit(x, m, w, &o)).map_err(to_py_err)?;
        Ok(Self { inner })
    }
    #[staticmethod]
    fn from_params(params: [f64; 3]) -> PyResult<Self> {
        Ok(Self { inner: ltv::GammaGamma::new(params[0], params[1], params[2]).map_err(to_py_err)? })
    }
    #[staticmethod]
    fn from_json(s: &str) -> PyResult<Self> {
        Ok(Self { inner: serde_json::from_str(s).map_err(json_err)? })
    }
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(json_err)
    }
    fn params(&self) -> Vec<f64> {
        self.inner.params().to_vec()
    }
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        report_dict(py, self.inner.report.as_ref())
    }
    /// Total log-likelihood of data under the parameters.
    #[pyo3(signature = (frequency, monetary_value, weights=None))]
    fn log_likelihood(&self, frequency: Arr<'_>, monetary_value: Arr<'_>, weights: Option<Arr<'_>>) -> PyResult<f64> {
        let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
        self.inner.log_likelihood(frequency.as_slice()?, monetary_value.as_slice()?, w).map_err(to_py_err)
    }
    fn expected_average_profit<'py>(
        &self,
        py: Python<'py>,
        frequency: Arr<'py>,
        monetary_value: Arr<'py>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (x, m) = (frequency.as_slice()?, monetary_value.as_slice()?);
        let inner = &self.inner;
        let v = py.detach(|| inner.conditional_expected_average_profit_batch(x, m)).map_err(to_py_err)?;
        Ok(v.into_pyarray(py))
    }
    /// Discounted CLV with lifetimes' semantics; `model` is a native BgNbd, MbgNbd or ParetoNbd.
    #[allow(clippy::too_many_arguments)]
    fn customer_lifetime_value<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyAny>,
        frequency: Arr<'py>,
        recency: Arr<'py>,
        t: Arr<'py>,
        monetary_value: Arr<'py>,
        months: u32,
        discount_rate: f64,
        periods_per_month: f64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (x, r, tt, m) = (frequency.as_slice()?, recency.as_slice()?, t.as_slice()?, monetary_value.as_slice()?);
        let gg = &self.inner;
        macro_rules! run {
            ($m:expr) => {{
                let model = $m;
                py.detach(|| {
                    ltv::customer_lifetime_value(model, gg, x, r, tt, m, months, discount_rate, periods_per_month)
                })
            }};
        }
        let v = if let Ok(b) = model.extract::<PyRef<'_, PyBgNbd>>() {
            run!(&b.inner)
        } else if let Ok(b) = model.extract::<PyRef<'_, PyMbgNbd>>() {
            run!(&b.inner)
        } else if let Ok(b) = model.extract::<PyRef<'_, PyParetoNbd>>() {
            run!(&b.inner)
        } else {
            return Err(to_py_err(yutang::Error::invalid(
                "transaction_prediction_model",
                "?",
                "must be a fitted BetaGeoFitter, ModifiedBetaGeoFitter or ParetoNBDFitter",
            )));
        };
        Ok(v.map_err(to_py_err)?.into_pyarray(py))
    }
}

fn summary_options(freq: &str, freq_multiplier: f64, include_first_transaction: bool) -> PyResult<ltv::SummaryOptions> {
    Ok(ltv::SummaryOptions::new()
        .freq(ltv::Freq::parse(freq).map_err(to_py_err)?)
        .freq_multiplier(freq_multiplier)
        .include_first_transaction(include_first_transaction))
}

fn summary_dict<'py>(py: Python<'py>, s: ltv::RfmSummary, suffix: &str) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let rows: Vec<i64> = s.first_row.iter().map(|&i| i as i64).collect();
    d.set_item("first_row", rows.into_pyarray(py))?;
    d.set_item(format!("frequency{suffix}"), s.frequency.into_pyarray(py))?;
    d.set_item(format!("recency{suffix}"), s.recency.into_pyarray(py))?;
    d.set_item(format!("T{suffix}"), s.t.into_pyarray(py))?;
    if let Some(m) = s.monetary_value {
        d.set_item(format!("monetary_value{suffix}"), m.into_pyarray(py))?;
    }
    Ok(d)
}

/// RFM summary over columns: integer customer codes (sorted in key order), timestamps in µs
/// (local wall time), optional monetary values. Returns a dict of arrays (GIL released).
#[pyfunction]
#[pyo3(signature = (codes, timestamps, monetary=None, freq="D", freq_multiplier=1.0, observation_period_end=None, include_first_transaction=false))]
#[allow(clippy::too_many_arguments)]
fn ltv_rfm_summary<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray1<'py, u64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    monetary: Option<Arr<'py>>,
    freq: &str,
    freq_multiplier: f64,
    observation_period_end: Option<i64>,
    include_first_transaction: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let mut o = summary_options(freq, freq_multiplier, include_first_transaction)?;
    if let Some(e) = observation_period_end {
        o = o.observation_period_end(e);
    }
    let (c, ts) = (codes.as_slice()?, timestamps.as_slice()?);
    let m = monetary.as_ref().map(|m| m.as_slice()).transpose()?;
    let s = py.detach(|| ltv::rfm_summary(ltv::CustomerKeys::U64(c), ts, m, &o)).map_err(to_py_err)?;
    summary_dict(py, s, "")
}

/// Calibration/holdout split over columns (see `ltv_rfm_summary`).
#[pyfunction]
#[pyo3(signature = (codes, timestamps, calibration_period_end, monetary=None, observation_period_end=None, freq="D", freq_multiplier=1.0, include_first_transaction=false))]
#[allow(clippy::too_many_arguments)]
fn ltv_calibration_and_holdout<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray1<'py, u64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    calibration_period_end: i64,
    monetary: Option<Arr<'py>>,
    observation_period_end: Option<i64>,
    freq: &str,
    freq_multiplier: f64,
    include_first_transaction: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let o = summary_options(freq, freq_multiplier, include_first_transaction)?;
    let (c, ts) = (codes.as_slice()?, timestamps.as_slice()?);
    let m = monetary.as_ref().map(|m| m.as_slice()).transpose()?;
    let ch = py
        .detach(|| {
            ltv::calibration_and_holdout(
                ltv::CustomerKeys::U64(c),
                ts,
                m,
                calibration_period_end,
                observation_period_end,
                &o,
            )
        })
        .map_err(to_py_err)?;
    let d = summary_dict(py, ch.calibration, "_cal")?;
    d.set_item("frequency_holdout", ch.frequency_holdout.into_pyarray(py))?;
    if let Some(m) = ch.monetary_value_holdout {
        d.set_item("monetary_value_holdout", m.into_pyarray(py))?;
    }
    d.set_item("duration_holdout", ch.duration_holdout)?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBgNbd>()?;
    m.add_class::<PyMbgNbd>()?;
    m.add_class::<PyParetoNbd>()?;
    m.add_class::<PyBgBb>()?;
    m.add_class::<PyGammaGamma>()?;
    m.add_function(wrap_pyfunction!(ltv_rfm_summary, m)?)?;
    m.add_function(wrap_pyfunction!(pareto_conditional_probability_of_n, m)?)?;
    m.add_function(wrap_pyfunction!(ltv_calibration_and_holdout, m)?)?;
    Ok(())
}
