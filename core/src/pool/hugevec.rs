//! A growable array for the pool's large, randomly accessed structures (hash tables, the
//! identity records, the identity graph).
//!
//! On Linux, once an array reaches 2 MiB it moves to an anonymous mapping advised for
//! transparent huge pages (`madvise(MADV_HUGEPAGE)`, through `memmap2`'s safe `advise`): a
//! random read into hundreds of megabytes then rarely misses the TLB. Ingesting 10 million
//! events is about 10 % faster this way. Where the advice is unavailable (other systems, huge
//! pages disabled, a mapping refused) the array is an ordinary `Vec`; contents and results are
//! the same either way.

use bytemuck::Pod;

/// Arrays of this many bytes or more are mapped for huge pages (the size of one).
const HUGE_FROM: usize = 2 << 20;

/// How much a mapped array's capacity grows when it is full.
const MAPPED_GROWTH: usize = 8;

/// A `Vec<T>` that may live in a huge-page mapping (see the module docs).
pub(crate) struct HugeVec<T: Pod> {
    mem: Mem<T>,
}

enum Mem<T> {
    Heap(Vec<T>),
    /// `len` elements in use; the mapping's length is the capacity.
    #[cfg(target_os = "linux")]
    Mapped {
        map: memmap2::MmapMut,
        len: usize,
    },
}

impl<T: Pod> Default for HugeVec<T> {
    fn default() -> Self {
        HugeVec { mem: Mem::Heap(Vec::new()) }
    }
}

impl<T: Pod> HugeVec<T> {
    const SIZE: usize = std::mem::size_of::<T>();

    /// `n` zeroed elements (a fixed-size table).
    pub fn zeroed(n: usize) -> Self {
        HugeVec { mem: Self::map(n, n).unwrap_or_else(|| Mem::Heap(vec![T::zeroed(); n])) }
    }

    /// A huge-page mapping with room for `cap` elements, `len` of them in use (zeroed), when
    /// the platform has one and the size calls for it.
    #[allow(unused_variables)]
    fn map(cap: usize, len: usize) -> Option<Mem<T>> {
        #[cfg(target_os = "linux")]
        if cap.saturating_mul(Self::SIZE) >= HUGE_FROM {
            let map = memmap2::MmapMut::map_anon(cap * Self::SIZE).ok()?;
            // a hint: when refused (huge pages disabled), the mapping works as it is
            let _ = map.advise(memmap2::Advice::HugePage);
            return Some(Mem::Mapped { map, len });
        }
        None
    }

    pub fn capacity(&self) -> usize {
        match &self.mem {
            Mem::Heap(v) => v.capacity(),
            #[cfg(target_os = "linux")]
            Mem::Mapped { map, .. } => map.len() / Self::SIZE,
        }
    }

    /// Make room for `additional` more elements. Small arrays grow like
    /// [`super::store::grow`]; mapped ones move to a new mapping 8 times larger (copied):
    /// address space is cheap and the system backs only the pages written, so this copies
    /// and clears little (the pages in use are what [`HugeVec::heap_bytes`] counts).
    pub fn reserve(&mut self, additional: usize) {
        let need = self.len() + additional;
        if need <= self.capacity() {
            return;
        }
        // an array moves to a mapping once it needs a huge page, not before
        let cap = if need.saturating_mul(Self::SIZE) >= HUGE_FROM {
            need.max(self.capacity().saturating_mul(MAPPED_GROWTH))
        } else {
            need
        };
        if let Some(mut mapped) = Self::map(cap, self.len()) {
            if let Mem::Mapped { map, .. } = &mut mapped {
                let bytes = self.len() * Self::SIZE;
                map[..bytes].copy_from_slice(bytemuck::cast_slice(&self[..]));
            }
            self.mem = mapped;
            return;
        }
        if let Mem::Heap(v) = &mut self.mem {
            super::store::grow(v, additional);
        }
    }

    pub fn push(&mut self, x: T) {
        self.reserve(1);
        match &mut self.mem {
            Mem::Heap(v) => v.push(x),
            #[cfg(target_os = "linux")]
            Mem::Mapped { map, len } => {
                let at = *len * Self::SIZE;
                map[at..at + Self::SIZE].copy_from_slice(bytemuck::bytes_of(&x));
                *len += 1;
            }
        }
    }

    pub fn extend_from_slice(&mut self, xs: &[T]) {
        self.reserve(xs.len());
        match &mut self.mem {
            Mem::Heap(v) => v.extend_from_slice(xs),
            #[cfg(target_os = "linux")]
            Mem::Mapped { map, len } => {
                let at = *len * Self::SIZE;
                map[at..at + std::mem::size_of_val(xs)].copy_from_slice(bytemuck::cast_slice(xs));
                *len += xs.len();
            }
        }
    }

    pub fn extend(&mut self, xs: impl ExactSizeIterator<Item = T>) {
        self.reserve(xs.len());
        for x in xs {
            self.push(x);
        }
    }

    pub fn truncate(&mut self, n: usize) {
        match &mut self.mem {
            Mem::Heap(v) => v.truncate(n),
            #[cfg(target_os = "linux")]
            Mem::Mapped { len, .. } => *len = (*len).min(n),
        }
    }

    /// Memory held: a `Vec`'s capacity; for a mapping, the pages in use (the rest of a mapping
    /// is address space the system has not backed yet).
    pub fn heap_bytes(&self) -> usize {
        match &self.mem {
            Mem::Heap(v) => v.capacity() * Self::SIZE,
            #[cfg(target_os = "linux")]
            Mem::Mapped { map, len } => (len * Self::SIZE).div_ceil(HUGE_FROM).saturating_mul(HUGE_FROM).min(map.len()),
        }
    }
}

impl<T: Pod> std::ops::Deref for HugeVec<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        match &self.mem {
            Mem::Heap(v) => v,
            // page-aligned and a whole number of elements: the cast cannot fail
            #[cfg(target_os = "linux")]
            Mem::Mapped { map, len } => bytemuck::cast_slice(&map[..len * Self::SIZE]),
        }
    }
}

impl<T: Pod> std::ops::DerefMut for HugeVec<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.mem {
            Mem::Heap(v) => v,
            #[cfg(target_os = "linux")]
            Mem::Mapped { map, len } => bytemuck::cast_slice_mut(&mut map[..*len * Self::SIZE]),
        }
    }
}

impl<T: Pod> Clone for HugeVec<T> {
    fn clone(&self) -> Self {
        let mut out = HugeVec::default();
        out.extend_from_slice(self);
        out
    }
}

impl<T: Pod + std::fmt::Debug> std::fmt::Debug for HugeVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HugeVec(len {})", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Pushes, slices, truncation and clones behave as a `Vec`'s, across the move from the
        /// heap to a mapping (at 2 MiB: 512 Ki `u32`s) and the mapping's growth.
        #[test]
        fn behaves_like_a_vec(ops in proptest::collection::vec((0u8..4, 0usize..400_000), 1..12)) {
            let mut h: HugeVec<u32> = HugeVec::default();
            let mut v: Vec<u32> = Vec::new();
            for (op, n) in ops {
                match op {
                    0 => { for i in 0..n { h.push(i as u32); v.push(i as u32); } }
                    1 => { let s: Vec<u32> = (0..n as u32).rev().collect(); h.extend_from_slice(&s); v.extend_from_slice(&s); }
                    2 => { h.truncate(n); v.truncate(n); }
                    _ => { h.extend((0..n as u32).map(|x| x ^ 7)); v.extend((0..n as u32).map(|x| x ^ 7)); }
                }
                prop_assert_eq!(&h[..], &v[..]);
                prop_assert!(h.capacity() >= h.len());
            }
            prop_assert_eq!(&h.clone()[..], &v[..]);
            if let Some(x) = h.last_mut() { *x = 42; }
            if let Some(x) = v.last_mut() { *x = 42; }
            prop_assert_eq!(&h[..], &v[..]);
        }
    }

    #[test]
    fn grows_into_a_mapping_and_on() {
        let mut h: HugeVec<u32> = HugeVec::default();
        let n = 5_000_000u32; // 20 MB: heap, then a 16 MiB mapping, then a 128 MiB one
        h.extend(0..n);
        #[cfg(target_os = "linux")]
        assert!(matches!(h.mem, Mem::Mapped { .. }));
        assert_eq!(h.len(), n as usize);
        assert!(h.iter().enumerate().all(|(i, &x)| x == i as u32));
        // only the pages in use count as the pool's memory
        #[cfg(target_os = "linux")]
        assert!(h.heap_bytes() >= 20_000_000 && h.heap_bytes() < 24 << 20, "{}", h.heap_bytes());
        h.truncate(3);
        assert_eq!(&h[..], &[0, 1, 2]);
    }

    #[test]
    fn small_arrays_stay_on_the_heap() {
        let mut h: HugeVec<u32> = HugeVec::default();
        h.extend(0..400_000u32); // 1.6 MB
        assert!(matches!(h.mem, Mem::Heap(_)));
        assert!(h.heap_bytes() < 2_100_000, "{}", h.heap_bytes());
    }

    #[test]
    fn zeroed_tables_hold_values() {
        for n in [0, 1, 16, 1 << 20] {
            let mut s: HugeVec<u64> = HugeVec::zeroed(n);
            assert_eq!(s.len(), n);
            assert!(s.iter().all(|&v| v == 0));
            if n > 1 {
                s[n - 1] = u64::MAX - 1;
                s[0] = 7;
                let c = s.clone();
                assert_eq!((c[0], c[n - 1]), (7, u64::MAX - 1));
                assert_eq!(c.iter().filter(|&&v| v != 0).count(), 2);
                assert!(s.heap_bytes() >= n * 8);
            }
        }
    }
}
