use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderMap, HeaderValue, Request, Response, Uri};
use tower_service::Service;

use crate::consent::Consent;
use crate::cookie_header::RequestCookies;
use crate::decision::ConsentDecision;
use crate::enforcer::Enforcer;
use crate::future::{RequestFields, ResponseFuture};

/// Middleware that enforces cookie consent: it reads the visitor's consent from the request,
/// inserts a [`ConsentDecision`] into the request extensions, calls the inner service, and
/// removes from the response every `Set-Cookie` the visitor has not allowed.
///
/// It also withdraws what the visitor no longer allows: the response deletes the declared
/// cookies the request carries and the consent refuses ([`Enforcer::deletions`]), and gets
/// `Vary: Cookie` when it carried a `Set-Cookie` or carries deletions; optionally the request's
/// `Cookie` fields are scrubbed first ([`Enforcer::scrub_request_cookies`]).
///
/// A response that records a consent (it sets or deletes the consent cookie: a server-side
/// banner, or the site renewing the cookie) is finished under that consent too: a
/// `Set-Cookie` must be allowed by both, and the cookies the request carries that the
/// recorded consent refuses are deleted at once ([`Enforcer::finish_response`]). For that,
/// the request's `Cookie` fields, its host and whether its default-path is `/` are kept
/// until the response: a clone of a field is a reference count. Nothing is kept for a
/// request without cookies, nor with [`delete_refused(false)`](crate::Builder::delete_refused)
/// and a reader of a single consent cookie (the consent cookie the response sets, and
/// `Sec-GPC`, then decide alone).
///
/// Only `Set-Cookie` values are removed or appended, and `Vary` appended; the status, every
/// other header and the body pass through untouched. Errors of the inner service pass
/// through too (without deletions).
///
/// See [`CookieConsentLayer`](crate::CookieConsentLayer) for configuration.
#[derive(Debug)]
pub struct CookieConsent<S> {
    inner: S,
    enforcer: Arc<Enforcer>,
}

impl<S: Clone> Clone for CookieConsent<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            enforcer: self.enforcer.clone(),
        }
    }
}

impl<S> CookieConsent<S> {
    /// Wraps `inner` with an existing enforcer.
    pub fn new(inner: S, enforcer: Arc<Enforcer>) -> Self {
        Self { inner, enforcer }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The enforcer.
    pub fn enforcer(&self) -> &Arc<Enforcer> {
        &self.enforcer
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CookieConsent<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The `Cookie` fields, looked up once for the reader, withdrawal and what is kept.
        let cookies = RequestCookies::new(req.headers());
        let consent = self.enforcer.read_consent_with(req.headers(), cookies);
        // Withdrawal, and a consent the response may record, read the request's `Cookie`
        // fields as the browser sent them, before any scrubbing: without any, nothing is
        // deleted or kept.
        let deletes = self.enforcer.deletes_refused();
        let (deletions, fields) = match !cookies.is_empty()
            && (deletes || !self.enforcer.reads_single_consent_cookie())
        {
            true => withdraw(
                &self.enforcer,
                req.uri(),
                req.headers(),
                cookies,
                &consent,
                deletes,
            ),
            false => (Vec::new(), None),
        };
        if self.enforcer.scrubs_request() {
            self.enforcer
                .scrub_request_cookies(req.headers_mut(), &consent);
        }
        if self.enforcer.inserts_decision() {
            req.extensions_mut()
                .insert(ConsentDecision::new(self.enforcer.clone(), consent));
        }
        ResponseFuture::new(
            self.inner.call(req),
            self.enforcer.clone(),
            consent,
            deletions,
            fields,
        )
    }
}

/// The deletions the response must carry (when `deletes`), and what the layer keeps of the
/// request for a consent the response may record (kept before any scrubbing, with the host
/// the deletions parsed, if any). `cookies` are the request's `Cookie` fields, at least one.
/// Not generic, and out of line: the layer's `call`, compiled for each service and body
/// type, stays as small as it was.
#[inline(never)]
fn withdraw(
    enforcer: &Enforcer,
    uri: &Uri,
    headers: &HeaderMap,
    cookies: RequestCookies<'_>,
    consent: &Consent,
    deletes: bool,
) -> (Vec<HeaderValue>, Option<RequestFields>) {
    let mut host = None;
    let deletions = match deletes {
        true => {
            // In report-only mode, the deletions are built only for a hook to see.
            let would = enforcer.is_report_only() && enforcer.has_hook();
            enforcer.push_refused(Vec::new(), uri, headers, cookies, consent, would, &mut host)
        }
        false => Vec::new(),
    };
    (
        deletions,
        RequestFields::of(deletes, cookies, uri, headers, host),
    )
}
