//! Fixtures shared by the benchmarks: registries, request `Cookie` headers and response
//! `Set-Cookie` lists of the shapes named in issue 7.

#![allow(dead_code)] // each bench uses part of the fixtures

use std::time::{SystemTime, UNIX_EPOCH};

use tower_cookie_consent::{presets, Declaration, Registry, RegistryBuilder};

/// The registry of the `typical` scenario: the crate's presets for an Opendatasoft portal
/// and the usual third-party tools, `presets::opendatasoft().merge(presets::common_trackers())`
/// (about 100 declarations: exact names, prefixes and globs as vendors document them).
pub(crate) fn typical_builder() -> RegistryBuilder {
    presets::opendatasoft().merge(presets::common_trackers())
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
    "django_language=fr; Max-Age=31536000; Path=/",
    "csrftoken=Qm9iY2F0X2NzcmZfdG9rZW5fMTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWY; Max-Age=31449600; Path=/; SameSite=Lax; Secure",
];
