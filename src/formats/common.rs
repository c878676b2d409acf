//! Helpers shared by the CMP readers: name maps, grant accumulation, value decoding and
//! timestamps. Nothing here allocates on the request path.

use crate::category::CategoryId;
use crate::consent::{CategorySet, Consent, ServiceSet};
use crate::registry::{ConsentKey, Registry};

/// A map from a CMP's names (category, group or service names) to registry ids.
#[derive(Debug, Clone)]
pub(crate) struct NameMap {
    entries: Vec<(String, String)>,
    /// Whether a name with no entry stands for the registry id of the same text.
    identity: bool,
}

impl NameMap {
    pub(crate) fn new(defaults: &[(&str, &str)], identity: bool) -> Self {
        Self {
            entries: defaults
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            identity,
        }
    }

    /// Maps `name` to `id`, replacing an earlier entry for `name`.
    pub(crate) fn set(&mut self, name: String, id: String) {
        match self.entries.iter_mut().find(|(k, _)| *k == name) {
            Some(entry) => entry.1 = id,
            None => self.entries.push((name, id)),
        }
    }

    /// The registry id text `name` maps to.
    pub(crate) fn target<'a>(&'a self, name: &'a [u8]) -> Option<&'a [u8]> {
        match self.entries.iter().find(|(k, _)| k.as_bytes() == name) {
            Some((_, id)) => Some(id.as_bytes()),
            None if self.identity => Some(name),
            None => None,
        }
    }

    /// What `name` stands for in `registry`, if anything.
    pub(crate) fn resolve(&self, name: &[u8], registry: &Registry) -> Option<ConsentKey> {
        self.target(name).and_then(|id| registry.consent_key(id))
    }

    /// The registry categories some entry maps to.
    pub(crate) fn target_categories(&self, registry: &Registry) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        for (_, id) in &self.entries {
            if let Some(ConsentKey::Category(c)) = registry.consent_key(id.as_bytes()) {
                set.insert(c);
            }
        }
        set
    }
}

/// Grants and refusals gathered while reading one value. Order-independent: a category or
/// service both granted and refused (a key given twice, or two names mapped to the same id)
/// ends up refused.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Grants {
    granted: CategorySet,
    refused: CategorySet,
    services_granted: ServiceSet,
    services_refused: ServiceSet,
}

impl Grants {
    pub(crate) fn record(&mut self, key: ConsentKey, yes: bool) {
        match (key, yes) {
            (ConsentKey::Category(c), true) => self.granted.insert(c),
            (ConsentKey::Category(c), false) => self.refused.insert(c),
            (ConsentKey::Service(s), true) => self.services_granted.insert(s),
            (ConsentKey::Service(s), false) => self.services_refused.insert(s),
        }
    }

    pub(crate) fn grant_category(&mut self, c: CategoryId) {
        self.granted.insert(c);
    }

    pub(crate) fn grant_services(&mut self, services: &ServiceSet) {
        self.services_granted = self.services_granted.union(services);
    }

    pub(crate) fn refuse_services(&mut self, services: &ServiceSet) {
        self.services_refused = self.services_refused.union(services);
    }

    /// A decided [`Consent`] holding these grants (refusals win).
    pub(crate) fn into_consent(self) -> Consent {
        let mut consent = Consent::decided();
        for c in self.granted.difference(self.refused).iter() {
            consent.grant_category(c);
        }
        for s in self.services_granted.iter() {
            consent.grant_service(s);
        }
        for s in self.services_refused.iter() {
            consent.refuse_service(s);
        }
        consent
    }
}

/// Reads every value with `read_one` and combines the readings with [`Consent::narrowest`];
/// no value at all is [`Consent::undecided`].
pub(crate) fn narrowest_of<'a>(
    values: impl Iterator<Item = &'a [u8]>,
    mut read_one: impl FnMut(&'a [u8]) -> Consent,
) -> Consent {
    let mut found: Option<Consent> = None;
    for value in values {
        let consent = read_one(value);
        found = Some(match found {
            None => consent,
            Some(previous) => previous.narrowest(consent),
        });
    }
    found.unwrap_or_else(Consent::undecided)
}

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

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |n, &b| {
        n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// Milliseconds since the Unix epoch of a civil date `(year, month, day)` and time
/// `(hour, minute, second, millisecond)`, `offset_minutes` east of UTC; `None` when a field
/// is out of range or the instant is before 1970.
fn civil_to_ms(
    (y, mo, d): (u32, u32, u32),
    (h, mi, s, ms): (u32, u32, u32, u32),
    offset_minutes: i64,
) -> Option<u64> {
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(i64::from(y), mo)
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)
        - offset_minutes * 60;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1000)?
        .checked_add(u64::from(ms))
}

/// Parses an RFC 3339 / ISO 8601 date-time as JavaScript's `Date.prototype.toISOString`
/// writes it (`2025-01-06T09:00:00.000Z`), strictly: `YYYY-MM-DDTHH:MM:SS`, an optional
/// fraction (milliseconds kept, further digits ignored), then `Z` or `±HH:MM`. Returns
/// milliseconds since the Unix epoch; `None` for anything else or a date before 1970.
pub(crate) fn parse_iso8601_ms(s: &[u8]) -> Option<u64> {
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || s[10] != b'T' {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let y = digits(&s[0..4])?;
    let mo = digits(&s[5..7])?;
    let d = digits(&s[8..10])?;
    let h = digits(&s[11..13])?;
    let mi = digits(&s[14..16])?;
    let sec = digits(&s[17..19])?;
    let mut rest = &s[19..];
    let mut ms = 0u32;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, &b) in tail[..n.min(3)].iter().enumerate() {
            ms += u32::from(b - b'0') * [100, 10, 1][i];
        }
        rest = &tail[n..];
    }
    let offset = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), hh @ .., b':', m1, m2] if hh.len() == 2 => {
            let oh = i64::from(digits(hh)?);
            let om = i64::from(digits(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let total = oh * 60 + om;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    civil_to_ms((y, mo, d), (h, mi, sec, ms), offset)
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
    fn iso8601_as_javascript_writes_it() {
        assert_eq!(
            parse_iso8601_ms(b"2025-01-01T00:00:00.000Z"),
            Some(1_735_689_600_000)
        );
        assert_eq!(
            parse_iso8601_ms(b"2025-01-01T01:00:00.5+01:00"),
            Some(1_735_689_600_500)
        );
        assert_eq!(
            parse_iso8601_ms(b"2024-02-29T12:00:00Z"),
            Some(1_709_208_000_000)
        );
        for bad in [
            &b"2025-02-29T00:00:00Z"[..],
            b"2025-01-01 00:00:00Z",
            b"2025-01-01T00:00:00",
            b"2025-13-01T00:00:00Z",
            b"2025-01-01T24:00:00Z",
            b"1969-12-31T23:59:59Z",
            b"2025-01-01T00:00:00.Z",
            b"2025-01-01T00:00:00+1:00",
            b"\xff\xff\xff\xff-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_iso8601_ms(bad), None, "{bad:?}");
        }
    }
}
