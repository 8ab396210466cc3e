//! Input checks, unique-row compression and (optionally parallel) batch maps.

use crate::{Error, Result};

/// Largest frequency accepted (the models are exact up to here; see the module docs).
pub(crate) const MAX_FREQUENCY: f64 = 1e7;

fn bad(field: &str, i: usize, v: f64, reason: &str) -> Error {
    Error::invalid(format!("{field}[{i}]"), format!("{v}"), reason)
}

pub(crate) fn check_len(name: &str, len: usize, expected: usize) -> Result<()> {
    if len != expected {
        return Err(Error::invalid(
            format!("{name}.len"),
            format!("{len}"),
            format!("must equal frequency.len ({expected})"),
        ));
    }
    Ok(())
}

/// Validate one (frequency, recency, T) history of data to fit or to score: [`check_point`],
/// and recency consistent with frequency (0 exactly when there is no repeat purchase).
pub(crate) fn check_one(i: usize, x: f64, tx: f64, t: f64, repeat_needs_recency: bool) -> Result<()> {
    check_point(i, x, tx, t)?;
    if x == 0.0 && tx != 0.0 {
        return Err(bad("recency", i, tx, "must be 0 when frequency is 0"));
    }
    if repeat_needs_recency && x > 0.0 && tx == 0.0 {
        return Err(bad("recency", i, tx, "must be > 0 when frequency > 0 (repeat purchases happen after the first)"));
    }
    Ok(())
}

/// Validate one point at which a model's prediction is evaluated: a whole frequency up to
/// [`MAX_FREQUENCY`] and 0 <= recency <= T, all finite. The formulas are defined at every such
/// point, also where recency and frequency disagree (grids of predictions, as lifetimes draws
/// them), so that is not checked here.
pub(crate) fn check_point(i: usize, x: f64, tx: f64, t: f64) -> Result<()> {
    if !x.is_finite() || x < 0.0 || x.fract() != 0.0 {
        return Err(bad("frequency", i, x, "must be a whole number >= 0"));
    }
    if x > MAX_FREQUENCY {
        return Err(bad("frequency", i, x, "must be <= 1e7"));
    }
    if !tx.is_finite() || tx < 0.0 {
        return Err(bad("recency", i, tx, "must be finite and >= 0"));
    }
    if !t.is_finite() || t < 0.0 {
        return Err(bad("T", i, t, "must be finite and >= 0"));
    }
    if tx > t {
        return Err(bad("recency", i, tx, "must be <= T"));
    }
    Ok(())
}

/// Validate prediction points in columns: equal lengths, each row a [`check_point`].
pub(crate) fn check_points(x: &[f64], tx: &[f64], t: &[f64]) -> Result<()> {
    check_len("recency", tx.len(), x.len())?;
    check_len("T", t.len(), x.len())?;
    for i in 0..x.len() {
        check_point(i, x[i], tx[i], t[i])?;
    }
    Ok(())
}

/// Validate RFM columns: equal lengths, non-empty, each row valid.
pub(crate) fn check_rfm(x: &[f64], tx: &[f64], t: &[f64], repeat_needs_recency: bool) -> Result<()> {
    check_len("recency", tx.len(), x.len())?;
    check_len("T", t.len(), x.len())?;
    for i in 0..x.len() {
        check_one(i, x[i], tx[i], t[i], repeat_needs_recency)?;
    }
    Ok(())
}

pub(crate) fn check_nonempty(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid("frequency", "[]", "empty data: at least one row is needed"));
    }
    Ok(())
}

/// Validate optional weights and return them (ones when absent).
pub(crate) fn weights_or_ones(w: Option<&[f64]>, n: usize) -> Result<Vec<f64>> {
    match w {
        None => Ok(vec![1.0; n]),
        Some(w) => {
            check_len("weights", w.len(), n)?;
            let mut total = 0.0;
            for (i, &v) in w.iter().enumerate() {
                if !v.is_finite() || v < 0.0 {
                    return Err(bad("weights", i, v, "must be finite and >= 0"));
                }
                total += v;
            }
            if total <= 0.0 {
                return Err(Error::invalid("weights", "0", "must not all be 0"));
            }
            Ok(w.to_vec())
        }
    }
}

/// Group identical rows (every column equal, bit for bit) and sum their weights.
///
/// Rows with weight 0 are dropped. The output is sorted by the row values, so the same multiset
/// of rows gives the same output whatever the input order: fitting on the output (with its
/// weights) is exactly fitting on the input.
///
/// # Example
/// ```
/// use yutang::ltv::compress_rows;
/// let (cols, w) = compress_rows(&[&[1.0, 0.0, 1.0], &[5.0, 0.0, 5.0]], None);
/// assert_eq!(cols, vec![vec![0.0, 1.0], vec![0.0, 5.0]]);
/// assert_eq!(w, vec![1.0, 2.0]);
/// ```
pub fn compress_rows(columns: &[&[f64]], weights: Option<&[f64]>) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = columns.first().map_or(0, |c| c.len());
    let k = columns.len();
    let mut idx: Vec<usize> =
        (0..n).filter(|&i| weights.is_none_or(|w| w.get(i).copied().unwrap_or(0.0) > 0.0)).collect();
    let key = |i: usize, j: usize| -> f64 { columns[j].get(i).copied().unwrap_or(0.0) };
    // Sort by the rows' values in `f64::total_cmp` order, compared as integers (a row's k keys
    // side by side in one buffer), ties by position: the same order as a stable sort.
    let ord = |v: f64| -> u64 {
        let b = v.to_bits();
        if b >> 63 == 1 {
            !b
        } else {
            b | 1 << 63
        }
    };
    let mut keys = vec![0u64; n * k];
    for i in 0..n {
        for j in 0..k {
            keys[i * k + j] = ord(key(i, j));
        }
    }
    idx.sort_unstable_by(|&p, &q| keys[p * k..p * k + k].cmp(&keys[q * k..q * k + k]).then(p.cmp(&q)));
    let mut out: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut w_out: Vec<f64> = Vec::new();
    let mut prev: Option<usize> = None;
    for &i in &idx {
        let wi = weights.map_or(1.0, |w| w.get(i).copied().unwrap_or(0.0));
        let same = prev.is_some_and(|p| (0..k).all(|j| key(p, j).to_bits() == key(i, j).to_bits()));
        if same {
            if let Some(last) = w_out.last_mut() {
                *last += wi;
            }
        } else {
            for (j, col) in out.iter_mut().enumerate() {
                col.push(key(i, j));
            }
            w_out.push(wi);
            prev = Some(i);
        }
    }
    (out, w_out)
}

/// Map over three equal-length columns, in parallel with the `parallel` feature.
pub(crate) fn par_map3<F>(a: &[f64], b: &[f64], c: &[f64], f: F) -> Vec<f64>
where
    F: Fn(f64, f64, f64) -> f64 + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if a.len() >= 4096 {
            return (0..a.len()).into_par_iter().with_min_len(1024).map(|i| f(a[i], b[i], c[i])).collect();
        }
    }
    a.iter().zip(b).zip(c).map(|((&x, &y), &z)| f(x, y, z)).collect()
}

/// Map over two equal-length columns, in parallel with the `parallel` feature.
pub(crate) fn par_map2<F>(a: &[f64], b: &[f64], f: F) -> Vec<f64>
where
    F: Fn(f64, f64) -> f64 + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if a.len() >= 4096 {
            return (0..a.len()).into_par_iter().with_min_len(1024).map(|i| f(a[i], b[i])).collect();
        }
    }
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// Evaluate `f` once per distinct `(a[i], b[i])` pair (bitwise) and return a lookup closure.
pub(crate) fn memo2<F>(a: &[f64], b: &[f64], f: F) -> impl Fn(f64, f64) -> f64 + Sync + Send
where
    F: Fn(f64, f64) -> f64,
{
    use hashbrown::HashMap;
    let mut map: HashMap<(u64, u64), f64, foldhash::fast::FixedState> =
        HashMap::with_hasher(foldhash::fast::FixedState::default());
    for (&x, &y) in a.iter().zip(b) {
        map.entry((x.to_bits(), y.to_bits())).or_insert_with(|| f(x, y));
    }
    move |x: f64, y: f64| map.get(&(x.to_bits(), y.to_bits())).copied().unwrap_or(f64::NAN)
}
