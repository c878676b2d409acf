use super::common::{percent_decode_into, single_cookie_reader, Identity, KeyedGrants, NameMap};
use super::MAX_CONSENT_VALUE;
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;

/// Reads tarteaucitron.js's `tarteaucitron` cookie.
///
/// # Format
///
/// Source: tarteaucitron.js (`tarteaucitron.cookie.create`, option `cookieName`) and captured
/// values. The cookie-value lists one `!key=state` entry per service key of tarteaucitron
/// (`gtag`, `youtube`, `facebookpixel`, ...):
///
/// ```text
/// tarteaucitron=!gtag=true!youtube=false!facebookpixel=wait
/// ```
///
/// - `true` grants, `false` refuses, `wait` (and any other state) is no decision;
/// - a value that is percent-encoded (`%21gtag%3Dtrue`) is decoded first (`+` stays `+`);
/// - each key is looked up in the [map](Tarteaucitron::map), else taken as is: it must then
///   be a registry **service** id; other keys are ignored. tarteaucitron's keys are services,
///   so a key equal to a registry **category** id does **not** decide the category; to let
///   a key stand for a whole category, map it explicitly
///   ([`map`](Tarteaucitron::map)`("matomocloud", "statistics")`);
/// - a key given twice is granted only if every occurrence is `true`: one `false` refuses
///   it, one `wait` (or other state) leaves it undecided; more than 64 distinct keys that
///   stand for registry ids is [unreadable](Consent::unreadable);
/// - a value in which no entry is `true` or `false` (only `wait`, or nothing) is
///   [undecided](Consent::undecided): tarteaucitron writes `wait` before the visitor chooses;
/// - a value that does not start with `!`, an entry without `=`, or a value over
///   [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes is
///   [unreadable](Consent::unreadable); the cookie present more than once reads as the
///   [narrowest](Consent::narrowest) of all.
///
/// tarteaucitron records no time of choice. Default map: none (identity). Reading does not
/// allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::{ConsentRequest, Declaration, ReadConsent, Registry, Tarteaucitron};
///
/// let registry = Registry::builder()
///     .default_categories()
///     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
///     .build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static("tarteaucitron=!gtag=true!youtube=wait"));
/// let reader = Tarteaucitron::new().map("gtag", "ga");
/// let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
/// assert_eq!(consent.service_decision(registry.service_id("ga").unwrap()), Some(true));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Tarteaucitron {
    cookie_name: CookieName,
    map: NameMap,
}

impl Tarteaucitron {
    /// tarteaucitron's default cookie-name, `tarteaucitron`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "tarteaucitron";

    /// Reads the `tarteaucitron` cookie; keys are registry service ids (never category ids).
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            map: NameMap::new([], Identity::Services),
        }
    }

    /// Reads a cookie of another name (tarteaucitron's `cookieName` option).
    ///
    /// ```
    /// # use tower_cookie_consent::Tarteaucitron;
    /// let reader = Tarteaucitron::new().cookie_name("rgpd");
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Maps the tarteaucitron service key `name` to the registry service or category id `id`.
    /// Mapping to a category is the only way a key grants a whole category.
    ///
    /// ```
    /// # use tower_cookie_consent::Tarteaucitron;
    /// let reader = Tarteaucitron::new().map("gtag", "ga").map("matomocloud", "statistics");
    /// ```
    pub fn map(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(name.into(), Some(id.into()));
        self
    }

    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let mut buf = [0u8; MAX_CONSENT_VALUE];
        let Some(text) = percent_decode_into(value, &mut buf, false) else {
            return Consent::unreadable();
        };
        let Some(entries) = text.strip_prefix(b"!") else {
            return Consent::unreadable();
        };
        let registry = request.registry();
        let mut grants = KeyedGrants::new();
        let mut decided = false;
        for entry in entries.split(|&b| b == b'!').filter(|e| !e.is_empty()) {
            let Some(eq) = entry.iter().position(|&b| b == b'=') else {
                return Consent::unreadable();
            };
            let decision = match &entry[eq + 1..] {
                b"true" => Some(true),
                b"false" => Some(false),
                _ => None,
            };
            decided |= decision.is_some();
            let key = &entry[..eq];
            grants.record(key, self.map.resolve(key, registry), decision);
        }
        match grants.finish() {
            None => Consent::unreadable(),
            Some(grants) if decided => grants.into_consent(),
            Some(_) => Consent::undecided(),
        }
    }
}

single_cookie_reader!(Tarteaucitron);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, service, svc};
    use crate::{ConsentState, Registry};

    fn read(fields: &[&str]) -> (Registry, Consent) {
        let registry = testing::registry([
            service("_ga", "statistics", "ga"),
            service("VISITOR_INFO1_LIVE", "marketing", "youtube"),
        ]);
        testing::read(&Tarteaucitron::new().map("gtag", "ga"), registry, fields)
    }

    #[test]
    fn granted_refused_partial_and_wait() {
        let (r, c) = read(&["tarteaucitron=!gtag=true!youtube=true"]);
        assert_eq!(
            (svc(&r, &c, "ga"), svc(&r, &c, "youtube")),
            (Some(true), Some(true))
        );
        let (r, c) = read(&["tarteaucitron=!gtag=false!youtube=false"]);
        assert!(c.is_decided());
        assert_eq!(
            (svc(&r, &c, "ga"), svc(&r, &c, "youtube")),
            (Some(false), Some(false))
        );
        let (r, c) = read(&["tarteaucitron=!gtag=true!youtube=wait!unknownsvc=true"]);
        assert_eq!(
            (svc(&r, &c, "ga"), svc(&r, &c, "youtube")),
            (Some(true), None)
        );
        let (_, c) = read(&["tarteaucitron=!gtag=wait!youtube=wait"]);
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&["tarteaucitron=!"]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn real_shaped_values_with_an_id_entry_and_a_trailing_bang() {
        let (r, c) = read(&[
            "tarteaucitron=!id=a5c8155833511d18-109da518-8ba7e9a8!atinternet=true!youtube=false!gtag=true!",
        ]);
        assert!(c.is_decided());
        assert_eq!(svc(&r, &c, "ga"), Some(true));
        assert_eq!(svc(&r, &c, "youtube"), Some(false));
    }

    #[test]
    fn category_ids_as_keys_decide_nothing_and_encoded_values() {
        let (r, c) = read(&["tarteaucitron=%21statistics%3Dtrue%21gtag%3Dfalse"]);
        assert!(c.is_decided());
        assert!(!c.is_category_granted(r.category_id("statistics").unwrap()));
        assert_eq!(svc(&r, &c, "ga"), Some(false));
        // An explicit map is the opt-in for a category.
        let registry = testing::registry([service("_ga", "statistics", "ga")]);
        let reader = Tarteaucitron::new().map("matomocloud", "statistics");
        let (r, c) = testing::read(
            &reader,
            registry,
            &["tarteaucitron=!matomocloud=true!marketing=true"],
        );
        assert!(c.is_category_granted(r.category_id("statistics").unwrap()));
        assert!(!c.is_category_granted(r.category_id("marketing").unwrap()));
    }

    #[test]
    fn absent_malformed_truncated_wrong_types() {
        let (_, c) = read(&["tarteaucitron_x=!gtag=true; Tarteaucitron=!gtag=true"]);
        assert_eq!(c, Consent::undecided());
        for v in [
            "gtag=true",
            "",
            "!gtag",
            "!gtag=true!youtube",
            "{\"gtag\":true}",
        ] {
            let (r, c) = read(&[&format!("tarteaucitron={v}")]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert_eq!(svc(&r, &c, "ga"), None);
        }
        // A truncated state or a wrong one decides nothing for that key.
        let (r, c) = read(&["tarteaucitron=!youtube=false!gtag=tr"]);
        assert_eq!(svc(&r, &c, "ga"), None);
        let (r, c) = read(&["tarteaucitron=!youtube=false!gtag=TRUE!x=1"]);
        assert_eq!(svc(&r, &c, "ga"), None);
        let big = format!(
            "tarteaucitron=!gtag=true!x={}",
            "a".repeat(MAX_CONSENT_VALUE)
        );
        let (_, c) = read(&[&big]);
        assert_eq!(c.state(), ConsentState::Unreadable);
    }

    #[test]
    fn duplicates_read_as_the_narrowest() {
        let (r, c) = read(&[
            "tarteaucitron=!gtag=true!youtube=true",
            "tarteaucitron=!gtag=true!youtube=false",
        ]);
        assert_eq!(svc(&r, &c, "ga"), Some(true));
        assert_eq!(svc(&r, &c, "youtube"), Some(false));
        let (r, c) = read(&["tarteaucitron=!gtag=true!gtag=false"]);
        assert_eq!(svc(&r, &c, "ga"), Some(false));
        // A key given twice with a `wait` (or other state) is not granted.
        for v in [
            "!gtag=true!gtag=wait",
            "!gtag=wait!gtag=true",
            "!gtag=true!gtag=",
        ] {
            let (r, c) = read(&[&format!("tarteaucitron={v}")]);
            assert!(c.is_decided(), "{v}");
            assert_eq!(svc(&r, &c, "ga"), None, "{v}");
        }
        // An undecided duplicate keeps the whole reading undecided.
        let (r, c) = read(&["tarteaucitron=!gtag=true; tarteaucitron=!gtag=wait"]);
        assert_eq!(c.state(), ConsentState::Undecided);
        assert_eq!(svc(&r, &c, "ga"), None);
    }
}
