//! Tower middleware that enforces cookie consent on the server: every `Set-Cookie` whose
//! cookie the visitor has not allowed is removed before the response leaves.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{header::{COOKIE, SET_COOKIE}, Request, Response};
//! use tower::{ServiceBuilder, ServiceExt};
//! use tower_cookie_consent::{CookieConsentLayer, Declaration, Registry};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The cookie policy, as data.
//! let registry = Registry::builder()
//!     .default_categories() // necessary, functional, statistics, marketing
//!     .cookie(Declaration::exact("sessionid").category("necessary"))
//!     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
//!     .cookie(Declaration::prefix("_ga_").category("statistics").service("ga"))
//!     .build()?;
//!
//! let service = ServiceBuilder::new()
//!     .layer(CookieConsentLayer::new(registry)?)
//!     .service_fn(|_request: Request<()>| async {
//!         Ok::<_, Infallible>(
//!             Response::builder()
//!                 .header(SET_COOKIE, "sessionid=s3cr3t; HttpOnly; Path=/")
//!                 .header(SET_COOKIE, "_ga=GA1.1.123.456; Max-Age=63072000; Path=/")
//!                 .header(SET_COOKIE, "promo_seen=1; Path=/")
//!                 .body(())
//!                 .unwrap(),
//!         )
//!     });
//!
//! // The visitor refused statistics (`cookies_preferences={"statistics":false}`).
//! let request = Request::builder()
//!     .header(COOKIE, "cookies_preferences=%7B%22statistics%22%3Afalse%7D")
//!     .body(())?;
//! let response = service.oneshot(request).await?;
//!
//! // Only the strictly necessary cookie is left: `_ga` is refused, `promo_seen` is
//! // declared nowhere and unknown cookies are blocked.
//! let set_cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
//! assert_eq!(set_cookies, ["sessionid=s3cr3t; HttpOnly; Path=/"]);
//! # Ok(())
//! # }
//! ```
//!
//! # How it decides
//!
//! For each request the layer reads the visitor's [`Consent`] (by default from the
//! `cookies_preferences` cookie, see [`CookiesPreferences`]), applies Global Privacy
//! Control (`Sec-GPC: 1` switches off the categories marked
//! [sale or sharing](Category::sale_or_sharing)) and inserts a [`ConsentDecision`] into the
//! request extensions. On the response, each `Set-Cookie` is read the way a browser reads it
//! (RFC 6265bis §5.6: the cookie-name is the text before the first `=` of the text before
//! the first `;`, trimmed of SP and HTAB), then:
//!
//! 1. malformed strings a browser ignores, and nameless cookies, are removed;
//! 2. deletions (`Max-Age` ≤ 0, or a past `Expires`) pass: deleting never tracks. They are
//!    judged strictly ([`is_deletion`]): a string any browser could store is a set;
//! 3. the consent cookie passes;
//! 4. a declared cookie passes when its consent is not required (strictly necessary, or
//!    exempt), else when the visitor decided on its service, per that decision, else when
//!    its category is granted;
//! 5. an undeclared cookie follows [`UnknownCookies`]: blocked by default (fail closed).
//!
//! Bad input never fails a request: a malformed or oversized consent value grants nothing,
//! a duplicated consent cookie never grants more than its narrowest copy, non-UTF-8 bytes in
//! other cookies never hide it, and strictly necessary cookies still pass. Consent kept only in the
//! browser's `localStorage` (some consent management platforms can do that) is invisible to
//! the server: such visitors read as undecided.
//!
//! # Withdrawal
//!
//! Withdrawing consent must be as easy as giving it (GDPR art. 7(3)), and a banner script
//! cannot delete `HttpOnly` cookies or cookies set for a parent domain. So when the request
//! carries a cookie that the registry declares and the visitor's decided consent refuses,
//! the response also **deletes** it, once for every scope it may live in (the declared
//! `Domain` and `Path`, else host-only and each parent domain up to the registrable one; see
//! [`deletions_for`]), at most [`DEFAULT_MAX_DELETIONS`] per response. Nothing is deleted
//! while the consent cookie is unreadable, nor by default for undecided visitors. Responses
//! that carried a `Set-Cookie` or carry deletions get `Vary: Cookie`. Optionally, the refused cookies are also scrubbed
//! from the request before the application sees them. See
//! [`Builder::delete_refused`] and the options after it.
//!
//! # Global Privacy Control
//!
//! [Global Privacy Control](https://privacycg.github.io/gpc-spec/) (GPC) is a browser
//! setting that sends `Sec-GPC: 1` with every request: the visitor's request not to have
//! their personal data sold or shared. The layer honours it by default
//! ([`Builder::gpc`]): when any `Sec-GPC` field is exactly `1` (`0`, `true`, ` 1` and the
//! like are ignored), the categories marked [sale or sharing](Category::sale_or_sharing)
//! (by default [`marketing`](Category::marketing)) and every service declared in them lose
//! their grants, whatever the consent cookie says, and
//! [`ConsentDecision::gpc_applied`] is `true`. GPC only ever takes grants away.
//!
//! Laws that treat GPC as a valid opt-out:
//!
//! - **California** (CCPA as amended by the CPRA): the regulations, 11 CCR § 7025, require
//!   a business to process an opt-out preference signal such as GPC as a request to opt out
//!   of the sale and sharing of personal information;
//! - **Colorado** (Colorado Privacy Act, C.R.S. § 6-1-1313, rules 4 CCR 904-3 part 5): GPC
//!   is the universal opt-out mechanism recognised by the Attorney General, to be honoured
//!   since 1 July 2024 for sale and targeted advertising;
//! - **Connecticut** (CTDPA): universal opt-out preference signals must be honoured since
//!   1 January 2025;
//! - other state privacy laws (Delaware, Montana, New Hampshire, New Jersey, Oregon, Texas,
//!   …) require honouring such signals too, each from its own date.
//!
//! Under the GDPR and the ePrivacy Directive consent is opt-in anyway: GPC is no substitute
//! for it, but honouring it cannot hurt, since it never grants anything.
//!
//! # Layer order
//!
//! The layer only sees the `Set-Cookie` headers added by what it wraps. It must be the
//! **outermost** layer that can set cookies: put it outside session, CSRF, cookie-jar
//! (`tower-cookies`) and error-handling layers. With [`tower::ServiceBuilder`], layers listed
//! first wrap the ones after them, so list it before them; with axum's `Router::layer`, the
//! layer added last is the outermost, so add it last.
//!
//! Deletions, by contrast, come from the registry, not from what inner layers set: the
//! layer deletes only cookies **declared** in the registry, so a cookie an inner layer sets
//! without a declaration is blocked when set but never deleted once stored; declare every
//! cookie, with its `Domain` and `Path`. Layers outside this one see the deletions (a
//! cookie-filtering layer there must let deletions pass) and the original `Cookie` header:
//! scrubbing only hides cookies from what this layer wraps.
//!
//! # Feature flags
//!
//! - `axum`: [`ConsentDecision`] implements axum's `FromRequestParts`.
//! - `toml` (default): registries load from and write to TOML ([`Registry::from_toml_str`],
//!   [`Registry::to_toml_string`], `.toml` files in [`Registry::from_path`]); JSON needs no
//!   feature. See [`config`] for the schema.
//! - `open-cookie-database` (default): [`import`] reads the Open Cookie Database CSV.
//!
//! # Minimum supported Rust version
//!
//! `rust-version` declares 1.85 (what the dependencies need): `cargo +1.85 check --lib
//! --all-features` passes (checked by hand with rustc 1.85.1; CI's machine has one toolchain,
//! so CI builds and tests with Rust 1.95 only). The tests, benches and examples use
//! dev-dependencies that need newer Rust.
//!
//! # Not covered
//!
//! Only response *headers* are filtered. HTTP/2 trailers are not (browsers do not store
//! cookies from trailers), and cookies written by JavaScript in the page (`document.cookie`)
//! never reach the server: gate such scripts on [`ConsentDecision::allows_service`].
//!
//! [`tower::ServiceBuilder`]: https://docs.rs/tower/latest/tower/struct.ServiceBuilder.html

mod category;
pub mod config;
mod consent;
mod cookie_header;
mod decision;
mod declaration;
mod enforcer;
mod error;
pub mod formats;
pub mod future;
#[cfg(feature = "open-cookie-database")]
pub mod import;
mod layer;
pub mod policy;
pub mod presets;
mod reader;
mod registry;
mod service;
mod set_cookie;
mod swar;
mod withdrawal;

pub use category::{Category, CategoryId, ServiceId};
pub use consent::{CategorySet, Consent, ConsentState, ServiceSet};
pub use cookie_header::{Pairs, RequestCookies};
pub use decision::ConsentDecision;
#[cfg(feature = "axum")]
pub use decision::MissingConsentLayer;
pub use declaration::{Declaration, Match};
pub use enforcer::{
    filter_set_cookies, Builder, CookieEvent, Enforcer, FilterSummary, OnCookieEvent,
    DEFAULT_MAX_CONSENT_AGE, MAX_CLOCK_SKEW, SEC_GPC,
};
pub use error::ConfigError;
pub use formats::{
    Complianz, CookieYes, Cookiebot, CookiesPreferences, DjangoCookieConsent, FirstDecided, Klaro,
    OneTrust, OutsideRegion, Tarteaucitron, TcString, Tcf, TcfError, VanillaCookieConsent,
};
pub use layer::CookieConsentLayer;
pub use reader::{ConsentRequest, ReadConsent};
pub use registry::{
    ConsentKey, Reason, Registry, RegistryBuilder, UnknownCookies, UnknownPolicy, Verdict,
};
pub use service::CookieConsent;
pub use set_cookie::{
    is_deletion, parse_cookie_date, parse_set_cookie, SetCookie, MAX_ATTRIBUTE_VALUE,
    MAX_NAME_VALUE,
};
pub use withdrawal::{append_vary_cookie, deletions_for, request_host, DEFAULT_MAX_DELETIONS};

/// The README's Rust examples, compiled (and the ones that do not serve forever, run) as
/// doctests, so the first thing a newcomer copies cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
