use std::sync::Arc;

use tower_layer::Layer;

use crate::enforcer::{Builder, Enforcer};
use crate::registry::Registry;
use crate::service::CookieConsent;
use crate::ConfigError;

/// Applies [`CookieConsent`] to a service: reads each request's consent and strips every
/// `Set-Cookie` the visitor has not allowed.
///
/// Cloning is one atomic increment (the configuration sits behind an `Arc`).
///
/// ```
/// use tower_cookie_consent::{CookieConsentLayer, Declaration, Registry, UnknownCookies};
///
/// let registry = Registry::builder()
///     .default_categories()
///     .cookie(Declaration::exact("sessionid").category("necessary"))
///     .build()?;
/// let layer = CookieConsentLayer::builder(registry)
///     .unknown_cookies(UnknownCookies::Block)
///     .build()?;
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CookieConsentLayer {
    enforcer: Arc<Enforcer>,
}

impl CookieConsentLayer {
    /// A layer with the default settings: consent read from `cookies_preferences`, unknown
    /// cookies blocked, GPC honoured, consent valid 13 months.
    ///
    /// # Errors
    ///
    /// None with the default settings; the `Result` keeps the signature of
    /// [`Builder::build`].
    pub fn new(registry: Registry) -> Result<Self, ConfigError> {
        Self::builder(registry).build()
    }

    /// Starts configuring a layer for `registry`.
    pub fn builder(registry: Registry) -> Builder {
        Builder::new(registry)
    }

    /// A layer sharing an existing [`Enforcer`].
    pub fn from_enforcer(enforcer: Arc<Enforcer>) -> Self {
        Self { enforcer }
    }

    /// The enforcer this layer applies.
    pub fn enforcer(&self) -> &Arc<Enforcer> {
        &self.enforcer
    }
}

impl<S> Layer<S> for CookieConsentLayer {
    type Service = CookieConsent<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CookieConsent::new(inner, self.enforcer.clone())
    }
}
