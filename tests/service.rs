//! Behaviour of the layer through `tower::ServiceExt::oneshot`: one test per kind of input
//! in the project's field notes (request `Cookie` header, response `Set-Cookie` headers).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use tower::{service_fn, ServiceBuilder, ServiceExt};
use tower_cookie_consent::{
    Category, ConsentDecision, ConsentState, CookieConsentLayer, CookieEvent, Declaration, Reason,
    Registry, UnknownCookies,
};

fn registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("csrftoken").category("necessary"))
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
            Declaration::exact("_gid")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::pattern("_pk_id.*")
                .category("statistics")
                .service("matomo"),
        )
        .cookie(
            Declaration::exact("_pk_anon")
                .category("statistics")
                .exempt(),
        )
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("meta"),
        )
        .cookie(Declaration::exact("theme").category("functional"))
        .build()
        .unwrap()
}

/// Raw JSON `cookies_preferences` value, percent-encoded as a banner writes it.
fn prefs(json: &str) -> String {
    format!("cookies_preferences={}", percent_encode(json.as_bytes()))
}

fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-_.!~*()".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const MIX: [&str; 7] = [
    "sessionid=s1; HttpOnly; Path=/",
    "_ga=GA1.1.1.1; Max-Age=63072000; Path=/",
    "_pk_id.1.a1b2=xyz; Path=/",
    "_fbp=fb.1.2.3; Path=/",
    "theme=dark; Path=/",
    "promo_seen=1; Path=/",
    "_pk_anon=1; Path=/",
];

/// Runs `request` through the layer around a handler that sets `set_cookies` (plus other
/// headers and a body), returning the response.
async fn run_with(
    layer: CookieConsentLayer,
    request: Request<String>,
    status: StatusCode,
    set_cookies: &'static [&'static str],
) -> Response<String> {
    let svc = ServiceBuilder::new().layer(layer).service(service_fn(
        move |_req: Request<String>| async move {
            let mut response = Response::builder()
                .status(status)
                .header(CONTENT_TYPE, "text/html; charset=utf-8")
                .header(CACHE_CONTROL, "no-store")
                .header("x-multi", "one")
                .header("x-multi", "two");
            for value in set_cookies {
                response = response.header(SET_COOKIE, *value);
            }
            Ok::<_, Infallible>(response.body("<p>body</p>".to_owned()).unwrap())
        },
    ));
    svc.oneshot(request).await.unwrap()
}

async fn run(cookie_fields: &[&[u8]], set_cookies: &'static [&'static str]) -> Vec<String> {
    let mut request = Request::new(String::new());
    for field in cookie_fields {
        request
            .headers_mut()
            .append(COOKIE, HeaderValue::from_bytes(field).unwrap());
    }
    let response = run_with(
        CookieConsentLayer::new(registry()).unwrap(),
        request,
        StatusCode::OK,
        set_cookies,
    )
    .await;
    set_cookie_names(&response)
}

fn set_cookie_names(response: &Response<String>) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| {
            let s = String::from_utf8_lossy(v.as_bytes()).into_owned();
            s.split(['=', ';']).next().unwrap().trim().to_owned()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The request `Cookie` header
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn no_consent_keeps_only_strictly_necessary_and_exempt_cookies() {
    assert_eq!(run(&[], &MIX).await, ["sessionid", "_pk_anon"]);
}

#[tokio::test]
async fn granted_category_keeps_its_cookies() {
    let c = prefs(r#"{"statistics":true}"#);
    assert_eq!(
        run(&[c.as_bytes()], &MIX).await,
        ["sessionid", "_ga", "_pk_id.1.a1b2", "_pk_anon"]
    );
}

#[tokio::test]
async fn consent_in_a_separate_cookie_field_is_read() {
    // HTTP/2 (RFC 9113 §8.2.3) may split cookies over several fields.
    let c = prefs(r#"{"statistics":true}"#);
    assert_eq!(
        run(&[b"a=1; b=2", c.as_bytes(), b"c=3"], &MIX).await,
        ["sessionid", "_ga", "_pk_id.1.a1b2", "_pk_anon"]
    );
}

#[tokio::test]
async fn non_utf8_neighbour_does_not_hide_consent() {
    let c = format!("lang=fran\u{e7}ais; {}", prefs(r#"{"marketing":true}"#));
    let mut field = c.into_bytes();
    // Replace the UTF-8 encoding of 'ç' by its Latin-1 byte, as old browsers send it.
    let pos = field.windows(2).position(|w| w == "ç".as_bytes()).unwrap();
    field.splice(pos..pos + 2, [0xE7]);
    assert_eq!(
        run(&[&field], &MIX).await,
        ["sessionid", "_fbp", "_pk_anon"]
    );
}

#[tokio::test]
async fn one_bad_pair_does_not_spoil_the_rest() {
    let c = format!(
        "novalue; =empty; a b=1; j={{\"x\":1,\"y\":2}};\t{}",
        prefs(r#"{"functional":true}"#)
    );
    assert_eq!(
        run(&[c.as_bytes()], &MIX).await,
        ["sessionid", "theme", "_pk_anon"]
    );
}

#[tokio::test]
async fn commas_are_data_in_raw_json_consent() {
    let c = br#"cookies_preferences={"functional":true,"marketing":true}"#;
    assert_eq!(
        run(&[c], &MIX).await,
        ["sessionid", "_fbp", "theme", "_pk_anon"]
    );
}

#[tokio::test]
async fn quotes_do_not_protect_a_semicolon() {
    // Browsers split at every `;`: the quoted value is cut, so the consent is malformed.
    let c = br#"cookies_preferences="{\"statistics\":true;\"x\":1}""#;
    assert_eq!(run(&[c], &MIX).await, ["sessionid", "_pk_anon"]);
}

#[tokio::test]
async fn duplicated_consent_cookie_never_widens_consent() {
    let generous = prefs(r#"{"statistics":true,"marketing":true}"#);
    let strict = prefs(r#"{"statistics":true,"marketing":false}"#);
    for fields in [
        [generous.as_bytes(), strict.as_bytes()],
        [strict.as_bytes(), generous.as_bytes()],
    ] {
        assert_eq!(
            run(&fields, &MIX).await,
            ["sessionid", "_ga", "_pk_id.1.a1b2", "_pk_anon"]
        );
    }
}

#[tokio::test]
async fn cookie_names_are_case_sensitive_and_exact() {
    let fields = [
        &br#"cookies_preferences_set={"statistics":true}"#[..],
        br#"Cookies_Preferences={"statistics":true}"#,
        br#" cookies_preferences ={"marketing":true}"#, // trimmed SP: this one counts
    ];
    assert_eq!(run(&fields, &MIX).await, ["sessionid", "_fbp", "_pk_anon"]);
    // NBSP is not whitespace to trim: `\u{a0}cookies_preferences` is another name.
    let nbsp = "\u{a0}cookies_preferences={\"marketing\":true}".as_bytes();
    assert_eq!(run(&[nbsp], &MIX).await, ["sessionid", "_pk_anon"]);
}

#[tokio::test]
async fn oversized_or_malformed_consent_grants_nothing_but_necessary_passes() {
    let huge = format!(
        "cookies_preferences={{\"statistics\":true,\"pad\":\"{}\"}}",
        "x".repeat(8000)
    );
    let deep = format!(
        "cookies_preferences={{\"statistics\":true,\"x\":{}",
        "[".repeat(5000)
    );
    for field in [
        huge.as_bytes(),
        deep.as_bytes(),
        b"cookies_preferences=%7B%22statistics%22%3Atrue",
        b"cookies_preferences=%ZZ",
        br#"cookies_preferences={"statistics":"yes"}"#,
        br#"cookies_preferences=["statistics"]"#,
    ] {
        assert_eq!(run(&[field], &MIX).await, ["sessionid", "_pk_anon"]);
    }
}

#[tokio::test]
async fn many_cookie_fields_and_pairs_are_fine() {
    let big = (0..2000)
        .map(|i| format!("c{i}=v{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    let c = prefs(r#"{"statistics":true}"#);
    assert_eq!(
        run(&[big.as_bytes(), c.as_bytes()], &MIX).await,
        ["sessionid", "_ga", "_pk_id.1.a1b2", "_pk_anon"]
    );
}

// ---------------------------------------------------------------------------------------
// The response `Set-Cookie` headers
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn removes_the_second_and_fourth_of_five_keeping_order_and_everything_else() {
    static FIVE: [&str; 5] = [
        "sessionid=1; Path=/",
        "_ga=2; Path=/",
        "csrftoken=3; Path=/",
        "_fbp=4; Path=/",
        "theme=5; Path=/",
    ];
    let c = prefs(r#"{"functional":true}"#);
    let request = Request::builder()
        .header(COOKIE, c)
        .body(String::new())
        .unwrap();
    let response = run_with(
        CookieConsentLayer::new(registry()).unwrap(),
        request,
        StatusCode::OK,
        &FIVE,
    )
    .await;
    let values: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(
        values,
        [
            "sessionid=1; Path=/",
            "csrftoken=3; Path=/",
            "theme=5; Path=/"
        ]
    );
    assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let multi: Vec<_> = response.headers().get_all("x-multi").iter().collect();
    assert_eq!(multi, ["one", "two"]);
    assert_eq!(response.body(), "<p>body</p>");
}

#[tokio::test]
async fn expires_commas_are_not_separators() {
    static SET: [&str; 2] = [
        "sessionid=1; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Path=/",
        "_ga=2; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Path=/",
    ];
    let response = run(&[], &SET).await;
    assert_eq!(response, ["sessionid"]);
}

#[tokio::test]
async fn a_folded_field_is_dropped_if_any_cookie_in_it_is_refused() {
    static SET: [&str; 3] = [
        "sessionid=1; Path=/, _ga=GA1; Path=/",
        "csrftoken=1; Expires=Tue, 22 Jun 2027 10:00:00 GMT, sessionid=2",
        "theme=1, _gid=2",
    ];
    let c = prefs(r#"{"functional":true}"#);
    assert_eq!(run(&[c.as_bytes()], &SET).await, ["csrftoken"]);
}

#[tokio::test]
async fn nameless_cookies_are_never_allowed_even_when_unknown_cookies_are() {
    static SET: [&str; 4] = [
        "=cookies_preferences={}; Path=/",
        "sessionid; Path=/",
        "   =x",
        "sessionid=ok",
    ];
    let layer = CookieConsentLayer::builder(registry())
        .unknown_cookies(UnknownCookies::Allow)
        .build()
        .unwrap();
    let response = run_with(layer, Request::new(String::new()), StatusCode::OK, &SET).await;
    let values: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(values, ["sessionid=ok"]);
}

#[tokio::test]
async fn cookie_name_is_what_the_browser_stores() {
    // RFC 6265bis §5.6: trim SP/HTAB, split at the first `=`, nothing decoded.
    static SET: [&str; 5] = [
        " \tsessionid \t= 1",
        "%5Fga=1",
        "_ga =x=y",
        "_GA=1",
        "sessionid\u{a0}=1",
    ];
    let c = prefs(r#"{"statistics":true}"#);
    assert_eq!(run(&[c.as_bytes()], &SET).await, ["sessionid", "_ga"]);
}

#[tokio::test]
async fn deletions_pass_but_only_when_they_really_delete() {
    static SET: [&str; 8] = [
        "_ga=; Max-Age=0; Path=/",
        "_gid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
        "_fbp=; Expires=Thu, 01-Jan-70 00:00:01 GMT",
        "promo_seen=; max-age=-1",
        "theme=dark; Max-Age=-",
        "theme=dark; Max-Age=",
        "_ga=GA1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=600",
        "_gid=x; Max-Age=600; Max-Age=0x",
    ];
    assert_eq!(run(&[], &SET).await, ["_ga", "_gid", "_fbp", "promo_seen"]);
}

#[tokio::test]
async fn every_status_and_head_is_filtered() {
    static SET: [&str; 2] = ["sessionid=1", "_ga=2"];
    for status in [
        StatusCode::OK,
        StatusCode::FOUND,
        StatusCode::NOT_MODIFIED,
        StatusCode::NOT_FOUND,
        StatusCode::INTERNAL_SERVER_ERROR,
    ] {
        let response = run_with(
            CookieConsentLayer::new(registry()).unwrap(),
            Request::new(String::new()),
            status,
            &SET,
        )
        .await;
        assert_eq!(response.status(), status);
        assert_eq!(set_cookie_names(&response), ["sessionid"], "{status}");
    }
    let head = Request::builder()
        .method(Method::HEAD)
        .body(String::new())
        .unwrap();
    let response = run_with(
        CookieConsentLayer::new(registry()).unwrap(),
        head,
        StatusCode::OK,
        &SET,
    )
    .await;
    assert_eq!(set_cookie_names(&response), ["sessionid"]);
}

#[tokio::test]
async fn redirects_keep_their_location() {
    let svc = ServiceBuilder::new()
        .layer(CookieConsentLayer::new(registry()).unwrap())
        .service(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(
                Response::builder()
                    .status(StatusCode::SEE_OTHER)
                    .header(LOCATION, "/next")
                    .header(SET_COOKIE, "_fbp=1")
                    .body(())
                    .unwrap(),
            )
        }));
    let response = svc.oneshot(Request::new(())).await.unwrap();
    assert_eq!(response.headers()[LOCATION], "/next");
    assert!(response.headers().get(SET_COOKIE).is_none());
}

// ---------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_service_decision_overrides_its_category() {
    // Category granted, service refused; and category refused, service granted.
    let c = prefs(r#"{"statistics":true,"ga":false,"marketing":false,"meta":true}"#);
    assert_eq!(
        run(&[c.as_bytes()], &MIX).await,
        ["sessionid", "_pk_id.1.a1b2", "_fbp", "_pk_anon"]
    );
}

#[tokio::test]
async fn the_consent_cookie_itself_always_passes() {
    static SET: [&str; 2] = [
        "cookies_preferences=%7B%7D; Max-Age=15552000; Path=/",
        "_ga=1",
    ];
    assert_eq!(run(&[], &SET).await, ["cookies_preferences"]);
}

#[tokio::test]
async fn unknown_cookies_follow_the_policy() {
    static SET: [&str; 2] = ["promo_seen=1", "sessionid=1"];
    let allow = CookieConsentLayer::builder(registry())
        .unknown_cookies(UnknownCookies::Allow)
        .build()
        .unwrap();
    let response = run_with(allow, Request::new(String::new()), StatusCode::OK, &SET).await;
    assert_eq!(set_cookie_names(&response), ["promo_seen", "sessionid"]);

    let treat_as = || {
        CookieConsentLayer::builder(registry())
            .unknown_cookies(UnknownCookies::TreatAs("functional".into()))
            .build()
            .unwrap()
    };
    let response = run_with(
        treat_as(),
        Request::new(String::new()),
        StatusCode::OK,
        &SET,
    )
    .await;
    assert_eq!(set_cookie_names(&response), ["sessionid"]);
    let granted = Request::builder()
        .header(COOKIE, prefs(r#"{"functional":true}"#))
        .body(String::new())
        .unwrap();
    let response = run_with(treat_as(), granted, StatusCode::OK, &SET).await;
    assert_eq!(set_cookie_names(&response), ["promo_seen", "sessionid"]);

    let err = CookieConsentLayer::builder(registry())
        .unknown_cookies(UnknownCookies::TreatAs("nope".into()))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`nope`"), "{err}");
}

#[tokio::test]
async fn the_decision_reaches_the_application() {
    let seen: Arc<Mutex<Option<ConsentDecision>>> = Arc::default();
    let seen2 = seen.clone();
    let svc = ServiceBuilder::new()
        .layer(CookieConsentLayer::new(registry()).unwrap())
        .service(service_fn(move |req: Request<()>| {
            let seen = seen2.clone();
            async move {
                *seen.lock().unwrap() = req.extensions().get::<ConsentDecision>().cloned();
                Ok::<_, Infallible>(Response::new(()))
            }
        }));
    let request = Request::builder()
        .header(COOKIE, prefs(r#"{"statistics":true,"ga":false}"#))
        .body(())
        .unwrap();
    svc.oneshot(request).await.unwrap();
    let decision = seen.lock().unwrap().take().expect("decision in extensions");
    assert!(decision.is_decided());
    assert_eq!(decision.consent().state(), ConsentState::Decided);
    assert!(decision.allows_cookie("sessionid"));
    assert!(!decision.allows_cookie("_ga"));
    assert!(decision.allows_cookie("_pk_id.1.x"));
    assert!(!decision.allows_cookie("promo_seen"));
    assert!(decision.allows_category("statistics"));
    assert!(decision.allows_category("necessary"));
    assert!(!decision.allows_category("marketing"));
    assert!(!decision.allows_category("no-such-category"));
    assert!(!decision.allows_service("ga"));
    assert!(decision.allows_service("matomo"));
    assert!(!decision.allows_service("meta"));
    assert!(!decision.gpc_applied());
}

#[tokio::test]
async fn without_the_decision_extension_the_layer_still_enforces() {
    let saw_decision = Arc::new(Mutex::new(None));
    let saw = saw_decision.clone();
    let svc = ServiceBuilder::new()
        .layer(
            CookieConsentLayer::builder(registry())
                .decision_extension(false)
                .build()
                .unwrap(),
        )
        .service(service_fn(move |req: Request<()>| {
            let saw = saw.clone();
            async move {
                *saw.lock().unwrap() = Some(req.extensions().get::<ConsentDecision>().is_some());
                let mut response = Response::new(());
                for v in ["sessionid=1; Path=/", "_ga=GA1.1; Path=/"] {
                    response
                        .headers_mut()
                        .append(SET_COOKIE, HeaderValue::from_static(v));
                }
                Ok::<_, Infallible>(response)
            }
        }));
    let request = Request::builder()
        .header(COOKIE, prefs(r#"{"statistics":false}"#))
        .body(())
        .unwrap();
    let response = svc.oneshot(request).await.unwrap();
    assert_eq!(*saw_decision.lock().unwrap(), Some(false));
    let kept: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(kept, ["sessionid=1; Path=/"]);
}

#[tokio::test]
async fn gpc_switches_off_sale_or_sharing_categories() {
    let request = Request::builder()
        .header(COOKIE, prefs(r#"{"marketing":true,"statistics":true}"#))
        .header("sec-gpc", "1")
        .body(String::new())
        .unwrap();
    let response = run_with(
        CookieConsentLayer::new(registry()).unwrap(),
        request,
        StatusCode::OK,
        &MIX,
    )
    .await;
    assert_eq!(
        set_cookie_names(&response),
        ["sessionid", "_ga", "_pk_id.1.a1b2", "_pk_anon"]
    );
}

// ---------------------------------------------------------------------------------------
// Report-only mode and observability
// ---------------------------------------------------------------------------------------

type Events = Arc<Mutex<Vec<(String, bool, Reason, Option<String>)>>>;

fn recording_layer(report_only: bool) -> (CookieConsentLayer, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let layer = CookieConsentLayer::builder(registry())
        .report_only(report_only)
        .on_cookie_event(move |e: &CookieEvent<'_>| {
            sink.lock().unwrap().push((
                e.name_lossy().into_owned(),
                e.removed,
                e.verdict.reason(),
                e.category.map(|c| c.id().to_owned()),
            ));
        })
        .build()
        .unwrap();
    (layer, events)
}

#[tokio::test]
async fn the_hook_sees_every_judged_cookie() {
    let (layer, events) = recording_layer(false);
    let response = run_with(layer, Request::new(String::new()), StatusCode::OK, &MIX).await;
    assert_eq!(set_cookie_names(&response), ["sessionid", "_pk_anon"]);
    let events = events.lock().unwrap();
    let stat = Some("statistics".to_owned());
    assert_eq!(
        *events,
        [
            (
                "sessionid".into(),
                false,
                Reason::Exempt,
                Some("necessary".into())
            ),
            ("_ga".into(), true, Reason::CategoryNotGranted, stat.clone()),
            (
                "_pk_id.1.a1b2".into(),
                true,
                Reason::CategoryNotGranted,
                stat.clone()
            ),
            (
                "_fbp".into(),
                true,
                Reason::CategoryNotGranted,
                Some("marketing".into())
            ),
            (
                "theme".into(),
                true,
                Reason::CategoryNotGranted,
                Some("functional".into())
            ),
            ("promo_seen".into(), true, Reason::Unknown, None),
            ("_pk_anon".into(), false, Reason::Exempt, stat),
        ]
    );
}

#[tokio::test]
async fn report_only_mode_removes_nothing_but_reports() {
    let (layer, events) = recording_layer(true);
    let response = run_with(layer, Request::new(String::new()), StatusCode::OK, &MIX).await;
    let values: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(values, MIX);
    let events = events.lock().unwrap();
    assert_eq!(events.len(), MIX.len());
    assert!(events.iter().all(|(_, removed, _, _)| !removed));
    let refused = events
        .iter()
        .filter(|(_, _, reason, _)| !matches!(reason, Reason::Exempt))
        .count();
    assert_eq!(refused, 5);
}

#[test]
fn a_tracing_event_names_each_removed_cookie() {
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    let buf = Buf::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(buf.clone())
        .finish();
    let enforcer = CookieConsentLayer::builder(registry())
        .build_enforcer()
        .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.append(SET_COOKIE, HeaderValue::from_static("_fbp=1"));
    headers.append(SET_COOKIE, HeaderValue::from_static("sessionid=1"));
    tracing::subscriber::with_default(subscriber, || {
        enforcer.filter(&mut headers, &tower_cookie_consent::Consent::undecided());
    });
    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("Set-Cookie removed"), "{log}");
    assert!(log.contains("cookie_name=_fbp"), "{log}");
    assert!(log.contains("category=\"marketing\""), "{log}");
    assert!(log.contains("reason=\"category_not_granted\""), "{log}");
    assert!(!log.contains("cookie_name=sessionid"), "{log}");
}

#[test]
fn registry_validation_names_the_offending_entry() {
    let base = || Registry::builder().category(Category::necessary());
    let cases: Vec<(tower_cookie_consent::RegistryBuilder, &str)> = vec![
        (
            base().cookie(Declaration::exact("a").category("nope")),
            "cookie declaration #0 (`a`) names category `nope`",
        ),
        (
            base()
                .cookie(Declaration::exact("a").category("necessary"))
                .cookie(Declaration::exact("a").category("necessary")),
            "cookie declaration #1 (`a`) repeats",
        ),
        (
            base().cookie(Declaration::prefix("").category("necessary")),
            "#0 has an empty prefix",
        ),
        (
            base().cookie(Declaration::pattern("_pk").category("necessary")),
            "invalid pattern `_pk`",
        ),
        (
            base().cookie(Declaration::pattern("**").category("necessary")),
            "invalid pattern `**`",
        ),
        (
            base().cookie(Declaration::exact("a b").category("necessary")),
            "(`a b`): it holds a space",
        ),
        (base().category(Category::new("")), "category #1 has no id"),
        (
            base().category(Category::necessary()),
            "category `necessary` is declared twice",
        ),
        (
            base().cookie(
                Declaration::exact("a")
                    .category("necessary")
                    .service("necessary"),
            ),
            "`necessary` is both a category id and a service id",
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.build().unwrap_err();
        assert!(err.to_string().contains(expected), "{err} !~ {expected}");
    }
}

#[test]
fn lookup_precedence_is_exact_then_longest_prefix_then_first_pattern() {
    let registry = Registry::builder()
        .default_categories()
        .cookie(
            Declaration::pattern("_ga*")
                .category("marketing")
                .purpose("pattern 1"),
        )
        .cookie(
            Declaration::pattern("_g?_*")
                .category("marketing")
                .purpose("pattern 2"),
        )
        .cookie(
            Declaration::prefix("_g")
                .category("functional")
                .purpose("short prefix"),
        )
        .cookie(
            Declaration::prefix("_ga_")
                .category("statistics")
                .purpose("long prefix"),
        )
        .cookie(
            Declaration::exact("_ga_X")
                .category("necessary")
                .purpose("exact"),
        )
        .cookie(
            Declaration::pattern("x?z")
                .category("necessary")
                .purpose("pattern 3"),
        )
        .build()
        .unwrap();
    let purpose = |name: &str| {
        registry
            .lookup(name.as_bytes())
            .map(|d| d.purpose_text().to_owned())
    };
    assert_eq!(purpose("_ga_X").as_deref(), Some("exact"));
    assert_eq!(purpose("_ga_Y").as_deref(), Some("long prefix"));
    assert_eq!(purpose("_gid").as_deref(), Some("short prefix"));
    assert_eq!(purpose("xyz").as_deref(), Some("pattern 3"));
    assert_eq!(purpose("xyyz"), None);
    assert_eq!(purpose("x\u{e9}z"), None, "`?` is one byte");
    assert_eq!(purpose("_x"), None);
}

#[test]
fn among_patterns_the_first_declared_that_matches_the_whole_name_wins() {
    let build = |first: &str, second: &str| {
        Registry::builder()
            .default_categories()
            .cookie(
                Declaration::pattern(first)
                    .category("necessary")
                    .purpose("first"),
            )
            .cookie(
                Declaration::pattern(second)
                    .category("necessary")
                    .purpose("second"),
            )
            .build()
            .unwrap()
    };
    let purpose = |r: &Registry, name: &str| {
        r.lookup(name.as_bytes())
            .map(|d| d.purpose_text().to_owned())
    };
    let r = build("a*", "*z");
    assert_eq!(purpose(&r, "abz").as_deref(), Some("first"));
    assert_eq!(purpose(&r, "bz").as_deref(), Some("second"));
    assert_eq!(purpose(&r, "ab").as_deref(), Some("first"));
    let r = build("*z", "a*");
    assert_eq!(purpose(&r, "abz").as_deref(), Some("first"));
    assert_eq!(purpose(&r, "ab").as_deref(), Some("second"));
    // A pattern that matches only a prefix of the name does not win over a later full match.
    let r = build("ab?", "ab*");
    assert_eq!(purpose(&r, "abcd").as_deref(), Some("second"));
    assert_eq!(purpose(&r, "abc").as_deref(), Some("first"));
}

#[tokio::test]
async fn an_expires_before_the_response_date_but_after_our_clock_is_a_set() {
    // Chromium stores `Expires` shifted by (its clock - the response's `Date`): with a `Date`
    // in 2000, an `Expires` in 2012 lies in its future, so this is a set, not a deletion.
    let svc = ServiceBuilder::new()
        .layer(CookieConsentLayer::new(registry()).unwrap())
        .service(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(
                Response::builder()
                    .header(http::header::DATE, "Sat, 01 Jan 2000 00:00:00 GMT")
                    .header(
                        SET_COOKIE,
                        "_fbp=fb.1.2; Path=/; Expires=Sun, 01 Jan 2012 00:00:00 GMT",
                    )
                    .header(
                        SET_COOKIE,
                        "_ga=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                    )
                    .body(())
                    .unwrap(),
            )
        }));
    let response = svc.oneshot(Request::new(())).await.unwrap();
    let values: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(
        values,
        ["_ga=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    );
}

#[test]
fn a_folded_field_never_borrows_a_later_cookies_deletion() {
    let enforcer = CookieConsentLayer::builder(registry())
        .build_enforcer()
        .unwrap();
    let now = std::time::SystemTime::now();
    let undecided = tower_cookie_consent::Consent::undecided();
    for folded in [
        &b"_ga=GA1.2.3; Path=/, cookies_preferences=; Max-Age=0"[..],
        b"_ga=GA1.2.3, sessionid=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ] {
        let verdict = enforcer.judge_set_cookie(folded, &undecided, now);
        assert!(!verdict.is_allowed(), "{}", String::from_utf8_lossy(folded));
    }
}

#[test]
fn a_time_of_choice_far_in_the_future_is_not_a_choice_even_without_a_maximum_age() {
    let enforcer = CookieConsentLayer::builder(registry())
        .max_consent_age(None)
        .build_enforcer()
        .unwrap();
    let now = std::time::SystemTime::now();
    let ms =
        |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let read = |at: u128| {
        let mut headers = http::HeaderMap::new();
        let value = prefs(&format!(r#"{{"statistics":true,"timestamp":{at}}}"#));
        headers.insert(COOKIE, HeaderValue::from_str(&value).unwrap());
        enforcer.read_consent_at(&headers, now).state()
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    assert_eq!(read(ms(now + 400 * day)), ConsentState::Undecided);
    assert_eq!(read(ms(now + day / 2)), ConsentState::Decided);
    assert_eq!(read(ms(now - 4000 * day)), ConsentState::Decided);
}
