//! Cross-sell affinity ("person-goods matching"): item pairs with support, confidence and lift
//! from baskets (orders with items), and the next items to recommend to a customer.

use crate::error::{Error, Result};
use hashbrown::HashMap;

/// Options of [`affinity`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AffinityOptions {
    /// Keep pairs whose support (share of baskets with both items) is at least this (default 0).
    pub min_support: f64,
    /// Keep rules whose confidence is at least this (default 0).
    pub min_confidence: f64,
    /// Keep pairs seen in at least this many baskets (default 1).
    pub min_count: u64,
    /// Most distinct items in one basket (default 1,000; pairs grow with its square).
    pub max_basket_items: usize,
}

impl Default for AffinityOptions {
    fn default() -> Self {
        AffinityOptions { min_support: 0.0, min_confidence: 0.0, min_count: 1, max_basket_items: 1000 }
    }
}

/// One item's basket count and support.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemStat {
    /// Item name.
    pub item: String,
    /// Baskets containing it.
    pub baskets: u64,
    /// `baskets / all baskets`.
    pub support: f64,
}

/// A rule antecedent → consequent between two items.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairRule {
    /// The item bought.
    pub antecedent: String,
    /// The item bought with it.
    pub consequent: String,
    /// Baskets with both.
    pub baskets: u64,
    /// Support of the pair: `baskets / all baskets`.
    pub support: f64,
    /// Support of the antecedent.
    pub antecedent_support: f64,
    /// Support of the consequent.
    pub consequent_support: f64,
    /// `support / antecedent_support`: P(consequent | antecedent).
    pub confidence: f64,
    /// `confidence / consequent_support`.
    pub lift: f64,
}

/// Item statistics and pair rules.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Affinity {
    /// Baskets with at least one item.
    pub baskets: u64,
    /// Items, by name.
    pub items: Vec<ItemStat>,
    /// Rules in both directions, by lift, then confidence (both descending), then names.
    pub rules: Vec<PairRule>,
    #[serde(skip)]
    by_antecedent: std::collections::BTreeMap<String, Vec<usize>>,
}

/// A recommended item.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recommendation {
    /// The item to recommend.
    pub item: String,
    /// The best rule's confidence.
    pub score: f64,
    /// The best rule's lift.
    pub lift: f64,
    /// The owned item of the best rule.
    pub because: String,
}

/// Pair statistics from basket rows: `baskets[i]` is a dense basket code (0 .. number of rows),
/// `items[i]` an index into `item_names`. An item repeated in a basket counts once.
///
/// # Errors
/// Columns of different lengths, codes out of range, a basket with more distinct items than
/// `max_basket_items`, thresholds outside [0, 1].
///
/// ```
/// use yutang::metrics::{affinity, AffinityOptions};
/// let names: Vec<String> = ["bread", "butter", "milk"].iter().map(|s| s.to_string()).collect();
/// // baskets: {bread, butter}, {bread, butter, milk}, {bread}, {milk}
/// let a = affinity(&[0, 0, 1, 1, 1, 2, 3], &[0, 1, 0, 1, 2, 0, 2], &names, &AffinityOptions::default())?;
/// let r = a.rules.iter().find(|r| r.antecedent == "butter" && r.consequent == "bread").unwrap();
/// // support 2/4, confidence (2/4) / (2/4) = 1, lift 1 / (3/4)
/// assert_eq!((r.support, r.confidence, r.lift), (0.5, 1.0, 4.0 / 3.0));
/// # Ok::<(), yutang::Error>(())
/// ```
pub fn affinity(baskets: &[u32], items: &[u32], item_names: &[String], opts: &AffinityOptions) -> Result<Affinity> {
    if baskets.len() != items.len() {
        return Err(Error::invalid("item", items.len().to_string(), "must have as many rows as basket"));
    }
    for (name, v) in [("min_support", opts.min_support), ("min_confidence", opts.min_confidence)] {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::invalid(name, v.to_string(), "must be in [0, 1]"));
        }
    }
    let nb = baskets.iter().map(|&b| b as usize + 1).max().unwrap_or(0);
    if nb > baskets.len() {
        return Err(Error::invalid("basket", (nb - 1).to_string(), "basket codes must be dense (0 .. rows)"));
    }
    if let Some(i) = items.iter().position(|&x| x as usize >= item_names.len()) {
        return Err(Error::invalid(format!("item[{i}]"), items[i].to_string(), "code out of range of the names"));
    }
    // group items by basket (counting sort)
    let mut start = vec![0u32; nb + 1];
    for &b in baskets {
        start[b as usize + 1] += 1;
    }
    for i in 0..nb {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut grouped = vec![0u32; items.len()];
    for (&b, &x) in baskets.iter().zip(items) {
        grouped[fill[b as usize] as usize] = x;
        fill[b as usize] += 1;
    }
    let ni = item_names.len();
    let mut item_count = vec![0u64; ni];
    let mut pairs: HashMap<u64, u64, foldhash::fast::FixedState> = HashMap::default();
    let mut n_baskets = 0u64;
    for b in 0..nb {
        let xs = &mut grouped[start[b] as usize..start[b + 1] as usize];
        if xs.is_empty() {
            continue;
        }
        xs.sort_unstable();
        let mut k = 1;
        for j in 1..xs.len() {
            if xs[j] != xs[k - 1] {
                xs[k] = xs[j];
                k += 1;
            }
        }
        let xs = &xs[..k];
        if k > opts.max_basket_items {
            return Err(Error::limit("distinct items in a basket", opts.max_basket_items, k));
        }
        n_baskets += 1;
        for (j, &x) in xs.iter().enumerate() {
            item_count[x as usize] += 1;
            for &y in &xs[j + 1..] {
                *pairs.entry(((x as u64) << 32) | y as u64).or_insert(0) += 1;
            }
        }
    }
    let nbf = n_baskets.max(1) as f64;
    let mut out_items: Vec<ItemStat> = (0..ni)
        .filter(|&i| item_count[i] > 0)
        .map(|i| ItemStat { item: item_names[i].clone(), baskets: item_count[i], support: item_count[i] as f64 / nbf })
        .collect();
    out_items.sort_by(|a, b| a.item.cmp(&b.item));
    let mut rules = Vec::new();
    for (&key, &count) in &pairs {
        let support = count as f64 / nbf;
        if count < opts.min_count || support < opts.min_support {
            continue;
        }
        let (x, y) = ((key >> 32) as usize, (key & 0xffff_ffff) as usize);
        for (a, c) in [(x, y), (y, x)] {
            let sa = item_count[a] as f64 / nbf;
            let sc = item_count[c] as f64 / nbf;
            let confidence = count as f64 / item_count[a] as f64;
            if confidence < opts.min_confidence {
                continue;
            }
            rules.push(PairRule {
                antecedent: item_names[a].clone(),
                consequent: item_names[c].clone(),
                baskets: count,
                support,
                antecedent_support: sa,
                consequent_support: sc,
                confidence,
                lift: confidence / sc,
            });
        }
    }
    rules.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then_with(|| b.confidence.total_cmp(&a.confidence))
            .then_with(|| a.antecedent.cmp(&b.antecedent))
            .then_with(|| a.consequent.cmp(&b.consequent))
    });
    Ok(Affinity::from_parts(n_baskets, out_items, rules))
}

impl Affinity {
    /// Assemble from counts and rules (e.g. after deserialising).
    pub fn from_parts(baskets: u64, items: Vec<ItemStat>, rules: Vec<PairRule>) -> Affinity {
        let mut by_antecedent: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (i, r) in rules.iter().enumerate() {
            by_antecedent.entry(r.antecedent.clone()).or_default().push(i);
        }
        Affinity { baskets, items, rules, by_antecedent }
    }

    /// The next items to recommend to a customer who owns `owned`: consequents of rules whose
    /// antecedent is owned, not owned themselves, scored by their best rule's confidence (ties:
    /// higher lift, then item name); at most `n`.
    pub fn recommend<S: AsRef<str>>(&self, owned: &[S], n: usize) -> Vec<Recommendation> {
        let own: std::collections::BTreeSet<&str> = owned.iter().map(|s| s.as_ref()).collect();
        let mut best: std::collections::BTreeMap<&str, &PairRule> = Default::default();
        for a in &own {
            for &i in self.by_antecedent.get(*a).map(|v| v.as_slice()).unwrap_or(&[]) {
                let r = &self.rules[i];
                if own.contains(r.consequent.as_str()) {
                    continue;
                }
                let e = best.entry(r.consequent.as_str()).or_insert(r);
                if (r.confidence, r.lift) > (e.confidence, e.lift) {
                    *e = r;
                }
            }
        }
        let mut recs: Vec<Recommendation> = best
            .into_iter()
            .map(|(item, r)| Recommendation {
                item: item.to_string(),
                score: r.confidence,
                lift: r.lift,
                because: r.antecedent.clone(),
            })
            .collect();
        recs.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then_with(|| b.lift.total_cmp(&a.lift)).then_with(|| a.item.cmp(&b.item))
        });
        recs.truncate(n);
        recs
    }
}

/// Recommendations for every customer of order-line rows (`customers[i]` a dense code,
/// `items[i]` an index into `item_names`): `(customer code, rank from 1, recommendation)` in
/// customer order.
///
/// # Errors
/// Columns of different lengths, codes out of range.
pub fn recommend(
    aff: &Affinity,
    customers: &[u32],
    items: &[u32],
    item_names: &[String],
    n: usize,
) -> Result<Vec<(u32, u32, Recommendation)>> {
    if customers.len() != items.len() {
        return Err(Error::invalid("item", items.len().to_string(), "must have as many rows as customer_id"));
    }
    if let Some(i) = items.iter().position(|&x| x as usize >= item_names.len()) {
        return Err(Error::invalid(format!("item[{i}]"), items[i].to_string(), "code out of range of the names"));
    }
    let mut idx: Vec<usize> = (0..customers.len()).collect();
    idx.sort_by_key(|&i| customers[i]);
    let mut out = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let c = customers[idx[i]];
        let mut owned = vec![];
        while i < idx.len() && customers[idx[i]] == c {
            owned.push(item_names[items[idx[i]] as usize].as_str());
            i += 1;
        }
        for (rank, r) in aff.recommend(&owned, n).into_iter().enumerate() {
            out.push((c, rank as u32 + 1, r));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hand_computed_rules_and_recommendations() {
        // 5 baskets: {a,b}, {a,b,c}, {a,c}, {b}, {a,a}
        // counts: a 4, b 3, c 2; ab 2, ac 2, bc 1
        let n = names(&["a", "b", "c"]);
        let a = affinity(&[0, 0, 1, 1, 1, 2, 2, 3, 4, 4], &[0, 1, 0, 1, 2, 0, 2, 1, 0, 0], &n, &Default::default())
            .unwrap();
        assert_eq!(a.baskets, 5);
        assert_eq!(a.items[0].baskets, 4);
        let get = |x: &str, y: &str| a.rules.iter().find(|r| r.antecedent == x && r.consequent == y).unwrap();
        // c -> a: support 2/5, confidence 2/2 = 1, lift 1 / (4/5) = 1.25
        let r = get("c", "a");
        assert_eq!((r.support, r.confidence, r.lift), (0.4, 1.0, 1.25));
        // b -> c: confidence 1/3, lift (1/3) / (2/5) = 5/6
        assert!((get("b", "c").lift - 5.0 / 6.0).abs() < 1e-15);
        assert_eq!(a.rules.len(), 6);
        // a customer owning b: candidates a (b->a: conf 2/3), c (b->c: 1/3)
        let rec = a.recommend(&["b"], 5);
        assert_eq!(rec.iter().map(|r| r.item.as_str()).collect::<Vec<_>>(), ["a", "c"]);
        assert!((rec[0].score - 2.0 / 3.0).abs() < 1e-15);
        let f = affinity(
            &[0, 0, 1, 1, 1, 2, 2, 3, 4, 4],
            &[0, 1, 0, 1, 2, 0, 2, 1, 0, 0],
            &n,
            &AffinityOptions { min_count: 2, ..Default::default() },
        )
        .unwrap();
        assert_eq!(f.rules.len(), 4);
        let all = recommend(&a, &[7, 7, 3], &[1, 2, 0], &n, 1).unwrap();
        assert_eq!(all.len(), 2);
        // customer 3 owns a: a->b and a->c both have confidence 1/2; a->c has the higher lift (1.25)
        assert_eq!((all[0].0, all[0].2.item.as_str()), (3, "c"));
        assert_eq!((all[1].0, all[1].2.item.as_str()), (7, "a"));
    }
}
