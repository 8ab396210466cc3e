//! R, F and M scores 1–5: by quantiles (quintiles by default) or by fixed cut points.
//!
//! # The tie rule
//! Quantile scores use the *average rank* of a value (1-based, ascending; tied values share
//! the mean of their ranks, pandas' `rank(method="average")`). With `n` values and average
//! rank `a`, the value's position is `x = (a − 1) / (n − 1)` (`x = 0.5` when `n = 1`) and its
//! score is `1 + #{j : x > p_j}` for the four cut probabilities `p` (0.2, 0.4, 0.6, 0.8 by
//! default). So equal values always get equal scores, and without ties the scores are exactly
//! pandas' `qcut(s.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])` (whose bin edges are
//! `1 + p_j (n − 1)` on the ranks, right-closed, the lowest included). With ties, a tied
//! block gets the score rank-first qcut gives the middle of the block.
//!
//! Recency scores the other way round: the most recent customers (fewest days) score 5.

use crate::error::{Error, Result};

/// How one of R, F, M is scored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// By quantiles: four increasing probabilities in (0, 1) splitting the customers into
    /// five groups (quintiles: `[0.2, 0.4, 0.6, 0.8]`).
    Quantiles([f64; 4]),
    /// By fixed cut points, four increasing values; bins are right-closed: for frequency and
    /// monetary `v ≤ c0` scores 1, `c0 < v ≤ c1` scores 2 … `v > c3` scores 5; for recency days
    /// `v ≤ c0` scores 5 … `v > c3` scores 1.
    Cuts([f64; 4]),
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring::Quantiles([0.2, 0.4, 0.6, 0.8])
    }
}

impl Scoring {
    /// Check the probabilities or cut points.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming `field` and the position: not finite, not strictly
    /// increasing, or (for quantiles) outside (0, 1).
    pub fn validate(&self, field: &str) -> Result<()> {
        let (v, name, prob) = match self {
            Scoring::Quantiles(p) => (p, "quantiles", true),
            Scoring::Cuts(c) => (c, "cuts", false),
        };
        for (i, &x) in v.iter().enumerate() {
            let f = || format!("{field}.{name}[{i}]");
            if !x.is_finite() || (prob && !(x > 0.0 && x < 1.0)) {
                return Err(Error::invalid(
                    f(),
                    x.to_string(),
                    if prob { "must be in (0, 1)" } else { "must be finite" },
                ));
            }
            if i > 0 && x <= v[i - 1] {
                return Err(Error::invalid(f(), x.to_string(), "must be greater than the previous one"));
            }
        }
        Ok(())
    }

    /// Score values 1..=5 (`higher_is_better = false` for recency). Values must not be NaN.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming `field` and the row of the first NaN.
    ///
    /// # Example
    /// ```
    /// use yutang::rfm::Scoring;
    /// let s = Scoring::default().score(&[10.0, 20.0, 30.0, 40.0, 50.0], true, "monetary")?;
    /// assert_eq!(s, vec![1, 2, 3, 4, 5]);
    /// let r = Scoring::Cuts([30.0, 60.0, 90.0, 180.0]).score(&[0.0, 30.0, 31.0, 365.0], false, "recency_days")?;
    /// assert_eq!(r, vec![5, 5, 4, 1]);
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn score(&self, values: &[f64], higher_is_better: bool, field: &str) -> Result<Vec<u8>> {
        if let Some(i) = values.iter().position(|v| v.is_nan()) {
            return Err(Error::invalid(format!("{field}[{i}]"), "NaN", "missing value"));
        }
        Ok(match self {
            Scoring::Cuts(c) => values
                .iter()
                .map(|&v| {
                    let above = c.iter().filter(|&&x| v > x).count() as u8;
                    if higher_is_better {
                        1 + above
                    } else {
                        5 - above
                    }
                })
                .collect(),
            Scoring::Quantiles(p) => quantile_scores(values, p, higher_is_better),
        })
    }
}

/// A key whose unsigned order is the total order of f64.
#[inline]
fn key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Largest value for which small non-negative whole numbers (days, order counts) are scored by
/// counting instead of sorting.
const COUNTING_MAX: f64 = (1 << 20) as f64;

/// The score of a tie block of ranks `lo + 1 ..= hi` among `n` values.
#[inline]
fn block_score(lo: usize, hi: usize, n: usize, p: &[f64; 4], higher_is_better: bool) -> u8 {
    // twice the average rank, ascending or descending
    let twice = (lo + 1 + hi) as f64;
    let twice = if higher_is_better { twice } else { 2.0 * (n as f64 + 1.0) - twice };
    let x = if n == 1 { 0.5 } else { (twice - 2.0) / (2.0 * (n as f64 - 1.0)) };
    1 + p.iter().filter(|&&q| x > q).count() as u8
}

fn quantile_scores(values: &[f64], p: &[f64; 4], higher_is_better: bool) -> Vec<u8> {
    let n = values.len();
    let mut out = vec![0u8; n];
    if n == 0 {
        return out;
    }
    // whole numbers in 0..2^20 (recency days, order counts): count instead of sort, O(n + max)
    let mut max = 0.0f64;
    if values.iter().all(|&v| {
        max = max.max(v);
        (0.0..=COUNTING_MAX).contains(&v) && v.fract() == 0.0
    }) && (max as usize) <= 4 * n + 1024
    {
        let mut counts = vec![0u32; max as usize + 1];
        for &v in values {
            counts[v as usize] += 1;
        }
        // score of each distinct value from its tie block
        let mut score = vec![0u8; counts.len()];
        let mut lo = 0usize;
        for (v, &c) in counts.iter().enumerate() {
            if c > 0 {
                let hi = lo + c as usize;
                score[v] = block_score(lo, hi, n, p, higher_is_better);
                lo = hi;
            }
        }
        for (o, &v) in out.iter_mut().zip(values) {
            *o = score[v as usize];
        }
        return out;
    }
    let mut pairs: Vec<(u64, u32)> = values.iter().enumerate().map(|(i, &v)| (key(v), i as u32)).collect();
    pairs.sort_unstable();
    let mut lo = 0;
    while lo < n {
        let mut hi = lo + 1;
        while hi < n && pairs[hi].0 == pairs[lo].0 {
            hi += 1;
        }
        let s = block_score(lo, hi, n, p, higher_is_better);
        for &(_, i) in &pairs[lo..hi] {
            out[i as usize] = s;
        }
        lo = hi;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_hand_computed() {
        // n = 7, no ties: x = (rank − 1)/6 = 0, 1/6, 2/6 … 1; score = 1 + #{0.2, 0.4, 0.6, 0.8 < x}
        // -> ranks 1..7 score 1, 1, 2, 3, 4, 5, 5 (pandas qcut edges 1, 2.2, 3.4, 4.6, 5.8, 7)
        let s = Scoring::default().score(&[7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], true, "x").unwrap();
        assert_eq!(s, vec![5, 1, 1, 2, 3, 4, 5]);
        // descending (recency): the smallest value scores 5
        let r = Scoring::default().score(&[7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], false, "x").unwrap();
        assert_eq!(r, vec![1, 5, 5, 4, 3, 2, 1]);
        // ties: [1, 1, 1, 1, 5, 9]: the block of four 1s has ranks 1..4, average 2.5,
        // x = 1.5/5 = 0.3 -> score 2; 5 -> x = 4/5 = 0.8 -> not > 0.8 -> 4; 9 -> x = 1 -> 5
        let t = Scoring::default().score(&[1.0, 1.0, 1.0, 1.0, 5.0, 9.0], true, "x").unwrap();
        assert_eq!(t, vec![2, 2, 2, 2, 4, 5]);
        // one value: 3; all equal: 3
        assert_eq!(Scoring::default().score(&[4.0], true, "x").unwrap(), vec![3]);
        assert_eq!(Scoring::default().score(&[4.0; 5], false, "x").unwrap(), vec![3; 5]);
        assert!(
            Scoring::default().score(&[1.0, f64::NAN], true, "monetary").unwrap_err().field() == Some("monetary[1]")
        );
        // negative values order below zero
        assert_eq!(Scoring::default().score(&[-5.0, 0.0, -0.5, 3.0, 2.0], true, "x").unwrap(), vec![1, 3, 2, 5, 4]);
        // the counting path (small whole numbers) and the sorting path agree
        let whole: Vec<f64> = (0..500).map(|i| ((i * 37) % 23) as f64).collect();
        let nudged: Vec<f64> = whole.iter().map(|v| v + 0.5).collect(); // not whole: sorts
        for up in [true, false] {
            assert_eq!(
                Scoring::default().score(&whole, up, "x").unwrap(),
                Scoring::default().score(&nudged, up, "x").unwrap()
            );
        }
    }

    #[test]
    fn invalid_scoring() {
        assert_eq!(
            Scoring::Cuts([1.0, 3.0, 2.0, 4.0]).validate("rfm.frequency").unwrap_err().field(),
            Some("rfm.frequency.cuts[2]")
        );
        assert!(Scoring::Quantiles([0.0, 0.4, 0.6, 0.8]).validate("rfm.recency").is_err());
        assert!(Scoring::default().validate("x").is_ok());
    }
}
