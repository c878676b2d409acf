//! CookieYes, Complianz, django-cookie-consent and IAB TCF readers, and `FirstDecided`:
//! end to end through the layer, plus property tests (no panic on arbitrary bytes; never a
//! grant the value does not give).

mod common;

use common::{now_ms, registry, tc_string};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use tower_cookie_consent::formats::{
    Complianz, CookieYes, DjangoCookieConsent, FirstDecided, Klaro, Tarteaucitron, TcString, Tcf,
    VanillaCookieConsent,
};
use tower_cookie_consent::{
    Consent, ConsentDecision, ConsentRequest, ConsentState, CookieConsentLayer, CookiesPreferences,
    ReadConsent, Registry,
};

const MIX: [&str; 5] = [
    "sessionid=s1; HttpOnly; Path=/",
    "_ga=GA1.1.1.1; Max-Age=63072000; Path=/",
    "_fbp=fb.1.2.3; Path=/",
    "theme=dark; Path=/",
    "promo_seen=1; Path=/",
];

/// Runs a request with `cookie` through a layer reading consent with `reader`, around a
/// handler setting [`MIX`] plus `extra` Set-Cookies; returns the names kept and the
/// decision the handler saw.
async fn through_layer<R: ReadConsent>(
    reader: R,
    cookie: &str,
    extra: &'static [&'static str],
) -> (Vec<String>, ConsentDecision) {
    let layer = CookieConsentLayer::builder(registry())
        .reader(reader)
        .build()
        .unwrap();
    let fields: &[&str] = if cookie.is_empty() { &[] } else { &[cookie] };
    let set: Vec<&str> = MIX.iter().chain(extra).copied().collect();
    common::run(layer, fields, &[], &set).await
}

fn now_ds() -> u64 {
    now_ms() / 100
}

// ---------------------------------------------------------------------------------------
// End to end, one per format
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn cookieyes_through_the_layer() {
    let cookie = "cookieyes-consent=consentid:dGVzdA,consent:yes,action:yes,necessary:yes,functional:no,analytics:yes,performance:yes,advertisement:no,other:no,lastRenewedDate:1734509533000";
    // The response renews the consent cookie (the same value).
    let (names, decision) = through_layer(
        CookieYes::new(),
        cookie,
        &["cookieyes-consent=consentid:dGVzdA,consent:yes,action:yes,necessary:yes,functional:no,analytics:yes,performance:yes,advertisement:no,other:no,lastRenewedDate:1734509533000; Path=/"],
    )
    .await;
    assert_eq!(names, ["sessionid", "_ga", "cookieyes-consent"]);
    // A response recording something unreadable refuses, at once, what needs consent.
    let (names, _) = through_layer(
        CookieYes::new(),
        cookie,
        &["cookieyes-consent=consentid:x; Path=/"],
    )
    .await;
    assert_eq!(names, ["sessionid", "cookieyes-consent"]);
    assert!(decision.is_decided());
    assert!(decision.allows_category("statistics"));
    // Before any action: undecided, only strictly necessary cookies pass.
    let (names, decision) = through_layer(
        CookieYes::new(),
        "cookieyes-consent=consentid:x,consent:,action:,analytics:,advertisement:",
        &[],
    )
    .await;
    assert_eq!(names, ["sessionid"]);
    assert!(!decision.is_decided());
}

#[tokio::test]
async fn complianz_through_the_layer() {
    let cookie = "cmplz_banner-status=dismissed; cmplz_functional=allow; cmplz_preferences=allow; cmplz_statistics=deny; cmplz_marketing=allow";
    let (names, decision) = through_layer(
        Complianz::new(),
        cookie,
        &[
            "cmplz_marketing=deny; Path=/",
            "cmplz_banner-status=dismissed; Path=/",
        ],
    )
    .await;
    // The response records a refusal of marketing: it applies to the response itself, so
    // `_fbp` (granted by the request's consent) is removed.
    assert_eq!(
        names,
        [
            "sessionid",
            "theme",
            "cmplz_marketing",
            "cmplz_banner-status"
        ]
    );
    assert!(decision.is_decided());
    // GPC is on by default: the same cookie with `Sec-GPC: 1` would drop `_fbp`; without it
    // the marketing grant stands.
    assert!(decision.allows_service("meta"));
}

#[tokio::test]
async fn complianz_services_cookie_grants_services_only() {
    // F9: `cmplz_consented_services` holds service slugs; `marketing` is a category id and
    // must not grant the marketing category.
    let cookie =
        "cmplz_banner-status=dismissed; cmplz_consented_services=%7B%22marketing%22%3Atrue%7D";
    let (names, decision) = through_layer(Complianz::new(), cookie, &[]).await;
    assert_eq!(names, ["sessionid"]);
    assert!(!decision.allows_category("marketing"));
    assert!(!decision.allows_service("meta"));
    // A service slug does grant that service (and only it).
    let cookie = r#"cmplz_banner-status=dismissed; cmplz_consented_services={"meta":true}"#;
    let (names, decision) = through_layer(Complianz::new(), cookie, &[]).await;
    assert_eq!(names, ["sessionid", "_fbp"]);
    assert!(!decision.allows_category("marketing"));
}

#[tokio::test]
async fn a_repeated_key_never_grants_more_than_its_last_occurrence() {
    // CookieYes' script keeps the last `analytics`, which is empty.
    let cookie = "cookieyes-consent=consentid:x,consent:yes,action:yes,functional:yes,analytics:yes,analytics:";
    let (names, _) = through_layer(CookieYes::new(), cookie, &[]).await;
    assert_eq!(names, ["sessionid", "theme"]);
    let cookie = "cookie_consent=statistics=2024-05-02T10:20:30+00:00|statistics=";
    let (names, _) = through_layer(DjangoCookieConsent::new(), cookie, &[]).await;
    assert_eq!(names, ["sessionid"]);
}

#[tokio::test]
async fn django_cookie_consent_through_the_layer() {
    let cookie = "cookie_consent=\"statistics=2024-05-02T10:20:30.123456+00:00|marketing=-1|functional=2024-05-02T10:20:30+00:00\"";
    let (names, decision) = through_layer(
        DjangoCookieConsent::new(),
        cookie,
        &["cookie_consent=statistics=-1; Path=/"],
    )
    .await;
    // The response records a choice that declines statistics and grants nothing else,
    // which applies to it at once: `_ga` and `theme` (granted by the request's consent) are
    // removed.
    assert_eq!(names, ["sessionid", "cookie_consent"]);
    assert!(!decision.allows_category("marketing"));
}

#[tokio::test]
async fn tcf_through_the_layer() {
    let cookie = format!(
        "euconsent-v2={}.YAAAAAAAAAAA",
        tc_string(&[1, 2, 3, 4, 7, 8, 9], now_ds())
    );
    let (names, decision) = through_layer(Tcf::new(), &cookie, &[]).await;
    assert_eq!(names, ["sessionid", "_ga", "_fbp"]);
    assert!(decision.is_decided());
    // Without purpose 1, nothing that needs consent passes.
    let cookie = format!(
        "euconsent-v2={}",
        tc_string(&(2..=11).collect::<Vec<_>>(), now_ds())
    );
    let (names, decision) = through_layer(Tcf::new(), &cookie, &[]).await;
    assert_eq!(names, ["sessionid"]);
    assert!(decision.is_decided());
}

#[tokio::test]
async fn first_decided_through_the_layer() {
    let reader = || {
        FirstDecided::new()
            .with(Tcf::new())
            .with(CookiesPreferences::new())
    };
    let prefs = "cookies_preferences=%7B%22statistics%22%3Atrue%2C%22marketing%22%3Atrue%7D";
    let (names, _) = through_layer(
        reader(),
        prefs,
        &["cookies_preferences=x; Path=/", "euconsent-v2=x; Path=/"],
    )
    .await;
    // The response records unreadable values (the broken TC String, listed first, is not
    // bypassed): nothing that needs consent passes in it; the consent cookies do.
    assert_eq!(names, ["sessionid", "cookies_preferences", "euconsent-v2"]);
    // A response that renews the preferences changes nothing.
    let (names, _) = through_layer(
        reader(),
        prefs,
        &["cookies_preferences=%7B%22statistics%22%3Atrue%2C%22marketing%22%3Atrue%7D; Path=/"],
    )
    .await;
    assert_eq!(names, ["sessionid", "_ga", "_fbp", "cookies_preferences"]);
    // A broken TC String (listed first) is not bypassed by the generous second cookie.
    let (names, decision) =
        through_layer(reader(), &format!("euconsent-v2=C0ffee; {prefs}"), &[]).await;
    assert_eq!(names, ["sessionid"]);
    assert_eq!(decision.consent().state(), ConsentState::Unreadable);
}

/// For each reader, a cookie that grants statistics.
fn statistics_granting() -> Vec<(Box<dyn ReadConsent>, String)> {
    vec![
        (
            Box::new(CookieYes::new()),
            "cookieyes-consent=consentid:x,consent:yes,action:yes,analytics:yes".to_owned(),
        ),
        (
            Box::new(Complianz::new()),
            "cmplz_statistics=allow".to_owned(),
        ),
        (
            Box::new(DjangoCookieConsent::new()),
            "cookie_consent=statistics=2024-05-02T10:20:30+00:00".to_owned(),
        ),
        (
            Box::new(Tcf::new()),
            format!("euconsent-v2={}", tc_string(&[1, 8, 9], now_ds())),
        ),
    ]
}

#[test]
fn reading_does_not_allocate() {
    let mut cases = statistics_granting();
    cases.push((
        Box::new(CookieYes::new()),
        "cookieyes-consent=consentid%3Ax%2Cconsent%3Ayes%2Caction%3Ayes%2Canalytics%3Ayes"
            .to_owned(),
    ));
    cases.push((
        Box::new(Complianz::new()),
        "cmplz_statistics=allow; cmplz_consented_services=%7B%22ga%22%3Atrue%7D; cmplz_marketing=deny"
            .to_owned(),
    ));
    cases.push((
        Box::new(FirstDecided::new().with(CookieYes::new()).with(Tcf::new())),
        format!("euconsent-v2={}", tc_string(&[1, 8, 9], now_ds())),
    ));
    // Repeated keys, service-only keys and services checked against the registry.
    cases.push((
        Box::new(VanillaCookieConsent::new()),
        "cc_cookie=%7B%22categories%22%3A%5B%22statistics%22%5D%2C%22services%22%3A%7B%22statistics%22%3A%5B%22ga%22%2C%22meta%22%5D%7D%7D".to_owned(),
    ));
    cases.push((
        Box::new(Klaro::new()),
        r#"klaro={"ga":true,"ga":null,"meta":true,"statistics":true}"#.to_owned(),
    ));
    cases.push((
        Box::new(Tarteaucitron::new()),
        "tarteaucitron=!ga=true!ga=wait!meta=true!statistics=true".to_owned(),
    ));
    cases.push((
        Box::new(CookiesPreferences::new()),
        r#"cookies_preferences={"statistics":true,"statistics":null,"ga":true}"#.to_owned(),
    ));
    let unreadable = [(
        Box::new(VanillaCookieConsent::new()) as Box<dyn ReadConsent>,
        "cc_cookie=%7B%22categories%22%3A%5B%22statistics%22%5D%2C%22services%22%3A%7B%22statistics%22%3A%5B%22ga%22%5D%2C%22statistics%22%3A%5B%5D%7D%7D".to_owned(),
    )];
    for (reader, cookie) in cases.into_iter().chain(unreadable) {
        let registry = registry();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
        let request = ConsentRequest::new(&headers, &registry);
        let mut consent = None;
        let info = allocation_counter::measure(|| {
            consent = Some(reader.read_consent(&request));
        });
        let consent = consent.unwrap();
        let expected = if cookie.contains("%5B%22ga%22%5D%2C%22statistics%22") {
            ConsentState::Unreadable
        } else {
            ConsentState::Decided
        };
        assert_eq!(consent.state(), expected, "{cookie}");
        assert_eq!(info.count_total, 0, "{cookie}");
    }
}

#[test]
fn non_utf8_neighbours_do_not_hide_consent() {
    for (reader, cookie) in statistics_granting() {
        let mut field = b"lang=fran\xe7ais; x=\xff\xfe; ".to_vec();
        field.extend_from_slice(cookie.as_bytes());
        field.extend_from_slice(b"; y=caf\xc3\xa9");
        let (r, c) = read(&*reader, &[field]);
        assert!(granted(&r, &c, "statistics"), "{cookie}");
        // And in a separate `Cookie` field (HTTP/2).
        let (r, c) = read(&*reader, &[b"a=\xff".to_vec(), cookie.clone().into_bytes()]);
        assert!(granted(&r, &c, "statistics"), "{cookie}");
    }
}

#[test]
fn similar_cookie_names_are_not_read() {
    for (reader, cookie) in statistics_granting() {
        let (name, value) = cookie.split_once('=').unwrap();
        for other in [
            name.to_uppercase(),
            format!("{name}_set"),
            format!("x{name}"),
            format!("{name} x"),
        ] {
            let (r, c) = read(&*reader, &[format!("{other}={value}").into_bytes()]);
            assert_eq!(c, Consent::undecided(), "{other}");
            assert!(!granted(&r, &c, "statistics"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------

fn read(reader: &dyn ReadConsent, fields: &[Vec<u8>]) -> (Registry, Consent) {
    let registry = registry();
    let mut headers = HeaderMap::new();
    for f in fields {
        if let Ok(v) = HeaderValue::from_bytes(f) {
            headers.append(COOKIE, v);
        }
    }
    let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
    (registry, consent)
}

fn granted(r: &Registry, c: &Consent, id: &str) -> bool {
    c.is_category_granted(r.category_id(id).unwrap())
}

fn readers() -> Vec<Box<dyn ReadConsent>> {
    vec![
        Box::new(CookieYes::new()),
        Box::new(Complianz::new()),
        Box::new(DjangoCookieConsent::new()),
        Box::new(Tcf::new()),
        Box::new(
            FirstDecided::new()
                .with(CookieYes::new())
                .with(Complianz::new())
                .with(DjangoCookieConsent::new())
                .with(Tcf::new()),
        ),
    ]
}

/// Cookie-values a browser could send: any byte but controls (HeaderValue rejects those).
fn value_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![0x20u8..0x7f, 0x80u8..=0xff, Just(b'\t')],
        0..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_reader_panics_on_arbitrary_values(value in value_bytes(), tail in value_bytes()) {
        for name in ["cookieyes-consent", "cmplz_statistics", "cmplz_consented_services",
                     "cookie_consent", "euconsent-v2"] {
            let mut field = format!("{name}=").into_bytes();
            field.extend_from_slice(&value);
            for reader in readers() {
                let (r, c) = read(&*reader, &[field.clone(), tail.clone()]);
                // Whatever it is, an undecided or unreadable reading grants nothing.
                if !c.is_decided() {
                    for id in ["functional", "statistics", "marketing"] {
                        prop_assert!(!granted(&r, &c, id));
                    }
                }
            }
        }
    }

    #[test]
    fn no_reader_panics_on_arbitrary_headers(fields in proptest::collection::vec(value_bytes(), 0..4)) {
        for reader in readers() {
            let _ = read(&*reader, &fields);
        }
    }

    #[test]
    fn tc_string_decoding_never_panics(value in value_bytes()) {
        let _ = TcString::decode(&value);
    }

    /// CookieYes grants a category only when a slug mapped to it says `yes`, none says
    /// `no`, `action:yes` is present and `consent` is `yes`.
    #[test]
    fn cookieyes_never_grants_more_than_the_value(
        pairs in proptest::collection::vec(
            (prop::sample::select(vec!["consentid", "consent", "action", "necessary", "functional",
                "analytics", "performance", "advertisement", "other", "statistics", "junk"]),
             prop::sample::select(vec!["yes", "no", "", "YES", "true", "x"])),
            0..14),
        copies in 1usize..3,
    ) {
        let value: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let field = format!("cookieyes-consent={}", value.join(","));
        let (r, c) = read(&CookieYes::new(), &vec![field.into_bytes(); copies]);
        let has = |k: &str, v: &str| pairs.iter().any(|(pk, pv)| *pk == k && *pv == v);
        let ok_envelope = has("action", "yes") && !pairs.iter().any(|(k, v)| *k == "consent" && *v != "yes");
        for (id, slugs) in [("functional", &["functional"][..]),
                            ("statistics", &["analytics", "performance", "statistics"][..]),
                            ("marketing", &["advertisement"][..])] {
            if granted(&r, &c, id) {
                prop_assert!(ok_envelope);
                prop_assert!(slugs.iter().any(|s| has(s, "yes")));
                prop_assert!(!slugs.iter().any(|s| has(s, "no")));
            }
        }
    }

    /// Complianz grants a category only when every copy of its cookie says `allow`.
    #[test]
    fn complianz_never_grants_more_than_the_value(
        cookies in proptest::collection::vec(
            (prop::sample::select(vec!["functional", "preferences", "statistics", "marketing",
                "statistics-anonymous", "banner-status"]),
             prop::sample::select(vec!["allow", "deny", "", "dismissed", "Allow"])),
            0..10),
    ) {
        let field: Vec<String> = cookies.iter().map(|(k, v)| format!("cmplz_{k}={v}")).collect();
        let (r, c) = read(&Complianz::new(), &[field.join("; ").into_bytes()]);
        for (id, category) in [("functional", "preferences"), ("statistics", "statistics"),
                               ("marketing", "marketing")] {
            if granted(&r, &c, id) {
                let values: Vec<&str> = cookies.iter().filter(|(k, _)| *k == category).map(|(_, v)| *v).collect();
                prop_assert!(!values.is_empty());
                prop_assert!(values.iter().all(|v| *v == "allow"));
            }
        }
    }

    /// django-cookie-consent grants a group only when it has a non-empty version other than
    /// `-1`, and no occurrence declines it.
    #[test]
    fn django_never_grants_more_than_the_value(
        pairs in proptest::collection::vec(
            (prop::sample::select(vec!["functional", "statistics", "marketing", "ga", "junk"]),
             prop::sample::select(vec!["-1", "", "2024-05-02T10:20:30+00:00", "x", "1"])),
            0..8),
        quoted in any::<bool>(),
    ) {
        let value: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let value = value.join("|");
        let field = if quoted { format!("cookie_consent=\"{value}\"") } else { format!("cookie_consent={value}") };
        let (r, c) = read(&DjangoCookieConsent::new(), &[field.into_bytes()]);
        for id in ["functional", "statistics", "marketing"] {
            if granted(&r, &c, id) {
                let versions: Vec<&str> = pairs.iter().filter(|(k, _)| *k == id).map(|(_, v)| *v).collect();
                prop_assert!(versions.iter().any(|v| !v.is_empty() && *v != "-1"));
                prop_assert!(!versions.contains(&"-1"));
            }
        }
        if c.service_decision(r.service_id("ga").unwrap()) == Some(true) {
            prop_assert!(pairs.iter().any(|(k, v)| *k == "ga" && !v.is_empty() && *v != "-1"));
        }
    }

    /// TCF grants a category only when purpose 1 and all its mapped purposes have consent;
    /// of duplicated strings, every copy must.
    #[test]
    fn tcf_never_grants_more_than_the_value(
        a in proptest::collection::btree_set(1u8..=24, 0..24),
        b in proptest::collection::btree_set(1u8..=24, 0..24),
        duplicate in any::<bool>(),
    ) {
        let a: Vec<u8> = a.into_iter().collect();
        let b: Vec<u8> = b.into_iter().collect();
        let mut fields = vec![format!("euconsent-v2={}", tc_string(&a, now_ds())).into_bytes()];
        if duplicate {
            fields.push(format!("euconsent-v2={}", tc_string(&b, now_ds())).into_bytes());
        }
        let (r, c) = read(&Tcf::new(), &fields);
        prop_assert!(c.is_decided());
        for (id, needed) in [("functional", &[1u8, 5, 6][..]), ("statistics", &[1, 8, 9][..]),
                             ("marketing", &[1, 2, 3, 4, 7][..])] {
            let in_a = needed.iter().all(|p| a.contains(p));
            let in_b = !duplicate || needed.iter().all(|p| b.contains(p));
            prop_assert_eq!(granted(&r, &c, id), in_a && in_b);
        }
    }

    /// `FirstDecided` returns the reading of the first reader that is not undecided, and
    /// never grants what that reader does not grant.
    #[test]
    fn first_decided_takes_the_first_non_undecided_reading(
        readings in proptest::collection::vec((0u8..3, any::<[bool; 3]>()), 0..5),
    ) {
        let make = |state: u8, grants: [bool; 3]| {
            move |request: &ConsentRequest<'_>| {
                let mut c = match state {
                    0 => Consent::undecided(),
                    1 => Consent::unreadable(),
                    _ => Consent::decided(),
                };
                for (id, yes) in ["functional", "statistics", "marketing"].iter().zip(grants) {
                    if yes && state == 2 {
                        c.grant_category(request.registry().category_id(id).unwrap());
                    }
                }
                c
            }
        };
        let mut combined = FirstDecided::new();
        for &(state, grants) in &readings {
            combined = combined.with(make(state, grants));
        }
        let (r, c) = read(&combined, &[]);
        let expected = readings.iter().find(|(state, _)| *state != 0);
        match expected {
            None => prop_assert_eq!(c, Consent::undecided()),
            Some(&(state, grants)) => {
                let (_, e) = read(&make(state, grants), &[]);
                prop_assert_eq!(c, e);
                for (id, yes) in ["functional", "statistics", "marketing"].iter().zip(grants) {
                    prop_assert!(!granted(&r, &c, id) || (yes && state == 2));
                }
            }
        }
    }

    /// Flipping any character of a TC String never panics, and an undecodable one grants
    /// nothing.
    #[test]
    fn mutated_tc_strings_grant_nothing_unless_they_decode(
        index in 0usize..60, byte in 0x20u8..0x7f,
    ) {
        let mut s = tc_string(&(1..=11).collect::<Vec<_>>(), now_ds()).into_bytes();
        let i = index % s.len();
        s[i] = byte;
        let decoded = TcString::decode(&s);
        let mut field = b"euconsent-v2=".to_vec();
        field.extend_from_slice(&s);
        let (r, c) = read(&Tcf::new(), &[field]);
        if decoded.is_err() && byte != b';' && byte != b' ' {
            prop_assert_eq!(c.state(), ConsentState::Unreadable);
            prop_assert!(!granted(&r, &c, "statistics"));
        }
    }
}
