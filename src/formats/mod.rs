//! Consent formats: [`ReadConsent`](crate::ReadConsent) implementations for the cookies that
//! banners and consent management platforms (CMPs) write.

mod combine;
mod complianz;
mod cookies_preferences;
mod cookieyes;
mod django_cookie_consent;
pub(crate) mod json;
mod tally;
mod tcf;

pub use combine::FirstDecided;
pub use complianz::Complianz;
pub use cookies_preferences::CookiesPreferences;
pub use cookieyes::CookieYes;
pub use django_cookie_consent::DjangoCookieConsent;
pub use tcf::{TcString, Tcf, TcfError};

/// The longest consent cookie-value read, in bytes. Browsers store at most 4096 bytes of
/// name and value (RFC 6265bis §5.6); a longer value did not come from a browser and is
/// read as unreadable.
pub const MAX_CONSENT_VALUE: usize = 4096;
