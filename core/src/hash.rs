//! Hashing helpers: a fixed-seed fast hasher for in-memory tables, and a stable keyed hash for
//! customer ids (SipHash-1-3, 128 bits: the same on every platform and version).

use std::hash::{BuildHasher, Hasher};

/// Fast, fixed-seed hasher for in-memory tables (never persisted, never shown).
pub(crate) fn fast_hash(bytes: &[u8]) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(0x5955_5441_4e47).build_hasher();
    h.write(bytes);
    h.finish()
}

/// SipHash-1-3 (128 bits) of the concatenation of `parts`, without building it.
pub(crate) fn siphash13_128_parts(key: [u64; 2], parts: &[&[u8]]) -> u128 {
    use siphasher::sip128::{Hasher128, SipHasher13};
    let mut h = SipHasher13::new_with_keys(key[0], key[1]);
    for p in parts {
        h.write(p);
    }
    h.finish128().as_u128()
}

/// Crockford base-32 (lower case) of the low `bits` bits of `x`.
#[cfg(test)]
pub(crate) fn base32(x: u128, bits: u32) -> String {
    let mut s = String::with_capacity(bits.div_ceil(5) as usize);
    base32_into(x, bits, &mut s);
    s
}

/// [`base32`], appended to `out` (no allocation of its own: customer ids are formatted in
/// per-customer loops).
pub(crate) fn base32_into(x: u128, bits: u32, out: &mut String) {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let n = bits.div_ceil(5);
    out.extend((0..n).rev().map(|i| ALPHABET[((x >> (5 * i)) & 31) as usize] as char));
}

#[cfg(test)]
mod tests {
    use super::*;

    // Computed once with siphasher 1.0 (SipHash-1-3, 128-bit); a change here changes every customer id.
    const PINNED: &str = "42111902596aa561a6a2c3474b84a9f0";

    #[test]
    fn siphash_is_stable() {
        // Customer ids must never change between versions or platforms: pinned value.
        let whole = siphash13_128_parts([1, 2], &[b"phone:13800138000"]);
        assert_eq!(siphash13_128_parts([1, 2], &[b"phone:", b"13800138000"]), whole);
        assert_ne!(siphash13_128_parts([1, 3], &[b"phone:13800138000"]), whole);
        assert_eq!(format!("{whole:032x}"), PINNED);
    }

    #[test]
    fn base32_len() {
        assert_eq!(base32(0, 100).len(), 20);
        assert_eq!(base32(u128::MAX, 100), "zzzzzzzzzzzzzzzzzzzz");
    }
}
