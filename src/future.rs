//! Response future for [`CookieConsent`](crate::CookieConsent).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use crate::consent::Consent;
use crate::enforcer::Enforcer;
use crate::withdrawal::Fields;

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
        // The request fields the consent a response records is read with, kept only with
        // deletions, and only when they matter. Boxed: the future stays small.
        fields: Option<Box<RequestFields>>,
    }
}

/// The request's `Cookie` and `Sec-GPC` fields, read again if the response records a
/// consent.
#[derive(Debug, Default)]
pub(crate) struct RequestFields {
    pub(crate) cookie: Fields,
    pub(crate) gpc: Fields,
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        enforcer: Arc<Enforcer>,
        consent: Consent,
        deletions: Vec<HeaderValue>,
        fields: Option<Box<RequestFields>>,
    ) -> Self {
        Self {
            inner,
            enforcer,
            consent,
            deletions,
            fields,
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
        let summary = this
            .enforcer
            .filter_with(headers, this.consent, &extensions);
        if summary.judged == 0 && this.deletions.is_empty() {
            // No `Set-Cookie` and no deletion pending: nothing to append or report.
            *response.extensions_mut() = extensions;
            return Poll::Ready(Ok(response));
        }
        let events = Some((&*this.consent, &extensions));
        let fields = this.fields.take().map(|f| *f).unwrap_or_default();
        this.enforcer.finish_response_with(
            headers,
            &summary,
            std::mem::take(this.deletions),
            &fields.cookie,
            &fields.gpc,
            events,
        );
        *response.extensions_mut() = extensions;
        Poll::Ready(Ok(response))
    }
}
