use super::common::{
    parse_iso8601_ms, percent_decode_into, read_narrowest, Grants, Identity, NameMap,
};
use super::MAX_CONSENT_VALUE;
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::{ConsentRequest, ReadConsent};

/// Reads OneTrust's `OptanonConsent` cookie, with `OptanonAlertBoxClosed` as the sign that
/// the visitor made a choice.
///
/// # Format
///
/// Source: OneTrust's knowledge base ("OneTrust Cookies"; "Publishing and Implementing Cookie
/// Consent Scripts": the banner's own cookie is dropped once the visitor has interacted with
/// it) and captured values. `OptanonConsent` is a query string (`application/x-www-form-urlencoded`):
///
/// ```text
/// OptanonConsent=isGpcEnabled=0&datestamp=Mon+Jan+06+2025+10%3A00%3A00+GMT%2B0100+(Central+European+Standard+Time)&version=202409.1.0&isIABGlobal=false&hosts=&consentId=<ID>&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A1%2CC0004%3A0&AwaitingReconsent=false
/// OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z
/// ```
///
/// - the value is split on `&` **before** any decoding, so an encoded `%26` (inside
///   `landingPath`, say) never creates a field; then only `groups` and `AwaitingReconsent`
///   are decoded and read, everything else is ignored;
/// - `groups` is a comma-separated list of `<group id>:<1|0>`; `1` grants the group, `0`
///   refuses it; group ids are looked up in the [map](OneTrust::map) and unknown ids (IAB
///   stacks, `SPD_BG`, ...) are ignored; an entry without `:`, or with a flag other than
///   `0`/`1`, makes the value [unreadable](Consent::unreadable); when several groups map to
///   the same category, the category is granted only if none of them is refused; a group
///   given twice is refused if either entry refuses; a second `groups` field makes the
///   value [unreadable](Consent::unreadable) (the script reads only one of them, and the
///   other could grant more);
/// - OneTrust writes `OptanonConsent`, with the site's *default* groups, before the visitor
///   chooses; the choice is marked by `OptanonAlertBoxClosed` (its value, an ISO 8601 date,
///   is the time of the choice). So, by default (see [`require_choice`](OneTrust::require_choice)):
///   - no `OptanonConsent`, or one without `groups`, and no `OptanonAlertBoxClosed`:
///     [undecided](Consent::undecided);
///   - `groups` but no `OptanonAlertBoxClosed`: undecided (the groups are defaults, not a
///     choice);
///   - `OptanonAlertBoxClosed` and `groups`: decided, per `groups`, timestamped by
///     `OptanonAlertBoxClosed`; a marker that is not an ISO 8601 date makes it unreadable
///     (its age could not be proven);
///   - `OptanonAlertBoxClosed` but no readable `groups`: unreadable (a choice was made but
///     cannot be read: nothing is granted, and nothing is taken as refused);
/// - `AwaitingReconsent=true` (the site asked everyone again) reads as undecided
///   (see [`read_awaiting_reconsent`](OneTrust::read_awaiting_reconsent));
/// - `datestamp` is when OneTrust last rewrote the cookie (every visit), not when the visitor
///   chose, so it is ignored;
/// - a value over [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes is unreadable;
///   `OptanonConsent` present more than once reads as the [narrowest](Consent::narrowest)
///   of all; of several `OptanonAlertBoxClosed`, the earliest date is kept.
///
/// Default map (OneTrust's standard category groups and the numeric ids of older sites):
///
/// | group id | OneTrust category | registry id |
/// |---|---|---|
/// | `C0001`, `1` | Strictly Necessary | `necessary` |
/// | `C0002`, `2` | Performance | `statistics` |
/// | `C0003`, `3` | Functional | `functional` |
/// | `C0004`, `4` | Targeting | `marketing` |
/// | `C0005` | Social Media | `marketing` |
///
/// Social media cookies track visitors across sites, the way targeting cookies do, so they
/// count as marketing (and so as sale or sharing, which GPC switches off) unless mapped
/// elsewhere. Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::{ConsentRequest, OneTrust, ReadConsent, Registry};
///
/// let registry = Registry::builder().default_categories().build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z; \
///      OptanonConsent=isGpcEnabled=0&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A0%2CC0004%3A0&AwaitingReconsent=false",
/// ));
/// let consent = OneTrust::new().read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert!(!consent.is_category_granted(registry.category_id("marketing").unwrap()));
/// assert_eq!(consent.timestamp_ms(), Some(1_736_154_000_000));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct OneTrust {
    cookie_name: CookieName,
    alert_cookie_name: CookieName,
    map: NameMap,
    require_choice: bool,
    read_awaiting_reconsent: bool,
}

impl Default for OneTrust {
    fn default() -> Self {
        Self::new()
    }
}

/// What one `OptanonAlertBoxClosed` search found.
#[derive(Debug, Clone, Copy)]
struct Choice {
    made: bool,
    at_ms: Option<u64>,
}

impl OneTrust {
    /// The consent cookie-name, `OptanonConsent`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "OptanonConsent";
    /// The cookie-name that marks a choice, `OptanonAlertBoxClosed`.
    pub const DEFAULT_ALERT_COOKIE_NAME: &'static str = "OptanonAlertBoxClosed";
    /// The default map from OneTrust group ids to registry ids.
    pub const DEFAULT_MAP: [(&'static str, &'static str); 9] = [
        ("C0001", "necessary"),
        ("C0002", "statistics"),
        ("C0003", "functional"),
        ("C0004", "marketing"),
        ("C0005", "marketing"),
        ("1", "necessary"),
        ("2", "statistics"),
        ("3", "functional"),
        ("4", "marketing"),
    ];

    /// Reads `OptanonConsent` and `OptanonAlertBoxClosed` with the
    /// [default map](Self::DEFAULT_MAP).
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            alert_cookie_name: CookieName::new(Self::DEFAULT_ALERT_COOKIE_NAME),
            map: NameMap::new(Self::DEFAULT_MAP.map(|(k, v)| (k, Some(v))), Identity::Off),
            require_choice: true,
            read_awaiting_reconsent: false,
        }
    }

    /// Maps the group id `group` (such as `C0005`) to the registry category or service id
    /// `id`, replacing its default. Mapping to an id the registry does not declare ignores
    /// the group.
    ///
    /// ```
    /// # use tower_cookie_consent::OneTrust;
    /// let reader = OneTrust::new().map("C0005", "social").map("8", "social");
    /// ```
    pub fn map(mut self, group: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(group.into(), Some(id.into()));
        self
    }

    /// Whether `groups` counts only when `OptanonAlertBoxClosed` is present (default `true`).
    /// Set `false` for a site whose OneTrust geolocation rules use implied consent (opt-out),
    /// where the default groups are the visitor's consent until they object.
    ///
    /// ```
    /// # use tower_cookie_consent::OneTrust;
    /// let reader = OneTrust::new().require_choice(false);
    /// ```
    pub fn require_choice(mut self, yes: bool) -> Self {
        self.require_choice = yes;
        self
    }

    /// Whether to read `groups` when the value says `AwaitingReconsent=true` (default
    /// `false`: the site asked for consent again, so the visitor reads as undecided).
    ///
    /// ```
    /// # use tower_cookie_consent::OneTrust;
    /// let reader = OneTrust::new().read_awaiting_reconsent(true);
    /// ```
    pub fn read_awaiting_reconsent(mut self, yes: bool) -> Self {
        self.read_awaiting_reconsent = yes;
        self
    }

    /// Reads other cookie-names (for a site that renamed them).
    ///
    /// ```
    /// # use tower_cookie_consent::OneTrust;
    /// let reader = OneTrust::new().cookie_names("OptanonConsentEU", "OptanonAlertBoxClosedEU");
    /// ```
    pub fn cookie_names(mut self, consent: impl Into<String>, alert: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(consent);
        self.alert_cookie_name = CookieName::new(alert);
        self
    }

    fn read_one(&self, value: &[u8], choice: Choice, request: &ConsentRequest<'_>) -> Consent {
        let registry = request.registry();
        let mut grants = Grants::default();
        let mut groups_seen = false;
        let mut groups_fields = 0u32;
        let mut awaiting = false;
        let mut buf = [0u8; MAX_CONSENT_VALUE];
        for field in value.split(|&b| b == b'&') {
            let Some(eq) = field.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (name, raw) = (&field[..eq], &field[eq + 1..]);
            match name {
                b"groups" => {
                    // Given twice, OneTrust's script reads one of the fields: reading both
                    // could grant what that one does not.
                    groups_fields += 1;
                    if groups_fields > 1 {
                        return Consent::unreadable();
                    }
                    let Some(groups) = percent_decode_into(raw, &mut buf, true) else {
                        return Consent::unreadable();
                    };
                    for entry in groups.split(|&b| b == b',').filter(|e| !e.is_empty()) {
                        let Some(colon) = entry.iter().rposition(|&b| b == b':') else {
                            return Consent::unreadable();
                        };
                        let yes = match &entry[colon + 1..] {
                            b"1" => true,
                            b"0" => false,
                            _ => return Consent::unreadable(),
                        };
                        groups_seen = true;
                        grants.record(self.map.resolve(&entry[..colon], registry), yes);
                    }
                }
                b"AwaitingReconsent" => {
                    awaiting |= percent_decode_into(raw, &mut buf, true)
                        .is_some_and(|v| v.eq_ignore_ascii_case(b"true"));
                }
                _ => {}
            }
        }
        if awaiting && !self.read_awaiting_reconsent {
            return Consent::undecided();
        }
        if !groups_seen {
            return if choice.made {
                Consent::unreadable()
            } else {
                Consent::undecided()
            };
        }
        if self.require_choice && !choice.made {
            return Consent::undecided();
        }
        let mut consent = grants.into_consent();
        consent.set_timestamp_ms(choice.at_ms);
        consent
    }
}

impl ReadConsent for OneTrust {
    fn read_consent(&self, request: &ConsentRequest<'_>) -> Consent {
        let cookies = request.cookies();
        let mut choice = Choice {
            made: false,
            at_ms: None,
        };
        for value in cookies.get_named(&self.alert_cookie_name) {
            // OneTrust writes an ISO 8601 date: anything else cannot prove the choice's age
            // (a copy without a date must not hide the stale date of another copy).
            let Some(at) = parse_iso8601_ms(value) else {
                return Consent::unreadable();
            };
            choice.at_ms = Some(choice.at_ms.map_or(at, |a| a.min(at)));
            choice.made = true;
        }
        if choice.made && cookies.get_named(&self.cookie_name).next().is_none() {
            // A choice was recorded but there is no `OptanonConsent` to read it from.
            return Consent::unreadable();
        }
        read_narrowest(request, &self.cookie_name, |v| {
            self.read_one(v, choice, request)
        })
    }

    fn consent_cookie_names(&self) -> Vec<String> {
        vec![
            self.cookie_name.as_str().to_owned(),
            self.alert_cookie_name.as_str().to_owned(),
        ]
    }

    fn reads_only_consent_cookies(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, granted};
    use crate::{ConsentState, Registry};

    const CLOSED: &str = "OptanonAlertBoxClosed=2025-01-06T09:00:00.000Z";

    fn value(groups: &str, extra: &str) -> String {
        format!(
            "OptanonConsent=isGpcEnabled=0&datestamp=Mon+Jan+06+2025+10%3A00%3A00+GMT%2B0100+(Central+European+Standard+Time)&version=202409.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=3f1c2b7e-0000-4000-8000-000000000000&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups={groups}{extra}&geolocation=DE%3BBY"
        )
    }

    fn read_with(reader: &OneTrust, fields: &[&str]) -> (Registry, Consent) {
        testing::read(reader, testing::registry([]), fields)
    }

    fn read(fields: &[&str]) -> (Registry, Consent) {
        read_with(&OneTrust::new(), fields)
    }

    #[test]
    fn percent_encoded_and_raw_groups() {
        for groups in [
            "C0001%3A1%2CC0002%3A1%2CC0003%3A0%2CC0004%3A0%2CC0005%3A0",
            "C0001:1,C0002:1,C0003:0,C0004:0,C0005:0",
        ] {
            let (r, c) = read(&[CLOSED, &value(groups, "&AwaitingReconsent=false")]);
            assert!(c.is_decided());
            assert_eq!(granted(&r, &c), ["necessary", "statistics"], "{groups}");
            assert_eq!(c.timestamp_ms(), Some(1_736_154_000_000));
        }
    }

    #[test]
    fn all_granted_and_all_refused() {
        let (r, c) = read(&[
            &value("C0001:1,C0002:1,C0003:1,C0004:1,C0005:1", ""),
            CLOSED,
        ]);
        assert_eq!(
            granted(&r, &c),
            ["necessary", "functional", "statistics", "marketing"]
        );
        let (r, c) = read(&[
            &value("C0001:1,C0002:0,C0003:0,C0004:0,C0005:0", ""),
            CLOSED,
        ]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["necessary"]);
    }

    #[test]
    fn social_media_refusal_narrows_marketing() {
        let (r, c) = read(&[CLOSED, &value("C0004:1,C0005:0", "")]);
        assert!(!granted(&r, &c).contains(&"marketing".to_owned()));
        let reader = OneTrust::new().map("C0005", "unused");
        let (r, c) = read_with(&reader, &[CLOSED, &value("C0004:1,C0005:0", "")]);
        assert_eq!(granted(&r, &c), ["marketing"]);
    }

    #[test]
    fn numeric_ids_of_older_sites() {
        let (r, c) = read(&[
            CLOSED,
            "OptanonConsent=groups=1%3A1%2C2%3A1%2C3%3A0%2C4%3A0%2C0_1234%3A1&hosts=",
        ]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
    }

    #[test]
    fn real_shaped_value_with_stacks_vendors_and_hosts() {
        let v = "OptanonConsent=isGpcEnabled=0&datestamp=Fri+Oct+04+2024+09%3A21%3A41+GMT%2B0800+(Central+Indonesia+Time)&version=202311.1.0&browserGpcFlag=0&isIABGlobal=false&consentId=<ID>&interactionCount=18&hosts=H68%3A1%2CH39%3A0&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A1%2CC0004%3A0%2CC0005%3A0%2CV2STACK42%3A1%2CC0015%3A1%2CC0035%3A0&genVendors=V2%3A0%2CV1%3A1%2C&geolocation=FR%3B&AwaitingReconsent=false&intType=1";
        let (r, c) = read(&["OptanonAlertBoxClosed=2024-10-04T01:21:41.236Z", v]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["necessary", "functional"]);
        assert_eq!(c.timestamp_ms(), Some(1_728_004_901_236));
    }

    #[test]
    fn encoded_ampersand_in_landing_path_creates_no_field() {
        let v = "OptanonConsent=landingPath=https%3A%2F%2Fexample.com%2F%3Fx%3D1%26groups%3DC0004%3A1%26AwaitingReconsent%3Dfalse&groups=C0004%3A0";
        let (r, c) = read(&[CLOSED, v]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn choice_marker_rules() {
        let groups = value("C0001:1,C0002:1", "");
        // Default groups written before any choice are not a choice.
        let (_, c) = read(&[&groups]);
        assert_eq!(c, Consent::undecided());
        // ...unless the site runs implied consent.
        let (r, c) = read_with(&OneTrust::new().require_choice(false), &[&groups]);
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
        assert_eq!(c.timestamp_ms(), None);
        // A choice without a readable `groups` is unreadable.
        let (_, c) = read(&[CLOSED]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        let (_, c) = read(&[CLOSED, "OptanonConsent=isGpcEnabled=0&hosts="]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        // Nothing at all, or no groups and no choice: undecided.
        let (_, c) = read(&["OptanonConsent=isGpcEnabled=0&hosts="]);
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&["other=1"]);
        assert_eq!(c, Consent::undecided());
        // A marker that is not a date cannot prove the choice's age: unreadable, alone or
        // next to a stale copy (which it must not hide).
        let (_, c) = read(&["OptanonAlertBoxClosed=yes", &groups]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        let (_, c) = read(&[CLOSED, "OptanonAlertBoxClosed=x", &groups]);
        assert_eq!(c.state(), ConsentState::Unreadable);
    }

    #[test]
    fn awaiting_reconsent() {
        let v = value("C0001:1,C0002:1", "&AwaitingReconsent=true");
        let (_, c) = read(&[CLOSED, &v]);
        assert_eq!(c, Consent::undecided());
        let (r, c) = read_with(
            &OneTrust::new().read_awaiting_reconsent(true),
            &[CLOSED, &v],
        );
        assert_eq!(granted(&r, &c), ["necessary", "statistics"]);
    }

    #[test]
    fn malformed_truncated_wrong_types() {
        for groups in [
            "C0001:1,C0002",
            "C0001:1,C0002:",
            "C0001:1,C0002:true",
            "C0002:2",
            "C0002%3",
        ] {
            let (r, c) = read(&[CLOSED, &value(groups, "")]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{groups}");
            assert!(granted(&r, &c).is_empty());
        }
        let big = format!(
            "OptanonConsent=groups=C0002:1&x={}",
            "a".repeat(MAX_CONSENT_VALUE)
        );
        let (_, c) = read(&[CLOSED, &big]);
        assert_eq!(c.state(), ConsentState::Unreadable);
    }

    #[test]
    fn duplicates() {
        let (r, c) = read(&[
            CLOSED,
            &value("C0002:1,C0004:1", ""),
            &value("C0002:1,C0004:0", ""),
        ]);
        assert_eq!(granted(&r, &c), ["statistics"]);
        // A group listed twice is refused if either says 0.
        let (r, c) = read(&[CLOSED, "OptanonConsent=groups=C0002:1,C0002:0"]);
        assert!(granted(&r, &c).is_empty());
        // A second `groups` field could grant what the one the script reads does not.
        for v in [
            value("C0002:1", "&groups=C0004:1"),
            value("C0002:1", "&groups=C0002:1"),
            "OptanonConsent=groups=&groups=C0004:1".to_owned(),
        ] {
            let (r, c) = read(&[CLOSED, &v]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert!(granted(&r, &c).is_empty());
        }
        // Two markers: the earliest time.
        let (_, c) = read(&[
            "OptanonAlertBoxClosed=2025-03-01T00:00:00.000Z",
            CLOSED,
            &value("C0002:1", ""),
        ]);
        assert_eq!(c.timestamp_ms(), Some(1_736_154_000_000));
    }
}
