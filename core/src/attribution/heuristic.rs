//! Heuristic (rule-based) attribution models.

use crate::{Error, Result};

use super::{check_finite, check_totals, map_chunks, sum_partials, Paths, CHUNK};

/// Tunables of the heuristic models, with a builder.
///
/// Defaults: time-decay half-life 7 (days for paths with touch times, steps otherwise),
/// position based 40 % first / 40 % last / 20 % spread over the middle, direct channels
/// `"direct"` and `"(direct)"`.
///
/// # Example
/// ```
/// use yutang::attribution::HeuristicOptions;
/// let o = HeuristicOptions::new().half_life(3.0).position_weights(0.3, 0.5).direct_channels(["官网"]);
/// assert_eq!(o.position_first, 0.3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HeuristicOptions {
    /// Time decay: a touch `half_life` older than another gets half its weight. In days when
    /// the paths carry touch times ([`Paths::ages`]), in steps before the conversion otherwise.
    pub half_life: f64,
    /// Position based: share of the first touch.
    pub position_first: f64,
    /// Position based: share of the last touch (the middle touches split the rest evenly).
    pub position_last: f64,
    /// Channel names that "last non-direct" skips (exact, case-sensitive match).
    pub direct_channels: Vec<String>,
}

impl Default for HeuristicOptions {
    fn default() -> Self {
        HeuristicOptions {
            half_life: 7.0,
            position_first: 0.4,
            position_last: 0.4,
            direct_channels: vec!["direct".to_string(), "(direct)".to_string()],
        }
    }
}

impl HeuristicOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the time-decay half-life.
    pub fn half_life(mut self, half_life: f64) -> Self {
        self.half_life = half_life;
        self
    }

    /// Set the position-based shares of the first and the last touch.
    pub fn position_weights(mut self, first: f64, last: f64) -> Self {
        self.position_first = first;
        self.position_last = last;
        self
    }

    /// Set the channels that "last non-direct" skips.
    pub fn direct_channels<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.direct_channels = names.into_iter().map(Into::into).collect();
        self
    }

    fn validate(&self) -> Result<()> {
        if !(self.half_life.is_finite() && self.half_life > 0.0) {
            return Err(Error::invalid("half_life", self.half_life.to_string(), "must be finite and > 0"));
        }
        for (f, x) in [("position_first", self.position_first), ("position_last", self.position_last)] {
            if !(x.is_finite() && (0.0..=1.0).contains(&x)) {
                return Err(Error::invalid(f, x.to_string(), "must be in [0, 1]"));
            }
        }
        let s = self.position_first + self.position_last;
        if s > 1.0 + 1e-12 {
            return Err(Error::invalid(
                "position_first + position_last",
                s.to_string(),
                "the first and last shares must sum to at most 1",
            ));
        }
        Ok(())
    }
}

/// Attributed conversions and value per channel (indexed like the channel list).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Credits {
    /// Conversions attributed to each channel.
    pub conversions: Vec<f64>,
    /// Conversion value attributed to each channel.
    pub value: Vec<f64>,
}

/// The six heuristic models side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct HeuristicAttribution {
    /// Channel names in order of first appearance.
    pub channels: Vec<String>,
    /// All credit to the first touch.
    pub first_touch: Credits,
    /// All credit to the last touch.
    pub last_touch: Credits,
    /// All credit to the last touch that is not a direct channel (the last touch if all are).
    pub last_non_direct: Credits,
    /// Each touch gets `1/n` of its path.
    pub linear: Credits,
    /// Touch weight `2^(-age / half_life)`, normalised within the path.
    pub time_decay: Credits,
    /// First and last touch get fixed shares, the middle touches split the rest.
    pub position_based: Credits,
}

const MODELS: usize = 6;
const FIRST: usize = 0;
const LAST: usize = 1;
const LAST_NON_DIRECT: usize = 2;
const LINEAR: usize = 3;
const DECAY: usize = 4;
const POSITION: usize = 5;

/// Run the heuristic models: first touch, last touch, last non-direct, linear, time decay and
/// position based.
///
/// For a path of `n` touches with `c` conversions and value `v` (the same rule splits both):
/// - first / last touch: `c` to the first / last touch;
/// - last non-direct: `c` to the last touch whose channel is not in
///   [`HeuristicOptions::direct_channels`], or to the last touch when every touch is direct;
/// - linear: `c / n` to every touch (a channel touched twice gets `2c / n`);
/// - time decay: touch `j` gets `c · w_j / Σ w`, `w_j = 2^(-age_j / half_life)`;
/// - position based: `n = 1`: all to it; `n = 2`: `f / (f + l)` and `l / (f + l)`;
///   `n > 2`: `f` to the first, `l` to the last, `(1 − f − l) / (n − 2)` to each middle touch.
///
/// First, last and linear equal ChannelAttribution's `heuristic_models`.
///
/// # Errors
/// [`Error::InvalidField`] for bad options (`half_life`, `position_first`, `position_last`),
/// and naming `conversions`, `values`, `nulls` or `conversions + nulls` when their totals
/// overflow f64 (each number is finite, but two paths with 1e308 conversions add up to more
/// than f64 holds).
///
/// # Example
/// ```
/// use yutang::attribution::{heuristic_models, HeuristicOptions, Paths};
/// let p = Paths::parse(&["a > b > a > c"], &[4.0], None, None, ">")?;
/// let h = heuristic_models(&p, &HeuristicOptions::new())?;
/// assert_eq!(h.linear.conversions, [2.0, 1.0, 1.0]);
/// let pos = &h.position_based.conversions; // 40 % + 10 % to a, 10 % to b, 40 % to c
/// assert!((pos[0] - 2.0).abs() < 1e-12 && (pos[1] - 0.4).abs() < 1e-12 && (pos[2] - 1.6).abs() < 1e-12);
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn heuristic_models(paths: &Paths, options: &HeuristicOptions) -> Result<HeuristicAttribution> {
    options.validate()?;
    check_totals(paths)?;
    let m = paths.channels.len();
    let is_direct: Vec<bool> = paths.channels.iter().map(|c| options.direct_channels.iter().any(|d| d == c)).collect();
    let width = MODELS * 2 * m;
    let ln_half = std::f64::consts::LN_2 / options.half_life;
    let partials = map_chunks(paths.len(), CHUNK, |range| {
        let mut acc = vec![0.0f64; width];
        let mut w: Vec<f64> = Vec::new();
        let mut steps: Vec<f64> = Vec::new();
        for i in range {
            let c = paths.conversions[i];
            let v = paths.values[i];
            if c == 0.0 && v == 0.0 {
                continue;
            }
            let t = paths.path(i);
            let n = t.len();
            if n == 0 {
                continue;
            }
            let mut add = |model: usize, ch: u32, fc: f64, fv: f64| {
                let k = (model * m + ch as usize) * 2;
                acc[k] += fc;
                acc[k + 1] += fv;
            };
            add(FIRST, t[0], c, v);
            add(LAST, t[n - 1], c, v);
            let lnd = t.iter().rposition(|&ch| !is_direct[ch as usize]).unwrap_or(n - 1);
            add(LAST_NON_DIRECT, t[lnd], c, v);
            let nf = n as f64;
            for &ch in t {
                add(LINEAR, ch, c / nf, v / nf);
            }
            // time decay
            w.clear();
            match paths.ages(i) {
                Some(a) => w.extend(a.iter().map(|&x| (-x * ln_half).exp())),
                None => {
                    // Step ages: powers of 2^(-1/half_life) from a table that grows as needed.
                    while steps.len() < n {
                        steps.push((-(steps.len() as f64) * ln_half).exp());
                    }
                    w.extend((0..n).map(|j| steps[n - 1 - j]));
                }
            }
            let sw: f64 = w.iter().sum();
            if sw > 0.0 {
                for (j, &ch) in t.iter().enumerate() {
                    let s = w[j] / sw;
                    add(DECAY, ch, c * s, v * s);
                }
            } else {
                // Every weight underflowed: fall back to the newest touch.
                add(DECAY, t[n - 1], c, v);
            }
            // position based
            let (f, l) = (options.position_first, options.position_last);
            match n {
                1 => add(POSITION, t[0], c, v),
                2 => {
                    let (sf, sl) = if f + l > 0.0 { (f / (f + l), l / (f + l)) } else { (0.5, 0.5) };
                    add(POSITION, t[0], c * sf, v * sf);
                    add(POSITION, t[1], c * sl, v * sl);
                }
                _ => {
                    let mid = (1.0 - f - l).max(0.0) / (n - 2) as f64;
                    // If the shares sum to less than one with no middle weight left, rescale.
                    let total = f + l + mid * (n - 2) as f64;
                    let (sf, sl, sm) = if total > 0.0 {
                        (f / total, l / total, mid / total)
                    } else {
                        (0.0, 0.0, 1.0 / (n - 2) as f64)
                    };
                    add(POSITION, t[0], c * sf, v * sf);
                    for &ch in &t[1..n - 1] {
                        add(POSITION, ch, c * sm, v * sm);
                    }
                    add(POSITION, t[n - 1], c * sl, v * sl);
                }
            }
        }
        acc
    });
    let acc = sum_partials(partials, width);
    let credits = |model: usize| Credits {
        conversions: (0..m).map(|ch| acc[(model * m + ch) * 2]).collect(),
        value: (0..m).map(|ch| acc[(model * m + ch) * 2 + 1]).collect(),
    };
    let h = HeuristicAttribution {
        channels: paths.channels.clone(),
        first_touch: credits(FIRST),
        last_touch: credits(LAST),
        last_non_direct: credits(LAST_NON_DIRECT),
        linear: credits(LINEAR),
        time_decay: credits(DECAY),
        position_based: credits(POSITION),
    };
    for c in [&h.first_touch, &h.last_touch, &h.last_non_direct, &h.linear, &h.time_decay, &h.position_based] {
        check_finite(&c.conversions, "conversions")?;
        check_finite(&c.value, "values")?;
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn hand_checked_small_example() {
        // The same rows as ChannelAttribution's output checked by hand in the issue thread:
        // "a > b > c" 1 conv, "b > a" 2 conv, "c" 0 conv, "a > a > b" 1 conv.
        let p = Paths::parse(
            &["a > b > c", "b > a", "c", "a > a > b"],
            &[1.0, 2.0, 0.0, 1.0],
            Some(&[10.0, 5.0, 0.0, 3.0]),
            None,
            ">",
        )
        .unwrap();
        let h = heuristic_models(&p, &HeuristicOptions::new()).unwrap();
        close(&h.first_touch.conversions, &[2.0, 2.0, 0.0]);
        close(&h.last_touch.conversions, &[2.0, 1.0, 1.0]);
        close(&h.linear.conversions, &[2.0, 5.0 / 3.0, 1.0 / 3.0]);
        close(&h.linear.value, &[10.0 / 3.0 + 2.5 + 2.0, 10.0 / 3.0 + 2.5 + 1.0, 10.0 / 3.0]);
    }

    #[test]
    fn last_non_direct_skips_direct() {
        let p = Paths::parse(&["sms > direct", "direct", "app > direct > direct"], &[1.0, 1.0, 1.0], None, None, ">")
            .unwrap();
        let h = heuristic_models(&p, &HeuristicOptions::new()).unwrap();
        assert_eq!(h.channels, ["sms", "direct", "app"]);
        close(&h.last_non_direct.conversions, &[1.0, 1.0, 1.0]);
        close(&h.last_touch.conversions, &[0.0, 3.0, 0.0]);
    }

    #[test]
    fn time_decay_halves_per_half_life() {
        let p = Paths::parse(&["a > b"], &[3.0], None, None, ">").unwrap();
        let h = heuristic_models(&p, &HeuristicOptions::new().half_life(1.0)).unwrap();
        close(&h.time_decay.conversions, &[1.0, 2.0]);
    }

    #[test]
    fn bad_options_are_errors() {
        let p = Paths::parse(&["a"], &[1.0], None, None, ">").unwrap();
        assert!(heuristic_models(&p, &HeuristicOptions::new().half_life(0.0)).is_err());
        assert!(heuristic_models(&p, &HeuristicOptions::new().position_weights(0.7, 0.7)).is_err());
    }
}
