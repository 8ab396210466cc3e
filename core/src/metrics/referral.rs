//! Referral ("fission") trees: who invited whom, generations, conversion within the attribution
//! window, and the K-factor.

use crate::error::{Error, Result};

/// One invite: a `referral` event on the invitee naming the inviter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The inviter's customer code, `None` when the referrer identity resolves to no customer.
    pub inviter: Option<u32>,
    /// The invitee's customer code.
    pub invitee: u32,
    /// Time of the referral event (µs).
    pub at: i64,
    /// The referral event's id (for the rejection report).
    pub event_id: String,
}

/// Options of [`referral_trees`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralOptions {
    /// An invitee converts when their first order comes within this many days after the invite
    /// (default 30).
    pub window_days: u32,
}

impl Default for ReferralOptions {
    fn default() -> Self {
        ReferralOptions { window_days: 30 }
    }
}

/// An attributed invite: an edge of a referral tree.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReferralEdge {
    /// The inviter's customer id.
    pub inviter: String,
    /// The invitee's customer id.
    pub invitee: String,
    /// Time of the invite (µs).
    pub at: i64,
    /// The invitee's generation: 1 for someone invited by a root, 2 for their invitees …
    pub generation: u32,
    /// The root of the tree (a customer nobody invited).
    pub root: String,
    /// Whether the invitee's first order came within the window.
    pub converted: bool,
}

/// One referral tree.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReferralTree {
    /// The root customer (invited by nobody).
    pub root: String,
    /// Customers invited into the tree (the root not counted).
    pub size: u64,
    /// Deepest generation.
    pub depth: u32,
    /// Converted invitees in the tree.
    pub converted: u64,
}

/// An invite that was not attributed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReferralRejection {
    /// The referral event.
    pub event_id: String,
    /// `unknown_referrer`, `self_referral` (the referrer resolves to the invitee through the
    /// identity graph), `already_customer` (the invitee had ordered before), `already_invited`
    /// (an earlier invite of the same invitee was attributed), `cycle` (the inviter was
    /// invited, directly or not, by the invitee) or, from a pool, `referrer_erased` (the
    /// inviter was erased: the invitee's referral event stays, without its referrer).
    pub reason: String,
    /// The invitee's customer id.
    pub invitee: String,
}

/// Referral trees and the K-factor.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Referrals {
    /// Attributed invites, in time order.
    pub edges: Vec<ReferralEdge>,
    /// Trees, largest first (ties by root id).
    pub trees: Vec<ReferralTree>,
    /// Invites that were not attributed, in time order.
    pub rejected: Vec<ReferralRejection>,
    /// Customers (the denominator of invites per customer).
    pub customers: u64,
    /// Attributed invites.
    pub invites: u64,
    /// Invitees whose first order came within the window.
    pub converted: u64,
}

impl Referrals {
    /// `invites / customers`.
    pub fn invites_per_customer(&self) -> f64 {
        if self.customers == 0 {
            0.0
        } else {
            self.invites as f64 / self.customers as f64
        }
    }

    /// `converted / invites`.
    pub fn invite_conversion(&self) -> f64 {
        if self.invites == 0 {
            0.0
        } else {
            self.converted as f64 / self.invites as f64
        }
    }

    /// K-factor: invites per customer × invite conversion (= converted / customers).
    pub fn k_factor(&self) -> f64 {
        self.invites_per_customer() * self.invite_conversion()
    }
}

const NONE: u32 = u32::MAX;

/// Build referral trees from invites.
///
/// Invites are taken in (time, event id) order. An invite is attributed unless its referrer is
/// unknown, resolves to the invitee (self-referral: the pool resolves both through the identity
/// graph, so a customer's other account is the same customer), the invitee had ordered before
/// (`first_order[invitee] < at`), the invitee was already attributed, or the edge would close a
/// cycle. An attributed invitee converts when `first_order[invitee] <= at + window`.
/// `customer_ids[c]` names code `c`; `customers` is the K-factor's denominator.
///
/// # Errors
/// A code out of range of `customer_ids` / `first_order`.
pub fn referral_trees(
    invites: &[Invite],
    first_order: &[i64],
    customer_ids: &[String],
    customers: u64,
    opts: &ReferralOptions,
) -> Result<Referrals> {
    let n = customer_ids.len();
    if first_order.len() != n {
        return Err(Error::invalid("first_order", first_order.len().to_string(), "one per customer id"));
    }
    for (i, v) in invites.iter().enumerate() {
        if v.invitee as usize >= n || v.inviter.is_some_and(|c| c as usize >= n) {
            return Err(Error::invalid(format!("invites[{i}]"), v.event_id.clone(), "customer code out of range"));
        }
    }
    let mut order: Vec<usize> = (0..invites.len()).collect();
    order.sort_by(|&a, &b| (invites[a].at, &invites[a].event_id).cmp(&(invites[b].at, &invites[b].event_id)));
    let window = opts.window_days as i64 * 86_400_000_000;
    let mut parent = vec![NONE; n];
    let mut edges_raw: Vec<(u32, u32, i64, bool)> = Vec::new();
    let mut rejected = Vec::new();
    for &i in &order {
        let v = &invites[i];
        let b = v.invitee;
        let reason = match v.inviter {
            None => Some("unknown_referrer"),
            Some(a) if a == b => Some("self_referral"),
            Some(_) if first_order[b as usize] < v.at => Some("already_customer"),
            Some(_) if parent[b as usize] != NONE => Some("already_invited"),
            Some(a) => {
                // walk up from the inviter: meeting the invitee closes a cycle
                let mut x = a;
                let mut cyc = false;
                while x != NONE {
                    if x == b {
                        cyc = true;
                        break;
                    }
                    x = parent[x as usize];
                }
                cyc.then_some("cycle")
            }
        };
        match reason {
            Some(r) => rejected.push(ReferralRejection {
                event_id: v.event_id.clone(),
                reason: r.to_string(),
                invitee: customer_ids[b as usize].clone(),
            }),
            None => {
                let a = v.inviter.unwrap_or(NONE);
                parent[b as usize] = a;
                let fo = first_order[b as usize];
                edges_raw.push((a, b, v.at, fo != i64::MAX && fo <= v.at.saturating_add(window)));
            }
        }
    }
    // generation and root by walking up (memoised)
    let mut gen = vec![u32::MAX; n];
    let mut root = vec![NONE; n];
    fn resolve(x: u32, parent: &[u32], gen: &mut [u32], root: &mut [u32]) {
        let mut path = vec![];
        let mut y = x;
        while gen[y as usize] == u32::MAX && parent[y as usize] != NONE {
            path.push(y);
            y = parent[y as usize];
        }
        if gen[y as usize] == u32::MAX {
            gen[y as usize] = 0;
            root[y as usize] = y;
        }
        while let Some(z) = path.pop() {
            let p = parent[z as usize] as usize;
            gen[z as usize] = gen[p] + 1;
            root[z as usize] = root[p];
        }
    }
    let mut trees: std::collections::BTreeMap<u32, (u64, u32, u64)> = Default::default();
    let mut edges = Vec::with_capacity(edges_raw.len());
    let mut converted = 0;
    for &(a, b, at, conv) in &edges_raw {
        resolve(b, &parent, &mut gen, &mut root);
        let r = root[b as usize];
        let t = trees.entry(r).or_default();
        t.0 += 1;
        t.1 = t.1.max(gen[b as usize]);
        t.2 += conv as u64;
        converted += conv as u64;
        edges.push(ReferralEdge {
            inviter: customer_ids[a as usize].clone(),
            invitee: customer_ids[b as usize].clone(),
            at,
            generation: gen[b as usize],
            root: customer_ids[r as usize].clone(),
            converted: conv,
        });
    }
    let mut trees: Vec<ReferralTree> = trees
        .into_iter()
        .map(|(r, (size, depth, conv))| ReferralTree {
            root: customer_ids[r as usize].clone(),
            size,
            depth,
            converted: conv,
        })
        .collect();
    trees.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.root.cmp(&b.root)));
    Ok(Referrals { invites: edges.len() as u64, edges, trees, rejected, customers, converted })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(a: Option<u32>, b: u32, at: i64, id: &str) -> Invite {
        Invite { inviter: a, invitee: b, at, event_id: id.into() }
    }

    #[test]
    fn tree_hand_computed() {
        // 0 invites 1 and 2; 1 invites 3; 3 tries to invite 0 (cycle); 2 invites itself; 4 is
        // invited by 0 after having ordered; 1 is invited again by 2 (already invited).
        let ids: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
        let day = 86_400_000_000;
        let m = i64::MAX;
        // first orders: 1 at day 5 (converted: invite day 1, window 30); 2 at day 40 (too late);
        // 3 never; 4 at day 0 (before its invite at day 2)
        let first = [0, 5 * day, 40 * day, m, 0, m];
        let invites = vec![
            inv(Some(0), 1, day, "e1"),
            inv(Some(0), 2, day, "e2"),
            inv(Some(1), 3, 2 * day, "e3"),
            inv(Some(3), 0, 3 * day, "e4"),
            inv(Some(2), 2, 3 * day, "e5"),
            inv(Some(0), 4, 2 * day, "e6"),
            inv(Some(2), 1, 4 * day, "e7"),
            inv(None, 5, 4 * day, "e8"),
        ];
        let r = referral_trees(&invites, &first, &ids, 6, &ReferralOptions::default()).unwrap();
        let reasons: Vec<(&str, &str)> = r.rejected.iter().map(|x| (x.event_id.as_str(), x.reason.as_str())).collect();
        // e4: 0 ordered at day 0 < day 3 -> already_customer is checked before the cycle
        assert_eq!(
            reasons,
            [
                ("e6", "already_customer"),
                ("e4", "already_customer"),
                ("e5", "self_referral"),
                ("e7", "already_invited"),
                ("e8", "unknown_referrer")
            ]
        );
        assert_eq!(r.invites, 3);
        assert_eq!(r.edges.iter().map(|e| e.generation).collect::<Vec<_>>(), [1, 1, 2]);
        assert_eq!(r.trees.len(), 1);
        assert_eq!(
            (r.trees[0].root.as_str(), r.trees[0].size, r.trees[0].depth, r.trees[0].converted),
            ("c0", 3, 2, 1)
        );
        // K = invites/customers × conversion = 3/6 × 1/3 = 1/6
        assert!((r.k_factor() - 1.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn cycle_is_rejected() {
        let ids: Vec<String> = (0..2).map(|i| format!("c{i}")).collect();
        let m = i64::MAX;
        let r =
            referral_trees(&[inv(Some(0), 1, 1, "a"), inv(Some(1), 0, 2, "b")], &[m, m], &ids, 2, &Default::default())
                .unwrap();
        assert_eq!(r.rejected[0].reason, "cycle");
    }
}
