//! Reading the request's `Cookie` field(s) as bytes, one pair at a time.

use http::header::{GetAll, COOKIE};
use http::{HeaderMap, HeaderValue};

/// The cookie-pairs of a request, read from **every** `Cookie` field as one list.
///
/// Over HTTP/2 a browser may split the header into several `cookie` fields (RFC 9113
/// §8.2.3); they are read as if joined by `"; "`. Values are bytes: a neighbour cookie with
/// non-UTF-8 bytes never hides the others. Parsing follows what browsers send (RFC 6265bis
/// §4.2.1, §5.8.3) leniently: pairs are separated by `;` only (commas are data, quotes do
/// not protect a `;`), SP and HTAB around names and values are trimmed, and a pair without
/// `=`, with an empty name or with a name holding SP, HTAB or a control character is skipped
/// without spoiling the rest. Names are compared exactly (case-sensitive). Nothing allocates.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::RequestCookies;
///
/// let mut headers = HeaderMap::new();
/// headers.append(COOKIE, HeaderValue::from_static("a=1; bad pair; b=2"));
/// headers.append(COOKIE, HeaderValue::from_static("c=3"));
/// let cookies = RequestCookies::new(&headers);
/// let names: Vec<&[u8]> = cookies.iter().map(|(name, _)| name).collect();
/// assert_eq!(names, [&b"a"[..], b"b", b"c"]);
/// assert_eq!(cookies.get(b"c").next(), Some(&b"3"[..]));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestCookies<'a> {
    headers: &'a HeaderMap,
}

impl<'a> RequestCookies<'a> {
    /// A view of the `Cookie` fields of `headers`.
    pub fn new(headers: &'a HeaderMap) -> Self {
        Self { headers }
    }

    /// Every well-formed pair, as `(cookie-name, cookie-value)` bytes, in order.
    pub fn iter(&self) -> Pairs<'a> {
        Pairs {
            fields: self.headers.get_all(COOKIE).iter(),
            rest: &[],
        }
    }

    /// The values of every pair named exactly `name`, in order (duplicates happen when the
    /// same name is set for several domains or paths).
    pub fn get<'n>(&self, name: &'n [u8]) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.iter().filter(move |(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Whether the request has no `Cookie` field.
    pub fn is_empty(&self) -> bool {
        !self.headers.contains_key(COOKIE)
    }
}

/// Iterator over the pairs of [`RequestCookies`].
#[derive(Debug)]
pub struct Pairs<'a> {
    fields: <GetAll<'a, HeaderValue> as IntoIterator>::IntoIter,
    rest: &'a [u8],
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                self.rest = self.fields.next()?.as_bytes();
                continue;
            }
            let (pair, rest) = match memchr::memchr(b';', self.rest) {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            if let Some(parsed) = parse_pair(pair) {
                return Some(parsed);
            }
        }
    }
}

/// Splits one `name=value` pair; `None` for a pair to skip.
#[inline]
fn parse_pair(pair: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = memchr::memchr(b'=', pair)?;
    let name = trim_wsp(&pair[..eq]);
    if name.is_empty() || name.iter().any(|&b| b <= b' ' || b == 0x7f || b == b'\t') {
        return None;
    }
    Some((name, trim_wsp(&pair[eq + 1..])))
}

/// Removes leading and trailing SP and HTAB (and nothing else: not Unicode whitespace).
#[inline]
pub(crate) fn trim_wsp(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(fields: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut headers = HeaderMap::new();
        for f in fields {
            headers.append(COOKIE, HeaderValue::from_bytes(f).unwrap());
        }
        RequestCookies::new(&headers)
            .iter()
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect()
    }

    fn names(fields: &[&[u8]]) -> Vec<String> {
        pairs(fields)
            .into_iter()
            .map(|(n, _)| String::from_utf8_lossy(&n).into_owned())
            .collect()
    }

    #[test]
    fn reads_every_cookie_field_as_one_list() {
        assert_eq!(names(&[b"a=1; b=2", b"c=3", b"d=4"]), ["a", "b", "c", "d"]);
    }

    #[test]
    fn non_utf8_neighbour_does_not_hide_others() {
        assert_eq!(
            names(&[b"x=caf\xe9; cookies_preferences=1; y=\xc3\xa9"]),
            ["x", "cookies_preferences", "y"]
        );
    }

    #[test]
    fn bad_pairs_are_skipped_not_fatal() {
        assert_eq!(
            names(&[b"novalue; =empty; a b=1; c:d=2; ok=1;;; \tt=2\t; j={\"a\":1,\"b\":2}"]),
            ["c:d", "ok", "t", "j"]
        );
    }

    #[test]
    fn only_semicolon_separates_and_commas_are_data() {
        assert_eq!(
            pairs(&[b"a=1,b=2; c=\"x;y\""]),
            [
                (b"a".to_vec(), b"1,b=2".to_vec()),
                (b"c".to_vec(), b"\"x".to_vec())
            ]
        );
    }

    #[test]
    fn trims_only_sp_and_htab() {
        // U+00A0 (NBSP, bytes C2 A0) is not trimmed: the name keeps it.
        assert_eq!(
            pairs(&[b" \ta = 1 \t; \xc2\xa0b=2"]),
            [
                (b"a".to_vec(), b"1".to_vec()),
                (b"\xc2\xa0b".to_vec(), b"2".to_vec())
            ]
        );
    }

    #[test]
    fn names_are_case_sensitive_and_exact() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("Cookies_preferences=1; cookies_preferences_set=2"),
        );
        assert_eq!(
            RequestCookies::new(&headers)
                .get(b"cookies_preferences")
                .count(),
            0
        );
    }

    #[test]
    fn duplicates_are_all_returned() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; a=2"));
        headers.append(COOKIE, HeaderValue::from_static("a=3"));
        let values: Vec<_> = RequestCookies::new(&headers).get(b"a").collect();
        assert_eq!(values, [&b"1"[..], b"2", b"3"]);
    }
}
