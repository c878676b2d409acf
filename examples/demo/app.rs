//! The demo portal as an axum `Router`: pages that try to set a realistic mix of cookies,
//! the consent banner, the cookie policy, and the consent log, all behind
//! [`CookieConsentLayer`]. Shared by `main.rs` and by `tests/browser.rs`.

use std::convert::Infallible;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_cookie_consent::policy::{self, escape_html as esc, CookiePolicyService};
use tower_cookie_consent::{
    is_deletion, parse_set_cookie, presets, ConfigError, ConsentDecision, CookieConsentLayer,
    CookieEvent, Registry, RequestCookies, SetCookie,
};

#[path = "consent_log.rs"]
pub(crate) mod consent_log;

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
        .route("/", get(home))
        .route("/datasets", get(datasets))
        .route("/datasets/{id}", get(dataset))
        .route("/cookies-policy", get(policy_page))
        .route_service("/cookies-policy.json", policy_service)
        .route("/consent-log", get(consent_log_page))
        .route("/consent-log.json", get(consent_log_json))
        .route("/static/banner.js", get(banner_js))
        .route("/static/demo.css", get(demo_css))
        .fallback(not_found)
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

/// An HTML page that tries to set [`page_set_cookies`].
fn page(ctx: &PageContext, status: StatusCode, title: &str, body: &str) -> Response {
    let mut response = (status, Html(layout(title, body, ctx.decided))).into_response();
    let headers = response.headers_mut();
    for value in page_set_cookies(ctx) {
        if let Ok(value) = HeaderValue::try_from(value) {
            // Append, never insert: every Set-Cookie is its own field.
            headers.append(SET_COOKIE, value);
        }
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn layout(title: &str, body: &str, decided: bool) -> String {
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Open Data Portal (demo)</title>
<link rel="stylesheet" href="/static/demo.css">
<script src="/static/banner.js" defer></script>
</head>
<body data-consent="{consent}">
<header class="site">
  <a class="logo" href="/">Open Data Portal</a>
  <nav><a href="/datasets">Datasets</a><a href="/cookies-policy">Cookie policy</a><a href="/consent-log">Consent log</a></nav>
</header>
<main>
{body}
</main>
<footer class="site">
  <a href="#" id="cookie-settings" data-cookie-settings>Cookie settings</a>
  <a href="/cookies-policy">Cookie policy</a>
  <a href="/consent-log">What the server set</a>
  <span>A demo of tower-cookie-consent: consent is enforced by the server.</span>
</footer>
</body>
</html>
"##,
        title = esc(title),
        consent = if decided { "decided" } else { "undecided" },
    )
}

struct Dataset {
    id: &'static str,
    title: &'static str,
    publisher: &'static str,
    theme: &'static str,
    records: u32,
    description: &'static str,
    columns: [&'static str; 3],
    rows: [[&'static str; 3]; 3],
}

const DATASETS: &[Dataset] = &[
    Dataset {
        id: "air-quality-stations",
        title: "Air quality monitoring stations",
        publisher: "Regional Environment Agency",
        theme: "Environment",
        records: 412,
        description: "Location and pollutants measured by each air quality station.",
        columns: ["station", "pollutant", "city"],
        rows: [
            ["FR04002", "NO2", "Lyon"],
            ["FR04014", "PM10", "Lyon"],
            ["FR04143", "O3", "Villeurbanne"],
        ],
    },
    Dataset {
        id: "bike-sharing-availability",
        title: "Bike-sharing availability in real time",
        publisher: "City Transport Authority",
        theme: "Mobility",
        records: 1_208,
        description: "Bikes and docks available at each station, updated every minute.",
        columns: ["station", "bikes", "docks"],
        rows: [
            ["Place Bellecour", "12", "8"],
            ["Part-Dieu", "3", "17"],
            ["Opéra", "0", "20"],
        ],
    },
    Dataset {
        id: "public-library-loans",
        title: "Public library loans by month",
        publisher: "City Libraries",
        theme: "Culture",
        records: 96,
        description: "Number of loans per library and per month since 2017.",
        columns: ["library", "month", "loans"],
        rows: [
            ["Central", "2026-09", "48 211"],
            ["Croix-Rousse", "2026-09", "9 870"],
            ["Gerland", "2026-09", "7 402"],
        ],
    },
];

fn dataset_card(d: &Dataset) -> String {
    format!(
        r#"<article class="card"><h3><a href="/datasets/{id}">{title}</a></h3>
<p class="meta">{publisher} · {records} records</p><span class="tag">{theme}</span>
<p>{description}</p></article>"#,
        id = d.id,
        title = esc(d.title),
        publisher = esc(d.publisher),
        records = d.records,
        theme = esc(d.theme),
        description = esc(d.description),
    )
}

async fn home(ctx: PageContext) -> Response {
    let cards: String = DATASETS.iter().take(2).map(dataset_card).collect();
    let body = format!(
        r#"<section class="hero"><h1>Open data for everyone</h1>
<p>Browse {n} datasets published by local public bodies. Every page of this portal tries to set
session, security and language cookies, Google Analytics, Matomo and Meta Pixel cookies, and
one cookie declared nowhere. The server lets through only what your choice allows: open the
<a href="/consent-log">consent log</a> to see what it removed and why, and your browser's
developer tools to see what you hold.</p></section>
<h2>Featured datasets</h2><div class="cards">{cards}</div>
<p><a href="/datasets">All datasets →</a></p>"#,
        n = DATASETS.len(),
    );
    page(&ctx, StatusCode::OK, "Home", &body)
}

async fn datasets(ctx: PageContext) -> Response {
    let cards: String = DATASETS.iter().map(dataset_card).collect();
    let body = format!(
        r#"<h1>Datasets</h1><p class="meta">{} datasets</p><div class="cards">{cards}</div>"#,
        DATASETS.len()
    );
    page(&ctx, StatusCode::OK, "Datasets", &body)
}

async fn dataset(ctx: PageContext, Path(id): Path<String>) -> Response {
    let Some(d) = DATASETS.iter().find(|d| d.id == id) else {
        return not_found(ctx).await;
    };
    let head: String = d
        .columns
        .iter()
        .map(|c| format!("<th>{}</th>", esc(c)))
        .collect();
    let rows: String = d
        .rows
        .iter()
        .map(|row| {
            let cells: String = row.iter().map(|c| format!("<td>{}</td>", esc(c))).collect();
            format!("<tr>{cells}</tr>")
        })
        .collect();
    let body = format!(
        r#"<h1>{title}</h1><p class="meta">{publisher} · {records} records · <span class="tag">{theme}</span></p>
<p>{description}</p><h2>Preview</h2>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<p><a href="/datasets">← All datasets</a></p>"#,
        title = esc(d.title),
        publisher = esc(d.publisher),
        records = d.records,
        theme = esc(d.theme),
        description = esc(d.description),
    );
    page(&ctx, StatusCode::OK, d.title, &body)
}

async fn not_found(ctx: PageContext) -> Response {
    let body = r#"<h1>Page not found</h1><p><a href="/">Back to the home page</a></p>"#;
    page(&ctx, StatusCode::NOT_FOUND, "Not found", body)
}

/// The cookie policy in the site's layout, so that the banner and "Cookie settings" work
/// there too; its JSON twin is served by [`CookiePolicyService`].
async fn policy_page(State(state): State<AppState>, ctx: PageContext) -> Response {
    Html(layout("Cookie policy", &state.policy_html, ctx.decided)).into_response()
}

async fn consent_log_json(State(state): State<AppState>, ctx: PageContext) -> Response {
    let mut response = Json(state.log.requests(&ctx.visitor)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn reason_text(reason: &str) -> &'static str {
    match reason {
        "exempt" => "strictly necessary: no consent needed",
        "service_granted" => "you allowed its service",
        "service_refused" => "you refused its service",
        "category_granted" => "you allowed its category",
        "category_not_granted" => "its category is not allowed (refused, or no choice yet)",
        "unknown" => "declared nowhere in the cookie policy: unknown cookies are blocked",
        "unknown_allowed" => "declared nowhere, but unknown cookies are allowed",
        "deletion" => "a deletion: removing a cookie never tracks",
        "consent_cookie" => "the consent cookie itself",
        "nameless" => "a nameless cookie cannot be classified",
        "malformed" => "a browser would ignore it",
        "folded" => "several cookies folded in one header, one of them not allowed",
        "withdrawn" => {
            "deleted by the consent layer: you no longer allow it, and your browser still held it"
        }
        _ => "",
    }
}

async fn consent_log_page(State(state): State<AppState>, ctx: PageContext) -> Response {
    let requests = state.log.requests(&ctx.visitor);
    let mut body = String::from(
        r#"<h1>Consent log</h1>
<p>Your last requests (at most 20, kept in memory), the cookies the server tried to set, and
what the consent layer did with each. <q>Sent</q> means the <code>Set-Cookie</code> left the
server; <q>removed</q> means your browser never saw it; <q>deleted</q> means the layer told
your browser to drop a cookie you no longer allow (even an <code>HttpOnly</code> one, or one
set for a parent domain, which no banner script can reach).</p>"#,
    );
    if requests.is_empty() {
        body.push_str("<p><em>Nothing yet: visit a page of the portal first.</em></p>");
    }
    for r in &requests {
        body.push_str(&format!(
            "<h2>#{} <code>{} {}</code></h2><p class=\"meta\">Consent read: {}</p>\n<table><thead><tr><th>Cookie</th><th>Category</th><th>Service</th><th>Outcome</th><th>Why</th></tr></thead><tbody>\n",
            r.request,
            esc(&r.method),
            esc(&r.path),
            esc(&r.consent),
        ));
        for c in &r.cookies {
            let (cls, outcome) = match (c.reason, c.sent) {
                ("withdrawn", _) => ("removed", "deleted"),
                (_, true) => ("sent", "sent"),
                (_, false) => ("removed", "removed"),
            };
            let scope = c.scope.as_deref().map_or_else(String::new, |s| {
                format!(" <small><code>{}</code></small>", esc(s))
            });
            body.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"{cls}\">{outcome}</td><td><code>{}</code> {}{scope}</td></tr>\n",
                esc(&c.name),
                esc(c.category.as_deref().unwrap_or("—")),
                esc(c.service.as_deref().unwrap_or("—")),
                c.reason,
                reason_text(c.reason),
            ));
        }
        body.push_str("</tbody></table>\n");
    }
    let mut response = Html(layout("Consent log", &body, ctx.decided)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    (headers, body).into_response()
}

async fn banner_js() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("banner.js"))
}

async fn demo_css() -> Response {
    asset("text/css; charset=utf-8", include_str!("demo.css"))
}
