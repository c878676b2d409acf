//! The demo's pages: the site layout, the datasets, the cookie policy in the layout, the
//! consent log, and the banner's assets.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use tower_cookie_consent::policy::escape_html as esc;

use super::{page_set_cookies, AppState, PageContext};

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

pub(super) async fn home(ctx: PageContext) -> Response {
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

pub(super) async fn datasets(ctx: PageContext) -> Response {
    let cards: String = DATASETS.iter().map(dataset_card).collect();
    let body = format!(
        r#"<h1>Datasets</h1><p class="meta">{} datasets</p><div class="cards">{cards}</div>"#,
        DATASETS.len()
    );
    page(&ctx, StatusCode::OK, "Datasets", &body)
}

pub(super) async fn dataset(ctx: PageContext, Path(id): Path<String>) -> Response {
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

pub(super) async fn not_found(ctx: PageContext) -> Response {
    let body = r#"<h1>Page not found</h1><p><a href="/">Back to the home page</a></p>"#;
    page(&ctx, StatusCode::NOT_FOUND, "Not found", body)
}

/// The cookie policy in the site's layout, so that the banner and "Cookie settings" work
/// there too; its JSON twin is served by
/// [`CookiePolicyService`](tower_cookie_consent::policy::CookiePolicyService).
pub(super) async fn policy_page(State(state): State<AppState>, ctx: PageContext) -> Response {
    Html(layout("Cookie policy", &state.policy_html, ctx.decided)).into_response()
}

pub(super) async fn consent_log_json(State(state): State<AppState>, ctx: PageContext) -> Response {
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

pub(super) async fn consent_log_page(State(state): State<AppState>, ctx: PageContext) -> Response {
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

pub(super) async fn banner_js() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("banner.js"))
}

pub(super) async fn demo_css() -> Response {
    asset("text/css; charset=utf-8", include_str!("demo.css"))
}
