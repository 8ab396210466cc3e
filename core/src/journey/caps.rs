//! Frequency caps per channel and across channels (rolling windows).

use super::def::Span;
use crate::model::Channel;
use serde::{Deserialize, Serialize};

/// Which sends a cap counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapScope {
    /// Each channel separately (≤ max per channel per window).
    EachChannel,
    /// All channels together.
    AllChannels,
    /// One channel.
    Channel(Channel),
}

/// At most `max` sends in any rolling `window` (across all journeys of the pool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    /// What is counted.
    pub scope: CapScope,
    /// Most sends in the window.
    pub max: u32,
    /// The rolling window.
    pub window: Span,
}

impl Cap {
    /// The default caps: ≤ 1 per channel per day, ≤ 3 per 7 days across channels.
    pub fn defaults() -> Vec<Cap> {
        vec![
            Cap { scope: CapScope::EachChannel, max: 1, window: Span::days(1) },
            Cap { scope: CapScope::AllChannels, max: 3, window: Span::days(7) },
        ]
    }
}

/// The earliest instant ≥ `t` at which a send on `channel` (code) is allowed by every cap,
/// given the earlier sends `(time, channel code)` in time order. Caps with `max == 0` block
/// the channel for good: `None`.
pub(crate) fn next_allowed(
    t: i64,
    channel: u8,
    code_of: &dyn Fn(&Channel) -> Option<u8>,
    sent: &[(i64, u8)],
    caps: &[Cap],
) -> Option<i64> {
    let mut best = t;
    for cap in caps {
        let counted = |c: u8| match &cap.scope {
            CapScope::EachChannel => c == channel,
            CapScope::AllChannels => true,
            CapScope::Channel(ch) => code_of(ch) == Some(channel) && c == channel,
        };
        if let CapScope::Channel(ch) = &cap.scope {
            if code_of(ch) != Some(channel) {
                continue;
            }
        }
        if cap.max == 0 {
            return None;
        }
        let w = cap.window.micros();
        // sends in (t - w, t], oldest first
        let inside: Vec<i64> =
            sent.iter().filter(|&&(s, c)| s > t - w && s <= t && counted(c)).map(|&(s, _)| s).collect();
        if inside.len() >= cap.max as usize {
            let k = inside.len() - cap.max as usize;
            best = best.max(inside[k] + w);
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_windows() {
        let caps = Cap::defaults();
        let none = |_: &Channel| None;
        let day = 86_400_000_000i64;
        // nothing sent: allowed now
        assert_eq!(next_allowed(100, 0, &none, &[], &caps), Some(100));
        // one send on channel 0 at t=0: channel 0 allowed again at 1 day, channel 1 at once
        assert_eq!(next_allowed(10, 0, &none, &[(0, 0)], &caps), Some(day));
        assert_eq!(next_allowed(10, 1, &none, &[(0, 0)], &caps), Some(10));
        // three sends in the week (days 0, 1, 2): the 4th waits until day 0 + 7 days
        let sent = [(0, 0), (day, 1), (2 * day, 2)];
        assert_eq!(next_allowed(3 * day, 3, &none, &sent, &caps), Some(7 * day));
    }
}
