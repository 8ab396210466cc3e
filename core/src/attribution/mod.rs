//! Channel attribution: which touchpoints earn the conversions.
//!
//! Customers reach a conversion (an order, a sign-up) through a *path* of touchpoints on
//! channels: `douyin > wechat > taobao`. This module splits each path's conversions and
//! conversion value over its channels with several models, side by side:
//!
//! | model | function | credit goes to |
//! |---|---|---|
//! | first touch, last touch, last non-direct, linear, time decay, position based | [`heuristic_models`] | fixed rules over the positions in each path |
//! | Markov chain, orders 1–4 | [`markov_model`] | each channel's *removal effect*, solved exactly on the absorbing chain |
//! | Shapley value | [`shapley_model`] | each channel's average marginal contribution over channel sets |
//!
//! Every model returns, per channel, the attributed conversions and value; the attributed
//! totals equal the observed totals (property-tested).
//!
//! ## Paths
//! [`Paths`] holds paths of interned channel ids with, per path, a number of conversions, a
//! conversion value and a number of nulls (paths that ended without a conversion). Build it
//! by parsing `"a > b > c"` strings ([`Paths::parse`]), row by row ([`PathsBuilder`]), or from
//! per-customer touchpoint columns with a lookback window ([`paths_from_touchpoints`]).
//!
//! ## Output order
//! Channels are numbered and reported **in order of first appearance** (scanning the paths
//! from the first row, each path from its first touch), the order ChannelAttribution uses.
//! Results do not depend on the number of threads: work is split into fixed-size chunks whose
//! partial sums are added in chunk order.
//!
//! ## Compatibility with ChannelAttribution
//! Path strings are split at the separator, each channel name is trimmed of surrounding
//! whitespace. First touch, last touch and linear touch follow the Python package
//! ChannelAttribution exactly (linear gives each *touch* `1/n`, so a channel seen twice in a
//! path of four gets half). The Markov chain is ChannelAttribution's (see [`markov_model`]),
//! solved exactly instead of simulated. Unlike ChannelAttribution, an empty channel name
//! (`"a >  > b"`) is an error naming the row instead of being skipped silently.
//!
//! # Example
//! ```
//! use yutang::attribution::{heuristic_models, markov_model, HeuristicOptions, MarkovOptions, Paths};
//!
//! let paths = Paths::parse(
//!     &["douyin > wechat", "wechat", "douyin > taobao"],
//!     &[1.0, 1.0, 0.0],
//!     Some(&[100.0, 50.0, 0.0]),
//!     Some(&[0.0, 2.0, 1.0]),
//!     ">",
//! )?;
//! let h = heuristic_models(&paths, &HeuristicOptions::new())?;
//! assert_eq!(h.channels, ["douyin", "wechat", "taobao"]);
//! assert_eq!(h.first_touch.conversions, [1.0, 1.0, 0.0]);
//! let m = markov_model(&paths, &MarkovOptions::new())?;
//! let total: f64 = m.conversions.iter().sum();
//! assert!((total - 2.0).abs() < 1e-12);
//! # Ok::<(), yutang::Error>(())
//! ```

mod heuristic;
mod markov;
mod paths;
mod removal;
mod shapley;
mod touchpoints;

pub use heuristic::{heuristic_models, Credits, HeuristicAttribution, HeuristicOptions};
pub use markov::{markov_model, MarkovAttribution, MarkovOptions, MarkovState, Transition, DEFAULT_MAX_WORK};
pub use paths::{ChannelId, Paths, PathsBuilder, MAX_CHANNELS};
pub use shapley::{
    shapley_model, ShapleyAttribution, ShapleyOptions, ShapleyWorth, MAX_SHAPLEY_CHANNELS, MAX_SHAPLEY_SAMPLES,
};
pub use touchpoints::{paths_from_touchpoints, PathOptions, TouchpointPaths};

use crate::{Error, Result};
use std::ops::Range;

/// Paths per work chunk. Fixed (not derived from the thread count) so that partial sums are
/// always formed over the same rows and added in the same order: results are bit-identical
/// with and without the `parallel` feature and on any number of threads.
pub(crate) const CHUNK: usize = 1 << 15;

/// Split `0..n` into fixed chunks and map each chunk, in parallel when the `parallel` feature
/// is on. The results come back in chunk order.
pub(crate) fn map_chunks<T, F>(n: usize, chunk: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(Range<usize>) -> T + Sync + Send,
{
    let chunk = chunk.max(1);
    let ranges: Vec<Range<usize>> = (0..n).step_by(chunk).map(|s| s..(s.saturating_add(chunk)).min(n)).collect();
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        ranges.into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        ranges.into_iter().map(f).collect()
    }
}

/// Map `items` in parallel when the `parallel` feature is on; results in input order.
pub(crate) fn map_items<I, T, F>(items: Vec<I>, f: F) -> Vec<T>
where
    I: Send,
    T: Send,
    F: Fn(I) -> T + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.into_iter().map(f).collect()
    }
}

/// Add per-chunk partial sums in chunk order (deterministic for any thread count).
pub(crate) fn sum_partials(partials: Vec<Vec<f64>>, width: usize) -> Vec<f64> {
    let mut acc = vec![0.0f64; width];
    for p in partials {
        acc.iter_mut().zip(p).for_each(|(a, b)| *a += b);
    }
    acc
}

/// Scale `weights` so that they sum to `total`; all zeros when the weights sum to zero.
pub(crate) fn scale_to_total(weights: &[f64], total: f64) -> Vec<f64> {
    let sum: f64 = weights.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        weights.iter().map(|w| w / sum * total).collect()
    } else {
        vec![0.0; weights.len()]
    }
}

/// The totals every model adds up must be finite: each number is, but many large ones can
/// overflow f64 together (two paths with 1e308 conversions). An error naming the field, never
/// results of zeros, `inf` or NaN.
pub(crate) fn check_totals(paths: &Paths) -> Result<()> {
    let (c, v, u) = (paths.total_conversions(), paths.total_value(), paths.total_nulls());
    let both: f64 = paths.conversions.iter().zip(&paths.nulls).map(|(c, u)| c + u).sum();
    for (field, total) in [("conversions", c), ("values", v), ("nulls", u), ("conversions + nulls", both)] {
        if !total.is_finite() {
            return Err(Error::invalid(
                field,
                total.to_string(),
                "the total over all paths overflows f64: the counts are too large to add up",
            ));
        }
    }
    Ok(())
}

/// Attributed amounts must be finite (sums in another order than the totals' can still
/// overflow when the totals are within rounding of the largest f64).
pub(crate) fn check_finite(xs: &[f64], field: &str) -> Result<()> {
    match xs.iter().find(|x| !x.is_finite()) {
        Some(x) => Err(Error::invalid(
            field,
            x.to_string(),
            "the attributed amounts overflow f64: the counts are too large to add up",
        )),
        None => Ok(()),
    }
}
