use super::common::{percent_decode_into, single_cookie_reader, Grants, NameMap};
use super::MAX_CONSENT_VALUE;
use crate::consent::Consent;
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
///   be a registry service id or category id; other keys are ignored; a key given twice is
///   refused if either occurrence refuses;
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
    cookie_name: String,
    map: NameMap,
}

impl Tarteaucitron {
    /// tarteaucitron's default cookie-name, `tarteaucitron`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "tarteaucitron";

    /// Reads the `tarteaucitron` cookie; keys are registry service or category ids.
    pub fn new() -> Self {
        Self {
            cookie_name: Self::DEFAULT_COOKIE_NAME.to_owned(),
            map: NameMap::new([], true),
        }
    }

    /// Reads a cookie of another name (tarteaucitron's `cookieName` option).
    ///
    /// ```
    /// # use tower_cookie_consent::Tarteaucitron;
    /// let reader = Tarteaucitron::new().cookie_name("rgpd");
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// Maps the tarteaucitron service key `name` to the registry service or category id `id`.
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
        let mut grants = Grants::default();
        let mut decided = false;
        for entry in entries.split(|&b| b == b'!').filter(|e| !e.is_empty()) {
            let Some(eq) = entry.iter().position(|&b| b == b'=') else {
                return Consent::unreadable();
            };
            let yes = match &entry[eq + 1..] {
                b"true" => true,
                b"false" => false,
                _ => continue,
            };
            decided = true;
            grants.record(self.map.resolve(&entry[..eq], registry), yes);
        }
        if decided {
            grants.into_consent()
        } else {
            Consent::undecided()
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
    fn category_keys_and_encoded_values() {
        let (r, c) = read(&["tarteaucitron=%21statistics%3Dtrue%21gtag%3Dfalse"]);
        assert!(c.is_category_granted(r.category_id("statistics").unwrap()));
        assert_eq!(svc(&r, &c, "ga"), Some(false));
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
        // An undecided duplicate keeps the whole reading undecided.
        let (r, c) = read(&["tarteaucitron=!gtag=true; tarteaucitron=!gtag=wait"]);
        assert_eq!(c.state(), ConsentState::Undecided);
        assert_eq!(svc(&r, &c, "ga"), None);
    }
}
