//! Helpers shared by the integration tests (`cmp_a`, `cmp_b`, `gpc`, `freshness`,
//! `withdrawal`, `recorded_consent`, `complianz_names`): a registry, `Cookie` fields, one
//! request through the layer, the `Set-Cookie` and `Vary` values of a response, TC Strings.

#![allow(dead_code)] // Each test binary uses some of them.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::header::{COOKIE, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response};
use tower::{service_fn, Layer, Service, ServiceBuilder, ServiceExt};
use tower_cookie_consent::{ConsentDecision, CookieConsentLayer, Declaration, Registry, SEC_GPC};

/// The default categories (marketing is sale or sharing), the strictly necessary
/// `sessionid`, `_ga` (statistics, service `ga`), `_fbp` (marketing, service `meta`) and
/// `theme` (functional).
pub(crate) fn registry() -> Registry {
    Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("meta"),
        )
        .cookie(Declaration::exact("theme").category("functional"))
        .build()
        .unwrap()
}

/// One `Cookie` field for each item of `fields`.
pub(crate) fn cookie_headers(fields: &[impl AsRef<[u8]>]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for f in fields {
        headers.append(COOKIE, HeaderValue::from_bytes(f.as_ref()).unwrap());
    }
    headers
}

/// Sends one request through `layer` to a handler that sets `set_cookies`; the request
/// carries one `Cookie` field for each item of `cookie` and one `Sec-GPC` field for each
/// item of `gpc`. Returns the cookie-names of the Set-Cookie fields the layer kept, in
/// order, and the decision the handler saw.
pub(crate) async fn run(
    layer: CookieConsentLayer,
    cookie: &[&str],
    gpc: &[&[u8]],
    set_cookies: &[&str],
) -> (Vec<String>, ConsentDecision) {
    let set: Vec<String> = set_cookies.iter().map(|s| (*s).to_owned()).collect();
    let seen = Arc::new(Mutex::new(None));
    let seen2 = seen.clone();
    let svc = ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(move |req: Request<()>| {
            let seen = seen2.clone();
            let set = set.clone();
            async move {
                *seen.lock().unwrap() = req.extensions().get::<ConsentDecision>().cloned();
                let mut response = Response::builder();
                for v in &set {
                    response = response.header(SET_COOKIE, v.as_str());
                }
                Ok::<_, Infallible>(response.body(()).unwrap())
            }
        }));
    let mut request = Request::new(());
    *request.headers_mut() = cookie_headers(cookie);
    for value in gpc {
        request
            .headers_mut()
            .append(SEC_GPC, HeaderValue::from_bytes(value).unwrap());
    }
    let response = svc.oneshot(request).await.unwrap();
    let names = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| {
            let s = v.to_str().unwrap();
            s.split(['=', ';']).next().unwrap().trim().to_owned()
        })
        .collect();
    let decision = seen.lock().unwrap().take().expect("decision inserted");
    (names, decision)
}

/// Sends `request` through `layer` to a handler that answers at once with the `Set-Cookie`
/// values `set_cookies`, without a runtime; returns the response headers.
pub(crate) fn respond(
    layer: &CookieConsentLayer,
    request: Request<()>,
    set_cookies: &[String],
) -> HeaderMap {
    let set_cookies = set_cookies.to_vec();
    let mut service = layer.layer(service_fn(move |_: Request<()>| {
        let mut response = Response::new(());
        for v in &set_cookies {
            response
                .headers_mut()
                .append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        std::future::ready(Ok::<_, Infallible>(response))
    }));
    match pin!(service.call(request))
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(Ok(response)) => response.headers().clone(),
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => unreachable!("the handler answers at once"),
    }
}

/// The `Set-Cookie` values of `headers`, in order.
pub(crate) fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// The `Vary` values of `headers`, in order.
pub(crate) fn vary(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(VARY)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A TC String (base64url core segment) with consent for `purposes` (1–24), created and
/// last updated `last_updated_ds` (deciseconds since the Unix epoch).
pub(crate) fn tc_string(purposes: &[u8], last_updated_ds: u64) -> String {
    let mut bits: Vec<bool> = Vec::new();
    let mut push = |v: u64, len: usize| {
        for i in (0..len).rev() {
            bits.push((v >> i) & 1 == 1);
        }
    };
    push(2, 6); // Version
    push(last_updated_ds, 36); // Created
    push(last_updated_ds, 36); // LastUpdated
    push(7, 12); // CmpId
    push(1, 12); // CmpVersion
    push(0, 6); // ConsentScreen
    push(5, 6); // F
    push(17, 6); // R
    push(90, 12); // VendorListVersion
    push(5, 6); // TcfPolicyVersion (TCF v2.3)
    push(1, 1); // IsServiceSpecific
    push(0, 1); // UseNonStandardTexts
    push(0, 12); // SpecialFeatureOptIns
    let mask = purposes
        .iter()
        .fold(0u64, |m, &p| m | 1 << (24 - u64::from(p)));
    push(mask, 24); // PurposesConsent
    push(0, 24); // PurposesLITransparency
    push(0, 1); // PurposeOneTreatment
    push(5, 6); // F
    push(17, 6); // R
    push(0, 16); // MaxVendorId
    push(0, 1); // IsRangeEncoding
    while bits.len() % 8 != 0 {
        bits.push(false);
    }
    let bytes: Vec<u8> = bits
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |b, &x| b << 1 | u8::from(x)))
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}
