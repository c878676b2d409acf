//! Consent formats: [`ReadConsent`](crate::ReadConsent) implementations for the cookies that
//! banners and consent management platforms (CMPs) write.

mod common;
mod cookiebot;
mod cookies_preferences;
pub(crate) mod json;
mod klaro;
mod onetrust;
mod tarteaucitron;
mod vanilla_cookieconsent;

pub use cookiebot::{Cookiebot, OutsideRegion};
pub use cookies_preferences::CookiesPreferences;
pub use klaro::Klaro;
pub use onetrust::OneTrust;
pub use tarteaucitron::Tarteaucitron;
pub use vanilla_cookieconsent::VanillaCookieConsent;

/// The longest consent cookie-value read, in bytes. Browsers store at most 4096 bytes of
/// name and value (RFC 6265bis §5.6); a longer value did not come from a browser and is
/// read as unreadable.
pub const MAX_CONSENT_VALUE: usize = 4096;
