//! Response future for [`CookieConsent`](crate::CookieConsent).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

use crate::consent::Consent;
use crate::enforcer::Enforcer;

pin_project! {
    /// Response future of [`CookieConsent`](crate::CookieConsent): polls the inner future,
    /// then filters the response's `Set-Cookie` headers.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        enforcer: Arc<Enforcer>,
        consent: Consent,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, enforcer: Arc<Enforcer>, consent: Consent) -> Self {
        Self {
            inner,
            enforcer,
            consent,
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
        this.enforcer
            .filter_with(headers, this.consent, &extensions);
        *response.extensions_mut() = extensions;
        Poll::Ready(Ok(response))
    }
}
