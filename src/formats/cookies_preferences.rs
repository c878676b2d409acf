use super::common::{single_cookie_reader, Identity, NameMap, ResolvedGrants};
use super::flat_json::{scan_maybe_encoded_object, Members};
use super::json::{Key, Value};
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;
use crate::registry::Registry;

/// Reads the `cookies_preferences` cookie, the consent format of the Opendatasoft platform's
/// banner and this crate's default.
///
/// # Format
///
/// The cookie-value is a JSON object, percent-encoded (as `encodeURIComponent` writes it) or
/// raw, whose members map a **category id or service id** of the registry to a boolean:
///
/// ```text
/// cookies_preferences=%7B%22functional_cookies%22%3Atrue%2C%22ga%22%3Afalse%2C%22matomo%22%3Atrue%2C%22timestamp%22%3A1735689600000%7D
/// ```
///
/// - `true` grants, `false` refuses; any other value, or a missing key, grants nothing
///   (in a decided value, a category left out is not granted, so withdrawal deletes its
///   stored cookies like those of a refused one);
/// - unknown keys are ignored; [aliases](CookiesPreferences::alias) map other keys (such as
///   the platform's `functional_cookies`) to registry ids;
/// - `timestamp` (milliseconds since the Unix epoch) records when the choice was made,
///   `revision` (an integer) the registry revision it was made under, 0 when absent (so a
///   site that bumps its revision asks again); either given twice, or not as a non-negative
///   integer, makes the value unreadable;
/// - a key given twice is granted only if every occurrence is `true`: one `false` refuses
///   it, one other value leaves it undecided (`JSON.parse` keeps the last occurrence, so
///   none may grant more than another); more than 64 distinct keys standing for registry
///   ids is [unreadable](Consent::unreadable);
/// - the cookie present more than once reads as the [narrowest](Consent::narrowest) of all;
/// - invalid JSON, invalid percent-encoding of UTF-8 does not matter (bytes are compared),
///   but a syntax error, nesting deeper than 64 levels or a value over
///   [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes reads as
///   [unreadable](Consent::unreadable): it grants nothing.
///
/// Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::{Category, ConsentRequest, CookiesPreferences, Declaration, ReadConsent, Registry};
///
/// let registry = Registry::builder()
///     .default_categories()
///     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
///     .build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "cookies_preferences=%7B%22statistics%22%3Atrue%2C%22ga%22%3Afalse%7D",
/// ));
/// let consent = CookiesPreferences::new().read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert_eq!(consent.service_decision(registry.service_id("ga").unwrap()), Some(false));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CookiesPreferences {
    cookie_name: CookieName,
    aliases: NameMap,
}

impl CookiesPreferences {
    /// The default cookie-name, `cookies_preferences`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "cookies_preferences";

    /// Reads the `cookies_preferences` cookie, keys = registry ids.
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            aliases: NameMap::new([], Identity::Any),
        }
    }

    /// Reads a cookie of another name.
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Maps the consent key `key` to the registry's category or service id `id` (for
    /// example `functional_cookies` to `functional`). Aliases are looked at before registry
    /// ids.
    pub fn alias(mut self, key: impl Into<String>, id: impl Into<String>) -> Self {
        self.aliases.set_if_absent(key.into(), id.into());
        self
    }

    #[inline]
    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let registry = request.registry();
        let mut reading = Reading::new(self, registry);
        let scanned =
            scan_maybe_encoded_object(value, &mut reading, || Reading::new(self, registry));
        let (Some(Ok(())), Some(grants), false) =
            (scanned, reading.grants.finish(), reading.bad_meta)
        else {
            return Consent::unreadable();
        };
        let mut consent = grants.into_consent();
        consent.set_timestamp_ms(reading.timestamp);
        // No `revision` means revision 0 (a banner writes it only once the site bumps it),
        // so bumping the registry revision asks every earlier visitor again.
        consent.set_revision(Some(reading.revision.unwrap_or(0)));
        consent
    }
}

/// What [`CookiesPreferences::read_one`] gathers from the members of one value.
struct Reading<'a> {
    reader: &'a CookiesPreferences,
    registry: &'a Registry,
    grants: ResolvedGrants,
    timestamp: Option<u64>,
    revision: Option<u64>,
    /// A `timestamp` or `revision` that is not a non-negative integer, or given twice,
    /// makes the value unreadable: its age could not be proven.
    bad_meta: bool,
}

impl<'a> Reading<'a> {
    fn new(reader: &'a CookiesPreferences, registry: &'a Registry) -> Self {
        Self {
            reader,
            registry,
            grants: ResolvedGrants::new(),
            timestamp: None,
            revision: None,
            bad_meta: false,
        }
    }
}

impl Members for Reading<'_> {
    #[inline(always)]
    fn member(&mut self, key: Key<'_>, value: Value<'_>) {
        let Key::Text(key) = key else { return };
        match (key, value) {
            (b"timestamp", Value::Integer(ms)) if self.timestamp.is_none() => {
                self.timestamp = Some(ms);
            }
            (b"revision", Value::Integer(n)) if self.revision.is_none() => {
                self.revision = Some(n);
            }
            (b"timestamp" | b"revision", _) => self.bad_meta = true,
            (_, value) => {
                let decision = match value {
                    Value::Bool(yes) => Some(yes),
                    _ => None,
                };
                let key = self.reader.aliases.resolve_exact(key, self.registry);
                self.grants.record(key, decision);
            }
        }
    }
}

single_cookie_reader!(CookiesPreferences);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, cat, service, svc};
    use crate::formats::MAX_CONSENT_VALUE;
    use crate::{Category, Declaration, Registry};

    fn registry() -> Registry {
        Registry::builder()
            .default_categories()
            .cookie(service("_ga", "statistics", "ga"))
            .cookie(
                Declaration::prefix("_pk_id")
                    .category("statistics")
                    .service("matomo"),
            )
            .category(Category::new("third_party"))
            .build()
            .unwrap()
    }

    fn read_with(reader: &CookiesPreferences, fields: &[&[u8]]) -> (Registry, Consent) {
        testing::read(reader, registry(), fields)
    }

    fn read(fields: &[&[u8]]) -> (Registry, Consent) {
        read_with(&CookiesPreferences::new(), fields)
    }

    #[test]
    fn reads_the_observed_percent_encoded_format() {
        let (r, c) = read(&[b"cookies_preferences=%7B%22functional_cookies%22%3Atrue%2C%22ga%22%3Afalse%2C%22matomo%22%3Atrue%2C%22timestamp%22%3A1735689600000%7D"]);
        assert!(c.is_decided());
        assert_eq!(svc(&r, &c, "ga"), Some(false));
        assert_eq!(svc(&r, &c, "matomo"), Some(true));
        assert_eq!(c.timestamp_ms(), Some(1_735_689_600_000));
        assert_eq!(
            c.revision(),
            Some(0),
            "no revision recorded reads as revision 0"
        );
        // `functional_cookies` is not a registry id without an alias.
        assert!(!cat(&r, &c, "functional"));
    }

    #[test]
    fn aliases_map_keys_to_registry_ids() {
        let reader = CookiesPreferences::new().alias("functional_cookies", "functional");
        let (r, c) = read_with(
            &reader,
            &[b"cookies_preferences=%7B%22functional_cookies%22%3Atrue%7D"],
        );
        assert!(cat(&r, &c, "functional"));
    }

    #[test]
    fn raw_json_is_read_too() {
        let (r, c) = read(&[br#"cookies_preferences={"statistics":true,"marketing":false}"#]);
        assert!(cat(&r, &c, "statistics"));
        assert!(!cat(&r, &c, "marketing"));
    }

    #[test]
    fn absent_cookie_is_undecided() {
        let (_, c) = read(&[b"other=1"]);
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&[]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn malformed_wrong_types_and_oversized_grant_nothing() {
        for v in [
            &b"cookies_preferences=%7B%22statistics%22%3Atrue"[..],
            b"cookies_preferences=not-json",
            b"cookies_preferences=",
            b"cookies_preferences=%7B%22statistics%22%3Atrue%7D%7D",
        ] {
            let (r, c) = read(&[v]);
            assert_eq!(c.state(), crate::ConsentState::Unreadable, "{v:?}");
            assert!(!cat(&r, &c, "statistics"));
        }
        let (r, c) =
            read(&[br#"cookies_preferences={"statistics":"true","ga":1,"marketing":null}"#]);
        assert!(c.is_decided());
        assert!(!cat(&r, &c, "statistics"));
        assert!(!cat(&r, &c, "marketing"));
        assert_eq!(svc(&r, &c, "ga"), None);
        let big = format!(
            "cookies_preferences={{\"statistics\":true,\"x\":\"{}\"}}",
            "a".repeat(MAX_CONSENT_VALUE)
        );
        let (r, c) = read(&[big.as_bytes()]);
        assert_eq!(c.state(), crate::ConsentState::Unreadable);
        assert!(!cat(&r, &c, "statistics"));
    }

    #[test]
    fn a_key_given_twice_is_refused_if_any_refuses() {
        let (r, c) = read(&[
            br#"cookies_preferences={"statistics":true,"statistics":false,"ga":false,"ga":true}"#,
        ]);
        assert!(!cat(&r, &c, "statistics"));
        assert_eq!(svc(&r, &c, "ga"), Some(false));
        // `JSON.parse` keeps the last occurrence: `null` next to `true` grants nothing.
        for v in [
            &br#"cookies_preferences={"statistics":true,"statistics":null}"#[..],
            br#"cookies_preferences={"statistics":"yes","statistics":true}"#,
            br#"cookies_preferences={"ga":true,"ga":1}"#,
        ] {
            let (r, c) = read(&[v]);
            assert!(c.is_decided());
            assert!(!cat(&r, &c, "statistics"), "{v:?}");
            assert_eq!(svc(&r, &c, "ga"), None, "{v:?}");
        }
        let (r, c) = read(&[br#"cookies_preferences={"statistics":true,"statistics":true}"#]);
        assert!(cat(&r, &c, "statistics"));
    }

    #[test]
    fn duplicated_cookie_reads_as_the_narrowest() {
        let (r, c) = read(&[
            br#"cookies_preferences={"statistics":true,"marketing":true}"#,
            br#"cookies_preferences={"statistics":true,"marketing":false}"#,
        ]);
        assert!(cat(&r, &c, "statistics"));
        assert!(!cat(&r, &c, "marketing"));
        // A broken duplicate cannot be outvoted by a generous one.
        let (r, c) =
            read(&[br#"cookies_preferences={"statistics":true}; cookies_preferences=%7B"#]);
        assert!(!cat(&r, &c, "statistics"));
        assert_eq!(c.state(), crate::ConsentState::Unreadable);
    }

    #[test]
    fn non_utf8_neighbour_does_not_hide_consent() {
        let (r, c) = read(&[b"x=\xff\xfe; cookies_preferences={\"statistics\":true}; y=caf\xe9"]);
        assert!(cat(&r, &c, "statistics"));
    }

    #[test]
    fn similar_names_are_not_the_consent_cookie() {
        let (_, c) = read(&[br#"cookies_preferences_set={"statistics":true}; Cookies_Preferences={"statistics":true}"#]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn deep_and_huge_json_is_unreadable_not_a_crash() {
        let deep = format!("cookies_preferences={}", "%5B".repeat(1000));
        let (_, c) = read(&[deep.as_bytes()]);
        assert_eq!(c.state(), crate::ConsentState::Unreadable);
    }

    #[test]
    fn a_malformed_or_repeated_timestamp_or_revision_is_unreadable() {
        for v in [
            &br#"cookies_preferences={"statistics":true,"timestamp":"1000"}"#[..],
            br#"cookies_preferences={"statistics":true,"timestamp":1e3}"#,
            br#"cookies_preferences={"statistics":true,"timestamp":1000.0}"#,
            br#"cookies_preferences={"statistics":true,"timestamp":-5}"#,
            br#"cookies_preferences={"statistics":true,"timestamp":1,"timestamp":2}"#,
            br#"cookies_preferences={"statistics":true,"revision":"2"}"#,
            br#"cookies_preferences={"statistics":true,"revision":1,"revision":2}"#,
        ] {
            let (_, c) = read(&[v]);
            assert_eq!(
                c.state(),
                crate::ConsentState::Unreadable,
                "{}",
                String::from_utf8_lossy(v)
            );
        }
        let (_, c) = read(&[br#"cookies_preferences={"statistics":true,"revision":3}"#]);
        assert_eq!(c.revision(), Some(3));
    }

    /// `read_one` as it was before the in-place fast path and exact repeat tracking:
    /// decode, scan, resolve each key and follow repeats by the hash of their text.
    fn read_one_as_before(
        reader: &CookiesPreferences,
        value: &[u8],
        request: &ConsentRequest<'_>,
    ) -> Consent {
        use crate::formats::common::{with_decoded, KeyedGrants};
        use crate::formats::json::scan_object;
        let registry = request.registry();
        let mut grants = KeyedGrants::new();
        let (mut timestamp, mut revision, mut bad_meta) = (None, None, false);
        let scanned = with_decoded(value, |json| {
            scan_object(json, |key, value| {
                let Key::Text(key) = key else { return };
                match (key, value) {
                    (b"timestamp", Value::Integer(ms)) if timestamp.is_none() => {
                        timestamp = Some(ms);
                    }
                    (b"revision", Value::Integer(r)) if revision.is_none() => revision = Some(r),
                    (b"timestamp" | b"revision", _) => bad_meta = true,
                    (_, Value::Bool(yes)) => {
                        grants.record(key, reader.aliases.resolve(key, registry), Some(yes));
                    }
                    _ => grants.record(key, reader.aliases.resolve(key, registry), None),
                }
            })
        });
        let (Some(Ok(())), Some(grants), false) = (scanned, grants.finish(), bad_meta) else {
            return Consent::unreadable();
        };
        let mut consent = grants.into_consent();
        consent.set_timestamp_ms(timestamp);
        consent.set_revision(Some(revision.unwrap_or(0)));
        consent
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(3000))]

        /// On values of the observed shape (registry ids, aliases, unknown keys, repeats,
        /// every encoding), reading gives exactly what it gave before.
        #[test]
        fn reads_as_before(
            value in {
                use proptest::prelude::*;
                let key = prop::sample::select(vec![
                    "statistics", "marketing", "functional", "necessary", "ga", "matomo",
                    "third_party", "functional_cookies", "analytics", "ignored", "unknown",
                    "timestamp", "revision", "",
                ])
                .prop_map(str::to_owned);
                crate::formats::flat_json::tests::flat_json_with(key)
                    .prop_flat_map(crate::formats::flat_json::tests::encoded)
            },
            aliased in proptest::prelude::any::<bool>(),
        ) {
            let reader = if aliased {
                CookiesPreferences::new()
                    .alias("functional_cookies", "functional")
                    .alias("analytics", "statistics")
                    .alias("ignored", "no-such-id")
                    .alias("matomo", "ga")
            } else {
                CookiesPreferences::new()
            };
            let registry = registry();
            let headers = http::HeaderMap::new();
            let request = ConsentRequest::new(&headers, &registry);
            proptest::prop_assert_eq!(
                reader.read_one(&value, &request),
                read_one_as_before(&reader, &value, &request)
            );
        }
    }
}
