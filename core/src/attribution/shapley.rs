//! Shapley-value attribution over channel sets.

use crate::{Error, Result};
use foldhash::fast::FixedState;
use hashbrown::HashMap;

use super::{check_finite, check_totals, map_chunks, scale_to_total, sum_partials, Paths, CHUNK};

/// What a coalition (set of channels) is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShapleyWorth {
    /// `v(S)` = conversions (value) of the paths whose channels all lie in `S`. Additive over
    /// channel sets, so the Shapley value has a closed form: each path's conversions split
    /// evenly over its *distinct* channels. Exact for any number of channels.
    #[default]
    Conversions,
    /// `v(S)` = conversions (value) per path among the paths whose channels all lie in `S`
    /// (needs nulls to be meaningful). Not additive: computed over all `2^m` coalitions,
    /// exact up to [`ShapleyOptions::exact_limit`] channels, sampled beyond.
    ConversionRate,
}

/// Tunables of [`shapley_model`], with a builder.
///
/// # Example
/// ```
/// use yutang::attribution::{ShapleyOptions, ShapleyWorth};
/// let o = ShapleyOptions::new().worth(ShapleyWorth::ConversionRate).samples(2_000);
/// assert_eq!(o.exact_limit, 16);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ShapleyOptions {
    /// The characteristic function.
    pub worth: ShapleyWorth,
    /// Most channels for the exact (all-coalitions) computation; at most 24.
    pub exact_limit: usize,
    /// Random channel orders sampled beyond `exact_limit` (Castro et al. 2009 permutation
    /// sampling; standard error shrinks as `1/√samples`). 1 to [`MAX_SHAPLEY_SAMPLES`] when
    /// sampling is needed.
    pub samples: usize,
    /// Seed of the sampling (deterministic: same seed, same result).
    pub seed: u64,
}

impl Default for ShapleyOptions {
    fn default() -> Self {
        ShapleyOptions { worth: ShapleyWorth::Conversions, exact_limit: 16, samples: 10_000, seed: 0 }
    }
}

impl ShapleyOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the characteristic function.
    pub fn worth(mut self, worth: ShapleyWorth) -> Self {
        self.worth = worth;
        self
    }
    /// Set the most channels computed exactly (at most 24).
    pub fn exact_limit(mut self, n: usize) -> Self {
        self.exact_limit = n;
        self
    }
    /// Set the number of sampled channel orders beyond the exact limit.
    pub fn samples(mut self, n: usize) -> Self {
        self.samples = n;
        self
    }
    /// Set the sampling seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Shapley attribution per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapleyAttribution {
    /// Channel names in order of first appearance.
    pub channels: Vec<String>,
    /// Conversions attributed to each channel (sum = observed conversions).
    pub conversions: Vec<f64>,
    /// Value attributed to each channel (sum = observed value).
    pub value: Vec<f64>,
    /// Raw Shapley values of the conversion game (before scaling to the observed total).
    pub shapley_conversions: Vec<f64>,
    /// Raw Shapley values of the value game.
    pub shapley_value: Vec<f64>,
    /// `true` when computed exactly, `false` when sampled.
    pub exact: bool,
}

/// Most channels for Shapley attribution with [`ShapleyWorth::ConversionRate`] (bit sets).
pub const MAX_SHAPLEY_CHANNELS: usize = 128;
/// Most sampled channel orders ([`ShapleyOptions::samples`]). Each costs one pass over the
/// distinct channel sets of the paths; a million already puts the standard error at a
/// thousandth of the single-sample spread.
pub const MAX_SHAPLEY_SAMPLES: usize = 1_000_000;
const MAX_EXACT: usize = 24;

/// Shapley-value attribution: each channel gets its average marginal contribution
/// `φ_k = Σ_{S ∌ k} |S|! (m − |S| − 1)! / m! · (v(S ∪ {k}) − v(S))` over channel sets `S`,
/// scaled so that the channels' shares sum to the observed conversions (value).
///
/// See [`ShapleyWorth`] for the two characteristic functions. With
/// [`ShapleyWorth::ConversionRate`], coalitions are evaluated by subset sums over all `2^m`
/// sets up to [`ShapleyOptions::exact_limit`] channels (`O(m·2^m)`); beyond, by sampling
/// [`ShapleyOptions::samples`] random channel orders with a seeded generator (an
/// approximation: `exact` is then `false`), each evaluated in one pass over the distinct
/// channel sets of the paths (time ∝ samples × (channel sets × their channels + channels)).
/// Shapley values can be negative when a channel lowers the conversion rate of the sets it
/// joins.
///
/// # Errors
/// [`Error::InvalidField`] for `exact_limit` above 24, for `samples` = 0 or above
/// [`MAX_SHAPLEY_SAMPLES`] when sampling is needed, and naming `conversions`, `values`,
/// `nulls` or `conversions + nulls` when their totals overflow f64;
/// [`Error::LimitExceeded`] above [`MAX_SHAPLEY_CHANNELS`] channels with `ConversionRate`.
///
/// # Example
/// ```
/// use yutang::attribution::{shapley_model, Paths, ShapleyOptions};
/// let p = Paths::parse(&["a > b > a", "a"], &[2.0, 1.0], None, None, ">")?;
/// let s = shapley_model(&p, &ShapleyOptions::new())?;
/// assert_eq!(s.conversions, [2.0, 1.0]); // "a > b > a": 1 each; "a": 1 to a
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn shapley_model(paths: &Paths, options: &ShapleyOptions) -> Result<ShapleyAttribution> {
    check_totals(paths)?;
    let m = paths.channels.len();
    match options.worth {
        ShapleyWorth::Conversions => {
            let partials = map_chunks(paths.len(), CHUNK, |range| {
                let mut acc = vec![0.0f64; 2 * m];
                let mut stamp = vec![usize::MAX; m];
                let mut distinct: Vec<u32> = Vec::new();
                for i in range {
                    let (c, v) = (paths.conversions[i], paths.values[i]);
                    if c == 0.0 && v == 0.0 {
                        continue;
                    }
                    distinct.clear();
                    for &ch in paths.path(i) {
                        if stamp[ch as usize] != i {
                            stamp[ch as usize] = i;
                            distinct.push(ch);
                        }
                    }
                    let k = distinct.len() as f64;
                    for &ch in &distinct {
                        acc[2 * ch as usize] += c / k;
                        acc[2 * ch as usize + 1] += v / k;
                    }
                }
                acc
            });
            let acc = sum_partials(partials, 2 * m);
            let phi_c: Vec<f64> = (0..m).map(|k| acc[2 * k]).collect();
            let phi_v: Vec<f64> = (0..m).map(|k| acc[2 * k + 1]).collect();
            finish(paths, phi_c, phi_v, true)
        }
        ShapleyWorth::ConversionRate => rate_game(paths, options),
    }
}

fn rate_game(paths: &Paths, options: &ShapleyOptions) -> Result<ShapleyAttribution> {
    let m = paths.channels.len();
    if options.exact_limit > MAX_EXACT {
        return Err(Error::invalid(
            "exact_limit",
            options.exact_limit.to_string(),
            "exact Shapley over all coalitions is limited to 24 channels",
        ));
    }
    if m > MAX_SHAPLEY_CHANNELS {
        return Err(Error::limit("channels for Shapley attribution", MAX_SHAPLEY_CHANNELS, m));
    }
    if m == 0 {
        return finish(paths, Vec::new(), Vec::new(), true);
    }
    if m > options.exact_limit {
        if options.samples == 0 {
            return Err(Error::invalid("samples", "0", "sampling needs at least one channel order"));
        }
        if options.samples > MAX_SHAPLEY_SAMPLES {
            return Err(Error::invalid(
                "samples",
                options.samples.to_string(),
                format!("at most {MAX_SHAPLEY_SAMPLES} sampled channel orders"),
            ));
        }
    }
    // Aggregate conversions, value and paths (conversions + nulls) per distinct channel set.
    let mut sets: HashMap<u128, [f64; 3], FixedState> = HashMap::with_hasher(FixedState::with_seed(0x5348_4150));
    let mut order: Vec<u128> = Vec::new();
    for i in 0..paths.len() {
        let mut mask = 0u128;
        for &ch in paths.path(i) {
            mask |= 1u128 << ch;
        }
        let e = sets.entry(mask).or_insert_with(|| {
            order.push(mask);
            [0.0; 3]
        });
        e[0] += paths.conversions[i];
        e[1] += paths.values[i];
        e[2] += paths.conversions[i] + paths.nulls[i];
    }
    let (phi_c, phi_v, exact) = if m <= options.exact_limit {
        let size = 1usize << m;
        let mut f = vec![[0.0f64; 3]; size];
        for mask in &order {
            let s = sets[mask];
            let idx = *mask as usize;
            for k in 0..3 {
                f[idx][k] += s[k];
            }
        }
        // Subset sums (zeta transform): f[S] = Σ_{T ⊆ S} g[T].
        for bit in 0..m {
            let b = 1usize << bit;
            for s in 0..size {
                if s & b != 0 {
                    let lo = f[s ^ b];
                    for k in 0..3 {
                        f[s][k] += lo[k];
                    }
                }
            }
        }
        let worth = |s: usize| -> [f64; 2] {
            let p = f[s][2];
            if p > 0.0 {
                [f[s][0] / p, f[s][1] / p]
            } else {
                [0.0, 0.0]
            }
        };
        // Coalition weights |S|! (m − |S| − 1)! / m!.
        let mut w = vec![0.0f64; m.max(1)];
        for (s, ws) in w.iter_mut().enumerate() {
            *ws = (ln_fact(s) + ln_fact(m - s - 1) - ln_fact(m)).exp();
        }
        let mut phi_c = vec![0.0f64; m];
        let mut phi_v = vec![0.0f64; m];
        for s in 0..size {
            let vs = worth(s);
            let card = s.count_ones() as usize;
            for k in 0..m {
                if s & (1 << k) == 0 {
                    let vk = worth(s | (1 << k));
                    phi_c[k] += w[card] * (vk[0] - vs[0]);
                    phi_v[k] += w[card] * (vk[1] - vs[1]);
                }
            }
        }
        (phi_c, phi_v, true)
    } else {
        let list: Vec<(u128, [f64; 3])> = order.iter().map(|k| (*k, sets[k])).collect();
        let mut rng = SplitMix64(options.seed);
        let mut phi_c = vec![0.0f64; m];
        let mut phi_v = vec![0.0f64; m];
        let mut perm: Vec<usize> = (0..m).collect();
        let mut at = vec![0usize; m];
        // Per sample, the sets that the j-th channel of the order completes, in list order
        // (a counting sort by completing step): one pass over the sets instead of one per step.
        let mut done_at = vec![0usize; list.len()];
        let mut step_start = vec![0usize; m + 1];
        let mut by_step = vec![0u32; list.len()];
        for _ in 0..options.samples {
            // Fisher–Yates shuffle.
            for i in (1..m).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                perm.swap(i, j);
            }
            for (j, &k) in perm.iter().enumerate() {
                at[k] = j;
            }
            step_start.iter_mut().for_each(|x| *x = 0);
            for (i, (mask, _)) in list.iter().enumerate() {
                let mut bits = *mask;
                let mut last = 0usize;
                while bits != 0 {
                    last = last.max(at[bits.trailing_zeros() as usize]);
                    bits &= bits - 1;
                }
                done_at[i] = last;
                step_start[last + 1] += 1;
            }
            for j in 0..m {
                step_start[j + 1] += step_start[j];
            }
            for (i, &j) in done_at.iter().enumerate() {
                by_step[step_start[j]] = i as u32;
                step_start[j] += 1;
            }
            // step_start[j] is now the end of step j's sets (the start of step j + 1's).
            let mut acc = [0.0f64; 3];
            let mut prev = [0.0f64; 2];
            let mut from = 0usize;
            for (j, &k) in perm.iter().enumerate() {
                for &i in &by_step[from..step_start[j]] {
                    let g = &list[i as usize].1;
                    for q in 0..3 {
                        acc[q] += g[q];
                    }
                }
                from = step_start[j];
                let cur = if acc[2] > 0.0 { [acc[0] / acc[2], acc[1] / acc[2]] } else { [0.0, 0.0] };
                phi_c[k] += cur[0] - prev[0];
                phi_v[k] += cur[1] - prev[1];
                prev = cur;
            }
        }
        let n = options.samples as f64;
        phi_c.iter_mut().for_each(|x| *x /= n);
        phi_v.iter_mut().for_each(|x| *x /= n);
        (phi_c, phi_v, false)
    };
    finish(paths, phi_c, phi_v, exact)
}

/// Scale raw Shapley values to the observed totals.
fn finish(paths: &Paths, phi_c: Vec<f64>, phi_v: Vec<f64>, exact: bool) -> Result<ShapleyAttribution> {
    let conversions = scale_to_total(&phi_c, paths.total_conversions());
    let value = scale_to_total(&phi_v, paths.total_value());
    for (xs, field) in [(&conversions, "conversions"), (&phi_c, "conversions"), (&value, "values"), (&phi_v, "values")]
    {
        check_finite(xs, field)?;
    }
    Ok(ShapleyAttribution {
        channels: paths.channels.clone(),
        conversions,
        value,
        shapley_conversions: phi_c,
        shapley_value: phi_v,
        exact,
    })
}

fn ln_fact(n: usize) -> f64 {
    (1..=n).map(|k| (k as f64).ln()).sum()
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic generator for sampling.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Paths {
        Paths::parse(
            &["a > b", "b", "a > c > b", "c", "a"],
            &[3.0, 1.0, 2.0, 0.0, 1.0],
            Some(&[30.0, 5.0, 20.0, 0.0, 4.0]),
            Some(&[1.0, 4.0, 2.0, 5.0, 3.0]),
            ">",
        )
        .unwrap()
    }

    #[test]
    fn conversions_game_enumerated_equals_closed_form() {
        // Brute force over all orders of 3 channels with v(S) = conversions of paths ⊆ S.
        let p = data();
        let s = shapley_model(&p, &ShapleyOptions::new()).unwrap();
        let v = |set: u32| -> f64 {
            (0..p.len()).filter(|&i| p.path(i).iter().all(|&c| set & (1 << c) != 0)).map(|i| p.conversions()[i]).sum()
        };
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        let mut phi = [0.0f64; 3];
        for perm in perms {
            let mut set = 0u32;
            for k in perm {
                phi[k] += v(set | (1 << k)) - v(set);
                set |= 1 << k;
            }
        }
        for (k, x) in phi.iter().enumerate() {
            assert!((x / 6.0 - s.shapley_conversions[k]).abs() < 1e-12);
        }
    }

    /// The sampling loop as first written (one scan of all channel sets per step of each
    /// order), kept to check that the counting-sort evaluation adds exactly the same numbers.
    fn sampled_by_scanning(paths: &Paths, samples: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let m = paths.channels.len();
        let mut sets: Vec<(u128, [f64; 3])> = Vec::new();
        for i in 0..paths.len() {
            let mask = paths.path(i).iter().fold(0u128, |m, &c| m | 1u128 << c);
            let pos = match sets.iter().position(|s| s.0 == mask) {
                Some(p) => p,
                None => {
                    sets.push((mask, [0.0; 3]));
                    sets.len() - 1
                }
            };
            let e = &mut sets[pos].1;
            e[0] += paths.conversions[i];
            e[1] += paths.values[i];
            e[2] += paths.conversions[i] + paths.nulls[i];
        }
        let mut rng = SplitMix64(seed);
        let (mut phi_c, mut phi_v) = (vec![0.0f64; m], vec![0.0f64; m]);
        let mut perm: Vec<usize> = (0..m).collect();
        for _ in 0..samples {
            for i in (1..m).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                perm.swap(i, j);
            }
            let (mut s, mut acc, mut prev) = (0u128, [0.0f64; 3], [0.0f64; 2]);
            for &k in &perm {
                let add = 1u128 << k;
                let next = s | add;
                for (mask, g) in &sets {
                    if mask & add != 0 && mask & !next == 0 {
                        for q in 0..3 {
                            acc[q] += g[q];
                        }
                    }
                }
                s = next;
                let cur = if acc[2] > 0.0 { [acc[0] / acc[2], acc[1] / acc[2]] } else { [0.0, 0.0] };
                phi_c[k] += cur[0] - prev[0];
                phi_v[k] += cur[1] - prev[1];
                prev = cur;
            }
        }
        let n = samples as f64;
        (phi_c.iter().map(|x| x / n).collect(), phi_v.iter().map(|x| x / n).collect())
    }

    #[test]
    fn sampling_adds_the_same_numbers_as_scanning() {
        let rows: Vec<String> =
            (0..300).map(|i| format!("c{} > c{} > c{}", i % 37, (i * 7) % 41, (i * 13) % 29)).collect();
        let conv: Vec<f64> = (0..300).map(|i| (i % 3) as f64).collect();
        let vals: Vec<f64> = (0..300).map(|i| (i % 3 * 17) as f64).collect();
        let nulls: Vec<f64> = (0..300).map(|i| (i % 5) as f64).collect();
        let p = Paths::parse(&rows, &conv, Some(&vals), Some(&nulls), ">").unwrap();
        let o = ShapleyOptions::new().worth(ShapleyWorth::ConversionRate).samples(200).seed(42);
        let s = shapley_model(&p, &o).unwrap();
        let (c, v) = sampled_by_scanning(&p, 200, 42);
        assert_eq!(s.shapley_conversions, c);
        assert_eq!(s.shapley_value, v);
    }

    #[test]
    fn sampling_approaches_exact() {
        let p = data();
        let o = ShapleyOptions::new().worth(ShapleyWorth::ConversionRate);
        let exact = shapley_model(&p, &o).unwrap();
        assert!(exact.exact);
        let approx = shapley_model(&p, &o.clone().exact_limit(0).samples(20_000)).unwrap();
        assert!(!approx.exact);
        for k in 0..3 {
            assert!((exact.conversions[k] - approx.conversions[k]).abs() < 0.05, "{exact:?} {approx:?}");
        }
        let total: f64 = exact.conversions.iter().sum();
        assert!((total - 7.0).abs() < 1e-12);
        // Deterministic.
        assert_eq!(approx, shapley_model(&p, &o.exact_limit(0).samples(20_000)).unwrap());
    }
}
