//! Decoding consent cookie-values: percent-encoding, JavaScript's `escape()`, into stack
//! buffers (no allocation).

use super::super::MAX_CONSENT_VALUE;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The value of each hexadecimal digit, [`NOT_HEX`] for other bytes.
static HEX: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};
const NOT_HEX: u8 = 0xff;

/// Percent-decodes `value` into `buf` (`%XX` only: `+` stays `+`; an invalid escape is kept
/// as it is). With `plus_is_space`, `+` is read as a space, as in
/// `application/x-www-form-urlencoded`. The output is never longer than the input; `None`
/// when it does not fit `buf`.
pub(crate) fn percent_decode_into<'b>(
    value: &[u8],
    buf: &'b mut [u8],
    plus_is_space: bool,
) -> Option<&'b [u8]> {
    let mut out = 0usize;
    let mut i = 0usize;
    if !plus_is_space {
        // Eight bytes at a time (SWAR) while eight remain: copy the chunk, keep the part
        // before its first `%`, decode that escape.
        while let (Some(chunk), Some(dest)) = (value.get(i..i + 8), buf.get_mut(out..out + 8)) {
            dest.copy_from_slice(chunk);
            let literal = first_percent(u64::from_le_bytes(chunk.try_into().ok()?));
            i += literal;
            out += literal;
            if literal == 8 {
                continue;
            }
            // `value[i]` is `%`; escapes often follow each other (`%22%3A`).
            loop {
                let (decoded, len) = percent_escape(value, i);
                *buf.get_mut(out)? = decoded;
                out += 1;
                i += len;
                if value.get(i) != Some(&b'%') {
                    break;
                }
            }
        }
    }
    while let Some(&b) = value.get(i) {
        let (decoded, len) = match b {
            b'%' => percent_escape(value, i),
            b'+' if plus_is_space => (b' ', 1),
            _ => (b, 1),
        };
        *buf.get_mut(out)? = decoded;
        out += 1;
        i += len;
    }
    Some(&buf[..out])
}

/// The byte the `%` at `value[i]` stands for and the length of its escape: `%XX`, or the
/// `%` alone when two hexadecimal digits do not follow.
#[inline]
pub(crate) fn percent_escape(value: &[u8], i: usize) -> (u8, usize) {
    if let Some(&[h, l]) = value.get(i + 1..i + 3) {
        let (h, l) = (HEX[usize::from(h)], HEX[usize::from(l)]);
        if h != NOT_HEX && l != NOT_HEX {
            return (h << 4 | l, 3);
        }
    }
    (b'%', 1)
}

/// The index of the first `%` among the eight bytes of `word` (little-endian), 8 if none.
#[inline]
fn first_percent(word: u64) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = word ^ (ONES * u64::from(b'%'));
    // The lowest byte of `x` that is zero sets its high bit here (higher bytes may be
    // flagged wrongly, never lower ones).
    let zero = x.wrapping_sub(ONES) & !x & (ONES << 7);
    (zero.trailing_zeros() / 8) as usize
}

/// Decodes what JavaScript's `escape()` writes into `buf`, as UTF-8: `%XX` is the code point
/// U+00XX (Latin-1), `%uXXXX` a UTF-16 code unit (surrogate pairs are joined, a lone
/// surrogate becomes U+FFFD); other bytes are kept. The output is never longer than the
/// input.
pub(crate) fn js_unescape_into<'b>(value: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    fn hex4(s: &[u8]) -> Option<u32> {
        let mut v = 0u32;
        for &b in s.get(..4)? {
            v = v << 4 | u32::from(hex(b)?);
        }
        Some(v)
    }
    let mut out = 0usize;
    let mut push = |bytes: &[u8], out: &mut usize| -> Option<()> {
        buf.get_mut(*out..*out + bytes.len())?
            .copy_from_slice(bytes);
        *out += bytes.len();
        Some(())
    };
    let mut i = 0usize;
    while i < value.len() {
        let b = value[i];
        if b == b'%' {
            if value.get(i + 1) == Some(&b'u') {
                if let Some(unit) = value.get(i + 2..).and_then(hex4) {
                    i += 6;
                    let mut code = unit;
                    if (0xD800..0xDC00).contains(&unit) {
                        let low = value
                            .get(i..i + 2)
                            .filter(|p| *p == b"%u")
                            .and_then(|_| value.get(i + 2..).and_then(hex4))
                            .filter(|lo| (0xDC00..0xE000).contains(lo));
                        code = match low {
                            Some(lo) => {
                                i += 6;
                                0x10000 + ((unit - 0xD800) << 10) + (lo - 0xDC00)
                            }
                            None => 0xFFFD,
                        };
                    }
                    let c = char::from_u32(code).unwrap_or('\u{FFFD}');
                    let mut tmp = [0u8; 4];
                    push(c.encode_utf8(&mut tmp).as_bytes(), &mut out)?;
                    continue;
                }
            } else if let (Some(h), Some(l)) = (
                value.get(i + 1).copied().and_then(hex),
                value.get(i + 2).copied().and_then(hex),
            ) {
                i += 3;
                let c = char::from(h << 4 | l);
                let mut tmp = [0u8; 4];
                push(c.encode_utf8(&mut tmp).as_bytes(), &mut out)?;
                continue;
            }
        }
        push(&[b], &mut out)?;
        i += 1;
    }
    Some(&buf[..out])
}

/// Calls `f` with `value` percent-decoded (`%XX` only: `+` stays `+`), decoding into a
/// stack buffer only when `value` holds a `%`; `None` if `value` is longer than
/// [`MAX_CONSENT_VALUE`]. Does not allocate.
pub(crate) fn with_decoded<R>(value: &[u8], f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    if value.len() > MAX_CONSENT_VALUE {
        return None;
    }
    if !value.contains(&b'%') {
        return Some(f(value));
    }
    // Zeroing the buffer costs as much as decoding into it: a short value (consent
    // cookies usually are) gets a short one.
    if value.len() <= SHORT_VALUE {
        let mut buf = [0u8; SHORT_VALUE];
        return percent_decode_into(value, &mut buf, false).map(f);
    }
    let mut buf = [0u8; MAX_CONSENT_VALUE];
    percent_decode_into(value, &mut buf, false).map(f)
}

/// The buffer [`with_decoded`] decodes a value of at most this many bytes into.
const SHORT_VALUE: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_keeps_plus_unless_asked() {
        let mut buf = [0u8; 64];
        assert_eq!(
            percent_decode_into(b"a+b%2Cc%27%zz%", &mut buf, false).unwrap(),
            b"a+b,c'%zz%"
        );
        assert_eq!(
            percent_decode_into(b"a+b%2B", &mut buf, true).unwrap(),
            b"a b+"
        );
    }

    #[test]
    fn js_unescape_reads_latin1_and_utf16_units() {
        let mut buf = [0u8; 64];
        assert_eq!(
            js_unescape_into(b"caf%E9%20%u20AC%uD83D%uDE00%uD800x%u12", &mut buf).unwrap(),
            "café €😀\u{FFFD}x%u12".as_bytes()
        );
    }

    #[test]
    fn decoders_never_write_past_their_buffer() {
        let mut small = [0u8; 2];
        assert!(percent_decode_into(b"abc", &mut small, false).is_none());
        assert!(js_unescape_into(b"%u20AC", &mut small).is_none());
    }

    proptest::proptest! {
        #[test]
        fn percent_decoding_agrees_with_the_percent_encoding_crate(
            value in proptest::collection::vec(
                proptest::sample::select(b"%%%2cC7bBzZ+ a\xff0".to_vec()),
                0..40,
            ),
        ) {
            let expected: Vec<u8> = percent_encoding::percent_decode(&value).collect();
            let mut buf = [0u8; 64];
            proptest::prop_assert_eq!(percent_decode_into(&value, &mut buf, false), Some(&expected[..]));
            proptest::prop_assert_eq!(with_decoded(&value, <[u8]>::to_vec), Some(expected));
        }
    }

    #[test]
    fn with_decoded_reads_values_around_the_short_buffer() {
        for len in [
            SHORT_VALUE - 1,
            SHORT_VALUE,
            SHORT_VALUE + 1,
            MAX_CONSENT_VALUE,
        ] {
            let value = format!("%41{}", "b".repeat(len - 3));
            let expected = format!("A{}", "b".repeat(len - 3));
            assert_eq!(
                with_decoded(value.as_bytes(), <[u8]>::to_vec),
                Some(expected.into_bytes()),
                "{len}"
            );
        }
    }

    #[test]
    fn with_decoded_handles_raw_encoded_and_oversized() {
        let decode = |v: &[u8]| with_decoded(v, <[u8]>::to_vec);
        assert_eq!(decode(b"a%3Ab%2Cc+d"), Some(b"a:b,c+d".to_vec()));
        assert_eq!(decode(b"100%"), Some(b"100%".to_vec()));
        assert_eq!(decode(b"a:b"), Some(b"a:b".to_vec()));
        let big = vec![b'%'; MAX_CONSENT_VALUE + 1];
        assert_eq!(decode(&big), None);
    }
}
