//! Scanning bytes eight at a time in a `u64` (SWAR), for the short searches on the request
//! path where `memchr`'s set-up costs more than it saves (a cookie-name, a JSON string).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = ONES << 7;

/// The bytes of `w` equal to `b`: their high bits set. The lowest flagged byte is exact (only
/// bytes above it may be flagged wrongly), and so it is in any union of such masks.
#[inline]
pub(crate) fn eq(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * u64::from(b));
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The bytes of `w` below `n` (`n` ≤ 0x80), flagged as by [`eq`].
#[inline]
pub(crate) fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH
}

/// The offset of the first byte of `bytes` for which `hit` holds, or `bytes.len()`: eight
/// bytes at a time with `flags` (the union of [`eq`] and [`below`] masks that `hit` tests
/// byte by byte), then the tail byte by byte.
#[inline]
pub(crate) fn find(bytes: &[u8], flags: impl Fn(u64) -> u64, hit: impl Fn(u8) -> bool) -> usize {
    let mut i = 0;
    while let Some(&[a, b, c, d, e, f, g, h]) = bytes.get(i..i + 8) {
        let found = flags(u64::from_le_bytes([a, b, c, d, e, f, g, h]));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if hit(b) {
            break;
        }
        i += 1;
    }
    i
}

/// The offset of the first `needle` in `bytes` ([`memchr::memchr`]). On x86-64, memchr's
/// SSE2 searcher (always there) is called directly: `memchr::memchr` first picks an
/// implementation through three calls, which costs more than the search itself on the short
/// haystacks of the hot path (a cookie-value, the attributes of a set-cookie-string).
#[inline]
pub(crate) fn find_byte(needle: u8, bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(sse2) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return sse2.find(bytes);
    }
    memchr::memchr(needle, bytes)
}

/// [`find_byte`] for either of two bytes ([`memchr::memchr2`]).
#[inline]
pub(crate) fn find_byte2(a: u8, b: u8, bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(sse2) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return sse2.find(bytes);
    }
    memchr::memchr2(a, b, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The eight-byte scan finds the same byte as a plain scan.
        #[test]
        fn find_agrees_with_a_plain_scan(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let hit = |b: u8| b == b'=' || b == b';' || b <= b' ' || b == 0x7f;
            let flags = |w| eq(w, b'=') | eq(w, b';') | eq(w, 0x7f) | below(w, 0x21);
            let plain = bytes.iter().position(|&b| hit(b)).unwrap_or(bytes.len());
            prop_assert_eq!(find(&bytes, flags, hit), plain);
        }

        /// The direct searchers find what a plain scan finds, on haystacks shorter and longer
        /// than a vector.
        #[test]
        fn find_byte_agrees_with_a_plain_scan(
            bytes in proptest::collection::vec(prop_oneof![Just(b';'), Just(b'x'), Just(b'X'), any::<u8>()], 0..100),
        ) {
            prop_assert_eq!(find_byte(b';', &bytes), bytes.iter().position(|&b| b == b';'));
            prop_assert_eq!(
                find_byte2(b'x', b'X', &bytes),
                bytes.iter().position(|&b| b == b'x' || b == b'X')
            );
        }
    }
}
