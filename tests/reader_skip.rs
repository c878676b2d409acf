//! `ReadConsent::reads_only_consent_cookies`: the layer skips such a reader on a request
//! without any `Cookie` field, and still calls every other reader.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http::header::{COOKIE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use tower_cookie_consent::formats::{
    Complianz, CookieYes, Cookiebot, CookiesPreferences, DjangoCookieConsent, FirstDecided, Klaro,
    OneTrust, Tarteaucitron, Tcf, VanillaCookieConsent,
};
use tower_cookie_consent::{
    Category, Consent, ConsentRequest, ConsentState, CookieConsentLayer, Enforcer, ReadConsent,
    Registry,
};

fn registry() -> Registry {
    Registry::builder().default_categories().build().unwrap()
}

fn builtin() -> Vec<(&'static str, Box<dyn ReadConsent>)> {
    vec![
        ("CookiesPreferences", Box::new(CookiesPreferences::new())),
        ("Cookiebot", Box::new(Cookiebot::new())),
        ("OneTrust", Box::new(OneTrust::new())),
        ("Klaro", Box::new(Klaro::new())),
        (
            "VanillaCookieConsent",
            Box::new(VanillaCookieConsent::new()),
        ),
        ("Tarteaucitron", Box::new(Tarteaucitron::new())),
        ("CookieYes", Box::new(CookieYes::new())),
        ("DjangoCookieConsent", Box::new(DjangoCookieConsent::new())),
        ("Tcf", Box::new(Tcf::new())),
        (
            "FirstDecided",
            Box::new(FirstDecided::new().with(OneTrust::new()).with(Tcf::new())),
        ),
    ]
}

/// Headers of a first visit: everything but a `Cookie` field.
fn no_cookie() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, HeaderValue::from_static("test"));
    headers.insert("x-staff", HeaderValue::from_static("1"));
    headers
}

#[test]
fn every_builtin_reader_reads_only_consent_cookies_and_finds_no_decision_without_cookie() {
    let registry = registry();
    let headers = no_cookie();
    for (name, reader) in builtin() {
        assert!(reader.reads_only_consent_cookies(), "{name}");
        // What the layer assumes when it skips the reader.
        let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
        assert_eq!(consent, Consent::undecided(), "{name}");
    }
}

#[test]
fn complianz_reads_cookies_it_cannot_name() {
    // `cmplz_social` resolves to the registry's own `social` category without being mapped,
    // so its name is not among the consent cookie-names the reader gives.
    let registry = Registry::builder()
        .default_categories()
        .category(Category::new("social"))
        .build()
        .unwrap();
    let reader = Complianz::new();
    assert!(!reader.reads_only_consent_cookies());
    assert!(!reader
        .consent_cookie_names()
        .contains(&"cmplz_social".to_owned()));
    let mut headers = HeaderMap::new();
    headers.insert(
        COOKIE,
        HeaderValue::from_static("cmplz_social=allow; cmplz_banner-status=dismissed"),
    );
    let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
    assert!(consent.is_category_granted(registry.category_id("social").unwrap()));
}

#[test]
fn first_decided_reads_only_consent_cookies_when_every_reader_does() {
    let staff = |_: &ConsentRequest<'_>| Consent::undecided();
    assert!(FirstDecided::new().reads_only_consent_cookies());
    assert!(!FirstDecided::new()
        .with(CookiesPreferences::new())
        .with(staff)
        .reads_only_consent_cookies());
}

/// A reader that counts its calls and grants everything behind `x-staff: 1`.
struct Counting {
    calls: Arc<AtomicUsize>,
    cookies_only: bool,
}

impl ReadConsent for Counting {
    fn read_consent(&self, request: &ConsentRequest<'_>) -> Consent {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if request.headers().get("x-staff").is_some_and(|v| v == "1") {
            let mut consent = Consent::decided();
            for i in 0..request.registry().categories().len() {
                consent.grant_category(request.registry().category_id_at(i));
            }
            consent
        } else {
            Consent::undecided()
        }
    }

    fn reads_only_consent_cookies(&self) -> bool {
        self.cookies_only
    }
}

fn enforcer(cookies_only: bool) -> (Enforcer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let reader = Counting {
        calls: calls.clone(),
        cookies_only,
    };
    let enforcer = CookieConsentLayer::builder(registry())
        .reader(reader)
        .build_enforcer()
        .unwrap();
    (enforcer, calls)
}

#[test]
fn a_reader_that_may_read_other_headers_is_called_without_cookie() {
    let (enforcer, calls) = enforcer(false);
    let consent = enforcer.read_consent(&no_cookie());
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert_eq!(consent.state(), ConsentState::Decided);
}

#[test]
fn a_cookies_only_reader_is_skipped_without_cookie_and_called_with_one() {
    let (enforcer, calls) = enforcer(true);
    assert_eq!(enforcer.read_consent(&no_cookie()), Consent::undecided());
    assert_eq!(calls.load(Ordering::Relaxed), 0);

    let mut headers = no_cookie();
    headers.insert(COOKIE, HeaderValue::from_static("lang=fr"));
    let consent = enforcer.read_consent(&headers);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert_eq!(consent.state(), ConsentState::Decided);
}

#[test]
fn a_closure_reader_is_always_called() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let enforcer = CookieConsentLayer::builder(registry())
        .reader(move |_: &ConsentRequest<'_>| {
            seen.fetch_add(1, Ordering::Relaxed);
            Consent::undecided()
        })
        .build_enforcer()
        .unwrap();
    enforcer.read_consent(&no_cookie());
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}
