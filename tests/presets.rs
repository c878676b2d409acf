//! The presets: what they declare, that they build and merge, and how they are enforced.

use std::time::Duration;

use http::{header::COOKIE, HeaderMap, HeaderValue};
use tower_cookie_consent::{
    presets, Category, Consent, ConsentRequest, Declaration, ReadConsent, Reason, Registry,
    UnknownPolicy,
};

const DAY: u64 = 86_400;

fn secs(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_secs())
}

#[test]
fn opendatasoft_categories_follow_the_platform_policy() {
    let registry = presets::opendatasoft().build().unwrap();
    let categories: Vec<_> = registry
        .categories()
        .iter()
        .map(|c| {
            (
                c.id(),
                c.label_text(),
                c.is_consent_required(),
                c.is_sale_or_sharing(),
            )
        })
        .collect();
    assert_eq!(
        categories,
        [
            ("necessary", "Necessary", false, false),
            ("statistics", "Statistical", true, false),
            ("internal", "Internal / first-party", true, false),
            ("third_party", "Third-party", true, true),
        ]
    );
    for c in registry.categories() {
        assert!(!c.description_text().is_empty(), "{}", c.id());
    }
}

#[test]
fn opendatasoft_necessary_cookies_are_the_published_ones() {
    let registry = presets::opendatasoft().build().unwrap();
    let expected = [
        (
            "sessionid",
            "Authentication (front and back office)",
            "To remember the user from one page to another.",
            Some(14 * DAY),
        ),
        (
            "django_language",
            "Language selection (front and back office)",
            "To remember the visitor's language.",
            Some(365 * DAY),
        ),
        (
            "csrftoken",
            "API (CSRF) (front and back office)",
            "To retrieve data via API calls.",
            Some(365 * DAY),
        ),
        (
            "cookies_preferences",
            "Choices related to your cookie preferences",
            "To remember the visitor's cookie preferences.",
            Some(180 * DAY),
        ),
    ];
    for (name, function, purpose, duration) in expected {
        let d = registry.lookup(name.as_bytes()).unwrap();
        assert_eq!(d.category_id(), "necessary", "{name}");
        assert_eq!(d.provider_text(), "Opendatasoft", "{name}");
        assert_eq!(d.function_text(), function, "{name}");
        assert_eq!(d.purpose_text(), purpose, "{name}");
        assert_eq!(secs(d.duration_value()), duration, "{name}");
        let verdict = registry.judge(name.as_bytes(), &Consent::undecided(), UnknownPolicy::Block);
        assert!(verdict.is_allowed(), "{name} needs no consent");
    }
    let necessary: Vec<_> = registry
        .declarations()
        .iter()
        .filter(|d| d.category_id() == "necessary")
        .map(|d| d.matcher().as_str())
        .collect();
    assert_eq!(
        necessary,
        [
            "sessionid",
            "django_language",
            "csrftoken",
            "cookies_preferences"
        ]
    );
}

#[test]
fn opendatasoft_services_are_the_consent_cookie_keys() {
    let registry = presets::opendatasoft().build().unwrap();
    let mut services = registry.services().to_vec();
    services.sort();
    assert_eq!(
        services,
        ["at", "eulerian", "ga", "matomo", "piano", "xiti"]
    );
    // One cookie of each service, as its vendor names it.
    let samples: [(&[u8], &str, &str, u64); 12] = [
        (b"_ga", "ga", "statistics", 730 * DAY),
        (b"_ga_ABC123XYZ", "ga", "statistics", 730 * DAY),
        (b"_gid", "ga", "statistics", DAY),
        (b"_pk_id.1.1fff", "matomo", "statistics", 390 * DAY),
        (b"_pk_ses.1.1fff", "matomo", "statistics", 1800),
        (b"_pk_ref.3.abcd", "matomo", "statistics", 180 * DAY),
        (b"atuserid", "at", "statistics", 390 * DAY),
        (b"atidvisitor", "at", "statistics", 180 * DAY),
        (b"_pcid", "piano", "statistics", 390 * DAY),
        (b"pa_vid", "piano", "statistics", 390 * DAY),
        (b"etuix", "eulerian", "statistics", 390 * DAY),
        (b"atid", "xiti", "third_party", 390 * DAY),
    ];
    for (name, service, category, duration) in samples {
        let label = String::from_utf8_lossy(name);
        let d = registry.lookup(name).unwrap_or_else(|| panic!("{label}"));
        assert_eq!(d.service_id(), Some(service), "{label}");
        assert_eq!(d.category_id(), category, "{label}");
        assert_eq!(secs(d.duration_value()), Some(duration), "{label}");
    }
}

#[test]
fn opendatasoft_exempts_only_cookies_without_an_identifier() {
    let registry = presets::opendatasoft().build().unwrap();
    let mut exempt: Vec<_> = registry
        .declarations()
        .iter()
        .filter(|d| d.consent_required_override() == Some(false))
        .map(|d| d.matcher().as_str())
        .collect();
    exempt.sort();
    assert_eq!(
        exempt,
        [
            "_pk_testcookie",
            "_pprv",
            "atauthority",
            "mtm_consent",
            "mtm_consent_removed",
            "mtm_cookie_consent",
            "pa_privacy"
        ]
    );
    let undecided = Consent::undecided();
    let verdict = registry.judge(b"mtm_consent", &undecided, UnknownPolicy::Block);
    assert_eq!(verdict.reason(), Reason::Exempt);
    for identifier in [&b"_pk_id.1.ab"[..], b"_pcid", b"atuserid", b"etuix", b"_ga"] {
        assert!(
            !registry
                .judge(identifier, &undecided, UnknownPolicy::Block)
                .is_allowed(),
            "{}",
            String::from_utf8_lossy(identifier)
        );
    }
}

#[test]
fn opendatasoft_third_party_is_switched_off_by_gpc() {
    let registry = presets::opendatasoft().build().unwrap();
    let third_party = registry.category_id("third_party").unwrap();
    assert!(registry.sale_or_sharing().contains(third_party));
    assert_eq!(registry.sale_or_sharing().iter().count(), 1);
}

fn read(registry: &Registry, cookie: &'static str) -> Consent {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::from_static(cookie));
    presets::opendatasoft_consent().read_consent(&ConsentRequest::new(&headers, registry))
}

#[test]
fn opendatasoft_consent_maps_functional_cookies_to_internal() {
    // A portal adds one optional cookie of its own in `internal`.
    let registry = Registry::builder()
        .cookie(Declaration::exact("map_layout").category("internal"))
        .merge(presets::opendatasoft())
        .build()
        .unwrap();
    let consent = read(
        &registry,
        "cookies_preferences=%7B%22functional_cookies%22%3Atrue%2C%22ga%22%3Afalse%2C%22matomo%22%3Atrue%2C%22timestamp%22%3A1735689600000%7D",
    );
    assert!(consent.is_category_granted(registry.category_id("internal").unwrap()));
    let judge = |name: &[u8]| registry.judge(name, &consent, UnknownPolicy::Block);
    assert!(judge(b"map_layout").is_allowed());
    assert_eq!(judge(b"_ga").reason(), Reason::ServiceRefused);
    assert_eq!(judge(b"_pk_id.1.abcd").reason(), Reason::ServiceGranted);
    // Undecided services of a refused category stay blocked.
    assert!(!judge(b"_pcid").is_allowed());
    assert!(!judge(b"atid").is_allowed());

    let refused = read(
        &registry,
        "cookies_preferences=%7B%22functional_cookies%22%3Afalse%7D",
    );
    assert!(!registry
        .judge(b"map_layout", &refused, UnknownPolicy::Block)
        .is_allowed());
    assert!(registry
        .judge(b"sessionid", &refused, UnknownPolicy::Block)
        .is_allowed());
}

#[test]
fn common_trackers_declares_every_listed_tool() {
    let registry = presets::common_trackers().build().unwrap();
    let ids: Vec<_> = registry.categories().iter().map(Category::id).collect();
    assert_eq!(ids, ["necessary", "functional", "statistics", "marketing"]);
    let samples: [(&[u8], &str, &str, Option<u64>); 24] = [
        (b"_ga", "ga", "statistics", Some(730 * DAY)),
        (b"_ga_G1234", "ga", "statistics", Some(730 * DAY)),
        (b"_gat", "ga", "statistics", Some(60)),
        (b"_gcl_au", "google_ads", "marketing", Some(90 * DAY)),
        (b"IDE", "google_ads", "marketing", Some(390 * DAY)),
        (b"_fbp", "meta_pixel", "marketing", Some(90 * DAY)),
        (b"_fbc", "meta_pixel", "marketing", Some(90 * DAY)),
        (b"_clck", "clarity", "statistics", Some(365 * DAY)),
        (b"_clsk", "clarity", "statistics", Some(DAY)),
        (b"_uetvid", "microsoft_ads", "marketing", Some(390 * DAY)),
        (b"MUID", "microsoft_ads", "marketing", Some(390 * DAY)),
        (
            b"_hjSessionUser_123456",
            "hotjar",
            "statistics",
            Some(365 * DAY),
        ),
        (b"_hjSession_123456", "hotjar", "statistics", Some(1800)),
        (b"_hjDonePolls", "hotjar", "statistics", Some(365 * DAY)),
        (b"_pk_id.1.1fff", "matomo", "statistics", Some(390 * DAY)),
        (b"__hstc", "hubspot", "marketing", Some(180 * DAY)),
        (b"hubspotutk", "hubspot", "marketing", Some(180 * DAY)),
        (b"li_fat_id", "linkedin", "marketing", Some(30 * DAY)),
        (b"_ttp", "tiktok", "marketing", Some(390 * DAY)),
        (b"__stripe_mid", "stripe", "necessary", Some(365 * DAY)),
        (b"__cf_bm", "cloudflare", "necessary", Some(1800)),
        (
            b"intercom-id-abc123",
            "intercom",
            "functional",
            Some(270 * DAY),
        ),
        (
            b"intercom-session-abc123",
            "intercom",
            "functional",
            Some(7 * DAY),
        ),
        (b"YSC", "youtube", "marketing", None),
    ];
    for (name, service, category, duration) in samples {
        let label = String::from_utf8_lossy(name);
        let d = registry.lookup(name).unwrap_or_else(|| panic!("{label}"));
        assert_eq!(d.service_id(), Some(service), "{label}");
        assert_eq!(d.category_id(), category, "{label}");
        assert_eq!(secs(d.duration_value()), duration, "{label}");
    }
    // Stripe's and Cloudflare's cookies pass without consent; Meta's do not.
    let undecided = Consent::undecided();
    assert!(registry
        .judge(b"__cf_bm", &undecided, UnknownPolicy::Block)
        .is_allowed());
    assert!(registry
        .judge(b"__stripe_sid", &undecided, UnknownPolicy::Block)
        .is_allowed());
    assert!(!registry
        .judge(b"_fbp", &undecided, UnknownPolicy::Block)
        .is_allowed());
}

#[test]
fn every_preset_declaration_is_documented() {
    for (preset, registry) in [
        ("opendatasoft", presets::opendatasoft().build().unwrap()),
        (
            "common_trackers",
            presets::common_trackers().build().unwrap(),
        ),
    ] {
        for d in registry.declarations() {
            let name = d.matcher().as_str();
            assert!(!d.provider_text().is_empty(), "{preset}: {name} provider");
            assert!(!d.function_text().is_empty(), "{preset}: {name} function");
            assert!(!d.purpose_text().is_empty(), "{preset}: {name} purpose");
            // Third-party tools have a service id a banner can offer; the platform's own
            // necessary cookies do not need one.
            if d.provider_text() != "Opendatasoft" {
                assert!(d.service_id().is_some(), "{preset}: {name} service");
            }
        }
    }
}

#[test]
fn opendatasoft_and_common_trackers_merge() {
    let ods = presets::opendatasoft();
    let common = presets::common_trackers();
    let (ods_len, common_len) = (
        ods.declarations_so_far().len(),
        common.declarations_so_far().len(),
    );
    let shared = common
        .declarations_so_far()
        .iter()
        .filter(|c| {
            ods.declarations_so_far()
                .iter()
                .any(|o| o.matcher() == c.matcher())
        })
        .count();
    // Google Analytics and Matomo are the tools both presets declare.
    assert_eq!(shared, 6 + 9);
    let registry = ods.merge(common).build().unwrap();
    assert_eq!(registry.declarations().len(), ods_len + common_len - shared);
    let ids: Vec<_> = registry.categories().iter().map(Category::id).collect();
    assert_eq!(
        ids,
        [
            "necessary",
            "statistics",
            "internal",
            "third_party",
            "functional",
            "marketing"
        ]
    );
    // The first preset's categories win.
    let statistics = registry.category(registry.category_id("statistics").unwrap());
    assert_eq!(statistics.label_text(), "Statistical");
    assert_eq!(registry.lookup(b"_fbp").unwrap().category_id(), "marketing");
    assert_eq!(registry.lookup(b"_ga").unwrap().service_id(), Some("ga"));
    // Both sale-or-sharing categories are switched off by GPC.
    assert_eq!(registry.sale_or_sharing().iter().count(), 2);
}

#[test]
fn site_entries_win_over_a_preset() {
    let registry = Registry::builder()
        .default_categories()
        .cookie(
            Declaration::pattern("_pk_id.*")
                .category("statistics")
                .service("matomo")
                .purpose("Our Matomo runs in the CNIL-exempt configuration.")
                .exempt(),
        )
        .merge(presets::common_trackers())
        .build()
        .unwrap();
    let verdict = registry.judge(b"_pk_id.1.ab", &Consent::undecided(), UnknownPolicy::Block);
    assert_eq!(verdict.reason(), Reason::Exempt);
}
