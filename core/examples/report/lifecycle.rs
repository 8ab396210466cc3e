//! Lifecycle distribution and RFM tier sizes for the report; `None` until the lifecycle module
//! (Pool::lifecycle, Pool::rfm) is part of the build.
#![allow(dead_code)]

use yutang::{Pool, Timestamp};

/// (title, HTML body) sections, or `None` when the lifecycle module is not in this build.
pub fn sections(_pool: &Pool, _as_of: Timestamp) -> Option<Vec<(String, String)>> {
    None
}
