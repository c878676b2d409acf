//! Helpers shared by the integration tests that run the layer behind a real server over TCP
//! (`axum`, `hyper`, `tonic`) and by `tower_mock`: the consent cookie they send, a bound on
//! every await, a small registry, and a hyper client for HTTP/1.1 and h2c.

#![allow(dead_code)] // Each test binary uses some of them.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HOST, SET_COOKIE};
use http::{HeaderMap, Method, Request, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tower_cookie_consent::{CookieConsentLayer, Declaration, Registry};

/// `{"functional":true,"statistics":false}` (marketing: no decision), percent-encoded as
/// `encodeURIComponent` writes it.
pub(crate) const CONSENT: &str =
    "cookies_preferences=%7B%22functional%22%3Atrue%2C%22statistics%22%3Afalse%7D";

/// A layer over the default categories with `sessionid` (necessary), `lang` (functional),
/// `_ga` (statistics, service `ga`) and `_fbp` (marketing).
pub(crate) fn consent_layer() -> CookieConsentLayer {
    let registry = Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("lang").category("functional"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(Declaration::exact("_fbp").category("marketing"))
        .build()
        .expect("valid registry");
    CookieConsentLayer::new(registry).expect("valid layer")
}

/// Every network step is bounded: a hang fails the test instead of stalling the run.
pub(crate) async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Http1,
    /// HTTP/2 over cleartext TCP, prior knowledge (no upgrade).
    H2c,
}

/// Sends one request on a fresh connection; returns the response head and the whole body.
pub(crate) async fn send(
    addr: SocketAddr,
    proto: Proto,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> (http::response::Parts, Bytes) {
    let mut request = Request::builder().method(method);
    request = match proto {
        Proto::Http1 => request
            .uri(path)
            .version(Version::HTTP_11)
            .header(HOST, addr.to_string()),
        Proto::H2c => request
            .uri(format!("http://{addr}{path}"))
            .version(Version::HTTP_2),
    };
    for (name, value) in headers {
        // `header` appends: a repeated name makes separate fields.
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body)).expect("valid request");
    send_request(addr, proto, request).await
}

/// Sends `request` on a fresh connection of `proto`; returns the response head and the
/// whole body, and asserts that `proto` was the protocol used.
pub(crate) async fn send_request(
    addr: SocketAddr,
    proto: Proto,
    request: Request<Full<Bytes>>,
) -> (http::response::Parts, Bytes) {
    let stream = bounded(TcpStream::connect(addr)).await.expect("connect");
    let io = TokioIo::new(stream);
    let (response, connection) = match proto {
        Proto::Http1 => {
            let (mut sender, connection) = bounded(hyper::client::conn::http1::handshake(io))
                .await
                .expect("h1 handshake");
            let connection = tokio::spawn(connection);
            (bounded(sender.send_request(request)).await, connection)
        }
        Proto::H2c => {
            let (mut sender, connection) = bounded(hyper::client::conn::http2::handshake(
                TokioExecutor::new(),
                io,
            ))
            .await
            .expect("h2 handshake");
            let connection = tokio::spawn(connection);
            (bounded(sender.send_request(request)).await, connection)
        }
    };
    let response = response.expect("response");
    let (parts, body) = response.into_parts();
    let body = bounded(body.collect()).await.expect("body").to_bytes();
    // The sender is gone: the connection closes; do not leave its task behind.
    connection.abort();
    let expected = match proto {
        Proto::Http1 => Version::HTTP_11,
        Proto::H2c => Version::HTTP_2,
    };
    assert_eq!(
        parts.version, expected,
        "the protocol under test was not used"
    );
    (parts, body)
}

/// The `Set-Cookie` values of `headers`, in order.
pub(crate) fn set_cookies(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii set-cookie"))
        .collect()
}
