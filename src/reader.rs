//! Reading consent from a request: the [`ReadConsent`] extension point.

use std::sync::OnceLock;
use std::time::SystemTime;

use http::HeaderMap;

use crate::consent::Consent;
use crate::cookie_header::RequestCookies;
use crate::registry::Registry;

/// What a [`ReadConsent`] implementation gets to look at: the request headers, their
/// cookie-pairs, the registry consent keys resolve against, and the time of the request.
#[derive(Debug, Clone)]
pub struct ConsentRequest<'a> {
    headers: &'a HeaderMap,
    // Looked up once, for the reader and the enforcer alike.
    cookies: RequestCookies<'a>,
    registry: &'a Registry,
    // Read from the system clock at the first `now()` (a request without consent to check
    // never reads the clock), or set by `at`.
    now: OnceLock<SystemTime>,
}

impl<'a> ConsentRequest<'a> {
    /// A request to read consent from, at `SystemTime::now()` (read when first asked for).
    pub fn new(headers: &'a HeaderMap, registry: &'a Registry) -> Self {
        Self {
            headers,
            cookies: RequestCookies::new(headers),
            registry,
            now: OnceLock::new(),
        }
    }

    /// [`new`](Self::new) with the `Cookie` fields of `headers` looked up already.
    pub(crate) fn with_cookies(
        headers: &'a HeaderMap,
        cookies: RequestCookies<'a>,
        registry: &'a Registry,
    ) -> Self {
        Self {
            headers,
            cookies,
            registry,
            now: OnceLock::new(),
        }
    }

    /// A request to read consent from, at a given time (for tests and replays).
    pub fn at(headers: &'a HeaderMap, registry: &'a Registry, now: SystemTime) -> Self {
        Self {
            headers,
            cookies: RequestCookies::new(headers),
            registry,
            now: OnceLock::from(now),
        }
    }

    /// The request headers.
    pub fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// The cookie-pairs of every `Cookie` field.
    pub fn cookies(&self) -> RequestCookies<'a> {
        self.cookies
    }

    /// The registry whose category and service ids consent keys resolve against.
    pub fn registry(&self) -> &'a Registry {
        self.registry
    }

    /// When the request is read: the time given to [`at`](Self::at), else the system clock
    /// at the first call (the same value on every later call).
    pub fn now(&self) -> SystemTime {
        *self.now.get_or_init(SystemTime::now)
    }
}

/// Reads the visitor's consent from a request, in one consent format.
///
/// Implementations must never panic and never fail: what they cannot read is
/// [`Consent::unreadable`] (a value was present) or [`Consent::undecided`] (none was), and
/// they must never grant a category or service the value does not grant. When the format
/// allows a cookie to appear more than once, combine the readings with
/// [`Consent::narrowest`] so that a duplicate can never widen consent.
///
/// A closure `Fn(&ConsentRequest<'_>) -> Consent` implements it too.
///
/// ```
/// use tower_cookie_consent::{Consent, ConsentRequest, ReadConsent};
///
/// /// Everything granted behind a (hypothetical) trusted header.
/// struct Staff;
/// impl ReadConsent for Staff {
///     fn read_consent(&self, request: &ConsentRequest<'_>) -> Consent {
///         if request.headers().get("x-staff").is_some_and(|v| v == "1") {
///             let mut consent = Consent::decided();
///             for (i, _) in request.registry().categories().iter().enumerate() {
///                 consent.grant_category(request.registry().category_id_at(i));
///             }
///             consent
///         } else {
///             Consent::undecided()
///         }
///     }
/// }
/// ```
pub trait ReadConsent: Send + Sync + 'static {
    /// Reads the consent from `request`.
    fn read_consent(&self, request: &ConsentRequest<'_>) -> Consent;

    /// The cookie-names this format stores consent in, as far as they are known without the
    /// registry. The layer always lets a `Set-Cookie` of its consent cookie-names through (a
    /// server-side banner must be able to record the choice); it takes them from
    /// [`consent_cookie_names_for`](Self::consent_cookie_names_for), which returns these
    /// unless overridden. Default: none.
    fn consent_cookie_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// The cookie-names this format stores consent in for the site whose registry is
    /// `registry`: every cookie-name [`read_consent`](Self::read_consent) may read a choice
    /// from, given that registry. This is the list the layer uses: a `Set-Cookie` of one of
    /// these names always passes the filter, and a response setting one records a consent
    /// that applies to that response.
    ///
    /// Called once, when the [`Enforcer`](crate::Enforcer) (and so the layer) is built, with
    /// the registry given to [`CookieConsentLayer::builder`](crate::CookieConsentLayer::builder);
    /// never on a request. The layer drops empty names and compares the others with the
    /// cookie-name of each `Set-Cookie` exactly (RFC 6265bis §5.6).
    ///
    /// Default: [`consent_cookie_names`](Self::consent_cookie_names). Override it when the
    /// cookie-names depend on the registry's category or service ids:
    /// [`Complianz`](crate::formats::Complianz) adds a `cmplz_<id>` for every category id
    /// and service id, and [`FirstDecided`](crate::formats::FirstDecided) forwards the
    /// registry to each of its readers.
    ///
    /// ```
    /// use tower_cookie_consent::formats::Complianz;
    /// use tower_cookie_consent::{Declaration, ReadConsent, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
    ///     .build()?;
    /// let names = Complianz::new().consent_cookie_names_for(&registry);
    /// // `cmplz_ga` is read as the choice for the service `ga`: it is a consent cookie too.
    /// assert!(names.contains(&"cmplz_ga".to_owned()));
    /// assert!(!Complianz::new().consent_cookie_names().contains(&"cmplz_ga".to_owned()));
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    fn consent_cookie_names_for(&self, registry: &Registry) -> Vec<String> {
        let _ = registry;
        self.consent_cookie_names()
    }

    /// Whether this reader reads nothing but the request's cookies named by
    /// [`consent_cookie_names_for`](Self::consent_cookie_names_for) (through
    /// [`ConsentRequest::cookies`]): no other cookie, no other header. Called once, when the
    /// [`Enforcer`](crate::Enforcer) (and so the layer) is built. Default: `false`. When
    /// `true`:
    ///
    /// - the enforcer does not call the reader for a request without any `Cookie` field, which
    ///   it reads as [`Consent::undecided`] (most requests of a first visit, and every request
    ///   of a client that never stores cookies); this holds for
    ///   [`Enforcer::read_consent`](crate::Enforcer::read_consent) and
    ///   [`read_consent_at`](crate::Enforcer::read_consent_at) called directly too;
    /// - when the reader names a single consent cookie, the consent a response records is
    ///   read from the consent cookie the response sets alone (and the request's
    ///   `Sec-GPC: 1`, which still applies), and with
    ///   [`delete_refused`](crate::Builder::delete_refused) off the layer keeps none of the
    ///   request's `Cookie` fields for the response (with it on, they are kept to delete what
    ///   that consent refuses). (Either way, a copy of the consent cookie the browser may hold
    ///   under another `Domain` or `Path` is not considered: the next request reads the
    ///   narrowest of its copies, so a deletion dropped for it comes one response later.)
    ///
    /// Every reader of this crate returns `true`, except
    /// [`Complianz`](crate::formats::Complianz) (it also reads `cmplz_<category id>` cookies
    /// that it cannot name before it sees the registry); [`FirstDecided`](crate::formats::FirstDecided)
    /// returns `true` when all its readers do.
    ///
    /// ```
    /// use tower_cookie_consent::ReadConsent;
    /// use tower_cookie_consent::formats::CookiesPreferences;
    ///
    /// assert!(CookiesPreferences::new().reads_only_consent_cookies());
    /// ```
    fn reads_only_consent_cookies(&self) -> bool {
        false
    }
}

impl<F> ReadConsent for F
where
    F: Fn(&ConsentRequest<'_>) -> Consent + Send + Sync + 'static,
{
    fn read_consent(&self, request: &ConsentRequest<'_>) -> Consent {
        self(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_request_is_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<ConsentRequest<'static>>();
    }
}
