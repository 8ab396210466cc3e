//! Validation of a journey definition at load, with the JSON path of the offending element.

use super::def::{Condition, Journey, StepKind};
use crate::error::{Error, Result};
use crate::model::{Channel, EventKind};

/// The target id meaning "end the instance".
pub const END: &str = "end";

/// Most steps in one journey.
pub const MAX_STEPS: usize = 1_000;

impl Journey {
    /// Check the definition: version, ids, step targets, reachability, waits, loops, offers,
    /// splits and conditions.
    ///
    /// # Errors
    /// [`Error::InvalidField`] whose field is the JSON path of the offending element
    /// (`steps[3].next`, `steps[1].max`, `triggers[0].start` …).
    pub fn validate(&self) -> Result<()> {
        if self.version != super::def::JOURNEY_VERSION {
            return Err(Error::invalid("version", self.version.to_string(), "this library reads journey version 1"));
        }
        if !valid_id(&self.id) {
            return Err(Error::invalid("id", &self.id, "ascii letters, digits, _ - . (1 to 64)"));
        }
        if self.steps.is_empty() {
            return Err(Error::invalid("steps", "[]", "a journey needs at least one step"));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(Error::limit("steps", MAX_STEPS, self.steps.len()));
        }
        if self.triggers.is_empty() {
            return Err(Error::invalid("triggers", "[]", "a journey needs at least one trigger"));
        }
        for (i, s) in self.steps.iter().enumerate() {
            if !valid_id(&s.id) || s.id == END {
                return Err(Error::invalid(
                    format!("steps[{i}].id"),
                    &s.id,
                    "ascii letters, digits, _ - . (1 to 64), not `end`",
                ));
            }
            if self.steps[..i].iter().any(|o| o.id == s.id) {
                return Err(Error::invalid(format!("steps[{i}].id"), &s.id, "duplicate step id"));
            }
        }
        let target = |path: String, id: &str| -> Result<usize> {
            if id == END {
                return Ok(usize::MAX);
            }
            self.step_index(id).ok_or_else(|| Error::invalid(path, id, "unknown step target"))
        };
        for (i, t) in self.triggers.iter().enumerate() {
            let n = t.event.is_some() as u8 + t.segment.is_some() as u8 + t.stage.is_some() as u8;
            if n != 1 {
                return Err(Error::invalid(format!("triggers[{i}]"), "", "exactly one of event, segment, stage"));
            }
            if let Some(r) = t.entry_rule_text() {
                crate::rules::parse(&r).map_err(|e| prefix(e, &format!("triggers[{i}]")))?;
                if self.instance_key != super::def::InstanceKey::Customer {
                    return Err(Error::invalid(
                        format!("triggers[{i}]"),
                        "",
                        "a segment or stage trigger has no order or subscription: use instance_key customer",
                    ));
                }
            }
            if let Some(s) = &t.start {
                target(format!("triggers[{i}].start"), s)?;
            }
            if let Some(c) = &t.when {
                check_condition(&format!("triggers[{i}].when"), c)?;
            }
        }
        if let Some(w) = self.conversion_window {
            if w.seconds() <= 0 || w > super::def::MAX_CONVERSION_WINDOW {
                return Err(Error::invalid(
                    "conversion_window",
                    w.to_string(),
                    format!("must be positive and at most {}", super::def::MAX_CONVERSION_WINDOW),
                ));
            }
        }
        if let Some(m) = self.max_lateness {
            if m.seconds() < 0 || m > super::def::MAX_CONVERSION_WINDOW {
                return Err(Error::invalid(
                    "max_lateness",
                    m.to_string(),
                    format!("must be at least 0 and at most {}", super::def::MAX_CONVERSION_WINDOW),
                ));
            }
        }
        if let super::def::Reentry::Cooldown { cooldown } = &self.reentry {
            if cooldown.seconds() < 0 {
                return Err(Error::invalid("reentry.cooldown", cooldown.to_string(), "a cooldown cannot be negative"));
            }
        }
        for (name, rules) in [("goals", &self.goals), ("exits", &self.exits)] {
            for (i, r) in rules.iter().enumerate() {
                if let Some(c) = &r.when {
                    check_condition(&format!("{name}[{i}].when"), c)?;
                }
            }
        }
        // edges, with per-step checks
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); self.steps.len()];
        let mut waits = vec![false; self.steps.len()];
        for (i, s) in self.steps.iter().enumerate() {
            let p = |f: &str| format!("steps[{i}].{f}");
            let implicit = if i + 1 < self.steps.len() { i + 1 } else { usize::MAX };
            let mut next = |n: &Option<String>| -> Result<()> {
                let t = match n {
                    Some(id) => target(p("next"), id)?,
                    None => implicit,
                };
                edges[i].push(t);
                Ok(())
            };
            match &s.kind {
                StepKind::Send { channel_by, offer, next: n, .. } => {
                    if let Some(o) = offer {
                        if !(o.is_finite() && *o > 0.0 && *o <= 1.0) {
                            return Err(Error::invalid(
                                p("offer"),
                                o.to_string(),
                                "a price level in (0, 1], e.g. 0.85",
                            ));
                        }
                    }
                    for (k, c) in channel_by.iter().enumerate() {
                        check_condition(&p(&format!("channel_by[{k}].when")), &c.when)?;
                    }
                    next(n)?;
                }
                StepKind::Wait { min, max, next: n } => {
                    if min.seconds() < 0 {
                        return Err(Error::invalid(p("min"), min.to_string(), "a wait cannot be negative"));
                    }
                    if let Some(m) = max {
                        if m < min {
                            return Err(Error::invalid(p("max"), m.to_string(), format!("wait min {min} > max {m}")));
                        }
                    }
                    waits[i] = max.unwrap_or(*min).seconds() > 0;
                    next(n)?;
                }
                StepKind::WaitUntil { next: n, .. } => {
                    waits[i] = true;
                    next(n)?;
                }
                StepKind::Hold { timeout, on_event, on_timeout, .. } => {
                    if timeout.seconds() <= 0 {
                        return Err(Error::invalid(p("timeout"), timeout.to_string(), "must be positive"));
                    }
                    waits[i] = true;
                    edges[i].push(target(p("on_event"), on_event)?);
                    edges[i].push(target(p("on_timeout"), on_timeout)?);
                }
                StepKind::Branch { cases, otherwise } => {
                    for (k, c) in cases.iter().enumerate() {
                        check_condition(&p(&format!("cases[{k}].when")), &c.when)?;
                        edges[i].push(target(p(&format!("cases[{k}].goto")), &c.goto)?);
                    }
                    edges[i].push(target(p("otherwise"), otherwise)?);
                }
                StepKind::Split { arms } => {
                    if arms.is_empty() {
                        return Err(Error::invalid(p("arms"), "[]", "a split needs at least one arm"));
                    }
                    for (k, a) in arms.iter().enumerate() {
                        if a.weight == 0 {
                            return Err(Error::invalid(p(&format!("arms[{k}].weight")), "0", "must be positive"));
                        }
                        if let Some(g) = &a.goto {
                            edges[i].push(target(p(&format!("arms[{k}].goto")), g)?);
                        }
                    }
                    if arms.iter().map(|a| a.weight as u64).sum::<u64>() > u32::MAX as u64 {
                        return Err(Error::invalid(p("arms"), "", "weights sum beyond 2^32"));
                    }
                }
                StepKind::End => {}
            }
        }
        // reachability from the trigger starts
        let mut seen = vec![false; self.steps.len()];
        let mut stack: Vec<usize> = self
            .triggers
            .iter()
            .map(|t| t.start.as_deref().map_or(0, |s| self.step_index(s).unwrap_or(usize::MAX)))
            .filter(|&s| s != usize::MAX)
            .collect();
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut seen[s], true) {
                continue;
            }
            stack.extend(edges[s].iter().copied().filter(|&t| t != usize::MAX && !seen[t]));
        }
        if let Some(i) = seen.iter().position(|&x| !x) {
            return Err(Error::invalid(format!("steps[{i}]"), &self.steps[i].id, "unreachable step"));
        }
        // a loop with no wait: a cycle among steps that take no time
        let mut color = vec![0u8; self.steps.len()];
        for s in 0..self.steps.len() {
            if !waits[s] && color[s] == 0 {
                if let Some(cycle) = find_cycle(s, &edges, &waits, &mut color, &mut Vec::new()) {
                    let names: Vec<&str> = cycle.iter().map(|&k| self.steps[k].id.as_str()).collect();
                    return Err(Error::invalid(
                        format!("steps[{}]", cycle[0]),
                        &self.steps[cycle[0]].id,
                        format!("a loop with no wait: {}", names.join(" -> ")),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn find_cycle(
    s: usize,
    edges: &[Vec<usize>],
    waits: &[bool],
    color: &mut [u8],
    path: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    color[s] = 1;
    path.push(s);
    for &t in &edges[s] {
        if t == usize::MAX || waits[t] {
            continue;
        }
        if color[t] == 1 {
            let from = path.iter().position(|&x| x == t).unwrap_or(0);
            let mut c = path[from..].to_vec();
            c.push(t);
            return Some(c);
        }
        if color[t] == 0 {
            if let Some(c) = find_cycle(t, edges, waits, color, path) {
                return Some(c);
            }
        }
    }
    path.pop();
    color[s] = 2;
    None
}

fn check_condition(path: &str, c: &Condition) -> Result<()> {
    match c {
        Condition::Count { at_least, at_most, within, .. } => {
            if let (Some(a), Some(b)) = (at_least, at_most) {
                if a > b {
                    return Err(Error::invalid(format!("{path}.count.at_most"), b.to_string(), "below at_least"));
                }
            }
            if within.is_some_and(|w| w.seconds() <= 0) {
                return Err(Error::invalid(format!("{path}.count.within"), "", "must be positive"));
            }
        }
        Condition::Tier(t) => {
            if t.is_empty() {
                return Err(Error::invalid(format!("{path}.tier"), "", "empty tier name"));
            }
        }
        Condition::Property { .. } => {}
        Condition::Rule(r) => r.validate().map_err(|e| prefix(e, &format!("{path}.rule")))?,
        Condition::RuleText(t) => {
            crate::rules::parse(t).map_err(|e| prefix(e, &format!("{path}.rule_text")))?;
        }
        Condition::All(v) | Condition::Any(v) => {
            let name = if matches!(c, Condition::All(_)) { "all" } else { "any" };
            for (k, x) in v.iter().enumerate() {
                check_condition(&format!("{path}.{name}[{k}]"), x)?;
            }
        }
        Condition::Not(x) => check_condition(&format!("{path}.not"), x)?,
    }
    Ok(())
}

/// Put the JSON path of a condition in front of an error from the condition language.
fn prefix(e: Error, path: &str) -> Error {
    match e {
        Error::InvalidField { field, value, reason } => {
            Error::InvalidField { field: path.to_string(), value, reason: format!("{field}: {reason}") }
        }
        Error::LimitExceeded { what, limit, got } => {
            Error::LimitExceeded { what: format!("{path}: {what}"), limit, got }
        }
        other => Error::invalid(path.to_string(), "", other.to_string()),
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Before deserialising: check every channel and event-kind string with its JSON path, so an
/// unknown channel is reported as `steps[2].channel` rather than a line and column.
pub(crate) fn precheck(v: &serde_json::Value, path: &str) -> Result<()> {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (k.as_str(), x) {
                    ("channel", serde_json::Value::String(s)) => {
                        Channel::parse(s).map_err(|e| rename(e, &p))?;
                    }
                    ("event", serde_json::Value::String(s)) => {
                        EventKind::parse(s).map_err(|e| rename(e, &p))?;
                    }
                    ("fallback_channels", serde_json::Value::Array(a)) => {
                        for (i, c) in a.iter().enumerate() {
                            if let Some(s) = c.as_str() {
                                Channel::parse(s).map_err(|e| rename(e, &format!("{p}[{i}]")))?;
                            }
                        }
                    }
                    _ => precheck(x, &p)?,
                }
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                precheck(x, &format!("{path}[{i}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn rename(e: Error, path: &str) -> Error {
    match e {
        Error::InvalidField { value, reason, .. } => Error::InvalidField { field: path.to_string(), value, reason },
        other => other,
    }
}

/// Deserialise with a path: on failure, narrow the error down to the first top-level element
/// (`steps[3]`, `triggers[0]` …) that does not deserialise on its own.
pub(crate) fn from_value(v: serde_json::Value) -> Result<Journey> {
    precheck(&v, "")?;
    match serde_json::from_value::<Journey>(v.clone()) {
        Ok(j) => Ok(j),
        Err(e) => {
            use super::def::{EventRule, Step, Trigger};
            fn first_bad<T: serde::de::DeserializeOwned>(v: &serde_json::Value, key: &str) -> Option<(String, String)> {
                let a = v.get(key)?.as_array()?;
                a.iter().enumerate().find_map(|(i, x)| {
                    serde_json::from_value::<T>(x.clone()).err().map(|e| (format!("{key}[{i}]"), e.to_string()))
                })
            }
            let found = first_bad::<Step>(&v, "steps")
                .or_else(|| first_bad::<Trigger>(&v, "triggers"))
                .or_else(|| first_bad::<EventRule>(&v, "goals"))
                .or_else(|| first_bad::<EventRule>(&v, "exits"));
            Err(match found {
                Some((path, why)) => Error::invalid(path, "", why),
                None => Error::invalid("journey", "", e.to_string()),
            })
        }
    }
}
