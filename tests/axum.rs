//! The layer in an axum 0.8 `Router`, served by `axum::serve` over real TCP on
//! `127.0.0.1:0`, hit by hyper's client over HTTP/1.1 and over HTTP/2 cleartext with prior
//! knowledge (h2c).
//!
//! Over HTTP/2 browsers may send the `Cookie` header as several `cookie` fields
//! (RFC 9113 §8.2.3) and hyper hands them to the application unjoined: the consent cookie is
//! sent in a field of its own, after another one, so that a reader looking only at the first
//! field would miss it.

#![cfg(feature = "axum")]

mod http_common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, ETAG, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::Full;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_cookie_consent::{ConsentDecision, CookieConsentLayer, Declaration, Registry};

use http_common::{bounded, send_request, set_cookies, Proto, CONSENT};

/// What every route tries to set, in this order.
const SET_COOKIES: [&str; 5] = [
    "sessionid=s3cr3t; HttpOnly; Path=/", // necessary: always kept
    "lang=fr; Path=/; Max-Age=31536000",  // functional: granted, kept
    "_ga=GA1.1.123.456; Path=/; Max-Age=63072000", // statistics: refused, stripped
    "_fbp=fb.1.123.456; Path=/; Max-Age=7776000", // marketing: no decision, stripped
    "promo_seen=1; Path=/",               // declared nowhere: stripped
];

/// What reaches a visitor who granted functional and refused statistics.
const KEPT_WITH_CONSENT: [&str; 2] = [SET_COOKIES[0], SET_COOKIES[1]];

/// What reaches an undecided visitor: strictly necessary only.
const KEPT_UNDECIDED: [&str; 1] = [SET_COOKIES[0]];

fn consent_layer() -> CookieConsentLayer {
    let registry = Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("lang").category("functional"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::prefix("_ga_")
                .category("statistics")
                .service("ga"),
        )
        .cookie(Declaration::exact("_fbp").category("marketing"))
        .build()
        .expect("valid registry");
    CookieConsentLayer::new(registry).expect("valid layer")
}

/// A response from `status`, with the `Set-Cookie` values of [`SET_COOKIES`] and the
/// `extra` headers.
fn with_cookies(status: StatusCode, extra: &[(&str, String)], body: Bytes) -> Response<Body> {
    let mut response = Response::builder().status(status);
    for (name, value) in extra {
        response = response.header(*name, value);
    }
    for set_cookie in SET_COOKIES {
        response = response.header(SET_COOKIE, set_cookie);
    }
    response.body(Body::from(body)).expect("valid response")
}

/// Echoes what it received (body, `x-echo`, the number of `cookie` fields) and reports the
/// decision the extractor gave it.
async fn page(decision: ConsentDecision, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let echo = headers
        .get("x-echo")
        .map(|v| v.to_str().unwrap_or("<non-ascii>").to_owned())
        .unwrap_or_default();
    let cookie_fields = headers.get_all(COOKIE).iter().count();
    with_cookies(
        StatusCode::OK,
        &[
            ("content-type", "application/octet-stream".to_owned()),
            ("x-echo", echo),
            ("x-cookie-fields", cookie_fields.to_string()),
            ("x-decided", decision.is_decided().to_string()),
            ("x-allows-lang", decision.allows_cookie("lang").to_string()),
            ("x-allows-ga", decision.allows_service("ga").to_string()),
            ("x-multi", "one".to_owned()),
            ("x-multi", "two".to_owned()),
        ],
        body,
    )
}

async fn not_modified() -> Response<Body> {
    with_cookies(
        StatusCode::NOT_MODIFIED,
        &[("etag", "\"v1\"".to_owned())],
        Bytes::new(),
    )
}

async fn server_error() -> Response<Body> {
    with_cookies(
        StatusCode::INTERNAL_SERVER_ERROR,
        &[("content-type", "text/plain".to_owned())],
        Bytes::from_static(b"boom"),
    )
}

async fn redirect() -> Response<Body> {
    with_cookies(
        StatusCode::SEE_OTHER,
        &[("location", "/".to_owned())],
        Bytes::new(),
    )
}

fn app() -> Router {
    Router::new()
        .route("/", get(page).post(page))
        .route("/not-modified", get(not_modified))
        .route("/error", get(server_error))
        .route("/redirect", get(redirect))
        // Added last, so it is the outermost layer: it sees every Set-Cookie.
        .layer(consent_layer())
}

/// A server task on `127.0.0.1:<ephemeral>`, shut down when the test ends.
struct TestServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app())
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Self {
            addr,
            shutdown: Some(tx),
            task,
        }
    }

    /// Graceful shutdown; the server must stop within the bound.
    async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = bounded(&mut self.task).await;
        result.expect("server task").expect("server error");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // On a failed assertion `stop` is never reached: do not leave the task behind.
        self.task.abort();
    }
}

/// [`http_common::send`] with a static body.
async fn send(
    addr: SocketAddr,
    proto: Proto,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &'static [u8],
) -> (axum::http::response::Parts, Bytes) {
    http_common::send(addr, proto, method, path, headers, Bytes::from_static(body)).await
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .to_str()
        .expect("ascii header")
}

#[tokio::test]
async fn h2c_consent_in_a_separate_cookie_field() {
    let server = TestServer::start().await;
    let (head, body) = send(
        server.addr,
        Proto::H2c,
        Method::POST,
        "/",
        &[
            // Two `cookie` fields, the consent in the second (RFC 9113 §8.2.3).
            ("cookie", "sessionid=old; theme=dark"),
            ("cookie", CONSENT),
            ("x-echo", "kept as sent"),
            ("content-type", "application/octet-stream"),
        ],
        b"payload \x00\xff bytes",
    )
    .await;

    assert_eq!(head.status, StatusCode::OK);
    // The fields reached the application as two fields: the test is about the split case.
    assert_eq!(header(&head.headers, "x-cookie-fields"), "2");
    // The consent was read from the second field, by the layer and by the extractor.
    assert_eq!(header(&head.headers, "x-decided"), "true");
    assert_eq!(header(&head.headers, "x-allows-lang"), "true");
    assert_eq!(header(&head.headers, "x-allows-ga"), "false");
    // Granted category kept; refused, undecided and unknown ones stripped; order kept.
    assert_eq!(set_cookies(&head.headers), KEPT_WITH_CONSENT);
    // Everything else intact, both ways.
    assert_eq!(header(&head.headers, "x-echo"), "kept as sent");
    assert_eq!(
        header(&head.headers, "content-type"),
        "application/octet-stream"
    );
    let multi: Vec<_> = head.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["one", "two"]);
    assert_eq!(&body[..], b"payload \x00\xff bytes");

    server.stop().await;
}

#[tokio::test]
async fn http1_consent_in_the_cookie_header() {
    let server = TestServer::start().await;
    let cookie = format!("sessionid=old; {CONSENT}; theme=dark");
    let (head, body) = send(
        server.addr,
        Proto::Http1,
        Method::POST,
        "/",
        &[("cookie", &cookie), ("x-echo", "kept as sent")],
        b"hello over http/1.1",
    )
    .await;

    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(header(&head.headers, "x-cookie-fields"), "1");
    assert_eq!(header(&head.headers, "x-decided"), "true");
    assert_eq!(set_cookies(&head.headers), KEPT_WITH_CONSENT);
    assert_eq!(header(&head.headers, "x-echo"), "kept as sent");
    let multi: Vec<_> = head.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["one", "two"]);
    assert_eq!(&body[..], b"hello over http/1.1");

    server.stop().await;
}

#[tokio::test]
async fn undecided_visitor_gets_only_necessary_cookies() {
    let server = TestServer::start().await;
    for proto in [Proto::Http1, Proto::H2c] {
        let (head, _) = send(server.addr, proto, Method::GET, "/", &[], b"").await;
        assert_eq!(head.status, StatusCode::OK, "{proto:?}");
        assert_eq!(header(&head.headers, "x-decided"), "false", "{proto:?}");
        assert_eq!(set_cookies(&head.headers), KEPT_UNDECIDED, "{proto:?}");
    }
    server.stop().await;
}

/// 304, 500, 303 and HEAD responses are filtered like any other, over both protocols.
#[tokio::test]
async fn every_kind_of_response_is_filtered() {
    let server = TestServer::start().await;
    for proto in [Proto::Http1, Proto::H2c] {
        let with_consent = [("cookie", CONSENT), ("if-none-match", "\"v1\"")];

        let (head, body) = send(
            server.addr,
            proto,
            Method::GET,
            "/not-modified",
            &with_consent,
            b"",
        )
        .await;
        assert_eq!(head.status, StatusCode::NOT_MODIFIED, "{proto:?}");
        assert_eq!(
            set_cookies(&head.headers),
            KEPT_WITH_CONSENT,
            "304 {proto:?}"
        );
        assert_eq!(head.headers[ETAG], "\"v1\"", "{proto:?}");
        assert!(body.is_empty(), "{proto:?}");

        let (head, body) = send(
            server.addr,
            proto,
            Method::GET,
            "/error",
            &with_consent,
            b"",
        )
        .await;
        assert_eq!(head.status, StatusCode::INTERNAL_SERVER_ERROR, "{proto:?}");
        assert_eq!(
            set_cookies(&head.headers),
            KEPT_WITH_CONSENT,
            "500 {proto:?}"
        );
        assert_eq!(head.headers[CONTENT_TYPE], "text/plain", "{proto:?}");
        assert_eq!(&body[..], b"boom", "{proto:?}");

        let (head, _) = send(
            server.addr,
            proto,
            Method::GET,
            "/redirect",
            &with_consent,
            b"",
        )
        .await;
        assert_eq!(head.status, StatusCode::SEE_OTHER, "{proto:?}");
        assert_eq!(
            set_cookies(&head.headers),
            KEPT_WITH_CONSENT,
            "303 {proto:?}"
        );
        assert_eq!(head.headers[LOCATION], "/", "{proto:?}");

        // HEAD is routed to the GET handler; axum drops the body, the layer the cookies.
        let (head, body) = send(server.addr, proto, Method::HEAD, "/", &with_consent, b"").await;
        assert_eq!(head.status, StatusCode::OK, "{proto:?}");
        assert_eq!(
            set_cookies(&head.headers),
            KEPT_WITH_CONSENT,
            "HEAD {proto:?}"
        );
        assert!(body.is_empty(), "{proto:?}");

        // The same routes for an undecided visitor: only the necessary cookie.
        for path in ["/not-modified", "/error", "/redirect"] {
            let (head, _) = send(server.addr, proto, Method::GET, path, &[], b"").await;
            assert_eq!(
                set_cookies(&head.headers),
                KEPT_UNDECIDED,
                "{path} {proto:?}"
            );
        }
    }
    server.stop().await;
}

/// Real browsers send UTF-8 and Latin-1 bytes in unrelated cookies. Over HTTP/2 such a
/// field, next to the consent field, must not hide the consent nor break the request.
#[tokio::test]
async fn h2c_non_utf8_neighbour_field() {
    let server = TestServer::start().await;
    let request = Request::builder()
        .method(Method::GET)
        .uri(format!("http://{}/", server.addr))
        .version(Version::HTTP_2)
        .header(
            COOKIE,
            HeaderValue::from_bytes(b"city=Z\xfcrich; note=caf\xc3\xa9").unwrap(),
        )
        .header(COOKIE, CONSENT)
        .body(Full::new(Bytes::new()))
        .expect("valid request");
    let (head, _) = send_request(server.addr, Proto::H2c, request).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(header(&head.headers, "x-cookie-fields"), "2");
    assert_eq!(header(&head.headers, "x-decided"), "true");
    assert_eq!(set_cookies(&head.headers), KEPT_WITH_CONSENT);
    server.stop().await;
}
