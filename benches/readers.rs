//! `readers/<format>`: each consent reader of `src/formats/` on a real-shaped request: the
//! 11 neighbour cookies of the overhead bench's typical `Cookie` field (about 800 bytes)
//! followed by the format's consent cookie(s), written as the CMP writes them, read against
//! the typical registry.

#![allow(missing_docs)] // criterion_group! makes public functions

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};
use tower_cookie_consent::formats::{
    Complianz, CookieYes, Cookiebot, DjangoCookieConsent, Klaro, OneTrust, Tarteaucitron, Tcf,
    VanillaCookieConsent,
};
use tower_cookie_consent::{ConsentRequest, ConsentState, CookiesPreferences, ReadConsent};

/// The typical `Cookie` field without its consent cookie.
fn neighbours() -> String {
    let full = common::typical_cookie_header();
    full[..full.rfind("; cookies_preferences=").unwrap()].to_owned()
}

/// An IAB TCF v2 TC String (core segment) with the given purpose consents, last updated at
/// `ds` deciseconds since the epoch.
fn tc_string(purposes: &[u8], ds: u64) -> String {
    let mut bits: Vec<bool> = Vec::new();
    let mut push = |v: u64, len: usize| {
        for i in (0..len).rev() {
            bits.push((v >> i) & 1 == 1);
        }
    };
    push(2, 6); // Version
    push(ds, 36); // Created
    push(ds, 36); // LastUpdated
    push(7, 12); // CmpId
    push(1, 12); // CmpVersion
    push(0, 6); // ConsentScreen
    push(5, 6); // ConsentLanguage "F"
    push(17, 6); // "R"
    push(90, 12); // VendorListVersion
    push(5, 6); // TcfPolicyVersion
    push(1, 1); // IsServiceSpecific
    push(0, 1); // UseNonStandardTexts
    push(0, 12); // SpecialFeatureOptIns
    let mask = purposes
        .iter()
        .fold(0u64, |m, &p| m | 1 << (24 - u64::from(p)));
    push(mask, 24); // PurposesConsent
    push(0, 24); // PurposesLITransparency
    push(0, 1); // PurposeOneTreatment
    push(5, 6); // PublisherCC "F"
    push(17, 6); // "R"
    push(0, 16); // MaxVendorId
    push(0, 1); // IsRangeEncoding
    while bits.len() % 8 != 0 {
        bits.push(false);
    }
    let bytes: Vec<u8> = bits
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |b, &x| b << 1 | u8::from(x)))
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn encode(json: &str) -> String {
    percent_encoding::utf8_percent_encode(json, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn readers(c: &mut Criterion) {
    let registry = common::typical_registry();
    let now = SystemTime::now();
    let ms = common::recent_ms();
    let ds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        / 100;
    let n = neighbours();

    let cases: Vec<(&str, Box<dyn ReadConsent>, String)> = vec![
        (
            "cookies_preferences",
            Box::new(CookiesPreferences::new()),
            format!("{n}; cookies_preferences={}", common::consent_value()),
        ),
        (
            "cookiebot",
            Box::new(Cookiebot::new()),
            format!(
                "{n}; CookieConsent={{stamp:%27-1RzkVRHsmVzJdmh+sS6sCNC0e4H2gTLnyrC/+KVqDj6ELXYF0bAhw==%27\
                 %2Cnecessary:true%2Cpreferences:true%2Cstatistics:true%2Cmarketing:false\
                 %2Cmethod:%27explicit%27%2Cver:3%2Cutc:{ms}%2Cregion:%27fr%27}}"
            ),
        ),
        (
            "onetrust",
            Box::new(OneTrust::new()),
            format!(
                "{n}; OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z; OptanonConsent=isGpcEnabled=0\
                 &datestamp=Mon+Jan+06+2025+10%3A00%3A00+GMT%2B0100+(Central+European+Standard+Time)\
                 &version=202409.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=\
                 &consentId=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0&interactionCount=1&isAnonUser=1\
                 &landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A0\
                 &AwaitingReconsent=false"
            ),
        ),
        (
            "klaro",
            Box::new(Klaro::new()),
            format!(
                "{n}; klaro={}",
                encode(r#"{"ga":true,"matomo":true,"hotjar":false,"meta_pixel":false,"google_ads":false,"intercom":true}"#)
            ),
        ),
        (
            "vanilla_cookieconsent",
            Box::new(VanillaCookieConsent::new()),
            format!(
                "{n}; cc_cookie={}",
                encode(&format!(
                    r#"{{"categories":["necessary","functional","statistics"],"revision":0,"data":null,"consentTimestamp":"2025-01-06T09:00:00.000Z","consentId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","services":{{"necessary":[],"functional":[],"statistics":["ga","matomo"]}},"lastConsentTimestamp":"2025-01-06T09:00:00.000Z","expirationTime":{}}}"#,
                    ms + 182 * 24 * 3_600_000
                ))
            ),
        ),
        (
            "tarteaucitron",
            Box::new(Tarteaucitron::new()),
            format!("{n}; tarteaucitron=!ga=true!matomo=true!hotjar=false!meta_pixel=false!youtube=wait"),
        ),
        (
            "cookieyes",
            Box::new(CookieYes::new()),
            format!(
                "{n}; cookieyes-consent=consentid:MGYxZTJkM2MtNGI1YQ,consent:yes,action:yes,\
                 necessary:yes,functional:yes,analytics:yes,performance:yes,advertisement:no,\
                 other:no,lastRenewedDate:{ms}"
            ),
        ),
        (
            "complianz",
            Box::new(Complianz::new()),
            format!(
                "{n}; cmplz_banner-status=dismissed; cmplz_consented_services=; cmplz_policy_id=14; \
                 cmplz_functional=allow; cmplz_preferences=allow; cmplz_statistics=allow; \
                 cmplz_marketing=deny"
            ),
        ),
        (
            "django_cookie_consent",
            Box::new(DjangoCookieConsent::new()),
            format!(
                "{n}; cookie_consent=\"statistics=2025-01-06T09:00:00.123456+00:00|functional=2025-01-06T09:00:00.123456+00:00|marketing=-1\""
            ),
        ),
        (
            "tcf",
            Box::new(Tcf::new()),
            format!("{n}; euconsent-v2={}", tc_string(&[1, 2, 3, 4, 7, 8, 9, 10], ds)),
        ),
    ];

    let mut group = c.benchmark_group("readers");
    for (format, reader, cookie) in cases {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
        let consent = reader.read_consent(&ConsentRequest::at(&headers, &registry, now));
        assert_eq!(consent.state(), ConsentState::Decided, "{format}: {cookie}");
        group.bench_function(format, |b| {
            b.iter(|| reader.read_consent(&ConsentRequest::at(black_box(&headers), &registry, now)))
        });
    }
    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
