//! The JavaScript object literal Cookiebot writes in its `CookieConsent` cookie (not JSON:
//! unquoted keys, single-quoted strings): a flat, allocation-free parser.

/// A value of the object literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsValue<'a> {
    Bool(bool),
    /// A non-negative integer that fits `u64`.
    Integer(u64),
    #[allow(dead_code)] // Read by tests; no consent key is a string today.
    Str(&'a [u8]),
    /// `null`, or a negative or too large integer.
    Other,
}

#[derive(Debug)]
pub(crate) struct Invalid;

/// Parses the flat object literal Cookiebot writes: `{key:value,...}` where a key is
/// `[A-Za-z0-9_$]+` and a value is `true`, `false`, `null`, an integer, or a string in
/// single or double quotes (no escapes). Whitespace (SP, HTAB) is allowed between tokens.
pub(crate) fn parse_object(
    text: &[u8],
    mut member: impl FnMut(&[u8], JsValue<'_>),
) -> Result<(), Invalid> {
    let mut i = 0usize;
    let ws = |i: &mut usize| {
        while matches!(text.get(*i), Some(b' ' | b'\t')) {
            *i += 1;
        }
    };
    ws(&mut i);
    if text.get(i) != Some(&b'{') {
        return Err(Invalid);
    }
    i += 1;
    ws(&mut i);
    if text.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            ws(&mut i);
            let start = i;
            while text
                .get(i)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
            {
                i += 1;
            }
            if i == start {
                return Err(Invalid);
            }
            let key = &text[start..i];
            ws(&mut i);
            if text.get(i) != Some(&b':') {
                return Err(Invalid);
            }
            i += 1;
            ws(&mut i);
            let rest = &text[i..];
            let value = if rest.starts_with(b"true") {
                i += 4;
                JsValue::Bool(true)
            } else if rest.starts_with(b"false") {
                i += 5;
                JsValue::Bool(false)
            } else if rest.starts_with(b"null") {
                i += 4;
                JsValue::Other
            } else {
                match rest.first() {
                    Some(&q @ (b'\'' | b'"')) => {
                        let len = rest[1..].iter().position(|&b| b == q).ok_or(Invalid)?;
                        i += len + 2;
                        JsValue::Str(&rest[1..=len])
                    }
                    Some(b'-' | b'0'..=b'9') => {
                        let negative = rest[0] == b'-';
                        let digits = rest[usize::from(negative)..]
                            .iter()
                            .take_while(|b| b.is_ascii_digit())
                            .count();
                        if digits == 0 {
                            return Err(Invalid);
                        }
                        let number = &rest[usize::from(negative)..usize::from(negative) + digits];
                        i += usize::from(negative) + digits;
                        let n = number.iter().try_fold(0u64, |n, &b| {
                            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
                        });
                        match (negative, n) {
                            (false, Some(n)) => JsValue::Integer(n),
                            _ => JsValue::Other,
                        }
                    }
                    _ => return Err(Invalid),
                }
            };
            member(key, value);
            ws(&mut i);
            match text.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return Err(Invalid),
            }
        }
    }
    ws(&mut i);
    if i == text.len() {
        Ok(())
    } else {
        Err(Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_parser_reports_members() {
        let mut seen = Vec::new();
        parse_object(b" { a : 'x,y' , b:\"q\",c:12,d:false } ", |k, v| {
            seen.push((k.to_vec(), format!("{v:?}")));
        })
        .unwrap();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0].1, "Str([120, 44, 121])");
        assert_eq!(seen[2].1, "Integer(12)");
    }
}
