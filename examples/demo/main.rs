//! A small open-data portal that enforces cookie consent on the server with
//! `tower-cookie-consent`.
//!
//! ```text
//! cargo run --example demo [-- --addr 127.0.0.1:3000] [--registry examples/registry.toml]
//! ```
//!
//! Open the printed URL. Every page tries to set necessary cookies, Google Analytics,
//! Matomo and Meta Pixel cookies, and one cookie declared nowhere; the consent layer lets
//! through only what the visitor's choice in the banner allows. `/consent-log` shows what
//! was removed and why; `/cookies-policy` lists the registry.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

mod app;

const USAGE: &str = "\
usage: demo [--addr HOST:PORT] [--registry FILE]

  --addr HOST:PORT   where to listen (default: $ADDR, else 127.0.0.1:3000)
  --registry FILE    load the cookie registry from a TOML or JSON file, such as
                     examples/registry.toml (default: the built-in opendatasoft +
                     common_trackers presets)";

struct Options {
    addr: SocketAddr,
    registry: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut addr = std::env::var("ADDR").ok();
    let mut registry = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--addr" => addr = Some(value("--addr")?),
            "--registry" => registry = Some(value("--registry")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let addr = addr.unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let addr = addr
        .parse()
        .map_err(|e| format!("invalid address `{addr}`: {e}"))?;
    Ok(Options { addr, registry })
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let registry = match app::load_registry(options.registry.as_deref().map(Path::new)) {
        Ok(registry) => registry,
        Err(e) => {
            eprintln!("error: cannot load the registry: {e}");
            return ExitCode::FAILURE;
        }
    };
    let router = match app::app(registry) {
        Ok(router) => router,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(options.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", options.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(options.addr);
    println!("Demo portal listening on http://{addr}/");
    if addr.ip().is_loopback() {
        println!(
            "Parent-domain cookies show up on http://www.demo.localhost:{}/ (browsers resolve *.localhost to this machine)",
            addr.port()
        );
    }
    println!("Press Ctrl-C to stop.");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
