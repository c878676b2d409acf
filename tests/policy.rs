//! The cookie policy page: HTML snapshot, JSON schema, escaping (examples and properties),
//! and the tower service (directly and behind axum).

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::Value;
use tower::{Service, ServiceExt};
use tower_cookie_consent::policy::{self, CookiePolicyService, PageOptions};
use tower_cookie_consent::{presets, Category, Declaration, Registry};

// ---------------------------------------------------------------------------------------
// Snapshot

/// The HTML page of the `opendatasoft` preset (revision 1, default page options) must equal
/// `tests/snapshots/opendatasoft.html` byte for byte. After an intended change, regenerate
/// the file with
///
/// ```text
/// UPDATE_SNAPSHOTS=1 cargo test --test policy opendatasoft_html_snapshot
/// ```
///
/// and review the diff before committing it.
#[test]
fn opendatasoft_html_snapshot() {
    let registry = presets::opendatasoft().revision(1).build().unwrap();
    let html = policy::render_html_page(&registry, &PageOptions::default());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/opendatasoft.html");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &html).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
    if html != expected {
        let line = html
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "(length)".to_owned(), |i| format!("{}", i + 1));
        panic!(
            "the rendered page differs from {} at line {line}; if intended, run with UPDATE_SNAPSHOTS=1",
            path.display()
        );
    }
}

#[test]
fn opendatasoft_html_has_what_a_policy_page_needs() {
    let registry = presets::opendatasoft().revision(7).build().unwrap();
    let html = policy::render_html_fragment(&registry);
    assert!(html.contains("Cookie list revision 7"));
    assert!(html.contains("data-revision=\"7\""));
    // Categories in registry order.
    let positions: Vec<_> = [
        "Necessary",
        "Statistical",
        "Internal / first-party",
        "Third-party",
    ]
    .iter()
    .map(|label| html.find(&format!("<h2>{label}</h2>")).unwrap())
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert!(html.contains("<tr><td>Opendatasoft</td><td>Authentication (front and back office)<br><span class=\"cookie-location\">this site</span></td><td><code>sessionid</code></td><td>To remember the user from one page to another.</td><td>2 weeks</td></tr>"));
    assert!(html.contains("<code>cookies_preferences</code></td><td>To remember the visitor&#39;s cookie preferences.</td><td>6 months</td>"));
    assert!(html.contains("<code>_ga_</code> <span class=\"cookie-match\">(prefix)</span>"));
    assert!(html.contains("<code>_pk_id.*</code> <span class=\"cookie-match\">(pattern)</span>"));
    assert!(html.contains(
        "<code>mtm_consent</code><br><span class=\"cookie-exemption\">exempt from consent</span>"
    ));
    assert!(html.contains("<span class=\"cookie-location\">xiti.com</span>"));
    assert!(html.contains("<td>2 years</td>"));
    assert!(html.contains("<td>13 months</td>"));
    assert!(html.contains("<td>1 day</td>"));
    assert!(html.contains("Consent: not required."));
    assert!(html.contains("Sec-GPC: 1"));
    assert!(html.contains("No cookies are declared in this category."));
}

// ---------------------------------------------------------------------------------------
// JSON

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn json_follows_the_schema() {
    let registry = presets::opendatasoft()
        .merge(presets::common_trackers())
        .revision(42)
        .build()
        .unwrap();
    let json: Value = serde_json::from_str(&policy::to_json(&registry)).unwrap();
    assert_eq!(keys(&json), BTreeSet::from(["revision", "categories"]));
    assert_eq!(json["revision"], 42);
    let categories = json["categories"].as_array().unwrap();
    assert_eq!(categories.len(), registry.categories().len());
    let mut cookies_seen = 0;
    for (category, declared) in categories.iter().zip(registry.categories()) {
        assert_eq!(
            keys(category),
            BTreeSet::from([
                "id",
                "label",
                "description",
                "consent_required",
                "sale_or_sharing",
                "services",
                "cookies"
            ])
        );
        assert_eq!(category["id"], declared.id());
        assert_eq!(category["label"], declared.label_text());
        assert_eq!(category["description"], declared.description_text());
        assert_eq!(category["consent_required"], declared.is_consent_required());
        assert_eq!(category["sale_or_sharing"], declared.is_sale_or_sharing());
        for service in category["services"].as_array().unwrap() {
            assert!(registry.service_id(service.as_str().unwrap()).is_some());
        }
        for cookie in category["cookies"].as_array().unwrap() {
            cookies_seen += 1;
            assert_eq!(
                keys(cookie),
                BTreeSet::from([
                    "name",
                    "match",
                    "provider",
                    "function",
                    "purpose",
                    "service",
                    "consent_required",
                    "domain",
                    "path",
                    "duration_seconds",
                    "http_only",
                    "partitioned"
                ])
            );
            assert!(cookie["name"].is_string());
            assert!(["exact", "prefix", "pattern"].contains(&cookie["match"].as_str().unwrap()));
            for text in ["provider", "function", "purpose"] {
                assert!(cookie[text].is_string(), "{text}");
            }
            for nullable in ["service", "domain", "path"] {
                assert!(
                    cookie[nullable].is_string() || cookie[nullable].is_null(),
                    "{nullable}"
                );
            }
            assert!(cookie["duration_seconds"].is_u64() || cookie["duration_seconds"].is_null());
            for flag in ["consent_required", "http_only", "partitioned"] {
                assert!(cookie[flag].is_boolean(), "{flag}");
            }
            if let Some(service) = cookie["service"].as_str() {
                assert!(category["services"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == service));
            }
        }
    }
    assert_eq!(cookies_seen, registry.declarations().len());

    // Values of a few known cookies.
    let find = |name: &str| {
        categories
            .iter()
            .flat_map(|c| c["cookies"].as_array().unwrap())
            .find(|c| c["name"] == name)
            .unwrap()
            .clone()
    };
    let session = find("sessionid");
    assert_eq!(session["match"], "exact");
    assert_eq!(session["service"], Value::Null);
    assert_eq!(session["consent_required"], false);
    assert_eq!(session["duration_seconds"], 14 * 86_400);
    assert_eq!(session["http_only"], true);
    assert_eq!(session["domain"], Value::Null);
    let ga = find("_ga_");
    assert_eq!(ga["match"], "prefix");
    assert_eq!(ga["service"], "ga");
    assert_eq!(ga["consent_required"], true);
    assert_eq!(ga["duration_seconds"], 730 * 86_400);
    // Effective consent: exempt in a category that requires consent.
    let exempt = find("mtm_consent");
    assert_eq!(exempt["consent_required"], false);
    assert_eq!(find("_pk_id.*")["match"], "pattern");
    assert_eq!(find("IDE")["domain"], "doubleclick.net");
    assert_eq!(find("YSC")["duration_seconds"], Value::Null);
    let statistics = &categories[1];
    assert_eq!(statistics["id"], "statistics");
    let services: Vec<_> = statistics["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for expected in [
        "ga", "matomo", "at", "piano", "eulerian", "clarity", "hotjar",
    ] {
        assert!(services.contains(&expected), "{expected}");
    }
}

// ---------------------------------------------------------------------------------------
// Escaping

const HOSTILE: &str = "<script>alert(\"x\" + 'y')</script> & co";
const HOSTILE_ESCAPED: &str =
    "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; &amp; co";

fn hostile_registry() -> Registry {
    Registry::builder()
        .category(
            Category::new("c\"><script>")
                .label(HOSTILE)
                .description(HOSTILE),
        )
        .cookie(
            Declaration::exact("<img/src'x'/onerror\"1\">")
                .category("c\"><script>")
                .provider(HOSTILE)
                .function(HOSTILE)
                .purpose(HOSTILE)
                .domain(HOSTILE)
                .path(HOSTILE),
        )
        .cookie(Declaration::prefix("a&b<").category("c\"><script>"))
        .build()
        .unwrap()
}

#[test]
fn every_html_field_is_escaped() {
    let registry = hostile_registry();
    let options = PageOptions::default()
        .title(HOSTILE)
        .lang("en\"><script>")
        .stylesheet("x\"><script>");
    for html in [
        policy::render_html_fragment(&registry),
        policy::render_html_page(&registry, &options),
    ] {
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("a&b<"), "{html}");
        assert!(!html.contains("onerror\"1\""), "{html}");
        // label, description, provider, function, purpose, domain (+ path)
        assert!(html.matches(HOSTILE_ESCAPED).count() >= 6, "{html}");
        assert!(html.contains("id=\"cookie-category-c&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("<code>&lt;img/src&#39;x&#39;/onerror&quot;1&quot;&gt;</code>"));
        assert!(html.contains("<code>a&amp;b&lt;</code>"));
    }
    let page = policy::render_html_page(&registry, &options);
    assert!(page.contains("<html lang=\"en&quot;&gt;&lt;script&gt;\">"));
    assert!(page.contains(&format!("<title>{HOSTILE_ESCAPED}</title>")));
    assert!(page.contains("href=\"x&quot;&gt;&lt;script&gt;\""));
}

#[test]
fn json_keeps_hostile_fields_intact() {
    let registry = hostile_registry();
    let json: Value = serde_json::from_str(&policy::to_json(&registry)).unwrap();
    let cookie = &json["categories"][0]["cookies"][0];
    assert_eq!(json["categories"][0]["label"], HOSTILE);
    assert_eq!(cookie["name"], "<img/src'x'/onerror\"1\">");
    assert_eq!(cookie["purpose"], HOSTILE);
    assert_eq!(cookie["path"], HOSTILE);
}

// Every generated field value is a unique token (`T<n>x`, which no other field contains)
// followed by text holding at least one of `<`, `>`, `"`, `'`, `&` and ending with a letter,
// so that the raw value can only appear in the output if it was written unescaped. The
// letters are v to z only: none of them starts a character reference the escaper writes
// (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`), so a raw `&v` cannot be the start of an
// escaped `&amp;` (as a raw `&a` or a trailing `&` would be).
fn hostile_text() -> impl Strategy<Value = String> {
    "[v-z]{0,3}[<>\"'&][v-z<>\"'& ]{0,6}[v-z]"
}
fn hostile_name() -> impl Strategy<Value = String> {
    "[v-z]{0,3}[<>\"'&][v-z<>\"'&]{0,6}[v-z]"
}

#[derive(Debug, Clone)]
struct GenCookie {
    kind: u8,
    name: String,
    provider: String,
    function: String,
    purpose: String,
    domain: String,
    path: String,
    category: usize,
    duration: Option<u64>,
    exempt: Option<bool>,
}

fn gen_cookie(categories: usize) -> impl Strategy<Value = GenCookie> {
    (
        0u8..3,
        hostile_name(),
        (hostile_text(), hostile_text(), hostile_text()),
        (hostile_text(), hostile_text()),
        0..categories,
        proptest::option::of(0u64..100_000_000),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(
                kind,
                name,
                (provider, function, purpose),
                (domain, path),
                category,
                duration,
                exempt,
            )| {
                GenCookie {
                    kind,
                    name,
                    provider,
                    function,
                    purpose,
                    domain,
                    path,
                    category,
                    duration,
                    exempt,
                }
            },
        )
}

/// (id, label, description, consent required) of each generated category.
type GenCategory = (String, String, String, bool);

fn gen_registry() -> impl Strategy<Value = (Vec<GenCategory>, Vec<GenCookie>)> {
    proptest::collection::vec(
        (
            hostile_name(),
            hostile_text(),
            hostile_text(),
            any::<bool>(),
        ),
        1..5,
    )
    .prop_flat_map(|categories| {
        let n = categories.len();
        (
            Just(categories),
            proptest::collection::vec(gen_cookie(n), 0..8),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any generated registry builds, renders as HTML and JSON without panicking, and no
    /// field value reaches the HTML unescaped, while its escaped form does.
    #[test]
    fn no_field_reaches_the_html_unescaped((categories, cookies) in gen_registry()) {
        let mut token = 0;
        let mut tokenize = |s: &str| { token += 1; format!("T{token}x{s}") };
        let mut fields = Vec::new();
        let mut builder = Registry::builder().revision(u64::from(cookies.len() as u32));
        let mut ids = Vec::new();
        for (id, label, description, consent) in &categories {
            let (id, label, description) = (tokenize(id), tokenize(label), tokenize(description));
            builder = builder.category(
                Category::new(id.clone()).label(label.clone()).description(description.clone())
                    .consent_required(*consent),
            );
            fields.extend([id.clone(), label, description]);
            ids.push(id);
        }
        for c in &cookies {
            let name = tokenize(&c.name);
            let declaration = match c.kind {
                0 => Declaration::exact(name.clone()),
                1 => Declaration::prefix(name.clone()),
                _ => Declaration::pattern(format!("{name}*")),
            };
            let mut declaration = declaration
                .category(ids[c.category].clone())
                .service(format!("svc{}", c.category))
                .provider(tokenize(&c.provider))
                .function(tokenize(&c.function))
                .purpose(tokenize(&c.purpose))
                .domain(tokenize(&c.domain))
                .path(tokenize(&c.path));
            if let Some(d) = c.duration {
                declaration = declaration.duration(Duration::from_secs(d));
            }
            if let Some(e) = c.exempt {
                declaration = declaration.consent_required(!e);
            }
            fields.extend([
                name,
                declaration.provider_text().to_owned(),
                declaration.function_text().to_owned(),
                declaration.purpose_text().to_owned(),
                declaration.domain_attr().unwrap().to_owned(),
                declaration.path_attr().unwrap().to_owned(),
            ]);
            builder = builder.cookie(declaration);
        }
        let registry = builder.build().expect("generated registries are valid");
        let html = policy::render_html_page(&registry, &PageOptions::default());
        for field in &fields {
            prop_assert!(!html.contains(field.as_str()), "raw {:?} in the HTML", field);
            let escaped = policy::escape_html(field);
            prop_assert!(html.contains(&escaped), "escaped {:?} missing", escaped);
        }
        let json: Value = serde_json::from_str(&policy::to_json(&registry)).unwrap();
        prop_assert_eq!(json["categories"].as_array().unwrap().len(), categories.len());
        let names: BTreeSet<_> = json["categories"].as_array().unwrap().iter()
            .flat_map(|c| c["cookies"].as_array().unwrap())
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect();
        prop_assert_eq!(names.len(), cookies.len());
    }

    /// Arbitrary Unicode in every text field: rendering never panics, the JSON parses back
    /// to the same strings, and the HTML holds no `<` or `>` other than its own tags' (after
    /// removing every tag the renderer writes, none is left).
    #[test]
    fn any_text_renders(label in any::<String>(), purpose in any::<String>(), domain in any::<String>()) {
        let registry = Registry::builder()
            .category(Category::new("c").label(label.clone()))
            .cookie(Declaration::exact("n").category("c").purpose(purpose.clone()).domain(domain.clone()))
            .build()
            .unwrap();
        let html = policy::render_html_fragment(&registry);
        let text_only = strip_known_tags(&html);
        prop_assert!(!text_only.contains('<') && !text_only.contains('>'), "{}", text_only);
        let json: Value = serde_json::from_str(&policy::to_json(&registry)).unwrap();
        prop_assert_eq!(json["categories"][0]["label"].as_str().unwrap(), label.as_str());
        prop_assert_eq!(json["categories"][0]["cookies"][0]["purpose"].as_str().unwrap(), purpose.as_str());
        prop_assert_eq!(json["categories"][0]["cookies"][0]["domain"].as_str().unwrap(), domain.as_str());
    }
}

/// Removes the tags the fragment renderer writes (element names it uses, with attributes up
/// to the first `>`), leaving text content.
fn strip_known_tags(html: &str) -> String {
    const TAGS: [&str; 18] = [
        "section", "p", "h2", "table", "thead", "tbody", "tr", "th", "td", "code", "span", "br",
        "/section", "/p", "/h2", "/table", "/thead", "/tbody",
    ];
    const CLOSE: [&str; 5] = ["/tr", "/th", "/td", "/code", "/span"];
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let tag_name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect();
        if TAGS.contains(&tag_name.as_str()) || CLOSE.contains(&tag_name.as_str()) {
            let end = after.find('>').expect("renderer tags are closed");
            rest = &after[end + 1..];
        } else {
            out.push('<');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------
// Service

fn service() -> CookiePolicyService {
    CookiePolicyService::new(&presets::opendatasoft().revision(1).build().unwrap())
}

fn request(method: Method, path: &str) -> Request<()> {
    Request::builder()
        .method(method)
        .uri(path)
        .body(())
        .unwrap()
}

async fn call(service: &CookiePolicyService, request: Request<()>) -> Response<String> {
    service.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn get_serves_the_html_page_and_the_json() {
    let service = service();
    let registry = presets::opendatasoft().revision(1).build().unwrap();

    let html = call(&service, request(Method::GET, "/cookies-policy")).await;
    assert_eq!(html.status(), StatusCode::OK);
    assert_eq!(html.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(html.headers()[CACHE_CONTROL], "public, max-age=300");
    assert_eq!(html.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        html.headers()[CONTENT_LENGTH],
        html.body().len().to_string().as_str()
    );
    assert_eq!(
        html.body(),
        &policy::render_html_page(&registry, &PageOptions::default())
    );
    let html_etag = html.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(html_etag.starts_with('"') && html_etag.ends_with('"') && !html_etag.starts_with("W/"));

    let json = call(&service, request(Method::GET, "/cookies-policy.json?x=1")).await;
    assert_eq!(json.status(), StatusCode::OK);
    assert_eq!(
        json.headers()[CONTENT_TYPE],
        "application/json; charset=utf-8"
    );
    assert_eq!(json.body(), &policy::to_json(&registry));
    assert_ne!(json.headers()[ETAG], html_etag.as_str());

    // The ETag depends on the bytes only: the same registry gives the same tag.
    let again = call(&self::service(), request(Method::GET, "/cookies-policy")).await;
    assert_eq!(again.headers()[ETAG], html_etag.as_str());
}

#[tokio::test]
async fn head_has_the_headers_and_no_body() {
    let service = service();
    let get = call(&service, request(Method::GET, "/cookies-policy.json")).await;
    let head = call(&service, request(Method::HEAD, "/cookies-policy.json")).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.body().is_empty());
    for name in [CONTENT_TYPE, CONTENT_LENGTH, ETAG, CACHE_CONTROL] {
        assert_eq!(head.headers()[&name], get.headers()[&name], "{name}");
    }
}

#[tokio::test]
async fn if_none_match_gives_304() {
    let service = service();
    let etag = call(&service, request(Method::GET, "/cookies-policy"))
        .await
        .headers()[ETAG]
        .clone();
    for method in [Method::GET, Method::HEAD] {
        let mut req = request(method.clone(), "/cookies-policy");
        req.headers_mut().insert(IF_NONE_MATCH, etag.clone());
        let response = call(&service, req).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{method}");
        assert!(response.body().is_empty());
        assert_eq!(response.headers()[ETAG], etag);
        assert_eq!(response.headers()[CACHE_CONTROL], "public, max-age=300");
        assert!(response.headers().get(CONTENT_LENGTH).is_none());
    }
    // A list, a weak tag and `*` match too; another tag does not.
    let weak = format!("\"nope\", W/{}", etag.to_str().unwrap());
    for value in [weak.as_str(), "*"] {
        let mut req = request(Method::GET, "/cookies-policy");
        req.headers_mut()
            .insert(IF_NONE_MATCH, value.parse().unwrap());
        assert_eq!(
            call(&service, req).await.status(),
            StatusCode::NOT_MODIFIED,
            "{value}"
        );
    }
    let mut req = request(Method::GET, "/cookies-policy");
    req.headers_mut()
        .insert(IF_NONE_MATCH, "\"stale\"".parse().unwrap());
    assert_eq!(call(&service, req).await.status(), StatusCode::OK);
    // The JSON's tag is not the page's.
    let mut req = request(Method::GET, "/cookies-policy.json");
    req.headers_mut().insert(IF_NONE_MATCH, etag);
    assert_eq!(call(&service, req).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn other_paths_are_404_and_other_methods_405() {
    let service = service();
    for path in [
        "/",
        "/cookies-policy/",
        "/cookies-policy.html",
        "/COOKIES-POLICY",
    ] {
        let response = call(&service, request(Method::GET, path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
        for path in ["/cookies-policy", "/cookies-policy.json"] {
            let response = call(&service, request(method.clone(), path)).await;
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(response.headers()[ALLOW], "GET, HEAD");
        }
    }
}

#[tokio::test]
async fn paths_page_options_and_cache_control_are_configurable() {
    let registry = presets::opendatasoft().build().unwrap();
    let default = CookiePolicyService::new(&registry);
    let service = default
        .clone()
        .html_path("/legal/cookies")
        .json_path("/api/cookies")
        .page_options(PageOptions::default().title("Cookies").lang("fr"))
        .cache_control("no-cache")
        .unwrap();
    // The original is untouched by the edits of its clone.
    assert_eq!(default.paths(), ("/cookies-policy", "/cookies-policy.json"));
    let html = call(&service, request(Method::GET, "/legal/cookies")).await;
    assert_eq!(html.status(), StatusCode::OK);
    assert!(html
        .body()
        .starts_with("<!doctype html>\n<html lang=\"fr\">"));
    assert!(html.body().contains("<title>Cookies</title>"));
    assert_eq!(html.headers()[CACHE_CONTROL], "no-cache");
    let old = call(&default, request(Method::GET, "/cookies-policy")).await;
    assert_ne!(html.headers()[ETAG], old.headers()[ETAG]);
    assert_eq!(
        call(&service, request(Method::GET, "/api/cookies"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        call(&service, request(Method::GET, "/cookies-policy"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(CookiePolicyService::new(&registry)
        .cache_control("bad\nvalue")
        .is_err());
}

#[tokio::test]
async fn any_request_body_is_accepted() {
    let mut service = service();
    let request = Request::get("/cookies-policy.json")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            b"ignored",
        )))
        .unwrap();
    let response: Result<Response<String>, Infallible> = Service::call(&mut service, request).await;
    assert_eq!(response.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn works_behind_axum_route_service_and_fallback_service() {
    let service = service();
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .route_service("/cookies-policy", service.clone())
        .fallback_service(service.clone().html_path("/other-policy"));
    let get = |path: &str, method: Method| {
        Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap()
    };

    let response = app
        .clone()
        .oneshot(get("/cookies-policy", Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"<!doctype html>"));

    // Through the fallback: the JSON, the renamed page, and 404 for the rest.
    let response = app
        .clone()
        .oneshot(get("/cookies-policy.json", Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["revision"], 1);
    let response = app
        .clone()
        .oneshot(get("/other-policy", Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .clone()
        .oneshot(get("/missing", Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .clone()
        .oneshot(get("/cookies-policy", Method::POST))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[ALLOW], "GET, HEAD");
    let response = app.oneshot(get("/", Method::GET)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
