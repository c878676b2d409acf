//! Complianz reads a `cmplz_<id>` cookie for every category id and service id of the
//! registry; the layer must treat each of them as a consent cookie, or a choice the site
//! records in one (`cmplz_ga=deny`) is removed as an unknown cookie and never reaches the
//! browser. Through the layer, alone and inside a `FirstDecided` chain.

mod common;

use http::header::COOKIE;
use http::Request;
use tower_cookie_consent::formats::{Complianz, CookieYes, FirstDecided};
use tower_cookie_consent::{CookieConsentLayer, Declaration, ReadConsent, Registry};

fn registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .build()
        .unwrap()
}

/// Runs a request with the `Cookie` field `cookie` through a layer reading consent with
/// `reader`, around a handler answering with `set_cookies`; returns the `Set-Cookie` values
/// of the response.
fn run(reader: impl ReadConsent, cookie: &str, set_cookies: &[&str]) -> Vec<String> {
    let layer = CookieConsentLayer::builder(registry())
        .reader(reader)
        .build()
        .unwrap();
    let request = Request::builder()
        .uri("/settings")
        .header(COOKIE, cookie)
        .body(())
        .unwrap();
    let set_cookies: Vec<String> = set_cookies.iter().map(|v| (*v).to_owned()).collect();
    common::set_cookies(&common::respond(&layer, request, &set_cookies))
}

const GRANTED: &str = "cmplz_statistics=allow; cmplz_marketing=allow; _ga=1";

/// The `Set-Cookie` values that set `_ga` (not deletions of it).
fn ga_sets(set: &[String]) -> Vec<&String> {
    set.iter()
        .filter(|v| v.starts_with("_ga=") && !v.contains("Max-Age=0"))
        .collect()
}

fn assert_service_refusal_recorded(set: &[String]) {
    // The visitor's refusal of the service `ga` reaches the browser...
    assert!(
        set.iter().any(|v| v == "cmplz_ga=deny; Path=/"),
        "cmplz_ga removed: {set:?}"
    );
    // ... and, recorded by this response, applies to it at once: `_ga=2` is removed.
    assert!(
        ga_sets(set).is_empty(),
        "_ga set despite cmplz_ga=deny: {set:?}"
    );
    // The `_ga` the visitor holds, granted by the request's consent, is deleted at once.
    assert!(
        set.iter()
            .any(|v| v.starts_with("_ga=;") && v.contains("Max-Age=0")),
        "_ga not deleted: {set:?}"
    );
}

#[test]
fn a_per_service_choice_cookie_passes_and_applies_at_once() {
    let set = run(
        Complianz::new(),
        GRANTED,
        &["cmplz_ga=deny; Path=/", "_ga=2; Path=/"],
    );
    assert_service_refusal_recorded(&set);
}

#[test]
fn a_per_service_choice_cookie_passes_through_a_first_decided_chain() {
    let chain = FirstDecided::new()
        .with(CookieYes::new())
        .with(Complianz::new());
    let set = run(chain, GRANTED, &["cmplz_ga=deny; Path=/", "_ga=2; Path=/"]);
    assert_service_refusal_recorded(&set);
}

#[test]
fn a_per_category_choice_cookie_of_a_custom_prefix_passes() {
    // `cmplz_rt_statistics` is mapped by default (`statistics`); the registry's `ga` under
    // the site's prefix is read as well, and so passes too.
    let set = run(
        Complianz::new().prefix("cmplz_rt_"),
        "cmplz_rt_statistics=allow; _ga=1",
        &["cmplz_rt_ga=deny; Path=/", "_ga=2; Path=/"],
    );
    assert!(
        set.iter().any(|v| v == "cmplz_rt_ga=deny; Path=/"),
        "{set:?}"
    );
    assert!(ga_sets(&set).is_empty(), "{set:?}");
}

#[test]
fn without_a_recorded_refusal_the_granted_service_keeps_its_cookie() {
    // The control: the same request, a response that records nothing new: `_ga=2` passes
    // (so the tests above fail for the reason they name, not because `_ga` never passes).
    let set = run(Complianz::new(), GRANTED, &["_ga=2; Path=/"]);
    assert_eq!(ga_sets(&set).len(), 1, "{set:?}");
}

#[test]
fn a_cmplz_cookie_that_is_no_registry_id_is_not_a_consent_cookie() {
    // Only the registry's ids are listed, not every `cmplz_*` name: `cmplz_tracker` is read
    // as nothing, so it is judged as an unknown cookie and removed (the default policy for
    // unknown cookies), as is any other undeclared cookie.
    let set = run(
        Complianz::new(),
        GRANTED,
        &["cmplz_tracker=1; Path=/", "cmplz_ga=allow; Path=/"],
    );
    assert!(
        !set.iter().any(|v| v.starts_with("cmplz_tracker=")),
        "{set:?}"
    );
    assert!(set.iter().any(|v| v == "cmplz_ga=allow; Path=/"), "{set:?}");
}
