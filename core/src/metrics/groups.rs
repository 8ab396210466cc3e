//! Group-chat activity: members, speakers, messages per member, share of active members per
//! day and week, silent members, by group.

use super::calendar::{Calendar, Unit};
use super::growth::Period;
use crate::error::{Error, Result};
use chrono_tz::Tz;
use std::collections::HashMap;

/// One group event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupInput {
    /// Group code (index into the group names).
    pub group: u32,
    /// Customer code (index into the customer ids).
    pub customer: u32,
    /// Time (µs).
    pub at: i64,
    /// 0 join, 1 leave, 2 message.
    pub kind: u8,
}

/// A group over the period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupSummary {
    /// Group id.
    pub group: String,
    /// Members at the end of the period.
    pub members: u64,
    /// Customers who were members at some time in the period.
    pub members_during: u64,
    /// Members who sent at least one message in the period.
    pub speakers: u64,
    /// Messages in the period.
    pub messages: u64,
    /// `messages / members_during`.
    pub messages_per_member: f64,
    /// Mean over the period's days (with members) of the day's active share.
    pub daily_active_share: f64,
    /// Mean over the period's weeks (with members) of the week's active share.
    pub weekly_active_share: f64,
    /// Members at the end of the period who sent nothing in it.
    pub silent: u64,
}

/// One group in one day or week.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupDay {
    /// Group id.
    pub group: String,
    /// First day of the bucket, `YYYY-MM-DD` (weeks start on Monday).
    pub start: String,
    /// Members at some time in the bucket.
    pub members: u64,
    /// Members with a message in the bucket.
    pub speakers: u64,
    /// Messages in the bucket.
    pub messages: u64,
    /// `speakers / members` (0 without members).
    pub active_share: f64,
}

/// A silent member.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupRow {
    /// Group id.
    pub group: String,
    /// Customer id.
    pub customer_id: String,
}

/// Group activity over a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupActivity {
    /// One summary per group with any event up to the period end, by group id.
    pub groups: Vec<GroupSummary>,
    /// Per group and day of the period.
    pub days: Vec<GroupDay>,
    /// Per group and ISO week of the period.
    pub weeks: Vec<GroupDay>,
    /// Silent members, by group then customer id.
    pub silent: Vec<GroupRow>,
}

#[derive(Default, Clone, Copy)]
struct Member {
    member: bool,
    during: bool,
    spoke: bool,
    last_bucket: u32,
}

struct Sweep {
    members: Vec<u64>,
    speakers: Vec<u64>,
    messages: Vec<u64>,
}

/// Sweep one group's events (time order) over the buckets of `cal` inside `p`.
fn sweep(rows: &[GroupInput], cal: &Calendar, p: Period, state: &mut HashMap<u32, Member>) -> Sweep {
    state.clear();
    let nb = cal.len();
    let mut s = Sweep { members: vec![0; nb], speakers: vec![0; nb], messages: vec![0; nb] };
    let mut now: u64 = 0;
    let mut joined = vec![0u64; nb];
    let mut start_members = vec![u64::MAX; nb];
    let mut cur_bucket = 0usize;
    let mut i = 0;
    // before the period: membership only
    while i < rows.len() && rows[i].at < p.start {
        let r = rows[i];
        let m = state.entry(r.customer).or_insert(Member { last_bucket: u32::MAX, ..Default::default() });
        match r.kind {
            1 => {
                if m.member {
                    m.member = false;
                    now -= 1;
                }
            }
            _ => {
                if !m.member {
                    m.member = true;
                    now += 1;
                }
            }
        }
        i += 1;
    }
    for m in state.values_mut() {
        m.during = m.member;
    }
    start_members[0] = now;
    while i < rows.len() && rows[i].at < p.end {
        let r = rows[i];
        let b = cal.index(r.at) as usize;
        while cur_bucket < b {
            cur_bucket += 1;
            start_members[cur_bucket] = now;
        }
        let m = state.entry(r.customer).or_insert(Member { last_bucket: u32::MAX, ..Default::default() });
        match r.kind {
            1 => {
                if m.member {
                    m.member = false;
                    now -= 1;
                }
            }
            k => {
                if !m.member {
                    m.member = true;
                    m.during = true;
                    now += 1;
                    joined[b] += 1;
                }
                if k == 2 {
                    s.messages[b] += 1;
                    m.spoke = true;
                    if m.last_bucket != b as u32 {
                        m.last_bucket = b as u32;
                        s.speakers[b] += 1;
                    }
                }
            }
        }
        i += 1;
    }
    for b in 0..nb {
        if start_members[b] == u64::MAX {
            start_members[b] = now;
        }
        s.members[b] = start_members[b] + joined[b];
    }
    s
}

fn mean_share(s: &Sweep) -> f64 {
    let (mut sum, mut k) = (0.0, 0u32);
    for b in 0..s.members.len() {
        if s.members[b] > 0 {
            sum += s.speakers[b] as f64 / s.members[b] as f64;
            k += 1;
        }
    }
    if k == 0 {
        0.0
    } else {
        sum / k as f64
    }
}

/// Group activity over the period `[p.start, p.end)`, with days and ISO weeks in `tz`.
///
/// Membership: a `group_join` makes a customer a member, a `group_leave` ends it, and a
/// message from a non-member makes them a member (they are evidently in the group). Events
/// before the period set who is a member when it starts. A bucket's members are those who
/// were members at some time in it; its active share is speakers / members.
///
/// # Errors
/// An empty period, a code out of range of the names.
pub fn group_activity(
    rows: &[GroupInput],
    group_names: &[String],
    customer_ids: &[String],
    p: Period,
    tz: Tz,
) -> Result<GroupActivity> {
    if p.start >= p.end {
        return Err(Error::invalid("period", format!("{}..{}", p.start, p.end), "start must be before end"));
    }
    for (i, r) in rows.iter().enumerate() {
        if r.group as usize >= group_names.len() || r.customer as usize >= customer_ids.len() || r.kind > 2 {
            return Err(Error::invalid(format!("rows[{i}]"), format!("{r:?}"), "code out of range"));
        }
    }
    let days = Calendar::new(Unit::Day, tz, p.start, p.end - 1)?;
    let weeks = Calendar::new(Unit::Week, tz, p.start, p.end - 1)?;
    let mut by_group: Vec<Vec<GroupInput>> = vec![vec![]; group_names.len()];
    for r in rows {
        if r.at < p.end {
            by_group[r.group as usize].push(*r);
        }
    }
    let mut order: Vec<usize> = (0..group_names.len()).collect();
    order.sort_by(|&a, &b| group_names[a].cmp(&group_names[b]));
    let mut state = HashMap::new();
    let mut out = GroupActivity { groups: vec![], days: vec![], weeks: vec![], silent: vec![] };
    for g in order {
        let rs = &mut by_group[g];
        if rs.is_empty() {
            continue;
        }
        rs.sort_by_key(|r| (r.at, r.kind, r.customer));
        let name = &group_names[g];
        let w = sweep(rs, &weeks, p, &mut state);
        let d = sweep(rs, &days, p, &mut state);
        let (mut members, mut during, mut speakers) = (0, 0, 0);
        let mut silent: Vec<&String> = vec![];
        for (&c, m) in &state {
            members += m.member as u64;
            during += m.during as u64;
            speakers += m.spoke as u64;
            if m.member && !m.spoke {
                silent.push(&customer_ids[c as usize]);
            }
        }
        silent.sort();
        let messages: u64 = d.messages.iter().sum();
        out.groups.push(GroupSummary {
            group: name.clone(),
            members,
            members_during: during,
            speakers,
            messages,
            messages_per_member: if during == 0 { 0.0 } else { messages as f64 / during as f64 },
            daily_active_share: mean_share(&d),
            weekly_active_share: mean_share(&w),
            silent: silent.len() as u64,
        });
        for (cal, s, list) in [(&days, &d, &mut out.days), (&weeks, &w, &mut out.weeks)] {
            for b in 0..cal.len() {
                list.push(GroupDay {
                    group: name.clone(),
                    start: cal.label(b),
                    members: s.members[b],
                    speakers: s.speakers[b],
                    messages: s.messages[b],
                    active_share: if s.members[b] == 0 { 0.0 } else { s.speakers[b] as f64 / s.members[b] as f64 },
                });
            }
        }
        out.silent.extend(silent.into_iter().map(|c| GroupRow { group: name.clone(), customer_id: c.clone() }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_time;

    #[test]
    fn hand_computed_two_days() {
        let tz = chrono_tz::Asia::Shanghai;
        let t = |s: &str| parse_time(s, tz).unwrap().micros();
        let g = vec!["g1".to_string()];
        let ids: Vec<String> = (0..4).map(|i| format!("c{i}")).collect();
        let r = |c, at: &str, kind| GroupInput { group: 0, customer: c, at: t(at), kind };
        // before: c0, c1 join. Day 1 (05-01): c0 speaks twice, c2 joins. Day 2: c1 leaves,
        // c3 speaks without a join (becomes a member), c0 speaks.
        let rows = vec![
            r(0, "2024-04-20", 0),
            r(1, "2024-04-21", 0),
            r(0, "2024-05-01 09:00", 2),
            r(0, "2024-05-01 10:00", 2),
            r(2, "2024-05-01 11:00", 0),
            r(1, "2024-05-02 09:00", 1),
            r(3, "2024-05-02 10:00", 2),
            r(0, "2024-05-02 11:00", 2),
        ];
        let a = group_activity(&rows, &g, &ids, Period { start: t("2024-05-01"), end: t("2024-05-03") }, tz).unwrap();
        let s = &a.groups[0];
        // end members: c0, c2, c3; during: c0..c3; speakers c0, c3; messages 4
        assert_eq!((s.members, s.members_during, s.speakers, s.messages, s.silent), (3, 4, 2, 4, 1));
        assert_eq!(s.messages_per_member, 1.0);
        // day 1: members c0, c1, c2 (3), speakers 1 -> 1/3; day 2: members c0, c1 (left that day), c2, c3 = 4,
        // speakers c3, c0 -> 2/4; mean (1/3 + 1/2) / 2
        assert_eq!((a.days[0].members, a.days[0].speakers), (3, 1));
        assert_eq!((a.days[1].members, a.days[1].speakers), (4, 2));
        assert!((s.daily_active_share - (1.0 / 3.0 + 0.5) / 2.0).abs() < 1e-15);
        // one ISO week (Wed 05-01 .. Thu 05-02 both in week of 04-29): members 4, speakers 2
        assert_eq!(a.weeks.len(), 1);
        assert_eq!(a.weeks[0].start, "2024-04-29");
        assert_eq!(s.weekly_active_share, 0.5);
        assert_eq!(a.silent, [GroupRow { group: "g1".into(), customer_id: "c2".into() }]);
    }
}
