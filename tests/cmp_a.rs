//! The CMP readers of Cookiebot, OneTrust, Klaro, vanilla-cookieconsent and tarteaucitron:
//! end to end through `CookieConsentLayer`, and property tests on arbitrary values.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::cookie_headers;
use http::HeaderMap;
use proptest::prelude::*;
use tower_cookie_consent::{
    Consent, ConsentRequest, ConsentState, CookieConsentLayer, Cookiebot, Declaration, Klaro,
    OneTrust, OutsideRegion, ReadConsent, Registry, Tarteaucitron, VanillaCookieConsent,
};

fn registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("lang").category("functional"))
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
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("facebook"),
        )
        .build()
        .unwrap()
}

/// The cookies the inner service sets, besides the CMP's own cookie.
const SET: [&str; 5] = ["sessionid", "lang", "_ga", "_hjid", "_fbp"];

/// Runs one request with `cookie` fields through the layer over a service that sets every
/// cookie of [`SET`] and `own` (the CMP's cookie); returns the names left.
async fn kept<R: ReadConsent>(reader: R, own: &str, cookie: &[&str]) -> Vec<String> {
    let layer = CookieConsentLayer::builder(registry())
        .reader(reader)
        .max_consent_age(None)
        .build()
        .unwrap();
    kept_with(layer, own, cookie).await
}

async fn kept_with(layer: CookieConsentLayer, own: &str, cookie: &[&str]) -> Vec<String> {
    // The CMP's cookie renews the value the request carries (a response that set another
    // value would record that choice, which applies to the response itself), its commas
    // percent-encoded as a set-cookie-string needs them.
    let held = cookie
        .iter()
        .flat_map(|field| field.split("; "))
        .find(|pair| pair.split_once('=').is_some_and(|(name, _)| name == own));
    let own = match held {
        Some(pair) => format!("{}; Path=/", pair.replace(',', "%2C")),
        None => format!("{own}=x; Path=/"),
    };
    let mut set: Vec<String> = SET.iter().map(|name| format!("{name}=v; Path=/")).collect();
    set.push(own);
    let set: Vec<&str> = set.iter().map(String::as_str).collect();
    common::run(layer, cookie, &[], &set).await.0
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

// ----- Cookiebot ---------------------------------------------------------------------------

const CB_STAMP: &str = "%27Uq3+yV0/xq1gNvGcXz9ae8Bw7zQoQnXmaLtgb1S4y6yQ1fk2vZKfmg==%27";

fn cookiebot(preferences: bool, statistics: bool, marketing: bool) -> String {
    format!(
        "CookieConsent={{stamp:{CB_STAMP}%2Cnecessary:true%2Cpreferences:{preferences}%2Cstatistics:{statistics}%2Cmarketing:{marketing}%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735689600000%2Cregion:%27de%27}}"
    )
}

#[tokio::test]
async fn cookiebot_end_to_end() {
    let own = "CookieConsent";
    let all = names(&["sessionid", "lang", "_ga", "_hjid", "_fbp", own]);
    assert_eq!(
        kept(Cookiebot::new(), own, &[&cookiebot(true, true, true)]).await,
        all
    );
    assert_eq!(
        kept(Cookiebot::new(), own, &[&cookiebot(false, false, false)]).await,
        names(&["sessionid", own])
    );
    assert_eq!(
        kept(Cookiebot::new(), own, &[&cookiebot(false, true, false)]).await,
        names(&["sessionid", "_ga", "_hjid", own])
    );
    // Absent, malformed, truncated: strictly necessary only.
    let granted = cookiebot(true, true, true);
    for cookie in [
        "other=1".to_owned(),
        "CookieConsent={statistics:true".to_owned(),
        granted[..granted.len() - 30].to_owned(),
        "CookieConsent={statistics:'true',marketing:1}".to_owned(),
    ] {
        assert_eq!(
            kept(Cookiebot::new(), own, &[&cookie]).await,
            names(&["sessionid", own]),
            "{cookie}"
        );
    }
    // Raw (undecoded) value; a duplicate narrows; a second Cookie field is read.
    let raw = cookiebot(false, true, false)
        .replace("%27", "'")
        .replace("%2C", ",");
    assert_eq!(
        kept(Cookiebot::new(), own, &[&raw]).await,
        names(&["sessionid", "_ga", "_hjid", own])
    );
    assert_eq!(
        kept(
            Cookiebot::new(),
            own,
            &[&cookiebot(true, true, true), &cookiebot(true, false, true)]
        )
        .await,
        names(&["sessionid", "lang", "_fbp", own])
    );
    // `-1`: outside a consent region.
    assert_eq!(
        kept(Cookiebot::new(), own, &["CookieConsent=-1"]).await,
        all
    );
    assert_eq!(
        kept(
            Cookiebot::new().outside_region(OutsideRegion::Undecided),
            own,
            &["CookieConsent=-1"]
        )
        .await,
        names(&["sessionid", own])
    );
}

#[tokio::test]
async fn cookiebot_utc_feeds_the_maximum_consent_age() {
    // A choice of 2025-01-01, read long after the default 13 months, is asked again.
    let layer = CookieConsentLayer::builder(registry())
        .reader(Cookiebot::new())
        .build()
        .unwrap();
    let consent = layer.enforcer().read_consent_at(
        &cookie_headers(&[&cookiebot(true, true, true)]),
        UNIX_EPOCH + Duration::from_millis(1_735_689_600_000) + Duration::from_secs(800 * 86_400),
    );
    assert_eq!(consent.state(), ConsentState::Undecided);
    let consent = layer.enforcer().read_consent_at(
        &cookie_headers(&[&cookiebot(true, true, true)]),
        UNIX_EPOCH + Duration::from_millis(1_735_689_600_000) + Duration::from_secs(86_400),
    );
    assert!(consent.is_decided());
}

// ----- OneTrust ----------------------------------------------------------------------------

const OT_CLOSED: &str = "OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z";

fn onetrust(groups: &str) -> String {
    format!(
        "OptanonConsent=isGpcEnabled=0&datestamp=Mon+Jan+06+2025+10%3A00%3A00+GMT%2B0100+(Central+European+Standard+Time)&version=202409.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=<ID>&interactionCount=1&isAnonUser=1&landingPath=https%3A%2F%2Fexample.com%2F%3Fa%3D1%26groups%3DC0004%3A1&groups={groups}&AwaitingReconsent=false&geolocation=DE%3BBY"
    )
}

#[tokio::test]
async fn onetrust_end_to_end() {
    let own = "OptanonConsent";
    let granted = onetrust("C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A1%2CC0005%3A1");
    assert_eq!(
        kept(OneTrust::new(), own, &[OT_CLOSED, &granted]).await,
        names(&["sessionid", "lang", "_ga", "_hjid", "_fbp", own])
    );
    assert_eq!(
        kept(
            OneTrust::new(),
            own,
            &[
                OT_CLOSED,
                &onetrust("C0001:1,C0002:0,C0003:0,C0004:0,C0005:0")
            ]
        )
        .await,
        names(&["sessionid", own])
    );
    // Partial, raw; the encoded `groups` inside `landingPath` grants nothing.
    assert_eq!(
        kept(
            OneTrust::new(),
            own,
            &[&onetrust("C0001:1,C0002:0,C0003:1,C0004:0"), OT_CLOSED]
        )
        .await,
        names(&["sessionid", "lang", own])
    );
    // Groups without a recorded choice are the site's defaults: undecided.
    assert_eq!(
        kept(OneTrust::new(), own, &[&granted]).await,
        names(&["sessionid", own])
    );
    // Absent, malformed, truncated, wrong types.
    for cookie in [
        "other=1".to_owned(),
        onetrust("C0001:1,C0002"),
        onetrust("C0001:1,C0002:yes"),
        granted[..granted.len() / 2].to_owned(),
    ] {
        assert_eq!(
            kept(OneTrust::new(), own, &[OT_CLOSED, &cookie]).await,
            names(&["sessionid", own]),
            "{cookie}"
        );
    }
    // Duplicated OptanonConsent (two domains): the narrowest.
    assert_eq!(
        kept(
            OneTrust::new(),
            own,
            &[
                OT_CLOSED,
                &format!("{granted}; {}", onetrust("C0002:1,C0004:0"))
            ]
        )
        .await,
        names(&["sessionid", "_ga", "_hjid", own])
    );
    // A second `groups` field: the script reads one, so the value is unreadable.
    assert_eq!(
        kept(
            OneTrust::new(),
            own,
            &[
                OT_CLOSED,
                &format!("{}&groups=C0004:1", onetrust("C0002:1"))
            ]
        )
        .await,
        names(&["sessionid", own])
    );
}

// ----- Klaro -------------------------------------------------------------------------------

fn klaro() -> Klaro {
    Klaro::new()
        .map("googleAnalytics", "ga")
        .map("facebookPixel", "facebook")
        .map("inlineTracker", "functional")
}

#[tokio::test]
async fn klaro_end_to_end() {
    let own = "klaro";
    assert_eq!(
        kept(
            klaro(),
            own,
            &["klaro=%7B%22googleAnalytics%22%3Atrue%2C%22hotjar%22%3Atrue%2C%22facebookPixel%22%3Atrue%2C%22inlineTracker%22%3Atrue%7D"]
        )
        .await,
        names(&["sessionid", "lang", "_ga", "_hjid", "_fbp", own])
    );
    // Klaro's keys are services: a key equal to a category id grants no category; only
    // an explicit map (`inlineTracker` above) does.
    assert_eq!(
        kept(
            klaro(),
            own,
            &[r#"klaro={"functional":true,"marketing":true,"statistics":true}"#]
        )
        .await,
        names(&["sessionid", own])
    );
    // A repeated key grants only if every occurrence does (`JSON.parse` keeps the last).
    assert_eq!(
        kept(
            klaro(),
            own,
            &[r#"klaro={"googleAnalytics":true,"hotjar":true,"hotjar":null}"#]
        )
        .await,
        names(&["sessionid", "_ga", own])
    );
    assert_eq!(
        kept(
            klaro(),
            own,
            &[r#"klaro={"googleAnalytics":false,"hotjar":false,"facebookPixel":false}"#]
        )
        .await,
        names(&["sessionid", own])
    );
    // Partial, escape()-encoded.
    assert_eq!(
        kept(
            klaro(),
            own,
            &["klaro=%7B%22googleAnalytics%22%3Atrue%2C%22caf%E9%u20AC%22%3Atrue%7D"]
        )
        .await,
        names(&["sessionid", "_ga", own])
    );
    for cookie in [
        "other=1",
        r#"klaro={"googleAnalytics":true"#,
        r#"klaro={"googleAnalytics":"yes"}"#,
        "klaro=%7B%22googleAnalytics%22%3Atrue%2C",
    ] {
        assert_eq!(
            kept(klaro(), own, &[cookie]).await,
            names(&["sessionid", own]),
            "{cookie}"
        );
    }
    assert_eq!(
        kept(
            klaro(),
            own,
            &[
                r#"klaro={"googleAnalytics":true,"hotjar":true}"#,
                r#"klaro={"googleAnalytics":true,"hotjar":false}"#
            ]
        )
        .await,
        names(&["sessionid", "_ga", own])
    );
}

// ----- vanilla-cookieconsent ---------------------------------------------------------------

fn vanilla() -> VanillaCookieConsent {
    VanillaCookieConsent::new()
        .map("analytics", "statistics")
        .map("ads", "marketing")
        .map("preferences", "functional")
}

fn encode(json: &str) -> String {
    percent_encoding::utf8_percent_encode(json, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn cc_v3(categories: &str, services: &str) -> String {
    format!(
        "cc_cookie={}",
        encode(&format!(
            r#"{{"categories":[{categories}],"revision":0,"data":null,"consentTimestamp":"2025-01-06T09:00:00.000Z","consentId":"<ID>","services":{{{services}}},"languageCode":"en","lastConsentTimestamp":"2025-01-06T09:00:00.000Z","expirationTime":4102444800000}}"#
        ))
    )
}

#[tokio::test]
async fn vanilla_cookieconsent_end_to_end() {
    let own = "cc_cookie";
    assert_eq!(
        kept(
            vanilla(),
            own,
            &[&cc_v3(
                r#""necessary","preferences","analytics","ads""#,
                r#""analytics":["ga","hotjar"]"#
            )]
        )
        .await,
        names(&["sessionid", "lang", "_ga", "_hjid", "_fbp", own])
    );
    assert_eq!(
        kept(vanilla(), own, &[&cc_v3(r#""necessary""#, "")]).await,
        names(&["sessionid", own])
    );
    // Partial: hotjar switched off inside an accepted category.
    assert_eq!(
        kept(
            vanilla(),
            own,
            &[&cc_v3(
                r#""necessary","analytics""#,
                r#""analytics":["ga"]"#
            )]
        )
        .await,
        names(&["sessionid", "_ga", own])
    );
    // v2, raw and base64.
    let v2 = r#"{"level":["necessary","analytics"],"revision":0,"data":null,"rfc_cookie":false}"#;
    use base64::Engine;
    for cookie in [
        format!("cc_cookie={v2}"),
        format!(
            "cc_cookie={}",
            base64::engine::general_purpose::STANDARD.encode(v2)
        ),
    ] {
        assert_eq!(
            kept(vanilla(), own, &[&cookie]).await,
            names(&["sessionid", "_ga", "_hjid", own])
        );
    }
    // A pinned revision the cookie does not carry: asked again.
    assert_eq!(
        kept(vanilla().revision(2), own, &[&cc_v3(r#""analytics""#, "")]).await,
        names(&["sessionid", own])
    );
    let full = cc_v3(r#""analytics""#, "");
    for cookie in [
        "other=1".to_owned(),
        full[..full.len() - 9].to_owned(),
        r#"cc_cookie={"categories":"analytics"}"#.to_owned(),
        "cc_cookie=%7B%22categories%22%3A%5B%22analytics%22".to_owned(),
    ] {
        assert_eq!(
            kept(vanilla(), own, &[&cookie]).await,
            names(&["sessionid", own]),
            "{cookie}"
        );
    }
    assert_eq!(
        kept(
            vanilla(),
            own,
            &[&format!(
                "{}; {}",
                cc_v3(r#""analytics","ads""#, ""),
                cc_v3(r#""ads""#, "")
            )]
        )
        .await,
        names(&["sessionid", "_fbp", own])
    );
}

#[tokio::test]
async fn vanilla_services_never_widen_the_categories() {
    let own = "cc_cookie";
    // F7: `JSON.parse` keeps the last `statistics` list (`["hotjar"]`); a category given
    // twice inside `services` is unreadable, never the union.
    let repeated = encode(
        r#"{"categories":["necessary","statistics"],"revision":0,"services":{"statistics":["ga"],"statistics":["hotjar"]}}"#,
    );
    assert_eq!(
        kept(vanilla(), own, &[&format!("cc_cookie={repeated}")]).await,
        names(&["sessionid", own])
    );
    // F8: `facebook` is declared in `marketing` only: listed under `statistics` it grants
    // nothing (and the non-empty list switches `hotjar` off).
    let misfiled = encode(
        r#"{"categories":["necessary","statistics"],"revision":0,"services":{"statistics":["ga","facebook"]}}"#,
    );
    assert_eq!(
        kept(vanilla(), own, &[&format!("cc_cookie={misfiled}")]).await,
        names(&["sessionid", "_ga", own])
    );
    // A category name equal to a service id is not that service.
    let named = encode(r#"{"categories":["necessary","facebook"],"revision":0}"#);
    assert_eq!(
        kept(vanilla(), own, &[&format!("cc_cookie={named}")]).await,
        names(&["sessionid", own])
    );
}

#[tokio::test]
async fn vanilla_revision_older_than_the_registry_is_asked_again() {
    let registry = Registry::builder()
        .default_categories()
        .revision(1)
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .build()
        .unwrap();
    let layer = CookieConsentLayer::builder(registry)
        .reader(vanilla())
        .max_consent_age(None)
        .build()
        .unwrap();
    let consent = layer
        .enforcer()
        .read_consent(&cookie_headers(&[&cc_v3(r#""analytics""#, "")]));
    assert_eq!(consent.state(), ConsentState::Undecided);
}

// ----- tarteaucitron -----------------------------------------------------------------------

fn tarteaucitron() -> Tarteaucitron {
    Tarteaucitron::new()
        .map("gtag", "ga")
        .map("facebookpixel", "facebook")
        .map("inlinetracker", "functional")
}

#[tokio::test]
async fn tarteaucitron_end_to_end() {
    let own = "tarteaucitron";
    assert_eq!(
        kept(
            tarteaucitron(),
            own,
            &["tarteaucitron=!gtag=true!hotjar=true!facebookpixel=true!inlinetracker=true"]
        )
        .await,
        names(&["sessionid", "lang", "_ga", "_hjid", "_fbp", own])
    );
    // Keys are services: a key equal to a category id grants no category.
    assert_eq!(
        kept(
            tarteaucitron(),
            own,
            &["tarteaucitron=!functional=true!marketing=true!statistics=true"]
        )
        .await,
        names(&["sessionid", own])
    );
    // A key given twice with a `wait` is not granted.
    assert_eq!(
        kept(
            tarteaucitron(),
            own,
            &["tarteaucitron=!gtag=true!hotjar=true!hotjar=wait"]
        )
        .await,
        names(&["sessionid", "_ga", own])
    );
    assert_eq!(
        kept(
            tarteaucitron(),
            own,
            &["tarteaucitron=!gtag=false!hotjar=false!facebookpixel=false"]
        )
        .await,
        names(&["sessionid", own])
    );
    assert_eq!(
        kept(
            tarteaucitron(),
            own,
            &["tarteaucitron=%21gtag%3Dtrue%21hotjar%3Dwait%21facebookpixel%3Dfalse"]
        )
        .await,
        names(&["sessionid", "_ga", own])
    );
    for cookie in [
        "other=1",
        "tarteaucitron=gtag=true",
        "tarteaucitron=!gtag=wait!hotjar=wait",
        "tarteaucitron=!gtag=tr",
        "tarteaucitron=!gtag=1!hotjar=yes",
    ] {
        assert_eq!(
            kept(tarteaucitron(), own, &[cookie]).await,
            names(&["sessionid", own]),
            "{cookie}"
        );
    }
    assert_eq!(
        kept(
            tarteaucitron(),
            own,
            &[
                "tarteaucitron=!gtag=true!facebookpixel=true",
                "tarteaucitron=!gtag=true!facebookpixel=false"
            ]
        )
        .await,
        names(&["sessionid", "_ga", own])
    );
}

// ----- Property tests ----------------------------------------------------------------------

/// Every reader of this file, configured to map onto [`registry`].
fn readers() -> Vec<(&'static str, Box<dyn ReadConsent>)> {
    vec![
        ("CookieConsent", Box::new(Cookiebot::new())),
        ("OptanonConsent", Box::new(OneTrust::new())),
        ("klaro", Box::new(klaro())),
        ("cc_cookie", Box::new(vanilla())),
        ("tarteaucitron", Box::new(tarteaucitron())),
    ]
}

fn read(reader: &dyn ReadConsent, registry: &Registry, headers: &HeaderMap) -> Consent {
    let now = UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    reader.read_consent(&ConsentRequest::at(headers, registry, now))
}

/// Bytes a `Cookie` field can carry inside one cookie-value: no controls but HTAB, no `;`.
fn value_byte() -> impl Strategy<Value = u8> {
    any::<u8>().prop_map(|b| match b {
        b';' | 0x7f => b'!',
        b if b < 0x20 && b != b'\t' => b'%',
        b => b,
    })
}

/// Like [`value_byte`], and never `e`, `"`, `%` or `1`: without them no format can say
/// "grant" (`true` needs `e`; a JSON string needs `"`; an escape needs `%`; OneTrust's grant
/// flag and Cookiebot's `-1` need `1`; a base64 JSON object starts with `e`).
fn grant_free_byte() -> impl Strategy<Value = u8> {
    value_byte().prop_map(|b| match b {
        b'e' | b'"' | b'%' | b'1' => b'x',
        b => b,
    })
}

fn cookie_of(name: &str, value: &[u8]) -> Vec<u8> {
    let mut field = format!("{name}=").into_bytes();
    field.extend_from_slice(value);
    field
}

fn grants_nothing(consent: &Consent) -> bool {
    consent.granted_categories().is_empty() && consent.granted_services().is_empty()
}

/// Lowercase names plus bytes that drive the parsers: brackets, quotes, escapes.
fn structured_value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            value_byte(),
            prop::sample::select(b"{}[]\":,'!=&%uE9true".to_vec()),
        ],
        0..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_reader_panics_on_arbitrary_values(
        value in prop_oneof![prop::collection::vec(value_byte(), 0..5000), structured_value()]
    ) {
        let registry = registry();
        for (name, reader) in readers() {
            let field = cookie_of(name, &value);
            let h = cookie_headers(&[field.clone(), OT_CLOSED.as_bytes().to_vec()]);
            let _ = read(reader.as_ref(), &registry, &h);
            let h = cookie_headers(&[field.clone(), field]);
            let _ = read(reader.as_ref(), &registry, &h);
        }
    }

    #[test]
    fn no_reader_grants_without_a_grant_token(
        value in prop::collection::vec(grant_free_byte(), 0..400)
    ) {
        let registry = registry();
        for (name, reader) in readers() {
            let h = cookie_headers(&[cookie_of(name, &value), OT_CLOSED.as_bytes().to_vec()]);
            let consent = read(reader.as_ref(), &registry, &h);
            prop_assert!(grants_nothing(&consent), "{name}: {:?}", String::from_utf8_lossy(&value));
        }
    }

    /// The formats that close with a terminator (`}`) cannot be widened by a cut: every
    /// strict prefix of a real-shaped value grants nothing. (OneTrust's query string and
    /// tarteaucitron's `!` list have no terminator, so a cut can drop a later field; their
    /// unit tests check that a cut flag never reads as a grant.)
    #[test]
    fn a_truncated_value_grants_nothing(cut in 0.0..1.0f64) {
        let registry = registry();
        let v2 = r#"{"level":["necessary","analytics","ads"],"revision":0}"#;
        use base64::Engine;
        let cases: Vec<(Box<dyn ReadConsent>, String)> = vec![
            (Box::new(Cookiebot::new()), cookiebot(true, true, true)),
            (Box::new(Cookiebot::new()), cookiebot(true, true, true).replace("%27", "'").replace("%2C", ",")),
            (Box::new(klaro()), "klaro=%7B%22googleAnalytics%22%3Atrue%2C%22hotjar%22%3Atrue%2C%22functional%22%3Atrue%7D".into()),
            (Box::new(klaro()), r#"klaro={"googleAnalytics":true,"hotjar":true,"functional":true}"#.into()),
            (Box::new(vanilla()), cc_v3(r#""necessary","preferences","analytics","ads""#, r#""analytics":["ga","hotjar"]"#)),
            (Box::new(vanilla()), format!("cc_cookie={v2}")),
            (Box::new(vanilla()), format!("cc_cookie={}", base64::engine::general_purpose::STANDARD.encode(v2))),
        ];
        for (reader, full) in cases {
            let name_len = full.find('=').unwrap() + 1;
            let keep = name_len + ((full.len() - name_len) as f64 * cut) as usize;
            let prefix = &full[..keep.min(full.len() - 1)];
            let consent = read(reader.as_ref(), &registry, &cookie_headers(&[prefix]));
            prop_assert!(grants_nothing(&consent), "{}", prefix);
        }
    }

    #[test]
    fn cookiebot_grants_exactly_what_the_value_grants(
        flags in prop::collection::vec(prop::option::of(any::<bool>()), 4),
        encoding in 0..3u8,
        duplicate_key in any::<bool>(),
    ) {
        let keys = ["necessary", "preferences", "statistics", "marketing"];
        let targets = ["necessary", "functional", "statistics", "marketing"];
        let mut members = vec![format!("stamp:'{}'", "k+9/Aw==")];
        for (key, flag) in keys.iter().zip(&flags) {
            if let Some(flag) = flag {
                members.push(format!("{key}:{flag}"));
            }
        }
        if duplicate_key {
            members.push("statistics:false".into());
        }
        members.push("method:'explicit'".into());
        members.push("utc:1735689600000".into());
        let raw = format!("{{{}}}", members.join(","));
        let value = match encoding {
            0 => raw,
            1 => raw.replace('\'', "%27").replace(',', "%2C"),
            _ => encode(&raw),
        };
        let registry = registry();
        let consent = read(&Cookiebot::new(), &registry, &cookie_headers(&[&format!("CookieConsent={value}")]));
        prop_assert!(consent.is_decided());
        for (i, target) in targets.iter().enumerate() {
            let expected = flags[i] == Some(true) && !(duplicate_key && keys[i] == "statistics");
            let id = registry.category_id(target).unwrap();
            prop_assert_eq!(consent.is_category_granted(id), expected, "{}", target);
        }
        prop_assert!(consent.granted_services().is_empty());
    }

    #[test]
    fn onetrust_grants_exactly_what_the_value_grants(
        flags in prop::collection::vec(prop::option::of(any::<bool>()), 9),
        encoded in any::<bool>(),
    ) {
        let groups = ["C0001", "C0002", "C0003", "C0004", "C0005", "1", "2", "3", "4"];
        let targets = ["necessary", "statistics", "functional", "marketing", "marketing",
                       "necessary", "statistics", "functional", "marketing"];
        let list: Vec<String> = groups.iter().zip(&flags)
            .filter_map(|(g, f)| f.map(|f| format!("{g}:{}", u8::from(f))))
            .collect();
        let mut list = list.join(",");
        if encoded {
            list = encode(&list);
        }
        let registry = registry();
        let consent = read(&OneTrust::new(), &registry, &cookie_headers(&[OT_CLOSED, &onetrust(&list)]));
        for target in ["necessary", "functional", "statistics", "marketing"] {
            let mine: Vec<_> = targets.iter().zip(&flags).filter(|(t, _)| **t == target).map(|(_, f)| *f).collect();
            let expected = mine.contains(&Some(true)) && !mine.contains(&Some(false));
            let id = registry.category_id(target).unwrap();
            prop_assert_eq!(consent.is_category_granted(id), expected, "{}", target);
        }
    }

    #[test]
    fn klaro_and_tarteaucitron_grant_exactly_what_the_value_grants(
        flags in prop::collection::vec(prop::option::of(any::<bool>()), 6),
        encoding in 0..3u8,
    ) {
        // CMP name, registry id. `inlineTracker` is mapped to a category explicitly;
        // `marketing`, a category id used as a key, stands for nothing (keys are services).
        let names = [("googleAnalytics", "ga"), ("hotjar", "hotjar"), ("facebookPixel", "facebook"),
                     ("inlineTracker", "functional"), ("marketing", "marketing"), ("unknown", "")];
        let registry = registry();
        let members: Vec<String> = names.iter().zip(&flags)
            .filter_map(|((n, _), f)| f.map(|f| format!("\"{n}\":{f}")))
            .collect();
        let json = format!("{{{}}}", members.join(","));
        let klaro_value = match encoding {
            0 => json.clone(),
            1 => encode(&json),
            _ => json.replace('"', "%22").replace(':', "%3A").replace(',', "%2C")
                .replace('{', "%7B").replace('}', "%7D") + "%u0020",
        };
        let tarte_value: String = names.iter().zip(&flags)
            .map(|((n, _), f)| format!("!{}={}", n.to_lowercase(),
                f.map_or("wait".to_owned(), |f| f.to_string())))
            .collect();
        let tarte = Tarteaucitron::new().map("googleanalytics", "ga").map("facebookpixel", "facebook")
            .map("inlinetracker", "functional");
        let readings = [
            read(&klaro(), &registry, &cookie_headers(&[&format!("klaro={klaro_value}")])),
            read(&tarte, &registry, &cookie_headers(&[&format!("tarteaucitron={tarte_value}")])),
        ];
        for (which, consent) in readings.iter().enumerate() {
            if which == 1 && flags.iter().all(Option::is_none) {
                prop_assert_eq!(consent.state(), ConsentState::Undecided);
                continue;
            }
            prop_assert!(consent.is_decided(), "{} {}", which, klaro_value);
            for ((name, id), flag) in names.iter().zip(&flags) {
                let mapped = !name.eq_ignore_ascii_case(id);
                if let Some(s) = registry.service_id(id) {
                    prop_assert_eq!(consent.service_decision(s), *flag, "{}", id);
                } else if let Some(c) = registry.category_id(id) {
                    let expected = mapped && *flag == Some(true);
                    prop_assert_eq!(consent.is_category_granted(c), expected, "{}", id);
                }
            }
            // Nothing else is granted.
            for c in consent.granted_categories().iter() {
                let id = registry.category(c).id();
                prop_assert!(names.iter().zip(&flags)
                    .any(|((n, t), f)| *t == id && !n.eq_ignore_ascii_case(t) && *f == Some(true)));
            }
        }
    }

    #[test]
    fn vanilla_grants_exactly_what_the_value_grants(
        accepted in prop::collection::vec(any::<bool>(), 4),
        listed in prop::collection::vec(any::<bool>(), 2),
        v2 in any::<bool>(),
    ) {
        let cats = ["necessary", "preferences", "analytics", "ads"];
        let targets = ["necessary", "functional", "statistics", "marketing"];
        let list: Vec<String> = cats.iter().zip(&accepted).filter(|(_, a)| **a).map(|(c, _)| format!("\"{c}\"")).collect();
        let services: Vec<String> = ["ga", "hotjar"].iter().zip(&listed).filter(|(_, l)| **l).map(|(s, _)| format!("\"{s}\"")).collect();
        let registry = registry();
        let cookie = if v2 {
            format!(r#"cc_cookie={{"level":[{}],"revision":0}}"#, list.join(","))
        } else {
            cc_v3(&list.join(","), &format!(r#""analytics":[{}]"#, services.join(",")))
        };
        let consent = read(&vanilla(), &registry, &cookie_headers(&[&cookie]));
        prop_assert!(consent.is_decided());
        for (i, target) in targets.iter().enumerate() {
            prop_assert_eq!(consent.is_category_granted(registry.category_id(target).unwrap()), accepted[i]);
        }
        let analytics = accepted[2] && !v2 && listed.iter().any(|l| *l);
        for (i, s) in ["ga", "hotjar"].iter().enumerate() {
            let expected = analytics.then_some(listed[i]);
            prop_assert_eq!(consent.service_decision(registry.service_id(s).unwrap()), expected, "{}", s);
        }
        prop_assert_eq!(consent.service_decision(registry.service_id("facebook").unwrap()), None);
    }
}
