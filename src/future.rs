//! Response future for [`CookieConsent`](crate::CookieConsent).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::header::{COOKIE, HOST};
use http::uri::{Authority, Parts};
use http::{Extensions, HeaderMap, HeaderValue, Response, Uri};
use pin_project_lite::pin_project;

use crate::consent::Consent;
use crate::cookie_header::{Fields, RequestCookies};
use crate::enforcer::{Enforcer, FilterSummary, SEC_GPC};
use crate::withdrawal::{root_default_path, ParsedHost, RecordScope, Recorded};

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
        request: Option<RequestFields>,
    }
}

/// The request's fields a consent recorded by the response is read and applied with: its
/// `Cookie` fields (the consent of the next request, and the cookies it may delete), and
/// its host (the scopes of those deletions). A `Sec-GPC: 1` shows in the request's consent
/// ([`Consent::gpc_applied`]). Kept inline in the future: a clone of a field received by
/// hyper is a reference count.
#[derive(Debug)]
pub(crate) struct RequestFields {
    cookie: HeaderValue,
    // Further `Cookie` fields (HTTP/2 may split the header).
    more_cookies: Vec<HeaderValue>,
    host: Host,
    // Whether the request's default-path is `/` (a consent cookie set without `Path` then
    // comes back with every request).
    root_default_path: bool,
}

/// Where the request names its host, as [`request_host`](crate::request_host) reads it.
#[derive(Debug)]
enum Host {
    /// Not kept (nothing is deleted), or not named.
    None,
    /// Parsed already, for the request's own deletions.
    Parsed(ParsedHost),
    /// The URI's authority (HTTP/2 `:authority`, or an absolute URI).
    Authority(Authority),
    /// A single `Host` field.
    Field(HeaderValue),
    /// Several `Host` fields (an invalid host).
    Several(HeaderValue),
}

impl RequestFields {
    /// What the layer keeps of `request`, whose `Cookie` fields are `cookies`: nothing
    /// without a `Cookie` field; else the `Cookie` fields, and when stored cookies may be
    /// deleted (`deletes`), the host too (`parsed`, if the request's deletions parsed it).
    #[inline]
    pub(crate) fn of(
        deletes: bool,
        cookies: RequestCookies<'_>,
        uri: &Uri,
        headers: &HeaderMap,
        parsed: Option<ParsedHost>,
    ) -> Option<Self> {
        let mut cookies = cookies.fields();
        let first = cookies.next()?;
        Some(Self::keep(first, cookies, deletes, uri, headers, parsed))
    }

    /// [`of`](Self::of) once a `Cookie` field is found. Out of line: the layer's `call`
    /// stays as small as it was.
    #[inline(never)]
    fn keep(
        first: &HeaderValue,
        mut cookies: Fields<'_>,
        deletes: bool,
        uri: &Uri,
        headers: &HeaderMap,
        parsed: Option<ParsedHost>,
    ) -> Self {
        let more_cookies = match cookies.next() {
            None => Vec::new(),
            Some(second) => std::iter::once(second).chain(cookies).cloned().collect(),
        };
        let host = match (deletes, parsed, uri.authority()) {
            (false, _, _) => Host::None,
            (true, Some(parsed), _) => Host::Parsed(parsed),
            (true, None, Some(authority)) => Host::Authority(authority.clone()),
            (true, None, None) => {
                let mut hosts = headers.get_all(HOST).iter();
                match (hosts.next(), hosts.next()) {
                    (Some(host), None) => Host::Field(host.clone()),
                    (Some(host), Some(_)) => Host::Several(host.clone()),
                    (None, _) => Host::None,
                }
            }
        };
        Self {
            cookie: first.clone(),
            more_cookies,
            host,
            root_default_path: root_default_path(uri.path()),
        }
    }

    /// The kept fields as request headers, with `Sec-GPC: 1` when `gpc`. (Names are
    /// appended by reference: not the instance of `HeaderMap::append` the hot path uses.)
    fn headers(this: Option<&Self>, gpc: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(this) = this {
            headers.append(&COOKIE, this.cookie.clone());
            for value in &this.more_cookies {
                headers.append(&COOKIE, value.clone());
            }
            match &this.host {
                Host::Field(host) => {
                    headers.append(&HOST, host.clone());
                }
                Host::Several(host) => {
                    headers.append(&HOST, host.clone());
                    headers.append(&HOST, host.clone());
                }
                Host::None | Host::Parsed(_) | Host::Authority(_) => {}
            }
        }
        if gpc {
            headers.append(&SEC_GPC, HeaderValue::from_static("1"));
        }
        headers
    }

    /// The request's host, parsed (the request's deletions may have parsed it already).
    fn parsed_host(&self) -> ParsedHost {
        match &self.host {
            Host::Parsed(parsed) => parsed.clone(),
            Host::Authority(authority) => {
                ParsedHost::named(Some(authority.host().as_bytes()), false)
            }
            Host::Field(host) => ParsedHost::named(Some(host.as_bytes()), false),
            Host::Several(_) => ParsedHost::named(None, true),
            Host::None => ParsedHost::named(None, false),
        }
    }

    /// The kept authority as a URI (`/` without one).
    fn uri(this: Option<&Self>) -> Uri {
        match this.map(|this| &this.host) {
            Some(Host::Authority(authority)) => {
                let mut parts = Parts::default();
                parts.authority = Some(authority.clone());
                Uri::from_parts(parts).unwrap_or_default()
            }
            _ => Uri::default(),
        }
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        enforcer: Arc<Enforcer>,
        consent: Consent,
        deletions: Vec<HeaderValue>,
        request: Option<RequestFields>,
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
        finish(
            this.enforcer,
            this.consent,
            this.deletions,
            this.request.as_ref(),
            headers,
            &extensions,
        );
        *response.extensions_mut() = extensions;
        Poll::Ready(Ok(response))
    }
}

/// Filters the response's `Set-Cookie` values and finishes it (deletions, `Vary`), with the
/// consent it records, if any.
#[inline]
fn finish(
    enforcer: &Enforcer,
    consent: &Consent,
    deletions: &mut Vec<HeaderValue>,
    kept: Option<&RequestFields>,
    headers: &mut HeaderMap,
    extensions: &Extensions,
) {
    // A consent the response records applies to its own `Set-Cookie` values: each must be
    // allowed by the request's consent and by the recorded one. When every judgement is
    // reported (a hook, or report-only mode), the recorded consent is read first and each
    // value judged once; otherwise the response is filtered as the request's consent
    // decides, and only when it sets a consent cookie are the values left judged again.
    let (summary, recorded, again) = if enforcer.has_hook() || enforcer.is_report_only() {
        let recorded = read_recorded(enforcer, consent, kept, headers);
        let summary = match &recorded {
            Some((recorded, _)) => {
                enforcer.filter_recorded(headers, consent, recorded, Some(extensions))
            }
            None => enforcer.filter_with(headers, consent, extensions),
        };
        (summary, recorded, false)
    } else {
        let summary = enforcer.filter_with(headers, consent, extensions);
        if !summary.consent_cookie {
            if summary.judged == 0 && deletions.is_empty() {
                return; // No `Set-Cookie` and no deletion pending: nothing to append or report.
            }
            enforcer.finish_response_with(
                headers,
                &summary,
                std::mem::take(deletions),
                None,
                Some((consent, extensions)),
            );
            return;
        }
        (
            summary,
            read_recorded(enforcer, consent, kept, headers),
            true,
        )
    };
    let done = Done { summary, again };
    finish_recorded(
        enforcer, consent, deletions, kept, headers, extensions, done, recorded,
    );
}

/// The consent the response records, read with the kept request fields.
#[inline(never)]
fn read_recorded(
    enforcer: &Enforcer,
    consent: &Consent,
    kept: Option<&RequestFields>,
    headers: &HeaderMap,
) -> Option<(Consent, Cow<'static, HeaderMap>)> {
    let scope = || match kept {
        Some(kept) => RecordScope::new(kept.parsed_host(), kept.root_default_path),
        None => RecordScope::unknown(),
    };
    enforcer.recorded_consent(headers, Some(consent), scope, || {
        Cow::Owned(RequestFields::headers(kept, consent.gpc_applied()))
    })
}

/// What the filter did: its summary, and whether the values must be judged again under
/// a recorded consent (the filter judged them under the request's alone).
struct Done {
    summary: FilterSummary,
    again: bool,
}

/// [`finish`] for a response that may record a consent (`recorded` is `None` when it
/// records none after all).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn finish_recorded(
    enforcer: &Enforcer,
    consent: &Consent,
    deletions: &mut Vec<HeaderValue>,
    kept: Option<&RequestFields>,
    headers: &mut HeaderMap,
    extensions: &Extensions,
    done: Done,
    recorded: Option<(Consent, Cow<'static, HeaderMap>)>,
) {
    let mut summary = done.summary;
    let uri;
    let recorded = match &recorded {
        Some((recorded, request)) => {
            if done.again {
                // The values the request's consent allowed, judged again under both (the
                // hook, if any, has seen them: none here).
                let again = enforcer.filter_recorded(headers, consent, recorded, None);
                summary.removed += again.removed;
                summary.refused += again.refused;
            }
            uri = RequestFields::uri(kept);
            Some(Recorded {
                consent: recorded,
                uri: &uri,
                request,
                host: kept.map(RequestFields::parsed_host),
            })
        }
        None => None,
    };
    if summary.judged == 0 && deletions.is_empty() {
        return;
    }
    enforcer.finish_response_with(
        headers,
        &summary,
        std::mem::take(deletions),
        recorded,
        Some((consent, extensions)),
    );
}
