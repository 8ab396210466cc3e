//! Python bindings for `yutang::Pool`.

use crate::convert::{Cell, Col, ColTuple, ColumnArrays, Held};
use crate::errors::to_py_err;
use crate::progress::PyProgress;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use yutang::{BorrowedEvent, BorrowedIdentity, Error, EventKind, Identity, IdentityKind, Money, Timestamp};

/// The native pool; the public `yutang.Pool` (pure Python) wraps it.
#[pyclass(name = "_Pool", module = "yutang._yutang", frozen)]
pub struct PyPool {
    inner: yutang::SharedPool,
}

impl PyPool {
    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, yutang::Pool> {
        self.inner.read()
    }
    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, yutang::Pool> {
        self.inner.write()
    }
}

fn json_err(field: &str, e: impl std::fmt::Display) -> PyErr {
    to_py_err(Error::invalid(field, "", e.to_string()))
}

fn report_to_py<'py>(py: Python<'py>, r: &yutang::IngestReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("accepted", r.accepted)?;
    d.set_item("duplicates", r.duplicates)?;
    let tup = |v: &Vec<yutang::Rejection>| -> Vec<(usize, String, String)> {
        v.iter().map(|x| (x.index, x.field.clone(), x.reason.clone())).collect()
    };
    d.set_item("rejected", tup(&r.rejected))?;
    d.set_item("warnings", tup(&r.warnings))?;
    d.set_item("late", r.late)?;
    d.set_item("full_pass", r.full_pass)?;
    d.set_item("stopped", r.stopped)?;
    Ok(d)
}

fn to_identity(kind: &str, value: &str, namespace: Option<String>) -> PyResult<Identity> {
    Ok(Identity { kind: IdentityKind::parse(kind).map_err(to_py_err)?, namespace, value: value.to_string() })
}

/// Column roles recognised in a frame.
struct Frame<'a> {
    n: usize,
    id: Option<Col<'a>>,
    at: Option<Col<'a>>,
    kind: Option<Col<'a>>,
    channel: Option<Col<'a>>,
    amount: Option<Col<'a>>,
    currency: Option<Col<'a>>,
    order_id: Option<Col<'a>>,
    group_id: Option<Col<'a>>,
    referrer: Option<Col<'a>>,
    referrer_kind: Option<Col<'a>>,
    referrer_namespace: Option<Col<'a>>,
    consent_channel: Option<Col<'a>>,
    granted: Option<Col<'a>>,
    source: Option<Col<'a>>,
    subscription_id: Option<Col<'a>>,
    expires_at: Option<Col<'a>>,
    identities: Vec<(IdentityKind, Col<'a>, Option<Col<'a>>)>,
    properties: Vec<(String, Col<'a>)>,
}

fn cell_str<'a>(c: &Option<Col<'a>>, i: usize, field: &str) -> yutang::Result<Option<&'a str>> {
    match c.as_ref().map(|c| c.get(i)) {
        None | Some(Cell::Missing) => Ok(None),
        Some(Cell::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::invalid(field, "", "expected a string column")),
    }
}

fn cell_time(c: &Col<'_>, i: usize, tz: chrono_tz::Tz, field: &str) -> yutang::Result<Option<Timestamp>> {
    let rename = |e: Error| match e {
        Error::InvalidField { value, reason, .. } => Error::InvalidField { field: field.to_string(), value, reason },
        o => o,
    };
    match c.get(i) {
        Cell::Missing => Ok(None),
        Cell::Str(s) => yutang::parse_time(s, tz).map(Some).map_err(rename),
        Cell::Ts { micros, naive: false } => Timestamp::from_micros(micros).map(Some).map_err(rename),
        Cell::Ts { micros, naive: true } => {
            let ndt = chrono::DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| Error::invalid(field, micros.to_string(), "out of range"))?
                .naive_utc();
            yutang::model::local_to_utc(ndt, tz).map(Some).map_err(rename)
        }
        _ => Err(Error::invalid(field, "", "expected ISO-8601 strings or a timestamp column")),
    }
}

impl<'a> Frame<'a> {
    /// Push row `i` into the ingester, borrowed from the columns (no owned event per row).
    /// A conversion error is returned for the caller to record as a rejection at its position.
    fn push_row<'s>(
        &'s self,
        i: usize,
        tz: chrono_tz::Tz,
        cur: yutang::Currency,
        ids: &mut Vec<BorrowedIdentity<'s>>,
        ing: &mut yutang::pool::Ingester<'_>,
    ) -> yutang::Result<()> {
        let id = cell_str(&self.id, i, "id")?.ok_or_else(|| Error::invalid("id", "", "missing"))?;
        let at = match &self.at {
            Some(c) => cell_time(c, i, tz, "at")?,
            None => None,
        }
        .ok_or_else(|| Error::invalid("at", "", "missing"))?;
        let kind =
            EventKind::parse(cell_str(&self.kind, i, "kind")?.ok_or_else(|| Error::invalid("kind", "", "missing"))?)?;
        ids.clear();
        for (k, col, ns) in &self.identities {
            if let Cell::Str(v) = col.get(i) {
                ids.push(BorrowedIdentity { kind: k, namespace: cell_str(ns, i, "namespace")?, value: v });
            }
        }
        let channel =
            cell_str(&self.channel, i, "channel")?.filter(|s| !s.is_empty()).map(yutang::Channel::parse).transpose()?;
        let currency = match cell_str(&self.currency, i, "currency")? {
            Some(c) if !c.is_empty() => yutang::Currency::parse(c)?,
            _ => cur,
        };
        let money = match self.amount.as_ref().map(|c| c.get(i)) {
            None | Some(Cell::Missing) => None,
            Some(Cell::F64(f)) => Some(Money::from_f64(f, currency)?),
            Some(Cell::I64(v)) => Some(Money::parse(&v.to_string(), currency)?),
            Some(Cell::Str(s)) => Some(Money::parse(s, currency)?),
            Some(_) => return Err(Error::invalid("amount", "", "expected numbers or decimal strings")),
        };
        let order_id = cell_str(&self.order_id, i, "order_id")?.filter(|s| !s.is_empty());
        let group_id = cell_str(&self.group_id, i, "group_id")?.filter(|s| !s.is_empty());
        // the referrer's kind is owned here; the identity borrows it
        let referrer_value = cell_str(&self.referrer, i, "referrer")?;
        let referrer_kind = match referrer_value {
            Some(_) => {
                Some(IdentityKind::parse(cell_str(&self.referrer_kind, i, "referrer_kind")?.unwrap_or("phone"))?)
            }
            None => None,
        };
        let referrer = match (referrer_value, &referrer_kind) {
            (Some(r), Some(k)) => Some(BorrowedIdentity {
                kind: k,
                namespace: cell_str(&self.referrer_namespace, i, "referrer_namespace")?,
                value: r,
            }),
            _ => None,
        };
        let granted = match self.granted.as_ref().map(|c| c.get(i)) {
            Some(Cell::Bool(b)) => Some(b),
            None | Some(Cell::Missing) => None,
            Some(_) => return Err(Error::invalid("granted", "", "expected a bool column")),
        };
        let consent = match granted {
            Some(g) => {
                let ch = match cell_str(&self.consent_channel, i, "consent_channel")? {
                    Some(c) => yutang::Channel::parse(c)?,
                    None => {
                        channel.clone().ok_or_else(|| Error::invalid("consent_channel", "", "required with granted"))?
                    }
                };
                Some(yutang::Consent {
                    channel: ch,
                    granted: g,
                    source: cell_str(&self.source, i, "source")?.map(str::to_string),
                })
            }
            None => None,
        };
        let subscription = match cell_str(&self.subscription_id, i, "subscription_id")? {
            Some(s) => {
                let exp = match &self.expires_at {
                    Some(c) => cell_time(c, i, tz, "expires_at")?,
                    None => None,
                };
                Some(yutang::Subscription { id: s.to_string(), expires_at: exp })
            }
            None => None,
        };
        let mut properties = std::collections::BTreeMap::new();
        for (name, col) in &self.properties {
            let v = match col.get(i) {
                Cell::Missing => continue,
                Cell::Str(s) => yutang::PropValue::Str(s.to_string()),
                Cell::F64(f) => yutang::PropValue::Float(f),
                Cell::I64(v) => yutang::PropValue::Int(v),
                Cell::Bool(b) => yutang::PropValue::Bool(b),
                Cell::Ts { micros, .. } => yutang::PropValue::Int(micros),
            };
            properties.insert(name.clone(), v);
        }
        let mut e = BorrowedEvent::new(id, at, &kind, ids);
        e.channel = channel.as_ref();
        e.money = money;
        e.order_id = order_id;
        e.group_id = group_id;
        e.referrer = referrer;
        e.consent = consent.as_ref();
        e.subscription = subscription.as_ref();
        e.properties = &properties;
        ing.push(&e);
        Ok(())
    }
}

/// The error of row `i` when the Python layer refused it (`bad` is sorted by row; a row may be
/// listed more than once: the first entry wins).
fn bad_row(bad: &mut std::iter::Peekable<impl Iterator<Item = (usize, String, String)>>, i: usize) -> Option<Error> {
    let mut found = None;
    while let Some((_, field, reason)) = bad.next_if(|b| b.0 <= i) {
        if found.is_none() {
            found = Some(Error::invalid(field, "", reason));
        }
    }
    found
}

fn opt_ts<'py>(py: Python<'py>, v: Vec<Option<Timestamp>>) -> (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<bool>>) {
    let mask: Vec<bool> = v.iter().map(|x| x.is_some()).collect();
    let vals: Vec<i64> = v.iter().map(|x| x.map_or(0, |t| t.micros())).collect();
    (vals.into_pyarray(py), mask.into_pyarray(py))
}

#[pymethods]
impl PyPool {
    #[new]
    #[pyo3(signature = (config_json=None))]
    fn new(config_json: Option<&str>) -> PyResult<Self> {
        let config = match config_json {
            Some(j) => serde_json::from_str::<yutang::PoolConfig>(j).map_err(|e| json_err("config", e))?,
            None => yutang::PoolConfig::default(),
        };
        Ok(PyPool { inner: yutang::SharedPool::new(yutang::Pool::new(config).map_err(to_py_err)?) })
    }

    #[staticmethod]
    fn restore(py: Python<'_>, blob: &[u8]) -> PyResult<Self> {
        let pool = py.detach(|| yutang::Pool::restore(blob)).map_err(to_py_err)?;
        Ok(PyPool { inner: yutang::SharedPool::new(pool) })
    }

    /// Restore from a file path (read by Rust, the GIL released) or from a binary file object
    /// (its `read`), streaming.
    #[staticmethod]
    fn restore_from(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pool = if let Ok(path) = source.extract::<std::path::PathBuf>() {
            py.detach(|| {
                let f = std::fs::File::open(&path)
                    .map_err(|e| Error::Snapshot { reason: format!("cannot open the file: {e}") })?;
                yutang::Pool::restore_from(std::io::BufReader::with_capacity(1 << 20, f))
            })
        } else {
            yutang::Pool::restore_from(std::io::BufReader::with_capacity(1 << 20, PyIo(source.clone())))
        }
        .map_err(to_py_err)?;
        Ok(PyPool { inner: yutang::SharedPool::new(pool) })
    }

    fn config_json(&self) -> String {
        serde_json::to_string(self.read().config()).unwrap_or_default()
    }

    /// Ingest events given one JSON object each (the `EventInput` shape). `None` rows are
    /// events the Python layer could not encode; `bad` holds their `(index, field, reason)`.
    /// Every row gets a place in the report.
    fn ingest_json_rows<'py>(
        &self,
        py: Python<'py>,
        rows: Vec<Option<String>>,
        bad: Vec<(usize, String, String)>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut prog = PyProgress::new(progress);
        let report = py.detach(|| {
            let mut pool = self.write();
            let (tz, cur, limits) = (pool.time_zone(), pool.config().currency, pool.config().limits);
            let mut bad = bad.into_iter().peekable();
            let n = rows.len() as u64;
            let mut on = |p| prog.call(p);
            let mut ing = pool.ingester_with_progress(n, &mut on);
            for (i, row) in rows.into_iter().enumerate() {
                if ing.stopped() {
                    break;
                }
                let refused = bad_row(&mut bad, i);
                let event = match (row, refused) {
                    (_, Some(e)) => Err(e),
                    (None, None) => Err(Error::invalid("event", "", "could not be read")),
                    (Some(json), None) => serde_json::from_str::<yutang::EventInput>(&json)
                        .map_err(|e| Error::json("event", &e))
                        .and_then(|inp| inp.into_event(tz, cur, &limits)),
                };
                match event {
                    Ok(e) => ing.push(&e.as_borrowed()),
                    Err(err) => ing.reject(&err),
                }
            }
            ing.finish()
        });
        prog.check()?;
        report_to_py(py, &report)
    }

    /// Ingest columns (see `yutang/frame.py`): `n` rows, a list of `(name, tag, a, b, valid)`.
    fn ingest_columns<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        columns: Vec<ColTuple<'py>>,
        properties: Vec<String>,
        bad: Vec<(usize, String, String)>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut held = Vec::with_capacity(columns.len());
        for c in columns {
            held.push(Held::from_arrays(ColumnArrays::from_tuple(c)?, n)?);
        }
        let mut f = Frame {
            n,
            id: None,
            at: None,
            kind: None,
            channel: None,
            amount: None,
            currency: None,
            order_id: None,
            group_id: None,
            referrer: None,
            referrer_kind: None,
            referrer_namespace: None,
            consent_channel: None,
            granted: None,
            source: None,
            subscription_id: None,
            expires_at: None,
            identities: Vec::new(),
            properties: Vec::new(),
        };
        let mut namespaces: Vec<(String, Col<'_>)> = Vec::new();
        for (name, h) in &held {
            let col = h.view()?;
            let slot = match name.as_str() {
                "id" => &mut f.id,
                "at" => &mut f.at,
                "kind" => &mut f.kind,
                "channel" => &mut f.channel,
                "amount" => &mut f.amount,
                "currency" => &mut f.currency,
                "order_id" => &mut f.order_id,
                "group_id" => &mut f.group_id,
                "referrer" => &mut f.referrer,
                "referrer_kind" => &mut f.referrer_kind,
                "referrer_namespace" => &mut f.referrer_namespace,
                "consent_channel" => &mut f.consent_channel,
                "granted" => &mut f.granted,
                "source" => &mut f.source,
                "subscription_id" => &mut f.subscription_id,
                "expires_at" => &mut f.expires_at,
                other => {
                    if properties.iter().any(|p| p == other) {
                        f.properties.push((other.to_string(), col));
                    } else if let Some(k) = other.strip_suffix("_namespace") {
                        namespaces.push((k.to_string(), col));
                    } else if let Ok(k) = IdentityKind::parse(other) {
                        f.identities.push((k, col, None));
                    } else {
                        return Err(to_py_err(Error::invalid(
                            "columns",
                            other,
                            "unknown column: expected id, at, kind, channel, amount, currency, order_id, group_id, referrer, \
                             referrer_kind, consent_channel, granted, source, subscription_id, expires_at, an identity kind \
                             (phone, wechat_unionid, …) with an optional <kind>_namespace column, or a name listed in properties=",
                        )));
                    }
                    continue;
                }
            };
            *slot = Some(col);
        }
        for (k, col) in namespaces {
            match f.identities.iter_mut().find(|(kind, _, _)| kind.to_string() == k) {
                Some(entry) => entry.2 = Some(col),
                None => {
                    return Err(to_py_err(Error::invalid(
                        "columns",
                        format!("{k}_namespace"),
                        "namespace column without its identity column",
                    )))
                }
            }
        }
        let mut prog = PyProgress::new(progress);
        let report = py.detach(|| {
            let mut pool = self.write();
            let (tz, cur) = (pool.time_zone(), pool.config().currency);
            let frame = &f;
            let mut ids = Vec::with_capacity(frame.identities.len());
            let mut on = |p| prog.call(p);
            let mut ing = pool.ingester_with_progress(frame.n as u64, &mut on);
            let mut bad = bad.into_iter().peekable();
            for i in 0..frame.n {
                if ing.stopped() {
                    break;
                }
                if let Some(err) = bad_row(&mut bad, i) {
                    ing.reject(&err);
                } else if let Err(err) = frame.push_row(i, tz, cur, &mut ids, &mut ing) {
                    ing.reject(&err);
                }
            }
            ing.finish()
        });
        report_to_py(py, &report)
    }

    #[pyo3(signature = (kind, value, namespace=None))]
    fn resolve(&self, kind: &str, value: &str, namespace: Option<String>) -> PyResult<Option<String>> {
        Ok(self.read().resolve(&to_identity(kind, value, namespace)?))
    }

    fn canonical_id(&self, customer_id: &str) -> Option<String> {
        self.read().canonical_id(customer_id)
    }

    fn customer_ids(&self) -> Vec<String> {
        self.read().customer_ids()
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.read().stats();
        let d = PyDict::new(py);
        d.set_item("events", s.events)?;
        d.set_item("identities", s.identities)?;
        d.set_item("customers", s.customers)?;
        d.set_item("conflicts", s.conflicts)?;
        d.set_item("merges", s.merges)?;
        Ok(d)
    }

    fn memory_bytes(&self) -> usize {
        self.read().memory_bytes()
    }

    /// Profile facts as columns (numpy arrays; times as int64 µs + validity masks).
    fn profiles_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (profiles, currency) = py.detach(|| {
            let pool = self.read();
            (pool.profiles(), pool.config().currency)
        });
        let d = PyDict::new(py);
        d.set_item("customer_id", profiles.iter().map(|p| p.customer_id.as_str()).collect::<Vec<_>>())?;
        d.set_item(
            "identity_count",
            profiles.iter().map(|p| p.identities.len() as i64).collect::<Vec<_>>().into_pyarray(py),
        )?;
        d.set_item("event_count", profiles.iter().map(|p| p.event_count as i64).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item("order_count", profiles.iter().map(|p| p.order_count as i64).collect::<Vec<_>>().into_pyarray(py))?;
        d.set_item(
            "refund_count",
            profiles.iter().map(|p| p.refund_count as i64).collect::<Vec<_>>().into_pyarray(py),
        )?;
        for (name, get) in [
            ("first_seen", (|p: &yutang::Profile| p.first_seen) as fn(&yutang::Profile) -> Option<Timestamp>),
            ("last_seen", |p| p.last_seen),
            ("first_order_at", |p| p.first_order_at),
            ("last_order_at", |p| p.last_order_at),
        ] {
            d.set_item(name, opt_ts(py, profiles.iter().map(get).collect()))?;
        }
        // money: every currency that occurs, reporting currency first
        let mut currencies: Vec<yutang::Currency> = vec![currency];
        for p in &profiles {
            for c in p.spend.keys() {
                if !currencies.contains(c) {
                    currencies.push(*c);
                }
            }
        }
        let money = PyList::empty(py);
        for c in currencies {
            let spend: Vec<i64> = profiles.iter().map(|p| p.spend_in(c)).collect();
            let refunds: Vec<i64> = profiles.iter().map(|p| p.refunds.get(&c).copied().unwrap_or(0)).collect();
            money.append((c.code(), c.exponent(), spend.into_pyarray(py), refunds.into_pyarray(py)))?;
        }
        d.set_item("money", money)?;
        let mut channels: Vec<yutang::Channel> = Vec::new();
        for p in &profiles {
            for c in p.channels.keys() {
                if !channels.contains(c) {
                    channels.push(c.clone());
                }
            }
        }
        channels.sort();
        let ch = PyList::empty(py);
        for c in channels {
            let events: Vec<i64> = profiles.iter().map(|p| p.channels.get(&c).map_or(0, |s| s.events as i64)).collect();
            let last = opt_ts(py, profiles.iter().map(|p| p.channels.get(&c).map(|s| s.last_at)).collect());
            ch.append((c.to_string(), events.into_pyarray(py), last))?;
        }
        d.set_item("channels", ch)?;
        Ok(d)
    }

    fn profile_json(&self, customer_id: &str) -> PyResult<String> {
        let p = self.read().profile(customer_id).map_err(to_py_err)?;
        serde_json::to_string(&p).map_err(|e| json_err("profile", e))
    }

    fn timeline_json(&self, customer_id: &str) -> PyResult<String> {
        let t = self.read().timeline(customer_id).map_err(to_py_err)?;
        serde_json::to_string(&t).map_err(|e| json_err("timeline", e))
    }

    fn export_json(&self, customer_id: &str) -> PyResult<String> {
        let x = self.read().export(customer_id).map_err(to_py_err)?;
        serde_json::to_string(&x).map_err(|e| json_err("export", e))
    }

    fn conflicts_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.read().conflicts()).map_err(|e| json_err("conflicts", e))
    }

    fn merge_log_json(&self) -> PyResult<String> {
        serde_json::to_string(self.read().merge_log()).map_err(|e| json_err("merge_log", e))
    }

    fn erase<'py>(&self, py: Python<'py>, customer_id: &str) -> PyResult<Bound<'py, PyDict>> {
        let r = py.detach(|| self.write().erase(customer_id)).map_err(to_py_err)?;
        let d = PyDict::new(py);
        d.set_item("events", r.events)?;
        d.set_item("identities", r.identities)?;
        Ok(d)
    }

    #[pyo3(signature = (kind, value, namespace=None))]
    fn unbind(&self, py: Python<'_>, kind: &str, value: &str, namespace: Option<String>) -> PyResult<Option<String>> {
        let ident = to_identity(kind, value, namespace)?;
        py.detach(|| self.write().unbind(&ident)).map_err(to_py_err)
    }

    fn apply_retention(&self, py: Python<'_>, as_of: &str) -> PyResult<usize> {
        let t = yutang::parse_time(as_of, self.read().time_zone()).map_err(to_py_err)?;
        py.detach(|| self.write().apply_retention(t)).map_err(to_py_err)
    }

    /// Attribution paths from the pool: (path strings " > "-joined, conversions, values, nulls,
    /// unattributed conversions, unattributed value).
    #[allow(clippy::type_complexity)]
    fn attribution_paths<'py>(
        &self,
        py: Python<'py>,
        as_of: &str,
        lookback_days: u32,
        conversion: &str,
    ) -> PyResult<(
        Vec<String>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        f64,
        f64,
    )> {
        let kind = EventKind::parse(conversion).map_err(to_py_err)?;
        let t = py
            .detach(|| {
                let pool = self.read();
                let as_of = yutang::parse_time(as_of, pool.time_zone())?;
                pool.attribution_paths(as_of, lookback_days, &kind)
            })
            .map_err(to_py_err)?;
        let p = &t.paths;
        let names = p.channels();
        let strings: Vec<String> = (0..p.len())
            .map(|i| p.path(i).iter().map(|&c| names[c as usize].as_str()).collect::<Vec<_>>().join(" > "))
            .collect();
        Ok((
            strings,
            p.conversions().to_vec().into_pyarray(py),
            p.values().to_vec().into_pyarray(py),
            p.nulls().to_vec().into_pyarray(py),
            t.unattributed_conversions,
            t.unattributed_value,
        ))
    }

    /// RFM summary of the customers' orders: (customer ids, frequency, recency, T, monetary).
    #[pyo3(signature = (freq="D", observation_period_end=None, include_first_transaction=false))]
    #[allow(clippy::type_complexity)]
    fn rfm_summary<'py>(
        &self,
        py: Python<'py>,
        freq: &str,
        observation_period_end: Option<&str>,
        include_first_transaction: bool,
    ) -> PyResult<(
        Vec<String>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let s = py
            .detach(|| {
                let pool = self.read();
                let mut opts = yutang::ltv::summary::SummaryOptions::new()
                    .freq(yutang::ltv::summary::Freq::parse(freq)?)
                    .include_first_transaction(include_first_transaction);
                if let Some(e) = observation_period_end {
                    opts = opts.observation_period_end(yutang::parse_time(e, pool.time_zone())?.micros());
                }
                pool.rfm_summary(&opts)
            })
            .map_err(to_py_err)?;
        let m = s.summary.monetary_value.clone().unwrap_or_default();
        Ok((
            s.customer_ids,
            s.summary.frequency.into_pyarray(py),
            s.summary.recency.into_pyarray(py),
            s.summary.t.into_pyarray(py),
            m.into_pyarray(py),
        ))
    }

    fn snapshot<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| self.read().snapshot());
        PyBytes::new(py, &bytes)
    }

    /// Write a snapshot to a file path (by Rust, the GIL released) or to a binary file object
    /// (its `write`), streaming.
    fn snapshot_to(&self, py: Python<'_>, target: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(path) = target.extract::<std::path::PathBuf>() {
            py.detach(|| {
                let f = std::fs::File::create(&path)
                    .map_err(|e| Error::Snapshot { reason: format!("cannot create the file: {e}") })?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                self.read().snapshot_to(&mut w)?;
                std::io::Write::flush(&mut w)
                    .map_err(|e| Error::Snapshot { reason: format!("cannot write the file: {e}") })
            })
            .map_err(to_py_err)
        } else {
            self.read().snapshot_to(PyIo(target.clone())).map_err(to_py_err)
        }
    }
}

/// A Python binary file object as `std::io::Read` / `Write` (its `read(n)` / `write(b)`).
struct PyIo<'py>(Bound<'py, PyAny>);

impl std::io::Write for PyIo<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.call_method1("write", (PyBytes::new(self.0.py(), buf),)).map_err(std::io::Error::other)?;
        Ok(n.extract::<usize>().unwrap_or(buf.len()).min(buf.len()))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.0.hasattr("flush").unwrap_or(false) {
            self.0.call_method0("flush").map_err(std::io::Error::other)?;
        }
        Ok(())
    }
}

impl std::io::Read for PyIo<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let got = self.0.call_method1("read", (buf.len(),)).map_err(std::io::Error::other)?;
        let bytes = got.cast::<PyBytes>().map_err(|_| std::io::Error::other("read() must return bytes"))?;
        let b = bytes.as_bytes();
        let n = b.len().min(buf.len());
        buf[..n].copy_from_slice(&b[..n]);
        Ok(n)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPool>()?;
    Ok(())
}
