//! The metrics computed from a pool: the pool's compact rows feed the same kernels as the
//! columnar functions.

use super::affinity::{affinity, Affinity, AffinityOptions, Recommendation};
use super::cohort::{category_metrics, cohort_retention, CategoryMetrics, CohortOptions, Cohorts};
use super::groups::{group_activity, GroupActivity, GroupInput};
use super::growth::{growth, Growth, GrowthColumns, GrowthKind, GrowthOptions, Period};
use super::referral::{referral_trees, Invite, ReferralOptions, Referrals};
use super::NO_CODE;
use crate::error::{Error, Result};
use crate::model::{EventKind, Money, Timestamp};
use crate::pool::Pool;
use std::collections::HashMap;

/// What the items of a basket are, for [`Pool::affinity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolAffinityOptions {
    /// Stock-keeping units (default).
    #[default]
    Sku,
    /// Product categories (items without one are left out).
    Category,
}

impl PoolAffinityOptions {
    /// Parse `sku` / `category`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming `level`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "sku" => Ok(Self::Sku),
            "category" => Ok(Self::Category),
            _ => Err(Error::invalid("level", s, "expected \"sku\" or \"category\"")),
        }
    }
}

/// Options of [`Pool::referrals`].
pub type PoolReferralOptions = ReferralOptions;

fn major(pool: &Pool, m: Money) -> Result<f64> {
    let cur = pool.config().currency;
    if m.currency != cur {
        return Err(Error::CurrencyMismatch { left: cur.to_string(), right: m.currency.to_string() });
    }
    Ok(m.to_major_f64())
}

fn cut(as_of: Option<Timestamp>) -> i64 {
    as_of.map_or(i64::MAX, |t| t.micros())
}

impl Pool {
    /// `order` events as (customer position, time) columns, up to `as_of`.
    fn order_columns(&self, as_of: Option<Timestamp>) -> (Vec<u32>, Vec<i64>) {
        let (mut c, mut t) = (Vec::new(), Vec::new());
        let Some(order) = self.kind_code(&EventKind::Order) else { return (c, t) };
        let end = cut(as_of);
        for p in 0..self.customer_count() {
            let Some(v) = self.customer_at(p) else { continue };
            for e in v.events() {
                if e.at_micros() > end {
                    break;
                }
                if e.kind_code() == order {
                    c.push(p as u32);
                    t.push(e.at_micros());
                }
            }
        }
        (c, t)
    }

    /// Cohort retention by first-order month (in the business time zone) and the repurchase
    /// rate, from the pool's `order` events up to `as_of` (all without). See
    /// [`crate::metrics::cohort_retention`].
    ///
    /// # Errors
    /// None in practice (the pool's times are valid); kept for the shared signature.
    pub fn cohort_retention(&self, as_of: Option<Timestamp>) -> Result<Cohorts> {
        let (c, t) = self.order_columns(as_of);
        let (c, _) = densify(&c);
        let mut opts = CohortOptions::new().time_zone(self.time_zone());
        opts.as_of = as_of.map(|a| a.micros());
        cohort_retention(&c, &t, &opts)
    }

    /// Per-category retention, repurchase rate, AOV and private-domain fit from the items of
    /// the pool's `order` events up to `as_of`. A line's amount is `unit_price × quantity`, or
    /// the order's amount split evenly over its lines when the line has no price. Lines without
    /// a category are left out. See [`crate::metrics::category_metrics`].
    ///
    /// # Errors
    /// [`Error::CurrencyMismatch`] for money in another currency than the reporting one.
    pub fn category_metrics(&self, as_of: Option<Timestamp>) -> Result<Vec<CategoryMetrics>> {
        let (mut c, mut t, mut cat, mut amt) = (vec![], vec![], vec![], vec![]);
        let mut names: Vec<String> = vec![];
        let mut code: HashMap<String, u32> = HashMap::new();
        if let Some(order) = self.kind_code(&EventKind::Order) {
            let end = cut(as_of);
            for p in 0..self.customer_count() {
                let Some(v) = self.customer_at(p) else { continue };
                for e in v.events() {
                    if e.at_micros() > end {
                        break;
                    }
                    if e.kind_code() != order || e.items().is_empty() {
                        continue;
                    }
                    let share = match e.money() {
                        Some(m) => major(self, m)? / e.items().len() as f64,
                        None => 0.0,
                    };
                    for it in e.items() {
                        let Some(name) = &it.category else { continue };
                        let k = *code.entry(name.clone()).or_insert_with(|| {
                            names.push(name.clone());
                            names.len() as u32 - 1
                        });
                        let line = match it.unit_price {
                            Some(u) => major(self, u)? * it.quantity as f64,
                            None => share,
                        };
                        c.push(p as u32);
                        t.push(e.at_micros());
                        cat.push(k);
                        amt.push(line);
                    }
                }
            }
        }
        // categories in name order
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut remap = vec![0u32; names.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new as u32;
        }
        let cat: Vec<u32> = cat.into_iter().map(|k| remap[k as usize]).collect();
        let sorted: Vec<String> = order.iter().map(|&i| names[i].clone()).collect();
        let mut opts = CohortOptions::new().time_zone(self.time_zone());
        opts.as_of = as_of.map(|a| a.micros());
        // the kernel wants dense customer codes below the row count
        let (c, _) = densify(&c);
        category_metrics(&c, &t, &cat, &sorted, Some(&amt), &opts)
    }

    /// The growth formula in two periods (`[start, end)` each) and the LMDI decomposition of its
    /// change, overall and per acquisition channel (a customer's first channel). Orders are
    /// `order` events (amounts in the reporting currency); a `referral` event counts as an
    /// invited arrival when its referrer resolves to another customer; `register` events are
    /// registrations; every event is a visit. See [`crate::metrics::growth`].
    ///
    /// # Errors
    /// [`Error::CurrencyMismatch`]; an empty period.
    pub fn growth(
        &self,
        previous: (Timestamp, Timestamp),
        current: (Timestamp, Timestamp),
        opts: &GrowthOptions,
    ) -> Result<Growth> {
        let codes = (
            self.kind_code(&EventKind::Order),
            self.kind_code(&EventKind::Register),
            self.kind_code(&EventKind::Referral),
        );
        let end = previous.1.micros().max(current.1.micros());
        let (mut cust, mut at, mut kind, mut amount, mut channel) = (vec![], vec![], vec![], vec![], vec![]);
        let mut names: Vec<String> = vec![];
        let mut chan_map: HashMap<u8, u32> = HashMap::new();
        for p in 0..self.customer_count() {
            let Some(v) = self.customer_at(p) else { continue };
            for e in v.events() {
                if e.at_micros() >= end {
                    break;
                }
                let k = e.kind_code();
                let (gk, amt) = if Some(k) == codes.0 {
                    (GrowthKind::Order, e.money().map(|m| major(self, m)).transpose()?.unwrap_or(0.0))
                } else if Some(k) == codes.1 {
                    (GrowthKind::Register, 0.0)
                } else if Some(k) == codes.2
                    && e.referrer().and_then(|r| self.position_of_identity(&r)).is_some_and(|q| q != p)
                {
                    (GrowthKind::Referral, 0.0)
                } else {
                    (GrowthKind::Activity, 0.0)
                };
                let ch = match (e.channel_code(), e.channel()) {
                    (Some(code), Some(name)) => *chan_map.entry(code).or_insert_with(|| {
                        names.push(name.to_string());
                        names.len() as u32 - 1
                    }),
                    _ => NO_CODE,
                };
                cust.push(p as u32);
                at.push(e.at_micros());
                kind.push(gk as u8);
                amount.push(amt);
                channel.push(ch);
            }
        }
        // channels in name order
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut remap = vec![0u32; names.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new as u32;
        }
        for c in channel.iter_mut() {
            if *c != NO_CODE {
                *c = remap[*c as usize];
            }
        }
        let sorted: Vec<String> = order.iter().map(|&i| names[i].clone()).collect();
        let (cust, _) = densify(&cust);
        let cols = GrowthColumns {
            customers: &cust,
            at: &at,
            kind: &kind,
            amount: &amount,
            channel: Some(&channel),
            channel_names: &sorted,
        };
        growth(
            &cols,
            Period { start: previous.0.micros(), end: previous.1.micros() },
            Period { start: current.0.micros(), end: current.1.micros() },
            opts,
        )
    }

    /// Referral trees from the pool's `referral` events up to `as_of`: the invitee is the
    /// event's customer, the inviter the customer its referrer identity resolves to through the
    /// identity graph (so a customer's own other account is the same customer: rejected as
    /// `self_referral`). The K-factor's denominator is the number of customers with an event up
    /// to `as_of`. See [`crate::metrics::referral_trees`].
    ///
    /// # Errors
    /// None in practice; kept for the shared signature.
    pub fn referrals(&self, as_of: Option<Timestamp>, opts: &ReferralOptions) -> Result<Referrals> {
        let end = cut(as_of);
        let n = self.customer_count();
        let (order, referral) = (self.kind_code(&EventKind::Order), self.kind_code(&EventKind::Referral));
        let mut first_order = vec![i64::MAX; n];
        let mut invites = Vec::new();
        let mut erased: Vec<String> = Vec::new();
        let mut customers = 0u64;
        let mut ids = Vec::with_capacity(n);
        for (p, first) in first_order.iter_mut().enumerate() {
            let Some(v) = self.customer_at(p) else { continue };
            ids.push(v.id());
            if v.event(0).is_some_and(|e| e.at_micros() <= end) {
                customers += 1;
            }
            for e in v.events() {
                if e.at_micros() > end {
                    break;
                }
                let k = Some(e.kind_code());
                if k == order && *first == i64::MAX {
                    *first = e.at_micros();
                }
                if k == referral {
                    // a stored referral without a referrer: its referrer was erased
                    let inviter = match e.referrer() {
                        Some(r) => self.position_of_identity(&r).map(|q| q as u32),
                        None => {
                            erased.push(e.id().to_string());
                            None
                        }
                    };
                    invites.push(Invite {
                        inviter,
                        invitee: p as u32,
                        at: e.at_micros(),
                        event_id: e.id().to_string(),
                    });
                }
            }
        }
        let mut out = referral_trees(&invites, &first_order, &ids, customers, opts)?;
        if !erased.is_empty() {
            erased.sort_unstable();
            for r in &mut out.rejected {
                if erased.binary_search(&r.event_id).is_ok() {
                    r.reason = "referrer_erased".to_string();
                }
            }
        }
        Ok(out)
    }

    /// Group-chat activity over `[start, end)` from `group_join`, `group_leave` and
    /// `group_message` events (with a group id), days and weeks in the business time zone. See
    /// [`crate::metrics::group_activity`].
    ///
    /// # Errors
    /// An empty period.
    pub fn group_activity(&self, start: Timestamp, end: Timestamp) -> Result<GroupActivity> {
        let codes = [
            self.kind_code(&EventKind::GroupJoin),
            self.kind_code(&EventKind::GroupLeave),
            self.kind_code(&EventKind::GroupMessage),
        ];
        let mut rows = Vec::new();
        let mut names: Vec<String> = vec![];
        let mut gcode: HashMap<&str, u32> = HashMap::new();
        let n = self.customer_count();
        let mut ids = Vec::with_capacity(n);
        for p in 0..n {
            let Some(v) = self.customer_at(p) else { continue };
            ids.push(v.id());
            for e in v.events() {
                if e.at_micros() >= end.micros() {
                    break;
                }
                let Some(kind) = codes.iter().position(|&c| c == Some(e.kind_code())) else { continue };
                let Some(g) = e.group_id() else { continue };
                let code = *gcode.entry(g).or_insert_with(|| {
                    names.push(g.to_string());
                    names.len() as u32 - 1
                });
                rows.push(GroupInput { group: code, customer: p as u32, at: e.at_micros(), kind: kind as u8 });
            }
        }
        group_activity(&rows, &names, &ids, Period { start: start.micros(), end: end.micros() }, self.time_zone())
    }

    /// Item-pair affinity from the items of the pool's `order` events up to `as_of` (each order
    /// a basket). See [`crate::metrics::affinity`].
    ///
    /// # Errors
    /// As [`crate::metrics::affinity`].
    pub fn affinity(
        &self,
        as_of: Option<Timestamp>,
        level: PoolAffinityOptions,
        opts: &AffinityOptions,
    ) -> Result<Affinity> {
        let (baskets, items, names) = self.baskets(as_of, level, None);
        affinity(&baskets, &items, &names, opts)
    }

    /// Basket rows (basket code, item code, item names) of `order` events; only the customer at
    /// `only` when given.
    fn baskets(
        &self,
        as_of: Option<Timestamp>,
        level: PoolAffinityOptions,
        only: Option<usize>,
    ) -> (Vec<u32>, Vec<u32>, Vec<String>) {
        let (mut baskets, mut items) = (vec![], vec![]);
        let mut names: Vec<String> = vec![];
        let mut code: HashMap<&str, u32> = HashMap::new();
        let Some(order) = self.kind_code(&EventKind::Order) else { return (baskets, items, names) };
        let end = cut(as_of);
        let range = match only {
            Some(p) => p..p + 1,
            None => 0..self.customer_count(),
        };
        let mut b = 0u32;
        for p in range {
            let Some(v) = self.customer_at(p) else { continue };
            for e in v.events() {
                if e.at_micros() > end {
                    break;
                }
                if e.kind_code() != order || e.items().is_empty() {
                    continue;
                }
                let mut any = false;
                for it in e.items() {
                    let key = match level {
                        PoolAffinityOptions::Sku => Some(it.sku.as_str()),
                        PoolAffinityOptions::Category => it.category.as_deref(),
                    };
                    let Some(key) = key else { continue };
                    let k = *code.entry(key).or_insert_with(|| {
                        names.push(key.to_string());
                        names.len() as u32 - 1
                    });
                    baskets.push(b);
                    items.push(k);
                    any = true;
                }
                b += any as u32;
            }
        }
        (baskets, items, names)
    }

    /// The next items to recommend to a customer from pair rules (`aff`, e.g. from
    /// [`Pool::affinity`]): what they bought up to `as_of` is owned. See
    /// [`Affinity::recommend`].
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown customer.
    pub fn recommend(
        &self,
        aff: &Affinity,
        customer_id: &str,
        as_of: Option<Timestamp>,
        level: PoolAffinityOptions,
        n: usize,
    ) -> Result<Vec<Recommendation>> {
        let v = self.customer(customer_id)?;
        let (_, items, names) = self.baskets(as_of, level, Some(v.position()));
        let owned: Vec<&str> = items.iter().map(|&i| names[i as usize].as_str()).collect();
        Ok(aff.recommend(&owned, n))
    }
}

/// Renumber codes densely in order of first appearance.
fn densify(codes: &[u32]) -> (Vec<u32>, usize) {
    let bound = codes.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut map = vec![u32::MAX; bound];
    let mut n = 0u32;
    let out = codes
        .iter()
        .map(|&c| {
            let m = &mut map[c as usize];
            if *m == u32::MAX {
                *m = n;
                n += 1;
            }
            *m
        })
        .collect();
    (out, n as usize)
}
