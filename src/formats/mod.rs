//! Consent formats: [`ReadConsent`](crate::ReadConsent) implementations for the cookies that
//! banners and consent management platforms (CMPs) write.
//!
//! Pick the reader of the CMP the site runs with
//! [`Builder::reader`](crate::Builder::reader); combine several with [`FirstDecided`] (the
//! first reader that finds a consent value decides; an unreadable one is not overridden).
//! Every reader maps the CMP's names to the registry's category and service ids, with the
//! defaults below, and every one follows the same rules: no cookie is
//! [undecided](crate::Consent::undecided), a cookie it cannot read is
//! [unreadable](crate::Consent::unreadable) (neither grants anything), a duplicated cookie
//! reads as the [narrowest](crate::Consent::narrowest) of its copies, a key given twice in
//! one value is granted only if every occurrence grants it (the CMP's own script keeps one
//! of them, usually the last), a cookie whose keys are services never grants a whole
//! category unless the site maps a key to one, and nothing is granted that the value does
//! not grant.
//!
//! | CMP | reader | cookie | what is read | default mapping to registry ids | time of choice |
//! |-----|--------|--------|--------------|---------------------------------|----------------|
//! | this crate, Opendatasoft | [`CookiesPreferences`] | `cookies_preferences` | JSON object of booleans, raw or percent-encoded | keys are registry ids; aliases | `timestamp` (ms), `revision` |
//! | Cookiebot | [`Cookiebot`] | `CookieConsent` | JavaScript object literal (`necessary`, `preferences`, `statistics`, `marketing`); bare `-1` (outside a consent region) and `0` | `preferences` → `functional`, others same name | `utc` (ms) |
//! | OneTrust | [`OneTrust`] | `OptanonConsent`, `OptanonAlertBoxClosed` | `groups=C0001:1,…` of the query string; `OptanonAlertBoxClosed` marks a choice; `AwaitingReconsent=true` is undecided | `C0001`/`1` → `necessary`, `C0002`/`2` → `statistics`, `C0003`/`3` → `functional`, `C0004`/`4` and `C0005` → `marketing` | `OptanonAlertBoxClosed` (ISO 8601) |
//! | Klaro | [`Klaro`] | `klaro` | JSON map service → boolean, raw, percent- or `escape()`-encoded | keys are registry **service** ids (identity); a category only through an explicit `map` | none |
//! | vanilla-cookieconsent v2, v3 | [`VanillaCookieConsent`] | `cc_cookie` | accepted `categories` (v3) or `level` (v2), `services`, `revision`; JSON, raw, percent-encoded or base64 | identity: category names as category ids, service names as service ids (a service granted only under the category the registry declares it in) | `lastConsentTimestamp` / `consentTimestamp`, `revision` |
//! | tarteaucitron.js | [`Tarteaucitron`] | `tarteaucitron` | `!service=true!other=false`; `wait` is no decision | keys are registry **service** ids (identity); a category only through an explicit `map` | none |
//! | CookieYes | [`CookieYes`] | `cookieyes-consent` | `key:value` pairs; `action:yes` marks a choice; `consent:no` grants nothing | `functional` → `functional`, `analytics` and `performance` → `statistics`, `advertisement` → `marketing`; `necessary`, `other` ignored; other slugs identity | none |
//! | Complianz | [`Complianz`] | `cmplz_<category>`, `cmplz_consented_services` | one cookie per category, `allow` / `deny`; JSON map of services | `preferences` → `functional`, `statistics` → `statistics`, `marketing` → `marketing`; `functional` (always on) and `statistics-anonymous` ignored; `cmplz_consented_services` keys are registry **service** ids only | none |
//! | django-cookie-consent | [`DjangoCookieConsent`] | `cookie_consent` | `group=<version>\|other=-1`; `-1` declines | group varnames are registry ids (identity) | none (versions can be required with `min_version`) |
//! | IAB TCF v2.2 / v2.3 | [`Tcf`] | `euconsent-v2` | core segment of the TC String: purpose consents ([`TcString`]); purpose 1 gates everything | `functional` ← purposes 1, 5, 6; `statistics` ← 1, 8, 9; `marketing` ← 1, 2, 3, 4, 7 (all needed) | `LastUpdated` |
//!
//! The **time of choice**, where a format records it, is what the layer's maximum consent
//! age ([`Builder::max_consent_age`](crate::Builder::max_consent_age), 13 months by default)
//! is measured from; a recorded **revision** other than the registry's reads as undecided.
//! Formats without a time of choice rely on the CMP expiring its cookie.
//!
//! Some CMPs can keep the choice in the browser's `localStorage` only (TCF CMPs, Klaro,
//! vanilla-cookieconsent can be configured so): the server then sees no cookie and the
//! visitor reads as undecided. Configure them to store a cookie.

mod combine;
pub(crate) mod common;
mod complianz;
mod cookiebot;
mod cookies_preferences;
mod cookieyes;
mod django_cookie_consent;
mod flat_json;
mod js_object;
pub(crate) mod json;
mod klaro;
mod onetrust;
mod tarteaucitron;
mod tc_string;
mod tcf;
#[cfg(test)]
mod testing;
mod vanilla_cookieconsent;

pub use combine::FirstDecided;
pub use complianz::Complianz;
pub use cookiebot::{Cookiebot, OutsideRegion};
pub use cookies_preferences::CookiesPreferences;
pub use cookieyes::CookieYes;
pub use django_cookie_consent::DjangoCookieConsent;
pub use klaro::Klaro;
pub use onetrust::OneTrust;
pub use tarteaucitron::Tarteaucitron;
pub use tc_string::{TcString, TcfError};
pub use tcf::Tcf;
pub use vanilla_cookieconsent::VanillaCookieConsent;

/// The longest consent cookie-value read, in bytes. Browsers store at most 4096 bytes of
/// name and value (RFC 6265bis §5.6); a longer value did not come from a browser and is
/// read as unreadable.
pub const MAX_CONSENT_VALUE: usize = 4096;
