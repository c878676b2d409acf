//! The CMP readers do not allocate while reading a request, counted by `allocation-counter`
//! (a global allocator that tallies the current thread's allocations; linked only into this
//! test binary).

use std::time::{Duration, UNIX_EPOCH};

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use tower_cookie_consent::{
    ConsentRequest, ConsentState, Cookiebot, Declaration, Klaro, OneTrust, ReadConsent, Registry,
    Tarteaucitron, VanillaCookieConsent,
};

#[test]
fn reading_allocates_nothing() {
    let registry = Registry::builder()
        .default_categories()
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::exact("_hjid")
                .category("statistics")
                .service("hotjar"),
        )
        .build()
        .unwrap();
    let v3 = "%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C%22revision%22%3A0%2C%22consentTimestamp%22%3A%222025-01-06T09%3A00%3A00.000Z%22%2C%22services%22%3A%7B%22analytics%22%3A%5B%22ga%22%5D%7D%2C%22lastConsentTimestamp%22%3A%222025-01-06T09%3A00%3A00.000Z%22%7D";
    let v2_base64 = "eyJsZXZlbCI6WyJuZWNlc3NhcnkiLCJhbmFseXRpY3MiXSwicmV2aXNpb24iOjB9";
    let fields = [
        "CookieConsent={stamp:%27k+9/Aw==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735689600000%2Cregion:%27de%27}; CookieConsent={statistics:true",
        "OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z; OptanonConsent=isGpcEnabled=0&landingPath=%2F%3Fa%3D1%26b&groups=C0001%3A1%2CC0002%3A1%2CC0004%3A0&AwaitingReconsent=false",
        "klaro=%7B%22caf%E9%u20AC%22%3Atrue%2C%22ga%22%3Atrue%7D; klaro={\"ga\":true,\"hotjar\":false}",
        &format!("cc_cookie={v3}; cc_cookie={v2_base64}"),
        "tarteaucitron=!ga=true!hotjar=false!x=wait",
    ];
    let mut headers = HeaderMap::new();
    for f in fields {
        headers.append(COOKIE, HeaderValue::from_str(f).unwrap());
    }
    let readers: Vec<(Box<dyn ReadConsent>, ConsentState)> = vec![
        // A readable and a truncated duplicate: the narrowest is unreadable.
        (Box::new(Cookiebot::new()), ConsentState::Unreadable),
        (Box::new(OneTrust::new()), ConsentState::Decided),
        (Box::new(Klaro::new()), ConsentState::Decided),
        (
            Box::new(VanillaCookieConsent::new().map("analytics", "statistics")),
            ConsentState::Decided,
        ),
        (Box::new(Tarteaucitron::new()), ConsentState::Decided),
    ];
    let now = UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    for (reader, expected) in &readers {
        let request = ConsentRequest::at(&headers, &registry, now);
        let mut state = None;
        let info = allocation_counter::measure(|| {
            state = Some(reader.read_consent(&request).state());
        });
        assert_eq!(state, Some(*expected));
        assert_eq!(info.count_total, 0, "{:?}", reader.consent_cookie_names());
    }
}
