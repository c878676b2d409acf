//! A response that records a consent (it sets or deletes the consent cookie): the recorded
//! choice applies to that very response. Its `Set-Cookie` values must be allowed by the
//! request's consent and by the recorded one, and the cookies the request carries that the
//! recorded consent refuses are deleted at once. A response that records no consent is
//! finished exactly as the request's consent alone decides.

mod common;

use std::sync::{Arc, Mutex};

use http::header::{COOKIE, HOST, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, Uri};
use proptest::prelude::*;

use common::{respond as run, set_cookies, vary};
use tower_cookie_consent::{
    append_vary_cookie, Builder, CookieConsentLayer, CookieEvent, Declaration, Reason, Registry,
    SEC_GPC,
};

const GONE: &str = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";

/// `cookies_preferences` values (percent-encoded JSON keyed by category).
const ACCEPT_ALL: &str = "%7B%22statistics%22%3Atrue%2C%22marketing%22%3Atrue%7D";
const REFUSE_ALL: &str = "%7B%22statistics%22%3Afalse%2C%22marketing%22%3Afalse%7D";
/// Statistics refused, marketing granted.
const REFUSE_STATS: &str = "%7B%22statistics%22%3Afalse%2C%22marketing%22%3Atrue%7D";
/// Statistics granted, marketing refused.
const ACCEPT_STATS: &str = "%7B%22statistics%22%3Atrue%2C%22marketing%22%3Afalse%7D";

fn registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::pattern("_pk_id.*")
                .category("statistics")
                .service("matomo"),
        )
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("facebook")
                .domain(".example.com"),
        )
        .cookie(Declaration::exact("__Host-ad").category("marketing"))
        .build()
        .unwrap()
}

fn layer(configure: impl FnOnce(Builder) -> Builder) -> CookieConsentLayer {
    configure(CookieConsentLayer::builder(registry()))
        .build()
        .unwrap()
}

/// A request to `host` (none when empty) with one `Cookie` field per entry of `cookies`.
fn request(host: &str, cookies: &[&str]) -> Request<()> {
    let mut builder = Request::builder().uri("/settings");
    if !host.is_empty() {
        builder = builder.header(HOST, host);
    }
    for c in cookies {
        builder = builder.header(COOKIE, *c);
    }
    builder.body(()).unwrap()
}

/// The consent cookie the visitor holds.
fn held(value: &str) -> String {
    format!("cookies_preferences={value}")
}

/// The response's `Set-Cookie` recording `value`.
fn records(value: &str) -> String {
    format!("cookies_preferences={value}; Path=/; Max-Age=15552000")
}

fn s(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

// ---- A recorded refusal applies at once ---------------------------------------------------

#[test]
fn a_recorded_refusal_removes_the_refused_set_cookie_and_deletes_the_stored_cookie() {
    let headers = run(
        &layer(|b| b),
        request(
            "localhost",
            &[&format!("{}; _ga=GA1.1.1; _fbp=fb.1", held(ACCEPT_ALL))],
        ),
        &[
            records(REFUSE_STATS),
            "_ga=GA1.1.2; Max-Age=63072000; Path=/".into(),
            "sessionid=abc; HttpOnly".into(),
            "_fbp=fb.2; Path=/".into(),
        ],
    );
    // `_ga` (statistics, now refused) is not set, and the stored `_ga` is deleted; `_fbp`
    // (marketing, still granted) and the strictly necessary `sessionid` pass.
    assert_eq!(
        set_cookies(&headers),
        [
            records(REFUSE_STATS),
            "sessionid=abc; HttpOnly".into(),
            "_fbp=fb.2; Path=/".into(),
            format!("_ga=; Path=/; {GONE}"),
        ]
    );
    assert_eq!(vary(&headers), ["Cookie"]);
}

#[test]
fn a_recorded_refusal_is_added_to_the_deletions_of_the_request_consent() {
    // The request refuses marketing (`_fbp` is deleted whatever is recorded); the response
    // records a refusal of statistics too.
    let headers = run(
        &layer(|b| b),
        request(
            "example.com",
            &[&format!("{}; _fbp=1; _ga=2", held(ACCEPT_STATS))],
        ),
        &[records(REFUSE_ALL)],
    );
    assert_eq!(
        set_cookies(&headers),
        [
            records(REFUSE_ALL),
            format!("_fbp=; Domain=example.com; Path=/; {GONE}"),
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=example.com; Path=/; {GONE}"),
        ]
    );
}

#[test]
fn an_undecided_visitor_recording_a_refusal_loses_the_refused_cookies_at_once() {
    // Nothing is deleted for undecided visitors (by default), until they decide: from the
    // response that records the decision.
    let req = || request("localhost", &["_ga=1; sessionid=abc; _pk_id.1.ab=3"]);
    assert!(set_cookies(&run(&layer(|b| b), req(), &[])).is_empty());
    let headers = run(&layer(|b| b), req(), &[records(REFUSE_ALL)]);
    assert_eq!(
        set_cookies(&headers),
        [
            records(REFUSE_ALL),
            format!("_ga=; Path=/; {GONE}"),
            format!("_pk_id.1.ab=; Path=/; {GONE}"),
        ]
    );
}

#[test]
fn every_cookie_field_of_the_request_is_read_for_the_recorded_deletions() {
    // HTTP/2 may split the header into several `cookie` fields.
    let headers = run(
        &layer(|b| b),
        request(
            "localhost",
            &[
                &held(ACCEPT_ALL),
                "_ga=1",
                "lang=fr; _pk_id.7.cd=2",
                "__Host-ad=3",
            ],
        ),
        &[records(REFUSE_ALL)],
    );
    assert_eq!(
        set_cookies(&headers),
        [
            records(REFUSE_ALL),
            format!("_ga=; Path=/; {GONE}"),
            format!("_pk_id.7.cd=; Path=/; {GONE}"),
            format!("__Host-ad=; Path=/; {GONE}; Secure"),
        ]
    );
}

#[test]
fn the_recorded_deletions_use_the_uri_authority_and_the_cap() {
    // An HTTP/2 request names its host in the URI (`:authority`), not in `Host`.
    let mut req = request("", &[&format!("{}; _ga=1; _fbp=2", held(ACCEPT_ALL))]);
    *req.uri_mut() = Uri::from_static("https://www.example.com/settings");
    let headers = run(&layer(|b| b), req, &[records(REFUSE_ALL)]);
    assert_eq!(
        set_cookies(&headers),
        [
            records(REFUSE_ALL),
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=www.example.com; Path=/; {GONE}"),
            format!("_ga=; Domain=example.com; Path=/; {GONE}"),
            format!("_fbp=; Domain=example.com; Path=/; {GONE}"),
        ]
    );
    // The cap counts the deletions of both consents.
    let req = request(
        "example.com",
        &[&format!("{}; _fbp=1; _ga=2", held(ACCEPT_STATS))],
    );
    let headers = run(&layer(|b| b.max_deletions(2)), req, &[records(REFUSE_ALL)]);
    assert_eq!(
        set_cookies(&headers),
        [
            records(REFUSE_ALL),
            format!("_fbp=; Domain=example.com; Path=/; {GONE}"),
            format!("_ga=; Path=/; {GONE}"),
        ]
    );
}

#[test]
fn with_delete_refused_off_the_recorded_refusal_still_filters_but_deletes_nothing() {
    let headers = run(
        &layer(|b| b.delete_refused(false)),
        request("localhost", &[&format!("{}; _ga=1", held(ACCEPT_ALL))]),
        &[records(REFUSE_ALL), "_ga=2".into()],
    );
    assert_eq!(set_cookies(&headers), [records(REFUSE_ALL)]);
}

/// OneTrust keeps the choice in two cookies: the recorded `OptanonConsent` is read with the
/// request's `OptanonAlertBoxClosed`, even when nothing is deleted.
#[test]
fn a_refusal_recorded_in_one_of_two_cookies_filters_the_response() {
    use tower_cookie_consent::formats::OneTrust;
    const CLOSED: &str = "OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z";
    const GRANTING: &str =
        "OptanonConsent=groups=C0001%3A1%2CC0002%3A1%2CC0004%3A1&AwaitingReconsent=false";
    const REFUSING: &str =
        "OptanonConsent=groups=C0001%3A1%2CC0002%3A0%2CC0004%3A1&AwaitingReconsent=false; Path=/";
    for delete in [false, true] {
        let layer = layer(|b| {
            b.reader(OneTrust::new())
                .max_consent_age(None)
                .delete_refused(delete)
        });
        let req = request("localhost", &[&format!("{CLOSED}; {GRANTING}; _ga=1")]);
        let headers = run(
            &layer,
            req,
            &[REFUSING.into(), "_ga=2".into(), "_fbp=3".into()],
        );
        let mut expected = s(&[REFUSING, "_fbp=3"]);
        if delete {
            expected.push(format!("_ga=; Path=/; {GONE}"));
        }
        assert_eq!(set_cookies(&headers), expected, "delete_refused({delete})");
    }
}

// ---- Grants and renewals change nothing ---------------------------------------------------

#[test]
fn a_recorded_grant_removes_and_deletes_what_the_request_consent_did_and_no_more() {
    // The request refuses both categories: `_ga` set by the response is removed (the grant
    // applies from the next request), nothing stored is deleted in the response that
    // grants it.
    let req = || {
        request(
            "localhost",
            &[&format!("{}; _ga=1; _fbp=2", held(REFUSE_ALL))],
        )
    };
    let headers = run(&layer(|b| b), req(), &[records(ACCEPT_ALL), "_ga=3".into()]);
    assert_eq!(set_cookies(&headers), [records(ACCEPT_ALL)]);
    assert_eq!(vary(&headers), ["Cookie"]);
    // A partial grant: what stays refused is still deleted.
    let headers = run(
        &layer(|b| b),
        req(),
        &[records(ACCEPT_STATS), "sessionid=a".into()],
    );
    assert_eq!(
        set_cookies(&headers),
        [
            records(ACCEPT_STATS),
            "sessionid=a".into(),
            format!("_fbp=; Path=/; {GONE}"),
        ]
    );
}

#[test]
fn renewing_an_unchanged_consent_changes_nothing() {
    for (consent, deleted) in [
        (ACCEPT_ALL, &[][..]),
        (ACCEPT_STATS, &["_fbp"][..]),
        (REFUSE_ALL, &["_ga", "_fbp"][..]),
    ] {
        let req = || request("localhost", &[&format!("{}; _ga=1; _fbp=2", held(consent))]);
        let response = [
            "_ga=3; Path=/".to_owned(),
            "sessionid=a".into(),
            "_fbp=4".into(),
        ];
        let without = run(&layer(|b| b), req(), &response);
        let mut renewing = vec![records(consent)];
        renewing.extend(response.iter().cloned());
        let with = run(&layer(|b| b), req(), &renewing);
        let mut expected = vec![records(consent)];
        expected.extend(set_cookies(&without));
        assert_eq!(set_cookies(&with), expected, "{consent}");
        assert_eq!(vary(&with), vary(&without));
        let names: Vec<_> = set_cookies(&with)
            .into_iter()
            .filter(|v| v.contains("Max-Age=0"))
            .map(|v| v.split('=').next().unwrap().to_owned())
            .collect();
        assert_eq!(names, deleted, "{consent}");
    }
}

#[test]
fn a_consent_cookie_that_may_not_come_back_records_nothing() {
    for scope in ["; Domain=other.org", "; Path=/nowhere"] {
        let refusal = format!("cookies_preferences={REFUSE_ALL}{scope}");
        let headers = run(
            &layer(|b| b),
            request("localhost", &[&format!("{}; _ga=1", held(ACCEPT_ALL))]),
            &[refusal.clone(), "_ga=2".into()],
        );
        assert_eq!(set_cookies(&headers), [refusal, "_ga=2".into()], "{scope}");
    }
}

#[test]
fn a_refusal_recorded_for_the_parent_domain_applies_at_once() {
    // Sites often scope the consent cookie to the registrable domain: it comes back to this
    // host, so its refusal applies to this response.
    for domain in ["example.com", ".example.com", "WWW.Example.com", ""] {
        let refusal = format!("cookies_preferences={REFUSE_ALL}; Path=/; Domain={domain}");
        let headers = run(
            &layer(|b| b),
            request(
                "www.example.com",
                &[&format!("{}; _ga=1", held(ACCEPT_ALL))],
            ),
            &[refusal.clone(), "_ga=2; Path=/".into()],
        );
        let got = set_cookies(&headers);
        assert_eq!(got[0], refusal, "{domain}");
        assert!(
            !got.contains(&"_ga=2; Path=/".to_owned()),
            "{domain}: {got:?}"
        );
        assert!(
            got.iter().any(|v| v.starts_with("_ga=; ")),
            "{domain}: the stored _ga is deleted at once: {got:?}"
        );
    }
    // A `Domain` the browser refuses (another site, a public suffix) records nothing; nor
    // does any `Domain` when the request named no host.
    for (host, domain) in [
        ("www.example.com", "other.org"),
        ("www.example.com", "com"),
        ("www.example.com", "shop.example.com"),
        ("", "example.com"),
    ] {
        let refusal = format!("cookies_preferences={REFUSE_ALL}; Path=/; Domain={domain}");
        let headers = run(
            &layer(|b| b),
            request(host, &[&format!("{}; _ga=1", held(ACCEPT_ALL))]),
            &[refusal.clone(), "_ga=2; Path=/".into()],
        );
        assert_eq!(
            set_cookies(&headers),
            [refusal, "_ga=2; Path=/".into()],
            "{host} {domain}"
        );
    }
}

#[test]
fn a_consent_cookie_without_path_records_only_where_its_default_path_is_the_root() {
    // Set without `Path` from `/account/settings`, the cookie is stored for `/account`
    // (RFC 6265bis §5.1.4) and does not come back to the rest of the site: the grant it
    // records does not cancel the deletion the request's refusal asks for.
    let at = |path: &str| {
        Request::builder()
            .uri(path)
            .header(HOST, "www.example.com")
            .header(COOKIE, format!("{}; _ga=1", held(REFUSE_ALL)))
            .body(())
            .unwrap()
    };
    let grant = format!("cookies_preferences={ACCEPT_ALL}");
    for (path, deleted) in [
        ("/account/settings", true),
        ("/account/", true),
        ("/settings", false),
        ("/", false),
    ] {
        let headers = run(&layer(|b| b), at(path), std::slice::from_ref(&grant));
        let got = set_cookies(&headers);
        assert_eq!(got[0], grant, "{path}");
        assert_eq!(
            got.iter().any(|v| v.starts_with("_ga=; ")),
            deleted,
            "{path}: {got:?}"
        );
    }
    // An explicit `Path=/` comes back from anywhere; a `Path` that is not absolute means
    // the default-path.
    for (set, deleted) in [("; Path=/", false), ("; Path=", true), ("; Path=x", true)] {
        let value = format!("{grant}{set}");
        let headers = run(&layer(|b| b), at("/account/settings"), &[value]);
        let got = set_cookies(&headers);
        assert_eq!(
            got.iter().any(|v| v.starts_with("_ga=; ")),
            deleted,
            "{set}: {got:?}"
        );
    }
}

#[test]
fn an_expiry_is_read_against_the_response_date_as_the_filter_reads_it() {
    // `Expires` one hour after the response's `Date` (both long past by the system clock):
    // browsers, and the filter, store the consent cookie; it records a grant, not a reset.
    let enforcer = CookieConsentLayer::builder(registry())
        .delete_for_undecided(true)
        .build_enforcer()
        .unwrap();
    let mut request = HeaderMap::new();
    request.insert(HOST, HeaderValue::from_static("www.example.com"));
    request.insert(
        COOKIE,
        HeaderValue::from_str(&format!("{}; _ga=1", held(ACCEPT_ALL))).unwrap(),
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::DATE,
        HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
    );
    let consent_cookie =
        format!("cookies_preferences={ACCEPT_ALL}; Path=/; Expires=Sun, 06 Nov 1994 09:49:37 GMT");
    headers.append(SET_COOKIE, HeaderValue::from_str(&consent_cookie).unwrap());
    headers.append(SET_COOKIE, HeaderValue::from_static("_ga=2; Path=/"));
    let consent = enforcer.read_consent(&request);
    let summary = enforcer.filter(&mut headers, &consent);
    let appended = enforcer.finish_response(
        &mut headers,
        &summary,
        Vec::new(),
        &Uri::from_static("/"),
        &request,
    );
    assert_eq!(appended, 0);
    assert_eq!(
        set_cookies(&headers),
        [consent_cookie, "_ga=2; Path=/".into()]
    );
}

#[test]
fn deleting_the_consent_cookie_keeps_the_deletions_of_the_request_consent() {
    // The visitor resets the choice: the next request is undecided, which refuses every
    // cookie needing consent (nothing new is deleted for undecided visitors by default).
    let req = || {
        request(
            "localhost",
            &[&format!("{}; _ga=1; _fbp=2", held(ACCEPT_STATS))],
        )
    };
    let reset = "cookies_preferences=; Path=/; Max-Age=0".to_owned();
    let headers = run(&layer(|b| b), req(), &[reset.clone(), "_ga=3".into()]);
    assert_eq!(
        set_cookies(&headers),
        [reset.clone(), format!("_fbp=; Path=/; {GONE}")]
    );
    let headers = run(
        &layer(|b| b.delete_for_undecided(true)),
        req(),
        std::slice::from_ref(&reset),
    );
    assert_eq!(
        set_cookies(&headers),
        [
            reset,
            format!("_fbp=; Path=/; {GONE}"),
            format!("_ga=; Path=/; {GONE}"),
        ]
    );
}

#[test]
fn gpc_still_applies_to_the_recorded_consent() {
    // `Sec-GPC: 1` refuses marketing (sale or sharing) on every request.
    let mut req = request("localhost", &["_fbp=1; _ga=2"]);
    req.headers_mut()
        .insert(SEC_GPC, HeaderValue::from_static("1"));
    let headers = run(&layer(|b| b), req, &[records(ACCEPT_ALL), "_fbp=3".into()]);
    assert_eq!(
        set_cookies(&headers),
        [records(ACCEPT_ALL), format!("_fbp=; Path=/; {GONE}")]
    );
}

// ---- The hook and report-only mode -------------------------------------------------------

type Events = Arc<Mutex<Vec<(String, bool, bool, Reason)>>>;

fn hooked(configure: impl FnOnce(Builder) -> Builder) -> (CookieConsentLayer, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let layer = layer(|b| {
        configure(b).on_cookie_event(move |e: &CookieEvent<'_>| {
            sink.lock().unwrap().push((
                String::from_utf8_lossy(e.set_cookie).into_owned(),
                e.removed,
                e.deletion,
                e.verdict.reason(),
            ));
        })
    });
    (layer, events)
}

#[test]
fn the_hook_sees_each_value_once_with_the_recorded_refusal() {
    let (layer, events) = hooked(|b| b);
    let headers = run(
        &layer,
        request("localhost", &[&format!("{}; _ga=1", held(ACCEPT_ALL))]),
        &["_ga=2".into(), records(REFUSE_STATS), "_fbp=3".into()],
    );
    assert_eq!(
        set_cookies(&headers),
        [
            records(REFUSE_STATS),
            "_fbp=3".into(),
            format!("_ga=; Path=/; {GONE}")
        ]
    );
    assert_eq!(
        *events.lock().unwrap(),
        [
            ("_ga=2".into(), true, false, Reason::CategoryNotGranted),
            (records(REFUSE_STATS), false, false, Reason::ConsentCookie),
            ("_fbp=3".into(), false, false, Reason::CategoryGranted),
            (
                format!("_ga=; Path=/; {GONE}"),
                false,
                true,
                Reason::CategoryNotGranted
            ),
        ]
    );
}

#[test]
fn report_only_reports_the_recorded_refusal_but_removes_and_appends_nothing() {
    let (layer, events) = hooked(|b| b.report_only(true));
    let response = ["_ga=2".to_owned(), records(REFUSE_STATS), "_fbp=3".into()];
    let headers = run(
        &layer,
        request("localhost", &[&format!("{}; _ga=1", held(ACCEPT_ALL))]),
        &response,
    );
    assert_eq!(set_cookies(&headers), response);
    assert!(vary(&headers).is_empty());
    assert_eq!(
        *events.lock().unwrap(),
        [
            ("_ga=2".into(), false, false, Reason::CategoryNotGranted),
            (records(REFUSE_STATS), false, false, Reason::ConsentCookie),
            ("_fbp=3".into(), false, false, Reason::CategoryGranted),
            (
                format!("_ga=; Path=/; {GONE}"),
                false,
                true,
                Reason::CategoryNotGranted
            ),
        ]
    );
}

// ---- The same output on every path -------------------------------------------------------

/// The request cookies and response values the generated cases draw from.
const HELD: [&str; 7] = [
    "_ga=1",
    "_fbp=2",
    "sessionid=3",
    "_pk_id.1.ab=4",
    "__Host-ad=5",
    "lang=fr",
    "_ga=6",
];
const SET: [&str; 8] = [
    "_ga=7; Path=/",
    "_fbp=8; Max-Age=600",
    "sessionid=9; HttpOnly",
    "_pk_id.2.cd=1",
    "promo=1",
    "_ga=; Path=/; Max-Age=0",
    "__Host-ad=2; Path=/; Secure",
    "cookies_preferences=%7B%22statistics%22%3Atrue%7D; Domain=other.org",
];
const CONSENTS: [Option<&str>; 6] = [
    None,
    Some(ACCEPT_ALL),
    Some(REFUSE_ALL),
    Some(REFUSE_STATS),
    Some(ACCEPT_STATS),
    Some("%7Bnot%20json"),
];

fn pick<'a>(all: &[&'a str], mask: u32) -> Vec<&'a str> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| *v)
        .collect()
}

/// The `Cookie` field of the cookies of `HELD` picked by `held_mask`, then the consent cookie
/// holding `CONSENTS[consent]`, if any.
fn held_field(held_mask: u32, consent: usize) -> String {
    let mut cookies: Vec<String> = pick(&HELD, held_mask)
        .into_iter()
        .map(str::to_owned)
        .collect();
    cookies.extend(CONSENTS[consent].map(held));
    cookies.join("; ")
}

/// Response headers with one `Set-Cookie` field for each of `values`.
fn set_cookie_headers(values: &[String]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for v in values {
        headers.append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
    }
    headers
}

fn builder_of(report_only: bool, max: usize, undecided: bool) -> Builder {
    CookieConsentLayer::builder(registry())
        .report_only(report_only)
        .max_deletions(max)
        .delete_for_undecided(undecided)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Without a recorded consent, the layer's output is what the request's consent alone
    /// decides, written with the public pieces: `filter`, `deletions`, the deletions not
    /// already present appended, `Vary: Cookie` when a value was judged or a deletion
    /// appended (none in report-only mode).
    #[test]
    fn without_a_recorded_consent_the_output_is_the_request_consents(
        held_mask in 0u32..(1 << HELD.len()),
        set_mask in 0u32..(1 << SET.len()),
        consent in 0..CONSENTS.len(),
        report_only in any::<bool>(),
        max in 0usize..6,
        undecided in any::<bool>(),
        gpc in any::<bool>(),
        host in prop::sample::select(vec!["", "localhost", "www.example.com"]),
    ) {
        let field = held_field(held_mask, consent);
        let fields: Vec<&str> = if field.is_empty() { vec![] } else { vec![&field] };
        let mut req = request(host, &fields);
        if gpc {
            req.headers_mut().insert(SEC_GPC, HeaderValue::from_static("1"));
        }
        let response = s(&pick(&SET, set_mask));
        let (uri, request_headers) = (req.uri().clone(), req.headers().clone());

        let layer = builder_of(report_only, max, undecided).build().unwrap();
        let got = run(&layer, req, &response);

        let enforcer = builder_of(report_only, max, undecided).build_enforcer().unwrap();
        let consent = enforcer.read_consent(&request_headers);
        let mut expected = set_cookie_headers(&response);
        let summary = enforcer.filter(&mut expected, &consent);
        let would = enforcer.deletions(&uri, &request_headers, &consent);
        let mut appended = 0;
        if !report_only {
            for d in would {
                if !expected.get_all(SET_COOKIE).iter().any(|v| *v == d) {
                    expected.append(SET_COOKIE, d);
                    appended += 1;
                }
            }
        }
        if !report_only && (summary.judged > 0 || appended > 0) {
            append_vary_cookie(&mut expected);
        }
        prop_assert_eq!(set_cookies(&got), set_cookies(&expected));
        prop_assert_eq!(vary(&got), vary(&expected));
    }

    /// With a recorded consent: the layer with a hook (which reads the recorded consent
    /// before judging) and without one (which judges again what the request's consent
    /// allows) give the same response, and so does `filter` then `finish_response`.
    #[test]
    fn a_recorded_consent_gives_the_same_output_on_every_path(
        held_mask in 0u32..(1 << HELD.len()),
        set_mask in 0u32..(1 << SET.len()),
        consent in 0..CONSENTS.len(),
        recorded in 0..CONSENTS.len(),
        position in 0usize..8,
        max in 0usize..6,
        gpc in any::<bool>(),
    ) {
        let field = held_field(held_mask, consent);
        let fields: Vec<&str> = if field.is_empty() { vec![] } else { vec![&field] };
        let req = || {
            let mut req = request("www.example.com", &fields);
            if gpc {
                req.headers_mut().insert(SEC_GPC, HeaderValue::from_static("1"));
            }
            req
        };
        let mut response = s(&pick(&SET, set_mask));
        let recording = match CONSENTS[recorded] {
            Some(v) => records(v),
            None => "cookies_preferences=; Path=/; Max-Age=0".into(),
        };
        response.insert(position.min(response.len()), recording);

        let plain = run(&layer(|b| b.max_deletions(max)), req(), &response);
        let (hooked, _events) = hooked(|b| b.max_deletions(max));
        let with_hook = run(&hooked, req(), &response);
        prop_assert_eq!(set_cookies(&with_hook), set_cookies(&plain));
        prop_assert_eq!(vary(&with_hook), vary(&plain));

        let enforcer = CookieConsentLayer::builder(registry())
            .max_deletions(max)
            .build_enforcer()
            .unwrap();
        let r = req();
        let consent = enforcer.read_consent(r.headers());
        let deletions = enforcer.deletions(r.uri(), r.headers(), &consent);
        let mut headers = set_cookie_headers(&response);
        let summary = enforcer.filter(&mut headers, &consent);
        enforcer.finish_response(&mut headers, &summary, deletions, r.uri(), r.headers());
        prop_assert_eq!(set_cookies(&headers), set_cookies(&plain));
        prop_assert_eq!(vary(&headers), vary(&plain));
    }
}
