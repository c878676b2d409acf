//! Property tests over hostile input (issue 8): arbitrary `Cookie` bytes, `Set-Cookie` bytes
//! and consent values, through the pure functions and through the layer.
//!
//! Byte strategies favour the bytes that matter to the parsers: `=`, `;`, `,`, quotes, SP,
//! HTAB, `%`, JSON punctuation, bytes >= 0x80 and (so that invalid header values are tried
//! and skipped) control characters.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::SystemTime;

use http::header::{HeaderName, CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use proptest::prelude::*;
use tower::{service_fn, Layer, Service};
use tower_cookie_consent::{
    deletions_for, is_deletion, parse_set_cookie, Consent, ConsentRequest, ConsentState,
    CookieConsentLayer, CookiesPreferences, Declaration, Enforcer, ReadConsent, Registry,
    RequestCookies, SetCookie, UnknownCookies, DEFAULT_MAX_DELETIONS, MAX_NAME_VALUE, SEC_GPC,
};

const CASES: u32 = 256;

fn registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("lang").category("functional"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::prefix("_ga_")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::prefix("_pk_")
                .category("statistics")
                .service("matomo"),
        )
        .cookie(
            Declaration::pattern("_hj*")
                .category("statistics")
                .service("hotjar"),
        )
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("facebook"),
        )
        .cookie(Declaration::prefix("__Host-ads").category("marketing"))
        .build()
        .unwrap()
}

fn enforcer(report_only: bool, unknown: UnknownCookies) -> Enforcer {
    CookieConsentLayer::builder(registry())
        .report_only(report_only)
        .unknown_cookies(unknown)
        .build_enforcer()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Strategies

/// One byte, weighted towards the bytes the parsers care about.
fn hostile_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        6 => b'a'..=b'z',
        2 => b'0'..=b'9',
        4 => prop::sample::select(
            &b"=;,\" \t%{}[]:\\'_-.!&|/"[..]
        ),
        2 => 0x80u8..=0xff,
        1 => 0x00u8..=0x1f,
        1 => Just(0x7f),
    ]
}

fn hostile_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(hostile_byte(), 0..max)
}

/// A cookie-name: mostly ones the registry knows (so that consent matters), sometimes noise.
fn cookie_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "sessionid", "lang", "_ga", "_ga_ABC123", "_pk_id.1.a", "_hjSession", "_fbp",
            "__Host-ads", "__host-ads", "cookies_preferences", "promo", "_GA", " _ga", "%5Fga",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => hostile_bytes(12),
    ]
}

/// Cookie attributes, including deletions and malformed `Max-Age`/`Expires`.
fn attributes() -> impl Strategy<Value = Vec<u8>> {
    let av = prop_oneof![
        Just(b"; Path=/".to_vec()),
        Just(b"; HttpOnly".to_vec()),
        Just(b"; Secure".to_vec()),
        Just(b"; Max-Age=0".to_vec()),
        Just(b"; Max-Age=-".to_vec()),
        Just(b"; Max-Age=".to_vec()),
        Just(b"; max-age=63072000".to_vec()),
        Just(b"; Expires=Thu, 01 Jan 1970 00:00:00 GMT".to_vec()),
        Just(b"; Expires=Tue, 22 Jun 2077 10:00:00 GMT".to_vec()),
        Just(b", _fbp=1".to_vec()),
        Just(b", lang=en; Path=/".to_vec()),
        hostile_bytes(16).prop_map(|b| [b"; ".as_slice(), &b].concat()),
    ];
    prop::collection::vec(av, 0..4).prop_map(|v| v.concat())
}

/// A set-cookie-string: structured (`name=value; attrs`) or raw bytes.
fn set_cookie_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (cookie_name(), hostile_bytes(12), attributes())
            .prop_map(|(n, v, a)| [n.as_slice(), b"=", &v, &a].concat()),
        1 => hostile_bytes(48),
    ]
}

/// A `cookies_preferences` value: JSON of booleans (raw or percent-encoded), or noise.
fn consent_value() -> impl Strategy<Value = Vec<u8>> {
    let key = prop::sample::select(vec![
        "necessary",
        "functional",
        "statistics",
        "marketing",
        "ga",
        "matomo",
        "hotjar",
        "facebook",
        "unknown",
        "Statistics",
    ]);
    let member = (
        key,
        prop_oneof![Just("true"), Just("false"), Just("1"), Just("null")],
    )
        .prop_map(|(k, v)| format!("\"{k}\":{v}"));
    let json = prop::collection::vec(member, 0..6).prop_map(|m| format!("{{{}}}", m.join(",")));
    prop_oneof![
        2 => json.clone().prop_map(String::into_bytes),
        2 => json.prop_map(|j| percent_encode(j.as_bytes())),
        1 => hostile_bytes(64),
    ]
}

fn percent_encode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in s {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

/// A `Cookie` field: pairs, one of them maybe the consent cookie, joined by `;`.
fn cookie_field() -> impl Strategy<Value = Vec<u8>> {
    let pair = prop_oneof![
        2 => (cookie_name(), hostile_bytes(10)).prop_map(|(n, v)| [n.as_slice(), b"=", &v].concat()),
        2 => consent_value().prop_map(|v| [b"cookies_preferences=".as_slice(), &v].concat()),
        1 => hostile_bytes(16),
    ];
    prop::collection::vec(pair, 0..5).prop_map(|p| p.join(&b"; "[..]))
}

fn header_values(raw: &[Vec<u8>]) -> Vec<HeaderValue> {
    raw.iter()
        .filter_map(|b| HeaderValue::from_bytes(b).ok())
        .collect()
}

fn request_headers(cookies: &[Vec<u8>], gpc: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for v in header_values(cookies) {
        headers.append(COOKIE, v);
    }
    if gpc {
        headers.insert(SEC_GPC, HeaderValue::from_static("1"));
    }
    headers
}

/// Response headers: the Set-Cookie values interleaved with unrelated headers.
fn response_headers(set_cookies: &[HeaderValue]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    for (i, v) in set_cookies.iter().enumerate() {
        headers.append(SET_COOKIE, v.clone());
        if i % 2 == 0 {
            headers.append(
                HeaderName::from_static("x-trace"),
                HeaderValue::from(i as u64),
            );
        }
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers
}

fn set_cookies_of(headers: &HeaderMap) -> Vec<HeaderValue> {
    headers.get_all(SET_COOKIE).iter().cloned().collect()
}

/// The values of every header but `Set-Cookie`, by name, in order. Field order across
/// *different* names carries no meaning (RFC 9110 §5.3) and the filter re-appends the kept
/// `Set-Cookie` values after the other fields, so this is what "unchanged" compares.
fn all_but_set_cookie(headers: &HeaderMap) -> Vec<(HeaderName, Vec<HeaderValue>)> {
    let mut out: Vec<(HeaderName, Vec<HeaderValue>)> = headers
        .keys()
        .filter(|n| **n != SET_COOKIE)
        .map(|n| (n.clone(), headers.get_all(n).iter().cloned().collect()))
        .collect();
    out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    out
}

fn all_entries(headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

fn is_subsequence<T: PartialEq>(sub: &[T], full: &[T]) -> bool {
    let mut it = full.iter();
    sub.iter().all(|s| it.any(|f| f == s))
}

/// Polls a future that the test's `service_fn` makes ready at once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the test service is always ready"),
    }
}

/// Sends one request through the layer to a `service_fn` answering with `set_cookies`, other
/// headers and `body`; returns the response.
fn through_layer(
    layer: &CookieConsentLayer,
    request: HeaderMap,
    set_cookies: Vec<HeaderValue>,
    body: Vec<u8>,
) -> Response<Vec<u8>> {
    let mut service = layer.layer(service_fn(move |_req: Request<()>| {
        let mut response = Response::new(body.clone());
        *response.status_mut() = StatusCode::NOT_FOUND;
        *response.headers_mut() = response_headers(&set_cookies);
        std::future::ready(Ok::<_, Infallible>(response))
    }));
    let mut req = Request::new(());
    *req.headers_mut() = request;
    ready(service.call(req)).unwrap()
}

/// Whether the registry lets `name` be set under `consent` (exempt, service granted, or
/// category granted); `None` for an undeclared name.
fn registry_allows(registry: &Registry, name: &[u8], consent: &Consent) -> Option<bool> {
    let declaration = registry.lookup(name)?;
    let category = registry.category_id(declaration.category_id()).unwrap();
    let required = declaration
        .consent_required_override()
        .unwrap_or_else(|| registry.category(category).is_consent_required());
    if !required {
        return Some(true);
    }
    let service = declaration
        .service_id()
        .and_then(|s| registry.service_id(s))
        .and_then(|s| consent.service_decision(s));
    Some(service.unwrap_or_else(|| consent.is_category_granted(category)))
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        // Failures found here become named regression tests instead of a seed file.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// `parse_set_cookie` never panics; what it returns is what RFC 6265bis §5.6 allows:
    /// trimmed sub-slices, within 4096 bytes, never both empty, no `=` in the name.
    #[test]
    fn set_cookie_parsing_never_panics_and_stays_in_bounds(s in hostile_bytes(200)) {
        if let SetCookie::Cookie { name, value, attributes } = parse_set_cookie(&s) {
            prop_assert!(name.len() + value.len() <= MAX_NAME_VALUE);
            prop_assert!(!(name.is_empty() && value.is_empty()));
            prop_assert!(!name.contains(&b'=') && !name.contains(&b';') && !value.contains(&b';'));
            for part in [name, value] {
                prop_assert!(!matches!(part.first(), Some(b' ' | b'\t')));
                prop_assert!(!matches!(part.last(), Some(b' ' | b'\t')));
            }
            prop_assert!(attributes.is_empty() || attributes[0] == b';');
            prop_assert!(s.ends_with(attributes));
            let _ = is_deletion(attributes, SystemTime::now());
        }
    }

    /// Request `Cookie` parsing never panics, yields trimmed, non-empty names without SP,
    /// HTAB, `;` or `=`, and `get` finds every pair `iter` yields.
    #[test]
    fn request_cookie_parsing_never_panics(fields in prop::collection::vec(hostile_bytes(64), 0..4)) {
        let headers = request_headers(&fields, false);
        let cookies = RequestCookies::new(&headers);
        for (name, value) in cookies.iter() {
            prop_assert!(!name.is_empty());
            prop_assert!(!name.iter().any(|&b| b <= b' ' || b == 0x7f || b == b';' || b == b'='));
            prop_assert!(!value.contains(&b';'));
            prop_assert!(!matches!(value.first(), Some(b' ' | b'\t')));
            prop_assert!(!matches!(value.last(), Some(b' ' | b'\t')));
            prop_assert!(cookies.get(name).any(|v| v == value));
        }
    }

    /// The `cookies_preferences` reader never panics; a present consent cookie is never
    /// "undecided"; a duplicate can only narrow what the first reading grants.
    #[test]
    fn consent_reading_never_panics_and_duplicates_never_widen(
        value in consent_value(),
        other in consent_value(),
    ) {
        let registry = registry();
        let reader = CookiesPreferences::new();
        let field = [b"cookies_preferences=".as_slice(), &value].concat();
        prop_assume!(HeaderValue::from_bytes(&field).is_ok());
        let mut headers = request_headers(&[field], false);
        let one = reader.read_consent(&ConsentRequest::new(&headers, &registry));
        prop_assert_ne!(one.state(), ConsentState::Undecided);
        if let Ok(second) = HeaderValue::from_bytes(&[b"cookies_preferences=".as_slice(), &other].concat()) {
            headers.append(COOKIE, second);
        }
        let both = reader.read_consent(&ConsentRequest::new(&headers, &registry));
        prop_assert!(both.granted_categories().difference(one.granted_categories()).is_empty());
        prop_assert_eq!(
            both.granted_services().intersection(&one.granted_services()),
            both.granted_services()
        );
    }

    /// A consent value over the size limit is unreadable and grants nothing, whatever it holds.
    #[test]
    fn oversized_consent_grants_nothing(padding in 4097usize..6000) {
        let registry = registry();
        let json = format!(r#"{{"statistics":true,"x":"{}"}}"#, "a".repeat(padding));
        let headers = request_headers(&[format!("cookies_preferences={json}").into_bytes()], false);
        let consent = CookiesPreferences::new().read_consent(&ConsentRequest::new(&headers, &registry));
        prop_assert_eq!(consent.state(), ConsentState::Unreadable);
        prop_assert!(consent.granted_categories().is_empty());
    }

    /// Through the layer: the Set-Cookie values that come out are a subsequence of those that
    /// went in, in order, followed (withdrawal on, the default) by at most
    /// `DEFAULT_MAX_DELETIONS` deletions, each of a declared cookie the request carries and
    /// the consent refuses; the status, the body and every other header are unchanged, except
    /// that `Vary: Cookie` may be added when withdrawal is on.
    #[test]
    fn layer_keeps_a_subsequence_and_touches_nothing_else(
        cookies in prop::collection::vec(cookie_field(), 0..3),
        set_cookies in prop::collection::vec(set_cookie_bytes(), 0..8),
        body in hostile_bytes(32),
        gpc in any::<bool>(),
        withdraw in any::<bool>(),
    ) {
        let layer = CookieConsentLayer::builder(registry())
            .delete_refused(withdraw)
            .vary_cookie(withdraw)
            .build()
            .unwrap();
        let request = request_headers(&cookies, gpc);
        let consent = layer.enforcer().read_consent(&request);
        let set_cookies = header_values(&set_cookies);
        let expected = response_headers(&set_cookies);
        let response = through_layer(&layer, request.clone(), set_cookies.clone(), body.clone());
        prop_assert_eq!(response.status(), StatusCode::NOT_FOUND);
        prop_assert_eq!(response.body(), &body);

        let out = set_cookies_of(response.headers());
        let mut input = set_cookies.iter();
        let kept = out.iter().take_while(|v| input.any(|x| x == *v)).count();
        let added = &out[kept..];
        prop_assert!(added.len() <= DEFAULT_MAX_DELETIONS);
        prop_assert!(withdraw || added.is_empty(), "added with withdrawal off: {:?}", added);
        let registry = layer.enforcer().registry();
        for value in added {
            let SetCookie::Cookie { name, attributes, .. } = parse_set_cookie(value.as_bytes()) else {
                return Err(TestCaseError::fail(format!("added value is not a cookie: {value:?}")));
            };
            prop_assert!(is_deletion(attributes, SystemTime::now()), "added a set: {:?}", value);
            prop_assert!(RequestCookies::new(&request).get(name).next().is_some(), "deleted a cookie the request lacks: {:?}", value);
            prop_assert_eq!(registry_allows(registry, name, &consent), Some(false), "deleted an allowed or undeclared cookie: {:?}", value);
        }

        let without_vary = |h: &HeaderMap| -> Vec<(HeaderName, Vec<HeaderValue>)> {
            all_but_set_cookie(h).into_iter().filter(|(n, _)| *n != VARY).collect()
        };
        prop_assert_eq!(without_vary(response.headers()), without_vary(&expected));
        let vary: Vec<_> = response.headers().get_all(VARY).iter().collect();
        prop_assert!(vary.is_empty() || (withdraw && vary == ["Cookie"]), "Vary: {:?}", vary);
    }

    /// Report-only mode changes nothing: every header, in order, and the body.
    #[test]
    fn report_only_changes_nothing(
        cookies in prop::collection::vec(cookie_field(), 0..3),
        set_cookies in prop::collection::vec(set_cookie_bytes(), 0..8),
        body in hostile_bytes(32),
    ) {
        let layer = CookieConsentLayer::builder(registry()).report_only(true).build().unwrap();
        let set_cookies = header_values(&set_cookies);
        let expected = response_headers(&set_cookies);
        let response = through_layer(&layer, request_headers(&cookies, false), set_cookies, body.clone());
        prop_assert_eq!(all_entries(response.headers()), all_entries(&expected));
        prop_assert_eq!(response.body(), &body);
    }

    /// A refused category never gains a cookie: every value kept is a deletion, the consent
    /// cookie, or a cookie the registry allows under the visitor's consent (unknown cookies
    /// only when the policy lets them through). Less consent never keeps more.
    #[test]
    fn refused_categories_never_gain_a_cookie(
        cookies in prop::collection::vec(cookie_field(), 0..3),
        set_cookies in prop::collection::vec(set_cookie_bytes(), 0..8),
        gpc in any::<bool>(),
        allow_unknown in any::<bool>(),
    ) {
        let unknown = if allow_unknown { UnknownCookies::Allow } else { UnknownCookies::Block };
        let enforcer = enforcer(false, unknown);
        let consent = enforcer.read_consent(&request_headers(&cookies, gpc));
        let set_cookies = header_values(&set_cookies);
        let mut headers = response_headers(&set_cookies);
        enforcer.filter(&mut headers, &consent);
        let kept = set_cookies_of(&headers);
        for value in &kept {
            let SetCookie::Cookie { name, attributes, .. } = parse_set_cookie(value.as_bytes()) else {
                return Err(TestCaseError::fail(format!("ignored string kept: {value:?}")));
            };
            prop_assert!(!name.is_empty(), "nameless cookie kept: {:?}", value);
            if is_deletion(attributes, SystemTime::now()) || name == b"cookies_preferences" {
                continue;
            }
            match registry_allows(enforcer.registry(), name, &consent) {
                Some(allowed) => prop_assert!(allowed, "refused cookie kept: {:?} under {:?}", value, consent),
                None => prop_assert!(allow_unknown, "unknown cookie kept: {:?}", value),
            }
        }
        let mut undecided = response_headers(&set_cookies);
        enforcer.filter(&mut undecided, &Consent::undecided());
        prop_assert!(is_subsequence(&set_cookies_of(&undecided), &kept));
    }

    /// Filtering twice equals filtering once.
    #[test]
    fn filtering_is_idempotent(
        cookies in prop::collection::vec(cookie_field(), 0..3),
        set_cookies in prop::collection::vec(set_cookie_bytes(), 0..8),
        allow_unknown in any::<bool>(),
    ) {
        let unknown = if allow_unknown { UnknownCookies::Allow } else { UnknownCookies::Block };
        let enforcer = enforcer(false, unknown);
        let consent = enforcer.read_consent(&request_headers(&cookies, false));
        let mut once = response_headers(&header_values(&set_cookies));
        enforcer.filter(&mut once, &consent);
        let mut twice = once.clone();
        let summary = enforcer.filter(&mut twice, &consent);
        prop_assert_eq!(summary.removed, 0);
        prop_assert_eq!(all_entries(&twice), all_entries(&once));
    }
}

// ---------------------------------------------------------------------------------------
// Bounded cost: the sizes of issue 8, each on a thread with a small stack (a parser that
// recursed per nesting level or per pair would overflow it), and each in a child process
// whose peak memory is measured.

/// Stack for the hostile-input threads: far less than the 2 MiB default.
const SMALL_STACK: usize = 128 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// A 64 KB `Cookie` field of 2,000 pairs (32 bytes each), the consent cookie last.
fn cookie_header_2000_pairs() -> HeaderMap {
    let mut field = String::new();
    for i in 0..1_999 {
        field.push_str(&format!("cookie_{i:06}=v{i:015}; "));
    }
    field.push_str(r#"cookies_preferences={"statistics":true}"#);
    assert!((60_000..=66_000).contains(&field.len()), "{}", field.len());
    request_headers(&[field.into_bytes()], false)
}

/// A consent cookie of 1 MiB.
fn consent_1mib() -> HeaderMap {
    let value = format!(r#"{{"statistics":true,"x":"{}"}}"#, "a".repeat(1 << 20));
    request_headers(
        &[format!("cookies_preferences={value}").into_bytes()],
        false,
    )
}

/// 1,000 Set-Cookie values: necessary (kept), statistics (refused), deletions (kept).
fn set_cookies_1000() -> HeaderMap {
    let mut headers = HeaderMap::new();
    for i in 0..1_000 {
        let v = match i % 3 {
            0 => format!("sessionid=s{i}; HttpOnly"),
            1 => format!("_ga_{i}=GA1.1.{i}; Max-Age=63072000"),
            _ => format!("_fbp=; Max-Age=0; x={i}"),
        };
        headers.append(SET_COOKIE, HeaderValue::from_str(&v).unwrap());
    }
    headers
}

/// JSON nested 10,000 deep, raw (20 KB, over the consent size limit) and, within the limit,
/// 4,000 deep (so the scanner itself meets the nesting).
fn deep_json() -> [HeaderMap; 2] {
    let nest = |d: usize| format!(r#"{{"a":{}{}}}"#, "[".repeat(d), "]".repeat(d));
    [
        request_headers(
            &[format!("cookies_preferences={}", nest(10_000)).into_bytes()],
            false,
        ),
        request_headers(
            &[format!("cookies_preferences={}", nest(2_040)).into_bytes()],
            false,
        ),
    ]
}

#[test]
fn cookie_header_of_2000_pairs_is_read_in_full() {
    let headers = cookie_header_2000_pairs();
    let (pairs, consent) = on_small_stack(move || {
        let enforcer = enforcer(false, UnknownCookies::Block);
        let pairs = RequestCookies::new(&headers).iter().count();
        (pairs, enforcer.read_consent(&headers))
    });
    assert_eq!(pairs, 2_000);
    assert!(consent.is_decided());
}

#[test]
fn consent_value_of_1mib_is_unreadable() {
    let headers = consent_1mib();
    let consent =
        on_small_stack(move || enforcer(false, UnknownCookies::Block).read_consent(&headers));
    assert_eq!(consent.state(), ConsentState::Unreadable);
    assert!(consent.granted_categories().is_empty());
}

#[test]
fn thousand_set_cookies_are_filtered() {
    let (summary, left) = on_small_stack(|| {
        let mut headers = set_cookies_1000();
        let summary =
            enforcer(false, UnknownCookies::Block).filter(&mut headers, &Consent::undecided());
        (summary, headers.get_all(SET_COOKIE).iter().count())
    });
    assert_eq!(summary.judged, 1_000);
    assert_eq!(summary.removed, 333);
    assert_eq!(left, 667);
}

#[test]
fn json_nested_10000_deep_is_unreadable_without_overflow() {
    for headers in deep_json() {
        let consent =
            on_small_stack(move || enforcer(false, UnknownCookies::Block).read_consent(&headers));
        assert_eq!(consent.state(), ConsentState::Unreadable);
    }
}

/// Peak memory, measured in a child process running [`memory_probe`] alone: each hostile
/// input may cost at most 1 MiB of memory beyond the input itself (Linux: `VmHWM`).
#[cfg(target_os = "linux")]
#[test]
fn hostile_inputs_use_bounded_memory() {
    const LIMIT_KB: u64 = 1024;
    for case in ["cookie_header", "consent", "set_cookies", "deep_json"] {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "memory_probe",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HOSTILE_MEMORY_PROBE", case)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{case}: {stdout}");
        let peak_kb: u64 = stdout
            .lines()
            .find_map(|l| l.split("peak_extra_kb=").nth(1))
            .unwrap_or_else(|| panic!("{case}: no measurement in {stdout}"))
            .trim()
            .parse()
            .unwrap();
        assert!(peak_kb <= LIMIT_KB, "{case}: {peak_kb} KiB");
    }
}

/// The child half of [`hostile_inputs_use_bounded_memory`] (ignored: it measures only when
/// spawned alone by that test). Builds the input, resets the peak-RSS counter, handles the
/// input 10 times, prints how far the peak rose.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by hostile_inputs_use_bounded_memory in a child process"]
fn memory_probe() {
    fn status_kb(field: &str) -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap()
    }
    let case = std::env::var("HOSTILE_MEMORY_PROBE").expect("spawned by the parent test");
    let enforcer = enforcer(false, UnknownCookies::Block);
    let requests: Vec<HeaderMap> = match case.as_str() {
        "cookie_header" => vec![cookie_header_2000_pairs()],
        "consent" => vec![consent_1mib()],
        "deep_json" => deep_json().into(),
        _ => Vec::new(),
    };
    let responses: Vec<HeaderMap> = (0..10)
        .map(|_| {
            if case == "set_cookies" {
                set_cookies_1000()
            } else {
                HeaderMap::new()
            }
        })
        .collect();
    // Reset VmHWM to the current RSS (Linux >= 4.0).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let base = status_kb("VmRSS:");
    for mut response in responses {
        for request in &requests {
            std::hint::black_box(enforcer.read_consent(request));
            assert!(RequestCookies::new(request).iter().count() > 0);
        }
        enforcer.filter(&mut response, &Consent::undecided());
    }
    println!("peak_extra_kb={}", status_kb("VmHWM:").saturating_sub(base));
}

/// Registry files nested 10,000 deep (JSON arrays, TOML inline arrays and tables) and an
/// Open Cookie Database CSV of 1 MiB fields are refused or read without overflowing a
/// 2 MiB stack (tokio's default for worker threads).
#[test]
fn registry_files_nested_10000_deep_are_refused_without_overflow() {
    const WORKER_STACK: usize = 2 * 1024 * 1024;
    let run = |f: Box<dyn FnOnce() -> bool + Send>| {
        std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    };
    let d = 10_000;
    let json = format!(r#"{{"revision":0,"x":{}{}}}"#, "[".repeat(d), "]".repeat(d));
    assert!(run(Box::new(
        move || Registry::from_json_str(&json).is_err()
    )));
    let json = format!(r#"{{"category":{}{}}}"#, "[".repeat(d), "]".repeat(d));
    assert!(run(Box::new(
        move || Registry::from_json_str(&json).is_err()
    )));
    let toml = format!("x = {}{}\n", "[".repeat(d), "]".repeat(d));
    assert!(run(Box::new(
        move || Registry::from_toml_str(&toml).is_err()
    )));
    let toml = format!("x = {}{}\n", "{a=".repeat(d), "}".repeat(d));
    assert!(run(Box::new(
        move || Registry::from_toml_str(&toml).is_err()
    )));
    let toml = format!("[{}]\n", vec!["a"; d].join("."));
    assert!(run(Box::new(
        move || Registry::from_toml_str(&toml).is_err()
    )));
    let csv = format!(
        "ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,User Privacy & GDPR Rights Portals,Wildcard match\nx,P,Analytics,_ga,d,{},2 years,C,u,0\n",
        "a".repeat(1 << 20)
    );
    assert!(run(Box::new(move || {
        let _ = tower_cookie_consent::import::OpenCookieDatabase::new().read(csv.as_bytes());
        true
    })));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Withdrawal deletions for any cookie-name and any `Host`: each is a deletion
    /// (RFC 6265bis §5.6) of exactly that name; a `Domain` is never a public suffix and, when
    /// the host is known, is the host or one of its parents; the count stays bounded by the
    /// host's labels.
    #[test]
    fn deletions_for_any_host_are_deletions_of_that_name(
        name in cookie_name(),
        host in prop_oneof![
            prop::sample::select(vec![
                "www.example.com", "shop.example.co.uk:443", "EXAMPLE.com", "example.com.",
                "[::1]:8080", "127.0.0.1", "localhost", "co.uk", "com", "", ".", "..",
                "a.b.c.d.e.f.g.example.org", "xn--caf-dma.example", "example.com:99999",
            ]).prop_map(str::to_owned),
            hostile_bytes(24).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            (1usize..300).prop_map(|n| format!("{}com", "a.".repeat(n))),
        ],
        domain in prop::option::of(prop::sample::select(vec!["example.com", ".example.com", "co.uk", "other.org", ""])),
        path in prop::option::of(prop::sample::select(vec!["/", "/shop", "shop", "/a;b", ""])),
        partitioned in any::<bool>(),
        with_host in any::<bool>(),
    ) {
        let mut declaration = Declaration::exact("x").category("statistics").partitioned(partitioned);
        if let Some(d) = domain {
            declaration = declaration.domain(d);
        }
        if let Some(p) = path {
            declaration = declaration.path(p);
        }
        let host = with_host.then_some(host.as_str());
        let deletions = deletions_for(&name, Some(&declaration), host);
        let labels = host.map_or(0, |h| h.split('.').count());
        prop_assert!(deletions.len() <= 2 * (labels + 2), "{} deletions", deletions.len());
        let host_name = host
            .map(|h| h.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(h, |(h, _)| h))
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase());
        for value in &deletions {
            let SetCookie::Cookie { name: parsed, attributes, .. } = parse_set_cookie(value.as_bytes()) else {
                return Err(TestCaseError::fail(format!("ignored deletion {value:?}")));
            };
            prop_assert_eq!(parsed, name.as_slice(), "{:?}", value);
            prop_assert!(is_deletion(attributes, SystemTime::now()), "not a deletion: {:?}", value);
            for av in attributes.split(|&b| b == b';') {
                let av = String::from_utf8_lossy(av);
                if let Some(d) = av.trim().strip_prefix("Domain=") {
                    let d = d.trim_start_matches('.').to_ascii_lowercase();
                    // (Without a host, a declared Domain is used as declared.)
                    if let Some(h) = &host_name {
                        prop_assert!(*h == d || h.ends_with(&format!(".{d}")), "Domain={} for host {:?}", d, host);
                    }
                    prop_assert!(psl::suffix_str(&d) != Some(d.as_str()), "Domain={} is a public suffix", d);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Scrubbing refused cookies from the request: the pairs left are a subsequence of the
    /// pairs before, each allowed by the consent; the consent cookie stays; scrubbing twice
    /// equals scrubbing once; other headers are untouched.
    #[test]
    fn scrubbing_request_cookies_only_removes_refused_pairs(
        cookies in prop::collection::vec(cookie_field(), 0..3),
        allow_unknown in any::<bool>(),
    ) {
        let unknown = if allow_unknown { UnknownCookies::Allow } else { UnknownCookies::Block };
        let enforcer = enforcer(false, unknown);
        let mut headers = request_headers(&cookies, false);
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let consent = enforcer.read_consent(&headers);
        let pairs = |h: &HeaderMap| -> Vec<(Vec<u8>, Vec<u8>)> {
            RequestCookies::new(h).iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect()
        };
        let before = pairs(&headers);
        let mut once = headers.clone();
        enforcer.scrub_request_cookies(&mut once, &consent);
        let after = pairs(&once);
        prop_assert!(is_subsequence(&after, &before));
        for (name, _) in &after {
            prop_assert!(enforcer.judge(name, &consent).is_allowed(), "kept refused {:?}", String::from_utf8_lossy(name));
        }
        let consent_pairs = |p: &[(Vec<u8>, Vec<u8>)]| p.iter().filter(|(n, _)| n == b"cookies_preferences").count();
        prop_assert_eq!(consent_pairs(&after), consent_pairs(&before));
        prop_assert_eq!(once.get(CACHE_CONTROL), headers.get(CACHE_CONTROL));
        let mut twice = once.clone();
        prop_assert_eq!(enforcer.scrub_request_cookies(&mut twice, &consent), 0);
        prop_assert_eq!(all_entries(&twice), all_entries(&once));
    }
}

// ---------------------------------------------------------------------------------------
// Every consent reader of the crate.

/// Every reader with its default settings, and a valid value of its (first) cookie.
fn all_readers() -> Vec<(Box<dyn ReadConsent>, &'static [u8])> {
    use tower_cookie_consent::formats::{
        Complianz, CookieYes, Cookiebot, DjangoCookieConsent, Klaro, OneTrust, Tarteaucitron, Tcf,
        VanillaCookieConsent,
    };
    vec![
        (Box::new(CookiesPreferences::new()), br#"{"statistics":true,"ga":false}"#),
        (
            Box::new(Cookiebot::new()),
            b"{stamp:%27a+/==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735689600000%2Cregion:%27de%27}",
        ),
        (
            Box::new(OneTrust::new()),
            b"groups=C0001%3A1%2CC0002%3A1%2CC0003%3A0%2CC0004%3A0&landingPath=NotLandingPage&AwaitingReconsent=false; OptanonAlertBoxClosed=2025-01-01T00:00:00.000Z",
        ),
        (Box::new(Klaro::new()), b"%7B%22ga%22%3Atrue%2C%22hotjar%22%3Afalse%7D"),
        (
            Box::new(VanillaCookieConsent::new()),
            br#"{"categories":["necessary","statistics"],"revision":0,"services":{"statistics":["ga"]},"consentTimestamp":"2025-01-01T00:00:00.000Z","lastConsentTimestamp":"2025-01-01T00:00:00.000Z"}"#,
        ),
        (Box::new(Tarteaucitron::new()), b"!ga=true!facebook=false!hotjar=wait"),
        (
            Box::new(CookieYes::new()),
            b"consentid:abc,consent:yes,action:yes,necessary:yes,functional:no,analytics:yes,advertisement:no",
        ),
        (Box::new(Complianz::new()), b"allow; cmplz_marketing=deny"),
        (
            Box::new(DjangoCookieConsent::new()),
            b"statistics=2025-01-01T00:00:00|marketing=-1",
        ),
        (
            Box::new(Tcf::new()),
            b"COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw",
        ),
    ]
}

fn read_fields(reader: &dyn ReadConsent, registry: &Registry, fields: &[Vec<u8>]) -> Consent {
    reader.read_consent(&ConsentRequest::new(
        &request_headers(fields, false),
        registry,
    ))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// For every reader: reading never panics; a duplicate of its cookie never grants more
    /// than the first reading; unrelated neighbour pairs (noise, non-UTF-8) change nothing.
    #[test]
    fn every_reader_resists_hostile_values(
        which in any::<prop::sample::Index>(),
        x in hostile_bytes(64),
        y in hostile_bytes(64),
        noise in prop::collection::vec(hostile_bytes(12), 0..3),
        spliced in any::<bool>(),
    ) {
        let readers = all_readers();
        let (reader, example) = &readers[which.index(readers.len())];
        let registry = registry();
        let name = reader.consent_cookie_names().into_iter().next().unwrap();
        let value = if spliced {
            let mut v = example.to_vec();
            let at = x.len() % (v.len() + 1);
            v.splice(at..at, x.iter().copied().take(8));
            v
        } else {
            x.clone()
        };
        let pair = |v: &[u8]| [name.as_bytes(), b"=", v].concat();
        prop_assume!(HeaderValue::from_bytes(&pair(&value)).is_ok());
        let one = read_fields(reader.as_ref(), &registry, &[pair(&value)]);

        // A duplicate is the same cookie again: its value stops at the first `;` (more
        // pairs would be other cookies, such as OneTrust's `OptanonAlertBoxClosed`).
        let y: Vec<u8> = y.split(|&b| b == b';').next().unwrap_or_default().to_vec();
        if HeaderValue::from_bytes(&pair(&y)).is_ok() {
            let two = read_fields(reader.as_ref(), &registry, &[pair(&value), pair(&y)]);
            prop_assert!(two.granted_categories().difference(one.granted_categories()).is_empty(),
                "{name}: duplicate widened {:?} -> {:?}", one, two);
            prop_assert_eq!(
                two.granted_services().intersection(&one.granted_services()),
                two.granted_services()
            );
        }

        // Neighbours named `zz…` (no reader's cookie) with hostile values change nothing,
        // before or after, in the same field or in another one.
        if !value.contains(&b';') {
            let noise: Vec<Vec<u8>> = noise
                .into_iter()
                .map(|v| [b"zz".as_slice(), &v.iter().map(|&b| if b == b';' { b'x' } else { b }).collect::<Vec<_>>()].concat())
                .filter(|p| HeaderValue::from_bytes(p).is_ok())
                .collect();
            let joined = [noise.join(&b"; "[..]), pair(&value), noise.join(&b"; "[..])]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(&b"; "[..]);
            if HeaderValue::from_bytes(&joined).is_ok() && noise.iter().all(|n| n.contains(&b'=') && n.len() > 3) {
                let with_noise = read_fields(reader.as_ref(), &registry, &[joined]);
                prop_assert_eq!(with_noise.granted_categories(), one.granted_categories(), "{}", name);
                prop_assert_eq!(with_noise.state(), one.state(), "{}", name);
            }
        }
    }
}

/// Every reader: its cookie absent means undecided; a 1 MiB value grants nothing.
#[test]
fn every_reader_absent_is_undecided_and_1mib_grants_nothing() {
    let registry = registry();
    let huge = vec![b'a'; 1 << 20];
    for (reader, example) in all_readers() {
        let name = reader.consent_cookie_names().into_iter().next().unwrap();
        let absent = read_fields(reader.as_ref(), &registry, &[b"zz=1".to_vec()]);
        assert_eq!(absent.state(), ConsentState::Undecided, "{name}");
        // The example's own value (up to its first `;`) followed by 1 MiB.
        let own = example.split(|&b| b == b';').next().unwrap();
        for value in [huge.clone(), [own, b"," as &[u8], &huge].concat()] {
            let field = [name.as_bytes(), b"=", &value].concat();
            let consent = on_small_stack_ref(reader.as_ref(), &registry, field);
            assert!(consent.granted_categories().is_empty(), "{name}");
            assert!(consent.granted_services().is_empty(), "{name}");
            assert_ne!(consent.state(), ConsentState::Decided, "{name}");
        }
    }
}

fn on_small_stack_ref(reader: &dyn ReadConsent, registry: &Registry, field: Vec<u8>) -> Consent {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn_scoped(s, || read_fields(reader, registry, &[field]))
            .unwrap()
            .join()
            .unwrap()
    })
}
