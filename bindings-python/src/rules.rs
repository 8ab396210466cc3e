//! Python bindings for the condition language, tags and segments (`yutang.rules`, the
//! `RulesMixin` pool methods). Rules cross as text or JSON trees; results as JSON or numpy.

use crate::errors::to_py_err;
use crate::pool::PyPool;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use yutang::rules::{parse, to_text, Compiled, Rule};
use yutang::segment::AttrValue;
use yutang::tag::{TagGroup, TagValue};
use yutang::{Error, Identity, IdentityKind, Timestamp};

/// A rule argument: JSON tree text (starting with `{`) or rule text.
fn rule_arg(rule: &str) -> yutang::Result<Rule> {
    if rule.trim_start().starts_with('{') {
        Rule::from_json(rule)
    } else {
        parse(rule)
    }
}

fn json(r: serde_json::Result<String>) -> PyResult<String> {
    r.map_err(|e| to_py_err(Error::invalid("json", "", e.to_string())))
}

fn time(pool: &yutang::Pool, s: &str, field: &str) -> yutang::Result<Timestamp> {
    yutang::parse_time(s, pool.time_zone()).map_err(|e| match e {
        Error::InvalidField { value, reason, .. } => Error::InvalidField { field: field.to_string(), value, reason },
        o => o,
    })
}

/// Parse rule text into its JSON tree.
#[pyfunction]
fn rules_parse(text: &str) -> PyResult<String> {
    json(serde_json::to_string(&parse(text).map_err(to_py_err)?))
}

/// The canonical text of a rule given as JSON or text.
#[pyfunction]
fn rules_to_text(rule: &str) -> PyResult<String> {
    Ok(to_text(&rule_arg(rule).map_err(to_py_err)?))
}

/// Evaluate a rule for every customer: (customer ids in founding order, results).
#[pyfunction]
fn rules_evaluate<'py>(
    py: Python<'py>,
    pool: PyRef<'py, PyPool>,
    rule: &str,
    as_of: &str,
) -> PyResult<(Vec<String>, Bound<'py, PyArray1<bool>>)> {
    let p: &PyPool = &pool;
    let (ids, res) = py
        .detach(|| -> yutang::Result<(Vec<String>, Vec<bool>)> {
            let pool = p.read();
            let r = rule_arg(rule)?;
            let t = time(&pool, as_of, "as_of")?;
            let c = Compiled::new(&r, &pool)?;
            Ok((pool.customer_ids(), pool.evaluate_compiled(&c, t)))
        })
        .map_err(to_py_err)?;
    Ok((ids, res.into_pyarray(py)))
}

/// Explain a rule for one customer (JSON).
#[pyfunction]
fn rules_explain(
    py: Python<'_>,
    pool: PyRef<'_, PyPool>,
    rule: &str,
    customer_id: &str,
    as_of: &str,
) -> PyResult<String> {
    let p: &PyPool = &pool;
    let e = py
        .detach(|| {
            let pool = p.read();
            pool.explain(&rule_arg(rule)?, customer_id, time(&pool, as_of, "as_of")?)
        })
        .map_err(to_py_err)?;
    json(serde_json::to_string(&e))
}

/// When the rule's answer for a customer can next change by time alone (ISO-8601 UTC).
#[pyfunction]
fn rules_next_change_at(
    pool: PyRef<'_, PyPool>,
    rule: &str,
    customer_id: &str,
    as_of: &str,
) -> PyResult<Option<String>> {
    let pool = pool.read();
    let t = time(&pool, as_of, "as_of").map_err(to_py_err)?;
    Ok(pool
        .next_change_at(&rule_arg(rule).map_err(to_py_err)?, customer_id, t)
        .map_err(to_py_err)?
        .map(|t| t.to_rfc3339()))
}

#[pyfunction]
fn define_segment(pool: PyRef<'_, PyPool>, name: &str, rule: &str) -> PyResult<()> {
    let r = rule_arg(rule).map_err(to_py_err)?;
    pool.write().define_segment(name, r).map_err(to_py_err)
}

#[pyfunction]
fn remove_segment(pool: PyRef<'_, PyPool>, name: &str) -> bool {
    pool.write().remove_segment(name)
}

#[pyfunction]
fn segments_json(pool: PyRef<'_, PyPool>) -> PyResult<String> {
    json(serde_json::to_string(&pool.read().segments()))
}

#[pyfunction]
fn segment_members(py: Python<'_>, pool: PyRef<'_, PyPool>, name: &str, as_of: &str) -> PyResult<Vec<String>> {
    let p: &PyPool = &pool;
    py.detach(|| {
        let pool = p.read();
        pool.segment_members(name, time(&pool, as_of, "as_of")?)
    })
    .map_err(to_py_err)
}

#[pyfunction]
fn segment_changes(py: Python<'_>, pool: PyRef<'_, PyPool>, name: &str, start: &str, end: &str) -> PyResult<String> {
    let p: &PyPool = &pool;
    let ch = py
        .detach(|| {
            let pool = p.read();
            pool.segment_changes(name, time(&pool, start, "start")?, time(&pool, end, "end")?)
        })
        .map_err(to_py_err)?;
    json(serde_json::to_string(&ch))
}

#[pyfunction]
fn refresh_segment(py: Python<'_>, pool: PyRef<'_, PyPool>, name: &str, as_of: &str) -> PyResult<String> {
    let p: &PyPool = &pool;
    let ch = py
        .detach(|| {
            let mut pool = p.write();
            let t = time(&pool, as_of, "as_of")?;
            pool.refresh_segment(name, t)
        })
        .map_err(to_py_err)?;
    json(serde_json::to_string(&ch))
}

#[pyfunction]
fn segment_sizes(py: Python<'_>, pool: PyRef<'_, PyPool>, name: &str, at: Vec<String>) -> PyResult<String> {
    let p: &PyPool = &pool;
    let s = py
        .detach(|| {
            let pool = p.read();
            let ts = at.iter().map(|s| time(&pool, s, "at")).collect::<yutang::Result<Vec<_>>>()?;
            pool.segment_sizes(name, &ts)
        })
        .map_err(to_py_err)?;
    json(serde_json::to_string(&s))
}

#[pyfunction]
fn segment_size_history(pool: PyRef<'_, PyPool>, name: &str) -> PyResult<String> {
    json(serde_json::to_string(&pool.read().segment_size_history(name)))
}

/// Define a tag group from (value, rule) pairs; returns warnings (JSON).
#[pyfunction]
fn define_tag_group(pool: PyRef<'_, PyPool>, name: &str, values: Vec<(String, String)>) -> PyResult<String> {
    let vals = values
        .iter()
        .enumerate()
        .map(|(i, (v, r))| {
            rule_arg(r).map(|rule| TagValue::new(v.clone(), rule)).map_err(|e| match e {
                Error::InvalidField { field, value, reason } => {
                    Error::InvalidField { field: format!("values[{i}].{field}"), value, reason }
                }
                o => o,
            })
        })
        .collect::<yutang::Result<Vec<_>>>()
        .map_err(to_py_err)?;
    let w = pool.write().define_tag_group(TagGroup::new(name, vals)).map_err(to_py_err)?;
    json(serde_json::to_string(&w))
}

#[pyfunction]
fn remove_tag_group(pool: PyRef<'_, PyPool>, name: &str) -> bool {
    pool.write().remove_tag_group(name)
}

#[pyfunction]
fn tag_groups_json(pool: PyRef<'_, PyPool>) -> PyResult<String> {
    json(serde_json::to_string(&pool.read().tag_groups()))
}

#[pyfunction]
fn set_manual_tag(
    pool: PyRef<'_, PyPool>,
    customer_id: &str,
    group: &str,
    value: &str,
    set_by: &str,
    at: &str,
) -> PyResult<()> {
    let mut pool = pool.write();
    let t = time(&pool, at, "at").map_err(to_py_err)?;
    pool.set_manual_tag(customer_id, group, value, set_by, t).map_err(to_py_err)
}

#[pyfunction]
fn remove_manual_tag(pool: PyRef<'_, PyPool>, customer_id: &str, group: &str) -> PyResult<bool> {
    pool.write().remove_manual_tag(customer_id, group).map_err(to_py_err)
}

#[pyfunction]
#[pyo3(signature = (pool, kind, value, namespace, group, tag_value, set_by, at))]
#[allow(clippy::too_many_arguments)]
fn tag_identity(
    pool: PyRef<'_, PyPool>,
    kind: &str,
    value: &str,
    namespace: Option<String>,
    group: &str,
    tag_value: &str,
    set_by: &str,
    at: &str,
) -> PyResult<()> {
    let ident = Identity { kind: IdentityKind::parse(kind).map_err(to_py_err)?, namespace, value: value.to_string() };
    let mut pool = pool.write();
    let t = time(&pool, at, "at").map_err(to_py_err)?;
    pool.tag_identity(&ident, group, tag_value, set_by, t).map_err(to_py_err)
}

#[pyfunction]
#[pyo3(signature = (pool, kind, value, namespace, group))]
fn remove_identity_tag(
    pool: PyRef<'_, PyPool>,
    kind: &str,
    value: &str,
    namespace: Option<String>,
    group: &str,
) -> PyResult<bool> {
    let ident = Identity { kind: IdentityKind::parse(kind).map_err(to_py_err)?, namespace, value: value.to_string() };
    pool.write().remove_identity_tag(&ident, group).map_err(to_py_err)
}

#[pyfunction]
#[pyo3(signature = (pool, customer_id, as_of=None))]
fn tags_json(pool: PyRef<'_, PyPool>, customer_id: &str, as_of: Option<&str>) -> PyResult<String> {
    let pool = pool.read();
    let t = as_of.map(|s| time(&pool, s, "as_of")).transpose().map_err(to_py_err)?;
    json(serde_json::to_string(&pool.tags(customer_id, t).map_err(to_py_err)?))
}

/// Set a host attribute: bool, int, float or str.
#[pyfunction]
fn set_attribute(pool: PyRef<'_, PyPool>, customer_id: &str, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let v = if let Ok(b) = value.cast::<pyo3::types::PyBool>() {
        AttrValue::Bool(b.is_true())
    } else if let Ok(i) = value.extract::<i64>() {
        AttrValue::Int(i)
    } else if let Ok(f) = value.extract::<f64>() {
        AttrValue::Float(f)
    } else if let Ok(s) = value.extract::<String>() {
        AttrValue::Text(s)
    } else {
        return Err(to_py_err(Error::invalid(format!("attributes.{name}"), "", "expected bool, int, float or str")));
    };
    pool.write().set_attribute(customer_id, name, v).map_err(to_py_err)
}

#[pyfunction]
fn remove_attribute(pool: PyRef<'_, PyPool>, customer_id: &str, name: &str) -> PyResult<bool> {
    pool.write().remove_attribute(customer_id, name).map_err(to_py_err)
}

#[pyfunction]
fn attributes_json(pool: PyRef<'_, PyPool>, customer_id: &str) -> PyResult<String> {
    let a = pool.read().attributes(customer_id).map_err(to_py_err)?;
    let plain: std::collections::BTreeMap<String, serde_json::Value> = a
        .into_iter()
        .map(|(k, v)| {
            let j = match v {
                AttrValue::Bool(b) => serde_json::Value::Bool(b),
                AttrValue::Int(i) => serde_json::Value::from(i),
                AttrValue::Float(f) => serde_json::Value::from(f),
                AttrValue::Text(s) => serde_json::Value::String(s),
            };
            (k, j)
        })
        .collect();
    json(serde_json::to_string(&plain))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rules_parse, m)?)?;
    m.add_function(wrap_pyfunction!(rules_to_text, m)?)?;
    m.add_function(wrap_pyfunction!(rules_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(rules_explain, m)?)?;
    m.add_function(wrap_pyfunction!(rules_next_change_at, m)?)?;
    m.add_function(wrap_pyfunction!(define_segment, m)?)?;
    m.add_function(wrap_pyfunction!(remove_segment, m)?)?;
    m.add_function(wrap_pyfunction!(segments_json, m)?)?;
    m.add_function(wrap_pyfunction!(segment_members, m)?)?;
    m.add_function(wrap_pyfunction!(segment_changes, m)?)?;
    m.add_function(wrap_pyfunction!(refresh_segment, m)?)?;
    m.add_function(wrap_pyfunction!(segment_sizes, m)?)?;
    m.add_function(wrap_pyfunction!(segment_size_history, m)?)?;
    m.add_function(wrap_pyfunction!(define_tag_group, m)?)?;
    m.add_function(wrap_pyfunction!(remove_tag_group, m)?)?;
    m.add_function(wrap_pyfunction!(tag_groups_json, m)?)?;
    m.add_function(wrap_pyfunction!(set_manual_tag, m)?)?;
    m.add_function(wrap_pyfunction!(remove_manual_tag, m)?)?;
    m.add_function(wrap_pyfunction!(tag_identity, m)?)?;
    m.add_function(wrap_pyfunction!(remove_identity_tag, m)?)?;
    m.add_function(wrap_pyfunction!(tags_json, m)?)?;
    m.add_function(wrap_pyfunction!(set_attribute, m)?)?;
    m.add_function(wrap_pyfunction!(remove_attribute, m)?)?;
    m.add_function(wrap_pyfunction!(attributes_json, m)?)?;
    Ok(())
}
