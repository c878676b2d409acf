//! Agreement with browsers: cookie-name extraction against the parsing algorithm of
//! RFC 6265bis (draft-ietf-httpbis-rfc6265bis), §5.6 "The Set-Cookie Header Field", plus the
//! storage-model steps (§5.7) that make a browser ignore a cookie outright.
//!
//! Each expectation is worked out from the text, not from the implementation:
//!
//! - step 1: a set-cookie-string holding a `%x00-08 / %x0A-1F / %x7F` octet (a CTL other than
//!   HTAB) is ignored entirely;
//! - step 2: the name-value-pair is everything before the first `;`;
//! - step 3: without `=` in it the name is **empty** and the whole pair is the value;
//!   otherwise the name is what precedes the first `=`, the value what follows it;
//! - step 4: leading and trailing WSP (SP and HTAB only) is removed from both;
//! - step 5: name + value over 4096 octets: ignored;
//! - §5.7 step 2: empty name and empty value: ignored;
//! - §5.7: an empty name with a value starting with `__Secure-` or `__Host-`
//!   (case-insensitive) is ignored;
//! - note in §5.6: percent-encoded octets are never decoded; everything is octets, so
//!   non-UTF-8 bytes are kept as they are.
//!
//! `None` below means "the browser ignores the string" ([`SetCookie::Ignored`]); `Some(name)`
//! is the cookie-name it stores (possibly empty: a nameless cookie).

use std::time::{Duration, UNIX_EPOCH};

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use tower_cookie_consent::{
    is_deletion, parse_set_cookie, CookieConsentLayer, Declaration, Registry, SetCookie,
};

fn name(s: &[u8]) -> Option<Vec<u8>> {
    match parse_set_cookie(s) {
        SetCookie::Cookie { name, .. } => Some(name.to_vec()),
        SetCookie::Ignored => None,
        _ => unreachable!("no other variant yet"),
    }
}

fn check(cases: &[(&[u8], Option<&[u8]>)]) {
    for (input, expected) in cases {
        assert_eq!(
            name(input),
            expected.map(<[u8]>::to_vec),
            "set-cookie-string {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

/// Steps 2–3: the name is the text before the first `=` of the text before the first `;`.
#[test]
fn name_is_before_the_first_equals_of_the_pair() {
    check(&[
        (b"a=b", Some(b"a")),
        (b"a=b; Path=/", Some(b"a")),
        (b"a=b=c", Some(b"a")),
        (b"a==b", Some(b"a")),
        (b"a=", Some(b"a")),
        (b"a=;", Some(b"a")),
        (b"a=b;c=d", Some(b"a")),
        (b"a=b;;;", Some(b"a")),
        (
            b"SID=31d4d96e407aad42; Path=/; Domain=example.com",
            Some(b"SID"),
        ),
        // The first `;` ends the pair even before any `=`: `a` is a nameless value.
        (b"a;b=c", Some(b"")),
    ]);
}

/// Step 4: only SP and HTAB are trimmed, only at the ends. NBSP (U+00A0, UTF-8 or Latin-1)
/// and U+3000 are ordinary octets; VT and FF are CTLs, so step 1 ignores the whole string.
#[test]
fn only_sp_and_htab_are_trimmed() {
    check(&[
        (b" a=b", Some(b"a")),
        (b"a =b", Some(b"a")),
        (b"\ta\t=b", Some(b"a")),
        (b" \t a \t = b", Some(b"a")),
        (b"  a  b  =c", Some(b"a  b")),
        (b"a\t b=c", Some(b"a\t b")),
        (b"\xc2\xa0a=b", Some(b"\xc2\xa0a")),
        (b"a\xc2\xa0=b", Some(b"a\xc2\xa0")),
        (b"\xa0a=b", Some(b"\xa0a")),
        (b"\xe3\x80\x80a=b", Some(b"\xe3\x80\x80a")),
        (b"\x0ba=b", None),
        (b"a\x0c=b", None),
        // Trimming leaves an empty name: a nameless cookie with value `b`.
        (b" =b", Some(b"")),
        // Nothing but WSP: empty name and empty value.
        (b"   ", None),
        (b" = ", None),
    ]);
}

/// Step 3: a pair without `=` is a nameless cookie (empty name, the pair as value).
#[test]
fn missing_equals_makes_a_nameless_cookie() {
    check(&[
        (b"token", Some(b"")),
        (b"token; Path=/", Some(b"")),
        (b"\"quoted\"", Some(b"")),
        (b"a b c", Some(b"")),
        // An empty pair (the string starts with `;`): empty name and value, ignored.
        (b"; a=b", None),
    ]);
}

/// Steps 3 and §5.7 step 2: an empty name is allowed when the value is not empty.
#[test]
fn empty_names() {
    check(&[
        (b"=value", Some(b"")),
        (b"=a=b", Some(b"")),
        (b"==", Some(b"")),
        (b"=", None),
        (b"=;", None),
        (b"", None),
        (b" = ; Path=/", None),
    ]);
}

/// Step 1: any CTL but HTAB anywhere (name, value or attributes) ignores the whole string.
#[test]
fn control_characters_ignore_the_string() {
    check(&[
        (b"a=b\x00", None),
        (b"a\x01=b", None),
        (b"a=b; Path=/\x7f", None),
        (b"a=b\r\n", None),
        (b"a=b\x1f", None),
        (b"\x08a=b", None),
        (b"a\t=\tb", Some(b"a")),
        (b"a=b\tc", Some(b"a")),
    ]);
}

/// Quotes have no meaning to the algorithm: they are octets of the name, and do not protect
/// `;` or `=`.
#[test]
fn quotes_are_octets() {
    check(&[
        (b"\"a\"=b", Some(b"\"a\"")),
        (b"a=\"b;c\"", Some(b"a")),
        (b"\"a=b\"", Some(b"\"a")),
        (b"a\"b=c", Some(b"a\"b")),
        (b"'a'=b", Some(b"'a'")),
    ]);
}

/// Commas separate nothing: they are octets of the name or value.
#[test]
fn commas_are_octets() {
    check(&[
        (b"a=1, b=2", Some(b"a")),
        (b"a,b=c", Some(b"a,b")),
        (b",a=b", Some(b",a")),
        (b"a=b; Expires=Tue, 22 Jun 2027 10:00:00 GMT", Some(b"a")),
    ]);
}

/// §5.6 note: percent-encoded sequences are never decoded.
#[test]
fn percent_encoded_names_are_not_decoded() {
    check(&[
        (b"%5Fga=1", Some(b"%5Fga")),
        (b"_ga%3D=1", Some(b"_ga%3D")),
        (b"a%3Bb=1", Some(b"a%3Bb")),
        (b"%20a=1", Some(b"%20a")),
        (b"%00=1", Some(b"%00")),
    ]);
}

/// The algorithm works on octets: non-UTF-8 bytes are kept as they are.
#[test]
fn non_utf8_octets_are_kept() {
    check(&[
        (b"\xff=1", Some(b"\xff")),
        (b"caf\xe9=1", Some(b"caf\xe9")),
        (b"\xc3\xa9t\xc3\xa9=1", Some("été".as_bytes())),
        (b"a=\xff\xfe", Some(b"a")),
        (b"\x80", Some(b"")),
    ]);
}

/// `__Host-` and `__Secure-` prefixes: the name is extracted as is, in its own case (the
/// storage model then checks `Secure`/`Path`/`Domain` against a case-insensitive prefix, but
/// the stored name keeps its case and names compare exactly). A nameless cookie whose value
/// starts with either prefix in any case is ignored (§5.7), so it cannot pose as one.
#[test]
fn host_and_secure_prefixes_in_any_case() {
    check(&[
        (b"__Host-sid=1; Secure; Path=/", Some(b"__Host-sid")),
        (b"__host-sid=1; Secure; Path=/", Some(b"__host-sid")),
        (b"__HOST-sid=1", Some(b"__HOST-sid")),
        (b"__Secure-id=1; Secure", Some(b"__Secure-id")),
        (b"__SeCuRe-id=1", Some(b"__SeCuRe-id")),
        (b" __Host-x =1", Some(b"__Host-x")),
        (b"__Host-sid", None),
        (b"__secure-x", None),
        (b"=__Host-x=1", None),
        (b"=__HOST-", None),
        (b" __sEcUrE-y ; Path=/", None),
        // Not the prefix (no `-`): an ordinary nameless cookie.
        (b"__Hostx", Some(b"")),
    ]);
}

/// Step 5: name + value (after trimming) may total 4096 octets, not 4097; attributes and
/// trimmed WSP do not count.
#[test]
fn name_plus_value_limit_is_4096_octets() {
    let v = |n: usize| vec![b'v'; n];
    let n = |k: usize| vec![b'n'; k];
    let cases: Vec<(Vec<u8>, Option<Vec<u8>>)> = vec![
        ([b"a=".as_slice(), &v(4095)].concat(), Some(b"a".to_vec())),
        ([b"a=".as_slice(), &v(4096)].concat(), None),
        ([n(4096).as_slice(), b"="].concat(), Some(n(4096))),
        ([n(4097).as_slice(), b"="].concat(), None),
        ([n(2048).as_slice(), b"=", &v(2048)].concat(), Some(n(2048))),
        ([n(2048).as_slice(), b"=", &v(2049)].concat(), None),
        (v(4096), Some(Vec::new())),
        (v(4097), None),
        (
            [b"a=".as_slice(), &v(4095), b"; Path=/", &v(5000)].concat(),
            Some(b"a".to_vec()),
        ),
        (
            [b"  a  =  ".as_slice(), &v(4095), b" \t "].concat(),
            Some(b"a".to_vec()),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(name(&input), expected, "length {}", input.len());
    }
}

/// Strings made of attributes only: an empty pair is ignored; otherwise the first "attribute"
/// *is* the name-value-pair (a cookie named `Path`, or a nameless cookie `Secure`).
#[test]
fn attributes_only_strings() {
    check(&[
        (b"; Path=/", None),
        (b";a=b", None),
        (b"Path=/", Some(b"Path")),
        (b"Secure", Some(b"")),
        (b"Max-Age=0", Some(b"Max-Age")),
        (
            b"Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0",
            Some(b"Expires"),
        ),
        (b"HttpOnly; Secure", Some(b"")),
    ]);
}

/// §5.6, attributes step 6: a cookie-av whose attribute-value (after trimming WSP) is longer
/// than 1024 octets is ignored. A `Max-Age=0…0` or a past `Expires` padded past 1024 octets
/// therefore does not delete anything: the browser stores a session cookie.
#[test]
fn attribute_values_over_1024_octets_are_ignored() {
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let zeros = |k: usize| [b"; Max-Age=".as_slice(), &vec![b'0'; k]].concat();
    assert!(is_deletion(&zeros(1024), now));
    assert!(!is_deletion(&zeros(1025), now));
    let date = b"Thu, 01 Jan 1970 00:00:00 GMT";
    let padded = |k: usize| [b"; Expires=".as_slice(), date, &vec![b','; k - date.len()]].concat();
    assert!(is_deletion(&padded(1024), now));
    assert!(!is_deletion(&padded(1025), now));
    // Trimmed WSP does not count.
    let spaced = [b"; Max-Age=".as_slice(), &vec![b' '; 2000], b"0"].concat();
    assert!(is_deletion(&spaced, now));
    // The RFC ignores the long one, so the earlier `Max-Age=0` would stand; the crate is
    // stricter (an over-long `Max-Age`/`Expires` makes it unsure, so a set, judged by
    // consent), which can only keep a deletion from passing, never let a set through.
    let both = [b"; Max-Age=0; Max-Age=".as_slice(), &vec![b'1'; 1025]].concat();
    assert!(!is_deletion(&both, now));
}

/// The same through the filter: a tracker padding `Max-Age=0` past 1024 octets is judged as
/// a set, and removed when its category is refused.
#[test]
fn padded_max_age_does_not_smuggle_a_tracker() {
    let registry = Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("_ga").category("statistics"))
        .build()
        .unwrap();
    let enforcer = CookieConsentLayer::builder(registry)
        .build_enforcer()
        .unwrap();
    let mut request = HeaderMap::new();
    request.insert(
        COOKIE,
        HeaderValue::from_static(r#"cookies_preferences={"statistics":false}"#),
    );
    let consent = enforcer.read_consent(&request);
    let smuggled = format!("_ga=GA1.1.1; Max-Age={}", "0".repeat(1025));
    let mut headers = HeaderMap::new();
    headers.append(SET_COOKIE, HeaderValue::from_str(&smuggled).unwrap());
    headers.append(SET_COOKIE, HeaderValue::from_static("_ga=; Max-Age=0"));
    enforcer.filter(&mut headers, &consent);
    let left: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
    assert_eq!(left, ["_ga=; Max-Age=0"]);
}

// ---------------------------------------------------------------------------------------
// Agreement with the `cookie` crate (the usual way a Rust server writes a Set-Cookie)
// ---------------------------------------------------------------------------------------

mod cookie_crate {
    use super::*;
    use cookie::{Cookie, SameSite};
    use proptest::prelude::*;

    /// A cookie-name as RFC 6265bis §4.1.1 allows it (an HTTP token).
    fn token() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}").unwrap()
    }

    /// A cookie-value of cookie-octets (no CTL, whitespace, DQUOTE, comma, `;` or `\`).
    fn value() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[!#-+\\--:<-\\[\\]-~]{0,40}").unwrap()
    }

    proptest! {
        /// For a set-cookie-string the `cookie` crate writes, the name and value read are the
        /// ones it was built with, whatever attributes follow.
        #[test]
        fn names_and_values_written_by_the_cookie_crate_read_back(
            name in token(),
            value in value(),
            path in proptest::option::of("/[a-z]{0,8}"),
            domain in proptest::option::of("[a-z]{1,8}\\.example"),
            flags in 0u8..16,
        ) {
            let mut c = Cookie::new(name.clone(), value.clone());
            if let Some(p) = path {
                c.set_path(p);
            }
            if let Some(d) = domain {
                c.set_domain(d);
            }
            c.set_http_only(flags & 1 != 0);
            c.set_secure(flags & 2 != 0);
            if flags & 4 != 0 {
                c.set_same_site(SameSite::Lax);
            }
            if flags & 8 != 0 {
                c.set_max_age(cookie::time::Duration::seconds(3600));
            }
            let written = c.to_string();
            match parse_set_cookie(written.as_bytes()) {
                SetCookie::Cookie { name: n, value: v, .. } => {
                    prop_assert_eq!(n, name.as_bytes(), "{}", written);
                    prop_assert_eq!(v, value.as_bytes(), "{}", written);
                }
                other => prop_assert!(false, "{written} read as {other:?}"),
            }
        }

        /// A removal the `cookie` crate writes (`Cookie::make_removal`: empty value,
        /// `Max-Age=0`, `Expires` a year ago) is a deletion.
        #[test]
        fn removals_written_by_the_cookie_crate_are_deletions(name in token()) {
            let mut c = Cookie::new(name, "x");
            c.make_removal();
            let written = c.to_string();
            let SetCookie::Cookie { attributes, .. } = parse_set_cookie(written.as_bytes()) else {
                return Err(TestCaseError::fail(format!("{written} ignored")));
            };
            prop_assert!(is_deletion(attributes, std::time::SystemTime::now()), "{}", written);
        }
    }
}
