//! The end-to-end load-test server of `scripts/load.sh`: an axum hello-world that sets two
//! cookies, with or without the consent layer, or behind `tower-cookies` for reference.
//!
//! ```text
//! cargo run --release --example hello -- 127.0.0.1:3101 off            # no layer
//! cargo run --release --example hello -- 127.0.0.1:3102 on             # CookieConsentLayer
//! cargo run --release --example hello -- 127.0.0.1:3103 tower-cookies  # CookieManagerLayer
//! ```
//!
//! The `tower-cookies` server is the reference of issue 7: the cost people already accept for
//! cookie middleware. Its handler reads one cookie through `tower_cookies::Cookies` and sets
//! the same two `Set-Cookie` fields the same way, so all three answer the same bytes.
//!
//! One runtime worker thread, so that the server and the load generator can each have a
//! core of a small machine. It serves until killed.

use axum::http::header::SET_COOKIE;
use axum::response::AppendHeaders;
use axum::routing::get;
use axum::Router;
use tower_cookie_consent::{CookieConsentLayer, Declaration, Registry};
use tower_cookies::{CookieManagerLayer, Cookies};

type Hello = (
    AppendHeaders<[(axum::http::HeaderName, &'static str); 2]>,
    &'static str,
);

async fn hello() -> Hello {
    (
        AppendHeaders([
            (
                SET_COOKIE,
                "sessionid=k3v9q8w7e6r5t4y3u2i1o0p9a8s7d6f5; Path=/; HttpOnly; SameSite=Lax",
            ),
            (
                SET_COOKIE,
                "_ga=GA1.1.1234567890.1735689600; Max-Age=63072000; Path=/",
            ),
        ]),
        "Hello, world!",
    )
}

/// [`hello`] behind `CookieManagerLayer`, reading the visitor's session cookie.
async fn hello_tower_cookies(cookies: Cookies) -> Hello {
    std::hint::black_box(cookies.get("sessionid"));
    hello().await
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Off,
    On,
    TowerCookies,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3101".to_owned());
    let (mode, name) = match args.next().as_deref() {
        Some("on") => (Mode::On, "layer on"),
        Some("off") | None => (Mode::Off, "layer off"),
        Some("tower-cookies") => (Mode::TowerCookies, "tower-cookies"),
        Some(other) => {
            return Err(format!("expected `on`, `off` or `tower-cookies`, got {other:?}").into())
        }
    };

    let app = match mode {
        Mode::TowerCookies => Router::new()
            .route("/", get(hello_tower_cookies))
            .layer(CookieManagerLayer::new()),
        Mode::Off | Mode::On => Router::new().route("/", get(hello)),
    };
    let app = if mode == Mode::On {
        let registry = Registry::builder()
            .default_categories()
            .cookie(Declaration::exact("sessionid").category("necessary"))
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
            .build()?;
        app.layer(CookieConsentLayer::new(registry)?)
    } else {
        app
    };

    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            eprintln!("hello: listening on http://{addr} ({name})");
            axum::serve(listener, app).await?;
            Ok(())
        })
}
