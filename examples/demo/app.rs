//! The demo portal as an axum `Router`: pages that try to set a realistic mix of cookies,
//! the consent banner, the cookie policy, and the consent log, all behind
//! [`CookieConsentLayer`]. Shared by `main.rs` and by `tests/browser.rs`.

use std::convert::Infallible;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{HOST, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tower_cookie_consent::policy::{self, CookiePolicyService};
use tower_cookie_consent::{
    is_deletion, parse_set_cookie, presets, ConfigError, ConsentDecision, CookieConsentLayer,
    CookieEvent, Registry, RequestCookies, SetCookie,
};

#[path = "consent_log.rs"]
pub(crate) mod consent_log;
#[path = "pages.rs"]
mod pages;

use consent_log::{ConsentLog, RequestTag};

/// The Google Analytics 4 container id in `_ga_<ID>`.
pub(crate) const GA4_ID: &str = "DEMO1234";
/// `_pk_id.<site>.<hash>` / `_pk_ses.<site>.<hash>`: Matomo site id and domain hash.
pub(crate) const MATOMO_SUFFIX: &str = "1.1fff";

/// The cookies every HTML page tries to set, as `(cookie-name, strictly necessary)`.
/// `promo_seen` is declared nowhere: it must never reach the browser.
#[allow(dead_code)] // used by tests/browser.rs
pub(crate) fn page_cookie_names() -> Vec<(String, bool)> {
    vec![
        ("sessionid".into(), true),
        ("csrftoken".into(), true),
        ("django_language".into(), true),
        ("_ga".into(), false),
        (format!("_ga_{GA4_ID}"), false),
        ("_gid".into(), false),
        (format!("_pk_id.{MATOMO_SUFFIX}"), false),
        (format!("_pk_ses.{MATOMO_SUFFIX}"), false),
        ("_fbp".into(), false),
        ("promo_seen".into(), false),
    ]
}

/// The default registry: the Opendatasoft platform's cookies plus common third-party
/// trackers, both built into the crate.
pub(crate) fn default_registry() -> Result<Registry, ConfigError> {
    presets::opendatasoft()
        .merge(presets::common_trackers())
        .build()
}

/// The registry in `path` (TOML or JSON, see the crate's `config` module), else
/// [`default_registry`].
pub(crate) fn load_registry(path: Option<&std::path::Path>) -> Result<Registry, ConfigError> {
    match path {
        Some(path) => Registry::from_path(path),
        None => default_registry(),
    }
}

#[derive(Clone)]
struct AppState {
    log: Arc<ConsentLog>,
    /// The policy page body, rendered once from the registry.
    policy_html: Arc<str>,
}

/// Builds the demo: every route behind the consent layer (the outermost layer, so that it
/// sees every `Set-Cookie`), with the consent log fed by the layer's cookie-event hook.
pub(crate) fn app(registry: Registry) -> Result<Router, ConfigError> {
    let log = ConsentLog::new();
    let hook_log = log.clone();
    let state_log = log.clone();
    let policy_service = CookiePolicyService::new(&registry);
    let state = AppState {
        log: state_log,
        policy_html: format!(
            "<h1>Cookie policy</h1>\n{}",
            policy::render_html_fragment(&registry)
        )
        .into(),
    };
    let consent = CookieConsentLayer::builder(registry)
        // The platform's banner writes `functional_cookies` for the `internal` category.
        .reader(presets::opendatasoft_consent())
        .on_cookie_event(move |event: &CookieEvent<'_>| hook_log.record(event))
        .build()?;
    Ok(Router::new()
        .route("/", get(pages::home))
        .route("/datasets", get(pages::datasets))
        .route("/datasets/{id}", get(pages::dataset))
        .route("/cookies-policy", get(pages::policy_page))
        .route_service("/cookies-policy.json", policy_service)
        .route("/consent-log", get(pages::consent_log_page))
        .route("/consent-log.json", get(pages::consent_log_json))
        .route("/static/banner.js", get(pages::banner_js))
        .route("/static/demo.css", get(pages::demo_css))
        .fallback(pages::not_found)
        .with_state(state)
        // axum: the layer added last is the outermost.
        .layer(middleware::from_fn(tag_request))
        .layer(consent)
        .layer(middleware::from_fn_with_state(log, log_withdrawals)))
}

/// Middleware outside the consent layer: files in the consent log the deletions the layer
/// appended for refused cookies the browser still held (withdrawal). The demo's handlers
/// never delete cookies themselves, so every deletion in the final response is the layer's.
async fn log_withdrawals(
    State(log): State<Arc<ConsentLog>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if let Some(tag) = response.extensions().get::<RequestTag>() {
        let now = SystemTime::now();
        for value in response.headers().get_all(SET_COOKIE) {
            if let SetCookie::Cookie {
                name, attributes, ..
            } = parse_set_cookie(value.as_bytes())
            {
                if !name.is_empty() && is_deletion(attributes, now) {
                    let scope = String::from_utf8_lossy(attributes).trim().to_owned();
                    log.record_deletion(tag, &String::from_utf8_lossy(name), scope);
                }
            }
        }
    }
    response
}

/// The visitor id: the `sessionid` cookie when it is well-formed, else a new one.
#[derive(Debug, Clone)]
struct Visitor(String);

fn is_session_id(value: &[u8]) -> bool {
    value.len() == 32 && value.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// 64 bits from std's randomly keyed hasher, a counter and the clock. Good enough for a
/// demo's visitor ids; a real site uses its session framework.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(now().as_nanos());
    hasher.finish()
}

fn now() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Middleware inside the consent layer: identifies the visitor and tags the response so
/// that the cookie-event hook can file its events under this visitor and this request.
async fn tag_request(mut request: Request, next: Next) -> Response {
    static REQUESTS: AtomicU64 = AtomicU64::new(1);
    let visitor = RequestCookies::new(request.headers())
        .get(b"sessionid")
        .find(|v| is_session_id(v))
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_else(|| format!("{:016x}{:016x}", random_u64(), random_u64()));
    let consent = request
        .extensions()
        .get::<ConsentDecision>()
        .map_or_else(|| "no consent layer".to_owned(), consent_summary);
    let tag = RequestTag {
        visitor: visitor.clone(),
        request: REQUESTS.fetch_add(1, Ordering::Relaxed),
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        consent,
    };
    request.extensions_mut().insert(Visitor(visitor));
    let mut response = next.run(request).await;
    response.extensions_mut().insert(tag);
    response
}

/// The consent as the layer reads it, in a few words.
fn consent_summary(decision: &ConsentDecision) -> String {
    if !decision.is_decided() {
        return "no valid choice: strictly necessary cookies only".to_owned();
    }
    let registry = decision.registry();
    let (mut granted, mut refused) = (Vec::new(), Vec::new());
    for category in registry
        .categories()
        .iter()
        .filter(|c| c.is_consent_required())
    {
        let list = if decision.allows_category(category.id()) {
            &mut granted
        } else {
            &mut refused
        };
        list.push(category.id().to_owned());
    }
    for service in registry.services() {
        let decided = registry
            .service_id(service)
            .and_then(|id| decision.consent().service_decision(id));
        match decided {
            Some(true) => granted.push(format!("service {service}")),
            Some(false) => refused.push(format!("service {service}")),
            None => {}
        }
    }
    let gpc = if decision.gpc_applied() {
        " (Global Privacy Control applied)"
    } else {
        ""
    };
    format!(
        "granted: {}; refused: {}{gpc}",
        list_or_none(&granted),
        list_or_none(&refused)
    )
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// What a page handler needs: the host, the visitor, whether a choice was made.
struct PageContext {
    host: Option<String>,
    visitor: String,
    decided: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let authority = parts
            .headers
            .get(HOST)
            .map(HeaderValue::as_bytes)
            .or_else(|| parts.uri.authority().map(|a| a.as_str().as_bytes()));
        Ok(Self {
            host: authority.and_then(host_name),
            visitor: parts
                .extensions
                .get::<Visitor>()
                .map_or_else(String::new, |v| v.0.clone()),
            decided: parts
                .extensions
                .get::<ConsentDecision>()
                .is_some_and(ConsentDecision::is_decided),
        })
    }
}

/// The host name of a `Host` value, without the port; `None` unless it is a plain DNS name
/// (letters, digits, `-`, `.`), so nothing from the request can inject cookie attributes.
fn host_name(authority: &[u8]) -> Option<String> {
    let host = match authority.iter().rposition(|&b| b == b':') {
        Some(i) if authority[i + 1..].iter().all(u8::is_ascii_digit) => &authority[..i],
        _ => authority,
    };
    let ok = !host.is_empty()
        && host
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    ok.then(|| String::from_utf8_lossy(host).to_ascii_lowercase())
}

/// The parent domain a tracker sets its cookie for: `www.demo.localhost` gives
/// `demo.localhost`. `None` for IP addresses and for names of fewer than three labels.
pub(crate) fn parent_domain(host: &str) -> Option<&str> {
    if host.parse::<std::net::IpAddr>().is_ok()
        || host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    let (_, parent) = host.split_once('.')?;
    parent.contains('.').then_some(parent)
}

/// The `Set-Cookie` values every page tries to send: what a Django portal with Google
/// Analytics, Matomo and the Meta Pixel sends, plus one cookie no registry declares. Every
/// tracker value is new on each response, so a tracker set again shows in the jar.
fn page_set_cookies(ctx: &PageContext) -> Vec<String> {
    let secs = now().as_secs();
    let millis = now().as_millis();
    let r = random_u64;
    let parent = ctx
        .host
        .as_deref()
        .and_then(parent_domain)
        .map_or_else(String::new, |d| format!("; Domain={d}"));
    vec![
        format!("sessionid={}; Path=/; HttpOnly; SameSite=Lax", ctx.visitor),
        format!(
            "csrftoken={:016x}{:016x}; Max-Age=31449600; Path=/; SameSite=Lax",
            r(),
            r()
        ),
        "django_language=en; Max-Age=31536000; Path=/; SameSite=Lax".to_owned(),
        format!(
            "_ga=GA1.1.{}.{secs}; Max-Age=63072000; Path=/; SameSite=Lax{parent}",
            r() % 1_000_000_000
        ),
        format!(
            "_ga_{GA4_ID}=GS1.1.{secs}.1.0.{secs}.0.0.{}; Max-Age=63072000; Path=/; SameSite=Lax",
            r() % 1_000_000_000
        ),
        format!(
            "_gid=GA1.1.{}.{secs}; Max-Age=86400; Path=/; SameSite=Lax",
            r() % 1_000_000_000
        ),
        format!(
            "_pk_id.{MATOMO_SUFFIX}={:016x}.{secs}; Max-Age=33696000; Path=/; SameSite=Lax",
            r()
        ),
        // Matomo's session cookie, set HttpOnly by the server: no banner script can delete it.
        format!(
            "_pk_ses.{MATOMO_SUFFIX}={}; Max-Age=1800; Path=/; HttpOnly; SameSite=Lax",
            r() % 1_000_000_000
        ),
        format!(
            "_fbp=fb.1.{millis}.{}; Max-Age=7776000; Path=/; SameSite=Lax",
            r() % 10_000_000_000
        ),
        "promo_seen=1; Max-Age=2592000; Path=/".to_owned(),
    ]
}
