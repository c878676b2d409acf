//! Cookie consent enforced in a plain hyper 1 server: a `tower::ServiceBuilder` stack served
//! through hyper-util's `TowerToHyperService`, HTTP/1.1 and HTTP/2 (h2c) on the same port.
//!
//! ```text
//! cargo run --example hyper            # listens on 127.0.0.1:3001
//! ADDR=127.0.0.1:8080 cargo run --example hyper
//! ```
//!
//! The commands to try are printed at start-up.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use tower_cookie_consent::{ConsentDecision, CookieConsentLayer, Declaration, Registry};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::builder()
        .default_categories() // necessary, functional, statistics, marketing
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::pattern("_pk_id.*")
                .category("statistics")
                .service("matomo"),
        )
        .cookie(
            Declaration::pattern("_pk_ses.*")
                .category("statistics")
                .service("matomo"),
        )
        .build()?;

    // With `ServiceBuilder` the first layer listed is the outermost: list the consent layer
    // before anything that sets cookies. Here a stand-in for a session layer sets `sessionid`.
    let service = ServiceBuilder::new()
        .layer(CookieConsentLayer::new(registry)?)
        .map_response(|mut response: Response<Full<Bytes>>| {
            response.headers_mut().append(
                SET_COOKIE,
                HeaderValue::from_static("sessionid=s3cr3t; HttpOnly; Path=/"),
            );
            response
        })
        .service_fn(handler);

    let addr: SocketAddr = std::env::var("ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3001".to_owned())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    println!();
    println!("undecided visitor (only `sessionid` comes back):");
    println!("  curl -si http://{addr}/");
    println!("Matomo granted by its service id (the `_pk_*` cookies come back):");
    println!(
        "  curl -si -H 'Cookie: cookies_preferences=%7B%22matomo%22%3Atrue%7D' http://{addr}/"
    );
    println!("the same over HTTP/2 (h2c):");
    println!(
        "  curl -si --http2-prior-knowledge -H 'Cookie: cookies_preferences=%7B%22matomo%22%3Atrue%7D' http://{addr}/"
    );

    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        // hyper-util clones the service for each connection; the clone shares the layer's
        // configuration (one `Arc` increment).
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            // The auto builder speaks HTTP/1.1, and HTTP/2 when the client starts with the
            // HTTP/2 preface (prior knowledge).
            if let Err(error) = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {error}");
            }
        });
    }
}

/// Sets the analytics cookies unconditionally: the layer decides whether they reach the
/// browser. The decision is also in the request extensions, for handlers that want it.
async fn handler(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = match request.extensions().get::<ConsentDecision>() {
        Some(decision) if decision.allows_service("matomo") => "Matomo is on.\n",
        Some(decision) if !decision.is_decided() => "No consent yet: show the banner.\n",
        _ => "Matomo is off.\n",
    };
    let response = Response::builder()
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(
            SET_COOKIE,
            "_pk_id.1.1fff=0123456789abcdef.1735689600.; Path=/; Max-Age=33696000",
        )
        .header(SET_COOKIE, "_pk_ses.1.1fff=1; Path=/; Max-Age=1800")
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .expect("valid response");
    Ok(response)
}
