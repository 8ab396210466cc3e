//! Markov-chain attribution with removal effects, solved exactly on the absorbing chain.

use crate::{Error, Result};
use foldhash::fast::FixedState;
use hashbrown::HashMap;

use super::removal::{self, green_diagonal, Budget};
use super::{check_finite, check_totals, map_chunks, map_items, scale_to_total, ChannelId, Paths, CHUNK};

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
    /// Markov order, 1 to 4: a state is a window of `order` consecutive touches of the path (a
    /// path shorter than `order` is one state), as in ChannelAttribution.
    pub order: usize,
    /// Most transient states (start + channel tuples) before [`Error::LimitExceeded`].
    pub max_states: usize,
    /// Chains with at most this many transient states are solved by dense LU; larger ones by
    /// Gauss–Seidel iteration to machine precision.
    pub dense_limit: usize,
    /// Most Gauss–Seidel sweeps before [`Error::NotConverged`].
    pub max_iterations: u32,
    /// Most work for the removal effects, in units of about one multiply-add, before
    /// [`Error::LimitExceeded`] (see [`markov_model`], "Cost"). Default `2·10¹⁰`: seconds to
    /// some tens of seconds on one core.
    pub max_work: u64,
}

impl Default for MarkovOptions {
    fn default() -> Self {
        MarkovOptions {
            order: 1,
            max_states: 2_000_000,
            dense_limit: 300,
            max_iterations: 100_000,
            max_work: DEFAULT_MAX_WORK,
        }
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

    /// Set the most work for the removal effects (units of about one multiply-add).
    pub fn max_work(mut self, units: u64) -> Self {
        self.max_work = units;
        self
    }
}

/// Default of [`MarkovOptions::max_work`].
pub const DEFAULT_MAX_WORK: u64 = 20_000_000_000;

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
pub(super) struct Chain {
    pub(super) n: usize,
    pub(super) row_start: Vec<usize>,
    pub(super) cols: Vec<u32>,
    pub(super) probs: Vec<f64>,
    /// Per transient state: probability of stepping to conversion, and that times the mean
    /// value per conversion of the paths ending there.
    pub(super) reward: Vec<[f64; 2]>,
    /// Per transient state: probability of stepping into `conversion` or `null` (`1` for a
    /// state without transitions).
    pub(super) exit: Vec<f64>,
}

impl Chain {
    /// The transposed system `y = e_start + Qᵀ y`: `y_s` is the expected number of visits to
    /// `s` of a walk from start.
    fn transposed_visits(&self) -> Chain {
        let n = self.n;
        let mut row_start = vec![0usize; n + 1];
        for &t in &self.cols {
            row_start[t as usize + 1] += 1;
        }
        for i in 0..n {
            row_start[i + 1] += row_start[i];
        }
        let mut fill = row_start.clone();
        let mut cols = vec![0u32; self.cols.len()];
        let mut probs = vec![0.0f64; self.cols.len()];
        for s in 0..n {
            for e in self.row_start[s]..self.row_start[s + 1] {
                let t = self.cols[e] as usize;
                cols[fill[t]] = s as u32;
                probs[fill[t]] = self.probs[e];
                fill[t] += 1;
            }
        }
        let mut reward = vec![[0.0; 2]; n];
        if n > 0 {
            reward[0] = [1.0, 0.0];
        }
        Chain { n, row_start, cols, probs, reward, exit: vec![0.0; n] }
    }
}

/// The chain built from the paths, before solving.
struct Built {
    keys: Vec<Key>,
    chain: Chain,
    transitions: Vec<Transition>,
}

fn overflow(field: &str, what: &str) -> Error {
    Error::invalid(field, "inf", format!("{what} overflows f64: the counts are too large to add up"))
}

fn build_chain(paths: &Paths, options: &MarkovOptions) -> Result<Built> {
    let order = options.order;
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

    let mut chain = Chain {
        n,
        row_start: vec![0],
        cols: Vec::new(),
        probs: Vec::new(),
        reward: vec![[0.0; 2]; n],
        exit: vec![1.0; n],
    };
    let mut transitions = Vec::new();
    for s in 0..n {
        let total: f64 = rows[s].iter().map(|e| e.1).sum::<f64>() + conv[s] + null[s];
        if !total.is_finite() {
            // A path adds its weight once per step: repeats can overflow finite totals.
            return Err(overflow("conversions + nulls", "the weight of the transitions out of one state"));
        }
        if !val[s].is_finite() {
            return Err(overflow("values", "the value of the paths ending in one state"));
        }
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
            chain.exit[s] = (conv[s] + null[s]) / total;
        }
        chain.row_start.push(chain.cols.len());
    }
    Ok(Built { keys, chain, transitions })
}

/// For each channel, the states containing it (for order 1 just its own state, `c + 1`).
fn states_of_channels(keys: &[Key], m: usize) -> Vec<Vec<usize>> {
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
    removes
}

/// Exact Markov-chain attribution (ChannelAttribution's chain, solved instead of simulated).
///
/// **The chain.** States are `start`, channel tuples and the absorbing `conversion` and
/// `null`. A path's state sequence is its touches (order 1) or its sliding windows of
/// `order` touches as they are, a window possibly repeating a channel (a path shorter than
/// `order` is one state), with equal consecutive states merged (order 1: `a > a > b` is
/// `a → b`; order 2: `a > a > a > b` is `a > a → a > b`). A path with `c` conversions and `u` nulls adds `c + u`
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
/// **Solving.** `x` (and, for order 1, the expected visits from start): up to
/// [`MarkovOptions::dense_limit`] transient states dense LU with partial pivoting, larger
/// chains Gauss–Seidel sweeps until the change is at machine precision.
///
/// Order 1 has no re-solve per channel: a state is a channel, and by the strong Markov
/// property at the first visit `P₋ₖ = P − f_k · x_k`, where `f_k`, the probability of ever
/// reaching `k`, is the expected number of visits to `k` from start divided by the expected
/// number of visits to `k` from `k`. The latter is `1` for a channel on no cycle of the chain
/// and otherwise the diagonal of the inverse of `I − Q` on its strongly connected component,
/// computed by sparse elimination (subtraction-free, fewest fill first, dense once the rest
/// is dense) and the Takahashi recurrences on the pattern of the factors.
///
/// Orders 2–4 remove a *set* of states per channel, where that identity does not apply:
/// each channel is solved for the probability (value) it loses, `P − P₋ₖ`, by Gauss–Seidel on
/// just the states from which one of its states can be reached (dense LU per channel for
/// chains within `dense_limit`).
///
/// **Cost.** Order 1: proportional to the transitions, plus, inside cycles, the fill of the
/// elimination — small when the channels that lead back to each other are few or only
/// loosely linked (a few popular channels and a long tail), growing up to the cube of the
/// component for channels that all lead to each other at random. Orders 2–4: per sweep, the
/// transitions out of the states that can reach each channel, summed over the channels —
/// up to channels × transitions when most states can reach most channels. Both are metered
/// in units of about one multiply-add and limited by [`MarkovOptions::max_work`]
/// ([`Error::LimitExceeded`] beyond). Deterministic; with the `parallel` feature the
/// order-2–4 removal solves run in parallel.
///
/// # Errors
/// [`Error::InvalidField`] for `order` outside 1–4, and naming `conversions`, `values`,
/// `nulls` or `conversions + nulls` when their totals (or the weight of the transitions out
/// of one state, which counts a path once per step) overflow f64; [`Error::LimitExceeded`]
/// beyond [`MarkovOptions::max_states`] or [`MarkovOptions::max_work`];
/// [`Error::NotConverged`] if Gauss–Seidel does not settle within
/// [`MarkovOptions::max_iterations`].
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
    check_totals(paths)?;
    let m = paths.channels.len();
    let Built { keys, chain, transitions } = build_chain(paths, options)?;
    let n = chain.n;

    let base = solve(&chain, &[], None, options)?;
    let (p, ev) = (base[0][0], base[0][1]);
    let mut budget = Budget::new(options.max_work);
    let share = |loss: f64, total: f64| if total > 0.0 { (loss / total).clamp(0.0, 1.0) } else { 0.0 };
    let (re, re_v): (Vec<f64>, Vec<f64>) = if order == 1 {
        let losses = order1_losses(&chain, &base, options, &mut budget)?;
        // The state of channel c is c + 1.
        losses[1..].iter().map(|&[lc, lv]| (share(lc, p), share(lv, ev))).unzip()
    } else {
        let removes = states_of_channels(&keys, m);
        let losses = removal_solves(&chain, &base, removes, options, &mut budget)?;
        losses.iter().map(|&[lc, lv]| (share(lc, p), share(lv, ev))).unzip()
    };
    let conversions = scale_to_total(&re, paths.total_conversions());
    let value = scale_to_total(&re_v, paths.total_value());
    check_finite(&conversions, "conversions")?;
    check_finite(&value, "values")?;

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

/// Order 1: per state `s`, `P − P₋ₛ` and `E − E₋ₛ` (conversion probability and expected value
/// lost when `s` is removed) by the first-visit identity.
fn order1_losses(
    chain: &Chain,
    base: &[[f64; 2]],
    options: &MarkovOptions,
    budget: &mut Budget,
) -> Result<Vec<[f64; 2]>> {
    let visits = solve(&chain.transposed_visits(), &[], None, options)?;
    let own = green_diagonal(chain, budget)?;
    Ok((0..chain.n)
        .map(|s| {
            let reach = if own[s] > 0.0 { (visits[s][0] / own[s]).clamp(0.0, 1.0) } else { 0.0 };
            [reach * base[s][0], reach * base[s][1]]
        })
        .collect())
}

/// Channels solved per batch of parallel removal solves; the work budget is settled between
/// batches, so whether it is exceeded does not depend on the thread count.
const REMOVAL_BATCH: usize = 64;

/// Orders 2–4: per channel, `[P − P₋ₖ, E − E₋ₖ]` (conversion probability and expected value
/// lost when the channel's states are removed).
fn removal_solves(
    chain: &Chain,
    base: &[[f64; 2]],
    removes: Vec<Vec<usize>>,
    options: &MarkovOptions,
    budget: &mut Budget,
) -> Result<Vec<[f64; 2]>> {
    let n = chain.n;
    let [p, ev] = base[0];
    // A channel with no state in the chain (only on zero-weight paths) removes nothing.
    let reached = |removed: &[usize]| {
        removed.iter().any(|&s| chain.row_start[s + 1] > chain.row_start[s] || chain.reward[s] != [0.0; 2])
    };
    if n <= options.dense_limit {
        let solves = removes.iter().filter(|r| reached(r)).count() as u64;
        budget.spend(solves.saturating_mul((n as u64).pow(3) / 3 + 1))?;
        let out = map_items(removes, |removed| {
            if !reached(&removed) {
                return [0.0; 2];
            }
            let mut is_removed = vec![false; n];
            removed.iter().for_each(|&s| is_removed[s] = true);
            let [pk, vk] = solve_dense(chain, &is_removed)[0];
            [p - pk, ev - vk]
        });
        return Ok(out);
    }
    let preds = chain.transposed_visits();
    let mut out = Vec::with_capacity(removes.len());
    let mut jobs = removes.into_iter();
    loop {
        let batch: Vec<Vec<usize>> = jobs.by_ref().take(REMOVAL_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let cap = budget.left();
        let used = budget.used;
        let results = map_items(batch, |removed| -> Result<([f64; 2], u64)> {
            if !reached(&removed) {
                return Ok(([0.0; 2], 0));
            }
            restricted_loss(chain, &preds, base, &removed, options, cap, used)
        });
        let mut work = 0u64;
        for r in results {
            let (x, w) = r?;
            out.push(x);
            work = work.saturating_add(w);
        }
        budget.spend(work)?;
    }
    Ok(out)
}

thread_local! {
    /// Per state: its index in the current restricted system, [`GONE`] for a removed state,
    /// [`FREE`] otherwise. Reused by the solves on one thread (reset after each).
    static LOCAL: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}
const FREE: u32 = u32::MAX;
const GONE: u32 = u32::MAX - 1;

/// `[P − P₋ₖ, E − E₋ₖ]` for one removed set of states `R`. The loss `δ = x − x₋ₖ` is zero on
/// the states that cannot reach `R`, `x` on `R`, and on the states `A` that can reach it solves
/// `δ = Q_AA δ + Q_AR x_R` — all terms non-negative, so no cancellation, solved by
/// Gauss–Seidel from zero with the later states first (the direction in which conversion
/// probabilities flow). Returns the work done; fails once it passes `cap`.
fn restricted_loss(
    chain: &Chain,
    preds: &Chain,
    base: &[[f64; 2]],
    removed: &[usize],
    options: &MarkovOptions,
    cap: u64,
    used: u64,
) -> Result<([f64; 2], u64)> {
    LOCAL.with(|cell| {
        let mut local = cell.borrow_mut();
        if local.len() < chain.n {
            local.resize(chain.n, FREE);
        }
        let mut list: Vec<u32> = Vec::new();
        let result = restricted_loss_in(chain, preds, base, removed, options, cap, used, &mut local, &mut list);
        for &s in removed {
            local[s] = FREE;
        }
        for &s in &list {
            local[s as usize] = FREE;
        }
        result
    })
}

#[allow(clippy::too_many_arguments)]
fn restricted_loss_in(
    chain: &Chain,
    preds: &Chain,
    base: &[[f64; 2]],
    removed: &[usize],
    options: &MarkovOptions,
    cap: u64,
    used: u64,
    local: &mut [u32],
    list: &mut Vec<u32>,
) -> Result<([f64; 2], u64)> {
    let mut work = 0u64;
    for &s in removed {
        local[s] = GONE;
    }
    // The states that can reach a removed state: backwards from the removed states.
    let mut frontier: Vec<u32> = removed.iter().map(|&s| s as u32).collect();
    while let Some(v) = frontier.pop() {
        let v = v as usize;
        let preds_of = &preds.cols[preds.row_start[v]..preds.row_start[v + 1]];
        work += preds_of.len() as u64 + 1;
        for &u in preds_of {
            if local[u as usize] == FREE {
                local[u as usize] = 0;
                list.push(u);
                frontier.push(u);
            }
        }
        if work > cap {
            return Err(removal::over(options.max_work, used.saturating_add(work)));
        }
    }
    if local[0] == FREE {
        return Ok(([0.0; 2], work)); // start cannot reach the channel
    }
    // Later states first.
    list.sort_unstable_by(|a, b| b.cmp(a));
    for (i, &s) in list.iter().enumerate() {
        local[s as usize] = i as u32;
    }
    // The sub-system over `list`; the right-hand side is the flow into the removed states.
    let k = list.len();
    let mut row_start = Vec::with_capacity(k + 1);
    row_start.push(0usize);
    let mut cols: Vec<u32> = Vec::new();
    let mut probs: Vec<f64> = Vec::new();
    let mut rhs: Vec<[f64; 2]> = Vec::with_capacity(k);
    let mut scale = [0.0f64; 2];
    for &s in list.iter() {
        let s = s as usize;
        let mut acc = [0.0f64; 2];
        for e in chain.row_start[s]..chain.row_start[s + 1] {
            let t = chain.cols[e] as usize;
            let q = chain.probs[e];
            match local[t] {
                FREE => {}
                GONE => {
                    acc[0] += q * base[t][0];
                    acc[1] += q * base[t][1];
                }
                j => {
                    cols.push(j);
                    probs.push(q);
                }
            }
        }
        for c in 0..2 {
            scale[c] = scale[c].max(base[s][c]);
        }
        work += (chain.row_start[s + 1] - chain.row_start[s]) as u64 + 1;
        rhs.push(acc);
        row_start.push(cols.len());
    }
    let start = local[0] as usize;
    let mut x: Vec<[f64; 2]> = vec![[0.0; 2]; k];
    let sweep = (cols.len() + k) as u64;
    // Converged once a sweep changes nothing beyond machine precision of the probabilities
    // (values) themselves, the accuracy of the solution without the channel.
    let mut state = [Sweeps::new(), Sweeps::new()];
    let mut done = [false; 2];
    for it in 0..options.max_iterations {
        work += sweep;
        if work > cap {
            return Err(removal::over(options.max_work, used.saturating_add(work)));
        }
        let mut delta = [0.0f64; 2];
        for s in 0..k {
            let mut acc = rhs[s];
            for e in row_start[s]..row_start[s + 1] {
                let t = cols[e] as usize;
                acc[0] += probs[e] * x[t][0];
                acc[1] += probs[e] * x[t][1];
            }
            for c in 0..2 {
                delta[c] = delta[c].max((acc[c] - x[s][c]).abs());
            }
            x[s] = acc;
        }
        for c in 0..2 {
            done[c] = done[c] || state[c].converged(delta[c], scale[c]);
        }
        if done[0] && done[1] {
            return Ok((x[start], work));
        }
        if it + 1 == options.max_iterations {
            break;
        }
    }
    Err(not_converged(options))
}

/// The stopping rule of the Gauss–Seidel sweeps: the change is at machine precision, or the
/// geometric tail of the remaining changes is.
struct Sweeps {
    prev_delta: f64,
}

impl Sweeps {
    fn new() -> Self {
        Sweeps { prev_delta: f64::INFINITY }
    }

    fn converged(&mut self, delta: f64, xmax: f64) -> bool {
        let eps = f64::EPSILON;
        if delta <= 2.0 * eps * xmax {
            return true;
        }
        let rate = delta / self.prev_delta;
        if rate < 1.0 && delta * (rate / (1.0 - rate)).max(1.0) <= 8.0 * eps * xmax {
            return true;
        }
        self.prev_delta = delta;
        false
    }
}

fn not_converged(options: &MarkovOptions) -> Error {
    Error::NotConverged {
        iterations: options.max_iterations,
        reason: "Gauss-Seidel on the Markov chain did not reach machine precision".to_string(),
    }
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
    let mut state = Sweeps::new();
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
        if state.converged(delta, xmax) {
            return Ok(x);
        }
        if it + 1 == options.max_iterations {
            break;
        }
    }
    Err(not_converged(options))
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
    use proptest::prelude::*;

    /// The previous implementation, kept as the reference: the chain solved by dense LU once
    /// per channel with the channel's states removed. Returns the removal effects on
    /// conversions and on value.
    fn reference(paths: &Paths, order: usize) -> (Vec<f64>, Vec<f64>) {
        let options = MarkovOptions::new().order(order);
        let Built { keys, chain, .. } = build_chain(paths, &options).unwrap();
        let n = chain.n;
        let base = solve_dense(&chain, &vec![false; n]);
        let (p, ev) = (base[0][0], base[0][1]);
        let mut re = Vec::new();
        let mut re_v = Vec::new();
        for removed in states_of_channels(&keys, paths.channels.len()) {
            let mut is_removed = vec![false; n];
            removed.iter().for_each(|&s| is_removed[s] = true);
            let [pk, vk] = solve_dense(&chain, &is_removed)[0];
            re.push(if p > 0.0 { (1.0 - pk / p).clamp(0.0, 1.0) } else { 0.0 });
            re_v.push(if ev > 0.0 { (1.0 - vk / ev).clamp(0.0, 1.0) } else { 0.0 });
        }
        (re, re_v)
    }

    fn rows_to_paths(rows: &[(Vec<u8>, u8, f64, u8)]) -> Paths {
        let mut b = super::super::PathsBuilder::new();
        for (path, conv, value, nulls) in rows {
            let names: Vec<String> = path.iter().map(|c| format!("c{c}")).collect();
            let value = if *conv == 0 { 0.0 } else { *value };
            b.push(&names, *conv as f64, value, *nulls as f64).unwrap();
        }
        b.build()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The first-visit identity with the sparse elimination (order 1) and the restricted
        /// re-solves (orders 2–3), with both the dense and the iterative base solve, give the
        /// removal effects of one dense solve per channel.
        #[test]
        fn prop_removal_effects_match_dense_reference(
            rows in prop::collection::vec(
                (prop::collection::vec(0u8..8, 1..8), 0u8..4, 0.0f64..500.0, 0u8..4), 1..40),
            order in 1usize..=3,
        ) {
            let p = rows_to_paths(&rows);
            let (re, re_v) = reference(&p, order);
            for dense_limit in [300, 0] {
                let m = markov_model(&p, &MarkovOptions::new().order(order).dense_limit(dense_limit)).unwrap();
                for (k, (x, y)) in m.removal_effects.iter().zip(&re).enumerate() {
                    prop_assert!((x - y).abs() <= 1e-12 * y.max(1e-3), "order {} channel {}: {} vs {}", order, k, x, y);
                }
                for (x, y) in m.removal_effects_value.iter().zip(&re_v) {
                    prop_assert!((x - y).abs() <= 1e-12 * y.max(1e-3), "value: {} vs {}", x, y);
                }
            }
        }
    }

    #[test]
    fn removal_effects_on_a_cyclic_chain_match_the_reference() {
        // Loops (a > b > a, b > c > b > a …) put every channel in one strongly connected block.
        let rows = ["a > b > a > c", "b > c > b > a", "c > a", "a > d > b", "d > a > d", "b", "c > d > c"];
        let conv = [1.0, 2.0, 0.0, 1.0, 3.0, 1.0, 0.0];
        let nulls = [1.0, 0.0, 3.0, 2.0, 1.0, 4.0, 2.0];
        let vals = [10.0, 5.0, 0.0, 3.0, 7.0, 1.0, 0.0];
        let p = Paths::parse(&rows, &conv, Some(&vals), Some(&nulls), ">").unwrap();
        for order in 1..=4 {
            let (re, re_v) = reference(&p, order);
            for dense_limit in [300, 0] {
                let m = markov_model(&p, &MarkovOptions::new().order(order).dense_limit(dense_limit)).unwrap();
                for (x, y) in m.removal_effects.iter().zip(&re).chain(m.removal_effects_value.iter().zip(&re_v)) {
                    assert!((x - y).abs() <= 1e-13 * y, "order {order}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn work_limit_is_a_typed_error() {
        let rows = ["a > b > a > c", "b > c > b > a", "c > a", "a > d > b", "d > a > d"];
        let p = Paths::parse(&rows, &[1.0; 5], None, Some(&[1.0; 5]), ">").unwrap();
        for (order, dense_limit) in [(1, 300), (1, 0), (2, 300), (2, 0), (3, 0)] {
            let o = MarkovOptions::new().order(order).dense_limit(dense_limit);
            assert!(markov_model(&p, &o).is_ok());
            let e = markov_model(&p, &o.max_work(10)).unwrap_err();
            assert!(matches!(e, Error::LimitExceeded { limit: 10, .. }), "order {order}: {e:?}");
            assert!(e.to_string().contains("max_work"), "{e}");
        }
    }

    #[test]
    fn acyclic_many_channels_is_fast_and_exact() {
        // A long chain of distinct channels: no cycle, so no elimination at all.
        let rows: Vec<String> = (0..3000).map(|i| format!("c{i} > c{}", i + 1)).collect();
        let conv: Vec<f64> = (0..3000).map(|i| (i % 2) as f64).collect();
        let nulls: Vec<f64> = (0..3000).map(|i| ((i + 1) % 2) as f64).collect();
        let p = Paths::parse(&rows, &conv, None, Some(&nulls), ">").unwrap();
        let m = markov_model(&p, &MarkovOptions::new().max_work(1)).unwrap();
        let total: f64 = m.conversions.iter().sum();
        assert!((total - 1500.0).abs() < 1e-9);
    }

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
    fn higher_order_windows_keep_repeated_channels_and_merge_repeated_states() {
        let p = Paths::parse(&["a > a > a > b"], &[1.0], None, None, ">").unwrap();
        let m = markov_model(&p, &MarkovOptions::new().order(2)).unwrap();
        let names: Vec<String> = (0..m.states.len()).map(|i| m.state_name(i, ">")).collect();
        assert_eq!(names, ["(start)", "a>a", "a>b", "(conversion)", "(null)"]);
    }

    #[test]
    fn no_conversions_gives_zeros() {
        let p = Paths::parse(&["a > b"], &[0.0], None, Some(&[2.0]), ">").unwrap();
        let m = markov_model(&p, &MarkovOptions::new()).unwrap();
        assert_eq!(m.conversions, [0.0, 0.0]);
        assert_eq!(m.conversion_probability, 0.0);
    }
}
