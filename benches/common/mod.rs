//! Fixtures shared by the benchmarks: registries, request `Cookie` headers and response
//! `Set-Cookie` lists of the shapes named in issue 7.

#![allow(dead_code)] // each bench uses part of the fixtures

use std::time::{SystemTime, UNIX_EPOCH};

use tower_cookie_consent::{Declaration, Registry, RegistryBuilder};

/// The categories plus about 80 declarations of a real site: an Opendatasoft-style portal
/// (its own necessary and functional cookies, Google Analytics, Matomo) plus the usual
/// third-party tools (Google Ads, Meta Pixel, Clarity, Bing UET, Hotjar, HubSpot, LinkedIn,
/// TikTok, Stripe, Cloudflare, Intercom, YouTube). Exact names, prefixes and globs mixed as
/// vendors document them. Stands in for `presets::opendatasoft().merge(presets::common_trackers())`
/// until the presets are on `main`.
pub(crate) fn typical_builder() -> RegistryBuilder {
    let mut b = Registry::builder().default_categories();
    let necessary = [
        "sessionid",
        "csrftoken",
        "ods_session",
        "ods_csrf",
        "cf_clearance",
        "__cf_bm",
        "__cflb",
        "_cfuvid",
        "__stripe_mid",
        "__stripe_sid",
        "__hs_opt_out",
        "__hs_do_not_track",
        "__hs_cookie_cat_pref",
        "__hs_initial_opt_in",
    ];
    for n in necessary {
        b = b.cookie(Declaration::exact(n).category("necessary"));
    }
    for n in ["lang", "ods_theme", "ods_tz", "PREF", "django_language"] {
        b = b.cookie(Declaration::exact(n).category("functional"));
    }
    for p in ["intercom-id-", "intercom-session-", "intercom-device-id-"] {
        b = b.cookie(
            Declaration::prefix(p)
                .category("functional")
                .service("intercom"),
        );
    }
    let stats = [
        (
            "ga",
            &["_ga", "_gid", "_gat", "AMP_TOKEN"][..],
            &["_ga_", "_dc_gtm_", "_gat_"][..],
        ),
        (
            "clarity",
            &["_clck", "_clsk", "CLID", "ANONCHK", "MR", "SM"],
            &[],
        ),
        (
            "hotjar",
            &[
                "_hjid",
                "_hjFirstSeen",
                "_hjAbsoluteSessionInProgress",
                "_hjTLDTest",
            ],
            &["_hjSessionUser_", "_hjSession_", "_hjIncludedIn"],
        ),
        (
            "matomo",
            &[
                "mtm_consent",
                "mtm_consent_removed",
                "mtm_cookie_consent",
                "_pk_uid",
            ],
            &["_pk_testcookie"],
        ),
        (
            "atinternet",
            &["atuserid", "atidvisitor", "pa_vid", "pa_user"],
            &[],
        ),
    ];
    for (service, exact, prefixes) in stats {
        for n in exact {
            b = b.cookie(
                Declaration::exact(*n)
                    .category("statistics")
                    .service(service),
            );
        }
        for p in prefixes {
            b = b.cookie(
                Declaration::prefix(*p)
                    .category("statistics")
                    .service(service),
            );
        }
    }
    for g in [
        "_pk_id.*",
        "_pk_ses.*",
        "_pk_ref.*",
        "_pk_cvar.*",
        "_pk_hsr.*",
    ] {
        b = b.cookie(
            Declaration::pattern(g)
                .category("statistics")
                .service("matomo"),
        );
    }
    let marketing = [
        (
            "google_ads",
            &[
                "_gcl_au",
                "_gcl_aw",
                "_gcl_dc",
                "__gads",
                "__gpi",
                "IDE",
                "DSID",
                "test_cookie",
            ][..],
            &["_gac_"][..],
        ),
        ("meta_pixel", &["_fbp", "_fbc", "fr"], &[]),
        (
            "microsoft_ads",
            &["_uetsid", "_uetvid", "_uetmsclkid", "MUID"],
            &[],
        ),
        (
            "hubspot",
            &["__hstc", "hubspotutk", "__hssc", "__hssrc"],
            &[],
        ),
        (
            "linkedin",
            &[
                "li_fat_id",
                "li_sugr",
                "bcookie",
                "lidc",
                "UserMatchHistory",
                "AnalyticsSyncHistory",
            ],
            &[],
        ),
        ("tiktok", &["_ttp", "_tt_enable_cookie"], &["ttcsid"]),
        (
            "youtube",
            &["YSC", "VISITOR_INFO1_LIVE", "VISITOR_PRIVACY_METADATA"],
            &[],
        ),
    ];
    for (service, exact, prefixes) in marketing {
        for n in exact {
            b = b.cookie(
                Declaration::exact(*n)
                    .category("marketing")
                    .service(service),
            );
        }
        for p in prefixes {
            b = b.cookie(
                Declaration::prefix(*p)
                    .category("marketing")
                    .service(service),
            );
        }
    }
    b
}

/// [`typical_builder`], built.
pub(crate) fn typical_registry() -> Registry {
    typical_builder().build().expect("typical registry")
}

/// The typical declarations padded to 2,000 declarations, of which 300 prefixes and 100
/// patterns (the `large_registry` scenario).
pub(crate) fn large_registry() -> Registry {
    let base = typical_builder();
    let decls = base.declarations_so_far();
    let count = |kind: &str| decls.iter().filter(|d| d.matcher().kind() == kind).count();
    let (prefixes, patterns) = (count("prefix"), count("pattern"));
    let exact = decls.len() - prefixes - patterns;
    let mut b = base;
    for i in 0..(300 - prefixes) {
        b = b.cookie(Declaration::prefix(format!("vendor{i}_")).category("marketing"));
    }
    for i in 0..(100 - patterns) {
        b = b.cookie(Declaration::pattern(format!("tag{i}_*_v?")).category("statistics"));
    }
    for i in 0..(1600 - exact) {
        b = b.cookie(Declaration::exact(format!("site_cookie_{i}")).category("functional"));
    }
    let registry = b.build().expect("large registry");
    assert_eq!(registry.declarations().len(), 2000);
    registry
}

/// Milliseconds since the Unix epoch, an hour ago (a fresh consent).
pub(crate) fn recent_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        - 3_600_000
}

/// The percent-encoded `cookies_preferences` value of a visitor who accepted functional and
/// statistics cookies and refused marketing.
pub(crate) fn consent_value() -> String {
    let json = format!(
        r#"{{"necessary":true,"functional":true,"statistics":true,"marketing":false,"timestamp":{}}}"#,
        recent_ms()
    );
    percent_encoding::utf8_percent_encode(&json, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A `Cookie` field of 12 cookies, about 1 KB, the consent cookie last.
pub(crate) fn typical_cookie_header() -> String {
    let header = format!(
        "sessionid=k3v9q8w7e6r5t4y3u2i1o0p9a8s7d6f5; \
         csrftoken=Qm9iY2F0X2NzcmZfdG9rZW5fMTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY; \
         _ga=GA1.1.1234567890.1735689600; \
         _ga_ABCDEF1234=GS1.1.1735689600.5.1.1735690000.0.0.0; \
         _gid=GA1.2.987654321.1735689600; \
         _fbp=fb.1.1735689600000.1234567890; \
         _pk_id.1.a1b2=0123456789abcdef.1735689600.; \
         _hjSessionUser_123456=eyJpZCI6IjAxMjM0NTY3LTg5YWItY2RlZi0wMTIzLTQ1Njc4OWFiY2RlZiIsImNyZWF0ZWQiOjE3MzU2ODk2MDAwMDAsImV4aXN0aW5nIjp0cnVlfQ==; \
         __cf_bm=Hx2b9kLmN4pQ7rStUvWxYz0123456789abcdefGHIJKLmnopQRSTuvwxYZ-1735689600-1.0.1.1-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIj; \
         intercom-id-abc123=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0; \
         lang=fr; \
         cookies_preferences={}",
        consent_value()
    );
    debug_assert_eq!(header.matches("; ").count(), 11);
    header
}

/// Five `Set-Cookie` values; with the consent of [`consent_value`], the 2nd (`_fbp`,
/// marketing refused) and the 4th (`promo_seen`, undeclared) are removed.
pub(crate) const TYPICAL_SET_COOKIES: [&str; 5] = [
    "sessionid=k3v9q8w7e6r5t4y3u2i1o0p9a8s7d6f5; Path=/; HttpOnly; Secure; SameSite=Lax",
    "_fbp=fb.1.1735689600000.1234567890; Max-Age=7776000; Path=/; Domain=.example.com; SameSite=Lax",
    "_ga=GA1.1.1234567890.1735689600; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Path=/; Domain=.example.com",
    "promo_seen=1; Path=/",
    "csrftoken=Qm9iY2F0X2NzcmZfdG9rZW5fMTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY; Max-Age=31449600; Path=/; SameSite=Lax; Secure",
];

/// Five `Set-Cookie` values all allowed by the consent of [`consent_value`].
pub(crate) const ALLOWED_SET_COOKIES: [&str; 5] = [
    "sessionid=k3v9q8w7e6r5t4y3u2i1o0p9a8s7d6f5; Path=/; HttpOnly; Secure; SameSite=Lax",
    "_gid=GA1.2.987654321.1735689600; Max-Age=86400; Path=/; Domain=.example.com",
    "_ga=GA1.1.1234567890.1735689600; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Path=/; Domain=.example.com",
    "lang=fr; Max-Age=31536000; Path=/",
    "csrftoken=Qm9iY2F0X2NzcmZfdG9rZW5fMTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY; Max-Age=31449600; Path=/; SameSite=Lax; Secure",
];
