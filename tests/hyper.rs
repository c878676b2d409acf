//! The layer in a plain hyper 1 server: a `tower::ServiceBuilder` stack turned into a hyper
//! service by hyper-util's `TowerToHyperService`, served by hyper-util's auto builder
//! (HTTP/1.1 and h2c) over real TCP on `127.0.0.1:0`, hit by hyper's client.
//!
//! The stack has a cookie-setting layer *inside* the consent layer, as a session or CSRF
//! layer would be: its `Set-Cookie` values are judged like the handler's.

mod http_common;

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceBuilder;
use tower_cookie_consent::ConsentDecision;

use http_common::{consent_layer, send, set_cookies, Proto, CONSENT};

/// Set by the inner "session" layer on every response.
const SESSION: &str = "sessionid=s3cr3t; HttpOnly; Path=/";
/// Set by the inner "session" layer too, but a tracker: statistics.
const TRACKER: &str = "_ga=GA1.1.123.456; Path=/; Max-Age=63072000";

/// Set by the handler.
const HANDLER_COOKIES: [&str; 3] = [
    "lang=fr; Path=/",       // functional
    "_fbp=fb.1.1.1; Path=/", // marketing
    "promo_seen=1",          // unknown
];

/// Echoes the body, reports what the layer decided (read from the request extensions: no
/// framework needed) and sets [`HANDLER_COOKIES`]. `/status/<code>` answers with that status.
async fn handler(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let decision = request.extensions().get::<ConsentDecision>().cloned();
    let status = request
        .uri()
        .path()
        .strip_prefix("/status/")
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    let cookie_fields = request.headers().get_all(COOKIE).iter().count();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut response = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/octet-stream")
        .header("x-cookie-fields", cookie_fields)
        .header(
            "x-decision",
            match &decision {
                None => "missing",
                Some(d) if !d.is_decided() => "undecided",
                Some(d) if d.allows_cookie("lang") => "lang allowed",
                Some(_) => "lang refused",
            },
        );
    for set_cookie in HANDLER_COOKIES {
        response = response.header(SET_COOKIE, set_cookie);
    }
    Ok(response.body(Full::new(body)).expect("valid response"))
}

/// A hyper server task on `127.0.0.1:<ephemeral>`. Its connections live in a `JoinSet`
/// owned by the accept task, so aborting the accept task drops (and aborts) them all.
struct TestServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl TestServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");

        // Layers listed first are outermost: the consent layer wraps the "session" layer.
        let service = ServiceBuilder::new()
            .layer(consent_layer())
            .map_response(|mut response: Response<Full<Bytes>>| {
                let headers = response.headers_mut();
                headers.append(SET_COOKIE, HeaderValue::from_static(SESSION));
                headers.append(SET_COOKIE, HeaderValue::from_static(TRACKER));
                response
            })
            .service_fn(handler);

        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = TowerToHyperService::new(service.clone());
                connections.spawn(async move {
                    // Errors are a client going away; the test asserts on what it received.
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, task }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A body large enough to span many HTTP/2 DATA frames and flow-control windows.
fn big_body() -> Bytes {
    (0..256 * 1024).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn consent_granted_over_http1_and_h2c() {
    let server = TestServer::start().await;
    let cookie_line = format!("theme=dark; {CONSENT}");
    for proto in [Proto::Http1, Proto::H2c] {
        // Over h2c the consent travels in a `cookie` field of its own, after another one.
        let headers: &[(&str, &str)] = match proto {
            Proto::Http1 => &[("cookie", &cookie_line)],
            Proto::H2c => &[("cookie", "theme=dark"), ("cookie", CONSENT)],
        };
        let sent = big_body();
        let (head, body) = send(server.addr, proto, Method::POST, "/", headers, sent.clone()).await;
        assert_eq!(head.status, StatusCode::OK, "{proto:?}");
        assert_eq!(
            head.headers["x-cookie-fields"],
            if proto == Proto::H2c { "2" } else { "1" },
            "{proto:?}"
        );
        assert_eq!(head.headers["x-decision"], "lang allowed", "{proto:?}");
        // The handler's functional cookie, then the session layer's necessary one; the
        // marketing, unknown and refused statistics cookies are gone.
        assert_eq!(
            set_cookies(&head.headers),
            ["lang=fr; Path=/", SESSION],
            "{proto:?}"
        );
        assert_eq!(head.headers[CONTENT_TYPE], "application/octet-stream");
        assert_eq!(body.len(), sent.len(), "{proto:?}");
        assert!(body == sent, "{proto:?}: the body changed on its way");
    }
}

#[tokio::test]
async fn undecided_and_refusing_visitors() {
    let server = TestServer::start().await;
    for proto in [Proto::Http1, Proto::H2c] {
        let (head, _) = send(server.addr, proto, Method::GET, "/", &[], Bytes::new()).await;
        assert_eq!(head.headers["x-decision"], "undecided", "{proto:?}");
        assert_eq!(set_cookies(&head.headers), [SESSION], "{proto:?}");

        // Everything refused (`{"functional":false}`): same result, decided this time.
        let (head, _) = send(
            server.addr,
            proto,
            Method::GET,
            "/",
            &[(
                "cookie",
                "cookies_preferences=%7B%22functional%22%3Afalse%7D",
            )],
            Bytes::new(),
        )
        .await;
        assert_eq!(head.headers["x-decision"], "lang refused", "{proto:?}");
        assert_eq!(set_cookies(&head.headers), [SESSION], "{proto:?}");
    }
}

#[tokio::test]
async fn every_status_and_head_are_filtered() {
    let server = TestServer::start().await;
    for proto in [Proto::Http1, Proto::H2c] {
        for path in ["/status/304", "/status/302", "/status/404", "/status/500"] {
            let (head, _) = send(
                server.addr,
                proto,
                Method::GET,
                path,
                &[("cookie", CONSENT)],
                Bytes::new(),
            )
            .await;
            assert_eq!(head.status.as_str(), &path["/status/".len()..], "{proto:?}");
            assert_eq!(
                set_cookies(&head.headers),
                ["lang=fr; Path=/", SESSION],
                "{path} {proto:?}"
            );
        }
        let (head, body) = send(
            server.addr,
            proto,
            Method::HEAD,
            "/",
            &[("cookie", CONSENT)],
            Bytes::new(),
        )
        .await;
        assert_eq!(head.status, StatusCode::OK, "{proto:?}");
        assert_eq!(
            set_cookies(&head.headers),
            ["lang=fr; Path=/", SESSION],
            "HEAD {proto:?}"
        );
        assert!(body.is_empty(), "HEAD {proto:?}");
    }
}
