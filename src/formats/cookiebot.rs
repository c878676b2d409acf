use super::common::{
    percent_decode_into, single_cookie_reader, Grants, Identity, KeyedGrants, NameMap,
};
use super::js_object::{parse_object, JsValue};
use super::MAX_CONSENT_VALUE;
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;

/// What [`Cookiebot`] makes of the bare `CookieConsent=-1`, which Cookiebot writes for a
/// visitor outside every region where the site's Cookiebot configuration asks for consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutsideRegion {
    /// Grant every registry category the reader's [map](Cookiebot::map) targets (by default
    /// functional, statistics and marketing). This is what Cookiebot's server-side
    /// documentation says the value means ("all cookies are accepted"), and the only reading
    /// under which such a visitor can ever get those cookies: Cookiebot shows them no banner,
    /// so "undecided" would never change.
    #[default]
    GrantAll,
    /// Read it as [undecided](Consent::undecided): nothing that needs consent is set. For
    /// sites that want consent from every visitor whatever Cookiebot's geolocation says.
    Undecided,
}

/// Reads Cookiebot's `CookieConsent` cookie.
///
/// # Format
///
/// Source: Cookiebot's developer documentation ("Programming Cookiebot CMP", section
/// "Server-side usage") and captured values. The
/// cookie-value is a JavaScript object literal, **not JSON**: keys are unquoted, strings are
/// single-quoted, and only `'` (`%27`) and `,` (`%2C`) are percent-encoded:
///
/// ```text
/// CookieConsent={stamp:%27<base64 with + / and =>%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735689600000%2Cregion:%27de%27}
/// ```
///
/// - every `%XX` is decoded, but the value is never form-decoded: `+` stays `+`;
/// - members whose key the [map](Cookiebot::map) knows and whose value is `true` grant,
///   `false` refuse; any other value type is no decision; other keys are ignored; a key
///   given twice is granted only if every occurrence is `true` (the script's object keeps
///   the last one): one `false` refuses it, one other value leaves it undecided;
/// - `utc` (milliseconds since the Unix epoch) is the time of the choice;
/// - the bare value `0` is a refusal of everything but the strictly necessary;
/// - the bare value `-1` ("the visitor is not in a region that needs consent") follows
///   [`OutsideRegion`], by default granting every mapped category;
/// - anything else that is not such an object (a syntax error, a truncated value, a value
///   over [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes) is
///   [unreadable](Consent::unreadable); the cookie present more than once reads as the
///   [narrowest](Consent::narrowest) of all.
///
/// Default map: `necessary` → `necessary`, `preferences` → `functional`, `statistics` →
/// `statistics`, `marketing` → `marketing`. A name whose target the registry does not
/// declare is ignored. Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::{Cookiebot, ConsentRequest, ReadConsent, Registry};
///
/// let registry = Registry::builder().default_categories().build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "CookieConsent={stamp:%27k+9/Aw==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735689600000%2Cregion:%27de%27}",
/// ));
/// let consent = Cookiebot::new().read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert!(!consent.is_category_granted(registry.category_id("marketing").unwrap()));
/// assert_eq!(consent.timestamp_ms(), Some(1_735_689_600_000));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Cookiebot {
    cookie_name: CookieName,
    map: NameMap,
    outside_region: OutsideRegion,
}

impl Cookiebot {
    /// The cookie-name Cookiebot writes, `CookieConsent`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "CookieConsent";

    /// The default map from Cookiebot's categories to registry ids.
    pub const DEFAULT_MAP: [(&'static str, &'static str); 4] = [
        ("necessary", "necessary"),
        ("preferences", "functional"),
        ("statistics", "statistics"),
        ("marketing", "marketing"),
    ];

    /// Reads `CookieConsent` with the [default map](Self::DEFAULT_MAP), `-1` granting all.
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            map: NameMap::new(Self::DEFAULT_MAP.map(|(k, v)| (k, Some(v))), Identity::Off),
            outside_region: OutsideRegion::default(),
        }
    }

    /// Reads a cookie of another name.
    ///
    /// ```
    /// # use tower_cookie_consent::Cookiebot;
    /// let reader = Cookiebot::new().cookie_name("CookieConsentShop");
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Maps the Cookiebot key `name` (such as `preferences`) to the registry category or
    /// service id `id`, replacing its default. Mapping to an id the registry does not
    /// declare ignores the key.
    ///
    /// ```
    /// # use tower_cookie_consent::Cookiebot;
    /// let reader = Cookiebot::new().map("preferences", "personalisation");
    /// ```
    pub fn map(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(name.into(), Some(id.into()));
        self
    }

    /// Sets what the bare value `-1` means (default [`OutsideRegion::GrantAll`]).
    ///
    /// ```
    /// # use tower_cookie_consent::{Cookiebot, OutsideRegion};
    /// let reader = Cookiebot::new().outside_region(OutsideRegion::Undecided);
    /// ```
    pub fn outside_region(mut self, meaning: OutsideRegion) -> Self {
        self.outside_region = meaning;
        self
    }

    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let registry = request.registry();
        match value {
            b"-1" => {
                return match self.outside_region {
                    OutsideRegion::GrantAll => {
                        let mut grants = Grants::default();
                        for c in self.map.target_categories(registry).iter() {
                            grants.grant_category(c);
                        }
                        grants.into_consent()
                    }
                    OutsideRegion::Undecided => Consent::undecided(),
                }
            }
            b"0" => return Consent::decided(),
            _ => {}
        }
        let mut buf = [0u8; MAX_CONSENT_VALUE];
        let Some(text) = percent_decode_into(value, &mut buf, false) else {
            return Consent::unreadable();
        };
        let mut grants = KeyedGrants::new();
        let mut utc = None;
        let parsed = parse_object(text, |key, value| match value {
            JsValue::Bool(yes) => {
                grants.record(key, self.map.resolve(key, registry), Some(yes));
            }
            JsValue::Integer(ms) if key == b"utc" => utc = Some(ms),
            _ => grants.record(key, self.map.resolve(key, registry), None),
        });
        let (Ok(()), Some(grants)) = (parsed, grants.finish()) else {
            return Consent::unreadable();
        };
        let mut consent = grants.into_consent();
        consent.set_timestamp_ms(utc);
        consent
    }
}

single_cookie_reader!(Cookiebot);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, granted, service};
    use crate::{ConsentState, Registry};

    const GRANTED: &str = "{stamp:%27Uq3+yV0/xq1gNvGcXz9ae8Bw7zQoQnXmaLtgb1S4y6yQ1fk2vZKfmg==%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:true%2Cmarketing:true%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735689600000%2Cregion:%27de%27}";
    const PARTIAL: &str = "{stamp:%27Uq3+yV0/xq1gNvGcXz9ae8Bw7zQoQnXmaLtgb1S4y6yQ1fk2vZKfmg==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735689600000%2Cregion:%27de%27}";
    const REFUSED: &str = "{stamp:%27-%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:2%2Cutc:1735689600000%2Cregion:%27fr%27}";

    fn read_with(reader: &Cookiebot, fields: &[&str]) -> (Registry, Consent) {
        testing::read(
            reader,
            testing::registry([service("_ga", "statistics", "ga")]),
            fields,
        )
    }

    fn read(fields: &[&str]) -> (Registry, Consent) {
        read_with(&Cookiebot::new(), fields)
    }

    #[test]
    fn reads_granted_partial_and_refused_values() {
        let (r, c) = read(&[&format!("CookieConsent={GRANTED}")]);
        assert_eq!(
            granted(&r, &c),
            ["necessary", "functional", "statistics", "marketing"]
        );
        assert_eq!(c.timestamp_ms(), Some(1_735_689_600_000));
        let (r, c) = read(&[&format!("CookieConsent={PARTIAL}")]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        let (r, c) = read(&[&format!("CookieConsent={REFUSED}")]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["necessary"]);
    }

    #[test]
    fn plus_in_the_stamp_is_never_a_space_and_raw_quotes_work() {
        // Fully decoded (as a proxy might forward it) reads the same.
        let raw = PARTIAL.replace("%27", "'").replace("%2C", ",");
        let (r, c) = read(&[&format!("CookieConsent={raw}")]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        // Fully percent-encoded too.
        let enc = "%7Bstamp%3A%27a%2Bb%3D%3D%27%2Cnecessary%3Atrue%2Cstatistics%3Atrue%7D";
        let (r, c) = read(&[&format!("CookieConsent={enc}")]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
    }

    #[test]
    fn real_shaped_value_with_a_tcf_string_and_null() {
        let v = "CookieConsent={stamp:%27D9uzQbe+hGkxrU3exyTFGRFcmqsNjJ57xfHsluaOVtK03hvIyUU6mg==%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:false%2Cmarketing:true%2Cmethod:%27explicit%27%2Cver:3%2Cutc:1726912631548%2Ciab2:%27CQFTH0AQFTH0ACGABBENBHFsAP_gAEPgAAAAKbtV_G__bWlr8X73aftkeY1P9_h77sQxBhfJE-4FzLvW_JwXx2ExNA36tqIKmRIAu3bBIQNlGJDUTVCgaogVryDMaE2coTNKJ6BkiFMRM2dYCF5vm4tj-QKY5vr991dx2B-t7dr83dzyz4VHn3a5_2a0WJCd%27%2Cgacm:null%2Cregion:%27at%27}";
        let (r, c) = read(&[v]);
        assert_eq!(granted(&r, &c), ["necessary", "functional", "marketing"]);
        assert_eq!(c.timestamp_ms(), Some(1_726_912_631_548));
    }

    #[test]
    fn bare_minus_one_and_zero() {
        let (r, c) = read(&["CookieConsent=-1"]);
        assert_eq!(
            granted(&r, &c),
            ["necessary", "functional", "statistics", "marketing"]
        );
        let (_, c) = read_with(
            &Cookiebot::new().outside_region(OutsideRegion::Undecided),
            &["CookieConsent=-1"],
        );
        assert_eq!(c, Consent::undecided());
        let (r, c) = read(&["CookieConsent=0"]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        // Only the bare values are special.
        for v in ["-1x", "%2D1", "-10", "00"] {
            let (_, c) = read(&[&format!("CookieConsent={v}")]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
        }
    }

    #[test]
    fn absent_is_undecided() {
        let (_, c) = read(&["cookieconsent=-1; CookieConsentBulkTicket=x"]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn malformed_truncated_and_oversized_are_unreadable() {
        let truncated = &GRANTED[..GRANTED.len() - 20];
        let big = format!(
            "{{stamp:'{}',statistics:true}}",
            "a".repeat(MAX_CONSENT_VALUE)
        );
        for v in [
            truncated,
            "",
            "{",
            "{statistics:true",
            "{statistics:true,}",
            "{statistics:tru}",
            "{statistics:truex}",
            "{'statistics':true}",
            "{statistics:%27yes}",
            "{statistics:true}}",
            "[statistics:true]",
            "{statistics:-}",
            "{:true}",
            &big,
        ] {
            let (_, c) = read(&[&format!("CookieConsent={v}")]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert!(c.granted_categories().is_empty(), "{v}");
        }
    }

    #[test]
    fn wrong_types_decide_nothing() {
        let (r, c) = read(&[
            "CookieConsent={necessary:true,preferences:1,statistics:'true',marketing:-1,utc:-5}",
        ]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["necessary"]);
        assert_eq!(c.timestamp_ms(), None);
    }

    #[test]
    fn duplicates_read_as_the_narrowest() {
        let (r, c) = read(&[&format!("CookieConsent={GRANTED}; CookieConsent={PARTIAL}")]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        let (r, c) = read(&[
            &format!("CookieConsent={GRANTED}"),
            "CookieConsent={statistics:true",
        ]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        assert!(granted(&r, &c).is_empty());
        // A key given twice is refused if either occurrence refuses.
        let (r, c) = read(&["CookieConsent={statistics:true,statistics:false}"]);
        assert!(granted(&r, &c).is_empty());
        // One occurrence that decides nothing withholds the grant of the other.
        for v in [
            "{necessary:true,statistics:true,statistics:1}",
            "{necessary:true,statistics:1,statistics:true}",
        ] {
            let (r, c) = read(&[&format!("CookieConsent={v}")]);
            assert!(c.is_decided(), "{v}");
            assert_eq!(granted(&r, &c), ["necessary"], "{v}");
        }
    }

    #[test]
    fn the_map_is_configurable() {
        let reader = Cookiebot::new()
            .map("preferences", "ga")
            .map("statistics", "nothing-here");
        let (r, c) = read_with(&reader, &[&format!("CookieConsent={GRANTED}")]);
        assert_eq!(granted(&r, &c), ["necessary", "marketing"]);
        assert_eq!(c.service_decision(r.service_id("ga").unwrap()), Some(true));
    }
}
