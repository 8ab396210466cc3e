//! Markov-chain attribution with removal effects, solved exactly on the absorbing chain.

use crate::{Error, Result};
use foldhash::fast::FixedState;
use hashbrown::HashMap;

use super::{map_chunks, map_items, scale_to_total, ChannelId, Paths, CHUNK};

/// Tunables of [`markov_model`], with a builder.
///
/// # Example
/// ```
/// use yutang::attribution::MarkovOptions;
/// let o = MarkovOptions::new().order(2);
/// assert_eq!(o.order, 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MarkovOptions {
    /// Markov order, 1 to 4: a state is the tuple of the last `order` channels.
    pub order: usize,
    /// Most transient states (start + channel tuples) before [`Error::LimitExceeded`].
    pub max_states: usize,
    /// Chains with at most this many transient states are solved by dense LU; larger ones by
    /// Gauss–Seidel iteration to machine precision.
    pub dense_limit: usize,
    /// Most Gauss–Seidel sweeps before [`Error::NotConverged`].
    pub max_iterations: u32,
}

impl Default for MarkovOptions {
    fn default() -> Self {
        MarkovOptions { order: 1, max_states: 2_000_000, dense_limit: 300, max_iterations: 100_000 }
    }
}

impl MarkovOptions {
    /// The defaults: order 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the Markov order (1–4).
    pub fn order(mut self, order: usize) -> Self {
        self.order = order;
        self
    }

    /// Set the largest chain solved by dense LU.
    pub fn dense_limit(mut self, n: usize) -> Self {
        self.dense_limit = n;
        self
    }

    /// Set the most transient states allowed.
    pub fn max_states(mut self, n: usize) -> Self {
        self.max_states = n;
        self
    }

    /// Set the most Gauss–Seidel sweeps.
    pub fn max_iterations(mut self, n: u32) -> Self {
        self.max_iterations = n;
        self
    }
}

/// A state of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MarkovState {
    /// Where every path begins.
    Start,
    /// The last `order` channels (fewer for shorter paths), oldest first.
    Channels(Vec<ChannelId>),
    /// Absorbing: the path converted.
    Conversion,
    /// Absorbing: the path ended without a conversion.
    Null,
}

/// One transition of the chain, from the observed counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Index into [`MarkovAttribution::states`].
    pub from: usize,
    /// Index into [`MarkovAttribution::states`].
    pub to: usize,
    /// Observed weight (conversions + nulls of the paths taking it).
    pub count: f64,
    /// `count` divided by the total weight leaving `from`.
    pub probability: f64,
}

/// Markov attribution: per channel attributed conversions and value, removal effects, and
/// the chain itself.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkovAttribution {
    /// Channel names in order of first appearance.
    pub channels: Vec<String>,
    /// Conversions attributed to each channel (sum = observed conversions).
    pub conversions: Vec<f64>,
    /// Value attributed to each channel (sum = observed value).
    pub value: Vec<f64>,
    /// Removal effect on conversions: `1 − P(conversion without the channel) / P(conversion)`.
    pub removal_effects: Vec<f64>,
    /// Removal effect on the expected conversion value.
    pub removal_effects_value: Vec<f64>,
    /// Probability of reaching conversion from start.
    pub conversion_probability: f64,
    /// Expected conversion value per path from start.
    pub expected_value: f64,
    /// States: `Start` first, channel tuples in order of first appearance, then `Conversion`
    /// and `Null`.
    pub states: Vec<MarkovState>,
    /// Transitions with positive count, sorted by `(from, to)`.
    pub transitions: Vec<Transition>,
}

impl MarkovAttribution {
    /// A state's display name: `(start)`, `(conversion)`, `(null)`, or its channel names
    /// joined by `sep` (ChannelAttribution's special names).
    ///
    /// # Example
    /// ```
    /// use yutang::attribution::{markov_model, MarkovOptions, Paths};
    /// let p = Paths::parse(&["a > b"], &[1.0], None, None, ">")?;
    /// let m = markov_model(&p, &MarkovOptions::new().order(2))?;
    /// assert_eq!(m.state_name(1, " > "), "a > b");
    /// assert_eq!(m.state_name(0, ","), "(start)");
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn state_name(&self, i: usize, sep: &str) -> String {
        match self.states.get(i) {
            Some(MarkovState::Start) => "(start)".to_string(),
            Some(MarkovState::Conversion) => "(conversion)".to_string(),
            Some(MarkovState::Null) => "(null)".to_string(),
            Some(MarkovState::Channels(ids)) => ids
                .iter()
                .map(|&c| self.channels.get(c as usize).map(String::as_str).unwrap_or("?"))
                .collect::<Vec<_>>()
                .join(sep),
            None => String::new(),
        }
    }
}

type Key = [u32; 4];
const PAD: u32 = u32::MAX;
/// Target columns beyond the channel states, in chunk-local edge keys.
const T_CONV: u32 = u32::MAX - 2;
const T_NULL: u32 = u32::MAX - 1;
const T_VALUE: u32 = u32::MAX;
/// Order-1 chains with at most this many channels count transitions in a dense matrix.
const DENSE_COUNT_LIMIT: usize = 128;

fn hasher() -> FixedState {
    FixedState::with_seed(0x6d61_726b_6f76)
}

enum Edges {
    /// Order 1, few channels: rows `0..=m` (start, channels), columns `0..m+4`
    /// (`1..=m` channel states, `m+1` conversion, `m+2` null, `m+3` value).
    Dense { width: usize, counts: Vec<f64> },
    /// Keys `(from << 32) | to` with chunk-local state ids (`0` = start, `k + 1` = local
    /// state `k`) and the `T_*` targets.
    Sparse(HashMap<u64, f64, FixedState>),
}

struct ChunkChain {
    /// Local state keys (empty for order 1: the state of channel `c` is `c + 1`).
    keys: Vec<Key>,
    edges: Edges,
}

fn chunk_chain(paths: &Paths, range: std::ops::Range<usize>, order: usize, dense: bool) -> ChunkChain {
    let m = paths.channels.len();
    let mut keys: Vec<Key> = Vec::new();
    let mut local: HashMap<Key, u32, FixedState> = HashMap::with_hasher(hasher());
    let mut edges = if dense {
        let width = m + 4;
        Edges::Dense { width, counts: vec![0.0; (m + 1) * width] }
    } else {
        Edges::Sparse(HashMap::with_hasher(hasher()))
    };
    let mut seq: Vec<u32> = Vec::new();
    for i in range {
        let c = paths.conversions[i];
        let nl = paths.nulls[i];
        let w = c + nl;
        if w <= 0.0 {
            continue;
        }
        let t = paths.path(i);
        let n = t.len();
        if n == 0 {
            continue;
        }
        seq.clear();
        if order == 1 {
            for &ch in t {
                let s = ch + 1;
                if seq.last() != Some(&s) {
                    seq.push(s);
                }
            }
        } else {
            let windows = if n <= order { 1 } else { n - order + 1 };
            for start in 0..windows {
                let end = (start + order).min(n);
                let mut key = [PAD; 4];
                key[..end - start].copy_from_slice(&t[start..end]);
                let id = match local.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = keys.len() as u32 + 1;
                        local.insert(key, id);
                        keys.push(key);
                        id
                    }
                };
                if seq.last() != Some(&id) {
                    seq.push(id);
                }
            }
        }
        let last = *seq.last().unwrap_or(&0);
        match &mut edges {
            Edges::Dense { width, counts } => {
                let width = *width;
                let mut from = 0usize;
                for &s in &seq {
                    counts[from * width + s as usize] += w;
                    from = s as usize;
                }
                let last = last as usize;
                if c > 0.0 {
                    counts[last * width + m + 1] += c;
                    counts[last * width + m + 3] += paths.values[i];
                }
                if nl > 0.0 {
                    counts[last * width + m + 2] += nl;
                }
            }
            Edges::Sparse(map) => {
                let mut from = 0u64;
                for &s in &seq {
                    *map.entry((from << 32) | s as u64).or_insert(0.0) += w;
                    from = s as u64;
                }
                let last = (last as u64) << 32;
                if c > 0.0 {
                    *map.entry(last | T_CONV as u64).or_insert(0.0) += c;
                    *map.entry(last | T_VALUE as u64).or_insert(0.0) += paths.values[i];
                }
                if nl > 0.0 {
                    *map.entry(last | T_NULL as u64).or_insert(0.0) += nl;
                }
            }
        }
    }
    ChunkChain { keys, edges }
}

/// The chain in compressed rows over transient states `0..n` (`0` = start).
struct Chain {
    n: usize,
    row_start: Vec<usize>,
    cols: Vec<u32>,
    probs: Vec<f64>,
    /// Per transient state: probability of stepping to conversion, and that times the mean
    /// value per conversion of the paths ending there.
    reward: Vec<[f64; 2]>,
}

/// Exact Markov-chain attribution (ChannelAttribution's chain, solved instead of simulated).
///
/// **The chain.** States are `start`, channel tuples and the absorbing `conversion` and
/// `null`. A path's state sequence is its touches (order 1) or its sliding windows of
/// `order` touches (a path shorter than `order` is one state), with consecutive repeats
/// merged (`a > a > b` is `a → b`). A path with `c` conversions and `u` nulls adds `c + u`
/// to `start → s₁` and to every `sᵢ → sᵢ₊₁`, `c` to `s_last → conversion` and `u` to
/// `s_last → null`; rows are normalised to probabilities.
///
/// **Removal effects.** With `x = Q x + r` over transient states (`r_s` = probability of
/// `s → conversion`), `P = x_start` is the conversion probability. Removing channel `k`
/// sends every transition into a state containing `k` to `null` (solve with `x_s = 0` there),
/// giving `P₋ₖ`; the removal effect is `RE_k = 1 − P₋ₖ / P`, the probability that a
/// converting walk visits `k` — exactly what ChannelAttribution estimates by simulation.
/// The value model uses `r_s` = probability of `s → conversion` times the mean value per
/// conversion of the paths ending in `s` (ChannelAttribution draws values from that
/// distribution). Channel `k` is attributed `RE_k / Σ RE × observed conversions` (and the
/// same with value removal effects for value).
///
/// **Solving.** Up to [`MarkovOptions::dense_limit`] transient states: dense LU with partial
/// pivoting; larger chains: Gauss–Seidel sweeps until the change is at machine precision.
/// Deterministic; the removal solves run in parallel with the `parallel` feature.
///
/// # Errors
/// [`Error::InvalidField`] for `order` outside 1–4; [`Error::LimitExceeded`] beyond
/// [`MarkovOptions::max_states`]; [`Error::NotConverged`] if Gauss–Seidel does not settle
/// within [`MarkovOptions::max_iterations`].
///
/// # Example
/// ```
/// use yutang::attribution::{markov_model, MarkovOptions, Paths};
/// // start → a, b (½ each); a → b; b → conversion, null (½ each).
/// // P = ½·½ + ½·½ = ½; without a: ¼ (RE ½); without b: 0 (RE 1).
/// let p = Paths::parse(&["a > b", "b"], &[1.0, 0.0], None, Some(&[0.0, 1.0]), ">")?;
/// let m = markov_model(&p, &MarkovOptions::new())?;
/// assert!((m.removal_effects[0] - 0.5).abs() < 1e-15 && (m.removal_effects[1] - 1.0).abs() < 1e-15);
/// assert!((m.conversions[0] - 1.0 / 3.0).abs() < 1e-15 && (m.conversions[1] - 2.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn markov_model(paths: &Paths, options: &MarkovOptions) -> Result<MarkovAttribution> {
    let order = options.order;
    if !(1..=4).contains(&order) {
        return Err(Error::invalid("order", order.to_string(), "the Markov order must be 1, 2, 3 or 4"));
    }
    let m = paths.channels.len();
    let dense = order == 1 && m <= DENSE_COUNT_LIMIT;
    let chunks = map_chunks(paths.len(), CHUNK, |r| chunk_chain(paths, r, order, dense));

    // Global states (index 0 = start) and edges.
    let mut keys: Vec<Key> = Vec::new();
    let mut index: HashMap<Key, u32, FixedState> = HashMap::with_hasher(hasher());
    if order == 1 {
        keys.extend((0..m as u32).map(|c| [c, PAD, PAD, PAD]));
    }
    // Edge sums per (from, to) with global ids; `to` uses the T_* targets.
    let mut global: HashMap<u64, f64, FixedState> = HashMap::with_hasher(hasher());
    let mut dense_sum: Option<(usize, Vec<f64>)> = None;
    for chunk in chunks {
        let remap: Vec<u32> = if order == 1 {
            Vec::new()
        } else {
            let mut remap = Vec::with_capacity(chunk.keys.len() + 1);
            remap.push(0);
            for key in &chunk.keys {
                let id = match index.get(key) {
                    Some(&id) => id,
                    None => {
                        if keys.len() + 1 >= options.max_states {
                            return Err(Error::limit("Markov states", options.max_states, keys.len() + 2));
                        }
                        keys.push(*key);
                        let id = keys.len() as u32;
                        index.insert(*key, id);
                        id
                    }
                };
                remap.push(id);
            }
            remap
        };
        match chunk.edges {
            Edges::Dense { width, counts } => match &mut dense_sum {
                Some((_, acc)) => acc.iter_mut().zip(counts).for_each(|(a, b)| *a += b),
                None => dense_sum = Some((width, counts)),
            },
            Edges::Sparse(map) => {
                for (k, w) in map {
                    let (from, to) = ((k >> 32) as u32, (k & 0xffff_ffff) as u32);
                    let (from, to) = if order == 1 {
                        (from, to)
                    } else {
                        let f = remap[from as usize];
                        let t = if to >= T_CONV { to } else { remap[to as usize] };
                        (f, t)
                    };
                    *global.entry(((from as u64) << 32) | to as u64).or_insert(0.0) += w;
                }
            }
        }
    }
    let s_count = keys.len();
    let n = s_count + 1;
    if n > options.max_states {
        return Err(Error::limit("Markov states", options.max_states, n));
    }
    let conv_state = n;
    let null_state = n + 1;
    // Rows: (to, count) sorted; plus conv, null, value per row.
    let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    let mut conv = vec![0.0f64; n];
    let mut null = vec![0.0f64; n];
    let mut val = vec![0.0f64; n];
    if let Some((width, acc)) = dense_sum {
        for from in 0..n {
            let row = &acc[from * width..(from + 1) * width];
            for (to, &w) in row.iter().enumerate().take(m + 1).skip(1) {
                if w > 0.0 {
                    rows[from].push((to as u32, w));
                }
            }
            conv[from] = row[m + 1];
            null[from] = row[m + 2];
            val[from] = row[m + 3];
        }
    } else {
        let mut entries: Vec<(u64, f64)> = global.into_iter().collect();
        entries.sort_unstable_by_key(|e| e.0);
        for (k, w) in entries {
            let (from, to) = ((k >> 32) as usize, (k & 0xffff_ffff) as u32);
            match to {
                T_CONV => conv[from] += w,
                T_NULL => null[from] += w,
                T_VALUE => val[from] += w,
                _ => {
                    if w > 0.0 {
                        rows[from].push((to, w))
                    }
                }
            }
        }
    }

    let mut chain = Chain { n, row_start: vec![0], cols: Vec::new(), probs: Vec::new(), reward: vec![[0.0; 2]; n] };
    let mut transitions = Vec::new();
    for s in 0..n {
        let total: f64 = rows[s].iter().map(|e| e.1).sum::<f64>() + conv[s] + null[s];
        if total > 0.0 {
            for &(t, w) in &rows[s] {
                chain.cols.push(t);
                chain.probs.push(w / total);
                transitions.push(Transition { from: s, to: t as usize, count: w, probability: w / total });
            }
            if conv[s] > 0.0 {
                transitions.push(Transition { from: s, to: conv_state, count: conv[s], probability: conv[s] / total });
            }
            if null[s] > 0.0 {
                transitions.push(Transition { from: s, to: null_state, count: null[s], probability: null[s] / total });
            }
            chain.reward[s] = [conv[s] / total, val[s] / total];
        }
        chain.row_start.push(chain.cols.len());
    }

    // Which states each channel removes.
    let mut removes: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (k, key) in keys.iter().enumerate() {
        for (pos, &c) in key.iter().enumerate() {
            if c == PAD {
                break;
            }
            if key[..pos].contains(&c) {
                continue;
            }
            if let Some(r) = removes.get_mut(c as usize) {
                r.push(k + 1);
            }
        }
    }
    let base = solve(&chain, &[], None, options)?;
    let (p, ev) = (base[0][0], base[0][1]);
    let jobs: Vec<(usize, Vec<usize>)> = removes.into_iter().enumerate().collect();
    let removal = map_items(jobs, |(_, removed)| -> Result<[f64; 2]> {
        // A channel with no state in the chain (only on zero-weight paths) removes nothing.
        let reached =
            removed.iter().any(|&s| chain.row_start[s + 1] > chain.row_start[s] || chain.reward[s] != [0.0; 2]);
        if !reached {
            return Ok([p, ev]);
        }
        let x = solve(&chain, &removed, Some(&base), options)?;
        Ok(x[0])
    });
    let mut re = Vec::with_capacity(m);
    let mut re_v = Vec::with_capacity(m);
    for r in removal {
        let [pk, vk] = r?;
        re.push(if p > 0.0 { (1.0 - pk / p).clamp(0.0, 1.0) } else { 0.0 });
        re_v.push(if ev > 0.0 { (1.0 - vk / ev).clamp(0.0, 1.0) } else { 0.0 });
    }
    let conversions = scale_to_total(&re, paths.total_conversions());
    let value = scale_to_total(&re_v, paths.total_value());

    let mut states = Vec::with_capacity(n + 2);
    states.push(MarkovState::Start);
    states.extend(keys.iter().map(|k| MarkovState::Channels(k.iter().copied().take_while(|&c| c != PAD).collect())));
    states.push(MarkovState::Conversion);
    states.push(MarkovState::Null);
    Ok(MarkovAttribution {
        channels: paths.channels.clone(),
        conversions,
        value,
        removal_effects: re,
        removal_effects_value: re_v,
        conversion_probability: p,
        expected_value: ev,
        states,
        transitions,
    })
}

/// Solve `x = Q x + r` (two right-hand sides) with `x_s = 0` for removed states.
fn solve(
    chain: &Chain,
    removed: &[usize],
    warm: Option<&[[f64; 2]]>,
    options: &MarkovOptions,
) -> Result<Vec<[f64; 2]>> {
    let n = chain.n;
    let mut is_removed = vec![false; n];
    for &s in removed {
        if s < n {
            is_removed[s] = true;
        }
    }
    if n <= options.dense_limit {
        return Ok(solve_dense(chain, &is_removed));
    }
    let mut x: Vec<[f64; 2]> = match warm {
        Some(w) => w.to_vec(),
        None => vec![[0.0; 2]; n],
    };
    for (s, r) in is_removed.iter().enumerate() {
        if *r {
            x[s] = [0.0; 2];
        }
    }
    let eps = f64::EPSILON;
    let mut prev_delta = f64::INFINITY;
    for it in 0..options.max_iterations {
        let mut delta = 0.0f64;
        let mut xmax = 0.0f64;
        for s in 0..n {
            if is_removed[s] {
                continue;
            }
            let mut acc = chain.reward[s];
            for e in chain.row_start[s]..chain.row_start[s + 1] {
                let t = chain.cols[e] as usize;
                let q = chain.probs[e];
                acc[0] += q * x[t][0];
                acc[1] += q * x[t][1];
            }
            for k in 0..2 {
                let d = (acc[k] - x[s][k]).abs();
                // Relative to the scale of this right-hand side.
                delta = delta.max(d);
                xmax = xmax.max(acc[k].abs());
            }
            x[s] = acc;
        }
        if delta <= 2.0 * eps * xmax {
            return Ok(x);
        }
        let rate = delta / prev_delta;
        if rate < 1.0 && delta * (rate / (1.0 - rate)).max(1.0) <= 8.0 * eps * xmax {
            return Ok(x);
        }
        prev_delta = delta;
        if it + 1 == options.max_iterations {
            break;
        }
    }
    Err(Error::NotConverged {
        iterations: options.max_iterations,
        reason: "Gauss-Seidel on the Markov chain did not reach machine precision".to_string(),
    })
}

/// Dense LU with partial pivoting on `(I − Q) x = r`, removed rows replaced by `x_s = 0`.
fn solve_dense(chain: &Chain, is_removed: &[bool]) -> Vec<[f64; 2]> {
    let n = chain.n;
    let mut a = vec![0.0f64; n * n];
    let mut b: Vec<[f64; 2]> = vec![[0.0; 2]; n];
    for s in 0..n {
        a[s * n + s] = 1.0;
        if is_removed[s] {
            continue;
        }
        for e in chain.row_start[s]..chain.row_start[s + 1] {
            let t = chain.cols[e] as usize;
            a[s * n + t] -= chain.probs[e];
        }
        b[s] = chain.reward[s];
    }
    // Gaussian elimination with partial pivoting (I − Q is an M-matrix: pivots stay positive).
    for k in 0..n {
        let mut piv = k;
        let mut best = a[k * n + k].abs();
        for i in k + 1..n {
            let v = a[i * n + k].abs();
            if v > best {
                best = v;
                piv = i;
            }
        }
        if best == 0.0 {
            continue;
        }
        if piv != k {
            for j in 0..n {
                a.swap(k * n + j, piv * n + j);
            }
            b.swap(k, piv);
        }
        let d = a[k * n + k];
        for i in k + 1..n {
            let f = a[i * n + k] / d;
            if f != 0.0 {
                a[i * n + k] = 0.0;
                for j in k + 1..n {
                    a[i * n + j] -= f * a[k * n + j];
                }
                b[i][0] -= f * b[k][0];
                b[i][1] -= f * b[k][1];
            }
        }
    }
    let mut x = vec![[0.0f64; 2]; n];
    for k in (0..n).rev() {
        let mut acc = b[k];
        for j in k + 1..n {
            acc[0] -= a[k * n + j] * x[j][0];
            acc[1] -= a[k * n + j] * x[j][1];
        }
        let d = a[k * n + k];
        x[k] = if d != 0.0 { [acc[0] / d, acc[1] / d] } else { [0.0; 2] };
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_iterative_agree() {
        let rows = ["a > b > c", "b > a", "c", "a > a > b", "c > b > a > c", "b"];
        let conv = [1.0, 2.0, 0.0, 1.0, 3.0, 1.0];
        let nulls = [1.0, 0.0, 3.0, 2.0, 1.0, 4.0];
        let vals = [10.0, 5.0, 0.0, 3.0, 7.0, 1.0];
        let p = Paths::parse(&rows, &conv, Some(&vals), Some(&nulls), ">").unwrap();
        for order in 1..=4 {
            let d = markov_model(&p, &MarkovOptions::new().order(order)).unwrap();
            let g = markov_model(&p, &MarkovOptions::new().order(order).dense_limit(0)).unwrap();
            for (x, y) in d.removal_effects.iter().zip(&g.removal_effects) {
                assert!((x - y).abs() < 1e-14, "order {order}: {d:?} vs {g:?}");
            }
            for (x, y) in d.removal_effects_value.iter().zip(&g.removal_effects_value) {
                assert!((x - y).abs() < 1e-14);
            }
            let total: f64 = d.conversions.iter().sum();
            assert!((total - 8.0).abs() < 1e-12);
        }
    }

    #[test]
    fn order_out_of_range() {
        let p = Paths::parse(&["a"], &[1.0], None, None, ">").unwrap();
        assert_eq!(markov_model(&p, &MarkovOptions::new().order(5)).unwrap_err().field(), Some("order"));
        assert!(markov_model(&p, &MarkovOptions::new().order(0)).is_err());
    }

    #[test]
    fn higher_order_states_are_windows() {
        let p = Paths::parse(&["a > b > c", "a"], &[1.0, 1.0], None, None, ">").unwrap();
        let m = markov_model(&p, &MarkovOptions::new().order(2)).unwrap();
        let names: Vec<String> = (0..m.states.len()).map(|i| m.state_name(i, ">")).collect();
        assert_eq!(names, ["(start)", "a>b", "b>c", "a", "(conversion)", "(null)"]);
    }

    #[test]
    fn no_conversions_gives_zeros() {
        let p = Paths::parse(&["a > b"], &[0.0], None, Some(&[2.0]), ">").unwrap();
        let m = markov_model(&p, &MarkovOptions::new()).unwrap();
        assert_eq!(m.conversions, [0.0, 0.0]);
        assert_eq!(m.conversion_probability, 0.0);
    }
}
