//! A cache prefetch hint (x86 and x86-64 through `safe_arch`; elsewhere nothing).

/// Ask the CPU to bring the cache line holding `r` closer. A hint only: it never faults and
/// changes no result.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse"))]
    safe_arch::prefetch_t0(r);
    #[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse")))]
    let _ = r;
}
