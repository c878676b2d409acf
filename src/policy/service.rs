//! A tower service serving the cookie policy page and its JSON.

use std::convert::Infallible;
use std::fmt;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use tower_service::Service;

use super::html::{render_html_fragment, wrap_page, PageOptions};
use super::json::to_json;
use crate::Registry;

/// Serves the cookie policy rendered from a [`Registry`]: the HTML page (by default at
/// `/cookies-policy`) and the JSON for banners (by default at `/cookies-policy.json`).
///
/// The registry is immutable, so both documents are rendered once, when the service is built
/// (and again only if [`page_options`](Self::page_options) changes the page), and shared
/// through an [`Arc`]: a clone is one atomic increment.
///
/// # Responses
///
/// - `GET` or `HEAD` on one of the two paths: `200 OK` with `Content-Type`
///   (`text/html; charset=utf-8` or `application/json; charset=utf-8`), `Content-Length`,
///   a strong `ETag` (a 64-bit FNV-1a hash and the length of the body, computed when it is
///   rendered), `Cache-Control` (default `public, max-age=300`) and
///   `X-Content-Type-Options: nosniff`; `HEAD` has the same headers and an empty body.
/// - the same with an `If-None-Match` that matches the `ETag` (or is `*`): `304 Not
///   Modified` with `ETag` and `Cache-Control` and no body (RFC 9110 §13.1.2, weak
///   comparison; every `If-None-Match` field is read).
/// - another method on one of the two paths: `405 Method Not Allowed` with
///   `Allow: GET, HEAD`.
/// - any other path: `404 Not Found`.
///
/// The path is compared exactly with the request URI's path (the query is ignored). The
/// service never fails (`Error = Infallible`) and accepts any request body, which it does not
/// read, so it fits axum's `Router::route_service` and `fallback_service`.
///
/// ```
/// use http::{Request, StatusCode};
/// use tower::ServiceExt;
/// use tower_cookie_consent::{policy::CookiePolicyService, presets};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = presets::opendatasoft().build()?;
/// let service = CookiePolicyService::new(&registry).cache_control("public, max-age=60")?;
/// let response = service
///     .oneshot(Request::get("/cookies-policy.json").body(())?)
///     .await?;
/// assert_eq!(response.status(), StatusCode::OK);
/// assert_eq!(response.headers()["cache-control"], "public, max-age=60");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct CookiePolicyService {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    html_path: String,
    json_path: String,
    fragment: String,
    html: Document,
    json: Document,
    cache_control: HeaderValue,
}

#[derive(Clone)]
struct Document {
    body: String,
    etag: HeaderValue,
    content_type: HeaderValue,
}

impl Document {
    fn new(body: String, content_type: &'static str) -> Self {
        let etag = HeaderValue::from_str(&format!(
            "\"{:016x}-{:x}\"",
            fnv1a64(body.as_bytes()),
            body.len()
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Self {
            body,
            etag,
            content_type: HeaderValue::from_static(content_type),
        }
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and processes, so every server behind a
/// load balancer gives the same `ETag` for the same policy.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

const HTML_TYPE: &str = "text/html; charset=utf-8";
const JSON_TYPE: &str = "application/json; charset=utf-8";

impl fmt::Debug for CookiePolicyService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookiePolicyService")
            .field("html_path", &self.inner.html_path)
            .field("json_path", &self.inner.json_path)
            .field("html_etag", &self.inner.html.etag)
            .field("json_etag", &self.inner.json.etag)
            .field("cache_control", &self.inner.cache_control)
            .finish_non_exhaustive()
    }
}

impl CookiePolicyService {
    /// The default path of the HTML page.
    pub const DEFAULT_HTML_PATH: &'static str = "/cookies-policy";
    /// The default path of the JSON document.
    pub const DEFAULT_JSON_PATH: &'static str = "/cookies-policy.json";
    /// The default `Cache-Control` value.
    pub const DEFAULT_CACHE_CONTROL: &'static str = "public, max-age=300";

    /// Renders `registry` (HTML with [`PageOptions::default`], and JSON) and serves it at the
    /// default paths.
    pub fn new(registry: &Registry) -> Self {
        let fragment = render_html_fragment(registry);
        let html = Document::new(wrap_page(&fragment, &PageOptions::default()), HTML_TYPE);
        let json = Document::new(to_json(registry), JSON_TYPE);
        Self {
            inner: Arc::new(Inner {
                html_path: Self::DEFAULT_HTML_PATH.to_owned(),
                json_path: Self::DEFAULT_JSON_PATH.to_owned(),
                fragment,
                html,
                json,
                cache_control: HeaderValue::from_static(Self::DEFAULT_CACHE_CONTROL),
            }),
        }
    }

    fn edit(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Serves the HTML page at `path` (default `/cookies-policy`).
    ///
    /// ```
    /// # use tower_cookie_consent::{policy::CookiePolicyService, Registry};
    /// # let registry = Registry::builder().default_categories().build().unwrap();
    /// let service = CookiePolicyService::new(&registry)
    ///     .html_path("/legal/cookies")
    ///     .json_path("/legal/cookies.json");
    /// assert_eq!(service.paths(), ("/legal/cookies", "/legal/cookies.json"));
    /// ```
    pub fn html_path(self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.edit(|inner| inner.html_path = path)
    }

    /// Serves the JSON document at `path` (default `/cookies-policy.json`).
    pub fn json_path(self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.edit(|inner| inner.json_path = path)
    }

    /// Sets the page title, language and styling; the page (and its `ETag`) is rendered
    /// again from the fragment rendered at construction.
    ///
    /// ```
    /// # use tower_cookie_consent::{policy::{CookiePolicyService, PageOptions}, Registry};
    /// # let registry = Registry::builder().default_categories().build().unwrap();
    /// let service = CookiePolicyService::new(&registry)
    ///     .page_options(PageOptions::default().title("Cookies").lang("fr"));
    /// assert!(service.html().contains("<html lang=\"fr\">"));
    /// ```
    pub fn page_options(self, options: PageOptions) -> Self {
        self.edit(|inner| {
            inner.html = Document::new(wrap_page(&inner.fragment, &options), HTML_TYPE);
        })
    }

    /// Sets the `Cache-Control` value of `200` and `304` responses (default
    /// `public, max-age=300`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Other`](crate::ConfigError::Other) when `value` cannot be a field
    /// value (RFC 9110 §5.5): it holds a control character other than HTAB (CR and LF
    /// included) or DEL.
    pub fn cache_control(self, value: &str) -> Result<Self, crate::ConfigError> {
        let value = HeaderValue::from_str(value).map_err(|e| {
            crate::ConfigError::Other(format!("invalid Cache-Control value {value:?}: {e}"))
        })?;
        Ok(self.edit(|inner| inner.cache_control = value))
    }

    /// The paths served: `(html, json)`.
    pub fn paths(&self) -> (&str, &str) {
        (&self.inner.html_path, &self.inner.json_path)
    }

    /// The rendered HTML page.
    pub fn html(&self) -> &str {
        &self.inner.html.body
    }

    /// The rendered JSON document.
    pub fn json(&self) -> &str {
        &self.inner.json.body
    }

    /// The response to a request, without tower: what [`Service::call`] returns.
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response<String> {
        let inner = &*self.inner;
        let document = if path == inner.html_path {
            &inner.html
        } else if path == inner.json_path {
            &inner.json
        } else {
            return simple(StatusCode::NOT_FOUND, "Not Found\n");
        };
        let head = *method == Method::HEAD;
        if !head && *method != Method::GET {
            let mut response = simple(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let mut response = Response::new(String::new());
        let h = response.headers_mut();
        h.insert(ETAG, document.etag.clone());
        h.insert(CACHE_CONTROL, inner.cache_control.clone());
        if if_none_match(headers, document.etag.as_bytes()) {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return response;
        }
        h.insert(CONTENT_TYPE, document.content_type.clone());
        h.insert(CONTENT_LENGTH, HeaderValue::from(document.body.len()));
        h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if !head {
            *response.body_mut() = document.body.clone();
        }
        response
    }
}

fn simple(status: StatusCode, text: &'static str) -> Response<String> {
    let mut response = Response::new(text.to_owned());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Whether any `If-None-Match` field matches `etag` (RFC 9110 §13.1.2: `*`, or a list of
/// entity-tags compared weakly, so `W/"x"` matches `"x"`). Fields are read as bytes; an
/// unreadable one matches nothing, which only costs a full response.
fn if_none_match(headers: &HeaderMap, etag: &[u8]) -> bool {
    headers.get_all(IF_NONE_MATCH).iter().any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|candidate| {
            let candidate = candidate.trim_ascii();
            let candidate = candidate.strip_prefix(b"W/").unwrap_or(candidate);
            candidate == b"*" || candidate == etag
        })
    })
}

impl<B> Service<Request<B>> for CookiePolicyService {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    #[inline]
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.respond(
            request.method(),
            request.uri().path(),
            request.headers(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_values() {
        // Reference values of the FNV-1a 64-bit hash.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn if_none_match_forms() {
        let etag = b"\"abc-1\"";
        let check = |values: &[&'static str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(IF_NONE_MATCH, HeaderValue::from_static(v));
            }
            if_none_match(&headers, etag)
        };
        assert!(check(&["\"abc-1\""]));
        assert!(check(&["W/\"abc-1\""]));
        assert!(check(&["*"]));
        assert!(check(&["\"x\", \"abc-1\""]));
        assert!(check(&["\"x\"", "\"abc-1\""]));
        assert!(!check(&["\"abc-2\""]));
        assert!(!check(&["abc-1"]));
        assert!(!check(&[]));
    }
}
