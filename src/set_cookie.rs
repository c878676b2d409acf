//! Reading a set-cookie-string the way a browser does (RFC 6265bis §5.6).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::cookie_header::{trim_wsp, trim_wsp_end, trim_wsp_start};
use crate::formats::common::civil_days;

/// The longest name + value a browser stores, in bytes (RFC 6265bis §5.6 step 6).
pub const MAX_NAME_VALUE: usize = 4096;

/// The parts of a set-cookie-string that decide how a browser treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetCookie<'a> {
    /// The browser ignores the whole string: it holds a control character other than HTAB,
    /// has an empty name and value, its name and value exceed [`MAX_NAME_VALUE`] bytes, or
    /// it is nameless with a value starting with `__Secure-` or `__Host-` (any case).
    Ignored,
    /// A cookie: its cookie-name (possibly empty: a nameless cookie) and cookie-value.
    Cookie {
        /// The cookie-name, as the browser stores it.
        name: &'a [u8],
        /// The cookie-value.
        value: &'a [u8],
        /// The cookie attributes, starting at the first `;` (or empty).
        attributes: &'a [u8],
    },
}

/// Parses a set-cookie-string into the cookie-name and cookie-value a browser stores,
/// following RFC 6265bis §5.6 steps 1–6:
///
/// 1. a control character (`%x00-08 / %x0A-1F / %x7F`) makes the browser ignore the string;
/// 2. the name-value-pair is the text before the first `;`;
/// 3. without `=` the cookie-name is **empty** and the whole pair is the cookie-value,
///    otherwise the name is the text before the first `=`;
/// 4. SP and HTAB are trimmed from both;
/// 5. an empty name *and* value, or 6. name + value over 4096 bytes, is ignored;
/// 7. so is a nameless cookie whose value starts with `__Secure-` or `__Host-` in any case
///    (§5.7, storage model).
///
/// Nothing is decoded: `%5Fga` is not `_ga`.
///
/// ```
/// use tower_cookie_consent::{parse_set_cookie, SetCookie};
///
/// let SetCookie::Cookie { name, value, .. } = parse_set_cookie(b" _ga = GA1.1.1 ; Path=/") else {
///     unreachable!()
/// };
/// assert_eq!((name, value), (&b"_ga"[..], &b"GA1.1.1"[..]));
/// // No `=`: a nameless cookie whose value is the whole pair.
/// assert!(matches!(parse_set_cookie(b"token"), SetCookie::Cookie { name: b"", .. }));
/// assert_eq!(parse_set_cookie(b"a=\x01"), SetCookie::Ignored);
/// ```
pub fn parse_set_cookie(s: &[u8]) -> SetCookie<'_> {
    if has_control(s) {
        return SetCookie::Ignored;
    }
    parse_visible(s)
}

/// [`parse_set_cookie`] of the bytes of a `HeaderValue`: `http` builds one only from bytes
/// without a control character other than HTAB (every safe constructor checks it; hyper
/// and h2 check what they parse), so the scan for them is skipped.
pub(crate) fn parse_header_value(value: &http::HeaderValue) -> SetCookie<'_> {
    let s = value.as_bytes();
    debug_assert!(!has_control(s), "a HeaderValue with a control character");
    parse_visible(s)
}

/// [`parse_set_cookie`] after the control-character test.
fn parse_visible(s: &[u8]) -> SetCookie<'_> {
    // The end of the cookie-name (the first `=`, or a `;` first when there is none) eight
    // bytes at a time, then the end of the (often long) cookie-value with memchr's SSE2.
    let stop = crate::swar::find(
        s,
        |w| crate::swar::eq(w, b'=') | crate::swar::eq(w, b';'),
        |b| b == b'=' || b == b';',
    );
    let (name, value, attributes) = match (stop < s.len()).then_some(stop) {
        Some(i) if s[i] == b'=' => {
            let rest = &s[i + 1..];
            match crate::swar::find_byte(b';', rest) {
                Some(j) => (&s[..i], &rest[..j], &rest[j..]),
                None => (&s[..i], rest, &rest[rest.len()..]),
            }
        }
        Some(i) => (&s[..0], &s[..i], &s[i..]),
        None => (&s[..0], s, &s[s.len()..]),
    };
    let (name, value) = (trim_wsp(name), trim_wsp(value));
    if (name.is_empty() && value.is_empty()) || name.len() + value.len() > MAX_NAME_VALUE {
        return SetCookie::Ignored;
    }
    // §5.7 (storage model): a nameless cookie whose value starts with `__Secure-` or
    // `__Host-` (any case) is ignored, so it cannot pose as a prefixed cookie.
    if name.is_empty()
        && [&b"__secure-"[..], b"__host-"]
            .iter()
            .any(|p| starts_with_ci(value, p))
    {
        return SetCookie::Ignored;
    }
    SetCookie::Cookie {
        name,
        value,
        attributes,
    }
}

/// The longest cookie attribute-value a browser reads, in bytes; a longer one is ignored
/// (RFC 6265bis §5.6, step 7 of the attribute loop).
pub const MAX_ATTRIBUTE_VALUE: usize = 1024;

/// Whether the cookie attributes make the set-cookie-string a deletion: the browser removes
/// any stored cookie of that name and scope and stores nothing.
///
/// Judged strictly, so that no browser could read the string as a set (when unsure, it is a
/// set, and the filter judges it):
///
/// - the **last** `Max-Age` attribute decides when there is one: a deletion when its value is
///   `-?DIGIT+` (RFC 6265bis §5.6.2) and ≤ 0. If that last value is not valid (`Max-Age=`,
///   `Max-Age=-`, `Max-Age=x`) it is not a deletion: the RFC would fall back to an earlier
///   valid one, but Chromium ignores the attribute and makes a session cookie;
/// - without any `Max-Age`, the **last** `Expires` attribute decides: a deletion when it is a
///   cookie-date before `now` written in the plain form every browser reads alike (weekday,
///   day, month, year of 2 or 4 digits, `hh:mm:ss`, `GMT`/`UTC`, in any of the usual orders;
///   §5.1.1 two-digit years); any other token makes it unsure, so not a deletion;
/// - a `Max-Age` or `Expires` value over [`MAX_ATTRIBUTE_VALUE`] bytes, which browsers
///   ignore, makes it not a deletion.
pub fn is_deletion(attributes: &[u8], now: SystemTime) -> bool {
    is_deletion_at(attributes, || now)
}

/// [`is_deletion`], reading the time (`now`) only when an `Expires` attribute decides.
pub(crate) fn is_deletion_at(attributes: &[u8], now: impl FnOnce() -> SystemTime) -> bool {
    // Both deciding attribute-names hold an `x` (`max-age`, `expires`): each `x` is tried as
    // the `x` of one, which must then be a whole attribute-name (only SP and HTAB between it
    // and the `;` before it, and between it and its `=`, `;` or the end). Values cannot hold
    // `;`, so an `x` in a value never passes.
    let mut max_age: Option<&[u8]> = None;
    let mut expires: Option<&[u8]> = None;
    let mut from = 0;
    while let Some(found) = attributes
        .get(from..)
        .and_then(|rest| crate::swar::find_byte2(b'x', b'X', rest))
    {
        let x = from + found;
        from = x + 1;
        let (start, end, slot) = if x >= 2 && is_name_at(attributes, x - 2, b"max-age") {
            (x - 2, x + 5, &mut max_age)
        } else if x >= 1 && is_name_at(attributes, x - 1, b"expires") {
            (x - 1, x + 6, &mut expires)
        } else {
            continue;
        };
        let before = trim_wsp_end(&attributes[..start]);
        if !(before.is_empty() || before.ends_with(b";")) {
            continue;
        }
        let value = match trim_wsp_start(&attributes[end..]) {
            [b'=', value @ ..] => {
                let stop = crate::swar::find(value, |w| crate::swar::eq(w, b';'), |b| b == b';');
                trim_wsp(&value[..stop])
            }
            [b';', ..] | [] => &[][..],
            _ => continue,
        };
        if value.len() > MAX_ATTRIBUTE_VALUE {
            return false;
        }
        *slot = Some(value);
    }
    decides_deletion(max_age, expires, now)
}

/// Whether the last `Max-Age` value, else the last `Expires` value, of a set-cookie-string
/// makes it a deletion (reading the time only for `Expires`).
fn decides_deletion(
    max_age: Option<&[u8]>,
    expires: Option<&[u8]>,
    now: impl FnOnce() -> SystemTime,
) -> bool {
    match (max_age, expires) {
        (Some(last), _) => parse_max_age(last) == Some(true),
        (None, Some(last)) => parse_plain_cookie_date(last).is_some_and(|t| {
            let now = match now().duration_since(UNIX_EPOCH) {
                Ok(d) => d.as_secs() as i64,
                Err(_) => 0,
            };
            t < now
        }),
        (None, None) => false,
    }
}

/// Whether `bytes` holds `name` (7 bytes: lowercase ASCII letters and `-`), in any case, at
/// `at`. One word compare: setting bit 5 of a byte turns `A`–`Z` into `a`–`z` and no other
/// byte into a letter, so it is applied at the letters only (`-` is compared exactly).
#[inline]
fn is_name_at(bytes: &[u8], at: usize, name: &[u8; 7]) -> bool {
    const fn word(b: &[u8; 7]) -> u64 {
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], 0])
    }
    let Some(Ok(found)) = bytes.get(at..at + 7).map(<&[u8; 7]>::try_from) else {
        return false;
    };
    let letters = word(&name.map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 }));
    word(found) | letters == word(name)
}

/// A cookie-date (§5.1.1) only when every token is one that all browsers read alike: a
/// weekday or month name (3 letters or in full), `GMT`/`UTC`, `hh:mm:ss`, a day of 1–2
/// digits and a year of 2 or 4 digits, each once (the weekday optional).
fn parse_plain_cookie_date(value: &[u8]) -> Option<i64> {
    const WEEKDAYS: [&[u8]; 7] = [
        b"monday",
        b"tuesday",
        b"wednesday",
        b"thursday",
        b"friday",
        b"saturday",
        b"sunday",
    ];
    const MONTHS: [&[u8]; 12] = [
        b"january",
        b"february",
        b"march",
        b"april",
        b"may",
        b"june",
        b"july",
        b"august",
        b"september",
        b"october",
        b"november",
        b"december",
    ];
    let named = |token: &[u8], names: &[&[u8]]| {
        names.iter().any(|n| {
            token.eq_ignore_ascii_case(n)
                || (token.len() == 3 && token.eq_ignore_ascii_case(&n[..3]))
        })
    };
    let (mut weekday, mut day, mut month, mut year, mut time, mut zone) = (0, 0, 0, 0, 0, 0);
    for token in value
        .split(|&b| b == b' ' || b == b',' || b == b'-' || b == b'\t')
        .filter(|t| !t.is_empty())
    {
        let digits = token.iter().all(u8::is_ascii_digit);
        if named(token, &WEEKDAYS) {
            weekday += 1;
        } else if named(token, &MONTHS) {
            month += 1;
        } else if token.eq_ignore_ascii_case(b"gmt") || token.eq_ignore_ascii_case(b"utc") {
            zone += 1;
        } else if digits && token.len() <= 2 && day == 0 {
            day += 1;
        } else if digits && (token.len() == 2 || token.len() == 4) {
            year += 1;
        } else if token.len() == 8
            && token[2] == b':'
            && token[5] == b':'
            && token
                .iter()
                .enumerate()
                .all(|(i, b)| i == 2 || i == 5 || b.is_ascii_digit())
        {
            time += 1;
        } else {
            return None;
        }
    }
    if weekday > 1 || day != 1 || month != 1 || year != 1 || time != 1 || zone > 1 {
        return None;
    }
    parse_cookie_date(value)
}

fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `Some(delta <= 0)` for a valid `Max-Age` value, `None` for one a browser ignores.
fn parse_max_age(value: &[u8]) -> Option<bool> {
    let (negative, digits) = match value {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, value),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(negative || digits.iter().all(|&b| b == b'0'))
}

/// Parses a cookie-date (RFC 6265bis §5.1.1) into seconds since the Unix epoch.
pub fn parse_cookie_date(value: &[u8]) -> Option<i64> {
    let is_delimiter = |b: u8| {
        b == 0x09
            || (0x20..=0x2f).contains(&b)
            || (0x3b..=0x40).contains(&b)
            || (0x5b..=0x60).contains(&b)
            || (0x7b..=0x7e).contains(&b)
    };
    let mut time: Option<(u32, u32, u32)> = None;
    let mut day: Option<u32> = None;
    let mut month: Option<u32> = None;
    let mut year: Option<u32> = None;
    for token in value.split(|&b| is_delimiter(b)).filter(|t| !t.is_empty()) {
        if time.is_none() {
            if let Some(t) = parse_time(token) {
                time = Some(t);
                continue;
            }
        }
        if day.is_none() {
            if let Some(d) = leading_digits(token, 1, 2) {
                day = Some(d);
                continue;
            }
        }
        if month.is_none() && token.len() >= 3 {
            const MONTHS: [&[u8; 3]; 12] = [
                b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct",
                b"nov", b"dec",
            ];
            if let Some(m) = MONTHS
                .iter()
                .position(|m| token[..3].eq_ignore_ascii_case(&m[..]))
            {
                month = Some(m as u32 + 1);
                continue;
            }
        }
        if year.is_none() {
            if let Some(y) = leading_digits(token, 2, 4) {
                year = Some(y);
                continue;
            }
        }
    }
    let (mut year, month, day, (h, mi, s)) = (year?, month?, day?, time?);
    if (70..=99).contains(&year) {
        year += 1900;
    } else if year <= 69 {
        year += 2000;
    }
    if !(1..=31).contains(&day) || year < 1601 || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = civil_days(i64::from(year), month, day)?;
    Some(days * 86_400 + i64::from(h * 3600 + mi * 60 + s))
}

/// `min..=max` digits at the start of `token`, then a non-digit or the end.
fn leading_digits(token: &[u8], min: usize, max: usize) -> Option<u32> {
    let n = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if n < min || n > max {
        return None;
    }
    Some(
        token[..n]
            .iter()
            .fold(0, |a, &b| a * 10 + u32::from(b - b'0')),
    )
}

/// `hms-time = time-field ":" time-field ":" time-field`, each 1–2 digits, then anything.
fn parse_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let mut fields = [0u32; 3];
    let mut rest = token;
    for (i, field) in fields.iter_mut().enumerate() {
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 2 {
            return None;
        }
        *field = rest[..n]
            .iter()
            .fold(0, |a, &b| a * 10 + u32::from(b - b'0'));
        rest = &rest[n..];
        if i < 2 {
            rest = rest.strip_prefix(b":")?;
        } else if rest.first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
    }
    Some((fields[0], fields[1], fields[2]))
}

/// The cookie-names of further cookies folded into one field with commas by a non-conforming
/// inner layer (`a=1; Path=/, b=2`): the name before `=` of every comma-led segment that has
/// one (commas inside an `Expires` date lead no `=`). A browser stores only the first cookie
/// of a field, but intermediaries may split it, so every name counts, an empty one (a
/// nameless cookie) included.
pub(crate) fn folded_names(attributes_and_value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let s = attributes_and_value;
    memchr::memchr_iter(b',', s).filter_map(move |i| {
        let after = &s[i + 1..];
        let segment = match after.iter().position(|&b| b == b';' || b == b',') {
            Some(j) => &after[..j],
            None => after,
        };
        // Every `name=` after a comma counts, even an empty name (a nameless cookie that a
        // splitting intermediary would create) or an attribute name: when unsure, judge it.
        let eq = segment.iter().position(|&b| b == b'=')?;
        let name = trim_wsp(&segment[..eq]);
        Some(name)
    })
}

/// Whether `s` holds a control character other than HTAB (0x00-0x08, 0x0A-0x1F, 0x7F).
/// Checked 16 bytes at a time without an early exit, which the compiler vectorises.
fn has_control(s: &[u8]) -> bool {
    let bad = |b: u8| (b < 0x20 && b != b'\t') | (b == 0x7f);
    let mut chunks = s.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |acc, &b| acc | bad(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| bad(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_name_at_is_ascii_case_insensitive_and_exact_otherwise() {
        // Every byte at every position of both names, and both names at every offset.
        for name in [b"max-age", b"expires"] {
            for pos in 0..7 {
                for b in 0..=255u8 {
                    let mut text = *name;
                    text[pos] = b;
                    assert_eq!(
                        is_name_at(&text, 0, name),
                        text.eq_ignore_ascii_case(name),
                        "{:?}",
                        String::from_utf8_lossy(&text)
                    );
                }
            }
            let text = [b"; ".as_slice(), name.as_slice(), b"=1"].concat();
            let found: Vec<usize> = (0..text.len())
                .filter(|&at| is_name_at(&text, at, name))
                .collect();
            assert_eq!(found, [2]);
            assert!(!is_name_at(&name[..6], 0, name));
        }
    }
    use std::time::Duration;

    fn name(s: &[u8]) -> Option<Vec<u8>> {
        match parse_set_cookie(s) {
            SetCookie::Cookie { name, .. } => Some(name.to_vec()),
            SetCookie::Ignored => None,
        }
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000) // 2027-01-15
    }

    #[test]
    fn name_extraction_follows_rfc6265bis_5_6() {
        assert_eq!(name(b"a=b"), Some(b"a".to_vec()));
        assert_eq!(name(b" a =b"), Some(b"a".to_vec()));
        assert_eq!(name(b"=a=b"), Some(b"".to_vec()));
        assert_eq!(name(b"a"), Some(b"".to_vec()));
        assert_eq!(name(b"a;b=c"), Some(b"".to_vec()));
        assert_eq!(name(b"a=b=c"), Some(b"a".to_vec()));
        assert_eq!(name(b"=;"), None);
        assert_eq!(name(b""), None);
        assert_eq!(name(b"a\x01=b"), None);
        assert_eq!(name(b"\ta\t=b"), Some(b"a".to_vec()));
        assert_eq!(name(b"%5Fga=1"), Some(b"%5Fga".to_vec()));
        let long = [b"n=".as_slice(), &[b'v'; 4095]].concat();
        assert_eq!(name(&long), Some(b"n".to_vec()));
        let too_long = [b"n=".as_slice(), &[b'v'; 4096]].concat();
        assert_eq!(name(&too_long), None);
    }

    #[test]
    fn max_age_is_strict() {
        assert!(is_deletion(b"; Max-Age=0", now()));
        assert!(is_deletion(b"; max-age=-1", now()));
        assert!(is_deletion(b"; Max-Age=000", now()));
        assert!(!is_deletion(b"; Max-Age=1", now()));
        assert!(!is_deletion(b"; Max-Age=", now()));
        assert!(!is_deletion(b"; Max-Age=-", now()));
        assert!(!is_deletion(b"; Max-Age=0x0", now()));
        assert!(!is_deletion(b"; Max-Age=+0", now()));
        assert!(!is_deletion(b"; Max-Age=0 0", now()));
        let long = [b"; Max-Age=-".as_slice(), &[b'0'; MAX_ATTRIBUTE_VALUE]].concat();
        assert!(
            !is_deletion(&long, now()),
            "an over-long value is ignored by browsers"
        );
        let fits = [b"; Max-Age=-".as_slice(), &[b'0'; MAX_ATTRIBUTE_VALUE - 1]].concat();
        assert!(is_deletion(&fits, now()));
    }

    #[test]
    fn an_invalid_last_max_age_or_expires_is_not_a_deletion() {
        // RFC 6265bis keeps an earlier valid value; Chromium makes a session cookie.
        assert!(!is_deletion(b"; Max-Age=0; Max-Age=x", now()));
        assert!(!is_deletion(b"; Max-Age=0; Max-Age=", now()));
        assert!(!is_deletion(b"; Max-Age=-1; Max-Age=-", now()));
        assert!(!is_deletion(
            b"; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Expires=never",
            now()
        ));
        assert!(is_deletion(b"; Max-Age=x; Max-Age=0", now()));
    }

    #[test]
    fn only_plain_dates_delete() {
        for deleting in [
            &b"; Expires=Thu, 01 Jan 1970 00:00:00 GMT"[..],
            b"; Expires=Thursday, 01-Jan-70 00:00:01 GMT",
            b"; Expires=Thu Jan  1 00:00:00 1970",
            b"; Expires=01 January 1970 00:00:00 UTC",
        ] {
            assert!(
                is_deletion(deleting, now()),
                "{}",
                String::from_utf8_lossy(deleting)
            );
        }
        for unsure in [
            &b"; Expires=Thu, 01 Jan 1970xx 00:00:00 GMT 2099"[..],
            b"; Expires=01 Jan 00:00:00 000:1:1",
            b"; Expires=Thu, 01 Jan 1970 00:00:00 GMT 2099",
            b"; Expires=01 Jan 1970 1:2:3",
            b"; Expires=Thu, 01 Jan 1970 00:00:00 PST",
        ] {
            assert!(
                !is_deletion(unsure, now()),
                "{}",
                String::from_utf8_lossy(unsure)
            );
        }
    }

    #[test]
    fn last_valid_max_age_wins_and_beats_expires() {
        assert!(!is_deletion(b"; Max-Age=0; Max-Age=60", now()));
        assert!(is_deletion(b"; Max-Age=60; Max-Age=x; Max-Age=0", now()));
        assert!(!is_deletion(
            b"; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60",
            now()
        ));
        assert!(is_deletion(
            b"; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Max-Age=0",
            now()
        ));
    }

    #[test]
    fn expires_in_the_past_deletes() {
        assert!(is_deletion(
            b"; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            now()
        ));
        assert!(is_deletion(
            b"; expires=Thursday, 01-Jan-70 00:00:01 GMT",
            now()
        ));
        assert!(!is_deletion(
            b"; Expires=Tue, 22 Jun 2027 10:00:00 GMT",
            now()
        ));
        assert!(!is_deletion(b"; Expires=22-Jun-27 10:00:00", now()));
        assert!(!is_deletion(b"; Expires=yesterday", now()));
        assert!(!is_deletion(b"; Expires=", now()));
        assert!(!is_deletion(b"", now()));
    }

    #[test]
    fn cookie_dates() {
        assert_eq!(parse_cookie_date(b"Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_cookie_date(b"Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_cookie_date(b"Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_cookie_date(b"Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(parse_cookie_date(b"31 Feb 2020 00:00:00"), None);
        assert_eq!(parse_cookie_date(b"01 Jan 1600 00:00:00"), None);
        assert_eq!(parse_cookie_date(b"01 Jan 2020 24:00:00"), None);
        assert_eq!(parse_cookie_date(b"01 Jan 2020"), None);
    }

    #[test]
    fn folded_fields_reveal_every_name() {
        let s = b"a=1; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Path=/, _ga=GA1; Path=/,b=2";
        let names: Vec<_> = folded_names(s).collect();
        assert_eq!(names, [&b"_ga"[..], b"b"]);
        let names: Vec<_> = folded_names(b"a=1; Path=/, =_ga=1, Domain=x, a b=2").collect();
        assert_eq!(names, [&b""[..], b"Domain", b"a b"]);
        assert_eq!(
            folded_names(b"a=1, 2, 3; Expires=Tue, 22 Jun 2027").count(),
            0
        );
    }
}

#[cfg(test)]
mod control_tests {
    use super::*;
    use proptest::prelude::*;

    /// The attribute loop `is_deletion_at` replaced: every attribute split at its `;`, the
    /// last `Max-Age` and `Expires` kept.
    fn is_deletion_at_reference(attributes: &[u8], now: impl FnOnce() -> SystemTime) -> bool {
        // Both deciding attribute names hold an `x` (`max-age`, `expires`): without one, no
        // attribute can make a deletion.
        if crate::swar::find_byte2(b'x', b'X', attributes).is_none() {
            return false;
        }
        // The last value of each attribute; parsed once, after the scan.
        let mut max_age: Option<&[u8]> = None;
        let mut expires: Option<&[u8]> = None;
        let mut rest = Some(attributes);
        while let Some(r) = rest {
            // Attributes are short: eight bytes at a time beats `memchr`'s set-up here.
            let i = crate::swar::find(r, |w| crate::swar::eq(w, b';'), |b| b == b';');
            let av = &r[..i];
            rest = r.get(i + 1..);
            // Only `Max-Age` and `Expires` matter: skip the others by their first letter.
            let first = av.iter().find(|&&b| b != b' ' && b != b'\t');
            if !first.is_some_and(|&b| matches!(b | 0x20, b'm' | b'e')) {
                continue;
            }
            let (name, value) = match av.iter().position(|&b| b == b'=') {
                Some(i) => (trim_wsp(&av[..i]), trim_wsp(&av[i + 1..])),
                None => (trim_wsp(av), &av[av.len()..]),
            };
            let slot = match name.len() {
                7 if name.eq_ignore_ascii_case(b"max-age") => &mut max_age,
                7 if name.eq_ignore_ascii_case(b"expires") => &mut expires,
                _ => continue,
            };
            if value.len() > MAX_ATTRIBUTE_VALUE {
                return false;
            }
            *slot = Some(value);
        }
        decides_deletion(max_age, expires, now)
    }

    /// Attribute strings biased towards the deciding names, their look-alikes and the
    /// separators.
    fn attributes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"; ".to_vec()),
            Just(b";".to_vec()),
            Just(b"=".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\t".to_vec()),
            Just(b"Max-Age".to_vec()),
            Just(b"max-age".to_vec()),
            Just(b"MAX-AGE".to_vec()),
            Just(b"Expires".to_vec()),
            Just(b"eXpIrEs".to_vec()),
            Just(b"ax-age".to_vec()),
            Just(b"xpires".to_vec()),
            Just(b"x".to_vec()),
            Just(b"X".to_vec()),
            Just(b"0".to_vec()),
            Just(b"-1".to_vec()),
            Just(b"12".to_vec()),
            Just(b"Thu, 01 Jan 1970 00:00:00 GMT".to_vec()),
            Just(b"Tue, 22 Jun 2027 10:00:00 GMT".to_vec()),
            Just(b"; Max-Age=0".to_vec()),
            Just(b"; Max-Age".to_vec()),
            Just(b"; Max-Age=".to_vec()),
            Just(b"; Expires".to_vec()),
            Just(b"; expires=Thu, 01 Jan 1970 00:00:00 GMT".to_vec()),
            Just(b"Path=/".to_vec()),
            Just(b"Domain=.example.com".to_vec()),
            Just(vec![b'9'; 1100]),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        prop::collection::vec(piece, 0..14).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Anchoring the search on each `x` finds what splitting every attribute found.
        #[test]
        fn is_deletion_at_agrees_with_the_attribute_loop(attributes in attributes()) {
            let now = || UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
            prop_assert_eq!(
                is_deletion_at(&attributes, now),
                is_deletion_at_reference(&attributes, now),
                "{:?}", String::from_utf8_lossy(&attributes)
            );
        }
    }

    #[test]
    fn a_control_byte_anywhere_makes_the_string_ignored_but_htab_does_not() {
        for len in [1usize, 15, 16, 17, 31, 32, 33, 100] {
            for at in 0..len {
                for bad in [0x00u8, 0x0a, 0x0d, 0x1f, 0x7f] {
                    let mut s = vec![b'a'; len];
                    s[0] = b'n';
                    s.insert(1, b'=');
                    s[at.max(2).min(len)] = bad;
                    assert_eq!(parse_set_cookie(&s), SetCookie::Ignored, "{s:?}");
                }
                let mut s = b"n=".to_vec();
                s.extend(std::iter::repeat_n(b'v', len));
                s[2 + at] = b'\t';
                assert!(
                    matches!(parse_set_cookie(&s), SetCookie::Cookie { .. }),
                    "{s:?}"
                );
            }
        }
    }
}
