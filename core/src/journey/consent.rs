//! Consent per channel, read from the customer's timeline.
//!
//! A refusal on a channel is a `consent` event with `granted: false` for it, or an `unfollow`
//! event on it (an `unfollow` without a channel refuses `wechat_official_account`). A later
//! grant (`consent` with `granted: true`, or `follow` on the channel) lifts a refusal only if it
//! carries one of the identities the refusal came with. So when two customers merge and one
//! of them had refused, a grant recorded by the other does not lift it: **a refusal wins**.

use crate::model::{Channel, EventKind, Identity};
use crate::pool::CustomerView;

/// The channels refused at time `t` (µs), in the order the refusals happened.
pub(crate) fn refused_at(view: &CustomerView<'_>, t: i64) -> Vec<Channel> {
    let mut active: Vec<(Channel, Vec<Identity>)> = Vec::new();
    for e in view.events() {
        if e.at_micros() > t {
            break;
        }
        let (channel, granted) = match e.kind() {
            EventKind::Consent => match e.consent() {
                Some(c) => (c.channel.clone(), c.granted),
                None => continue,
            },
            EventKind::Unfollow => (e.channel().cloned().unwrap_or(Channel::WechatOfficialAccount), false),
            EventKind::Follow => (e.channel().cloned().unwrap_or(Channel::WechatOfficialAccount), true),
            _ => continue,
        };
        let idents = e.to_event().identities;
        if granted {
            active.retain(|(c, who)| !(c == &channel && who.iter().any(|i| idents.contains(i))));
        } else {
            active.push((channel, idents));
        }
    }
    let mut out: Vec<Channel> = Vec::new();
    for (c, _) in active {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}
