use super::common::{single_cookie_reader, with_decoded, Grants, Identity, KeyedGrants, NameMap};
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;

/// Reads the `cookieyes-consent` cookie of the CookieYes CMP.
///
/// # Format
///
/// A comma-separated list of `key:value` pairs, written raw by the CookieYes script
/// (percent-encoded values are read too):
///
/// ```text
/// cookieyes-consent=consentid:<ID>,consent:yes,action:yes,necessary:yes,functional:no,analytics:yes,performance:no,advertisement:no,other:no,lastRenewedDate:<ms>
/// ```
///
/// - the script writes the cookie on the first page view, before the visitor acts, with
///   empty values (`action:,analytics:,…`): only **`action:yes`** marks a choice; with any
///   other `action` value the visitor is [undecided](Consent::undecided), and a value with
///   no `action` key at all is not CookieYes-shaped: [unreadable](Consent::unreadable);
/// - a category is granted by `yes`, refused by `no`; any other value is no decision;
/// - `consent:no` (the visitor rejected) grants nothing, whatever the categories say;
/// - `consentid`, `lastRenewedDate` (the date the *site* last asked every visitor again,
///   not the date of the choice) and unknown keys are ignored: the format records no
///   time of choice, so the maximum consent age cannot apply (CookieYes itself expires the
///   cookie, after one year by default);
/// - a pair without `:` or a value over [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes reads as
///   [unreadable](Consent::unreadable); the cookie present more than once reads as the
///   [narrowest](Consent::narrowest) of all; a key given twice is granted only if every
///   occurrence is `yes` (one `no` refuses it, one other value leaves it undecided); more
///   than 64 distinct keys standing for registry ids is [unreadable](Consent::unreadable).
///
/// # Mapping
///
/// CookieYes category slugs map to registry ids; several slugs may map to one id, which is
/// then granted only when none of them is refused:
///
/// | CookieYes slug  | registry id  | why |
/// |-----------------|--------------|-----|
/// | `necessary`     | (ignored)    | strictly necessary cookies need no consent |
/// | `functional`    | `functional` | same meaning |
/// | `analytics`     | `statistics` | audience measurement |
/// | `performance`   | `statistics` | CookieYes describes it as measuring the site's key performance indexes |
/// | `advertisement` | `marketing`  | advertising and tracking |
/// | `other`         | (ignored)    | uncategorised cookies: map it to a category you chose |
///
/// Any other slug (custom CookieYes categories) is read as the registry category or service
/// id of the same name. Change the table with [`map`](CookieYes::map) and
/// [`ignore`](CookieYes::ignore).
///
/// Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::formats::CookieYes;
/// use tower_cookie_consent::{ConsentRequest, ReadConsent, Registry};
///
/// let registry = Registry::builder().default_categories().build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "cookieyes-consent=consentid:dGVzdA,consent:yes,action:yes,necessary:yes,\
///      functional:no,analytics:yes,performance:yes,advertisement:no,other:no",
/// ));
/// let consent = CookieYes::new().read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert!(!consent.is_category_granted(registry.category_id("marketing").unwrap()));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CookieYes {
    cookie_name: CookieName,
    map: NameMap,
}

impl CookieYes {
    /// The cookie-name CookieYes writes, `cookieyes-consent`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "cookieyes-consent";

    /// Reads `cookieyes-consent` with the [default mapping](CookieYes#mapping).
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            map: NameMap::new(
                [
                    ("necessary", None),
                    ("functional", Some("functional")),
                    ("analytics", Some("statistics")),
                    ("performance", Some("statistics")),
                    ("advertisement", Some("marketing")),
                    ("other", None),
                ],
                Identity::Any,
            ),
        }
    }

    /// Reads a cookie of another name.
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Maps the CookieYes category `slug` to the registry category or service `id`
    /// (replacing its default).
    ///
    /// ```
    /// # use tower_cookie_consent::formats::CookieYes;
    /// let reader = CookieYes::new().map("other", "functional").map("performance", "functional");
    /// ```
    pub fn map(mut self, slug: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(slug.into(), Some(id.into()));
        self
    }

    /// Ignores the CookieYes category `slug`.
    pub fn ignore(mut self, slug: impl Into<String>) -> Self {
        self.map.set(slug.into(), None);
        self
    }

    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        with_decoded(value, |value| self.parse(value, request)).unwrap_or_else(Consent::unreadable)
    }

    fn parse(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let registry = request.registry();
        let mut grants = KeyedGrants::new();
        let mut refusals = Grants::default();
        let (mut acted, mut not_acted) = (false, false);
        let mut rejected = false;
        for pair in value.split(|&b| b == b',') {
            if pair.is_empty() {
                continue;
            }
            let Some(colon) = pair.iter().position(|&b| b == b':') else {
                return Consent::unreadable();
            };
            let (key, v) = (&pair[..colon], &pair[colon + 1..]);
            match key {
                b"action" if v == b"yes" => acted = true,
                b"action" => not_acted = true,
                b"consent" => rejected |= v != b"yes",
                b"consentid" | b"lastRenewedDate" => {}
                _ => {
                    let target = self.map.resolve(key, registry);
                    let decision = match v {
                        b"yes" => Some(true),
                        b"no" => Some(false),
                        _ => None,
                    };
                    grants.record(key, target, decision);
                    if decision == Some(false) {
                        refusals.record(target, false);
                    }
                }
            }
        }
        if !acted && !not_acted {
            return Consent::unreadable();
        }
        if not_acted {
            return Consent::undecided();
        }
        let Some(grants) = grants.finish() else {
            return Consent::unreadable();
        };
        if rejected {
            return refusals.into_consent();
        }
        grants.into_consent()
    }
}

single_cookie_reader!(CookieYes);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, granted, service};
    use crate::{ConsentState, Registry};

    fn read_with(reader: &CookieYes, fields: &[&str]) -> (Registry, Consent) {
        testing::read(
            reader,
            testing::registry([service("_ga", "statistics", "ga")]),
            fields,
        )
    }

    fn read(fields: &[&str]) -> (Registry, Consent) {
        read_with(&CookieYes::new(), fields)
    }

    const ALL: &str = "cookieyes-consent=consentid:dmMtcHJlc2VlZA,consent:yes,action:yes,necessary:yes,functional:yes,analytics:yes,performance:yes,advertisement:yes,other:yes,lastRenewedDate:1734509533000";
    const NONE: &str = "cookieyes-consent=consentid:dmMtcHJlc2VlZA,consent:no,action:yes,necessary:yes,functional:no,analytics:no,performance:no,advertisement:no,other:no";

    #[test]
    fn granted_refused_and_partial() {
        let (r, c) = read(&[ALL]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["functional", "statistics", "marketing"]);
        let (r, c) = read(&[NONE]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&["cookieyes-consent=consentid:x,consent:yes,action:yes,necessary:yes,functional:yes,analytics:yes,performance:yes,advertisement:no,other:no"]);
        assert_eq!(granted(&r, &c), ["functional", "statistics"]);
    }

    #[test]
    fn two_slugs_on_one_category_need_both() {
        let (r, c) = read(&[
            "cookieyes-consent=consentid:x,consent:yes,action:yes,analytics:yes,performance:no",
        ]);
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&["cookieyes-consent=consentid:x,consent:yes,action:yes,analytics:yes"]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn consent_no_grants_nothing_even_with_yes_categories() {
        let (r, c) = read(&[
            "cookieyes-consent=consentid:x,consent:no,action:yes,analytics:yes,advertisement:yes",
        ]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn before_any_action_is_undecided() {
        // What the script writes on the first page view.
        let (r, c) = read(&["cookieyes-consent=consentid:abc,consent:,action:,necessary:,functional:,analytics:,performance:,advertisement:,other:,lastRenewedDate:1734509533000"]);
        assert_eq!(c.state(), ConsentState::Undecided);
        assert!(granted(&r, &c).is_empty());
        let (_, c) = read(&["cookieyes-consent=consentid:abc,consent:yes,action:no,analytics:yes"]);
        assert_eq!(c.state(), ConsentState::Undecided);
    }

    #[test]
    fn absent_is_undecided() {
        let (_, c) = read(&["other=1; cookieyes=consent:yes"]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn percent_encoded_reads_like_raw() {
        let (r, c) = read(&[
            "cookieyes-consent=consentid%3Ax%2Cconsent%3Ayes%2Caction%3Ayes%2Canalytics%3Ayes",
        ]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn malformed_truncated_and_wrong_types() {
        for v in [
            "cookieyes-consent=consentid:x,consent:yes,action:yes,analytics",
            "cookieyes-consent={\"analytics\":true}",
            "cookieyes-consent=garbage",
        ] {
            let (r, c) = read(&[v]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert!(granted(&r, &c).is_empty());
        }
        // Truncated before `action`: no choice can be read.
        let (r, c) = read(&["cookieyes-consent=consentid:x,consent:yes,analytics:yes"]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&["cookieyes-consent=consentid:x,consent:yes,action:yes,analytics:true,advertisement:1,functional:YES"]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn duplicates_never_widen() {
        let (r, c) = read(&[ALL, NONE]);
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&[
            "cookieyes-consent=consentid:x,consent:yes,action:yes,analytics:yes,analytics:no",
        ]);
        assert!(granted(&r, &c).is_empty());
        // An empty or unknown value next to `yes` for the same key: not granted.
        for v in ["analytics:yes,analytics:", "analytics:maybe,analytics:yes"] {
            let (r, c) = read(&[&format!(
                "cookieyes-consent=consentid:x,consent:yes,action:yes,functional:yes,{v}"
            )]);
            assert!(c.is_decided(), "{v}");
            assert_eq!(granted(&r, &c), ["functional"], "{v}");
        }
        // Two slugs mapped to one id are two keys: an empty `performance` does not veto.
        let (r, c) = read(&[
            "cookieyes-consent=consentid:x,consent:yes,action:yes,analytics:yes,performance:",
        ]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn mapping_is_configurable() {
        let reader = CookieYes::new()
            .map("other", "functional")
            .ignore("performance")
            .map("advertisement", "ga");
        let (r, c) = read_with(&reader, &["cookieyes-consent=consentid:x,consent:yes,action:yes,other:yes,performance:no,analytics:yes,advertisement:no"]);
        assert_eq!(granted(&r, &c), ["functional", "statistics"]);
        assert_eq!(c.service_decision(r.service_id("ga").unwrap()), Some(false));
        // A custom slug equal to a registry id is read as that id.
        let (r, c) = read(&["cookieyes-consent=consentid:x,consent:yes,action:yes,ga:yes"]);
        assert_eq!(c.service_decision(r.service_id("ga").unwrap()), Some(true));
    }
}
