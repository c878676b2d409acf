//! The response side of withdrawal: deletions appended, a consent recorded by the response
//! itself, and `Vary: Cookie`.

use std::borrow::Cow;

use http::header::{Entry, COOKIE, SET_COOKIE, VARY};
use http::{Extensions, HeaderMap, HeaderValue, Uri};

use super::scope::RequestHost;
use super::scrub::{pair_name, segments};
use super::ParsedHost;
use crate::consent::Consent;
use crate::cookie_header::{trim_wsp, RequestCookies};
use crate::enforcer::{Clock, Enforcer, FilterSummary, SEC_GPC};
use crate::set_cookie::{parse_set_cookie, SetCookie};

impl Enforcer {
    /// Finishes a response after [`filter`](Self::filter): applies a consent the response
    /// records, appends `deletions` (from [`deletions`](Self::deletions)) to its `Set-Cookie`
    /// headers, then `Vary: Cookie` when the filter judged a `Set-Cookie` or a deletion was
    /// appended (and [`vary_cookie`](crate::Builder::vary_cookie) is on). `uri` and `request`
    /// are the request's URI and headers as the browser sent them (its `Cookie`, `Host` and
    /// `Sec-GPC` fields are read). Returns how many deletions were appended.
    ///
    /// A deletion equal, byte for byte, to a `Set-Cookie` already present is not repeated;
    /// in report-only mode none is appended, nothing is removed, and no `Vary` is added.
    ///
    /// When the response sets or deletes the consent cookie (the visitor records a new
    /// choice, or the site renews the cookie), the choice applies to this very response
    /// (withdrawing is as easy as giving, GDPR art. 7(3)). The consent of the next request is
    /// read: the `request`'s `Cookie` fields and `Sec-GPC`, with the response's consent
    /// cookies laid over them (the last of each name). Only a consent cookie that comes back
    /// with the next requests to the whole site is laid over (RFC 6265bis §5.6): every
    /// `Domain` attribute one the request's host domain-matches and not a public suffix (none
    /// when the request names no host), and `Path=/`, or no `Path` on a request whose
    /// default-path (§5.1.4) is `/`; the others are left out (the next request reads the
    /// narrowest of the copies it carries). An `Expires` is read against the response's
    /// `Date`, as the filter reads it. Then:
    ///
    /// - every `Set-Cookie` that consent refuses is removed too (it already passed the
    ///   consent of `filter`, so what is left is allowed by both); the consent cookie,
    ///   strictly necessary cookies and deletions pass as in `filter`;
    /// - of `deletions`, only those that consent refuses too are kept (a new grant is not
    ///   wiped in the very response that records it), and the deletions of every cookie the
    ///   request carries and that consent refuses are added, as [`deletions`](Self::deletions)
    ///   builds them for `uri` and `request` (same scopes; a name is deleted once; at most
    ///   [`max_deletions`](crate::Builder::max_deletions) in all), unless
    ///   [`delete_refused`](crate::Builder::delete_refused) is off.
    ///
    /// A response that records no consent is finished as before: only `deletions` and `Vary`.
    ///
    /// The layer also reports each appended deletion to the
    /// [`OnCookieEvent`](crate::OnCookieEvent) hook ([`CookieEvent::deletion`](crate::CookieEvent::deletion)),
    /// and each `Set-Cookie` the recorded consent removes like other removals; this
    /// function, which is not given the consent, reports neither.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, Uri, header::{COOKIE, SET_COOKIE, VARY}};
    /// use tower_cookie_consent::{CookieConsentLayer, Declaration, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("_ga").category("statistics"))
    ///     .build()?;
    /// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
    ///
    /// // The visitor granted statistics and holds `_ga`: nothing to delete.
    /// let uri = Uri::from_static("/settings");
    /// let mut request = HeaderMap::new();
    /// request.insert(COOKIE, HeaderValue::from_static(
    ///     "cookies_preferences=%7B%22statistics%22%3Atrue%7D; _ga=GA1.1.1",
    /// ));
    /// let consent = enforcer.read_consent(&request);
    /// let deletions = enforcer.deletions(&uri, &request, &consent);
    /// assert!(deletions.is_empty());
    ///
    /// // The response records a refusal of statistics and sets `_ga` again.
    /// let mut headers = HeaderMap::new();
    /// headers.append(SET_COOKIE, HeaderValue::from_static(
    ///     "cookies_preferences=%7B%22statistics%22%3Afalse%7D; Path=/; Max-Age=15552000",
    /// ));
    /// headers.append(SET_COOKIE, HeaderValue::from_static("_ga=GA1.1.2; Path=/"));
    /// let summary = enforcer.filter(&mut headers, &consent);
    /// assert_eq!(summary.removed, 0); // the request's consent allows `_ga`
    /// let appended = enforcer.finish_response(&mut headers, &summary, deletions, &uri, &request);
    ///
    /// // The refusal applies at once: `_ga` is not set, and the stored one is deleted.
    /// assert_eq!(appended, 1);
    /// let set_cookies: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
    /// assert_eq!(set_cookies, [
    ///     "cookies_preferences=%7B%22statistics%22%3Afalse%7D; Path=/; Max-Age=15552000",
    ///     "_ga=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    /// ]);
    /// assert_eq!(headers[VARY], "Cookie");
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn finish_response(
        &self,
        headers: &mut HeaderMap,
        summary: &FilterSummary,
        deletions: Vec<HeaderValue>,
        uri: &Uri,
        request: &HeaderMap,
    ) -> usize {
        // The caller's summary may not come from `filter`: every value is read.
        let recorded = self.recorded_consent(
            headers,
            None,
            || RecordScope::new(ParsedHost::of(uri, request), root_default_path(uri.path())),
            || Cow::Borrowed(request),
        );
        let recorded = recorded.as_ref().map(|(consent, request)| {
            // What the caller's filter kept, its consent allows; the recorded one decides
            // the rest (no event: the caller's filter reported these values).
            self.filter_recorded(headers, consent, consent, None);
            Recorded {
                consent,
                uri,
                request,
                host: None,
            }
        });
        self.finish_response_with(headers, summary, deletions, recorded, None)
    }

    /// [`finish_response`](Self::finish_response) after the `Set-Cookie` filter has applied
    /// the `recorded` consent, if any. The layer calls it with `layer` set: `summary` is the
    /// filter's own, and each appended deletion is reported to the
    /// [`OnCookieEvent`](crate::OnCookieEvent) hook with the refusal that the recorded
    /// consent, else the request's `consent`, gives it and the response's `extensions`.
    pub(crate) fn finish_response_with(
        &self,
        headers: &mut HeaderMap,
        summary: &FilterSummary,
        deletions: Vec<HeaderValue>,
        recorded: Option<Recorded<'_>>,
        layer: Option<(&Consent, &Extensions)>,
    ) -> usize {
        let mut appended = 0;
        let mut deletions = deletions;
        if let Some(recorded) = &recorded {
            self.apply_recorded(&mut deletions, recorded, layer.is_some());
        }
        if !deletions.is_empty() {
            // A deletion's event gives the refusal of the consent that deletes it.
            let layer = layer.map(|(consent, extensions)| {
                (recorded.as_ref().map_or(consent, |r| r.consent), extensions)
            });
            if self.is_report_only() {
                // Would-be deletions (built for the hook only): reported, never appended.
                for deletion in &deletions {
                    self.report_deletion(deletion, layer);
                }
                deletions.clear();
            }
            for deletion in deletions {
                // Deletions are distinct; skip one the response already carries.
                let duplicate = headers.get_all(SET_COOKIE).iter().any(|v| *v == deletion);
                if !duplicate {
                    self.report_deletion(&deletion, layer);
                    headers.append(SET_COOKIE, deletion);
                    appended += 1;
                }
            }
        }
        if self.withdrawal.vary_cookie
            && !self.is_report_only()
            && (summary.judged > 0 || appended > 0)
        {
            append_vary_cookie(headers);
        }
        appended
    }

    /// The filter of a response that records a consent: removes every `Set-Cookie` that
    /// `consent` or `recorded` refuses (as [`judge_set_cookie`](Self::judge_set_cookie)
    /// judges it under each, at the time the filter uses), keeping the others in their
    /// order; in report-only mode removes nothing. Each value is reported to the hook with
    /// `extensions`: with the refusal of the first consent that refuses it, else as
    /// `consent` allows it. Not the hot path: a response records a consent rarely.
    #[inline(never)]
    pub(crate) fn filter_recorded(
        &self,
        headers: &mut HeaderMap,
        consent: &Consent,
        recorded: &Consent,
        extensions: Option<&Extensions>,
    ) -> FilterSummary {
        let mut summary = FilterSummary::default();
        // The time a refused value is judged against as a deletion, as the filter takes it.
        let now = Clock::of_response(headers).now();
        let Entry::Occupied(mut entry) = headers.entry(SET_COOKIE) else {
            return summary;
        };
        let mut kept = Vec::new();
        for value in entry.iter_mut() {
            summary.judged += 1;
            let bytes = value.as_bytes();
            let name = match parse_set_cookie(bytes) {
                SetCookie::Cookie { name, .. } => name,
                SetCookie::Ignored => &[],
            };
            summary.consent_cookie |= self.is_consent_cookie(name);
            let first = self.judge_set_cookie(bytes, consent, now);
            let verdict = match first.is_allowed() {
                true => Some(self.judge_set_cookie(bytes, recorded, now))
                    .filter(|v| !v.is_allowed())
                    .unwrap_or(first),
                false => first,
            };
            let removed = !verdict.is_allowed() && !self.is_report_only();
            if !verdict.is_allowed() {
                summary.refused += 1;
                tracing::debug!(
                    target: "tower_cookie_consent",
                    cookie_name = %String::from_utf8_lossy(name),
                    reason = verdict.reason().as_str(),
                    report_only = self.is_report_only(),
                    "{}",
                    if removed { "Set-Cookie removed" } else { "Set-Cookie would be removed" },
                );
            }
            if let Some(extensions) = extensions {
                self.report(bytes, name, verdict, removed, false, extensions);
            }
            if !removed {
                kept.push(std::mem::replace(value, HeaderValue::from_static("")));
            }
        }
        summary.removed = summary.judged - kept.len();
        // `HeaderMap` has no `retain`: the entry's values are replaced in place (appended by
        // name reference: not the instance of `append` the hot filter uses).
        let mut kept = kept.into_iter();
        match kept.next() {
            Some(first) => {
                entry.insert(first);
                for value in kept {
                    headers.append(&SET_COOKIE, value);
                }
            }
            None => {
                entry.remove();
            }
        }
        summary
    }

    /// The deletions of a response that records a consent: of `deletions`, those the
    /// recorded consent refuses too, then those of every cookie the request carries and the
    /// recorded consent refuses (for the hook too in report-only mode when `layer`).
    #[inline(never)]
    fn apply_recorded(
        &self,
        deletions: &mut Vec<HeaderValue>,
        recorded: &Recorded<'_>,
        layer: bool,
    ) {
        // The visitor is recording a choice (or the site renews the consent cookie): keep
        // only the deletions that the new choice refuses too...
        let before = deletions.len();
        deletions.retain(|d| match parse_set_cookie(d.as_bytes()) {
            SetCookie::Cookie { name, .. } => !self.judge(name, recorded.consent).is_allowed(),
            SetCookie::Ignored => false,
        });
        if deletions.len() < before {
            tracing::debug!(
                target: "tower_cookie_consent",
                dropped = before - deletions.len(),
                "the response records a consent that allows these cookies: not deleted",
            );
        }
        // ...and delete at once what it refuses of the cookies the request carries.
        if self.deletes_refused() {
            let would = self.is_report_only() && self.has_hook() && layer;
            let before = deletions.len();
            let mut host = recorded.host.clone();
            *deletions = self.push_refused(
                std::mem::take(deletions),
                recorded.uri,
                recorded.request,
                RequestCookies::new(recorded.request),
                recorded.consent,
                would,
                &mut host,
            );
            if deletions.len() > before {
                tracing::debug!(
                    target: "tower_cookie_consent",
                    added = deletions.len() - before,
                    "the response records a consent that refuses stored cookies: deleted now",
                );
            }
        }
    }

    /// Reports one deletion (appended, or in report-only mode would be) to the hook, with
    /// the refusal the given consent gives the cookie; nothing without a hook or outside the
    /// layer.
    fn report_deletion(&self, deletion: &HeaderValue, layer: Option<(&Consent, &Extensions)>) {
        let Some((consent, extensions)) = layer.filter(|_| self.has_hook()) else {
            return;
        };
        let name = deletion_name(deletion.as_bytes());
        let verdict = self.judge(name, consent);
        self.report(deletion.as_bytes(), name, verdict, false, true, extensions);
    }

    /// [`report_event`](Self::report_event) for the response side (one call site of it, so
    /// the hot filter's stays inlined).
    #[inline(never)]
    fn report(
        &self,
        set_cookie: &[u8],
        name: &[u8],
        verdict: crate::Verdict,
        removed: bool,
        deletion: bool,
        extensions: &Extensions,
    ) {
        self.report_event(set_cookie, name, verdict, removed, deletion, extensions);
    }

    /// The consent a response records, with the request headers it was read with: `None`
    /// when the response sets or deletes no consent cookie (then `request` is not called).
    /// See [`consent_set_by`](Self::consent_set_by); with `allowed_by`, a consent
    /// `Set-Cookie` that consent refuses (a field folding a refused cookie) is left out, as
    /// the filter removes it.
    pub(crate) fn recorded_consent<'r>(
        &self,
        headers: &HeaderMap,
        allowed_by: Option<&Consent>,
        scope: impl FnOnce() -> RecordScope,
        request: impl FnOnce() -> Cow<'r, HeaderMap>,
    ) -> Option<(Consent, Cow<'r, HeaderMap>)> {
        let changed = self.consent_changes(headers, allowed_by, scope);
        if changed.is_empty() {
            return None;
        }
        let request = request();
        let consent = self.consent_set_by(&changed, &request)?;
        Some((consent, request))
    }

    /// The consent cookies a response sets (`Some(value)`) or deletes (`None`): the last
    /// `Set-Cookie` of each name. A consent `Set-Cookie` with a `Domain` attribute, or a
    /// `Path` other than `/`, might not reach the next request and is left out. Empty (no
    /// allocation) when the response changes no consent cookie.
    fn consent_changes<'h>(
        &self,
        headers: &'h HeaderMap,
        allowed_by: Option<&Consent>,
        scope: impl FnOnce() -> RecordScope,
    ) -> Vec<(&'h [u8], Option<&'h [u8]>)> {
        let mut now = None;
        let mut scope = Some(scope);
        let mut request_scope: Option<RecordScope> = None;
        let mut changed: Vec<(&[u8], Option<&[u8]>)> = Vec::new();
        for v in headers.get_all(SET_COOKIE) {
            if !self.may_set_consent_cookie(v.as_bytes()) {
                continue;
            }
            let SetCookie::Cookie {
                name,
                value,
                attributes,
            } = parse_set_cookie(v.as_bytes())
            else {
                continue;
            };
            if !self.is_consent_cookie(name) {
                continue;
            }
            let request_scope = request_scope.get_or_insert_with(|| match scope.take() {
                Some(scope) => scope(),
                None => RecordScope::unknown(),
            });
            if !request_scope.comes_back(attributes) {
                continue;
            }
            // The time the filter and browsers judge an `Expires` against: the response's
            // `Date`, else the clock.
            let now = *now.get_or_insert_with(|| Clock::of_response(headers).now());
            if allowed_by.is_some_and(|c| !self.judge_set_cookie(v.as_bytes(), c, now).is_allowed())
            {
                continue;
            }
            let value = (!crate::set_cookie::is_deletion(attributes, now)).then_some(value);
            match changed.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = value,
                None => changed.push((name, value)),
            }
        }
        changed
    }

    /// The consent the next request will carry when the response sets or deletes the consent
    /// cookie: the `request`'s own `Cookie` fields and `Sec-GPC` header, with the `changed`
    /// consent cookies (from [`consent_changes`](Self::consent_changes)) laid over them.
    fn consent_set_by(
        &self,
        changed: &[(&[u8], Option<&[u8]>)],
        request: &HeaderMap,
    ) -> Option<Consent> {
        let mut next = HeaderMap::new();
        for field in request.get_all(COOKIE) {
            let kept: Vec<&[u8]> = segments(field.as_bytes())
                .filter(|pair| {
                    pair_name(pair).is_none_or(|n| !changed.iter().any(|(c, _)| *c == n))
                })
                .collect();
            if !kept.is_empty() {
                next.append(
                    COOKIE,
                    HeaderValue::from_bytes(&kept.join(&b"; "[..])).ok()?,
                );
            }
        }
        let set: Vec<Vec<u8>> = changed
            .iter()
            .filter_map(|(name, value)| value.map(|v| [*name, b"=", v].concat()))
            .collect();
        if !set.is_empty() {
            next.append(COOKIE, HeaderValue::from_bytes(&set.join(&b"; "[..])).ok()?);
        }
        for gpc in request.get_all(SEC_GPC) {
            next.append(SEC_GPC, gpc.clone());
        }
        Some(self.read_consent_at(&next, std::time::SystemTime::now()))
    }
}

/// A consent the response records, and the request it is applied to.
#[derive(Debug)]
pub(crate) struct Recorded<'a> {
    pub(crate) consent: &'a Consent,
    pub(crate) uri: &'a Uri,
    pub(crate) request: &'a HeaderMap,
    /// The request's host, when parsed already (else read from `uri` and `request`).
    pub(crate) host: Option<ParsedHost>,
}

/// Where the request was made, as far as it decides whether a consent cookie the response
/// sets comes back with the next requests to the site: the request's host (the `Domain`
/// attributes it accepts) and whether its default-path (RFC 6265bis §5.1.4) is `/`.
#[derive(Debug)]
pub(crate) struct RecordScope {
    // `None`: nothing is known, and any `Domain` is taken as coming back.
    host: Option<RequestHost>,
    root_default_path: bool,
}

impl RecordScope {
    /// The scope of a request to `host` whose default-path is `/` or not
    /// ([`root_default_path`]).
    pub(crate) fn new(host: ParsedHost, root_default_path: bool) -> Self {
        Self {
            host: Some(host.0),
            root_default_path,
        }
    }

    /// Nothing known of the request (it kept nothing: it carried no cookie, or nothing can
    /// be deleted): every consent cookie counts as recorded. That can only narrow what the
    /// response lets through; there is nothing to delete.
    pub(crate) fn unknown() -> Self {
        Self {
            host: None,
            root_default_path: true,
        }
    }

    /// Whether a consent cookie set with these cookie attributes comes back with the next
    /// requests to the site, as a browser stores it (RFC 6265bis §5.6.3–§5.6.4): every
    /// `Domain` attribute one the host domain-matches and not a public suffix (an empty one
    /// is ignored, as browsers do; none is accepted when the request named no host), every
    /// `Path` attribute `/`; a `Path` that is absent, empty or not starting with `/` means
    /// the default-path, which must be `/`.
    fn comes_back(&self, attributes: &[u8]) -> bool {
        // A `/` path given, and a path given that means the default-path.
        let (mut root, mut default) = (false, false);
        let scoped = attributes.split(|&b| b == b';').all(|av| {
            let (name, value) = match av.iter().position(|&b| b == b'=') {
                Some(i) => (trim_wsp(&av[..i]), trim_wsp(&av[i + 1..])),
                None => (trim_wsp(av), &av[av.len()..]),
            };
            if name.eq_ignore_ascii_case(b"domain") {
                // A request without a known host accepts no `Domain` (it cannot be checked).
                value.is_empty()
                    || match &self.host {
                        None => true,
                        Some(RequestHost::Unknown) => false,
                        Some(host) => {
                            std::str::from_utf8(value).is_ok_and(|d| host.declared(d).is_some())
                        }
                    }
            } else if name.eq_ignore_ascii_case(b"path") {
                match value.first() {
                    Some(b'/') => {
                        root = true;
                        value == b"/"
                    }
                    _ => {
                        default = true;
                        true
                    }
                }
            } else {
                true
            }
        });
        scoped && ((root && !default) || self.root_default_path)
    }
}

/// Whether the default-path of a request-target's path (RFC 6265bis §5.1.4) is `/`: the
/// path is empty, does not start with `/`, or holds a single `/`.
pub(crate) fn root_default_path(path: &str) -> bool {
    path.rfind('/').is_none_or(|i| i == 0)
}

/// The cookie-name a deletion (as the layer writes it: `name=; ...`) deletes.
fn deletion_name(deletion: &[u8]) -> &[u8] {
    let end = memchr::memchr(b'=', deletion).unwrap_or(deletion.len());
    &deletion[..end]
}

/// Appends `Vary: Cookie` to `headers` unless a `Vary` field already lists `Cookie` or `*`
/// (compared ASCII case-insensitively, across every `Vary` field and every comma-separated
/// member; RFC 9110 §12.5.5). Returns whether it appended. Other `Vary` fields are kept.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::VARY};
/// use tower_cookie_consent::append_vary_cookie;
///
/// let mut headers = HeaderMap::new();
/// headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
/// assert!(append_vary_cookie(&mut headers));
/// assert!(!append_vary_cookie(&mut headers));
/// let vary: Vec<_> = headers.get_all(VARY).iter().collect();
/// assert_eq!(vary, ["Accept-Encoding", "Cookie"]);
/// ```
pub fn append_vary_cookie(headers: &mut HeaderMap) -> bool {
    let listed = headers.get_all(VARY).iter().any(|field| {
        field
            .as_bytes()
            .split(|&b| b == b',')
            .map(trim_wsp)
            .any(|member| member == b"*" || member.eq_ignore_ascii_case(b"cookie"))
    });
    if !listed {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
    !listed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_members_are_compared_case_insensitively_across_fields() {
        for existing in [
            &["Cookie"][..],
            &["cookie"],
            &["Accept-Encoding, COOKIE"],
            &["Accept-Encoding", " Cookie "],
            &["*"],
            &["Origin", "Accept, *"],
        ] {
            let mut headers = HeaderMap::new();
            for v in existing {
                headers.append(VARY, HeaderValue::from_str(v).unwrap());
            }
            assert!(!append_vary_cookie(&mut headers), "{existing:?}");
            assert_eq!(headers.get_all(VARY).iter().count(), existing.len());
        }
        let mut headers = HeaderMap::new();
        headers.append(VARY, HeaderValue::from_static("Cookies, X-Cookie"));
        assert!(append_vary_cookie(&mut headers));
        let vary: Vec<_> = headers.get_all(VARY).iter().collect();
        assert_eq!(vary, ["Cookies, X-Cookie", "Cookie"]);
    }
}
