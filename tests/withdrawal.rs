//! Withdrawal through the layer: deleting stored cookies the visitor refuses, request
//! scrubbing and `Vary: Cookie`.

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use common::{set_cookies, vary};
use http::header::{COOKIE, HOST, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response};
use tower::{service_fn, Layer, ServiceExt};
use tower_cookie_consent::{
    deletions_for, Builder, ConsentState, CookieConsentLayer, CookieEvent, Declaration, Reason,
    Registry, UnknownCookies,
};

const GONE: &str = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";

/// `cookies_preferences` refusing statistics and marketing.
const REFUSE_ALL: &str =
    "cookies_preferences=%7B%22statistics%22%3Afalse%2C%22marketing%22%3Afalse%7D";
/// `cookies_preferences` granting statistics and marketing.
const ACCEPT_ALL: &str =
    "cookies_preferences=%7B%22statistics%22%3Atrue%2C%22marketing%22%3Atrue%7D";

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
            Declaration::exact("_gid")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::prefix("_ga_")
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
        .cookie(
            Declaration::exact("app_stats")
                .category("statistics")
                .path("/app"),
        )
        .cookie(Declaration::exact("__SECURE-mkt").category("marketing"))
        .cookie(Declaration::exact("__host-ad").category("marketing"))
        .cookie(
            Declaration::exact("embed")
                .category("marketing")
                .partitioned(true),
        )
        .cookie(
            Declaration::exact("anon_stats")
                .category("statistics")
                .exempt(),
        )
        .build()
        .unwrap()
}

fn layer(configure: impl FnOnce(Builder) -> Builder) -> CookieConsentLayer {
    configure(CookieConsentLayer::builder(registry()))
        .build()
        .unwrap()
}

/// What the inner service saw, and what it answers with.
#[derive(Default, Clone)]
struct Seen(Arc<Mutex<Vec<Vec<u8>>>>);

/// Runs one request through `layer` around a handler answering with `set_cookies` and the
/// given `Vary` fields; returns the response headers.
async fn run_with(
    layer: &CookieConsentLayer,
    request: Request<()>,
    set_cookies: &[&'static str],
    vary: &[&'static str],
    seen: Seen,
) -> HeaderMap {
    let set_cookies = set_cookies.to_vec();
    let vary = vary.to_vec();
    let service = layer.layer(service_fn(move |request: Request<()>| {
        let set_cookies = set_cookies.clone();
        let vary = vary.clone();
        let seen = seen.clone();
        async move {
            *seen.0.lock().unwrap() = request
                .headers()
                .get_all(COOKIE)
                .iter()
                .map(|v| v.as_bytes().to_vec())
                .collect();
            let mut response = Response::new(());
            for v in set_cookies {
                response
                    .headers_mut()
                    .append(SET_COOKIE, HeaderValue::from_static(v));
            }
            for v in vary {
                response
                    .headers_mut()
                    .append(VARY, HeaderValue::from_static(v));
            }
            Ok::<_, Infallible>(response)
        }
    }));
    service.oneshot(request).await.unwrap().headers().clone()
}

async fn run(layer: &CookieConsentLayer, host: &str, cookies: &[&str]) -> HeaderMap {
    run_with(layer, request(host, cookies), &[], &[], Seen::default()).await
}

fn request(host: &str, cookies: &[&str]) -> Request<()> {
    let mut builder = Request::builder().uri("/page");
    if !host.is_empty() {
        builder = builder.header(HOST, host);
    }
    for c in cookies {
        builder = builder.header(COOKIE, *c);
    }
    builder.body(()).unwrap()
}

// ---- Scopes -----------------------------------------------------------------------------

#[tokio::test]
async fn undeclared_scope_gets_host_only_and_each_parent_domain_up_to_the_registrable_one() {
    let headers = run(
        &layer(|b| b),
        "a.shop.example.com:8443",
        &[&format!("{REFUSE_ALL}; _ga=GA1.1.1")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=a.shop.example.com; Path=/; {GONE}"),
            format!("_ga=; Domain=shop.example.com; Path=/; {GONE}"),
            format!("_ga=; Domain=example.com; Path=/; {GONE}"),
        ]
    );
}

#[tokio::test]
async fn the_hook_sees_each_appended_deletion() {
    type Seen = Arc<Mutex<Vec<(String, String, bool, bool, Reason)>>>;
    let events: Seen = Arc::default();
    let sink = events.clone();
    let layer = layer(|b| {
        b.on_cookie_event(move |e: &CookieEvent<'_>| {
            sink.lock().unwrap().push((
                String::from_utf8_lossy(e.set_cookie).into_owned(),
                e.name_lossy().into_owned(),
                e.deletion,
                e.removed,
                e.verdict.reason(),
            ));
        })
    });
    let headers = run(
        &layer,
        "example.com",
        &[&format!("{REFUSE_ALL}; _ga=GA1.1.1; sessionid=abc")],
    )
    .await;
    let appended = set_cookies(&headers);
    assert_eq!(appended.len(), 2, "{appended:?}");
    let events = events.lock().unwrap();
    let expected: Vec<_> = appended
        .iter()
        .map(|d| {
            (
                d.clone(),
                "_ga".to_owned(),
                true,
                false,
                Reason::CategoryNotGranted,
            )
        })
        .collect();
    assert_eq!(*events, expected);
}

#[tokio::test]
async fn in_report_only_mode_the_hook_sees_the_deletions_and_none_is_appended() {
    let events: Arc<Mutex<Vec<(String, bool, bool)>>> = Arc::default();
    let sink = events.clone();
    let layer = layer(|b| {
        b.report_only(true)
            .on_cookie_event(move |e: &CookieEvent<'_>| {
                sink.lock()
                    .unwrap()
                    .push((e.name_lossy().into_owned(), e.deletion, e.report_only));
            })
    });
    let headers = run(
        &layer,
        "example.com",
        &[&format!("{REFUSE_ALL}; _ga=GA1.1.1; sessionid=abc")],
    )
    .await;
    assert_eq!(set_cookies(&headers), Vec::<String>::new());
    let events = events.lock().unwrap();
    // One would-be deletion per scope of `_ga`: host-only and `Domain=example.com`.
    assert_eq!(
        *events,
        [
            ("_ga".to_owned(), true, true),
            ("_ga".to_owned(), true, true)
        ]
    );
}

#[tokio::test]
async fn declared_domain_is_used_alone() {
    let headers = run(
        &layer(|b| b),
        "www.example.com",
        &[&format!("{REFUSE_ALL}; _fbp=fb.1.2.3")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [format!("_fbp=; Domain=example.com; Path=/; {GONE}")]
    );
}

#[tokio::test]
async fn declared_domain_the_host_is_not_under_falls_back_to_the_hosts_scopes() {
    // A browser would have refused `Domain=example.com` from `www.demo.localhost`, so a
    // stored `_fbp` lives in one of the host's own scopes.
    let headers = run(
        &layer(|b| b),
        "www.demo.localhost:8080",
        &[&format!("{REFUSE_ALL}; _fbp=fb.1.2.3")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_fbp=; Path=/; {GONE}"),
            format!("_fbp=; Domain=www.demo.localhost; Path=/; {GONE}"),
            format!("_fbp=; Domain=demo.localhost; Path=/; {GONE}"),
        ]
    );
}

#[tokio::test]
async fn declared_path_is_deleted_besides_the_root_path() {
    let headers = run(
        &layer(|b| b),
        "example.com",
        &[&format!("{REFUSE_ALL}; app_stats=1")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("app_stats=; Path=/; {GONE}"),
            format!("app_stats=; Path=/app; {GONE}"),
            format!("app_stats=; Domain=example.com; Path=/; {GONE}"),
            format!("app_stats=; Domain=example.com; Path=/app; {GONE}"),
        ]
    );
}

#[tokio::test]
async fn secure_prefix_in_any_case_adds_secure() {
    let headers = run(
        &layer(|b| b),
        "example.com",
        &[&format!("{REFUSE_ALL}; __SECURE-mkt=1")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("__SECURE-mkt=; Path=/; {GONE}; Secure"),
            format!("__SECURE-mkt=; Domain=example.com; Path=/; {GONE}; Secure"),
        ]
    );
}

#[tokio::test]
async fn host_prefix_in_any_case_is_host_only_root_path_and_secure() {
    let headers = run(
        &layer(|b| b),
        "www.example.com",
        &[&format!("{REFUSE_ALL}; __host-ad=1")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [format!("__host-ad=; Path=/; {GONE}; Secure")]
    );
}

#[tokio::test]
async fn partitioned_cookie_gets_partitioned_secure_and_samesite_none() {
    let headers = run(
        &layer(|b| b),
        "example.com",
        &[&format!("{REFUSE_ALL}; embed=1")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("embed=; Path=/; {GONE}; Secure; SameSite=None; Partitioned"),
            format!(
                "embed=; Domain=example.com; Path=/; {GONE}; Secure; SameSite=None; Partitioned"
            ),
        ]
    );
}

#[tokio::test]
async fn ip_and_single_label_hosts_get_host_only() {
    for host in ["127.0.0.1:3000", "[::1]:3000", "localhost:3000", "10.1.2.3"] {
        let headers = run(
            &layer(|b| b),
            host,
            &[&format!("{REFUSE_ALL}; _ga=GA1.1.1")],
        )
        .await;
        assert_eq!(
            set_cookies(&headers),
            [format!("_ga=; Path=/; {GONE}")],
            "{host}"
        );
    }
}

#[tokio::test]
async fn public_suffix_is_never_a_domain() {
    let headers = run(
        &layer(|b| b),
        "www.example.co.uk",
        &[&format!("{REFUSE_ALL}; _ga=GA1.1.1")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=www.example.co.uk; Path=/; {GONE}"),
            format!("_ga=; Domain=example.co.uk; Path=/; {GONE}"),
        ]
    );
    // A host that is itself a public suffix (private section) gets host-only only.
    let headers = run(
        &layer(|b| b),
        "github.io",
        &[&format!("{REFUSE_ALL}; _ga=GA1.1.1")],
    )
    .await;
    assert_eq!(set_cookies(&headers), [format!("_ga=; Path=/; {GONE}")]);
}

#[tokio::test]
async fn uri_authority_wins_over_the_host_header_and_no_host_is_host_only() {
    // HTTP/2 `:authority` ends up in the URI.
    let mut req = request("evil.example.net", &[&format!("{REFUSE_ALL}; _ga=GA1.1.1")]);
    *req.uri_mut() = "https://Shop.Example.ORG:443/page".parse().unwrap();
    let headers = run_with(&layer(|b| b), req, &[], &[], Seen::default()).await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=shop.example.org; Path=/; {GONE}"),
            format!("_ga=; Domain=example.org; Path=/; {GONE}"),
        ]
    );
    let headers = run(&layer(|b| b), "", &[&format!("{REFUSE_ALL}; _ga=GA1.1.1")]).await;
    assert_eq!(set_cookies(&headers), [format!("_ga=; Path=/; {GONE}")]);
}

#[test]
fn deletions_for_without_a_declaration_or_host() {
    assert_eq!(
        deletions_for(b"x", None, None),
        [format!("x=; Path=/; {GONE}")]
    );
    // Declared domain, unknown host: the declaration is trusted.
    let fbp = Declaration::exact("_fbp")
        .category("marketing")
        .domain("example.com")
        .path("/shop");
    assert_eq!(
        deletions_for(b"_fbp", Some(&fbp), None),
        [
            format!("_fbp=; Domain=example.com; Path=/; {GONE}"),
            format!("_fbp=; Domain=example.com; Path=/shop; {GONE}"),
        ]
    );
}

// ---- Limits -----------------------------------------------------------------------------

#[tokio::test]
async fn same_name_deletions_are_separate_headers_and_each_name_is_deleted_once() {
    let headers = run(
        &layer(|b| b),
        "example.com",
        &[&format!("_ga=1; {REFUSE_ALL}; _ga=2"), "_ga=3"],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=example.com; Path=/; {GONE}"),
        ]
    );
}

#[tokio::test]
async fn only_cookies_present_are_deleted_and_every_cookie_field_is_read() {
    let headers = run(
        &layer(|b| b),
        "localhost",
        &[
            REFUSE_ALL,
            "sessionid=abc; _ga_ABC123=GS1.1",
            "_pk_id.1.1fff=x",
        ],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga_ABC123=; Path=/; {GONE}"),
            format!("_pk_id.1.1fff=; Path=/; {GONE}"),
        ]
    );
}

#[tokio::test]
async fn deletions_are_capped() {
    let cookies = [&format!("{REFUSE_ALL}; _ga=1; _gid=2; _fbp=3")[..]];
    // _ga and _gid each take 3 scopes on www.example.com: the cap cuts inside _gid.
    let headers = run(&layer(|b| b.max_deletions(4)), "www.example.com", &cookies).await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=www.example.com; Path=/; {GONE}"),
            format!("_ga=; Domain=example.com; Path=/; {GONE}"),
            format!("_gid=; Path=/; {GONE}"),
        ]
    );
    let headers = run(&layer(|b| b.max_deletions(0)), "www.example.com", &cookies).await;
    assert!(set_cookies(&headers).is_empty());
    assert!(vary(&headers).is_empty());
}

#[tokio::test]
async fn default_cap_is_32() {
    let many: String = (0..40).map(|i| format!("_ga_{i:02}=x; ")).collect();
    let headers = run(
        &layer(|b| b),
        "localhost",
        &[&format!("{many}{REFUSE_ALL}")],
    )
    .await;
    let deleted = set_cookies(&headers);
    assert_eq!(deleted.len(), 32);
    assert_eq!(deleted[31], format!("_ga_31=; Path=/; {GONE}"));
}

#[tokio::test]
async fn allowed_unknown_and_consent_cookies_are_never_deleted() {
    // Statistics granted, service `ga` refused: `_ga` goes, Matomo stays.
    let consent = "cookies_preferences=%7B%22statistics%22%3Atrue%2C%22ga%22%3Afalse%7D";
    let headers = run(
        &layer(|b| b),
        "localhost",
        &[&format!(
            "{consent}; _ga=1; _pk_id.1.1fff=2; sessionid=3; anon_stats=4; promo_seen=5"
        )],
    )
    .await;
    assert_eq!(set_cookies(&headers), [format!("_ga=; Path=/; {GONE}")]);

    // Everything granted: nothing to delete, nothing changed, no Vary.
    let headers = run(
        &layer(|b| b),
        "localhost",
        &[&format!("{ACCEPT_ALL}; _ga=1; _fbp=2; embed=3")],
    )
    .await;
    assert!(set_cookies(&headers).is_empty());
    assert!(vary(&headers).is_empty());

    // Unknown cookies are not deleted even when the policy treats them as a refused
    // category.
    let headers = run(
        &layer(|b| b.unknown_cookies(UnknownCookies::TreatAs("marketing".into()))),
        "localhost",
        &[&format!("{REFUSE_ALL}; promo_seen=5")],
    )
    .await;
    assert!(set_cookies(&headers).is_empty());
}

#[tokio::test]
async fn unreadable_consent_deletes_nothing_but_still_filters() {
    let req = request(
        "localhost",
        &["cookies_preferences=%7Bnot-json; _ga=GA1.1.1"],
    );
    let enforcer = layer(|b| b).enforcer().clone();
    assert_eq!(
        enforcer.read_consent(req.headers()).state(),
        ConsentState::Unreadable
    );
    let service_cookies = &["_ga=GA1.1.9; Max-Age=63072000", "sessionid=abc"];
    // Even with deletion for undecided visitors on: unreadable is not undecided.
    let headers = run_with(
        &layer(|b| b.delete_for_undecided(true)),
        request(
            "localhost",
            &["cookies_preferences=%7Bnot-json; _ga=GA1.1.1"],
        ),
        service_cookies,
        &[],
        Seen::default(),
    )
    .await;
    assert_eq!(set_cookies(&headers), ["sessionid=abc"]);
    assert_eq!(vary(&headers), ["Cookie"], "the filter changed Set-Cookie");
}

#[tokio::test]
async fn undecided_visitors_are_deleted_for_only_with_the_option() {
    let cookies = ["_ga=GA1.1.1; sessionid=abc"];
    let headers = run(&layer(|b| b), "localhost", &cookies).await;
    assert!(set_cookies(&headers).is_empty());
    let headers = run(
        &layer(|b| b.delete_for_undecided(true)),
        "localhost",
        &cookies,
    )
    .await;
    assert_eq!(set_cookies(&headers), [format!("_ga=; Path=/; {GONE}")]);
}

#[tokio::test]
async fn gpc_deletes_sale_or_sharing_cookies_of_undecided_visitors() {
    let mut req = request("localhost", &["_ga=1; _fbp=2; embed=3"]);
    req.headers_mut()
        .insert("sec-gpc", HeaderValue::from_static("1"));
    let headers = run_with(&layer(|b| b), req, &[], &[], Seen::default()).await;
    // Marketing is sale or sharing; statistics is not, and the visitor has not decided.
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_fbp=; Path=/; {GONE}"),
            format!("embed=; Path=/; {GONE}; Secure; SameSite=None; Partitioned"),
        ]
    );
}

#[tokio::test]
async fn delete_refused_off_deletes_nothing() {
    let headers = run(
        &layer(|b| b.delete_refused(false)),
        "localhost",
        &[&format!("{REFUSE_ALL}; _ga=1")],
    )
    .await;
    assert!(set_cookies(&headers).is_empty());
    assert!(vary(&headers).is_empty());
}

#[tokio::test]
async fn a_refused_cookie_the_response_sets_is_stripped_and_still_deleted() {
    let headers = run_with(
        &layer(|b| b),
        request("localhost", &[&format!("{REFUSE_ALL}; _ga=1")]),
        &["_ga=GA1.1.2; Max-Age=63072000; Path=/", "sessionid=abc"],
        &[],
        Seen::default(),
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        ["sessionid=abc".to_owned(), format!("_ga=; Path=/; {GONE}")]
    );
}

#[tokio::test]
async fn a_response_recording_a_new_consent_carries_no_deletions() {
    let headers = run_with(
        &layer(|b| b),
        request("localhost", &[&format!("{REFUSE_ALL}; _ga=1")]),
        &["cookies_preferences=%7B%22statistics%22%3Atrue%7D; Path=/; Max-Age=15552000"],
        &[],
        Seen::default(),
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        ["cookies_preferences=%7B%22statistics%22%3Atrue%7D; Path=/; Max-Age=15552000"]
    );
    assert_eq!(vary(&headers), ["Cookie"]);
}

#[tokio::test]
async fn renewing_a_refusing_consent_cookie_still_deletes() {
    // Sliding expiry: the site re-sets the same refusing consent on every response.
    let refuse = REFUSE_ALL.split_once('=').unwrap().1;
    let renewal: &'static str = Box::leak(
        format!("cookies_preferences={refuse}; Path=/; Max-Age=15552000").into_boxed_str(),
    );
    let headers = run_with(
        &layer(|b| b),
        request("localhost", &[&format!("{REFUSE_ALL}; _ga=1")]),
        &[renewal],
        &[],
        Seen::default(),
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [renewal.to_owned(), format!("_ga=; Path=/; {GONE}")]
    );
}

#[tokio::test]
async fn a_deletion_the_response_already_carries_is_not_repeated() {
    let own: &'static str = "_ga=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    let headers = run_with(
        &layer(|b| b),
        request("example.com", &[&format!("{REFUSE_ALL}; _ga=1")]),
        &[own],
        &[],
        Seen::default(),
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            own.to_owned(),
            format!("_ga=; Domain=example.com; Path=/; {GONE}")
        ]
    );
}

// ---- Report-only --------------------------------------------------------------------------

#[tokio::test]
async fn report_only_deletes_scrubs_and_varies_nothing() {
    let seen = Seen::default();
    let cookie = format!("{REFUSE_ALL}; _ga=1");
    let headers = run_with(
        &layer(|b| b.report_only(true).scrub_request(true)),
        request("localhost", &[&cookie]),
        &["_fbp=2"],
        &[],
        seen.clone(),
    )
    .await;
    assert_eq!(set_cookies(&headers), ["_fbp=2"]);
    assert!(vary(&headers).is_empty());
    assert_eq!(*seen.0.lock().unwrap(), [cookie.into_bytes()]);
}

// ---- Vary ---------------------------------------------------------------------------------

#[tokio::test]
async fn vary_cookie_is_added_once_to_every_response_with_set_cookie_or_deletions() {
    let refused = format!("{REFUSE_ALL}; _ga=1");
    /// Request cookie, response Set-Cookie, response Vary, expected Vary.
    type Case<'a> = (
        &'a str,
        &'a [&'static str],
        &'a [&'static str],
        &'a [&'a str],
    );
    let cases: &[Case<'_>] = &[
        // Deletions: Vary added after the existing members.
        (
            &refused,
            &[],
            &["Accept-Encoding"],
            &["Accept-Encoding", "Cookie"],
        ),
        // Already listed, any case, in any field.
        (
            &refused,
            &[],
            &["Origin", "accept, COOKIE"],
            &["Origin", "accept, COOKIE"],
        ),
        (&refused, &[], &["*"], &["*"]),
        // Nothing deleted (nothing refused present), Set-Cookie removed: Vary.
        (REFUSE_ALL, &["_ga=1"], &[], &["Cookie"]),
        // A Set-Cookie kept: the response still depends on the consent (another visitor's
        // could differ), so Vary too.
        (
            REFUSE_ALL,
            &["sessionid=1"],
            &["Accept-Encoding"],
            &["Accept-Encoding", "Cookie"],
        ),
        // No Set-Cookie and nothing deleted: no Vary.
        (REFUSE_ALL, &[], &["Accept-Encoding"], &["Accept-Encoding"]),
    ];
    for (cookie, set, existing, expected) in cases {
        let headers = run_with(
            &layer(|b| b),
            request("localhost", &[cookie]),
            set,
            existing,
            Seen::default(),
        )
        .await;
        assert_eq!(vary(&headers), *expected, "{cookie} {set:?} {existing:?}");
    }
    let headers = run_with(
        &layer(|b| b.vary_cookie(false)),
        request("localhost", &[&refused]),
        &["_fbp=1"],
        &[],
        Seen::default(),
    )
    .await;
    assert_eq!(
        set_cookies(&headers).len(),
        1,
        "the deletion is still there"
    );
    assert!(vary(&headers).is_empty());
}

// ---- Scrubbing ----------------------------------------------------------------------------

#[tokio::test]
async fn scrubbing_removes_refused_pairs_from_every_field_byte_for_byte() {
    let seen = Seen::default();
    let mut req = request("localhost", &[]);
    for field in [
        &b"_ga=GA1.1.1;sessionid=caf\xe9 ;  anon_stats=\xc3\xa9\t"[..],
        REFUSE_ALL.as_bytes(),
        b"_gid=2; _fbp=3",
        b"sessionid=\xff\xfe",
    ] {
        req.headers_mut()
            .append(COOKIE, HeaderValue::from_bytes(field).unwrap());
    }
    let headers = run_with(
        &layer(|b| b.scrub_request(true)),
        req,
        &[],
        &[],
        seen.clone(),
    )
    .await;
    assert_eq!(
        *seen.0.lock().unwrap(),
        [
            b"sessionid=caf\xe9; anon_stats=\xc3\xa9".to_vec(),
            REFUSE_ALL.as_bytes().to_vec(),
            b"sessionid=\xff\xfe".to_vec(),
        ]
    );
    // The deletions come from the cookies the browser sent, before scrubbing.
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_gid=; Path=/; {GONE}"),
            format!("_fbp=; Path=/; {GONE}"),
        ]
    );
}

#[tokio::test]
async fn scrubbing_follows_the_unknown_cookie_policy_and_keeps_untouched_fields() {
    let field = "promo=1; bad pair; sessionid=2";
    for (unknown, expected) in [
        (UnknownCookies::Block, vec![&b"sessionid=2"[..]]),
        (UnknownCookies::Allow, vec![field.as_bytes()]),
    ] {
        let seen = Seen::default();
        run_with(
            &layer(|b| b.scrub_request(true).unknown_cookies(unknown)),
            request("localhost", &[field, REFUSE_ALL]),
            &[],
            &[],
            seen.clone(),
        )
        .await;
        let mut expected = expected;
        expected.push(REFUSE_ALL.as_bytes());
        assert_eq!(*seen.0.lock().unwrap(), expected);
    }
}

#[tokio::test]
async fn scrubbing_applies_to_undecided_and_unreadable_visitors_and_is_off_by_default() {
    for consent in ["", "cookies_preferences=%7Bbroken; "] {
        let cookie = format!("{consent}_ga=1; sessionid=2");
        let seen = Seen::default();
        run_with(
            &layer(|b| b.scrub_request(true)),
            request("localhost", &[&cookie]),
            &[],
            &[],
            seen.clone(),
        )
        .await;
        let expected = format!("{consent}sessionid=2");
        assert_eq!(*seen.0.lock().unwrap(), [expected.into_bytes()]);

        let seen = Seen::default();
        run_with(
            &layer(|b| b),
            request("localhost", &[&cookie]),
            &[],
            &[],
            seen.clone(),
        )
        .await;
        assert_eq!(*seen.0.lock().unwrap(), [cookie.into_bytes()]);
    }
}

#[tokio::test]
async fn scrubbing_drops_a_field_left_empty() {
    let seen = Seen::default();
    run_with(
        &layer(|b| b.scrub_request(true)),
        request("localhost", &["_ga=1; _gid=2", REFUSE_ALL]),
        &[],
        &[],
        seen.clone(),
    )
    .await;
    assert_eq!(*seen.0.lock().unwrap(), [REFUSE_ALL.as_bytes().to_vec()]);
}

#[test]
fn a_cookie_needing_consent_in_a_category_that_does_not_is_deleted_when_the_rest_is_granted() {
    let registry = Registry::builder()
        .default_categories()
        .cookie(
            Declaration::exact("fingerprint")
                .category("necessary")
                .consent_required(true),
        )
        .cookie(Declaration::exact("_ga").category("statistics"))
        .build()
        .unwrap();
    let enforcer = CookieConsentLayer::builder(registry)
        .build_enforcer()
        .unwrap();
    let req = request(
        "localhost",
        &[
            "cookies_preferences=%7B%22functional%22%3Atrue%2C%22statistics%22%3Atrue%2C%22marketing%22%3Atrue%7D; _ga=1; fingerprint=2",
        ],
    );
    let consent = enforcer.read_consent(req.headers());
    assert_eq!(
        enforcer.deletions(req.uri(), req.headers(), &consent),
        [format!("fingerprint=; Path=/; {GONE}")]
    );
}

// ---- Over real TCP --------------------------------------------------------------------------

/// Serves `layer` around a handler setting a refused `_ga` on `127.0.0.1:<ephemeral>` with
/// axum, sends one request with hyper's client over HTTP/1.1 or HTTP/2 cleartext (prior
/// knowledge) and returns the response headers. The consent and the stored cookies are sent
/// in separate `cookie` fields, as browsers may over HTTP/2.
/// Every network step is bounded: a hang fails the test instead of stalling the run.
async fn bounded<F: std::future::Future>(
    future: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    tokio::time::timeout(std::time::Duration::from_secs(10), future).await
}

async fn over_tcp(http2: bool, authority: &str, cookie_fields: &[&str]) -> HeaderMap {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                (
                    [(SET_COOKIE, "_ga=GA1.1.9; Path=/; Max-Age=63072000")],
                    "ok",
                )
            }),
        )
        .layer(layer(|b| b));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut request = Request::builder();
    request = if http2 {
        // hyper sends the URI's authority as `:authority`.
        request
            .uri(format!("http://{authority}/"))
            .version(http::Version::HTTP_2)
    } else {
        request.uri("/").header(HOST, authority)
    };
    for field in cookie_fields {
        request = request.header(COOKIE, *field);
    }
    let request = request.body(Empty::<bytes::Bytes>::new()).unwrap();
    let io = TokioIo::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    let (parts, connection) = if http2 {
        let (mut sender, connection) = bounded(hyper::client::conn::http2::handshake(
            TokioExecutor::new(),
            io,
        ))
        .await
        .unwrap()
        .unwrap();
        let connection = tokio::spawn(connection);
        let response = bounded(sender.send_request(request))
            .await
            .unwrap()
            .unwrap();
        (response.into_parts(), connection)
    } else {
        let (mut sender, connection) = bounded(hyper::client::conn::http1::handshake(io))
            .await
            .unwrap()
            .unwrap();
        let connection = tokio::spawn(async move { connection.await.map(|_| ()) });
        let response = bounded(sender.send_request(request))
            .await
            .unwrap()
            .unwrap();
        (response.into_parts(), connection)
    };
    let (parts, body) = parts;
    assert_eq!(&body.collect().await.unwrap().to_bytes()[..], b"ok");
    connection.abort();
    server.abort();
    parts.headers
}

#[tokio::test]
async fn h2c_authority_on_a_localhost_subdomain_deletes_in_the_parent_domain() {
    let headers = over_tcp(
        true,
        "www.demo.localhost:8080",
        &["_ga=GA1.1.1; sessionid=abc", "_fbp=fb.1.2", REFUSE_ALL],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=www.demo.localhost; Path=/; {GONE}"),
            format!("_ga=; Domain=demo.localhost; Path=/; {GONE}"),
            format!("_fbp=; Path=/; {GONE}"),
            format!("_fbp=; Domain=www.demo.localhost; Path=/; {GONE}"),
            format!("_fbp=; Domain=demo.localhost; Path=/; {GONE}"),
        ]
    );
    assert_eq!(vary(&headers), ["Cookie"]);
}

#[tokio::test]
async fn http1_host_header_with_port() {
    let headers = over_tcp(
        false,
        "Shop.Example.com:3000",
        &[&format!("{REFUSE_ALL}; _ga=GA1.1.1")],
    )
    .await;
    assert_eq!(
        set_cookies(&headers),
        [
            format!("_ga=; Path=/; {GONE}"),
            format!("_ga=; Domain=shop.example.com; Path=/; {GONE}"),
            format!("_ga=; Domain=example.com; Path=/; {GONE}"),
        ]
    );
}

// ---- The response records a consent: deletions judged on the next request's consent ------

/// Runs a request holding `_ga` (statistics) and `_fbp` (marketing) under `cookie`, whose
/// response sets `set`, and returns the deletions appended.
async fn deletions_after(cookie: &str, gpc: bool, set: &[&'static str]) -> Vec<String> {
    let mut req = request("localhost", &[&format!("{cookie}; _ga=1; _fbp=2")]);
    if gpc {
        req.headers_mut()
            .insert("sec-gpc", http::HeaderValue::from_static("1"));
    }
    let headers = run_with(&layer(|b| b), req, set, &[], Seen::default()).await;
    set_cookies(&headers)
        .into_iter()
        .filter(|v| v.contains("Max-Age=0") && !v.starts_with("cookies_preferences"))
        .map(|v| v.split('=').next().unwrap().to_owned())
        .collect()
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[tokio::test]
async fn renewing_a_granting_consent_keeps_the_deletions_gpc_refuses() {
    let grant = ACCEPT_ALL.split_once('=').unwrap().1;
    let renewal = leak(format!(
        "cookies_preferences={grant}; Path=/; Max-Age=15552000"
    ));
    // Sec-GPC: 1 refuses marketing on every request, whatever the cookie says.
    assert_eq!(
        deletions_after(ACCEPT_ALL, true, &[renewal]).await,
        ["_fbp"]
    );
    assert!(deletions_after(ACCEPT_ALL, false, &[renewal])
        .await
        .is_empty());
}

#[tokio::test]
async fn a_consent_set_then_deleted_in_the_same_response_grants_nothing() {
    let grant = ACCEPT_ALL.split_once('=').unwrap().1;
    let set = leak(format!("cookies_preferences={grant}; Path=/"));
    let deleted = "cookies_preferences=; Path=/; Max-Age=0";
    assert_eq!(
        deletions_after(REFUSE_ALL, false, &[set, deleted]).await,
        ["_ga", "_fbp"]
    );
}

#[tokio::test]
async fn a_consent_cookie_that_may_not_come_back_changes_nothing() {
    let grant = ACCEPT_ALL.split_once('=').unwrap().1;
    for scope in ["; Domain=other.org", "; Path=/nowhere"] {
        let set = leak(format!("cookies_preferences={grant}{scope}"));
        assert_eq!(
            deletions_after(REFUSE_ALL, false, &[set]).await,
            ["_ga", "_fbp"],
            "{scope}"
        );
    }
}

#[tokio::test]
async fn the_last_consent_cookie_of_the_response_is_the_one_read() {
    let grant = ACCEPT_ALL.split_once('=').unwrap().1;
    let refuse = REFUSE_ALL.split_once('=').unwrap().1;
    let first = leak(format!("cookies_preferences={refuse}; Path=/"));
    let last = leak(format!("cookies_preferences={grant}; Path=/"));
    assert!(deletions_after(REFUSE_ALL, false, &[first, last])
        .await
        .is_empty());
    assert_eq!(
        deletions_after(REFUSE_ALL, false, &[last, first]).await,
        ["_ga", "_fbp"]
    );
}

/// OneTrust keeps the choice in two cookies: a response that renews `OptanonConsent` alone is
/// read with the request's `OptanonAlertBoxClosed` (the request's `Cookie` field is kept for
/// a reader of several consent cookies).
#[tokio::test]
async fn a_consent_recorded_in_one_of_two_cookies_is_read_with_the_other() {
    use tower_cookie_consent::formats::OneTrust;
    const CLOSED: &str = "OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z";
    const REFUSING: &str =
        "OptanonConsent=groups=C0001%3A1%2CC0002%3A0%2CC0004%3A0&AwaitingReconsent=false";
    const GRANTING: &str =
        "OptanonConsent=groups=C0001%3A1%2CC0002%3A1%2CC0004%3A1&AwaitingReconsent=false; Path=/";
    let layer = layer(|b| b.reader(OneTrust::new()).max_consent_age(None));
    let deleted = |headers: &HeaderMap| -> Vec<String> {
        set_cookies(headers)
            .into_iter()
            .filter(|v| v.contains("Max-Age=0"))
            .map(|v| v.split('=').next().unwrap().to_owned())
            .collect()
    };
    // The stored choice refuses statistics and marketing: both cookies are deleted.
    let req = request(
        "localhost",
        &[&format!("{CLOSED}; {REFUSING}; _ga=1; _fbp=2")],
    );
    let headers = run_with(&layer, req, &[], &[], Seen::default()).await;
    assert_eq!(deleted(&headers), ["_ga", "_fbp"]);
    // The response records a choice granting both: the next request carries the new
    // `OptanonConsent` and the stored `OptanonAlertBoxClosed`, so nothing is deleted.
    let req = request(
        "localhost",
        &[&format!("{CLOSED}; {REFUSING}; _ga=1; _fbp=2")],
    );
    let headers = run_with(&layer, req, &[GRANTING], &[], Seen::default()).await;
    assert!(deleted(&headers).is_empty(), "{:?}", set_cookies(&headers));
}
