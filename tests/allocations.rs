//! Heap allocations on the request path, counted by a counting global allocator
//! (`allocation-counter`'s, which replaces `#[global_allocator]` for this test binary and
//! counts **per thread**, so tests running in parallel do not disturb each other's counts).
//!
//! Issue 7's targets: reading consent and filtering `Set-Cookie` allocate nothing when
//! nothing is removed; removing values, and inserting the [`ConsentDecision`] into the
//! request extensions, cost a small fixed number of allocations, stated and asserted here.
//!
//! Every measured call runs once before it is measured: the first search of a compiled
//! pattern set fills a per-thread regex cache, which is start-up, not per-request, cost.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use allocation_counter::{measure, AllocationInfo};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, Response};
use tower::{service_fn, Layer, Service};
use tower_cookie_consent::{ConsentDecision, CookieConsentLayer, Declaration, Enforcer, Registry};

/// Allocations the layer adds to a request by inserting its [`ConsentDecision`] into
/// request extensions that were empty: `http::Extensions` boxes its map (1), the map
/// allocates its table (1), and the value is boxed (1).
const DECISION_INSERT_ALLOCATIONS: u64 = 3;

/// Allocations a filter pass that removes `Set-Cookie` values makes when it keeps at most 16
/// of them: none (the kept values wait on the stack while the field is rebuilt, and the
/// `HeaderMap` keeps its capacity). Past 16 kept values, the others spill into one `Vec`.
const REMOVAL_ALLOCATIONS: u64 = 0;

/// Allocations added by withdrawal (on by default) for one stored refused cookie: the list
/// of deletions (1). The deletion itself (an exact declaration, host-only) was built with the
/// layer and is shared; the request's `Cookie` field is not kept, since the reader reads one
/// consent cookie only (measured with http 1.5; the response map had room for the deletion
/// and `Vary`).
const WITHDRAWAL_ALLOCATIONS: u64 = 1;

fn registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("csrftoken").category("necessary"))
        .cookie(Declaration::exact("lang").category("functional"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::exact("_gid")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::prefix("_ga_")
                .category("statistics")
                .service("ga"),
        )
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
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("meta_pixel"),
        )
        .cookie(
            Declaration::prefix("_hjSession")
                .category("statistics")
                .service("hotjar"),
        )
        .build()
        .unwrap()
}

fn enforcer() -> Arc<Enforcer> {
    Arc::new(
        CookieConsentLayer::builder(registry())
            .build_enforcer()
            .unwrap(),
    )
}

/// A `Cookie` field of 12 pairs, the consent cookie (statistics granted, marketing refused,
/// recorded an hour ago) last.
fn cookie_header() -> HeaderValue {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        - 3_600_000;
    HeaderValue::from_str(&format!(
        "sessionid=k3v9q8w7e6r5; csrftoken=Qm9iY2F0X2NzcmZf; _ga=GA1.1.1234567890.1735689600; \
         _ga_ABCDEF1234=GS1.1.1735689600.5.1.1735690000.0.0.0; _gid=GA1.2.987654321.1735689600; \
         _fbp=fb.1.1735689600000.1234567890; _pk_id.1.a1b2=0123456789abcdef.1735689600.; \
         _hjSessionUser_123456=eyJpZCI6IjAxMjM0NTY3In0=; __cf_bm=Hx2b9kLmN4pQ7rStUvWxYz; \
         intercom-id-abc123=0f1e2d3c-4b5a; lang=fr; \
         cookies_preferences=%7B%22functional%22%3Atrue%2C%22statistics%22%3Atrue%2C%22marketing%22%3Afalse%2C%22timestamp%22%3A{ms}%7D"
    ))
    .unwrap()
}

fn request_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, cookie_header());
    headers
}

/// Five `Set-Cookie` values, all allowed by the consent of [`cookie_header`] (one of them a
/// glob match, one a field with a comma in `Expires`).
const ALLOWED: [&str; 5] = [
    "sessionid=k3v9q8w7e6r5; Path=/; HttpOnly; Secure; SameSite=Lax",
    "_gid=GA1.2.987654321.1735689600; Max-Age=86400; Path=/",
    "_ga=GA1.1.1234567890.1735689600; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Path=/",
    "_pk_id.1.a1b2=0123456789abcdef.1735689600.; Max-Age=33696000; Path=/",
    "lang=fr; Max-Age=31536000; Path=/",
];

/// Five `Set-Cookie` values of which the 2nd (marketing, refused) and the 4th (undeclared)
/// are removed.
const TWO_REMOVED: [&str; 5] = [
    "sessionid=k3v9q8w7e6r5; Path=/; HttpOnly; Secure; SameSite=Lax",
    "_fbp=fb.1.1735689600000.1234567890; Max-Age=7776000; Path=/",
    "_ga=GA1.1.1234567890.1735689600; Expires=Tue, 22 Jun 2027 10:00:00 GMT; Path=/",
    "promo_seen=1; Path=/",
    "csrftoken=Qm9iY2F0X2NzcmZf; Max-Age=31449600; Path=/",
];

fn response_headers(values: &[&'static str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for v in values {
        headers.append(SET_COOKIE, HeaderValue::from_static(v));
    }
    headers
}

/// Runs `f` once to warm up, then measures a second run.
fn measure_warm(mut f: impl FnMut()) -> AllocationInfo {
    f();
    measure(f)
}

#[test]
fn the_counter_counts_this_thread() {
    let info = measure(|| {
        black_box(Box::new(black_box(7u64)));
    });
    assert_eq!(
        info.count_total, 1,
        "the counting allocator is not installed"
    );
}

#[test]
fn reading_consent_allocates_nothing() {
    let enforcer = enforcer();
    let headers = request_headers();
    let statistics = enforcer.registry().category_id("statistics").unwrap();
    let mut granted = false;
    let info = measure_warm(|| {
        granted =
            black_box(enforcer.read_consent(black_box(&headers))).is_category_granted(statistics);
    });
    assert!(granted, "the consent cookie was read");
    assert_eq!(info.count_total, 0, "{info:?}");

    let empty = HeaderMap::new();
    let info = measure_warm(|| {
        black_box(enforcer.read_consent(black_box(&empty)));
    });
    assert_eq!(info.count_total, 0, "{info:?}");
}

#[test]
fn filtering_allocates_nothing_when_nothing_is_removed() {
    let enforcer = enforcer();
    let consent = enforcer.read_consent(&request_headers());
    let mut headers = response_headers(&ALLOWED);
    let mut removed = usize::MAX;
    let info = measure_warm(|| removed = enforcer.filter(&mut headers, &consent).removed);
    assert_eq!(removed, 0);
    assert_eq!(headers.get_all(SET_COOKIE).iter().count(), 5);
    assert_eq!(info.count_total, 0, "{info:?}");

    let mut no_set_cookie = HeaderMap::new();
    let info = measure_warm(|| removed = enforcer.filter(&mut no_set_cookie, &consent).removed);
    assert_eq!(removed, 0);
    assert_eq!(info.count_total, 0, "{info:?}");
}

#[test]
fn filtering_that_removes_values_allocates_the_stated_bound() {
    let enforcer = enforcer();
    let consent = enforcer.read_consent(&request_headers());
    // Warm the pattern cache on a copy: the measured headers must still hold all five.
    enforcer.filter(&mut response_headers(&TWO_REMOVED), &consent);
    let mut headers = response_headers(&TWO_REMOVED);
    let mut removed = 0;
    let info = measure(|| removed = enforcer.filter(&mut headers, &consent).removed);
    assert_eq!(removed, 2);
    let left: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
    assert_eq!(left, [TWO_REMOVED[0], TWO_REMOVED[2], TWO_REMOVED[4]]);
    assert_eq!(info.count_total, REMOVAL_ALLOCATIONS, "{info:?}");
    assert_eq!(info.count_current, 0, "nothing is left allocated: {info:?}");
}

#[test]
fn keeping_more_than_sixteen_values_spills_into_one_growing_buffer() {
    let enforcer = enforcer();
    let consent = enforcer.read_consent(&request_headers());
    // 40 values: 8 rounds of the five, 24 kept (16 on the stack, 8 spilled).
    let many: Vec<&'static str> = TWO_REMOVED.iter().copied().cycle().take(40).collect();
    enforcer.filter(&mut response_headers(&many), &consent);
    let mut headers = response_headers(&many);
    let mut removed = 0;
    let info = measure(|| removed = enforcer.filter(&mut headers, &consent).removed);
    assert_eq!(removed, 16);
    let left: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
    let expected: Vec<_> = many
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 != 1 && i % 5 != 3)
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(left, expected, "kept values stay in their order");
    // 8 spilled values: a `Vec` of capacity 4, grown once to 8.
    assert!(info.count_total <= 2, "{info:?}");
    assert_eq!(info.count_current, 0, "nothing is left allocated: {info:?}");
}

/// Polls a future that is ready at once.
fn now_or_never<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the test services answer at once"),
    }
}

fn serve<S>(svc: &mut S, request: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    assert!(svc
        .poll_ready(&mut Context::from_waker(Waker::noop()))
        .is_ready());
    match now_or_never(svc.call(request)) {
        Ok(response) => response,
    }
}

/// Allocations of one call through the layer minus those of the same call to the inner
/// service alone (which builds the response), the request built outside the measurement.
fn layer_allocations(
    layer: CookieConsentLayer,
    cookie: Option<HeaderValue>,
    set_cookies: &'static [&'static str],
    kept: usize,
) -> u64 {
    let inner = service_fn(move |request: Request<()>| async move {
        // The inner service sees the decision when the layer is there.
        black_box(request.extensions().get::<ConsentDecision>());
        drop(request);
        let mut response = Response::new(());
        *response.headers_mut() = response_headers(set_cookies);
        Ok::<_, Infallible>(response)
    });
    let request = || {
        let mut r = Request::new(());
        if let Some(c) = &cookie {
            r.headers_mut().insert(COOKIE, c.clone());
        }
        r
    };
    let mut bare = inner;
    let mut layered = layer.layer(inner);

    let measure_call = |svc: &mut dyn FnMut(Request<()>) -> Response<()>, kept: usize| {
        svc(request()); // warm-up
        let r = request();
        let mut out = None;
        let info = measure(|| out = Some(svc(r)));
        assert_eq!(
            out.unwrap().headers().get_all(SET_COOKIE).iter().count(),
            kept
        );
        info.count_total
    };
    let bare_count = measure_call(&mut |r| serve(&mut bare, r), set_cookies.len());
    let layered_count = measure_call(&mut |r| serve(&mut layered, r), kept);
    assert!(layered_count >= bare_count);
    layered_count - bare_count
}

/// The layer without withdrawal (no deletions of stored refused cookies, no `Vary`), so
/// that only the consent decision and the filter are measured.
fn layer_without_withdrawal() -> CookieConsentLayer {
    CookieConsentLayer::builder(registry())
        .delete_refused(false)
        .vary_cookie(false)
        .build()
        .unwrap()
}

#[test]
fn the_layer_adds_only_the_decision_insert_when_nothing_is_removed() {
    // No `Cookie`, no `Set-Cookie`.
    assert_eq!(
        layer_allocations(CookieConsentLayer::new(registry()).unwrap(), None, &[], 0),
        DECISION_INSERT_ALLOCATIONS
    );
    // A consent cookie and five `Set-Cookie`, all allowed.
    assert_eq!(
        layer_allocations(
            layer_without_withdrawal(),
            Some(cookie_header()),
            &ALLOWED,
            5
        ),
        DECISION_INSERT_ALLOCATIONS
    );
}

#[test]
fn the_layer_adds_only_the_decision_insert_when_values_are_removed() {
    let added = layer_allocations(
        layer_without_withdrawal(),
        Some(cookie_header()),
        &TWO_REMOVED,
        3,
    );
    assert_eq!(added, DECISION_INSERT_ALLOCATIONS + REMOVAL_ALLOCATIONS);
}

#[test]
fn without_the_decision_extension_the_layer_allocates_nothing_unless_it_deletes() {
    let enforce_only =
        |builder: tower_cookie_consent::Builder| builder.decision_extension(false).build().unwrap();
    // No `Cookie`, no `Set-Cookie`: the default layer, decision off.
    assert_eq!(
        layer_allocations(
            enforce_only(CookieConsentLayer::builder(registry())),
            None,
            &[],
            0
        ),
        0
    );
    // Two of five `Set-Cookie` removed, no withdrawal.
    assert_eq!(
        layer_allocations(
            enforce_only(
                CookieConsentLayer::builder(registry())
                    .delete_refused(false)
                    .vary_cookie(false)
            ),
            Some(cookie_header()),
            &TWO_REMOVED,
            3
        ),
        REMOVAL_ALLOCATIONS
    );
}

#[test]
fn withdrawal_allocates_the_deletions_it_appends() {
    // Default layer: the visitor refused marketing and still holds `_fbp`, so a deletion is
    // built for it, appended, and `Vary: Cookie` added.
    let added = layer_allocations(
        CookieConsentLayer::new(registry()).unwrap(),
        Some(cookie_header()),
        &TWO_REMOVED,
        4,
    );
    assert_eq!(added, DECISION_INSERT_ALLOCATIONS + WITHDRAWAL_ALLOCATIONS);
}
