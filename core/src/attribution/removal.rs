//! Removal effects of the Markov model without one re-solve per channel.
//!
//! **Order 1.** A state is a channel, so removing channel `c` removes exactly one state. By the
//! strong Markov property at the first visit to `c`,
//!
//! ```text
//! P₋c = P − f_c · x_c,        f_c = G(start, c) / G(c, c)
//! ```
//!
//! where `x_c` is the conversion probability (expected value) from `c`, `f_c` the probability
//! of ever reaching `c` from start and `G = (I − Q)⁻¹` the expected visits. `G(start, ·)` is one
//! solve of the transposed system. `G(c, c)` only depends on the strongly connected component
//! of `c` (a walk that leaves it never comes back): `1` for a state on no cycle, otherwise the
//! diagonal of the inverse of the component's block, computed here by sparse Gaussian
//! elimination in the Grassmann–Taksar–Heyman form (no subtractions, so no cancellation) in
//! Markowitz order with a dense tail, followed by the Takahashi recurrences for the entries of
//! the inverse on the pattern of the factors ("selected inversion"). Cost: the transitions,
//! plus the fill of the elimination inside cycles.
//!
//! **Orders 2–4.** Removing a channel removes every state that contains it, a *set* of states,
//! and the first-visit identity needs a single state. Each channel is still re-solved, but only
//! on the states that can reach one of its states (the others keep their probabilities), for
//! the loss `P − P₋ₖ` (see `markov::restricted_loss`).
//!
//! Both are metered by [`Budget`]: [`super::MarkovOptions::max_work`] bounds the work, and
//! exceeding it is [`Error::LimitExceeded`] instead of a computation that runs for hours.

use crate::{Error, Result};
use foldhash::fast::FixedState;
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::markov::Chain;

/// What the removal-effect work is counted in when the budget is exceeded.
pub(super) const WORK_WHAT: &str = "Markov removal work (MarkovOptions::max_work)";

/// One sparse elimination update (hash-map fill, or a look-up of the selected inversion) counts
/// as this many units: about its cost relative to a dense multiply-add.
const SPARSE_UNITS: u64 = 8;

/// The dense tail of an elimination holds at most this many states (two `n²` matrices of f64:
/// 1 GiB at the limit).
const MAX_DENSE_TAIL: usize = 8192;

/// The sparse phase of an elimination stores at most this many entries (about 40 bytes each),
/// or four times the transitions of the component if that is more; past it, the rest is
/// finished densely.
const FILL_FLOOR: usize = 1 << 23;

/// Work meter for the removal effects. Units are about one multiply-add each.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    pub limit: u64,
    pub used: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Budget { limit, used: 0 }
    }

    /// Units still available.
    pub fn left(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Count `units`; [`Error::LimitExceeded`] once the total passes the limit.
    pub fn spend(&mut self, units: u64) -> Result<()> {
        self.used = self.used.saturating_add(units);
        if self.used > self.limit {
            return Err(over(self.limit, self.used));
        }
        Ok(())
    }
}

pub(super) fn over(limit: u64, got: u64) -> Error {
    let sat = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
    Error::limit(WORK_WHAT, sat(limit), sat(got))
}

fn hasher() -> FixedState {
    FixedState::with_seed(0x7265_6d6f_7661_6c21)
}

/// Strongly connected components (Tarjan, iterative) of the graph in compressed rows. Returns
/// the component of each node; components are numbered in reverse topological order.
pub(super) fn strongly_connected(n: usize, row_start: &[usize], cols: &[u32]) -> Vec<u32> {
    const NONE: u32 = u32::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![NONE; n];
    let mut stack: Vec<u32> = Vec::new();
    // (node, next edge to look at)
    let mut call: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut next_comp = 0u32;
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        call.push((root as u32, row_start[root]));
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut e)) = call.last_mut() {
            let v = v as usize;
            if *e < row_start[v + 1] {
                let w = cols[*e] as usize;
                *e += 1;
                if index[w] == NONE {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    call.push((w as u32, row_start[w]));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(u, _)) = call.last() {
                    let u = u as usize;
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp[w as usize] = next_comp;
                        if w as usize == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}

/// `G(s, s)`, the expected number of visits to `s` starting from `s`, for every transient
/// state: `1` on no cycle, else the diagonal of `(I − Q_BB)⁻¹` of its component `B`.
pub(super) fn green_diagonal(chain: &Chain, budget: &mut Budget) -> Result<Vec<f64>> {
    let n = chain.n;
    let comp = strongly_connected(n, &chain.row_start, &chain.cols);
    let comps = comp.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut size = vec![0u32; comps];
    for &c in &comp {
        size[c as usize] += 1;
    }
    // Members of each non-trivial component, in state order.
    let mut start = vec![0usize; comps + 1];
    for c in 0..comps {
        start[c + 1] = start[c] + if size[c] > 1 { size[c] as usize } else { 0 };
    }
    let mut members = vec![0u32; start[comps]];
    let mut fill = start.clone();
    for (s, &c) in comp.iter().enumerate() {
        let c = c as usize;
        if size[c] > 1 {
            members[fill[c]] = s as u32;
            fill[c] += 1;
        }
    }
    let mut g = vec![1.0f64; n];
    let mut local = vec![u32::MAX; n];
    for c in 0..comps {
        let block = &members[start[c]..start[c + 1]];
        if block.is_empty() {
            continue;
        }
        for (i, &s) in block.iter().enumerate() {
            local[s as usize] = i as u32;
        }
        let diag = block_green_diagonal(chain, block, &local, budget);
        for &s in block {
            local[s as usize] = u32::MAX;
        }
        for (&s, d) in block.iter().zip(diag?) {
            g[s as usize] = d;
        }
    }
    Ok(g)
}

/// One eliminated state: its pivot, its row of `U` and its column of `L` (both as magnitudes,
/// the entries themselves are `≤ 0`), sorted by state.
struct Pivot {
    node: u32,
    d: f64,
    /// `(w, |U_vw|)`
    outs: Vec<(u32, f64)>,
    /// `(u, |L_uv|)`
    ins: Vec<(u32, f64)>,
}

/// Diagonal of `(I − Q_BB)⁻¹` for one strongly connected block `B` (`block[i]` is the state of
/// local index `i`; `local` maps states of `B` to local indices, other states to `u32::MAX`).
fn block_green_diagonal(chain: &Chain, block: &[u32], local: &[u32], budget: &mut Budget) -> Result<Vec<f64>> {
    const NONE: u32 = u32::MAX;
    let k = block.len();
    // Active matrix, as magnitudes q ≥ 0 of the off-diagonal entries of I − Q, in both
    // directions, and each row's sum over the active columns (`slack`, ≥ 0).
    let mut out: Vec<HashMap<u32, f64, FixedState>> = (0..k).map(|_| HashMap::with_hasher(hasher())).collect();
    let mut inn: Vec<HashMap<u32, f64, FixedState>> = (0..k).map(|_| HashMap::with_hasher(hasher())).collect();
    let mut slack = vec![0.0f64; k];
    let mut edges = 0usize;
    for (v, &s) in block.iter().enumerate() {
        let s = s as usize;
        let mut leave = chain.exit[s];
        for e in chain.row_start[s]..chain.row_start[s + 1] {
            let t = chain.cols[e] as usize;
            let q = chain.probs[e];
            if t == s {
                continue; // a self-loop is on the diagonal, outside the row sum of I − Q
            }
            match local[t] {
                NONE => leave += q,
                w => {
                    *out[v].entry(w).or_insert(0.0) += q;
                    *inn[w as usize].entry(v as u32).or_insert(0.0) += q;
                }
            }
        }
        slack[v] = leave;
        edges += out[v].len();
    }
    budget.spend(edges as u64 * SPARSE_UNITS)?;
    let entry_limit = FILL_FLOOR.max(4 * edges);
    let mut stored = edges;

    // Sparse phase: eliminate in Markowitz order (fewest in × out first) while the active
    // matrix is sparse.
    let cost = |out: &[HashMap<u32, f64, FixedState>], inn: &[HashMap<u32, f64, FixedState>], v: usize| {
        inn[v].len() as u64 * out[v].len() as u64
    };
    let mut current: Vec<u64> = (0..k).map(|v| cost(&out, &inn, v)).collect();
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = (0..k).map(|v| Reverse((current[v], v as u32))).collect();
    let mut done = vec![false; k];
    let mut pos = vec![NONE; k];
    let mut pivots: Vec<Pivot> = Vec::new();
    let mut active = k;
    while active > 0 && (edges as u128) * 4 < (active as u128) * (active as u128) && stored <= entry_limit {
        let Some(Reverse((c, v))) = heap.pop() else { break };
        let vi = v as usize;
        if done[vi] || current[vi] != c {
            continue;
        }
        // Fill, and the two selected-inversion passes over the same pairs.
        budget.spend(c.saturating_mul(3 * SPARSE_UNITS).saturating_add(SPARSE_UNITS))?;
        let mut outs: Vec<(u32, f64)> = out[vi].drain().collect();
        let mut ins: Vec<(u32, f64)> = inn[vi].drain().collect();
        outs.sort_unstable_by_key(|e| e.0);
        ins.sort_unstable_by_key(|e| e.0);
        let d = pivot(slack[vi], outs.iter().map(|e| e.1));
        for &(w, _) in &outs {
            inn[w as usize].remove(&v);
        }
        for &(u, q_uv) in &ins {
            let ui = u as usize;
            out[ui].remove(&v);
            let l = q_uv / d;
            slack[ui] += l * slack[vi];
            for &(w, q_vw) in &outs {
                if w == u {
                    continue; // the diagonal: implied by the row sums
                }
                let f = l * q_vw;
                match out[ui].entry(w) {
                    Entry::Occupied(mut o) => {
                        *o.get_mut() += f;
                        *inn[w as usize].get_mut(&u).expect("edge kept in both directions") += f;
                    }
                    Entry::Vacant(slot) => {
                        slot.insert(f);
                        inn[w as usize].insert(u, f);
                        edges += 1;
                        stored += 1;
                    }
                }
            }
        }
        edges -= outs.len() + ins.len();
        active -= 1;
        done[vi] = true;
        pos[vi] = pivots.len() as u32;
        for &(u, _) in ins.iter().chain(&outs) {
            let ui = u as usize;
            let c = cost(&out, &inn, ui);
            if c != current[ui] {
                current[ui] = c;
                heap.push(Reverse((c, u)));
            }
        }
        outs.iter_mut().for_each(|e| e.1 /= d);
        ins.iter_mut().for_each(|e| e.1 /= d);
        pivots.push(Pivot { node: v, d, outs, ins });
    }

    // Dense tail: the rest, eliminated and inverted as a dense matrix.
    let rest: Vec<u32> = (0..k as u32).filter(|&v| !done[v as usize]).collect();
    let r = rest.len();
    budget.spend((r as u64).pow(3))?;
    if r > MAX_DENSE_TAIL {
        return Err(Error::limit("channels in the dense part of the Markov removal solve", MAX_DENSE_TAIL, r));
    }
    let mut tail = vec![NONE; k];
    for (i, &v) in rest.iter().enumerate() {
        tail[v as usize] = i as u32;
    }
    let mut a = vec![0.0f64; r * r];
    let mut s = vec![0.0f64; r];
    for (i, &v) in rest.iter().enumerate() {
        s[i] = slack[v as usize];
        for (&w, &q) in &out[v as usize] {
            a[i * r + tail[w as usize] as usize] = q;
        }
    }
    drop(out);
    drop(inn);
    let z = dense_inverse(a, s, r);

    // Selected inversion over the sparse pivots, last eliminated first:
    //   Z_li = Σ_m Z_lm |L_mi|, Z_ij = Σ_l |U_il| Z_lj, Z_ii = 1/d_i + Σ_l |U_il| Z_li.
    let mut diag = vec![0.0f64; k];
    for (i, &v) in rest.iter().enumerate() {
        diag[v as usize] = z[i * r + i];
    }
    let mut z_out: Vec<Vec<f64>> = vec![Vec::new(); pivots.len()];
    let mut z_in: Vec<Vec<f64>> = vec![Vec::new(); pivots.len()];
    for p in (0..pivots.len()).rev() {
        let piv = &pivots[p];
        // Z at (l, m) for an edge m → l of the filled pattern (or l = m).
        let lookup = |l: u32, m: u32| -> f64 {
            if l == m {
                return diag[l as usize];
            }
            let (tl, tm) = (tail[l as usize], tail[m as usize]);
            if tl != NONE && tm != NONE {
                return z[tl as usize * r + tm as usize];
            }
            let (pl, pm) = (pos[l as usize], pos[m as usize]);
            if pm < pl {
                let q = &pivots[pm as usize];
                match q.outs.binary_search_by_key(&l, |e| e.0) {
                    Ok(j) => z_out[pm as usize][j],
                    Err(_) => {
                        debug_assert!(false, "selected inversion outside the pattern");
                        0.0
                    }
                }
            } else {
                let q = &pivots[pl as usize];
                match q.ins.binary_search_by_key(&m, |e| e.0) {
                    Ok(j) => z_in[pl as usize][j],
                    Err(_) => {
                        debug_assert!(false, "selected inversion outside the pattern");
                        0.0
                    }
                }
            }
        };
        let zo: Vec<f64> =
            piv.outs.iter().map(|&(l, _)| piv.ins.iter().map(|&(m, lm)| lookup(l, m) * lm).sum()).collect();
        let zi: Vec<f64> =
            piv.ins.iter().map(|&(j, _)| piv.outs.iter().map(|&(l, ul)| ul * lookup(l, j)).sum()).collect();
        let zii = 1.0 / piv.d + piv.outs.iter().zip(&zo).map(|(&(_, ul), &zl)| ul * zl).sum::<f64>();
        diag[piv.node as usize] = zii;
        z_out[p] = zo;
        z_in[p] = zi;
    }
    Ok(diag)
}

/// GTH pivot: the row sum over the active columns plus the magnitudes of the off-diagonal
/// entries (equal to the diagonal entry, computed without a subtraction).
fn pivot(slack: f64, offdiag: impl Iterator<Item = f64>) -> f64 {
    let d = slack + offdiag.sum::<f64>();
    if d > 0.0 {
        d
    } else {
        f64::MIN_POSITIVE
    }
}

/// Pivots per panel of the dense factorisation and per block of the dense inversion.
const NB: usize = 32;
/// Columns per task of the parallel dense products.
const TILE: usize = 256;

/// Inverse of the dense `r × r` M-matrix with off-diagonal magnitudes `a` (row-major; the
/// diagonal slots are ignored) and row sums `s`, by GTH elimination and the Takahashi
/// recurrences, both blocked: `NB` pivots at a time, the bulk of the work in matrix products
/// that read the trailing matrix once per block instead of once per pivot. Every entry is
/// computed by the same sequence of operations whatever the number of threads.
fn dense_inverse(mut a: Vec<f64>, mut s: Vec<f64>, r: usize) -> Vec<f64> {
    let mut d = vec![0.0f64; r];
    // Factorisation: after it, row i right of the diagonal holds |U_ij| and column i below it
    // |L_ji|. Each entry receives its updates in pivot order, as unblocked elimination would.
    let mut k = 0;
    while k < r {
        let kb = (k + NB).min(r);
        let nb = kb - k;
        for i in k..kb {
            let (head, rows) = a.split_at_mut((i + 1) * r);
            let row_i = &head[i * r..];
            let di = pivot(s[i], row_i[i + 1..].iter().copied());
            d[i] = di;
            let si = s[i];
            for (jj, row_j) in rows.chunks_exact_mut(r).enumerate() {
                let j = i + 1 + jj;
                let l = row_j[i] / di;
                row_j[i] = l;
                if l == 0.0 {
                    continue;
                }
                s[j] += l * si;
                // Rows of the panel: every column; rows below it: the panel's columns only
                // (the rest is the trailing update below).
                let end = if j < kb { r } else { kb };
                axpy(&mut row_j[i + 1..end], l, &row_i[i + 1..end]);
            }
        }
        if kb < r {
            // Trailing update A_TT += |L_TB| · Q_BT.
            let t = r - kb;
            let (head, tail) = a.split_at_mut(kb * r);
            let panel = &head[k * r..kb * r];
            let l_tb: Vec<f64> = tail.chunks_exact(r).flat_map(|row| row[k..kb].iter().copied()).collect();
            for_row_blocks(tail, r, 16, |first, rows| {
                let m = rows.len() / r;
                gemm(m, t, nb, &l_tb[first * nb..], nb, &panel[kb..], r, &mut rows[kb..], r);
            });
        }
        for i in k..kb {
            let di = d[i];
            a[i * r + i + 1..(i + 1) * r].iter_mut().for_each(|x| *x /= di);
        }
        k = kb;
    }

    // Inversion, blocks from the last: with B the block and T the states after it,
    //   Z_TB = Z_TT |L_TB| (I − |L_BB|)⁻¹,  Z_BT = (I − |U_BB|)⁻¹ |U_BT| Z_TT,
    // and the Takahashi recurrences inside the block.
    let mut z = vec![0.0f64; r * r];
    let mut kb = r;
    while kb > 0 {
        let k = kb.saturating_sub(NB);
        let nb = kb - k;
        let t = r - kb;
        if t > 0 {
            // Z_TB ← Z_TT · |L_TB|.
            let l_tb: Vec<f64> = a[kb * r..].chunks_exact(r).flat_map(|row| row[k..kb].iter().copied()).collect();
            let mut w = vec![0.0f64; t * nb];
            {
                let z_tt = &z[kb * r..];
                for_row_blocks(&mut w, nb, 16, |first, rows| {
                    let m = rows.len() / nb;
                    gemm(m, nb, t, &z_tt[first * r + kb..], r, &l_tb, nb, rows, nb);
                });
            }
            for (l, row) in w.chunks_exact(nb).enumerate() {
                z[(kb + l) * r + k..(kb + l) * r + kb].copy_from_slice(row);
            }
            // Z_BT ← |U_BT| · Z_TT, by column tiles.
            let tiles: Vec<usize> = (0..t).step_by(TILE).collect();
            let z_tt = &z[kb * r..];
            let a_ref = &a;
            let parts = super::map_items(tiles, |c0| {
                let wdt = (c0 + TILE).min(t) - c0;
                let mut v = vec![0.0f64; nb * wdt];
                gemm(nb, wdt, t, &a_ref[k * r + kb..], r, &z_tt[kb + c0..], r, &mut v, wdt);
                (c0, wdt, v)
            });
            for (c0, wdt, v) in parts {
                for i in 0..nb {
                    let o = (k + i) * r + kb + c0;
                    z[o..o + wdt].copy_from_slice(&v[i * wdt..(i + 1) * wdt]);
                }
            }
        }
        for i in (k..kb).rev() {
            let inner = i + 1..kb;
            let col_i = column(&a, r, i, i + 1);
            // Z_li, l in T: the block's own terms.
            for l in kb..r {
                let row = &z[l * r..(l + 1) * r];
                let acc = row[i] + dot(&row[i + 1..kb], &col_i[..kb - i - 1]);
                z[l * r + i] = acc;
            }
            // Z_ic, c in T.
            for m in inner.clone() {
                let u = a[i * r + m];
                if u != 0.0 {
                    let (lo, hi) = z.split_at_mut(m * r);
                    axpy(&mut lo[i * r + kb..(i + 1) * r], u, &hi[kb..r]);
                }
            }
            // Z_li, l in the block after i.
            for l in inner.clone() {
                z[l * r + i] = dot(&z[l * r + i + 1..(l + 1) * r], &col_i);
            }
            // Z_ic, c in the block after i, and Z_ii.
            for c in inner.clone().chain(std::iter::once(i)) {
                let mut acc = if c == i { 1.0 / d[i] } else { 0.0 };
                for m in i + 1..r {
                    acc += a[i * r + m] * z[m * r + c];
                }
                z[i * r + c] = acc;
            }
        }
        kb = k;
    }
    z
}

/// `C += A · B` for `C` of `m × n`, the inner index ascending for every entry (so each entry
/// is the same sum as a loop of `axpy`s would form). Element `(i, p)` of `A` is
/// `a[i * lda + p]`, and likewise for `B` and `C`. Register-blocked two rows by eight columns.
#[allow(clippy::too_many_arguments)]
fn gemm(m: usize, n: usize, kk: usize, a: &[f64], lda: usize, b: &[f64], ldb: usize, c: &mut [f64], ldc: usize) {
    const MR: usize = 2;
    const NR: usize = 8;
    let (mf, nf) = (m - m % MR, n - n % NR);
    // Columns outside, rows inside: a strip of B stays in cache for all the rows.
    for j in (0..nf).step_by(NR) {
        for i in (0..mf).step_by(MR) {
            let (a0, a1) = (&a[i * lda..i * lda + kk], &a[(i + 1) * lda..(i + 1) * lda + kk]);
            let mut acc = [[0.0f64; NR]; MR];
            acc[0].copy_from_slice(&c[i * ldc + j..i * ldc + j + NR]);
            acc[1].copy_from_slice(&c[(i + 1) * ldc + j..(i + 1) * ldc + j + NR]);
            for p in 0..kk {
                let bp: &[f64; NR] = b[p * ldb + j..p * ldb + j + NR].try_into().expect("NR columns");
                let (x0, x1) = (a0[p], a1[p]);
                for q in 0..NR {
                    acc[0][q] += x0 * bp[q];
                    acc[1][q] += x1 * bp[q];
                }
            }
            c[i * ldc + j..i * ldc + j + NR].copy_from_slice(&acc[0]);
            c[(i + 1) * ldc + j..(i + 1) * ldc + j + NR].copy_from_slice(&acc[1]);
        }
    }
    // Edges: the last row (odd m) and the last columns (n not a multiple of NR).
    for i in 0..m {
        let j0 = if i < mf { nf } else { 0 };
        if j0 == n {
            continue;
        }
        let row = &mut c[i * ldc + j0..i * ldc + n];
        for p in 0..kk {
            let x = a[i * lda + p];
            axpy(row, x, &b[p * ldb + j0..p * ldb + n]);
        }
    }
}

/// Column `i` of `a` from row `from` down.
fn column(a: &[f64], r: usize, i: usize, from: usize) -> Vec<f64> {
    (from..r).map(|m| a[m * r + i]).collect()
}

/// `y += l · x`.
#[inline]
fn axpy(y: &mut [f64], l: f64, x: &[f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += l * x;
    }
}

/// Dot product with four partial sums (vectorisable, and always added in the same order).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for q in 0..4 {
            acc[q] += x[q] * y[q];
        }
    }
    let mut rest = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        rest += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}

/// Apply `f(first_row, rows)` to consecutive blocks of `per` rows (of width `r`) of `rows`,
/// in parallel with the `parallel` feature.
fn for_row_blocks<F>(rows: &mut [f64], r: usize, per: usize, f: F)
where
    F: Fn(usize, &mut [f64]) + Sync + Send,
{
    if r == 0 {
        return;
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        rows.par_chunks_mut(r * per).enumerate().for_each(|(b, chunk)| f(b * per, chunk));
    }
    #[cfg(not(feature = "parallel"))]
    {
        rows.chunks_mut(r * per).enumerate().for_each(|(b, chunk)| f(b * per, chunk));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dense `(I − Q)⁻¹` by Gauss–Jordan, for reference.
    fn inverse(q: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let n = q.len();
        let mut a: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut row: Vec<f64> = (0..n).map(|j| if i == j { 1.0 } else { 0.0 } - q[i][j]).collect();
                row.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
                row
            })
            .collect();
        for k in 0..n {
            let p = (k..n).max_by(|&x, &y| a[x][k].abs().total_cmp(&a[y][k].abs())).unwrap();
            a.swap(k, p);
            let d = a[k][k];
            a[k].iter_mut().for_each(|x| *x /= d);
            for i in 0..n {
                if i != k {
                    let f = a[i][k];
                    let rk = a[k].clone();
                    a[i].iter_mut().zip(rk).for_each(|(x, y)| *x -= f * y);
                }
            }
        }
        a.into_iter().map(|r| r[n..].to_vec()).collect()
    }

    fn chain_of(q: &[Vec<f64>]) -> Chain {
        let n = q.len();
        let mut c = Chain {
            n,
            row_start: vec![0],
            cols: Vec::new(),
            probs: Vec::new(),
            reward: vec![[0.0; 2]; n],
            exit: vec![0.0; n],
        };
        for row in q {
            for (j, &p) in row.iter().enumerate() {
                if p > 0.0 {
                    c.cols.push(j as u32);
                    c.probs.push(p);
                }
            }
            c.row_start.push(c.cols.len());
        }
        for (i, row) in q.iter().enumerate() {
            c.exit[i] = 1.0 - row.iter().sum::<f64>();
        }
        c
    }

    /// A deterministic pseudo-random sparse substochastic matrix.
    fn random_q(n: usize, density: u64, seed: u64) -> Vec<Vec<f64>> {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        };
        (0..n)
            .map(|i| {
                let mut row: Vec<f64> = (0..n)
                    .map(|j| if j != i && next() % 100 < density { (1 + next() % 9) as f64 } else { 0.0 })
                    .collect();
                let exit = (1 + next() % 5) as f64;
                let t: f64 = row.iter().sum::<f64>() + exit;
                row.iter_mut().for_each(|p| *p /= t);
                row
            })
            .collect()
    }

    #[test]
    fn green_diagonal_matches_dense_inverse() {
        for (n, density, seed) in [(1, 0, 1), (5, 40, 2), (30, 8, 3), (60, 4, 4), (80, 30, 5), (200, 2, 6)] {
            let q = random_q(n, density, seed);
            let inv = inverse(&q);
            let comp = {
                let c = chain_of(&q);
                strongly_connected(n, &c.row_start, &c.cols)
            };
            let mut budget = Budget::new(u64::MAX);
            let g = green_diagonal(&chain_of(&q), &mut budget).unwrap();
            for i in 0..n {
                let in_cycle = comp.iter().filter(|&&c| c == comp[i]).count() > 1;
                let want = if in_cycle { inv[i][i] } else { 1.0 };
                assert!((g[i] - want).abs() <= 1e-13 * want, "n {n} state {i}: {} vs {want}", g[i]);
                assert!((inv[i][i] - want).abs() <= 1e-13 * want);
            }
        }
    }

    #[test]
    fn dense_inverse_is_the_inverse() {
        // Several blocks of pivots and several column tiles.
        let q = random_q(300, 50, 9);
        let n = q.len();
        let mut a = vec![0.0; n * n];
        let mut s = vec![0.0; n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    a[i * n + j] = q[i][j];
                }
            }
            s[i] = 1.0 - q[i].iter().sum::<f64>();
        }
        let z = dense_inverse(a, s, n);
        let inv = inverse(&q);
        for i in 0..n {
            for j in 0..n {
                assert!((z[i * n + j] - inv[i][j]).abs() <= 1e-13 * inv[i][j].abs().max(1e-3));
            }
        }
    }

    #[test]
    fn tarjan_orders_components() {
        // 0 → 1, 1 → 2, 1 → 0, 2 → 1, 2 → 3; 4 isolated: components {0, 1, 2}, {3}, {4}.
        let row_start = [0, 1, 3, 5, 5, 5];
        let cols = [1, 2, 0, 1, 3];
        let c = strongly_connected(5, &row_start, &cols);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[2], c[3]);
        assert!(c[3] < c[0], "reverse topological numbering");
        assert_ne!(c[4], c[0]);
    }

    #[test]
    fn budget_is_enforced() {
        let q = random_q(120, 30, 7);
        let mut b = Budget::new(1000);
        let e = green_diagonal(&chain_of(&q), &mut b).unwrap_err();
        assert!(matches!(e, Error::LimitExceeded { .. }));
    }
}
