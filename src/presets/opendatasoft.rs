//! The Opendatasoft platform's published cookie policy.

use super::{days, google_analytics, matomo, minutes, months, seconds, years};
use crate::{Category, CookiesPreferences, Declaration, RegistryBuilder};

/// The cookie policy that the Opendatasoft data-portal platform publishes on its portals
/// (`/terms/cookies-policy/`), with the analytics services a portal can switch on.
///
/// # Categories
///
/// The platform's four kinds of cookies, in this order:
///
/// | id | label | consent |
/// |---|---|---|
/// | `necessary` | Necessary | not required |
/// | `statistics` | Statistical | required; anonymised-measurement cookies are declared [exempt](Declaration::exempt) |
/// | `internal` | Internal / first-party | required |
/// | `third_party` | Third-party | required; [sale or sharing](Category::sale_or_sharing), so `Sec-GPC: 1` refuses it |
///
/// # Cookies
///
/// - **necessary**, provider Opendatasoft, as the platform's policy lists them: `sessionid`
///   (authentication, 2 weeks, `HttpOnly`), `django_language` (language selection,
///   12 months), `csrftoken` (API (CSRF), up to 12 months), `cookies_preferences` (the
///   visitor's cookie choices, 6 months).
/// - **statistics**: the analytics services a portal can activate (Opendatasoft user guide,
///   "Managing tracking"), each under the service id the platform's `cookies_preferences`
///   cookie uses:
///   - `ga`, Google Analytics 4 and Universal Analytics: `_ga`, `_ga_*`, `_gid`, `_gat`,
///     `_dc_gtm_*`, `AMP_TOKEN` (Google, "\[GA4\] Cookie usage on websites" and the Universal
///     Analytics cookie usage page);
///   - `matomo`: `_pk_id.*`, `_pk_ses.*`, `_pk_ref.*`, `_pk_cvar.*`, `_pk_hsr.*`,
///     `_pk_testcookie*`, `mtm_consent`, `mtm_consent_removed`, `mtm_cookie_consent`
///     (Matomo FAQ, "What are the cookies created by Matomo JavaScript Tracking client?");
///   - `at`, AT Internet SmartTag (smarttag.js): `atuserid`, `atidvisitor`, `atreman`,
///     `attvtreman`, `atredir`, `atsession`, `atauthority` (AT Internet developer
///     documentation, "AT Internet cookies");
///   - `piano`, Piano Analytics: `_pcid`, `_pctx`, `_pprv`, `pa_user`, and the pre-6.8 SDK's
///     `pa_vid`, `pa_privacy` (Piano Analytics developer documentation, "Cookies & storage");
///   - `eulerian`: `etuix` (Eulerian help centre, "What is important to know about Eulerian
///     Cookies?": one anonymous device identifier kept 13 months).
/// - **third_party**: `xiti`, the AT Internet/Piano collection servers' own cookies on
///   `xiti.com` (`idrxvr`, `atidx`, `atid`, 13 months, `HttpOnly`; Piano Analytics "Cookies
///   & storage", server-side cookies). Those are set by AT Internet's servers, never by the
///   portal, and are declared so that the page lists them and `xiti` can be refused.
/// - **internal** is empty: it holds the optional cookies a portal adds itself; add them
///   with [`RegistryBuilder::cookie`].
///
/// Exempt (no consent needed) are only the measurement cookies that hold no identifier: the
/// ones that remember a consent, opt-out or privacy-mode choice (`mtm_consent`,
/// `mtm_consent_removed`, `mtm_cookie_consent`, `atauthority`, `_pprv`, `pa_privacy`) or test
/// that cookies work (`_pk_testcookie*`). Visitor identifiers stay consent-required even
/// though AT Internet, Piano, Matomo and Eulerian offer a configuration that the CNIL
/// exempts: the server cannot tell whether a portal uses it. A portal that does can declare
/// those cookies `.exempt()` itself before merging this preset.
///
/// ```
/// use tower_cookie_consent::presets;
///
/// let registry = presets::opendatasoft().revision(1).build()?;
/// let session = registry.lookup(b"sessionid").unwrap();
/// assert_eq!(session.provider_text(), "Opendatasoft");
/// assert_eq!(registry.lookup(b"_pk_id.1.a1b2").unwrap().service_id(), Some("matomo"));
/// assert_eq!(registry.lookup(b"atid").unwrap().category_id(), "third_party");
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
pub fn opendatasoft() -> RegistryBuilder {
    let ods = |d: Declaration| d.category("necessary").provider("Opendatasoft");
    let at = |d: Declaration| {
        d.category("statistics")
            .service("at")
            .provider("AT Internet")
            .function("AT Internet SmartTag analytics")
    };
    let piano = |d: Declaration| {
        d.category("statistics")
            .service("piano")
            .provider("Piano")
            .function("Piano Analytics")
    };
    let xiti = |d: Declaration| {
        d.category("third_party")
            .service("xiti")
            .provider("AT Internet (Piano)")
            .function("XiTi / AT Internet collection servers")
            .domain("xiti.com")
            .duration(months(13))
            .http_only(true)
    };
    crate::Registry::builder()
        .category(
            Category::new("necessary")
                .label("Necessary")
                .description(
                    "Internal cookies the portal needs to work: they keep you signed in, \
                     remember your language and your cookie choices, and protect forms and API \
                     calls. They do not require your consent.",
                )
                .consent_required(false),
        )
        .category(
            Category::new("statistics")
                .label("Statistical")
                .description(
                    "Cookies that follow what visitors do on the portal to measure its \
                     audience. They need your consent, except those that keep no identifier \
                     and only serve anonymous statistics.",
                ),
        )
        .category(
            Category::new("internal")
                .label("Internal / first-party")
                .description(
                    "Cookies the portal sets itself beyond the necessary ones; such cookies \
                     can collect personal data or follow your behaviour, so they need your \
                     consent.",
                ),
        )
        .category(
            Category::new("third_party")
                .label("Third-party")
                .description(
                    "Cookies set by (or for) another site, which let that site see which pages \
                     you visit here and collect information about you. They need your consent.",
                )
                .sale_or_sharing(true),
        )
        .cookies([
            ods(Declaration::exact("sessionid"))
                .function("Authentication (front and back office)")
                .purpose("To remember the user from one page to another.")
                .duration(days(14))
                .http_only(true),
            ods(Declaration::exact("django_language"))
                .function("Language selection (front and back office)")
                .purpose("To remember the visitor's language.")
                .duration(years(1)),
            ods(Declaration::exact("csrftoken"))
                .function("API (CSRF) (front and back office)")
                .purpose("To retrieve data via API calls.")
                .duration(years(1)),
            ods(Declaration::exact("cookies_preferences"))
                .function("Choices related to your cookie preferences")
                .purpose("To remember the visitor's cookie preferences.")
                .duration(months(6)),
        ])
        .cookies(google_analytics("statistics"))
        .cookies(matomo("statistics"))
        .cookies([
            at(Declaration::exact("atuserid"))
                .purpose("Keeps a visitor identifier when the site measures with first-party cookies.")
                .duration(months(13)),
            at(Declaration::exact("atidvisitor"))
                .purpose("Lists the measured sites the visitor has seen and keeps identified-visitor data.")
                .duration(months(6)),
            at(Declaration::exact("atreman"))
                .purpose("Remembers an earlier marketing campaign for attribution.")
                .duration(days(30)),
            at(Declaration::exact("attvtreman"))
                .purpose("Remembers an earlier TV campaign for attribution.")
                .duration(days(30)),
            at(Declaration::exact("atredir"))
                .purpose("Carries measurement data across a JavaScript redirect.")
                .duration(seconds(30)),
            at(Declaration::exact("atsession"))
                .purpose("Lists the campaigns already counted during the visit.")
                .duration(minutes(30)),
            at(Declaration::exact("atauthority"))
                .purpose("Remembers the visitor's privacy mode (opt-in, opt-out or exempt); holds no identifier.")
                .duration(months(13))
                .exempt(),
            piano(Declaration::exact("_pcid"))
                .purpose("Keeps a random visitor identifier.")
                .duration(months(13)),
            piano(Declaration::exact("_pctx"))
                .purpose("Shares context between Piano tools on the page.")
                .duration(months(13)),
            piano(Declaration::exact("_pprv"))
                .purpose("Remembers the visitor's consent mode for Piano Analytics; holds no identifier.")
                .duration(months(13))
                .exempt(),
            piano(Declaration::exact("pa_user"))
                .purpose("Keeps information about a signed-in user for measurement.")
                .duration(months(13)),
            piano(Declaration::exact("pa_vid"))
                .purpose("Keeps a random visitor identifier (Piano Analytics SDK before 6.8).")
                .duration(months(13)),
            piano(Declaration::exact("pa_privacy"))
                .purpose("Remembers the visitor's privacy mode (SDK before 6.8); holds no identifier.")
                .duration(months(13))
                .exempt(),
            Declaration::exact("etuix")
                .category("statistics")
                .service("eulerian")
                .provider("Eulerian Technologies")
                .function("Eulerian analytics")
                .purpose("Keeps an anonymous identifier of the device to measure visits and campaigns.")
                .duration(months(13)),
            xiti(Declaration::exact("idrxvr"))
                .purpose("Legacy visitor identifier of the measurement servers, readable across sites."),
            xiti(Declaration::exact("atidx"))
                .purpose("Visitor identifier of the measurement servers, readable across sites."),
            xiti(Declaration::exact("atid"))
                .purpose("Main visitor identifier of the measurement servers, readable across sites."),
        ])
}

/// How to read the platform's `cookies_preferences` consent cookie against
/// [`opendatasoft`]: the cookie's `functional_cookies` key is an
/// [alias](CookiesPreferences::alias) of the `internal` category; the service keys (`ga`,
/// `matomo`, `xiti`, `at`, `piano`, `eulerian`) are service ids of the preset already.
///
/// Why `internal`: the platform's banner shows one switch for "functional cookies" next to
/// one switch per analytics service. The necessary cookies need no consent, so a switch
/// cannot be about them (mapping the key to `necessary` would do nothing); the analytics
/// cookies have their own service switches. What is left is the optional cookies the portal
/// sets itself, which is the `internal` / first-party category. Third-party cookies are
/// governed by their service keys only.
///
/// ```
/// use http::{header::COOKIE, HeaderMap, HeaderValue};
/// use tower_cookie_consent::{presets, ConsentRequest, ReadConsent};
///
/// let registry = presets::opendatasoft().build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "cookies_preferences=%7B%22functional_cookies%22%3Atrue%2C%22ga%22%3Afalse%7D",
/// ));
/// let consent = presets::opendatasoft_consent()
///     .read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("internal").unwrap()));
/// assert_eq!(consent.service_decision(registry.service_id("ga").unwrap()), Some(false));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
pub fn opendatasoft_consent() -> CookiesPreferences {
    CookiesPreferences::new().alias("functional_cookies", "internal")
}
