use super::common::{
    js_unescape_into, percent_decode_into, single_cookie_reader, Identity, KeyedGrants, NameMap,
};
use super::json::{scan_object, Key, Value};
use super::MAX_CONSENT_VALUE;
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;

/// Reads Klaro's `klaro` cookie.
///
/// # Format
///
/// Source: Klaro's documentation (configuration `storageMethod: 'cookie'`, `storageName`)
/// and captured values. The cookie-value is a JSON object mapping each Klaro **service
/// name** to a boolean, raw, percent-encoded (`encodeURIComponent`) or encoded with
/// JavaScript's `escape()` (`%E9` for a Latin-1 character, `%u20AC` for other UTF-16 code
/// units):
///
/// ```text
/// klaro=%7B%22googleAnalytics%22%3Atrue%2C%22youtube%22%3Afalse%7D
/// klaro={"googleAnalytics":true,"youtube":false}
/// ```
///
/// - a value holding `%u`, or whose `%XX` escapes do not decode to UTF-8, is read as
///   `escape()` output; otherwise as percent-encoded UTF-8 (`+` stays `+`);
/// - `true` grants, `false` refuses, any other value is no decision; keys the registry does
///   not know are ignored; a key given twice is granted only if every occurrence is `true`
///   (`JSON.parse` keeps the last one, so no occurrence may grant more than another): one
///   `false` refuses it, one other value leaves it undecided;
/// - each key is looked up in the [map](Klaro::map), else taken as is: it must then be a
///   registry **service** id (granting or refusing that service). Klaro's keys are service
///   names, so a key equal to a registry **category** id does **not** grant or refuse the
///   category; to let a Klaro service stand for a whole category, say so with an explicit
///   [`map`](Klaro::map)`("inlineTracker", "statistics")`;
/// - more than 64 distinct keys that stand for registry ids is
///   [unreadable](Consent::unreadable) (duplicates could no longer be told apart);
/// - invalid JSON, a truncated value or one over
///   [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes is
///   [unreadable](Consent::unreadable); the cookie present more than once reads as the
///   [narrowest](Consent::narrowest) of all.
///
/// Klaro records no time of choice. A site that configures Klaro with
/// `storageMethod: 'localStorage'` sends the server nothing: its visitors read as undecided.
/// Default map: none (identity). Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::{ConsentRequest, Declaration, Klaro, ReadConsent, Registry};
///
/// let registry = Registry::builder()
///     .default_categories()
///     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
///     .build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "klaro=%7B%22googleAnalytics%22%3Atrue%2C%22youtube%22%3Afalse%7D",
/// ));
/// let reader = Klaro::new().map("googleAnalytics", "ga");
/// let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
/// assert_eq!(consent.service_decision(registry.service_id("ga").unwrap()), Some(true));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Klaro {
    cookie_name: CookieName,
    map: NameMap,
}

impl Klaro {
    /// Klaro's default cookie-name (`storageName`), `klaro`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "klaro";

    /// Reads the `klaro` cookie; keys are registry service ids (never category ids).
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            map: NameMap::new([], Identity::Services),
        }
    }

    /// Reads a cookie of another name (Klaro's `storageName` setting).
    ///
    /// ```
    /// # use tower_cookie_consent::Klaro;
    /// let reader = Klaro::new().cookie_name("klaro-consent");
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Maps the Klaro service name `name` to the registry service or category id `id`.
    /// Mapping to a category is the only way a Klaro key grants a whole category: the
    /// visitor's choice for that one Klaro service then decides every cookie of the category.
    ///
    /// ```
    /// # use tower_cookie_consent::Klaro;
    /// let reader = Klaro::new().map("googleAnalytics", "ga").map("inlineTracker", "statistics");
    /// ```
    pub fn map(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(name.into(), Some(id.into()));
        self
    }

    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let mut buf = [0u8; MAX_CONSENT_VALUE];
        let Some(text) = decode(value, &mut buf) else {
            return Consent::unreadable();
        };
        let registry = request.registry();
        let mut grants = KeyedGrants::new();
        let scanned = scan_object(text, |key, value| {
            if let Key::Text(key) = key {
                let decision = match value {
                    Value::Bool(yes) => Some(yes),
                    _ => None,
                };
                grants.record(key, self.map.resolve(key, registry), decision);
            }
        });
        match (scanned, grants.finish()) {
            (Ok(()), Some(grants)) => grants.into_consent(),
            _ => Consent::unreadable(),
        }
    }
}

/// Decodes `escape()` or `encodeURIComponent` output, or raw text, into `buf`.
fn decode<'b>(value: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let escaped = value.windows(2).any(|w| w == b"%u")
        || std::str::from_utf8(percent_decode_into(value, buf, false)?).is_err();
    if escaped {
        js_unescape_into(value, buf)
    } else {
        percent_decode_into(value, buf, false)
    }
}

single_cookie_reader!(Klaro);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, cat, service, svc};
    use crate::{ConsentState, Registry};

    fn registry() -> Registry {
        testing::registry([
            service("_ga", "statistics", "ga"),
            service("VISITOR_INFO1_LIVE", "marketing", "youtube"),
            service("caf\u{e9}_\u{20ac}", "functional", "caf\u{e9}\u{20ac}"),
        ])
    }

    fn read_with(reader: &Klaro, fields: &[&[u8]]) -> (Registry, Consent) {
        testing::read(reader, registry(), fields)
    }

    fn read(fields: &[&[u8]]) -> (Registry, Consent) {
        read_with(&Klaro::new().map("googleAnalytics", "ga"), fields)
    }

    #[test]
    fn percent_encoded_and_raw_values() {
        for v in [
            &b"klaro=%7B%22googleAnalytics%22%3Atrue%2C%22youtube%22%3Afalse%7D"[..],
            br#"klaro={"googleAnalytics":true,"youtube":false}"#,
            b"klaro=%7B%22googleAnalytics%22%3Atrue%2C%22youtube%22%3Afalse%7D ",
        ] {
            let (r, c) = read(&[v]);
            assert!(c.is_decided());
            assert_eq!(svc(&r, &c, "ga"), Some(true));
            assert_eq!(svc(&r, &c, "youtube"), Some(false));
            assert!(c.granted_categories().is_empty());
        }
    }

    #[test]
    fn escape_encoding_with_latin1_and_utf16_units() {
        // escape('{"café€":true}') as Klaro's older cookie store writes it.
        let (r, c) = read(&[b"klaro=%7B%22caf%E9%u20AC%22%3Atrue%7D"]);
        assert_eq!(svc(&r, &c, "caf\u{e9}\u{20ac}"), Some(true));
        // `%E9` alone (no `%u`) is not UTF-8, so it is read as escape() too.
        let reader = Klaro::new().map("caf\u{e9}", "statistics");
        let (r, c) = read_with(&reader, &[b"klaro=%7B%22caf%E9%22%3Atrue%7D"]);
        assert!(cat(&r, &c, "statistics"));
        // And encodeURIComponent's UTF-8 reads as UTF-8.
        let (r, c) = read_with(&reader, &[b"klaro=%7B%22caf%C3%A9%22%3Atrue%7D"]);
        assert!(cat(&r, &c, "statistics"));
    }

    #[test]
    fn category_ids_as_keys_decide_nothing() {
        // Klaro's keys are services: a key equal to a category id is not a category.
        let (r, c) = read(&[br#"klaro={"statistics":true,"marketing":true,"unknown":true}"#]);
        assert!(c.is_decided());
        assert!(c.granted_categories().is_empty());
        assert!(!cat(&r, &c, "statistics"));
        // Unless the site maps it there explicitly.
        let reader = Klaro::new().map("inlineTracker", "statistics");
        let (r, c) = read_with(
            &reader,
            &[br#"klaro={"inlineTracker":true,"marketing":true}"#],
        );
        assert!(cat(&r, &c, "statistics"));
        assert!(!cat(&r, &c, "marketing"));
    }

    #[test]
    fn a_repeated_key_grants_only_if_every_occurrence_grants() {
        for v in [
            &br#"klaro={"googleAnalytics":true,"googleAnalytics":false}"#[..],
            br#"klaro={"googleAnalytics":false,"googleAnalytics":true}"#,
        ] {
            let (r, c) = read(&[v]);
            assert_eq!(svc(&r, &c, "ga"), Some(false), "{v:?}");
        }
        for v in [
            &br#"klaro={"googleAnalytics":true,"googleAnalytics":null}"#[..],
            br#"klaro={"googleAnalytics":"x","googleAnalytics":true}"#,
            br#"klaro={"googleAnalytics":true,"googleAnalytic\u0073":1}"#,
        ] {
            let (r, c) = read(&[v]);
            assert!(c.is_decided());
            assert_eq!(svc(&r, &c, "ga"), None, "{v:?}");
        }
        let (r, c) = read(&[br#"klaro={"googleAnalytics":true,"googleAnalytics":true}"#]);
        assert_eq!(svc(&r, &c, "ga"), Some(true));
    }

    #[test]
    fn refused_partial_absent() {
        let (r, c) = read(&[br#"klaro={"googleAnalytics":false,"youtube":false}"#]);
        assert!(c.is_decided());
        assert_eq!(svc(&r, &c, "ga"), Some(false));
        let (r, c) = read(&[br#"klaro={"googleAnalytics":true}"#]);
        assert_eq!(svc(&r, &c, "youtube"), None);
        assert_eq!(svc(&r, &c, "ga"), Some(true));
        let (_, c) = read(&[b"Klaro={\"ga\":true}; klaro_x=1"]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn malformed_truncated_wrong_types() {
        for v in [
            &b"klaro=%7B%22googleAnalytics%22%3Atrue"[..],
            b"klaro={\"googleAnalytics\":true",
            b"klaro=",
            b"klaro=true",
            b"klaro=[\"ga\"]",
            b"klaro={googleAnalytics:true}",
        ] {
            let (r, c) = read(&[v]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v:?}");
            assert_eq!(svc(&r, &c, "ga"), None);
        }
        let (r, c) = read(&[br#"klaro={"googleAnalytics":"true","youtube":1,"statistics":null}"#]);
        assert!(c.is_decided());
        assert_eq!(svc(&r, &c, "ga"), None);
        assert_eq!(svc(&r, &c, "youtube"), None);
        assert!(!cat(&r, &c, "statistics"));
        let big = format!(
            "klaro={{\"ga\":true,\"x\":\"{}\"}}",
            "a".repeat(MAX_CONSENT_VALUE)
        );
        let (_, c) = read(&[big.as_bytes()]);
        assert_eq!(c.state(), ConsentState::Unreadable);
    }

    #[test]
    fn duplicates_read_as_the_narrowest() {
        let (r, c) =
            read(&[br#"klaro={"ga":true,"youtube":true}; klaro={"ga":true,"youtube":false}"#]);
        assert_eq!(svc(&r, &c, "ga"), Some(true));
        assert_eq!(svc(&r, &c, "youtube"), Some(false));
        let (r, c) = read(&[br#"klaro={"ga":true,"ga":false}"#]);
        assert_eq!(svc(&r, &c, "ga"), Some(false));
    }
}
