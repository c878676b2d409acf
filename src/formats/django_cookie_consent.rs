use super::common::{single_cookie_reader, with_decoded, Identity, KeyedGrants, NameMap};
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;

/// Reads the `cookie_consent` cookie of [django-cookie-consent] (the Jazzband Django app).
///
/// # Format
///
/// `|`-separated `varname=version` pairs, one per cookie group the visitor answered
/// (`cookie_consent/util.py`, `dict_to_cookie_str`):
///
/// ```text
/// cookie_consent=analytics=2024-05-02T10:20:30.123456+00:00|marketing=-1
/// cookie_consent="analytics=2024-05-02T10:20:30.123456+00:00|marketing=-1"
/// ```
///
/// - `-1` (the app's `COOKIE_CONSENT_DECLINE`) declines the group; a version (an ISO 8601
///   timestamp, so starting with a four-digit year) accepts it; an empty version is no
///   decision; anything else (`0`, `no`) makes the value unreadable. The version is the creation time
///   of the group's newest cookie when the visitor accepted, not the time of the choice;
///   [`min_version`](DjangoCookieConsent::min_version) refuses acceptances older than a
///   group's current version, as the app does when cookies are added to a group;
/// - Django's response cookies quote a value holding `=` (`"…"`, RFC 6265 `cookie-value`):
///   one pair of surrounding double quotes is removed; percent-encoded values are read too;
/// - a group named twice is granted only if every occurrence accepts it: one declining
///   (or older than its `min_version`) refuses it, one with an empty version leaves it
///   undecided (the app's parser keeps the last); more than 64 distinct groups standing
///   for registry ids is [unreadable](Consent::unreadable);
/// - a pair without `=`, or a value over [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes, reads as
///   [unreadable](Consent::unreadable) (the app's own parser raises on it); an empty value
///   is [undecided](Consent::undecided); the cookie present more than once reads as the
///   [narrowest](Consent::narrowest) of all;
/// - the format records no time of choice: the maximum consent age cannot apply (the app
///   expires the cookie itself, after one year by default).
///
/// # Mapping
///
/// A group `varname` is read as the registry category or service id of the same name;
/// [`map`](DjangoCookieConsent::map) maps it to another id and
/// [`ignore`](DjangoCookieConsent::ignore) ignores it.
///
/// Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::formats::DjangoCookieConsent;
/// use tower_cookie_consent::{ConsentRequest, ReadConsent, Registry};
///
/// let registry = Registry::builder().default_categories().build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "cookie_consent=\"analytics=2024-05-02T10:20:30.123456+00:00|marketing=-1\"",
/// ));
/// let reader = DjangoCookieConsent::new().map("analytics", "statistics");
/// let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert!(!consent.is_category_granted(registry.category_id("marketing").unwrap()));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
///
/// [django-cookie-consent]: https://github.com/jazzband/django-cookie-consent
#[derive(Debug, Clone)]
#[must_use]
pub struct DjangoCookieConsent {
    cookie_name: CookieName,
    map: NameMap,
    min_versions: Vec<(String, String)>,
}

impl DjangoCookieConsent {
    /// The app's default cookie-name (`COOKIE_CONSENT_NAME`), `cookie_consent`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "cookie_consent";

    /// Reads `cookie_consent`, group varnames = registry ids.
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            map: NameMap::new([], Identity::Any),
            min_versions: Vec::new(),
        }
    }

    /// Reads a cookie of another name (the app's `COOKIE_CONSENT_NAME` setting).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Maps the cookie group `varname` to the registry category or service `id`.
    pub fn map(mut self, varname: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(varname.into(), Some(id.into()));
        self
    }

    /// Ignores the cookie group `varname`.
    pub fn ignore(mut self, varname: impl Into<String>) -> Self {
        self.map.set(varname.into(), None);
        self
    }

    /// An acceptance of group `varname` counts only when its version is at least `version`
    /// (compared as text, as the app compares ISO 8601 times); an older one is refused, so
    /// the banner asks again.
    ///
    /// ```
    /// # use tower_cookie_consent::formats::DjangoCookieConsent;
    /// let reader = DjangoCookieConsent::new().min_version("analytics", "2025-01-01T00:00:00+00:00");
    /// ```
    pub fn min_version(mut self, varname: impl Into<String>, version: impl Into<String>) -> Self {
        let (varname, version) = (varname.into(), version.into());
        match self.min_versions.iter_mut().find(|(k, _)| *k == varname) {
            Some(entry) => entry.1 = version,
            None => self.min_versions.push((varname, version)),
        }
        self
    }

    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        with_decoded(value, |value| self.parse(value, request)).unwrap_or_else(Consent::unreadable)
    }

    fn parse(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let mut value = value;
        if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
            value = &value[1..value.len() - 1];
        }
        if value.is_empty() {
            return Consent::undecided();
        }
        let registry = request.registry();
        let mut grants = KeyedGrants::new();
        for pair in value.split(|&b| b == b'|') {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                return Consent::unreadable();
            };
            let (varname, version) = (&pair[..eq], &pair[eq + 1..]);
            if varname.is_empty() {
                return Consent::unreadable();
            }
            let target = self.map.resolve(varname, registry);
            if version.is_empty() {
                grants.record(varname, target, None);
                continue;
            }
            // The app writes `-1` or the group's version, an ISO 8601 timestamp: anything
            // else (`0`, `no`, `false`) is malformed and proves nothing.
            let is_version = version.len() >= 4 && version[..4].iter().all(u8::is_ascii_digit);
            if version != b"-1" && !is_version {
                return Consent::unreadable();
            }
            let accepted = version != b"-1"
                && self
                    .min_versions
                    .iter()
                    .find(|(k, _)| k.as_bytes() == varname)
                    .is_none_or(|(_, min)| version >= min.as_bytes());
            grants.record(varname, target, Some(accepted));
        }
        match grants.finish() {
            Some(grants) => grants.into_consent(),
            None => Consent::unreadable(),
        }
    }
}

single_cookie_reader!(DjangoCookieConsent);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, granted, service};
    use crate::{ConsentState, Registry};

    fn read_with(reader: &DjangoCookieConsent, fields: &[&str]) -> (Registry, Consent) {
        testing::read(
            reader,
            testing::registry([service("_ga", "statistics", "ga")]),
            fields,
        )
    }

    fn read(fields: &[&str]) -> (Registry, Consent) {
        read_with(&DjangoCookieConsent::new(), fields)
    }

    const V: &str = "2024-05-02T10:20:30.123456+00:00";

    #[test]
    fn granted_refused_and_partial() {
        let (r, c) = read(&[&format!(
            "cookie_consent=statistics={V}|marketing={V}|functional={V}"
        )]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["functional", "statistics", "marketing"]);
        let (r, c) = read(&["cookie_consent=statistics=-1|marketing=-1"]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&[&format!("cookie_consent=\"statistics={V}|marketing=-1\"")]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn groups_can_be_services_and_mapped() {
        let (r, c) = read(&["cookie_consent=ga=-1|statistics=2024-01-01"]);
        assert_eq!(c.service_decision(r.service_id("ga").unwrap()), Some(false));
        assert_eq!(granted(&r, &c), ["statistics"]);
        let reader = DjangoCookieConsent::new()
            .map("analytics", "statistics")
            .ignore("marketing");
        let (r, c) = read_with(&reader, &["cookie_consent=analytics=2024|marketing=2024"]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn min_version_refuses_older_acceptances() {
        let reader = DjangoCookieConsent::new().min_version("statistics", "2025-01-01T00:00:00");
        let (r, c) = read_with(&reader, &[&format!("cookie_consent=statistics={V}")]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read_with(&reader, &["cookie_consent=statistics=2025-02-01T00:00:00"]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn absent_and_empty_are_undecided() {
        let (_, c) = read(&["sessionid=x; cookie_consent_other=statistics=1"]);
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&["cookie_consent="]);
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&["cookie_consent=\"\""]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn percent_encoded_reads_like_raw() {
        let (r, c) = read(&[
            "cookie_consent=statistics%3D2024-05-02T10%3A20%3A30%2B00%3A00%7Cmarketing%3D-1",
        ]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn malformed_truncated_and_wrong_types() {
        for v in [
            "cookie_consent=statistics",
            "cookie_consent=statistics=2024|marketing",
            "cookie_consent==2024",
            "cookie_consent={\"statistics\":true}",
        ] {
            let (r, c) = read(&[v]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert!(granted(&r, &c).is_empty());
        }
        // A pair cut after `=`: no decision for that group.
        let (r, c) = read(&["cookie_consent=marketing=2024|statistics="]);
        assert_eq!(granted(&r, &c), ["marketing"]);
    }

    #[test]
    fn duplicates_never_widen() {
        let (r, c) = read(&["cookie_consent=statistics=2024|statistics=-1"]);
        assert!(granted(&r, &c).is_empty());
        for v in ["statistics=2024|statistics=", "statistics=|statistics=2024"] {
            let (r, c) = read(&[&format!("cookie_consent=marketing=2024|{v}")]);
            assert!(c.is_decided(), "{v}");
            assert_eq!(granted(&r, &c), ["marketing"], "{v}");
        }
        let (r, c) = read(&[
            "cookie_consent=statistics=2024|marketing=2024",
            "cookie_consent=statistics=2024|marketing=-1",
        ]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn a_value_that_is_neither_minus_one_nor_a_version_is_unreadable() {
        for v in ["0", "no", "false", "declined", "-2", "202"] {
            let (_, c) = read(&[&format!("cookie_consent=statistics={v}")]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
        }
    }
}
