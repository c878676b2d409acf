//! Response future for [`CookieConsent`](crate::CookieConsent).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::header::{COOKIE, HOST};
use http::uri::{Authority, Parts};
use http::{HeaderMap, HeaderValue, Request, Response, Uri};
use pin_project_lite::pin_project;

use crate::consent::Consent;
use crate::enforcer::{Enforcer, SEC_GPC};
use crate::withdrawal::{Fields, Recorded};

pin_project! {
    /// Response future of [`CookieConsent`](crate::CookieConsent): polls the inner future,
    /// then filters the response's `Set-Cookie` headers and appends the deletions and
    /// `Vary: Cookie` ([`Enforcer::finish_response`]).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        enforcer: Arc<Enforcer>,
        consent: Consent,
        // The deletions the response must carry (empty: no allocation).
        deletions: Vec<HeaderValue>,
        // What of the request a consent the response records is applied with. Inline: a
        // clone of a field is a reference count, and nothing is kept without cookies.
        request: RequestFields,
    }
}

/// The request's fields a consent recorded by the response is read and applied with: its
/// `Cookie` fields (the consent of the next request, and the cookies it may delete), and
/// its `Host` fields and URI authority (the scopes of those deletions). A `Sec-GPC: 1`
/// shows in the request's consent ([`Consent::gpc_applied`]).
#[derive(Debug, Default)]
pub(crate) struct RequestFields {
    cookie: Fields,
    host: Fields,
    authority: Option<Authority>,
}

impl RequestFields {
    /// What `enforcer` needs of `request`: nothing without a `Cookie` field; the `Cookie`
    /// fields when a consent read from them decides (a reader of several cookies) or
    /// stored cookies may be deleted, and then the host too.
    pub(crate) fn of<B>(enforcer: &Enforcer, request: &Request<B>) -> Self {
        let deletes = enforcer.deletes_refused();
        if !deletes && enforcer.reads_single_consent_cookie() {
            return Self::default();
        }
        let cookie = Fields::of(request.headers().get_all(COOKIE));
        if !deletes || cookie.is_empty() {
            return Self {
                cookie,
                ..Self::default()
            };
        }
        Self {
            cookie,
            host: Fields::of(request.headers().get_all(HOST)),
            authority: request.uri().authority().cloned(),
        }
    }

    /// The kept fields as request headers, with `Sec-GPC: 1` when `gpc`.
    fn headers(&self, gpc: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in self.cookie.iter() {
            headers.append(COOKIE, value.clone());
        }
        for value in self.host.iter() {
            headers.append(HOST, value.clone());
        }
        if gpc {
            headers.append(SEC_GPC, HeaderValue::from_static("1"));
        }
        headers
    }

    /// The kept authority as a URI (`/` without one).
    fn uri(&self) -> Uri {
        let mut parts = Parts::default();
        parts.authority = self.authority.clone();
        match parts.authority {
            Some(_) => Uri::from_parts(parts).unwrap_or_default(),
            None => Uri::default(),
        }
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        enforcer: Arc<Enforcer>,
        consent: Consent,
        deletions: Vec<HeaderValue>,
        request: RequestFields,
    ) -> Self {
        Self {
            inner,
            enforcer,
            consent,
            deletions,
            request,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        let (headers, extensions) = {
            // Split the borrow: the hook reads the extensions while the headers change.
            let r = &mut response;
            let extensions = std::mem::take(r.extensions_mut());
            (r.headers_mut(), extensions)
        };
        let enforcer = &**this.enforcer;
        let consent = &*this.consent;
        let kept = &*this.request;
        let request = || Cow::Owned(kept.headers(consent.gpc_applied()));
        // A consent the response records applies to its own `Set-Cookie` values: each must
        // be allowed by the request's consent and by the recorded one. When every judgement
        // is reported (a hook, or report-only mode), the recorded consent is read first and
        // each value judged once; otherwise the values the request's consent allows are
        // judged again, only when the response sets a consent cookie.
        let early = enforcer.has_hook() || enforcer.is_report_only();
        let mut recorded = match early {
            true => enforcer.recorded_consent(headers, Some(consent), request),
            false => None,
        };
        let mut summary = enforcer.filter_recorded(
            headers,
            consent,
            recorded.as_ref().map(|(r, _)| r),
            Some(&extensions),
        );
        if !early && summary.consent_cookie {
            recorded = enforcer.recorded_consent(headers, Some(consent), request);
            if let Some((r, _)) = &recorded {
                let again = enforcer.filter_recorded(headers, consent, Some(r), None);
                summary.removed += again.removed;
                summary.refused += again.refused;
            }
        }
        if summary.judged == 0 && this.deletions.is_empty() {
            // No `Set-Cookie` and no deletion pending: nothing to append or report.
            *response.extensions_mut() = extensions;
            return Poll::Ready(Ok(response));
        }
        let uri;
        let recorded = match &recorded {
            Some((consent, request)) => {
                uri = kept.uri();
                Some(Recorded {
                    consent,
                    uri: &uri,
                    request,
                })
            }
            None => None,
        };
        let events = Some((consent, &extensions));
        enforcer.finish_response_with(
            headers,
            &summary,
            std::mem::take(this.deletions),
            recorded,
            events,
        );
        *response.extensions_mut() = extensions;
        Poll::Ready(Ok(response))
    }
}
