//! Python bindings for `yutang::attribution`: path columns cross as Arrow-style UTF-8 buffers
//! (bytes + int64 offsets, zero copy from pyarrow), numbers as float64 numpy arrays.
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use yutang::attribution::{self as attr, Paths};

use crate::errors::to_py_err;

fn parse(
    data: &[u8],
    offsets: &[i64],
    conv: &[f64],
    value: Option<&[f64]>,
    null: Option<&[f64]>,
    sep: &str,
) -> yutang::Result<Paths> {
    // Validate the UTF-8 once for the whole column; name the row of a bad byte.
    let text = std::str::from_utf8(data).map_err(|e| {
        let at = e.valid_up_to() as i64;
        let row = offsets.partition_point(|&o| o <= at).saturating_sub(1);
        yutang::Error::invalid(format!("paths[{row}]"), "<bytes>", "not valid UTF-8")
    })?;
    Paths::parse_concatenated(text, offsets, conv, value, null, sep)
}

type Col<'py> = Option<PyReadonlyArray1<'py, f64>>;

/// Borrow the columns (zero copy) and parse them into paths.
fn parse_columns(
    data: &PyReadonlyArray1<'_, u8>,
    offsets: &PyReadonlyArray1<'_, i64>,
    conv: &PyReadonlyArray1<'_, f64>,
    value: &Col<'_>,
    null: &Col<'_>,
    sep: &str,
    py: Python<'_>,
) -> PyResult<Paths> {
    let (d, o, c) = (data.as_slice()?, offsets.as_slice()?, conv.as_slice()?);
    let v = value.as_ref().map(|v| v.as_slice()).transpose()?;
    let n = null.as_ref().map(|v| v.as_slice()).transpose()?;
    py.detach(|| parse(d, o, c, v, n, sep)).map_err(to_py_err)
}

/// Heuristic models; returns a dict of channel names and float64 arrays per model.
#[pyfunction]
#[pyo3(signature = (data, offsets, conv, value, sep, half_life, position_first, position_last, direct_channels))]
#[allow(clippy::too_many_arguments)]
fn attribution_heuristics<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    offsets: PyReadonlyArray1<'py, i64>,
    conv: PyReadonlyArray1<'py, f64>,
    value: Col<'py>,
    sep: &str,
    half_life: f64,
    position_first: f64,
    position_last: f64,
    direct_channels: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let p = parse_columns(&data, &offsets, &conv, &value, &None, sep, py)?;
    let opts = attr::HeuristicOptions::new()
        .half_life(half_life)
        .position_weights(position_first, position_last)
        .direct_channels(direct_channels);
    let h = py.detach(|| attr::heuristic_models(&p, &opts)).map_err(to_py_err)?;
    let out = PyDict::new(py);
    out.set_item("channel_name", h.channels)?;
    for (name, credits) in [
        ("first_touch", h.first_touch),
        ("last_touch", h.last_touch),
        ("last_non_direct", h.last_non_direct),
        ("linear_touch", h.linear),
        ("time_decay", h.time_decay),
        ("position_based", h.position_based),
    ] {
        out.set_item(format!("{name}_conversions"), credits.conversions.into_pyarray(py))?;
        out.set_item(format!("{name}_value"), credits.value.into_pyarray(py))?;
    }
    Ok(out)
}

/// Exact Markov model; returns channels, attributions, removal effects and the transitions.
#[pyfunction]
#[pyo3(signature = (data, offsets, conv, value, null, sep, order, converting_channels_only))]
#[allow(clippy::too_many_arguments)]
fn attribution_markov<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    offsets: PyReadonlyArray1<'py, i64>,
    conv: PyReadonlyArray1<'py, f64>,
    value: Col<'py>,
    null: Col<'py>,
    sep: &str,
    order: usize,
    converting_channels_only: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let p = parse_columns(&data, &offsets, &conv, &value, &null, sep, py)?;
    let opts = attr::MarkovOptions::new().order(order);
    let (mut m, keep) = py
        .detach(|| {
            // ChannelAttribution without var_null drops non-converting rows first: report only
            // the channels of converting rows (the others have nothing attributed anyway).
            let mut keep = vec![!converting_channels_only; p.channels().len()];
            if converting_channels_only {
                for i in 0..p.len() {
                    if p.conversions()[i] > 0.0 {
                        for &ch in p.path(i) {
                            keep[ch as usize] = true;
                        }
                    }
                }
            }
            attr::markov_model(&p, &opts).map(|m| (m, keep))
        })
        .map_err(to_py_err)?;
    if keep.iter().any(|k| !k) {
        let pick = |xs: Vec<f64>| -> Vec<f64> { xs.into_iter().zip(&keep).filter(|x| *x.1).map(|x| x.0).collect() };
        m.conversions = pick(std::mem::take(&mut m.conversions));
        m.value = pick(std::mem::take(&mut m.value));
        m.removal_effects = pick(std::mem::take(&mut m.removal_effects));
        m.removal_effects_value = pick(std::mem::take(&mut m.removal_effects_value));
    }
    let names: Vec<String> = m.channels.iter().zip(&keep).filter(|x| *x.1).map(|x| x.0.clone()).collect();
    let out = PyDict::new(py);
    let state_sep = format!(" {sep} ");
    let from: Vec<String> = m.transitions.iter().map(|t| m.state_name(t.from, &state_sep)).collect();
    let to: Vec<String> = m.transitions.iter().map(|t| m.state_name(t.to, &state_sep)).collect();
    let prob: Vec<f64> = m.transitions.iter().map(|t| t.probability).collect();
    out.set_item("channel_from", from)?;
    out.set_item("channel_to", to)?;
    out.set_item("transition_probability", prob.into_pyarray(py))?;
    out.set_item("conversion_probability", m.conversion_probability)?;
    out.set_item("channel_name", names)?;
    out.set_item("total_conversions", m.conversions.into_pyarray(py))?;
    out.set_item("total_conversion_value", m.value.into_pyarray(py))?;
    out.set_item("removal_effects_conversion", m.removal_effects.into_pyarray(py))?;
    out.set_item("removal_effects_conversion_value", m.removal_effects_value.into_pyarray(py))?;
    Ok(out)
}

/// Shapley model; returns channels, attributions and raw Shapley values.
#[pyfunction]
#[pyo3(signature = (data, offsets, conv, value, null, sep, worth, exact_limit, samples, seed))]
#[allow(clippy::too_many_arguments)]
fn attribution_shapley<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    offsets: PyReadonlyArray1<'py, i64>,
    conv: PyReadonlyArray1<'py, f64>,
    value: Col<'py>,
    null: Col<'py>,
    sep: &str,
    worth: &str,
    exact_limit: usize,
    samples: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let worth = match worth {
        "conversions" => attr::ShapleyWorth::Conversions,
        "conversion_rate" => attr::ShapleyWorth::ConversionRate,
        other => {
            return Err(to_py_err(yutang::Error::invalid(
                "worth",
                other,
                "expected \"conversions\" or \"conversion_rate\"",
            )))
        }
    };
    let p = parse_columns(&data, &offsets, &conv, &value, &null, sep, py)?;
    let opts = attr::ShapleyOptions::new().worth(worth).exact_limit(exact_limit).samples(samples).seed(seed);
    let s = py.detach(|| attr::shapley_model(&p, &opts)).map_err(to_py_err)?;
    let out = PyDict::new(py);
    out.set_item("channel_name", s.channels)?;
    out.set_item("total_conversions", s.conversions.into_pyarray(py))?;
    out.set_item("total_conversion_value", s.value.into_pyarray(py))?;
    out.set_item("shapley_conversions", s.shapley_conversions.into_pyarray(py))?;
    out.set_item("shapley_value", s.shapley_value.into_pyarray(py))?;
    out.set_item("exact", s.exact)?;
    Ok(out)
}

/// Rows `i` of an Arrow-style string column as `&str`, naming the column and row on error.
fn str_rows<'a>(field: &str, data: &'a [u8], offsets: &[i64]) -> yutang::Result<Vec<&'a str>> {
    let text = std::str::from_utf8(data)
        .map_err(|_| yutang::Error::invalid(field.to_string(), "<bytes>", "not valid UTF-8"))?;
    (0..offsets.len().saturating_sub(1))
        .map(|i| {
            let (a, b) = (offsets[i], offsets[i + 1]);
            usize::try_from(a)
                .ok()
                .zip(usize::try_from(b).ok())
                .and_then(|(a, b)| text.get(a..b))
                .ok_or_else(|| yutang::Error::invalid(format!("{field}[{i}]"), format!("{a}..{b}"), "bad offsets"))
        })
        .collect()
}

/// Paths from touchpoint columns; returns path strings (joined by `" > "`) with their
/// conversions, values and nulls, plus what could not be attributed.
#[pyfunction]
#[pyo3(signature = (customer_data, customer_offsets, at_micros, channel_data, channel_offsets, is_conversion, values, lookback_micros, as_of_micros, conversion_touch))]
#[allow(clippy::too_many_arguments)]
fn attribution_paths_from_touchpoints<'py>(
    py: Python<'py>,
    customer_data: PyReadonlyArray1<'py, u8>,
    customer_offsets: PyReadonlyArray1<'py, i64>,
    at_micros: PyReadonlyArray1<'py, i64>,
    channel_data: PyReadonlyArray1<'py, u8>,
    channel_offsets: PyReadonlyArray1<'py, i64>,
    is_conversion: PyReadonlyArray1<'py, bool>,
    values: PyReadonlyArray1<'py, f64>,
    lookback_micros: i64,
    as_of_micros: Option<i64>,
    conversion_touch: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let (cd, co) = (customer_data.as_slice()?, customer_offsets.as_slice()?);
    let (hd, ho) = (channel_data.as_slice()?, channel_offsets.as_slice()?);
    let (at, conv, val) = (at_micros.as_slice()?, is_conversion.as_slice()?, values.as_slice()?);
    let mut opts = attr::PathOptions::new().lookback_micros(lookback_micros).conversion_touch(conversion_touch);
    if let Some(a) = as_of_micros {
        opts = opts.as_of_micros(a);
    }
    let t = py
        .detach(|| {
            let customers = str_rows("customers", cd, co)?;
            let channels = str_rows("channels", hd, ho)?;
            attr::paths_from_touchpoints(&customers, at, &channels, conv, val, &opts)
        })
        .map_err(to_py_err)?;
    let p = &t.paths;
    let names = p.channels();
    let paths: Vec<String> = (0..p.len())
        .map(|i| p.path(i).iter().map(|&c| names[c as usize].as_str()).collect::<Vec<_>>().join(" > "))
        .collect();
    let out = PyDict::new(py);
    out.set_item("path", paths)?;
    out.set_item("total_conversions", p.conversions().to_vec().into_pyarray(py))?;
    out.set_item("total_conversion_value", p.values().to_vec().into_pyarray(py))?;
    out.set_item("total_null", p.nulls().to_vec().into_pyarray(py))?;
    out.set_item("unattributed_conversions", t.unattributed_conversions)?;
    out.set_item("unattributed_value", t.unattributed_value)?;
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(attribution_paths_from_touchpoints, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_heuristics, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_markov, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_shapley, m)?)?;
    Ok(())
}
