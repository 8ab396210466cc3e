//! Named value tiers over the 5 × 5 × 5 cube of (R, F, M) scores, checked to be a partition.

use crate::error::{Error, Result};

fn full() -> [u8; 2] {
    [1, 5]
}

/// A box of score cells: R in `r[0]..=r[1]`, F in `f[0]..=f[1]`, M in `m[0]..=m[1]`
/// (each 1..=5; a missing range in JSON means all of 1..=5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cells {
    /// Recency score range.
    #[serde(default = "full")]
    pub r: [u8; 2],
    /// Frequency score range.
    #[serde(default = "full")]
    pub f: [u8; 2],
    /// Monetary score range.
    #[serde(default = "full")]
    pub m: [u8; 2],
}

impl Cells {
    /// A box.
    pub fn new(r: [u8; 2], f: [u8; 2], m: [u8; 2]) -> Self {
        Cells { r, f, m }
    }

    fn contains(&self, r: u8, f: u8, m: u8) -> bool {
        (self.r[0]..=self.r[1]).contains(&r)
            && (self.f[0]..=self.f[1]).contains(&f)
            && (self.m[0]..=self.m[1]).contains(&m)
    }
}

/// A named tier: the union of some boxes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tier {
    /// The tier's name (`champions` …).
    pub name: String,
    /// Its cells.
    pub cells: Vec<Cells>,
}

/// Named tiers over the score cube. Every one of the 125 cells must belong to exactly one
/// tier: [`TierMap::compile`] checks it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TierMap {
    /// The tiers, in display order.
    pub tiers: Vec<Tier>,
}

/// Most tiers in a map.
pub const MAX_TIERS: usize = 125;
/// Most boxes in a map.
pub const MAX_TIER_BOXES: usize = 1000;

impl Default for TierMap {
    /// The usual eleven tiers. R × F follows the widely used RFM segment grid (R rows 5..1,
    /// F columns 1..5); M splits its low corner into `lost` (R = 1, F ≤ 2, M ≤ 2: lowest on all
    /// three) and `hibernating` (the rest of R ≤ 2, F ≤ 2):
    ///
    /// | R \ F | 1 | 2 | 3 | 4 | 5 |
    /// |---|---|---|---|---|---|
    /// | 5 | new | potential_loyalist | potential_loyalist | champions | champions |
    /// | 4 | promising | potential_loyalist | potential_loyalist | loyal | loyal |
    /// | 3 | about_to_sleep | about_to_sleep | needs_attention | loyal | loyal |
    /// | 2 | hibernating | hibernating | at_risk | at_risk | cant_lose |
    /// | 1 | lost / hibernating | lost / hibernating | at_risk | at_risk | cant_lose |
    fn default() -> Self {
        let t = |name: &str, cells: &[([u8; 2], [u8; 2], [u8; 2])]| Tier {
            name: name.to_string(),
            cells: cells.iter().map(|&(r, f, m)| Cells::new(r, f, m)).collect(),
        };
        let all = [1, 5];
        TierMap {
            tiers: vec![
                t("champions", &[([5, 5], [4, 5], all)]),
                t("loyal", &[([3, 4], [4, 5], all)]),
                t("potential_loyalist", &[([4, 5], [2, 3], all)]),
                t("new", &[([5, 5], [1, 1], all)]),
                t("promising", &[([4, 4], [1, 1], all)]),
                t("needs_attention", &[([3, 3], [3, 3], all)]),
                t("about_to_sleep", &[([3, 3], [1, 2], all)]),
                t("at_risk", &[([1, 2], [3, 4], all)]),
                t("cant_lose", &[([1, 2], [5, 5], all)]),
                t("hibernating", &[([2, 2], [1, 2], all), ([1, 1], [1, 2], [3, 5])]),
                t("lost", &[([1, 1], [1, 2], [1, 2])]),
            ],
        }
    }
}

/// A checked tier map: a lookup table from cell to tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledTiers {
    names: Vec<String>,
    table: [u8; 125],
}

#[inline]
fn cell(r: u8, f: u8, m: u8) -> usize {
    (r as usize - 1) * 25 + (f as usize - 1) * 5 + (m as usize - 1)
}

impl TierMap {
    /// Check the map and build its lookup table.
    ///
    /// # Errors
    /// [`Error::InvalidField`] with field `tiers` naming the first cell (`r=1 f=2 m=3`) that
    /// belongs to no tier or to two (and which), or naming the tier and box
    /// (`tiers[2].cells[0].r`) of a range outside 1..=5 or reversed, an empty or repeated name;
    /// [`Error::LimitExceeded`] past [`MAX_TIERS`] tiers or [`MAX_TIER_BOXES`] boxes.
    ///
    /// # Example
    /// ```
    /// use yutang::rfm::{Cells, Tier, TierMap};
    /// assert!(TierMap::default().compile().is_ok());
    /// let gap = TierMap { tiers: vec![Tier { name: "top".into(), cells: vec![Cells::new([2, 5], [1, 5], [1, 5])] }] };
    /// let e = gap.compile().unwrap_err();
    /// assert!(e.to_string().contains("r=1 f=1 m=1"), "{e}");
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn compile(&self) -> Result<CompiledTiers> {
        if self.tiers.len() > MAX_TIERS {
            return Err(Error::limit("tiers", MAX_TIERS, self.tiers.len()));
        }
        let boxes: usize = self.tiers.iter().map(|t| t.cells.len()).sum();
        if boxes > MAX_TIER_BOXES {
            return Err(Error::limit("tier boxes", MAX_TIER_BOXES, boxes));
        }
        for (i, t) in self.tiers.iter().enumerate() {
            if t.name.trim().is_empty() {
                return Err(Error::invalid(format!("tiers[{i}].name"), &t.name, "empty tier name"));
            }
            if self.tiers[..i].iter().any(|u| u.name == t.name) {
                return Err(Error::invalid(format!("tiers[{i}].name"), &t.name, "tier name used twice"));
            }
            for (j, c) in t.cells.iter().enumerate() {
                for (axis, rg) in [("r", c.r), ("f", c.f), ("m", c.m)] {
                    if !(1..=5).contains(&rg[0]) || !(1..=5).contains(&rg[1]) || rg[0] > rg[1] {
                        return Err(Error::invalid(
                            format!("tiers[{i}].cells[{j}].{axis}"),
                            format!("[{}, {}]", rg[0], rg[1]),
                            "a score range must be [lo, hi] with 1 <= lo <= hi <= 5",
                        ));
                    }
                }
            }
        }
        let mut table = [u8::MAX; 125];
        for r in 1..=5u8 {
            for f in 1..=5u8 {
                for m in 1..=5u8 {
                    let owners: Vec<usize> = (0..self.tiers.len())
                        .filter(|&i| self.tiers[i].cells.iter().any(|c| c.contains(r, f, m)))
                        .collect();
                    let at = format!("r={r} f={f} m={m}");
                    match owners.as_slice() {
                        [] => return Err(Error::invalid("tiers", at, "the cell belongs to no tier (a gap)")),
                        [one] => table[cell(r, f, m)] = *one as u8,
                        [a, b, ..] => {
                            return Err(Error::invalid(
                                "tiers",
                                at,
                                format!(
                                    "the cell belongs to two tiers (an overlap): {:?} and {:?}",
                                    self.tiers[*a].name, self.tiers[*b].name
                                ),
                            ))
                        }
                    }
                }
            }
        }
        Ok(CompiledTiers { names: self.tiers.iter().map(|t| t.name.clone()).collect(), table })
    }
}

impl CompiledTiers {
    /// The tier names, in map order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The tier index of a cell (scores 1..=5; out-of-range scores are clamped).
    #[inline]
    pub fn tier_of(&self, r: u8, f: u8, m: u8) -> usize {
        self.table[cell(r.clamp(1, 5), f.clamp(1, 5), m.clamp(1, 5))] as usize
    }

    /// The tier name of a cell.
    pub fn name_of(&self, r: u8, f: u8, m: u8) -> &str {
        &self.names[self.tier_of(r, f, m)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_is_a_partition_of_eleven() {
        let c = TierMap::default().compile().unwrap();
        assert_eq!(c.names().len(), 11);
        assert_eq!(c.name_of(5, 5, 1), "champions");
        assert_eq!(c.name_of(5, 1, 5), "new");
        assert_eq!(c.name_of(1, 1, 1), "lost");
        assert_eq!(c.name_of(1, 2, 3), "hibernating");
        assert_eq!(c.name_of(2, 1, 1), "hibernating");
        assert_eq!(c.name_of(1, 5, 1), "cant_lose");
        assert_eq!(c.name_of(3, 3, 3), "needs_attention");
        let mut sizes = vec![0; 11];
        for i in 0..125 {
            sizes[c.table[i] as usize] += 1;
        }
        // champions 1×2×5 = 10, loyal 2×2×5 = 20, potential_loyalist 2×2×5 = 20, new 5,
        // promising 5, needs_attention 5, about_to_sleep 10, at_risk 20, cant_lose 10,
        // hibernating 10 + 6 = 16, lost 4: 125 in all
        assert_eq!(sizes, vec![10, 20, 20, 5, 5, 5, 10, 20, 10, 16, 4]);
    }

    #[test]
    fn overlap_and_bad_ranges_are_named() {
        let mut m = TierMap::default();
        m.tiers[0].cells.push(Cells::new([4, 4], [5, 5], [2, 2]));
        let e = m.compile().unwrap_err();
        assert!(e.to_string().contains("r=4 f=5 m=2") && e.to_string().contains("\"loyal\""), "{e}");
        let mut m = TierMap::default();
        m.tiers[3].cells[0].m = [0, 5];
        assert_eq!(m.compile().unwrap_err().field(), Some("tiers[3].cells[0].m"));
        let mut m = TierMap::default();
        m.tiers[3].name = "champions".into();
        assert_eq!(m.compile().unwrap_err().field(), Some("tiers[3].name"));
    }
}
