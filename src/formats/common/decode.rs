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

/// Percent-decodes `value` into `buf` (`%XX` only: `+` stays `+`; an invalid escape is kept
/// as it is). With `plus_is_space`, `+` is read as a space, as in
/// `application/x-www-form-urlencoded`. The output is never longer than the input.
pub(crate) fn percent_decode_into<'b>(
    value: &[u8],
    buf: &'b mut [u8],
    plus_is_space: bool,
) -> Option<&'b [u8]> {
    let mut out = 0usize;
    let mut i = 0usize;
    while i < value.len() {
        let mut b = value[i];
        i += 1;
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                value.get(i).copied().and_then(hex),
                value.get(i + 1).copied().and_then(hex),
            ) {
                b = h << 4 | l;
                i += 2;
            }
        } else if b == b'+' && plus_is_space {
            b = b' ';
        }
        *buf.get_mut(out)? = b;
        out += 1;
    }
    Some(&buf[..out])
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
    let mut buf = [0u8; MAX_CONSENT_VALUE];
    percent_decode_into(value, &mut buf, false).map(f)
}

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
