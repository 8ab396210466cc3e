//! State of the modules built on the pool (segment and tag definitions, manual tags, lifecycle
//! settings, journeys and their instances). The pool holds it beside the events, and a snapshot
//! writes it as named, versioned sections, one per module whose state is not the default. Each
//! section is written from its module's frozen types (`segment::section`,
//! `lifecycle::section`, `journey::section`), never from the runtime structs, so those can
//! change without changing the file format.
//!
//! A module adds one field to [`Extensions`], a `section` module with its frozen types, and
//! one line to each of `encode` and `decode`.

use crate::error::{Error, Result};
use serde::{de::DeserializeOwned, Serialize};

/// The state of the modules built on the pool.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Extensions {
    /// Lifecycle configuration and RFM settings.
    pub lifecycle: crate::lifecycle::LifecycleState,
    /// Segments, tag groups, manual tags and host attributes (the condition language).
    pub rules: crate::segment::RulesState,
    /// Journeys, their instances and settings (section `journeys`).
    pub journeys: crate::journey::JourneyState,
}

/// A section as written: its name, its version and its bytes (postcard of the frozen types of
/// that version).
pub(super) type Section = (String, u16, Vec<u8>);

fn put<T: Serialize>(out: &mut Vec<Section>, name: &str, version: u16, frozen: Option<T>) -> Result<()> {
    if let Some(v) = frozen {
        let bytes = postcard::to_stdvec(&v)
            .map_err(|e| Error::Snapshot { reason: format!("section `{name}` does not encode: {e}") })?;
        out.push((name.to_string(), version, bytes));
    }
    Ok(())
}

/// Check that this library reads version `version` of section `name`.
fn check_version(name: &str, version: u16, newest: u16) -> Result<()> {
    if version == 0 || version > newest {
        return Err(Error::Snapshot {
            reason: format!(
                "section `{name}` has version {version}, this library reads versions 1 to {newest}; upgrade yutang"
            ),
        });
    }
    Ok(())
}

/// The frozen value of a section, after checking that this library reads its version.
fn take<T: DeserializeOwned>(name: &str, version: u16, newest: u16, bytes: &[u8]) -> Result<T> {
    check_version(name, version, newest)?;
    super::frames::decode_exact(bytes)
        .map_err(|why| Error::Snapshot { reason: format!("corrupted section `{name}`: {why}") })
}

impl Extensions {
    /// The named sections of a snapshot, in a fixed order.
    pub fn encode(&self) -> Result<Vec<Section>> {
        use crate::{journey, lifecycle, segment};
        let default = Extensions::default();
        let mut out = Vec::new();
        let lc = (self.lifecycle != default.lifecycle).then(|| lifecycle::section::LifecycleV1::of(&self.lifecycle));
        put(&mut out, "lifecycle", lifecycle::section::VERSION, lc)?;
        let rules = (self.rules != default.rules).then(|| segment::section::RulesV1::of(&self.rules)).transpose()?;
        put(&mut out, "rules", segment::section::VERSION, rules)?;
        if self.journeys != default.journeys {
            let js = journey::section::Frozen::of(&self.journeys);
            put(&mut out, "journeys", js.version(), Some(js))?;
        }
        Ok(out)
    }

    /// Read the named sections back. An unknown section, or a version of a section newer than
    /// this library reads, comes from a newer library.
    pub fn decode(sections: Vec<Section>) -> Result<Extensions> {
        use crate::{journey, lifecycle, segment};
        let mut ext = Extensions::default();
        let mut names: Vec<&str> = sections.iter().map(|(n, _, _)| n.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::Snapshot { reason: format!("section `{}` appears twice", w[0]) });
        }
        for (name, version, bytes) in sections {
            match name.as_str() {
                "lifecycle" => {
                    let v: lifecycle::section::LifecycleV1 = take(&name, version, lifecycle::section::VERSION, &bytes)?;
                    ext.lifecycle = v.into_state()?;
                }
                "rules" => {
                    let v: segment::section::RulesV1 = take(&name, version, segment::section::VERSION, &bytes)?;
                    ext.rules = v.into_state()?;
                }
                "journeys" => {
                    check_version(&name, version, journey::section::VERSION)?;
                    ext.journeys = journey::section::decode(version, &bytes)?;
                }
                _ => {
                    return Err(Error::Snapshot {
                        reason: format!("unknown section `{name}` (written by a newer library); upgrade yutang"),
                    })
                }
            }
        }
        Ok(ext)
    }

    /// Heap bytes the modules hold.
    pub fn heap_bytes(&self) -> usize {
        crate::heap::encoded(&self.lifecycle) + self.rules.heap_bytes() + self.journeys.heap_bytes()
    }

    /// Drop what the modules hold for an erased customer (the id and every alias of it, and
    /// their identities: tags set on an identity go too).
    pub fn on_erase(&mut self, customer_ids: &[String], identities: &[crate::model::Identity]) {
        self.rules.on_erase(customer_ids, identities);
        self.journeys.on_erase(customer_ids);
    }
}

/// A value derived from the whole pool at one `as_of` (the RFM value tiers that the condition
/// language reads for `tier`), computed once and dropped on any change of the pool. Not part
/// of the snapshot; a clone starts empty.
#[derive(Default)]
pub(crate) struct AsOfCache(std::sync::Mutex<Option<Cached>>);

/// A cached value: its `as_of`, the value, and the heap bytes it holds.
type Cached = (i64, std::sync::Arc<dyn std::any::Any + Send + Sync>, usize);

impl Clone for AsOfCache {
    fn clone(&self) -> Self {
        AsOfCache::default()
    }
}

impl std::fmt::Debug for AsOfCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AsOfCache")
    }
}

impl AsOfCache {
    /// The value at `as_of`, computed by `f` if it is not cached (the lock is not held while
    /// computing, so `f` may run in parallel or call back into the pool).
    pub fn get_or_compute<T: std::any::Any + Send + Sync + crate::heap::Heap>(
        &self,
        as_of: i64,
        f: impl FnOnce() -> T,
    ) -> std::sync::Arc<T> {
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((t, v, _)) = lock().as_ref() {
            if *t == as_of {
                if let Ok(v) = v.clone().downcast::<T>() {
                    return v;
                }
            }
        }
        let v = std::sync::Arc::new(f());
        let bytes = std::mem::size_of::<T>() + v.heap();
        *lock() = Some((as_of, v.clone(), bytes));
        v
    }

    /// Heap bytes of the cached value.
    pub fn heap_bytes(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map_or(0, |c| c.2)
    }

    /// Forget the cached value.
    pub fn clear(&mut self) {
        *self.0.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
