//! The tower contract of `CookieConsent`, checked with `tower_test::mock`: readiness is the
//! inner service's readiness, inner errors pass through unchanged, and a clone shares the
//! enforcer instead of copying it.

mod http_common;

use std::fmt;
use std::sync::Arc;
use std::task::Poll;

use http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{Request, Response, StatusCode};
use tower_cookie_consent::{
    ConsentDecision, CookieConsent, CookieConsentLayer, Declaration, Registry,
};
use tower_layer::Layer;
use tower_test::mock;

use http_common::{bounded, CONSENT};

fn layer() -> CookieConsentLayer {
    let registry = Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(Declaration::exact("lang").category("functional"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .build()
        .expect("valid registry");
    CookieConsentLayer::new(registry).expect("valid layer")
}

type Req = Request<&'static str>;
type Res = Response<&'static str>;

/// An error with an identity, to recognise it on the far side of the layer.
#[derive(Debug, PartialEq, Eq)]
struct InnerError(u32);

impl fmt::Display for InnerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inner error #{}", self.0)
    }
}

impl std::error::Error for InnerError {}

#[tokio::test]
async fn poll_ready_is_the_inner_readiness() {
    let (mut service, mut handle) = mock::spawn_layer::<Req, Res, _>(layer());

    // Inner not ready: the layer is not ready either, and must not claim otherwise.
    handle.allow(0);
    assert!(service.poll_ready().is_pending());
    assert!(!service.is_woken());

    // Inner becomes ready: the waker the layer handed down is woken, and the layer is ready.
    handle.allow(1);
    assert!(service.is_woken(), "the inner waker was not registered");
    assert!(matches!(service.poll_ready(), Poll::Ready(Ok(()))));

    // The request goes through to the inner service, with the decision in its extensions.
    let response = service.call(
        Request::builder()
            .header(COOKIE, CONSENT)
            .body("hi")
            .unwrap(),
    );
    let (request, send) = bounded(handle.next_request()).await.expect("a request");
    assert_eq!(*request.body(), "hi");
    let decision = request
        .extensions()
        .get::<ConsentDecision>()
        .expect("the layer inserts the decision");
    assert!(decision.allows_cookie("lang"));
    assert!(!decision.allows_cookie("_ga"));
    send.send_response(
        Response::builder()
            .header(SET_COOKIE, "lang=fr; Path=/")
            .header(SET_COOKIE, "_ga=GA1.1.1.1; Max-Age=63072000")
            .body("ok")
            .unwrap(),
    );
    let response = bounded(response).await.expect("a response");
    let set_cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(set_cookies, ["lang=fr; Path=/"]);

    // The one allowed call is used: not ready again until the inner service says so.
    assert!(service.poll_ready().is_pending());
}

#[tokio::test]
async fn poll_ready_error_passes_through_unchanged() {
    let (mut service, mut handle) = mock::spawn_layer::<Req, Res, _>(layer());
    handle.send_error(InnerError(7));
    let Poll::Ready(Err(error)) = service.poll_ready() else {
        panic!("the inner readiness error must surface from the layer's poll_ready");
    };
    assert_eq!(error.downcast_ref::<InnerError>(), Some(&InnerError(7)));
}

#[tokio::test]
async fn call_error_passes_through_unchanged() {
    let (mut service, mut handle) = mock::spawn_layer::<Req, Res, _>(layer());
    handle.allow(1);
    assert!(matches!(service.poll_ready(), Poll::Ready(Ok(()))));
    let response = service.call(Request::builder().header(COOKIE, CONSENT).body("").unwrap());
    let (_, send) = bounded(handle.next_request()).await.expect("a request");
    send.send_error(InnerError(42));
    let error = bounded(response).await.expect_err("the inner error");
    assert_eq!(error.downcast_ref::<InnerError>(), Some(&InnerError(42)));
}

#[tokio::test]
async fn response_other_than_set_cookie_is_untouched() {
    let (mut service, mut handle) = mock::spawn_layer::<Req, Res, _>(layer());
    handle.allow(1);
    assert!(matches!(service.poll_ready(), Poll::Ready(Ok(()))));
    let response = service.call(Request::new(""));
    let (_, send) = bounded(handle.next_request()).await.expect("a request");
    send.send_response(
        Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .header(CONTENT_TYPE, "text/plain")
            .header(SET_COOKIE, "sessionid=s; HttpOnly")
            .header(SET_COOKIE, "_ga=GA1.1.1.1")
            .header("x-trace", "a")
            .header("x-trace", "b")
            .body("body")
            .unwrap(),
    );
    let response = bounded(response).await.expect("a response");
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/plain");
    let traces: Vec<_> = response.headers().get_all("x-trace").iter().collect();
    assert_eq!(traces, ["a", "b"]);
    let set_cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(
        set_cookies,
        ["sessionid=s; HttpOnly"],
        "undecided: only necessary"
    );
    assert_eq!(*response.body(), "body");
}

#[test]
fn clones_share_one_enforcer() {
    let layer = layer();
    let layer_clone = layer.clone();
    assert!(Arc::ptr_eq(layer.enforcer(), layer_clone.enforcer()));

    let (inner, _handle) = mock::pair::<Req, Res>();
    let service: CookieConsent<_> = layer.layer(inner);
    assert!(Arc::ptr_eq(service.enforcer(), layer.enforcer()));

    let clone = service.clone();
    assert!(Arc::ptr_eq(clone.enforcer(), service.enforcer()));
    // A clone is one more reference to the same enforcer, not a copy of the registry:
    // layer, layer_clone, service, clone.
    assert_eq!(Arc::strong_count(service.enforcer()), 4);
    drop(clone);
    assert_eq!(Arc::strong_count(service.enforcer()), 3);
}
