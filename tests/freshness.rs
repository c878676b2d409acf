//! Freshness through the layer: a consent older than the maximum age (default 13 months),
//! or recorded under an older registry revision, reads as undecided.

mod common;

use std::time::Duration;

use common::{now_ms, tc_string};
use tower_cookie_consent::formats::{CookieYes, DjangoCookieConsent, FirstDecided, Tcf};
use tower_cookie_consent::{
    ConsentDecision, ConsentState, CookieConsentLayer, CookiesPreferences, Declaration, Registry,
    DEFAULT_MAX_CONSENT_AGE,
};

const DAY: u64 = 24 * 3600 * 1000;

fn registry(revision: u64) -> Registry {
    Registry::builder()
        .default_categories()
        .revision(revision)
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .build()
        .unwrap()
}

/// `cookies_preferences` granting statistics, given `days_ago`, with an optional revision.
fn prefs(days_ago: u64, revision: Option<u64>) -> String {
    let revision = revision.map_or(String::new(), |r| format!(",\"revision\":{r}"));
    format!(
        "cookies_preferences={{\"statistics\":true,\"timestamp\":{}{revision}}}",
        now_ms() - days_ago * DAY
    )
}

/// A TC String granting every purpose, last updated `days_ago`.
fn tcf(days_ago: u64) -> String {
    let ds = (now_ms() - days_ago * DAY) / 100;
    let every_purpose: Vec<u8> = (1..=24).collect();
    format!("euconsent-v2={}", tc_string(&every_purpose, ds))
}

async fn run(layer: CookieConsentLayer, cookie: &str) -> (Vec<String>, ConsentDecision) {
    let set = ["sessionid=s; Path=/", "_ga=GA1.1.1.1; Path=/"];
    common::run(layer, &[cookie], &[], &set).await
}

fn layer() -> CookieConsentLayer {
    CookieConsentLayer::new(registry(0)).unwrap()
}

#[test]
fn default_maximum_age_is_thirteen_months() {
    assert_eq!(
        DEFAULT_MAX_CONSENT_AGE,
        Duration::from_secs(395 * 24 * 3600)
    );
}

#[tokio::test]
async fn recent_consent_counts() {
    for days in [0, 1, 200, 394] {
        let (names, decision) = run(layer(), &prefs(days, None)).await;
        assert_eq!(names, ["sessionid", "_ga"], "{days} days");
        assert!(decision.is_decided());
    }
}

#[tokio::test]
async fn consent_older_than_thirteen_months_is_undecided() {
    for days in [396, 800, 5000] {
        let (names, decision) = run(layer(), &prefs(days, None)).await;
        assert_eq!(names, ["sessionid"], "{days} days");
        // Expired is "ask again", not "broken".
        assert_eq!(decision.consent().state(), ConsentState::Undecided);
    }
}

#[tokio::test]
async fn maximum_age_is_configurable() {
    let six_months = CookieConsentLayer::builder(registry(0))
        .max_consent_age(Some(Duration::from_secs(183 * 24 * 3600)))
        .build()
        .unwrap();
    let (names, _) = run(six_months.clone(), &prefs(100, None)).await;
    assert_eq!(names, ["sessionid", "_ga"]);
    let (names, decision) = run(six_months, &prefs(200, None)).await;
    assert_eq!(names, ["sessionid"]);
    assert!(!decision.is_decided());

    let forever = CookieConsentLayer::builder(registry(0))
        .max_consent_age(None)
        .build()
        .unwrap();
    let (names, decision) = run(forever, &prefs(5000, None)).await;
    assert_eq!(names, ["sessionid", "_ga"]);
    assert!(decision.is_decided());
}

#[tokio::test]
async fn a_registry_revision_other_than_the_current_one_is_undecided() {
    let layer = CookieConsentLayer::new(registry(3)).unwrap();
    // Older (the cookie list changed since) and newer (a rolled-back or forged value).
    for revision in [2, 4] {
        let (names, decision) = run(layer.clone(), &prefs(1, Some(revision))).await;
        assert_eq!(names, ["sessionid"], "revision {revision}");
        assert_eq!(decision.consent().state(), ConsentState::Undecided);
    }
    let (names, decision) = run(layer.clone(), &prefs(1, Some(3))).await;
    assert_eq!(names, ["sessionid", "_ga"]);
    assert!(decision.is_decided());
    // A consent that records no revision is not judged on it.
    let (names, _) = run(layer, &prefs(1, None)).await;
    assert_eq!(names, ["sessionid", "_ga"]);
}

#[tokio::test]
async fn tcf_last_updated_is_the_time_of_choice() {
    let layer = CookieConsentLayer::builder(registry(0))
        .reader(Tcf::new())
        .build()
        .unwrap();
    let (names, decision) = run(layer.clone(), &tcf(30)).await;
    assert_eq!(names, ["sessionid", "_ga"]);
    assert!(decision.is_decided());
    let (names, decision) = run(layer, &tcf(400)).await;
    assert_eq!(names, ["sessionid"]);
    assert_eq!(decision.consent().state(), ConsentState::Undecided);
}

#[tokio::test]
async fn formats_without_a_time_of_choice_are_not_aged() {
    // CookieYes's `lastRenewedDate` is the site's re-consent date, not the visitor's choice.
    let layer = CookieConsentLayer::builder(registry(0))
        .reader(CookieYes::new())
        .build()
        .unwrap();
    let (names, decision) = run(
        layer,
        "cookieyes-consent=consentid:x,consent:yes,action:yes,analytics:yes,lastRenewedDate:1500000000000",
    )
    .await;
    assert_eq!(names, ["sessionid", "_ga"]);
    assert_eq!(decision.consent().timestamp_ms(), None);

    // django-cookie-consent's version is the group's cookie list date, not the choice.
    let layer = CookieConsentLayer::builder(registry(0))
        .reader(DjangoCookieConsent::new())
        .build()
        .unwrap();
    let (names, decision) = run(layer, "cookie_consent=statistics=2015-01-01T00:00:00+00:00").await;
    assert_eq!(names, ["sessionid", "_ga"]);
    assert_eq!(decision.consent().timestamp_ms(), None);
}

#[tokio::test]
async fn combined_readers_are_aged_on_the_winner() {
    let layer = CookieConsentLayer::builder(registry(0))
        .reader(
            FirstDecided::new()
                .with(Tcf::new())
                .with(CookiesPreferences::new()),
        )
        .build()
        .unwrap();
    // The first reader decided, but long ago: the visitor is asked again, even though the
    // second cookie is fresh.
    let (names, decision) = run(layer.clone(), &format!("{}; {}", tcf(400), prefs(1, None))).await;
    assert_eq!(names, ["sessionid"]);
    assert!(!decision.is_decided());
    let (names, decision) = run(layer, &format!("{}; {}", tcf(1), prefs(400, None))).await;
    assert_eq!(names, ["sessionid", "_ga"]);
    assert!(decision.is_decided());
}
