//! Kotlin/Swift bindings for `yutang::metrics`: growth formula and decomposition, cohort
//! retention and category fit, referral trees, group activity, affinity — on the pool (a
//! separate `#[uniffi::export] impl Pool` block) and on columns (free functions). Times cross
//! as ISO-8601 strings (pool) or epoch milliseconds (columns).

use crate::errors::YutangError;
use crate::pool::Pool;
use std::collections::HashMap;
use yutang::metrics as m;
use yutang::Timestamp;

/// Customers whose first order fell in one month; `active[k]` ordered `k` months later.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CohortRecord {
    pub month: String,
    pub customers: u64,
    pub active: Vec<u64>,
}

/// A cohort table and the repurchase rate.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CohortsRecord {
    pub cohorts: Vec<CohortRecord>,
    pub customers: u64,
    pub repeat_customers: u64,
    pub repurchase_rate: f64,
}

impl From<m::Cohorts> for CohortsRecord {
    fn from(c: m::Cohorts) -> Self {
        CohortsRecord {
            repurchase_rate: c.repurchase_rate(),
            customers: c.customers,
            repeat_customers: c.repeat_customers,
            cohorts: c
                .cohorts
                .into_iter()
                .map(|x| CohortRecord { month: x.month, customers: x.customers, active: x.active })
                .collect(),
        }
    }
}

/// Retention, repurchase, AOV and fit (`core`, `frequency`, `considered`, `weak`) of a category.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CategoryMetricsRecord {
    pub category: String,
    pub cohorts: CohortsRecord,
    pub orders: u64,
    pub revenue: f64,
    pub aov: f64,
    pub repurchase_rate: f64,
    pub fit_score: f64,
    pub fit: String,
}

impl From<m::CategoryMetrics> for CategoryMetricsRecord {
    fn from(c: m::CategoryMetrics) -> Self {
        CategoryMetricsRecord {
            category: c.category,
            cohorts: c.cohorts.into(),
            orders: c.orders,
            revenue: c.revenue,
            aov: c.aov,
            repurchase_rate: c.repurchase_rate,
            fit_score: c.fit_score,
            fit: c.fit.as_str().to_string(),
        }
    }
}

/// The growth formula's inputs and factors for one period and channel (`None`: all).
#[derive(Debug, Clone, uniffi::Record)]
pub struct GrowthRowRecord {
    pub channel: Option<String>,
    pub traffic: u64,
    pub buyers: u64,
    pub orders: u64,
    pub revenue: f64,
    pub invited: u64,
    pub conversion: f64,
    pub aov: f64,
    pub referral_rate: f64,
    pub ltv: f64,
    /// traffic × conversion × aov × (1 + referral_rate) × ltv.
    pub value: f64,
}

impl From<m::GrowthRow> for GrowthRowRecord {
    fn from(r: m::GrowthRow) -> Self {
        GrowthRowRecord {
            value: r.value(),
            channel: r.channel,
            traffic: r.traffic,
            buyers: r.buyers,
            orders: r.orders,
            revenue: r.revenue,
            invited: r.invited,
            conversion: r.conversion,
            aov: r.aov,
            referral_rate: r.referral_rate,
            ltv: r.ltv,
        }
    }
}

/// LMDI decomposition: `contributions` add up to `currentValue − previousValue`; `ratios` are
/// current / previous per factor (NaN where previous is 0).
#[derive(Debug, Clone, uniffi::Record)]
pub struct DecompositionRecord {
    pub factors: Vec<String>,
    pub previous: Vec<f64>,
    pub current: Vec<f64>,
    pub contributions: Vec<f64>,
    pub ratios: Vec<f64>,
    pub previous_value: f64,
    pub current_value: f64,
}

impl From<m::Decomposition> for DecompositionRecord {
    fn from(d: m::Decomposition) -> Self {
        DecompositionRecord {
            factors: d.factors,
            previous: d.previous,
            current: d.current,
            contributions: d.contributions,
            ratios: d.ratios,
            previous_value: d.previous_value,
            current_value: d.current_value,
        }
    }
}

/// Two periods' rows (all first, then per channel) and one decomposition per row pair.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GrowthRecord {
    pub previous: Vec<GrowthRowRecord>,
    pub current: Vec<GrowthRowRecord>,
    pub decomposition: Vec<DecompositionRecord>,
}

impl From<m::Growth> for GrowthRecord {
    fn from(g: m::Growth) -> Self {
        GrowthRecord {
            previous: g.previous.into_iter().map(Into::into).collect(),
            current: g.current.into_iter().map(Into::into).collect(),
            decomposition: g.decomposition.into_iter().map(Into::into).collect(),
        }
    }
}

/// An attributed invite (`atMillis`: epoch milliseconds).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReferralEdgeRecord {
    pub inviter: String,
    pub invitee: String,
    pub at_millis: i64,
    pub generation: u32,
    pub root: String,
    pub converted: bool,
}

/// One referral tree (`size`: invitees, root not counted).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReferralTreeRecord {
    pub root: String,
    pub size: u64,
    pub depth: u32,
    pub converted: u64,
}

/// An invite that was not attributed (`reason`: `unknown_referrer`, `self_referral`,
/// `already_customer`, `already_invited`, `cycle`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReferralRejectionRecord {
    pub event_id: String,
    pub reason: String,
    pub invitee: String,
}

/// Referral trees and the K-factor.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReferralsRecord {
    pub edges: Vec<ReferralEdgeRecord>,
    pub trees: Vec<ReferralTreeRecord>,
    pub rejected: Vec<ReferralRejectionRecord>,
    pub customers: u64,
    pub invites: u64,
    pub converted: u64,
    pub invites_per_customer: f64,
    pub invite_conversion: f64,
    pub k_factor: f64,
}

/// A group over the period.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GroupSummaryRecord {
    pub group: String,
    pub members: u64,
    pub members_during: u64,
    pub speakers: u64,
    pub messages: u64,
    pub messages_per_member: f64,
    pub daily_active_share: f64,
    pub weekly_active_share: f64,
    pub silent: u64,
}

/// A group in one day or ISO week (`start`: `YYYY-MM-DD`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct GroupDayRecord {
    pub group: String,
    pub start: String,
    pub members: u64,
    pub speakers: u64,
    pub messages: u64,
    pub active_share: f64,
}

/// A member who said nothing in the period.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GroupSilentRecord {
    pub group: String,
    pub customer_id: String,
}

/// Group activity over a period.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GroupActivityRecord {
    pub groups: Vec<GroupSummaryRecord>,
    pub days: Vec<GroupDayRecord>,
    pub weeks: Vec<GroupDayRecord>,
    pub silent: Vec<GroupSilentRecord>,
}

fn day(d: m::GroupDay) -> GroupDayRecord {
    GroupDayRecord {
        group: d.group,
        start: d.start,
        members: d.members,
        speakers: d.speakers,
        messages: d.messages,
        active_share: d.active_share,
    }
}

impl From<m::GroupActivity> for GroupActivityRecord {
    fn from(a: m::GroupActivity) -> Self {
        GroupActivityRecord {
            groups: a
                .groups
                .into_iter()
                .map(|s| GroupSummaryRecord {
                    group: s.group,
                    members: s.members,
                    members_during: s.members_during,
                    speakers: s.speakers,
                    messages: s.messages,
                    messages_per_member: s.messages_per_member,
                    daily_active_share: s.daily_active_share,
                    weekly_active_share: s.weekly_active_share,
                    silent: s.silent,
                })
                .collect(),
            days: a.days.into_iter().map(day).collect(),
            weeks: a.weeks.into_iter().map(day).collect(),
            silent: a
                .silent
                .into_iter()
                .map(|s| GroupSilentRecord { group: s.group, customer_id: s.customer_id })
                .collect(),
        }
    }
}

/// Pair-rule thresholds.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AffinityOptionsRecord {
    #[uniffi(default = 0.0)]
    pub min_support: f64,
    #[uniffi(default = 0.0)]
    pub min_confidence: f64,
    #[uniffi(default = 1)]
    pub min_count: u64,
}

impl From<&AffinityOptionsRecord> for m::AffinityOptions {
    fn from(o: &AffinityOptionsRecord) -> Self {
        m::AffinityOptions {
            min_support: o.min_support,
            min_confidence: o.min_confidence,
            min_count: o.min_count,
            ..Default::default()
        }
    }
}

/// A rule antecedent → consequent.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PairRuleRecord {
    pub antecedent: String,
    pub consequent: String,
    pub baskets: u64,
    pub support: f64,
    pub antecedent_support: f64,
    pub consequent_support: f64,
    pub confidence: f64,
    pub lift: f64,
}

/// One item's basket count and support.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ItemStatRecord {
    pub item: String,
    pub baskets: u64,
    pub support: f64,
}

/// Items and pair rules (by lift, then confidence, descending).
#[derive(Debug, Clone, uniffi::Record)]
pub struct AffinityRecord {
    pub baskets: u64,
    pub items: Vec<ItemStatRecord>,
    pub rules: Vec<PairRuleRecord>,
}

impl From<&m::Affinity> for AffinityRecord {
    fn from(a: &m::Affinity) -> Self {
        AffinityRecord {
            baskets: a.baskets,
            items: a
                .items
                .iter()
                .map(|i| ItemStatRecord { item: i.item.clone(), baskets: i.baskets, support: i.support })
                .collect(),
            rules: a
                .rules
                .iter()
                .map(|r| PairRuleRecord {
                    antecedent: r.antecedent.clone(),
                    consequent: r.consequent.clone(),
                    baskets: r.baskets,
                    support: r.support,
                    antecedent_support: r.antecedent_support,
                    consequent_support: r.consequent_support,
                    confidence: r.confidence,
                    lift: r.lift,
                })
                .collect(),
        }
    }
}

/// A recommended item (`customerId` set by the column function, empty from the pool).
#[derive(Debug, Clone, uniffi::Record)]
pub struct RecommendationRecord {
    pub customer_id: String,
    pub rank: u32,
    pub item: String,
    pub score: f64,
    pub lift: f64,
    pub because: String,
}

fn rec(customer_id: String, rank: usize, r: m::Recommendation) -> RecommendationRecord {
    RecommendationRecord {
        customer_id,
        rank: rank as u32 + 1,
        item: r.item,
        score: r.score,
        lift: r.lift,
        because: r.because,
    }
}

fn time(pool: &yutang::Pool, s: Option<String>) -> Result<Option<Timestamp>, YutangError> {
    Ok(s.map(|s| yutang::parse_time(&s, pool.time_zone())).transpose()?)
}

#[uniffi::export]
impl Pool {
    /// Cohort retention by first-order month (business time zone) from `order` events up to
    /// `asOf` (ISO-8601; `null`: all).
    pub fn cohort_retention(&self, as_of: Option<String>) -> Result<CohortsRecord, YutangError> {
        let p = self.read();
        Ok(p.cohort_retention(time(&p, as_of)?)?.into())
    }

    /// Per-category retention, repurchase rate, AOV and private-domain fit from order items.
    pub fn category_metrics(&self, as_of: Option<String>) -> Result<Vec<CategoryMetricsRecord>, YutangError> {
        let p = self.read();
        Ok(p.category_metrics(time(&p, as_of)?)?.into_iter().map(Into::into).collect())
    }

    /// The growth formula in two periods `[start, end)` (ISO-8601) and its LMDI decomposition,
    /// overall and by acquisition channel. `traffic`: `visitors` or `registrants`; LTV over
    /// the `ltvDays` before each period end (`null`: all history).
    pub fn growth(
        &self,
        previous_start: String,
        previous_end: String,
        current_start: String,
        current_end: String,
        traffic: String,
        ltv_days: Option<u32>,
    ) -> Result<GrowthRecord, YutangError> {
        let p = self.read();
        let t = |s: &str| yutang::parse_time(s, p.time_zone());
        let opts = m::GrowthOptions { traffic: m::Traffic::parse(&traffic)?, ltv_days };
        Ok(p.growth((t(&previous_start)?, t(&previous_end)?), (t(&current_start)?, t(&current_end)?), &opts)?.into())
    }

    /// Referral trees and the K-factor from `referral` events up to `asOf`; an invitee converts
    /// with a first order within `windowDays` of the invite; self-referral (through the
    /// identity graph) is rejected.
    pub fn referrals(&self, as_of: Option<String>, window_days: u32) -> Result<ReferralsRecord, YutangError> {
        let p = self.read();
        let r = p.referrals(time(&p, as_of)?, &m::ReferralOptions { window_days })?;
        Ok(ReferralsRecord {
            invites_per_customer: r.invites_per_customer(),
            invite_conversion: r.invite_conversion(),
            k_factor: r.k_factor(),
            customers: r.customers,
            invites: r.invites,
            converted: r.converted,
            edges: r
                .edges
                .into_iter()
                .map(|e| ReferralEdgeRecord {
                    inviter: e.inviter,
                    invitee: e.invitee,
                    at_millis: e.at.div_euclid(1000),
                    generation: e.generation,
                    root: e.root,
                    converted: e.converted,
                })
                .collect(),
            trees: r
                .trees
                .into_iter()
                .map(|t| ReferralTreeRecord { root: t.root, size: t.size, depth: t.depth, converted: t.converted })
                .collect(),
            rejected: r
                .rejected
                .into_iter()
                .map(|x| ReferralRejectionRecord { event_id: x.event_id, reason: x.reason, invitee: x.invitee })
                .collect(),
        })
    }

    /// Group-chat activity over `[start, end)` (ISO-8601).
    pub fn group_activity(&self, start: String, end: String) -> Result<GroupActivityRecord, YutangError> {
        let p = self.read();
        let t = |s: &str| yutang::parse_time(s, p.time_zone());
        Ok(p.group_activity(t(&start)?, t(&end)?)?.into())
    }

    /// Item-pair rules from the items of `order` events up to `asOf`; `level`: `sku` or `category`.
    pub fn affinity(
        &self,
        as_of: Option<String>,
        level: String,
        options: AffinityOptionsRecord,
    ) -> Result<AffinityRecord, YutangError> {
        let p = self.read();
        let lv = m::PoolAffinityOptions::parse(&level)?;
        Ok((&p.affinity(time(&p, as_of)?, lv, &(&options).into())?).into())
    }

    /// The next `n` items to recommend to a customer from the pool's pair rules.
    pub fn recommend(
        &self,
        customer_id: String,
        n: u32,
        as_of: Option<String>,
        level: String,
        options: AffinityOptionsRecord,
    ) -> Result<Vec<RecommendationRecord>, YutangError> {
        let p = self.read();
        let lv = m::PoolAffinityOptions::parse(&level)?;
        let as_of = time(&p, as_of)?;
        let a = p.affinity(as_of, lv, &(&options).into())?;
        let id = p.canonical_id(&customer_id).unwrap_or(customer_id.clone());
        Ok(p.recommend(&a, &customer_id, as_of, lv, n as usize)?
            .into_iter()
            .enumerate()
            .map(|(k, r)| rec(id.clone(), k, r))
            .collect())
    }
}

/// Dense codes (first appearance) and the distinct values.
fn codes(v: &[String]) -> (Vec<u32>, Vec<String>) {
    let mut map: HashMap<&str, u32> = HashMap::new();
    let mut names = Vec::new();
    let c = v
        .iter()
        .map(|s| {
            *map.entry(s.as_str()).or_insert_with(|| {
                names.push(s.clone());
                names.len() as u32 - 1
            })
        })
        .collect();
    (c, names)
}

/// Codes sorted by name, `None` → the "no code" value.
fn sorted_codes(v: &[Option<String>]) -> (Vec<u32>, Vec<String>) {
    let mut names: Vec<String> = v.iter().flatten().cloned().collect();
    names.sort();
    names.dedup();
    let idx: HashMap<&str, u32> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i as u32)).collect();
    (v.iter().map(|s| s.as_deref().map_or(m::NO_CODE, |s| idx[s])).collect(), names)
}

fn micros(ms: &[i64]) -> Vec<i64> {
    ms.iter().map(|&x| x.saturating_mul(1000)).collect()
}

/// Cohort retention from columns: customer ids and order times (epoch ms), months in `timeZone`.
#[uniffi::export]
pub fn cohort_retention_columns(
    customer_ids: Vec<String>,
    at_millis: Vec<i64>,
    time_zone: String,
    as_of_millis: Option<i64>,
) -> Result<CohortsRecord, YutangError> {
    let (c, _) = codes(&customer_ids);
    let mut o = m::CohortOptions::new().time_zone(yutang::parse_tz(&time_zone)?);
    o.as_of = as_of_millis.map(|x| x.saturating_mul(1000));
    Ok(m::cohort_retention(&c, &micros(&at_millis), &o)?.into())
}

/// Category metrics from order-line columns (`categories[i]` null: left out; `amounts` null:
/// no revenue/AOV).
#[uniffi::export]
pub fn category_metrics_columns(
    customer_ids: Vec<String>,
    at_millis: Vec<i64>,
    categories: Vec<Option<String>>,
    amounts: Option<Vec<f64>>,
    time_zone: String,
    as_of_millis: Option<i64>,
) -> Result<Vec<CategoryMetricsRecord>, YutangError> {
    let (c, _) = codes(&customer_ids);
    let (k, names) = sorted_codes(&categories);
    let mut o = m::CohortOptions::new().time_zone(yutang::parse_tz(&time_zone)?);
    o.as_of = as_of_millis.map(|x| x.saturating_mul(1000));
    Ok(m::category_metrics(&c, &micros(&at_millis), &k, &names, amounts.as_deref(), &o)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The growth formula from event columns: `events[i]` is `order`, `register`, `referral` or
/// anything else (a visit); periods `[start, end)` in epoch ms.
#[uniffi::export]
#[allow(clippy::too_many_arguments)]
pub fn growth_columns(
    customer_ids: Vec<String>,
    at_millis: Vec<i64>,
    events: Vec<String>,
    amounts: Vec<f64>,
    channels: Option<Vec<Option<String>>>,
    previous_start_millis: i64,
    previous_end_millis: i64,
    current_start_millis: i64,
    current_end_millis: i64,
    traffic: String,
    ltv_days: Option<u32>,
) -> Result<GrowthRecord, YutangError> {
    let (c, _) = codes(&customer_ids);
    let kind: Vec<u8> = events
        .iter()
        .map(|e| match e.as_str() {
            "register" => 1,
            "order" => 2,
            "referral" => 3,
            _ => 0,
        })
        .collect();
    let (ch, names) = match &channels {
        Some(v) => {
            let (k, n) = sorted_codes(v);
            (Some(k), n)
        }
        None => (None, vec![]),
    };
    let at = micros(&at_millis);
    let cols = m::GrowthColumns {
        customers: &c,
        at: &at,
        kind: &kind,
        amount: &amounts,
        channel: ch.as_deref(),
        channel_names: &names,
    };
    let p = |a: i64, b: i64| m::Period { start: a.saturating_mul(1000), end: b.saturating_mul(1000) };
    Ok(m::growth(
        &cols,
        p(previous_start_millis, previous_end_millis),
        p(current_start_millis, current_end_millis),
        &m::GrowthOptions { traffic: m::Traffic::parse(&traffic)?, ltv_days },
    )?
    .into())
}

/// LMDI-I decomposition of the change of a product of named factors (Ang 2005).
#[uniffi::export]
pub fn decompose(
    factors: Vec<String>,
    previous: Vec<f64>,
    current: Vec<f64>,
) -> Result<DecompositionRecord, YutangError> {
    let names: Vec<&str> = factors.iter().map(String::as_str).collect();
    Ok(m::decompose(&names, &previous, &current)?.into())
}

/// Item-pair rules from order-line columns (basket = order id).
#[uniffi::export]
pub fn affinity_columns(
    baskets: Vec<String>,
    items: Vec<String>,
    options: AffinityOptionsRecord,
) -> Result<AffinityRecord, YutangError> {
    let (b, _) = codes(&baskets);
    let (i, names) = codes(&items);
    Ok((&m::affinity(&b, &i, &names, &(&options).into())?).into())
}

/// The next `n` items for every customer of order-line columns (rules from all the rows).
#[uniffi::export]
pub fn recommend_columns(
    customer_ids: Vec<String>,
    baskets: Vec<String>,
    items: Vec<String>,
    n: u32,
    options: AffinityOptionsRecord,
) -> Result<Vec<RecommendationRecord>, YutangError> {
    let (b, _) = codes(&baskets);
    let (i, names) = codes(&items);
    let (c, cnames) = codes(&customer_ids);
    let a = m::affinity(&b, &i, &names, &(&options).into())?;
    Ok(m::recommend(&a, &c, &i, &names, n as usize)?
        .into_iter()
        .map(|(cust, rank, r)| rec(cnames[cust as usize].clone(), rank as usize - 1, r))
        .collect())
}
