//! Reading the request's `Cookie` field(s) as bytes, one pair at a time.

use std::fmt;

use http::header::{GetAll, COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::swar;

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
    // The first `Cookie` field, looked up once: over HTTP/1.1 it is the only one, and then
    // no method looks the header up again.
    first: Option<&'a HeaderValue>,
    more: bool,
}

impl<'a> RequestCookies<'a> {
    /// A view of the `Cookie` fields of `headers` (looked up once, here).
    #[inline]
    pub fn new(headers: &'a HeaderMap) -> Self {
        let mut fields = headers.get_all(COOKIE).iter();
        let first = fields.next();
        let more = first.is_some() && fields.next().is_some();
        Self {
            headers,
            first,
            more,
        }
    }

    /// The `Cookie` fields, in order.
    pub(crate) fn fields(&self) -> Fields<'a> {
        match self.more {
            false => Fields::One(self.first),
            true => Fields::All(self.headers.get_all(COOKIE).iter()),
        }
    }

    /// Every well-formed pair, as `(cookie-name, cookie-value)` bytes, in order.
    pub fn iter(&self) -> Pairs<'a> {
        Pairs {
            fields: self.fields(),
            rest: &[],
        }
    }

    /// The cookie-name of every well-formed pair, in order ([`iter`](Self::iter)'s names).
    pub(crate) fn names(&self) -> Names<'a> {
        Names(self.iter())
    }

    /// The values of every pair named exactly `name`, in order (duplicates happen when the
    /// same name is set for several domains or paths).
    pub fn get<'n>(&self, name: &'n [u8]) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        Values {
            fields: self.fields(),
            field: &[],
            at: 0,
            pending: Some(name),
            finder: None,
        }
    }

    /// [`get`](Self::get) with the searcher of `name` built beforehand.
    pub(crate) fn get_named<'n>(&self, name: &'n CookieName) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        NamedValues {
            fields: self.fields(),
            field: &[],
            at: 0,
            finder: name.finder.as_ref(),
        }
    }

    /// Whether the request has no `Cookie` field.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

/// The `Cookie` fields of a request: the one field, or all of them.
#[derive(Debug)]
pub(crate) enum Fields<'a> {
    One(Option<&'a HeaderValue>),
    All(<GetAll<'a, HeaderValue> as IntoIterator>::IntoIter),
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a HeaderValue;

    #[inline]
    fn next(&mut self) -> Option<&'a HeaderValue> {
        match self {
            Fields::One(first) => first.take(),
            Fields::All(all) => all.next(),
        }
    }
}

/// Iterator over the pairs of [`RequestCookies`].
#[derive(Debug)]
pub struct Pairs<'a> {
    fields: Fields<'a>,
    rest: &'a [u8],
}

impl<'a> Pairs<'a> {
    /// The next well-formed pair, its cookie-value not yet trimmed.
    #[inline]
    fn next_raw(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        loop {
            if self.rest.is_empty() {
                self.rest = self.fields.next()?.as_bytes();
                continue;
            }
            if let Some(pair) = take_pair(&mut self.rest) {
                return Some(pair);
            }
        }
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (name, value) = self.next_raw()?;
        Some((name, trim_wsp(value)))
    }
}

/// Iterator over the cookie-names of [`RequestCookies`]: [`Pairs`] without trimming the
/// values nobody reads (withdrawal walks every name of every request).
#[derive(Debug)]
pub(crate) struct Names<'a>(Pairs<'a>);

impl<'a> Iterator for Names<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.next_raw().map(|(name, _)| name)
    }
}

/// Reads the pair at the start of `rest` and moves `rest` past it and its `;`: the pair
/// (its value untrimmed), or `None` for one to skip.
#[inline]
fn take_pair<'a>(rest: &mut &'a [u8]) -> Option<(&'a [u8], &'a [u8])> {
    let pair = *rest;
    let start = pair.len() - trim_wsp_start(pair).len();
    let stop = start + name_stop(&pair[start..]);
    // The usual pair: a name of plain bytes right before its `=`.
    let (name, eq) = match pair.get(stop) {
        Some(b'=') if stop > start => (Some(&pair[start..stop]), stop),
        _ => match slow_name(pair, start) {
            Ok((name, eq)) => (name, eq),
            Err(after) => {
                // No `=`: skipped.
                *rest = after;
                return None;
            }
        },
    };
    let after = &pair[eq + 1..];
    let value = match swar::find_byte(b';', after) {
        Some(j) => {
            *rest = &after[j + 1..];
            &after[..j]
        }
        None => {
            *rest = &[];
            after
        }
    };
    Some((name?, value))
}

/// The offset of the first byte of `bytes` that a plain cookie-name cannot hold here (`=`,
/// `;`, a control character, SP, or DEL), or `bytes.len()`. Eight bytes at a time (SWAR).
#[inline]
fn name_stop(bytes: &[u8]) -> usize {
    swar::find(
        bytes,
        |w| swar::eq(w, b'=') | swar::eq(w, b';') | swar::eq(w, 0x7f) | swar::below(w, 0x21),
        |b| b == b'=' || b == b';' || b <= b' ' || b == 0x7f,
    )
}

/// The name of the pair at the start of `pair` (its SP and HTAB before `start` skipped) and
/// the offset of its `=`, the name `None` when the pair is to be skipped (an empty name, or
/// one holding SP, HTAB or a control character); `Err` with the rest of the field after the
/// pair when it has no `=`.
#[cold]
fn slow_name(pair: &[u8], start: usize) -> Result<(Option<&[u8]>, usize), &[u8]> {
    let mut end = start;
    let mut bad = false;
    for (i, &b) in pair.iter().enumerate().skip(start) {
        match b {
            b'=' => {
                let name = &pair[start..end];
                return Ok(((!bad && !name.is_empty()).then_some(name), i));
            }
            b';' => return Err(&pair[i + 1..]),
            b' ' | b'\t' => {}
            _ => {
                bad |= end != i || b < b' ' || b == 0x7f;
                end = i + 1;
            }
        }
    }
    Err(&[])
}

/// Whether `name` could be the (trimmed) cookie-name of a pair [`Pairs`] yields.
fn is_pair_name(name: &[u8]) -> bool {
    !name.is_empty()
        && !name
            .iter()
            .any(|&b| b <= b' ' || b == 0x7f || b == b'=' || b == b';')
}

/// A cookie-name read from every request (a consent cookie's): the searcher
/// [`RequestCookies::get_named`] uses is built once, with the name.
#[derive(Clone)]
pub(crate) struct CookieName {
    name: String,
    /// `None` for a name no pair can have (see [`is_pair_name`]).
    finder: Option<memchr::memmem::Finder<'static>>,
}

impl CookieName {
    pub(crate) fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let finder = is_pair_name(name.as_bytes())
            .then(|| memchr::memmem::Finder::new(name.as_bytes()).into_owned());
        Self { name, finder }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for CookieName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.name, f)
    }
}

/// The values of the pairs named exactly one name ([`RequestCookies::get`]).
///
/// Instead of splitting every pair, it searches each field for the name and keeps an
/// occurrence only where a pair would start: after the field start or a `;` and SP/HTAB
/// only, and followed by SP/HTAB only and `=`. That is exactly where the pair split finds a
/// pair of that name: its name holds no `;` nor `=`, so the pair's first `=` is the one
/// after it. Scanning back stops at the first byte that is not SP or HTAB, so a field
/// repeating the name costs linear time.
struct Values<'a, 'n> {
    fields: Fields<'a>,
    field: &'a [u8],
    /// Where the search resumes in `field`.
    at: usize,
    /// The name whose searcher is built at the first `Cookie` field (none, no cost).
    pending: Option<&'n [u8]>,
    /// The searcher built for `pending`, or `None` when no pair can be named so.
    finder: Option<memchr::memmem::Finder<'n>>,
}

impl<'a> Iterator for Values<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(name) = self.pending.take() {
            self.field = self.fields.next()?.as_bytes();
            // No pair can be named by an empty name or one holding `=`, `;`, SP, HTAB or a
            // control character: such a name finds nothing (as the pair split would).
            if is_pair_name(name) {
                self.finder = Some(memchr::memmem::Finder::new(name));
            }
        }
        let finder = self.finder.as_ref()?;
        loop {
            if let Some(value) = find_value(self.field, &mut self.at, finder) {
                return Some(value);
            }
            self.field = self.fields.next()?.as_bytes();
            self.at = 0;
        }
    }
}

/// [`Values`] with the searcher of a [`CookieName`] (`None` when no pair can be named so).
struct NamedValues<'a, 'n> {
    fields: Fields<'a>,
    field: &'a [u8],
    at: usize,
    finder: Option<&'n memchr::memmem::Finder<'static>>,
}

impl<'a> Iterator for NamedValues<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let finder = self.finder?;
        loop {
            if let Some(value) = find_value(self.field, &mut self.at, finder) {
                return Some(value);
            }
            self.field = self.fields.next()?.as_bytes();
            self.at = 0;
        }
    }
}

/// The value of the next pair of `field` named as `finder` searches, from offset `at`;
/// moves `at` past what was read.
#[inline]
fn find_value<'a>(
    field: &'a [u8],
    at: &mut usize,
    finder: &memchr::memmem::Finder<'_>,
) -> Option<&'a [u8]> {
    let len = finder.needle().len();
    loop {
        let start = *at + finder.find(field.get(*at..)?)?;
        let end = start + len;
        // Resume after this occurrence's first byte unless it is a pair.
        *at = start + 1;
        let before = trim_wsp_end(&field[..start]);
        if !matches!(before.last(), None | Some(b';')) {
            continue;
        }
        let after = trim_wsp_start(&field[end..]);
        let [b'=', value @ ..] = after else {
            continue;
        };
        let value_start = field.len() - value.len();
        let value = match memchr::memchr(b';', value) {
            Some(i) => {
                *at = value_start + i + 1;
                &value[..i]
            }
            None => {
                *at = field.len();
                value
            }
        };
        return Some(trim_wsp(value));
    }
}

/// Removes leading and trailing SP and HTAB (and nothing else: not Unicode whitespace).
#[inline]
pub(crate) fn trim_wsp(s: &[u8]) -> &[u8] {
    trim_wsp_end(trim_wsp_start(s))
}

/// Removes leading SP and HTAB.
#[inline]
pub(crate) fn trim_wsp_start(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

/// Removes trailing SP and HTAB.
#[inline]
pub(crate) fn trim_wsp_end(mut s: &[u8]) -> &[u8] {
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

    /// The pair split as first written (split on `;`, first `=`, trim SP/HTAB, skip a bad
    /// name): the reference the faster readers must agree with on every input.
    fn reference_pairs(fields: &[Vec<u8>]) -> Vec<(Vec<u8>, Vec<u8>)> {
        fn trim(mut s: &[u8]) -> &[u8] {
            while let [b' ' | b'\t', rest @ ..] = s {
                s = rest;
            }
            while let [rest @ .., b' ' | b'\t'] = s {
                s = rest;
            }
            s
        }
        let mut out = Vec::new();
        for field in fields {
            for pair in field.split(|&b| b == b';') {
                let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                    continue;
                };
                let name = trim(&pair[..eq]);
                if name.is_empty() || name.iter().any(|&b| b <= b' ' || b == 0x7f) {
                    continue;
                }
                out.push((name.to_vec(), trim(&pair[eq + 1..]).to_vec()));
            }
        }
        out
    }

    fn headers_of(fields: &[Vec<u8>]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for f in fields {
            headers.append(COOKIE, HeaderValue::from_bytes(f).unwrap());
        }
        headers
    }

    /// Bytes a `Cookie` field may hold (no control character but HTAB), biased towards
    /// the separators, whitespace, the names searched and non-UTF-8.
    fn field() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(b";".to_vec()),
            Just(b"=".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\t".to_vec()),
            Just(b"; ".to_vec()),
            Just(b"a".to_vec()),
            Just(b"ab".to_vec()),
            Just(b"b".to_vec()),
            Just(b"c_p".to_vec()),
            Just(b"long_cookie_name".to_vec()),
            Just(vec![0xff]),
            Just(vec![0xc3, 0xa9]),
            (0x20u8..=0x7e).prop_map(|b| vec![b]),
            (0x80u8..=0xff).prop_map(|b| vec![b]),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
    }

    /// The values of the pairs named `name` among `pairs`, in order.
    fn values_named<'p>(pairs: &'p [(Vec<u8>, Vec<u8>)], name: &[u8]) -> Vec<&'p [u8]> {
        pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn pairs_and_get_agree_with_the_reference_split(
            fields in proptest::collection::vec(field(), 0..4),
            name in proptest::sample::select(vec![
                &b"a"[..], b"ab", b"b", b"c_p", b"a b", b"a=", b"", b";", b"\xff",
            ]),
        ) {
            let headers = headers_of(&fields);
            let cookies = RequestCookies::new(&headers);
            let expected = reference_pairs(&fields);
            let got: Vec<_> = cookies.iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
            proptest::prop_assert_eq!(&got, &expected);
            let names: Vec<_> = cookies.names().map(<[u8]>::to_vec).collect();
            let expected_names: Vec<_> = expected.iter().map(|(n, _)| n.clone()).collect();
            proptest::prop_assert_eq!(names, expected_names);
            let want = values_named(&expected, name);
            let values: Vec<&[u8]> = cookies.get(name).collect();
            proptest::prop_assert_eq!(&values, &want);
            if let Ok(name) = std::str::from_utf8(name) {
                let name = CookieName::new(name);
                let values: Vec<&[u8]> = cookies.get_named(&name).collect();
                proptest::prop_assert_eq!(values, want);
            }
        }
    }

    /// Any bytes, as a `Cookie` field could not hold them (controls, DEL), biased towards
    /// separators, whitespace and the names searched.
    fn raw_field() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            4 => field(),
            1 => prop::collection::vec(any::<u8>(), 0..4),
            1 => proptest::sample::select(vec![
                vec![0x7f], vec![0], b"\r".to_vec(), b"\n".to_vec(), vec![0x1f], b"a\x7f".to_vec(),
            ]),
        ];
        prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn one_field_of_any_bytes_reads_as_the_reference_split(
            field in raw_field(),
            name in proptest::sample::select(vec![
                &b"a"[..], b"ab", b"c_p", b"long_cookie_name", b"a\x7f",
            ]),
        ) {
            let expected = reference_pairs(std::slice::from_ref(&field));
            let mut got = Vec::new();
            let mut rest = &field[..];
            while !rest.is_empty() {
                if let Some((n, v)) = take_pair(&mut rest) {
                    got.push((n.to_vec(), trim_wsp(v).to_vec()));
                }
            }
            proptest::prop_assert_eq!(&got, &expected);
            let want = values_named(&expected, name);
            let finder = memchr::memmem::Finder::new(name);
            let mut values = Vec::new();
            let mut at = 0;
            if is_pair_name(name) {
                while let Some(v) = find_value(&field, &mut at, &finder) {
                    values.push(v);
                }
            }
            proptest::prop_assert_eq!(values, want);
        }
    }

    #[test]
    fn get_finds_only_pair_names_not_text_inside_values_or_names() {
        let fields = [
            b"xa=1; a b=2;a=3 ;\ta\t=\t4\t;b=a=5; a; a =6;;a=7".to_vec(),
            b"aa=8; a=".to_vec(),
            b"a=9".to_vec(),
        ];
        let headers = headers_of(&fields);
        let values: Vec<_> = RequestCookies::new(&headers).get(b"a").collect();
        assert_eq!(values, [&b"3"[..], b"4", b"6", b"7", b"", b"9"]);
        let pairs: Vec<_> = RequestCookies::new(&headers)
            .iter()
            .filter(|(n, _)| *n == b"a")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(values, pairs);
    }

    #[test]
    fn a_name_repeated_in_values_is_read_in_linear_time_and_correctly() {
        // Thousands of occurrences of the name in values, each after spaces: each
        // candidate looks back over its spaces only.
        let field = format!("x={}; a=last", "  a".repeat(2000));
        let headers = headers_of(&[field.into_bytes()]);
        let values: Vec<_> = RequestCookies::new(&headers).get(b"a").collect();
        assert_eq!(values, [&b"last"[..]]);
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
