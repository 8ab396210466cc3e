//! The path data model: paths of interned channel ids with conversions, value and nulls.

use crate::{Error, Result};
use foldhash::fast::FixedState;
use hashbrown::HashMap;

use super::{map_chunks, CHUNK};

/// Index of a channel in [`Paths::channels`] (order of first appearance).
pub type ChannelId = u32;

/// Most distinct channels a [`Paths`] may hold.
pub const MAX_CHANNELS: usize = 1 << 20;

fn hasher() -> FixedState {
    FixedState::with_seed(0x7975_7461_6e67_0007)
}

/// Customer paths: per path a sequence of channel ids, its conversions, conversion value and
/// nulls (how many times the same path ended without a conversion).
///
/// Invariants (checked by every constructor): each path has at least one touch; channel
/// names are non-empty and trimmed; conversions, values and nulls are finite and `>= 0`.
/// Channel ids are numbered in order of first appearance.
///
/// # Example
/// ```
/// use yutang::attribution::Paths;
/// let p = Paths::parse(&["a > b", "b > a > a"], &[1.0, 2.0], None, None, ">")?;
/// assert_eq!(p.channels(), ["a", "b"]);
/// assert_eq!(p.path(1), [1, 0, 0]);
/// assert_eq!(p.total_conversions(), 3.0);
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    pub(crate) channels: Vec<String>,
    pub(crate) offsets: Vec<usize>,
    pub(crate) touches: Vec<ChannelId>,
    /// Per touch: how long before the end of its path it happened, in days.
    pub(crate) ages: Option<Vec<f64>>,
    pub(crate) conversions: Vec<f64>,
    pub(crate) values: Vec<f64>,
    pub(crate) nulls: Vec<f64>,
}

impl Paths {
    /// Parse path strings such as `"douyin > wechat > taobao"`.
    ///
    /// `sep` is the separator: exactly one character that is not whitespace (as in
    /// ChannelAttribution, `">"` by default there). Each channel name is trimmed of surrounding
    /// whitespace. `values` and `nulls` default to zeros. Parsing runs in parallel with the
    /// `parallel` feature; channel ids are still numbered by first appearance.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field and row: `sep` for a bad separator;
    /// `conversions` / `values` / `nulls` when the lengths differ from `paths`;
    /// `paths[i]` for an empty path, `paths[i][j]` for an empty channel name (position `j`);
    /// `conversions[i]`, `values[i]`, `nulls[i]` for a negative, NaN or infinite number.
    /// [`Error::LimitExceeded`] past [`MAX_CHANNELS`] distinct channels.
    ///
    /// # Example
    /// ```
    /// use yutang::attribution::Paths;
    /// let p = Paths::parse(&[" a | b "], &[1.0], Some(&[9.5]), None, "|")?;
    /// assert_eq!(p.channels(), ["a", "b"]);
    /// let err = Paths::parse(&["a >  > b"], &[1.0], None, None, ">").unwrap_err();
    /// assert_eq!(err.field(), Some("paths[0][1]"));
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn parse<S>(
        paths: &[S],
        conversions: &[f64],
        values: Option<&[f64]>,
        nulls: Option<&[f64]>,
        sep: &str,
    ) -> Result<Paths>
    where
        S: AsRef<str> + Sync,
    {
        parse_rows(paths.len(), |i| Ok(paths[i].as_ref()), conversions, values, nulls, sep)
    }

    /// Parse paths stored back to back in one string, row `i` being
    /// `text[offsets[i]..offsets[i + 1]]` (the layout of an Arrow string column). Same rules
    /// and errors as [`parse`](Self::parse), without a `&str` per row.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), plus `offsets` when it is empty while there are numbers,
    /// and `paths[i]` when row `i`'s offsets are decreasing, out of range or not on a
    /// character boundary.
    ///
    /// # Example
    /// ```
    /// use yutang::attribution::Paths;
    /// // rows "a > bb", "a", "bb > a"
    /// let p = Paths::parse_concatenated("a > bbabb > a", &[0, 6, 7, 13], &[1.0, 0.0, 2.0], None, None, ">")?;
    /// assert_eq!(p.channels(), ["a", "bb"]);
    /// assert_eq!(p.path(2), [1, 0]);
    /// let bad = Paths::parse_concatenated("ab", &[0, 2, 1], &[1.0, 1.0], None, None, ">").unwrap_err();
    /// assert_eq!(bad.field(), Some("paths[1]"));
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn parse_concatenated(
        text: &str,
        offsets: &[i64],
        conversions: &[f64],
        values: Option<&[f64]>,
        nulls: Option<&[f64]>,
        sep: &str,
    ) -> Result<Paths> {
        let n = offsets.len().saturating_sub(1);
        if offsets.is_empty() && !conversions.is_empty() {
            return Err(Error::invalid("offsets", "[]", "needs one more entry than there are paths"));
        }
        let row = |i: usize| -> Result<&str> {
            let (a, b) = (offsets[i], offsets[i + 1]);
            usize::try_from(a)
                .ok()
                .zip(usize::try_from(b).ok())
                .filter(|(a, b)| a <= b)
                .and_then(|(a, b)| text.get(a..b))
                .ok_or_else(|| {
                    Error::invalid(
                        format!("paths[{i}]"),
                        format!("{a}..{b}"),
                        "offsets are not a valid slice of the text",
                    )
                })
        };
        parse_rows(n, row, conversions, values, nulls, sep)
    }
    /// Number of paths.
    pub fn len(&self) -> usize {
        self.conversions.len()
    }

    /// `true` when there are no paths.
    pub fn is_empty(&self) -> bool {
        self.conversions.is_empty()
    }

    /// Channel names, indexed by [`ChannelId`], in order of first appearance.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// The id of a channel name, if it appears.
    pub fn channel_id(&self, name: &str) -> Option<ChannelId> {
        self.channels.iter().position(|c| c == name).map(|i| i as ChannelId)
    }

    /// The touches of path `i`. Panics if `i >= len()` (an index, not user data).
    pub fn path(&self, i: usize) -> &[ChannelId] {
        &self.touches[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Per touch of path `i`, how many days before the end of the path it happened; `None`
    /// for parsed paths (they carry no times: models then count steps instead).
    pub fn ages(&self, i: usize) -> Option<&[f64]> {
        self.ages.as_ref().map(|a| &a[self.offsets[i]..self.offsets[i + 1]])
    }

    /// Conversions per path.
    pub fn conversions(&self) -> &[f64] {
        &self.conversions
    }

    /// Conversion value per path.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Nulls (non-converting occurrences) per path.
    pub fn nulls(&self) -> &[f64] {
        &self.nulls
    }

    /// Sum of conversions over all paths.
    pub fn total_conversions(&self) -> f64 {
        self.conversions.iter().sum()
    }

    /// Sum of conversion value over all paths.
    pub fn total_value(&self) -> f64 {
        self.values.iter().sum()
    }

    /// Sum of nulls over all paths.
    pub fn total_nulls(&self) -> f64 {
        self.nulls.iter().sum()
    }

    /// Total number of touches over all paths.
    pub fn touch_count(&self) -> usize {
        self.touches.len()
    }

    /// Keep only the paths for which `keep(i)` is true (channel ids and names are kept).
    pub fn filter(&self, keep: impl Fn(usize) -> bool) -> Paths {
        let mut b = Paths {
            channels: self.channels.clone(),
            offsets: vec![0],
            touches: Vec::new(),
            ages: self.ages.as_ref().map(|_| Vec::new()),
            conversions: Vec::new(),
            values: Vec::new(),
            nulls: Vec::new(),
        };
        for i in 0..self.len() {
            if keep(i) {
                b.touches.extend_from_slice(self.path(i));
                if let (Some(dst), Some(src)) = (b.ages.as_mut(), self.ages(i)) {
                    dst.extend_from_slice(src);
                }
                b.offsets.push(b.touches.len());
                b.conversions.push(self.conversions[i]);
                b.values.push(self.values[i]);
                b.nulls.push(self.nulls[i]);
            }
        }
        b
    }
}

/// Builds [`Paths`] row by row.
///
/// # Example
/// ```
/// use yutang::attribution::PathsBuilder;
/// let mut b = PathsBuilder::new();
/// b.push(&["sms", "app"], 1.0, 30.0, 0.0)?;
/// b.push(&["app"], 0.0, 0.0, 4.0)?;
/// let paths = b.build();
/// assert_eq!(paths.channels(), ["sms", "app"]);
/// assert_eq!(paths.total_nulls(), 4.0);
/// # Ok::<(), yutang::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PathsBuilder {
    index: HashMap<String, ChannelId, FixedState>,
    paths: Paths,
}

impl Default for PathsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PathsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        PathsBuilder {
            index: HashMap::with_hasher(hasher()),
            paths: Paths {
                channels: Vec::new(),
                offsets: vec![0],
                touches: Vec::new(),
                ages: None,
                conversions: Vec::new(),
                values: Vec::new(),
                nulls: Vec::new(),
            },
        }
    }

    /// Number of paths pushed so far.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// `true` before the first push.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Append one path of channel names (trimmed) with its conversions, value and nulls.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for an empty path (`paths[i]`), an empty channel name
    /// (`paths[i][j]`), or a negative / non-finite number (`conversions[i]`, `values[i]`,
    /// `nulls[i]`), where `i` is the row being pushed. Nothing is appended on error.
    pub fn push<S: AsRef<str>>(&mut self, channels: &[S], conversions: f64, value: f64, nulls: f64) -> Result<()> {
        self.push_inner(channels, None, conversions, value, nulls)
    }

    /// Like [`push`](Self::push), with each touch's age in days before the end of the path
    /// (used by time decay). Mixing rows with and without ages is allowed: rows without get
    /// their step distance from the end.
    ///
    /// # Errors
    /// As [`push`](Self::push), plus `ages` when its length differs from the path and
    /// `ages[i][j]` for a negative or non-finite age.
    pub fn push_with_ages<S: AsRef<str>>(
        &mut self,
        channels: &[S],
        ages: &[f64],
        conversions: f64,
        value: f64,
        nulls: f64,
    ) -> Result<()> {
        self.push_inner(channels, Some(ages), conversions, value, nulls)
    }

    fn push_inner<S: AsRef<str>>(
        &mut self,
        channels: &[S],
        ages: Option<&[f64]>,
        conversions: f64,
        value: f64,
        nulls: f64,
    ) -> Result<()> {
        let row = self.paths.len();
        if channels.is_empty() {
            return Err(Error::invalid(format!("paths[{row}]"), "", "a path needs at least one channel"));
        }
        for (j, c) in channels.iter().enumerate() {
            if c.as_ref().trim().is_empty() {
                return Err(Error::invalid(format!("paths[{row}][{j}]"), c.as_ref(), "empty channel name"));
            }
        }
        check_number("conversions", row, conversions)?;
        check_number("values", row, value)?;
        check_number("nulls", row, nulls)?;
        if let Some(a) = ages {
            if a.len() != channels.len() {
                return Err(Error::invalid(
                    "ages",
                    a.len().to_string(),
                    format!("length differs from the path ({})", channels.len()),
                ));
            }
            for (j, &x) in a.iter().enumerate() {
                if !x.is_finite() || x < 0.0 {
                    return Err(Error::invalid(format!("ages[{row}][{j}]"), x.to_string(), "must be finite and >= 0"));
                }
            }
        }
        if self.paths.ages.is_none() && ages.is_some() {
            // Earlier rows had no ages: give them their step distances.
            let mut all = Vec::with_capacity(self.paths.touches.len());
            for i in 0..row {
                let n = self.paths.offsets[i + 1] - self.paths.offsets[i];
                all.extend((0..n).map(|j| (n - 1 - j) as f64));
            }
            self.paths.ages = Some(all);
        }
        for c in channels {
            let name = c.as_ref().trim();
            let id = match self.index.get(name) {
                Some(&id) => id,
                None => {
                    let id = self.paths.channels.len();
                    if id >= MAX_CHANNELS {
                        return Err(Error::limit("channels", MAX_CHANNELS, id + 1));
                    }
                    self.index.insert(name.to_string(), id as ChannelId);
                    self.paths.channels.push(name.to_string());
                    id as ChannelId
                }
            };
            self.paths.touches.push(id);
        }
        if let Some(dst) = self.paths.ages.as_mut() {
            match ages {
                Some(a) => dst.extend_from_slice(a),
                None => {
                    let n = channels.len();
                    dst.extend((0..n).map(|j| (n - 1 - j) as f64));
                }
            }
        }
        self.paths.offsets.push(self.paths.touches.len());
        self.paths.conversions.push(conversions);
        self.paths.values.push(value);
        self.paths.nulls.push(nulls);
        Ok(())
    }

    /// Finish.
    pub fn build(self) -> Paths {
        self.paths
    }
}

fn parse_rows<'a, R>(
    n: usize,
    row: R,
    conversions: &[f64],
    values: Option<&[f64]>,
    nulls: Option<&[f64]>,
    sep: &str,
) -> Result<Paths>
where
    R: Fn(usize) -> Result<&'a str> + Sync,
{
    let sep = parse_sep(sep)?;
    check_len("conversions", conversions.len(), n)?;
    if let Some(v) = values {
        check_len("values", v.len(), n)?;
    }
    if let Some(v) = nulls {
        check_len("nulls", v.len(), n)?;
    }
    for i in 0..n {
        check_number("conversions", i, conversions[i])?;
        if let Some(v) = values {
            check_number("values", i, v[i])?;
        }
        if let Some(v) = nulls {
            check_number("nulls", i, v[i])?;
        }
    }
    let chunks = map_chunks(n, CHUNK, |range| parse_chunk(&row, range, sep));
    let mut global: HashMap<String, ChannelId, FixedState> = HashMap::with_hasher(hasher());
    let mut channels: Vec<String> = Vec::new();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0usize);
    let total_touches: usize = chunks.iter().map(|c| c.as_ref().map(|c| c.touches.len()).unwrap_or(0)).sum();
    let mut touches = Vec::with_capacity(total_touches);
    for chunk in chunks {
        let chunk = chunk?;
        let mut remap = Vec::with_capacity(chunk.names.len());
        for name in chunk.names {
            let id = match global.get(name) {
                Some(&id) => id,
                None => {
                    let id = channels.len();
                    if id >= MAX_CHANNELS {
                        return Err(Error::limit("channels", MAX_CHANNELS, id + 1));
                    }
                    global.insert(name.to_string(), id as ChannelId);
                    channels.push(name.to_string());
                    id as ChannelId
                }
            };
            remap.push(id);
        }
        let base = touches.len();
        touches.extend(chunk.touches.iter().map(|&t| remap[t as usize]));
        offsets.extend(chunk.ends.iter().map(|&e| base + e));
    }
    Ok(Paths {
        channels,
        offsets,
        touches,
        ages: None,
        conversions: conversions.to_vec(),
        values: values.map(<[f64]>::to_vec).unwrap_or_else(|| vec![0.0; n]),
        nulls: nulls.map(<[f64]>::to_vec).unwrap_or_else(|| vec![0.0; n]),
    })
}

struct Chunk<'a> {
    names: Vec<&'a str>,
    touches: Vec<ChannelId>,
    /// Touch count after each path of the chunk (relative to the chunk).
    ends: Vec<usize>,
}

/// A small open-addressing interner for the hot parsing loop: names hashed with FNV-1a
/// while they are scanned, so each touch costs one pass over its bytes and one probe.
struct Interner<'a> {
    slots: Vec<(u64, u32)>,
    names: Vec<&'a str>,
}

const EMPTY: u32 = u32::MAX;

impl<'a> Interner<'a> {
    fn new() -> Self {
        Interner { slots: vec![(0, EMPTY); 64], names: Vec::new() }
    }

    fn id(&mut self, name: &'a str, hash: u64) -> ChannelId {
        let mask = self.slots.len() - 1;
        let mut i = (hash as usize) & mask;
        loop {
            let (h, id) = self.slots[i];
            if id == EMPTY {
                break;
            }
            if h == hash && same(self.names[id as usize].as_bytes(), name.as_bytes()) {
                return id;
            }
            i = (i + 1) & mask;
        }
        let id = self.names.len() as ChannelId;
        self.slots[i] = (hash, id);
        self.names.push(name);
        if self.names.len() * 2 > self.slots.len() {
            let mut bigger = vec![(0u64, EMPTY); self.slots.len() * 2];
            let mask = bigger.len() - 1;
            for &(h, id) in self.slots.iter().filter(|s| s.1 != EMPTY) {
                let mut j = (h as usize) & mask;
                while bigger[j].1 != EMPTY {
                    j = (j + 1) & mask;
                }
                bigger[j] = (h, id);
            }
            self.slots = bigger;
        }
        id
    }
}

/// Byte equality without a `memcmp` call for the short names that dominate.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && (a.len() > 24 && a == b || a.len() <= 24 && a.iter().zip(b).all(|(x, y)| x == y))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a without the final mixing (the caller mixes: `h ^ (h >> 29)`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(FNV_PRIME);
    }
    h
}

fn parse_chunk<'a, R>(row: &R, range: std::ops::Range<usize>, sep: char) -> Result<Chunk<'a>>
where
    R: Fn(usize) -> Result<&'a str>,
{
    let mut interner = Interner::new();
    let mut touches = Vec::with_capacity(range.len() * 8);
    let mut ends = Vec::with_capacity(range.len());
    let ascii_sep = if sep.is_ascii() { Some(sep as u8) } else { None };
    for i in range {
        let s = row(i)?;
        let before = touches.len();
        match ascii_sep {
            Some(b) => {
                // One pass per row: find separators, trim ASCII whitespace and hash the name.
                let bytes = s.as_bytes();
                let (mut first, mut last) = (usize::MAX, 0usize);
                let (mut h, mut h_last) = (FNV_OFFSET, FNV_OFFSET);
                let mut seg_start = 0usize;
                let mut j = 0usize;
                for k in 0..=bytes.len() {
                    let c = bytes.get(k).copied().unwrap_or(b);
                    if c == b {
                        let name = if first == usize::MAX {
                            ""
                        } else if bytes[first].is_ascii() && bytes[last].is_ascii() {
                            &s[first..=last]
                        } else {
                            // Non-ASCII at an end: trim Unicode whitespace too, hash again.
                            let t = s[seg_start..k].trim();
                            h_last = fnv1a(t.as_bytes());
                            t
                        };
                        if name.is_empty() {
                            return Err(empty_error(s, i, j));
                        }
                        touches.push(interner.id(name, h_last ^ (h_last >> 29)));
                        first = usize::MAX;
                        h = FNV_OFFSET;
                        h_last = FNV_OFFSET;
                        seg_start = k + 1;
                        j += 1;
                    } else if c.is_ascii_whitespace() {
                        if first != usize::MAX {
                            h = (h ^ c as u64).wrapping_mul(FNV_PRIME);
                        }
                    } else {
                        if first == usize::MAX {
                            first = k;
                        }
                        h = (h ^ c as u64).wrapping_mul(FNV_PRIME);
                        h_last = h;
                        last = k;
                    }
                }
            }
            None => {
                for (j, part) in s.split(sep).enumerate() {
                    let name = part.trim();
                    if name.is_empty() {
                        return Err(empty_error(s, i, j));
                    }
                    let h = fnv1a(name.as_bytes());
                    touches.push(interner.id(name, h ^ (h >> 29)));
                }
            }
        }
        debug_assert!(touches.len() > before);
        ends.push(touches.len());
    }
    Ok(Chunk { names: interner.names, touches, ends })
}

fn empty_error(s: &str, i: usize, j: usize) -> Error {
    if s.trim().is_empty() {
        Error::invalid(format!("paths[{i}]"), s, "a path needs at least one channel")
    } else {
        Error::invalid(format!("paths[{i}][{j}]"), s, "empty channel name")
    }
}

fn parse_sep(sep: &str) -> Result<char> {
    let mut it = sep.chars();
    match (it.next(), it.next()) {
        (Some(c), None) if !c.is_whitespace() => Ok(c),
        _ => Err(Error::invalid("sep", sep, "the separator must be exactly one non-whitespace character")),
    }
}

pub(crate) fn check_len(field: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(Error::invalid(field, got.to_string(), format!("length differs from the paths ({want})")));
    }
    Ok(())
}

pub(crate) fn check_number(field: &str, row: usize, x: f64) -> Result<()> {
    if !x.is_finite() || x < 0.0 {
        return Err(Error::invalid(format!("{field}[{row}]"), x.to_string(), "must be finite and >= 0"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_appearance_order_across_chunks() {
        let n = CHUNK * 2 + 7;
        let mut rows = vec!["a > b".to_string(); n];
        rows[CHUNK + 3] = "z > a".to_string();
        rows[n - 1] = "y".to_string();
        let p = Paths::parse(&rows, &vec![1.0; n], None, None, ">").unwrap();
        assert_eq!(p.channels(), ["a", "b", "z", "y"]);
        assert_eq!(p.path(CHUNK + 3), [2, 0]);
        assert_eq!(p.path(n - 1), [3]);
        assert_eq!(p.len(), n);
    }

    #[test]
    fn errors_name_the_row() {
        let e = Paths::parse(&["a", "b", " "], &[1.0; 3], None, None, ">").unwrap_err();
        assert_eq!(e.field(), Some("paths[2]"));
        let e = Paths::parse(&["a", "b>"], &[1.0; 2], None, None, ">").unwrap_err();
        assert_eq!(e.field(), Some("paths[1][1]"));
        let e = Paths::parse(&["a", "b"], &[1.0, f64::NAN], None, None, ">").unwrap_err();
        assert_eq!(e.field(), Some("conversions[1]"));
        let e = Paths::parse(&["a", "b"], &[1.0, 1.0], Some(&[1.0, -2.0]), None, ">").unwrap_err();
        assert_eq!(e.field(), Some("values[1]"));
        let e = Paths::parse(&["a", "b"], &[1.0, 1.0], None, Some(&[-1.0, 0.0]), ">").unwrap_err();
        assert_eq!(e.field(), Some("nulls[0]"));
        let e = Paths::parse(&["a"], &[1.0, 1.0], None, None, ">").unwrap_err();
        assert_eq!(e.field(), Some("conversions"));
        for bad in ["", ">>", " "] {
            let e = Paths::parse(&["a"], &[1.0], None, None, bad).unwrap_err();
            assert_eq!(e.field(), Some("sep"));
        }
    }

    #[test]
    fn trims_ascii_and_unicode_whitespace_keeps_inner_spaces() {
        let rows = ["\u{3000}抖音 >  staff chat\t> 抖音\u{3000}", "staff chat>\u{3000}微信", "a→ b →c"];
        let p = Paths::parse(&rows[..2], &[1.0, 1.0], None, None, ">").unwrap();
        assert_eq!(p.channels(), ["抖音", "staff chat", "微信"]);
        assert_eq!(p.path(0), [0, 1, 0]);
        assert_eq!(p.path(1), [1, 2]);
        let q = Paths::parse(&rows[2..], &[1.0], None, None, "→").unwrap();
        assert_eq!(q.channels(), ["a", "b", "c"]);
        let e = Paths::parse(&["a>\u{3000}>b"], &[1.0], None, None, ">").unwrap_err();
        assert_eq!(e.field(), Some("paths[0][1]"));
    }

    #[test]
    fn many_channels_grow_the_interner() {
        let rows: Vec<String> = (0..5000).map(|i| format!("c{i} > c{}", i / 2)).collect();
        let p = Paths::parse(&rows, &vec![1.0; rows.len()], None, None, ">").unwrap();
        assert_eq!(p.channels().len(), 5000);
        assert_eq!(p.channel_id("c4999"), Some(4999));
        assert_eq!(p.path(4999), [4999, 2499]);
    }

    #[test]
    fn builder_matches_parse() {
        let p = Paths::parse(&["x > y > x", "y"], &[1.0, 0.0], Some(&[2.0, 0.0]), Some(&[0.0, 3.0]), ">").unwrap();
        let mut b = PathsBuilder::new();
        b.push(&["x", "y", "x"], 1.0, 2.0, 0.0).unwrap();
        b.push(&[" y "], 0.0, 0.0, 3.0).unwrap();
        assert_eq!(b.build(), p);
    }

    #[test]
    fn builder_backfills_step_ages() {
        let mut b = PathsBuilder::new();
        b.push(&["a", "b", "c"], 1.0, 0.0, 0.0).unwrap();
        b.push_with_ages(&["a"], &[2.5], 1.0, 0.0, 0.0).unwrap();
        assert!(b.push_with_ages(&["a"], &[1.0, 2.0], 1.0, 0.0, 0.0).is_err());
        let p = b.build();
        assert_eq!(p.ages(0), Some(&[2.0, 1.0, 0.0][..]));
        assert_eq!(p.ages(1), Some(&[2.5][..]));
    }
}
