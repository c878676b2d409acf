use std::time::UNIX_EPOCH;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use super::common::{
    parse_iso8601_ms, percent_decode_into, single_cookie_reader, Grants, Identity, NameMap, Repeats,
};
use super::json::{scan_object_nested, Key, Path, Value};
use super::MAX_CONSENT_VALUE;
use crate::category::CategoryId;
use crate::consent::{CategorySet, Consent, ServiceSet};
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;
use crate::registry::ConsentKey;

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const BASE64_URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Reads the `cc_cookie` cookie of vanilla-cookieconsent (orestbida/cookieconsent), v2 and v3.
///
/// # Format
///
/// Source: vanilla-cookieconsent's documentation (v3 "Cookie" and `revision` options, v2
/// `revision` and `use_rfc_cookie`) and captured values. The cookie-value is a JSON object,
/// percent-encoded (v3), raw (v2) or base64-encoded (v2 with `use_rfc_cookie`):
///
/// ```text
/// v3: cc_cookie=%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C%22revision%22%3A0%2C%22data%22%3Anull%2C%22consentTimestamp%22%3A%222025-01-06T09%3A00%3A00.000Z%22%2C%22consentId%22%3A%22<ID>%22%2C%22services%22%3A%7B%22necessary%22%3A%5B%5D%2C%22analytics%22%3A%5B%22ga%22%5D%7D%2C%22lastConsentTimestamp%22%3A%222025-01-06T09%3A00%3A00.000Z%22%2C%22expirationTime%22%3A1752051600000%7D
/// v2: cc_cookie={"level":["necessary","analytics"],"revision":0,"data":null,"rfc_cookie":false}
/// ```
///
/// - `categories` (v3) or `level` (v2) lists the **accepted** categories; a category it does
///   not list is not granted. Names are looked up in the [map](VanillaCookieConsent::map),
///   else taken as a registry **category** id (never a service id: map a vanilla category
///   to a service explicitly if that is what it stands for);
/// - `services` (v3) maps a category to its accepted services (names looked up in the map,
///   else taken as registry **service** ids). A listed service is granted only when the
///   category is accepted, the registry declares the service in the registry category the
///   vanilla category maps to (vanilla's own `acceptedService(service, category)` looks
///   only in that category: `meta` listed under `statistics` grants nothing when the
///   registry declares `meta` in `marketing`), and every registry category declaring the
///   service is accepted (a service grant allows all its cookies). When a category's list
///   is not empty, the registry's services of that category that it does **not** list are
///   refused (the visitor switched them off);
/// - `revision`: when the site's revision is [set](VanillaCookieConsent::revision), a cookie
///   of any other revision is [undecided](Consent::undecided), as vanilla-cookieconsent
///   itself judges it; otherwise the cookie's revision is reported on the [`Consent`] so the
///   layer treats a revision other than the registry's as undecided;
/// - `lastConsentTimestamp` (else `consentTimestamp`), ISO 8601, is the time of the choice;
///   `expirationTime` (milliseconds) in the past makes the cookie undecided;
/// - `+` is never a space; invalid JSON, a missing or non-array `categories`/`level`, one
///   given twice (or both), `services` given twice, a category given twice inside
///   `services` (`JSON.parse` keeps the last list; reading both could grant more; more
///   than 64 keys of `services` that name registry categories count as such), a
///   truncated value or one over
///   [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes is
///   [unreadable](Consent::unreadable); the cookie present more than once reads as the
///   [narrowest](Consent::narrowest) of all.
///
/// When several vanilla categories map to one registry category, accepting any of them
/// grants it: map them one to one where that matters. Default map: none (identity; a site
/// whose vanilla categories are `analytics` and `ads` maps them with
/// `.map("analytics", "statistics").map("ads", "marketing")`). Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::{ConsentRequest, ReadConsent, Registry, VanillaCookieConsent};
///
/// let registry = Registry::builder().default_categories().build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "cc_cookie=%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C%22revision%22%3A0%7D",
/// ));
/// let reader = VanillaCookieConsent::new().map("analytics", "statistics");
/// let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert!(!consent.is_category_granted(registry.category_id("marketing").unwrap()));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct VanillaCookieConsent {
    cookie_name: CookieName,
    map: NameMap,
    revision: Option<u64>,
}

impl VanillaCookieConsent {
    /// vanilla-cookieconsent's default cookie-name, `cc_cookie`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "cc_cookie";

    /// Reads `cc_cookie`; names are registry ids; no revision pinned.
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            map: NameMap::new([], Identity::Any),
            revision: None,
        }
    }

    /// Reads a cookie of another name (the `cookie.name` / `cookie_name` option).
    ///
    /// ```
    /// # use tower_cookie_consent::VanillaCookieConsent;
    /// let reader = VanillaCookieConsent::new().cookie_name("cc_consent");
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Maps the vanilla-cookieconsent category or service name `name` to the registry
    /// category or service id `id`.
    ///
    /// ```
    /// # use tower_cookie_consent::VanillaCookieConsent;
    /// let reader = VanillaCookieConsent::new()
    ///     .map("analytics", "statistics")
    ///     .map("ads", "marketing")
    ///     .map("Google Analytics", "ga");
    /// ```
    pub fn map(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(name.into(), Some(id.into()));
        self
    }

    /// Sets the site's `revision` option: a cookie recorded under any other revision is
    /// undecided.
    ///
    /// ```
    /// # use tower_cookie_consent::VanillaCookieConsent;
    /// let reader = VanillaCookieConsent::new().revision(3);
    /// ```
    pub fn revision(mut self, revision: u64) -> Self {
        self.revision = Some(revision);
        self
    }

    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let mut decoded = [0u8; MAX_CONSENT_VALUE];
        let mut unbased = [0u8; MAX_CONSENT_VALUE];
        let Some(text) = percent_decode_into(value, &mut decoded, false) else {
            return Consent::unreadable();
        };
        let json: &[u8] = if text.first() == Some(&b'{') {
            text
        } else {
            let n = BASE64
                .decode_slice(text, &mut unbased)
                .or_else(|_| BASE64_URL.decode_slice(text, &mut unbased));
            match n {
                Ok(n) if unbased.first() == Some(&b'{') => &unbased[..n],
                _ => return Consent::unreadable(),
            }
        };

        let registry = request.registry();
        let mut grants = Grants::default();
        let mut accepted = CategorySet::EMPTY;
        let mut listed = [ServiceSet::EMPTY; CategoryId::MAX];
        let mut has_list = CategorySet::EMPTY;
        let mut categories_seen = false;
        let mut services_seen = false;
        let mut service_lists = Repeats::new();
        let mut wrong_type = false;
        let mut revision = None;
        let mut first_ms = None;
        let mut last_ms = None;
        let mut expires_ms = None;
        let scanned = scan_object_nested(json, |path, value| match path {
            Path::Member(Key::Text(b"categories" | b"level")) => {
                // Given twice (or both v2's `level` and v3's `categories`), a later list
                // could widen an earlier one: unreadable.
                wrong_type |= categories_seen || value != Value::Other;
                categories_seen = true;
            }
            Path::Member(Key::Text(b"services")) => {
                wrong_type |= services_seen;
                services_seen = true;
            }
            Path::Element(Key::Text(b"categories" | b"level")) => {
                if let Value::Str(name) = value {
                    match self.map.resolve_with(name, registry, Identity::Categories) {
                        Some(ConsentKey::Category(c)) => accepted.insert(c),
                        Some(key @ ConsentKey::Service(_)) => grants.record(Some(key), true),
                        None => {}
                    }
                }
            }
            Path::Member(Key::Text(b"revision")) => {
                revision = match value {
                    Value::Integer(r) => Some(r),
                    _ => None,
                }
            }
            Path::Member(Key::Text(b"consentTimestamp")) => {
                if let Value::Str(s) = value {
                    first_ms = parse_iso8601_ms(s);
                }
            }
            Path::Member(Key::Text(b"lastConsentTimestamp")) => {
                if let Value::Str(s) = value {
                    last_ms = parse_iso8601_ms(s);
                }
            }
            Path::Member(Key::Text(b"expirationTime")) => {
                if let Value::Integer(ms) = value {
                    expires_ms = Some(ms);
                }
            }
            Path::Inner(Key::Text(b"services"), Key::Text(category)) => {
                // A category given twice: `JSON.parse` keeps the last list, so reading
                // both could grant what the CMP does not (a hash collision also lands here:
                // unreadable, never wider).
                let key = self
                    .map
                    .resolve_with(category, registry, Identity::Categories);
                if let Some(key @ ConsentKey::Category(_)) = key {
                    wrong_type |= service_lists.note(category, Some(key), None);
                }
            }
            Path::InnerElement(Key::Text(b"services"), Key::Text(category)) => {
                let key = self
                    .map
                    .resolve_with(category, registry, Identity::Categories);
                if let Some(ConsentKey::Category(c)) = key {
                    has_list.insert(c);
                    let service = match value {
                        Value::Str(name) => {
                            self.map.resolve_with(name, registry, Identity::Services)
                        }
                        _ => None,
                    };
                    // Only a service the registry declares in that category: listing
                    // `meta` under `statistics` grants nothing (vanilla's own
                    // `acceptedService('meta', 'marketing')` is false).
                    if let Some(ConsentKey::Service(s)) = service {
                        if registry.services_of(c).contains(s) {
                            listed[c.index()].insert(s);
                        }
                    }
                }
            }
            _ => {}
        });
        if scanned.is_err() || wrong_type || !categories_seen {
            return Consent::unreadable();
        }
        if self.revision.is_some() && revision != self.revision {
            return Consent::undecided();
        }
        let now_ms = request
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        if expires_ms.is_some_and(|exp| exp <= now_ms) {
            return Consent::undecided();
        }
        for c in accepted.iter() {
            grants.grant_category(c);
        }
        for c in has_list.intersection(accepted).iter() {
            let services = &listed[c.index()];
            // A service declared in several categories is granted only when all of them
            // are accepted: a service grant allows every cookie of the service.
            let mut granted = ServiceSet::EMPTY;
            for s in services.iter() {
                let everywhere_accepted = (0..registry.categories().len())
                    .map(|i| registry.category_id_at(i))
                    .all(|o| accepted.contains(o) || !registry.services_of(o).contains(s));
                if everywhere_accepted {
                    granted.insert(s);
                }
            }
            grants.grant_services(&granted);
            let mut unlisted = ServiceSet::EMPTY;
            for s in registry.services_of(c).iter() {
                if !services.contains(s) {
                    unlisted.insert(s);
                }
            }
            grants.refuse_services(&unlisted);
        }
        let mut consent = grants.into_consent();
        consent.set_timestamp_ms(last_ms.or(first_ms));
        if self.revision.is_none() {
            consent.set_revision(revision);
        }
        consent
    }
}

single_cookie_reader!(VanillaCookieConsent);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, granted, service, svc};
    use crate::{ConsentState, Registry};
    use std::time::{Duration, SystemTime};

    const NOW: u64 = 1_740_000_000_000;

    fn registry() -> Registry {
        Registry::builder()
            .default_categories()
            .revision(1)
            .cookie(service("_ga", "statistics", "ga"))
            .cookie(service("_hjid", "statistics", "hotjar"))
            .build()
            .unwrap()
    }

    fn reader() -> VanillaCookieConsent {
        VanillaCookieConsent::new()
            .map("analytics", "statistics")
            .map("ads", "marketing")
    }

    fn read_with(reader: &VanillaCookieConsent, fields: &[&str]) -> (Registry, Consent) {
        let now = UNIX_EPOCH + Duration::from_millis(NOW);
        testing::read_at(reader, registry(), fields, now)
    }

    fn read(fields: &[&str]) -> (Registry, Consent) {
        read_with(&reader(), fields)
    }

    fn encode(json: &str) -> String {
        percent_encoding::utf8_percent_encode(json, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    fn v3(categories: &str, services: &str) -> String {
        encode(&format!(
            r#"{{"categories":[{categories}],"revision":1,"data":null,"consentTimestamp":"2025-01-06T09:00:00.000Z","consentId":"4b1c2d3e-0000-4000-8000-000000000000","services":{{{services}}},"languageCode":"en","lastConsentTimestamp":"2025-02-01T00:00:00.000Z","expirationTime":1752051600000}}"#
        ))
    }

    #[test]
    fn v3_granted_partial_refused() {
        let all = v3(
            r#""necessary","analytics","ads""#,
            r#""necessary":[],"analytics":["ga","hotjar"],"ads":[]"#,
        );
        let (r, c) = read(&[&format!("cc_cookie={all}")]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics", "marketing"]);
        assert_eq!(svc(&r, &c, "ga"), Some(true));
        assert_eq!(c.timestamp_ms(), Some(1_738_368_000_000));
        assert_eq!(c.revision(), Some(1));
        let partial = v3(
            r#""necessary","analytics""#,
            r#""necessary":[],"analytics":["ga"],"ads":[]"#,
        );
        let (r, c) = read(&[&format!("cc_cookie={partial}")]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        assert_eq!(svc(&r, &c, "ga"), Some(true));
        // Listed under a non-empty list: hotjar was switched off.
        assert_eq!(svc(&r, &c, "hotjar"), Some(false));
        let refused = v3(
            r#""necessary""#,
            r#""necessary":[],"analytics":[],"ads":[]"#,
        );
        let (r, c) = read(&[&format!("cc_cookie={refused}")]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["necessary"]);
        assert_eq!(svc(&r, &c, "ga"), None);
    }

    #[test]
    fn real_shaped_early_v3_value_without_services() {
        let v = "cc_cookie=%7B%22categories%22%3A%5B%22necessary%22%2C%22analytics%22%5D%2C%22revision%22%3A1%2C%22data%22%3Anull%2C%22consentTimestamp%22%3A%222024-11-20T19%3A02%3A36.823Z%22%2C%22consentId%22%3A%2212fd04af-0000-4000-8000-b7cf317849d1%22%7D";
        let (r, c) = read(&[v]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        assert_eq!(c.timestamp_ms(), Some(1_732_129_356_823));
        assert_eq!(svc(&r, &c, "ga"), None);
    }

    #[test]
    fn an_empty_services_list_refuses_nothing() {
        let v = v3(r#""analytics""#, r#""analytics":[]"#);
        let (r, c) = read(&[&format!("cc_cookie={v}")]);
        assert_eq!(granted(&r, &c), ["statistics"]);
        assert_eq!(svc(&r, &c, "ga"), None);
        assert_eq!(svc(&r, &c, "hotjar"), None);
    }

    #[test]
    fn services_of_a_refused_category_grant_nothing() {
        let v = v3(r#""necessary""#, r#""analytics":["ga"]"#);
        let (r, c) = read(&[&format!("cc_cookie={v}")]);
        assert_eq!(svc(&r, &c, "ga"), None);
        assert!(!granted(&r, &c).contains(&"statistics".to_owned()));
    }

    #[test]
    fn v2_raw_and_base64() {
        let raw =
            r#"{"level":["necessary","analytics"],"revision":1,"data":null,"rfc_cookie":false}"#;
        let (r, c) = read(&[&format!("cc_cookie={raw}")]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        assert_eq!(c.timestamp_ms(), None);
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        for b64 in [
            STANDARD.encode(raw),
            URL_SAFE_NO_PAD.encode(raw),
            encode(&STANDARD.encode(raw)),
        ] {
            let (r, c) = read(&[&format!("cc_cookie={b64}")]);
            assert_eq!(granted(&r, &c), ["necessary", "statistics"], "{b64}");
        }
    }

    #[test]
    fn revision_rules() {
        let v = v3(r#""analytics""#, "");
        // Pinned: only that exact revision counts.
        let (_, c) = read_with(&reader().revision(2), &[&format!("cc_cookie={v}")]);
        assert_eq!(c, Consent::undecided());
        let (r, c) = read_with(&reader().revision(1), &[&format!("cc_cookie={v}")]);
        assert_eq!(granted(&r, &c), ["statistics"]);
        assert_eq!(c.revision(), None);
        let no_rev = r#"{"categories":["analytics"]}"#;
        let (_, c) = read_with(&reader().revision(0), &[&format!("cc_cookie={no_rev}")]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn expired_cookie_is_undecided() {
        let v = encode(&format!(
            r#"{{"categories":["analytics"],"revision":1,"expirationTime":{}}}"#,
            NOW - 1
        ));
        let (_, c) = read(&[&format!("cc_cookie={v}")]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn absent_malformed_truncated_wrong_types() {
        let (_, c) = read(&["cc_cookie_x=1; CC_COOKIE=%7B%7D"]);
        assert_eq!(c, Consent::undecided());
        let full = v3(r#""analytics""#, r#""analytics":["ga"]"#);
        let truncated = &full[..full.len() / 2];
        for v in [
            truncated,
            "",
            "%7B",
            "not-json",
            "eyJ",
            r#"{"revision":1}"#,
            r#"{"categories":"analytics"}"#,
            r#"{"level":true}"#,
            r#"{"categories":["analytics"],}"#,
            "W10=",
        ] {
            let (r, c) = read(&[&format!("cc_cookie={v}")]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert!(granted(&r, &c).is_empty());
        }
        // A list given twice could widen the first one.
        for v in [
            r#"{"categories":["necessary"],"categories":["analytics"]}"#,
            r#"{"level":["necessary"],"categories":["analytics"]}"#,
            r#"{"categories":["analytics"],"services":{"analytics":["ga"]},"services":{"analytics":["hotjar"]}}"#,
        ] {
            let (r, c) = read(&[&format!("cc_cookie={v}")]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert!(granted(&r, &c).is_empty());
        }
        // Elements of the wrong type are skipped.
        let (r, c) =
            read(&[r#"cc_cookie={"categories":[1,true,null,["analytics"],{"a":"analytics"}]}"#]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        let big = format!(
            r#"cc_cookie={{"categories":["analytics"],"x":"{}"}}"#,
            "a".repeat(MAX_CONSENT_VALUE)
        );
        let (_, c) = read(&[&big]);
        assert_eq!(c.state(), ConsentState::Unreadable);
    }

    #[test]
    fn a_category_repeated_inside_services_is_unreadable() {
        // F7: `JSON.parse` keeps `["matomo"]`; the union would also grant `ga`.
        let registry = || {
            testing::registry([
                service("_ga", "statistics", "ga"),
                service("_pk_id", "statistics", "matomo"),
            ])
        };
        for v in [
            r#"{"categories":["necessary","statistics"],"revision":0,"services":{"statistics":["ga"],"statistics":["matomo"]}}"#,
            r#"{"categories":["necessary","statistics"],"services":{"statistics":["ga"],"statistics":[]}}"#,
            r#"{"categories":["statistics"],"services":{"statistics":["ga"],"statistic\u0073":["matomo"]}}"#,
        ] {
            let (r, c) = testing::read(
                &VanillaCookieConsent::new(),
                registry(),
                &[format!("cc_cookie={}", encode(v))],
            );
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert_eq!(svc(&r, &c, "ga"), None);
            assert!(granted(&r, &c).is_empty());
        }
        // Two vanilla categories mapped to one registry category are two keys, not one.
        let v = r#"{"categories":["analytics","stats"],"services":{"analytics":["ga"],"stats":["matomo"]}}"#;
        let reader = reader().map("stats", "statistics");
        let (r, c) = testing::read(&reader, registry(), &[format!("cc_cookie={}", encode(v))]);
        assert!(c.is_decided());
        assert_eq!(svc(&r, &c, "ga"), Some(true));
        assert_eq!(svc(&r, &c, "matomo"), Some(true));
        // A key repeated that stands for no category decides nothing and is allowed.
        let v = r#"{"categories":["statistics"],"services":{"x":["ga"],"x":[]}}"#;
        let (r, c) = testing::read(
            &VanillaCookieConsent::new(),
            registry(),
            &[format!("cc_cookie={}", encode(v))],
        );
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn a_service_listed_under_another_category_grants_nothing() {
        // F8: the registry declares `meta` only in `marketing`.
        let registry = || {
            testing::registry([
                service("_ga", "statistics", "ga"),
                service("_fbp", "marketing", "meta"),
            ])
        };
        let v = r#"{"categories":["necessary","statistics"],"revision":0,"services":{"statistics":["meta"]}}"#;
        let (r, c) = testing::read(
            &VanillaCookieConsent::new(),
            registry(),
            &[format!("cc_cookie={}", encode(v))],
        );
        assert!(c.is_decided());
        assert_eq!(svc(&r, &c, "meta"), None);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        // The non-empty list names no statistics service: ga was switched off.
        assert_eq!(svc(&r, &c, "ga"), Some(false));
        assert!(!r
            .judge(b"_fbp", &c, crate::UnknownPolicy::Block)
            .is_allowed());
        // Listed under its own, accepted category it is granted.
        let v = r#"{"categories":["marketing"],"services":{"marketing":["meta"]}}"#;
        let (r, c) = testing::read(
            &VanillaCookieConsent::new(),
            registry(),
            &[format!("cc_cookie={}", encode(v))],
        );
        assert_eq!(svc(&r, &c, "meta"), Some(true));
        // A category name never resolves to a service by identity.
        let v = r#"{"categories":["necessary","meta"]}"#;
        let (r, c) = testing::read(
            &VanillaCookieConsent::new(),
            registry(),
            &[format!("cc_cookie={}", encode(v))],
        );
        assert!(c.is_decided());
        assert_eq!(svc(&r, &c, "meta"), None);
    }

    #[test]
    fn a_service_of_several_categories_needs_all_of_them() {
        let registry = || {
            testing::registry([
                service("_ga", "statistics", "ga"),
                service("_gcl_au", "marketing", "ga"),
            ])
        };
        let read = |v: &str| {
            testing::read(
                &VanillaCookieConsent::new(),
                registry(),
                &[format!("cc_cookie={}", encode(v))],
            )
        };
        let (r, c) = read(r#"{"categories":["statistics"],"services":{"statistics":["ga"]}}"#);
        assert_eq!(svc(&r, &c, "ga"), None);
        assert!(!r
            .judge(b"_gcl_au", &c, crate::UnknownPolicy::Block)
            .is_allowed());
        assert!(r
            .judge(b"_ga", &c, crate::UnknownPolicy::Block)
            .is_allowed());
        let (r, c) = read(
            r#"{"categories":["statistics","marketing"],"services":{"statistics":["ga"],"marketing":["ga"]}}"#,
        );
        assert_eq!(svc(&r, &c, "ga"), Some(true));
    }

    #[test]
    fn duplicates_read_as_the_narrowest() {
        let a = v3(r#""analytics","ads""#, "");
        let b = v3(r#""analytics""#, "");
        let (r, c) = read(&[&format!("cc_cookie={a}; cc_cookie={b}")]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn now_before_epoch_does_not_panic() {
        let now = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
        let value = r#"cc_cookie={"categories":["analytics"],"expirationTime":5}"#;
        let (_, c) = testing::read_at(&reader(), registry(), &[value], now);
        assert!(c.is_decided());
    }
}
