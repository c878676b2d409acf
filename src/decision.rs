//! The decision handed to the application through the request extensions.

use std::sync::Arc;

use crate::consent::Consent;
use crate::enforcer::Enforcer;
use crate::registry::Registry;

/// The visitor's consent for this request, as the layer will enforce it, inserted into the
/// request extensions by [`CookieConsent`](crate::CookieConsent).
///
/// Handlers use it to avoid work whose cookies would be stripped anyway, to show the banner
/// to undecided visitors, or to render the current choice. With the `axum` feature it is an
/// extractor.
///
/// ```
/// use http::Request;
/// use tower_cookie_consent::ConsentDecision;
///
/// fn handler(request: &Request<()>) -> &'static str {
///     match request.extensions().get::<ConsentDecision>() {
///         Some(decision) if decision.allows_cookie("_ga") => "analytics on",
///         Some(decision) if !decision.is_decided() => "show the banner",
///         _ => "analytics off",
///     }
/// }
/// ```
#[derive(Clone)]
pub struct ConsentDecision {
    enforcer: Arc<Enforcer>,
    consent: Consent,
}

impl std::fmt::Debug for ConsentDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentDecision")
            .field("consent", &self.consent)
            .finish_non_exhaustive()
    }
}

impl ConsentDecision {
    pub(crate) fn new(enforcer: Arc<Enforcer>, consent: Consent) -> Self {
        Self { enforcer, consent }
    }

    /// The consent read from the request.
    pub fn consent(&self) -> &Consent {
        &self.consent
    }

    /// The registry the layer enforces.
    pub fn registry(&self) -> &Registry {
        self.enforcer.registry()
    }

    /// Whether the visitor made a readable choice (if not, show the banner).
    pub fn is_decided(&self) -> bool {
        self.consent.is_decided()
    }

    /// Whether a `Sec-GPC: 1` header switched off the sale-or-sharing categories.
    pub fn gpc_applied(&self) -> bool {
        self.consent.gpc_applied()
    }

    /// Whether a `Set-Cookie` of this cookie-name would reach the browser (ignoring
    /// report-only mode).
    pub fn allows_cookie(&self, cookie_name: &str) -> bool {
        self.enforcer
            .judge(cookie_name.as_bytes(), &self.consent)
            .is_allowed()
    }

    /// Whether cookies of this category id may be set: it needs no consent, or it is granted.
    /// `false` for an id the registry does not declare.
    pub fn allows_category(&self, id: &str) -> bool {
        let registry = self.enforcer.registry();
        registry.category_id(id).is_some_and(|c| {
            !registry.category(c).is_consent_required() || self.consent.is_category_granted(c)
        })
    }

    /// Whether the service id may set its cookies: every declaration of the service would
    /// let its cookie through ([`Registry::allows_service`]), so this agrees with
    /// [`allows_cookie`](Self::allows_cookie) for each of them. `false` for a service the
    /// registry does not know.
    pub fn allows_service(&self, id: &str) -> bool {
        let registry = self.enforcer.registry();
        registry
            .service_id(id)
            .is_some_and(|s| registry.allows_service(s, &self.consent))
    }
}

#[cfg(feature = "axum")]
mod axum_impl {
    use super::ConsentDecision;
    use axum_core::extract::FromRequestParts;
    use axum_core::response::{IntoResponse, Response};
    use http::request::Parts;
    use http::StatusCode;

    /// Rejection when [`ConsentDecision`] is extracted but no
    /// [`CookieConsentLayer`](crate::CookieConsentLayer) wraps the route: a server
    /// misconfiguration, answered with `500 Internal Server Error`.
    #[derive(Debug, Clone, Copy, Default)]
    #[non_exhaustive]
    pub struct MissingConsentLayer;

    impl std::fmt::Display for MissingConsentLayer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "ConsentDecision is missing: is CookieConsentLayer installed around this route?",
            )
        }
    }

    impl std::error::Error for MissingConsentLayer {}

    impl IntoResponse for MissingConsentLayer {
        fn into_response(self) -> Response {
            (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for ConsentDecision {
        type Rejection = MissingConsentLayer;

        async fn from_request_parts(
            parts: &mut Parts,
            _state: &S,
        ) -> Result<Self, Self::Rejection> {
            parts
                .extensions
                .get::<ConsentDecision>()
                .cloned()
                .ok_or(MissingConsentLayer)
        }
    }
}

#[cfg(feature = "axum")]
pub use axum_impl::MissingConsentLayer;
