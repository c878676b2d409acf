//! Cookie consent enforced in an axum 0.8 application.
//!
//! ```text
//! cargo run --example axum            # listens on 127.0.0.1:3000
//! ADDR=127.0.0.1:8080 cargo run --example axum
//! ```
//!
//! The page tries to set five cookies; the layer lets through only those the visitor's
//! `cookies_preferences` cookie allows. The commands to try are printed at start-up.

use std::net::SocketAddr;

use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::get;
use axum::{Extension, Router};
use tower_cookie_consent::{ConsentDecision, CookieConsentLayer, Declaration, Registry};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The site's cookie policy: which cookie belongs to which consent category.
    let registry = Registry::builder()
        .default_categories() // necessary, functional, statistics, marketing
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
        .build()?;

    let app = Router::new()
        .route("/", get(page))
        // `Router::layer` wraps what was added before it: add the consent layer last, so that
        // it is outside every layer that can set cookies (sessions, CSRF, error handlers).
        .layer(CookieConsentLayer::new(registry)?);

    let addr: SocketAddr = std::env::var("ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3000".to_owned())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    println!();
    println!("undecided visitor (only `sessionid` comes back):");
    println!("  curl -si http://{addr}/");
    println!("statistics granted, marketing refused (`sessionid`, `_ga` and `_ga_X1` come back):");
    println!(
        "  curl -si -H 'Cookie: cookies_preferences=%7B%22statistics%22%3Atrue%2C%22marketing%22%3Afalse%7D' http://{addr}/"
    );
    println!("the same over HTTP/2 (h2c), the consent in a cookie field of its own:");
    println!(
        "  curl -si --http2-prior-knowledge -H 'Cookie: theme=dark' -H 'Cookie: cookies_preferences=%7B%22statistics%22%3Atrue%7D' http://{addr}/"
    );

    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Sets every cookie it would like to, and tells the visitor what the layer decided.
///
/// The decision is in the request extensions; `Extension` reads it without any crate
/// feature (with the `axum` feature, `ConsentDecision` is an extractor by itself).
async fn page(Extension(decision): Extension<ConsentDecision>) -> impl IntoResponse {
    let text = if !decision.is_decided() {
        "No consent yet: a banner would be shown here. Only strictly necessary cookies are set.\n"
            .to_owned()
    } else {
        format!(
            "Thanks for choosing. Statistics: {}, marketing: {}.\n",
            allowed(decision.allows_category("statistics")),
            allowed(decision.allows_category("marketing")),
        )
    };
    // The handler does not need to check anything: the layer strips what is not allowed.
    (
        AppendHeaders([
            (
                SET_COOKIE,
                "sessionid=s3cr3t; HttpOnly; Path=/; SameSite=Lax",
            ),
            (SET_COOKIE, "lang=en; Path=/; Max-Age=31536000"),
            (SET_COOKIE, "_ga=GA1.1.123.456; Path=/; Max-Age=63072000"),
            (SET_COOKIE, "_ga_X1=GS1.1.1.1; Path=/; Max-Age=63072000"),
            (SET_COOKIE, "_fbp=fb.1.123.456; Path=/; Max-Age=7776000"),
        ]),
        text,
    )
}

fn allowed(yes: bool) -> &'static str {
    if yes {
        "allowed"
    } else {
        "not allowed"
    }
}
