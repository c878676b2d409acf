//! Shared fixtures and invariant checks for the fuzz targets.
//!
//! Input layout used by the header-level targets: lines separated by `\n` (a byte no header
//! value can hold). The first byte of a line says which header it is: `c` Cookie, `s`
//! Set-Cookie, `g` Sec-GPC, anything else an unrelated `x-other` header. Lines that are not
//! a valid `HeaderValue` are skipped.

use std::sync::OnceLock;
use std::time::SystemTime;

use http::header::{HeaderName, COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Uri};
use tower_cookie_consent::{
    is_deletion, parse_set_cookie, Consent, ConsentRequest, CookieConsentLayer, Declaration,
    Enforcer, ReadConsent, Registry, RequestCookies, SetCookie, UnknownCookies,
    DEFAULT_MAX_DELETIONS, SEC_GPC,
};

/// The registry every header-level target uses: exact, prefix and pattern declarations, with
/// and without services, in every default category. Built once.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(build_registry)
}

fn build_registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("csrftoken").category("necessary"))
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
        .cookie(Declaration::exact("__Secure-sid").category("necessary"))
        .build()
        .expect("the fuzz registry is valid")
}

/// Enforcers for the four combinations of (report-only, unknown cookies allowed).
pub fn enforcer(report_only: bool, allow_unknown: bool) -> &'static Enforcer {
    static ENFORCERS: OnceLock<[Enforcer; 4]> = OnceLock::new();
    let all = ENFORCERS.get_or_init(|| {
        let make = |r: bool, a: bool| {
            CookieConsentLayer::builder(build_registry())
                .report_only(r)
                .unknown_cookies(if a {
                    UnknownCookies::Allow
                } else {
                    UnknownCookies::Block
                })
                .build_enforcer()
                .expect("valid enforcer")
        };
        [
            make(false, false),
            make(false, true),
            make(true, false),
            make(true, true),
        ]
    });
    &all[usize::from(report_only) * 2 + usize::from(allow_unknown)]
}

/// Builds request or response headers from the line format described in the module docs.
pub fn headers(data: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let other = HeaderName::from_static("x-other");
    for line in data.split(|&b| b == b'\n') {
        let Some((&kind, value)) = line.split_first() else {
            continue;
        };
        let Ok(value) = HeaderValue::from_bytes(value) else {
            continue;
        };
        let name = match kind {
            b'c' => COOKIE,
            b's' => SET_COOKIE,
            b'g' => SEC_GPC,
            _ => other.clone(),
        };
        headers.append(name, value);
    }
    headers
}

/// Every `(name, value)` of a header map, in order.
pub fn all_entries(headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// The values of each header name, in order. Field order across *different* names carries
/// no meaning (RFC 9110 §5.3), and the filter re-appends the kept `Set-Cookie` values after
/// the other fields, so this is what "unchanged" compares.
pub fn by_name(headers: &HeaderMap) -> Vec<(HeaderName, Vec<HeaderValue>)> {
    let mut out: Vec<(HeaderName, Vec<HeaderValue>)> = headers
        .keys()
        .map(|k| (k.clone(), headers.get_all(k).iter().cloned().collect()))
        .collect();
    out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    out
}

/// Whether `sub` is a subsequence of `full`, in order.
pub fn is_subsequence<T: PartialEq>(sub: &[T], full: &[T]) -> bool {
    let mut it = full.iter();
    sub.iter().all(|s| it.any(|f| f == s))
}

/// Whether the registry says `name` may be set under `consent`: exempt, its service granted,
/// or its category granted (the refusal side of the invariant "a refused category never
/// gains a cookie"). `None` for an undeclared name.
pub fn declared_and_allowed(registry: &Registry, name: &[u8], consent: &Consent) -> Option<bool> {
    let declaration = registry.lookup(name)?;
    let category = registry.category_id(declaration.category_id())?;
    let required = declaration
        .consent_required_override()
        .unwrap_or_else(|| registry.category(category).is_consent_required());
    if !required {
        return Some(true);
    }
    if let Some(decision) = declaration
        .service_id()
        .and_then(|s| registry.service_id(s))
        .and_then(|s| consent.service_decision(s))
    {
        return Some(decision);
    }
    Some(consent.is_category_granted(category))
}

/// Runs the whole filter on `data` (request and response headers in one map) and checks
/// every invariant the property tests check, and the withdrawal deletions for the request.
pub fn check_filter(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let request = headers(rest);
    let allow_unknown = flags & 1 != 0;
    let enforcer_on = enforcer(false, allow_unknown);
    let consent = enforcer_on.read_consent(&request);

    let before = request; // the same map doubles as the response headers
    let set_before: Vec<HeaderValue> = before.get_all(SET_COOKIE).iter().cloned().collect();

    // Report-only changes nothing.
    let mut reported = before.clone();
    let summary = enforcer(true, allow_unknown).filter(&mut reported, &consent);
    assert_eq!(summary.removed, 0);
    assert_eq!(all_entries(&reported), all_entries(&before));

    // Filtering keeps a subsequence of Set-Cookie and touches nothing else.
    let mut once = before.clone();
    let summary = enforcer_on.filter(&mut once, &consent);
    let set_after: Vec<HeaderValue> = once.get_all(SET_COOKIE).iter().cloned().collect();
    assert!(is_subsequence(&set_after, &set_before));
    assert_eq!(summary.judged, set_before.len());
    assert_eq!(summary.removed, set_before.len() - set_after.len());
    let others = |h: &HeaderMap| -> Vec<(HeaderName, Vec<HeaderValue>)> {
        by_name(h)
            .into_iter()
            .filter(|(n, _)| n != SET_COOKIE)
            .collect()
    };
    assert_eq!(others(&once), others(&before));

    // Idempotent.
    let mut twice = once.clone();
    let again = enforcer_on.filter(&mut twice, &consent);
    assert_eq!(again.removed, 0);
    assert_eq!(all_entries(&twice), all_entries(&once));

    // A refused category never gains a cookie: every kept value is a deletion, the consent
    // cookie, or a name the registry allows (or an unknown name when unknown cookies pass).
    let registry = enforcer_on.registry();
    let now = SystemTime::now();
    for value in &set_after {
        let SetCookie::Cookie {
            name, attributes, ..
        } = parse_set_cookie(value.as_bytes())
        else {
            panic!("an ignored set-cookie-string was kept: {value:?}");
        };
        assert!(!name.is_empty(), "a nameless cookie was kept: {value:?}");
        if is_deletion(attributes, now) || name == b"cookies_preferences" {
            continue;
        }
        match declared_and_allowed(registry, name, &consent) {
            Some(allowed) => assert!(allowed, "refused cookie kept: {value:?} {consent:?}"),
            None => assert!(allow_unknown, "unknown cookie kept: {value:?}"),
        }
    }

    // Withdrawal: the deletions for the request's cookies are deletions (RFC 6265bis §5.6)
    // of cookies the request carries, declared and refused, at most DEFAULT_MAX_DELETIONS.
    let host = HeaderValue::from_static("www.example.co.uk");
    let mut with_host = before.clone();
    with_host.insert(http::header::HOST, host);
    let deletions = enforcer_on.deletions(&Uri::from_static("/"), &with_host, &consent);
    assert!(deletions.len() <= DEFAULT_MAX_DELETIONS);
    for value in &deletions {
        let SetCookie::Cookie {
            name, attributes, ..
        } = parse_set_cookie(value.as_bytes())
        else {
            panic!("a deletion a browser ignores: {value:?}");
        };
        assert!(is_deletion(attributes, now), "not a deletion: {value:?}");
        assert!(
            RequestCookies::new(&before).get(name).next().is_some(),
            "deletion of a cookie the request lacks: {value:?}"
        );
        assert_eq!(
            declared_and_allowed(registry, name, &consent),
            Some(false),
            "deletion of an allowed or undeclared cookie: {value:?}"
        );
    }

    // Less consent never keeps more.
    let mut undecided = before.clone();
    enforcer_on.filter(&mut undecided, &Consent::undecided());
    let kept_undecided: Vec<HeaderValue> = undecided.get_all(SET_COOKIE).iter().cloned().collect();
    assert!(is_subsequence(&kept_undecided, &set_after));
}

/// Runs a consent reader on its own cookie. `data` is `X` or `X 0xFF Y`: `X` is the value of
/// the reader's (first) consent cookie (a `;` in it starts further cookies), and `Y`, if
/// given, a duplicate of that cookie (up to its first `;`) in a second `Cookie` field. Checks that reading never panics and that a duplicate never grants
/// more than the first reading (the [`ReadConsent`] contract). Returns the first reading.
pub fn check_reader<R: ReadConsent>(reader: &R, data: &[u8]) -> Option<Consent> {
    let registry = registry();
    let name = reader.consent_cookie_names().into_iter().next()?;
    // `Y` stops at its first `;`: it is a duplicate of the cookie, not more cookies (the
    // OneTrust run showed why: an `OptanonAlertBoxClosed` pair added with `Y` legitimately
    // turns an undecided reading into a decided one).
    let (x, y) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], data[i + 1..].split(|&b| b == b';').next()),
        None => (data, None),
    };
    let field = |v: &[u8]| HeaderValue::from_bytes(&[name.as_bytes(), b"=", v].concat()).ok();
    let mut headers = HeaderMap::new();
    headers.append(COOKIE, field(x)?);
    let one = reader.read_consent(&ConsentRequest::new(&headers, registry));
    if let Some(second) = y.and_then(field) {
        headers.append(COOKIE, second);
        let two = reader.read_consent(&ConsentRequest::new(&headers, registry));
        assert!(
            two.granted_categories()
                .difference(one.granted_categories())
                .is_empty(),
            "a duplicate widened the categories: {one:?} -> {two:?}"
        );
        assert_eq!(
            two.granted_services().intersection(&one.granted_services()),
            two.granted_services(),
            "a duplicate widened the services: {one:?} -> {two:?}"
        );
    }
    Some(one)
}
