//! Freshness through the layer: a consent older than the maximum age (default 13 months),
//! or recorded under an older registry revision, reads as undecided.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use tower::{service_fn, ServiceBuilder, ServiceExt};
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

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
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
    let mut bits: Vec<bool> = Vec::new();
    let mut push = |v: u64, len: usize| {
        for i in (0..len).rev() {
            bits.push((v >> i) & 1 == 1);
        }
    };
    push(2, 6);
    push(ds, 36);
    push(ds, 36);
    push(0, 12 + 12 + 6 + 12 + 12);
    push(5, 6);
    push(1, 1);
    push(0, 1 + 12);
    push(0xff_ffff, 24);
    push(0, 24 + 1 + 12 + 17);
    while bits.len() % 8 != 0 {
        bits.push(false);
    }
    let bytes: Vec<u8> = bits
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |b, &x| b << 1 | u8::from(x)))
        .collect();
    format!("euconsent-v2={}", URL_SAFE_NO_PAD.encode(bytes))
}

async fn run(layer: CookieConsentLayer, cookie: &str) -> (Vec<String>, ConsentDecision) {
    let seen = Arc::new(Mutex::new(None));
    let seen2 = seen.clone();
    let svc = ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(move |req: Request<()>| {
            let seen = seen2.clone();
            async move {
                *seen.lock().unwrap() = req.extensions().get::<ConsentDecision>().cloned();
                Ok::<_, Infallible>(
                    Response::builder()
                        .header(SET_COOKIE, "sessionid=s; Path=/")
                        .header(SET_COOKIE, "_ga=GA1.1.1.1; Path=/")
                        .body(())
                        .unwrap(),
                )
            }
        }));
    let mut request = Request::new(());
    request
        .headers_mut()
        .insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
    let response = svc.oneshot(request).await.unwrap();
    let names = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_owned())
        .collect();
    let decision = seen.lock().unwrap().take().unwrap();
    (names, decision)
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
async fn older_registry_revision_is_undecided() {
    let layer = CookieConsentLayer::new(registry(3)).unwrap();
    let (names, decision) = run(layer.clone(), &prefs(1, Some(2))).await;
    assert_eq!(names, ["sessionid"]);
    assert_eq!(decision.consent().state(), ConsentState::Undecided);
    for revision in [3, 4] {
        let (names, decision) = run(layer.clone(), &prefs(1, Some(revision))).await;
        assert_eq!(names, ["sessionid", "_ga"], "revision {revision}");
        assert!(decision.is_decided());
    }
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
