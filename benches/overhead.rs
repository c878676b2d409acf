//! `overhead/<scenario>/{passthrough,consent,tower_cookies}`: the cost of the layer around one
//! request, against the same inner service alone and behind tower-cookies'
//! `CookieManagerLayer` (whose handler reads one cookie: the cost people already accept for
//! cookie middleware). Issue 7.
//!
//! The inner services answer at once, so each call is driven by polling its future once with
//! a no-op waker: no runtime is measured. Building the request (and its `HeaderMap`) is
//! outside the timed part (`iter_batched`); building the response is inside, the same for
//! all three.

#![allow(missing_docs)] // criterion_group! makes public functions

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{criterion_group, BatchSize, Criterion};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use tower::{service_fn, Layer, Service};
use tower_cookie_consent::{CookieConsentLayer, Registry};
use tower_cookies::{CookieManagerLayer, Cookies};

/// Polls a future that is ready at once.
fn now_or_never<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the bench services answer at once"),
    }
}

/// `poll_ready` then `call`, as a server does.
fn serve<S>(svc: &mut S, request: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    match svc.poll_ready(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(())) => {}
        _ => unreachable!("the bench services are always ready"),
    }
    match now_or_never(svc.call(request)) {
        Ok(response) => response,
    }
}

fn response(set_cookies: &'static [&'static str]) -> Response<()> {
    let mut response = Response::new(());
    for v in set_cookies {
        response
            .headers_mut()
            .append(SET_COOKIE, HeaderValue::from_static(v));
    }
    response
}

struct Scenario {
    name: &'static str,
    registry: fn() -> Registry,
    cookie: Option<String>,
    set_cookies: &'static [&'static str],
    removed: usize,
}

fn bench_scenario(c: &mut Criterion, s: Scenario) {
    let set_cookies = s.set_cookies;
    let cookie = s.cookie.map(|c| HeaderValue::from_str(&c).unwrap());
    let request = move || {
        let mut builder = Request::builder().uri("/");
        if let Some(c) = &cookie {
            builder = builder.header(COOKIE, c.clone());
        }
        builder.body(()).unwrap()
    };

    let mut passthrough =
        service_fn(
            move |_req: Request<()>| async move { Ok::<_, Infallible>(response(set_cookies)) },
        );
    let mut consent = CookieConsentLayer::new((s.registry)())
        .unwrap()
        .layer(passthrough);
    // Extra id: the layer with withdrawal off (no deletions of stored refused cookies, no
    // `Vary: Cookie`), to show what the consent read and the filter cost alone.
    let mut consent_no_withdrawal = CookieConsentLayer::builder((s.registry)())
        .delete_refused(false)
        .vary_cookie(false)
        .build()
        .unwrap()
        .layer(passthrough);
    // Extra id: the default layer without the `ConsentDecision` request extension
    // (`decision_extension(false)`: enforcement only, no allocation for the decision).
    let mut consent_no_decision = CookieConsentLayer::builder((s.registry)())
        .decision_extension(false)
        .build()
        .unwrap()
        .layer(passthrough);
    let mut tower_cookies =
        CookieManagerLayer::new().layer(service_fn(move |req: Request<()>| async move {
            let cookies = req
                .extensions()
                .get::<Cookies>()
                .expect("CookieManagerLayer");
            std::hint::black_box(cookies.get("sessionid"));
            Ok::<_, Infallible>(response(set_cookies))
        }));

    // The scenario is what it says before anything is timed.
    // The layer runs with its defaults: withdrawal may append deletions of refused cookies
    // the visitor still holds (`_fbp` in the typical request), which are not counted here.
    let response = serve(&mut consent, request());
    let kept = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter(|v| set_cookies.iter().any(|s| v.as_bytes() == s.as_bytes()))
        .count();
    assert_eq!(kept, set_cookies.len() - s.removed, "{}", s.name);
    assert_eq!(
        serve(&mut tower_cookies, request())
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .count(),
        set_cookies.len()
    );

    // Count mode (see `main`): run one function `n` times, no criterion.
    if let Some((id, n)) = count_mode() {
        let run = |f: &mut dyn FnMut(Request<()>) -> Response<()>| {
            for _ in 0..n {
                std::hint::black_box(f(request()));
            }
        };
        match id.strip_prefix(&format!("overhead/{}/", s.name)) {
            Some("passthrough") => run(&mut |r| serve(&mut passthrough, r)),
            Some("consent") => run(&mut |r| serve(&mut consent, r)),
            Some("tower_cookies") => run(&mut |r| serve(&mut tower_cookies, r)),
            Some("consent_no_withdrawal") => run(&mut |r| serve(&mut consent_no_withdrawal, r)),
            Some("consent_no_decision") => run(&mut |r| serve(&mut consent_no_decision, r)),
            _ => {}
        }
        return;
    }

    let mut group = c.benchmark_group(format!("overhead/{}", s.name));
    group.bench_function("passthrough", |b| {
        b.iter_batched(
            &request,
            |r| serve(&mut passthrough, r),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("consent", |b| {
        b.iter_batched(&request, |r| serve(&mut consent, r), BatchSize::SmallInput)
    });
    group.bench_function("consent_no_withdrawal", |b| {
        b.iter_batched(
            &request,
            |r| serve(&mut consent_no_withdrawal, r),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("consent_no_decision", |b| {
        b.iter_batched(
            &request,
            |r| serve(&mut consent_no_decision, r),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("tower_cookies", |b| {
        b.iter_batched(
            &request,
            |r| serve(&mut tower_cookies, r),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn overhead(c: &mut Criterion) {
    let typical = common::typical_cookie_header();
    bench_scenario(
        c,
        Scenario {
            name: "typical",
            registry: common::typical_registry,
            cookie: Some(typical.clone()),
            set_cookies: &common::TYPICAL_SET_COOKIES,
            removed: 2,
        },
    );
    bench_scenario(
        c,
        Scenario {
            name: "nothing_to_do",
            registry: common::typical_registry,
            cookie: None,
            set_cookies: &[],
            removed: 0,
        },
    );
    bench_scenario(
        c,
        Scenario {
            name: "all_allowed",
            registry: common::typical_registry,
            cookie: Some(typical.clone()),
            set_cookies: &common::ALLOWED_SET_COOKIES,
            removed: 0,
        },
    );
    bench_scenario(
        c,
        Scenario {
            name: "large_registry",
            registry: common::large_registry,
            cookie: Some(typical),
            set_cookies: &common::TYPICAL_SET_COOKIES,
            removed: 2,
        },
    );
}

/// `OVERHEAD_COUNT=<id>:<n>`: instead of benchmarking, serve `n` requests through the
/// function `<id>` (for example `overhead/typical/consent:1000`) and exit. Run under
/// `valgrind --tool=callgrind` with `n` and `0`, the difference divided by `n` is the
/// instructions per request: a figure that other jobs on the machine cannot disturb.
fn count_mode() -> Option<(String, u64)> {
    let spec = std::env::var("OVERHEAD_COUNT").ok()?;
    let (id, n) = spec.rsplit_once(':')?;
    Some((id.to_owned(), n.parse().ok()?))
}

criterion_group!(benches, overhead);

fn main() {
    if count_mode().is_some() {
        overhead(&mut Criterion::default());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
