//! The response side of withdrawal: deletions appended, a consent recorded by the response
//! itself, and `Vary: Cookie`.

use http::header::{GetAll, COOKIE, SET_COOKIE, VARY};
use http::{Extensions, HeaderMap, HeaderValue};

use super::scrub::{pair_name, segments};
use crate::consent::Consent;
use crate::cookie_header::trim_wsp;
use crate::enforcer::{Enforcer, FilterSummary, SEC_GPC};
use crate::set_cookie::{parse_set_cookie, SetCookie};

impl Enforcer {
    /// Finishes a response after [`filter`](Self::filter): appends `deletions` (from
    /// [`deletions`](Self::deletions)) to its `Set-Cookie` headers, then `Vary: Cookie` when
    /// the filter judged a `Set-Cookie` or a deletion was appended (and
    /// [`vary_cookie`](crate::Builder::vary_cookie) is on). Returns how many deletions were appended.
    ///
    /// A deletion equal, byte for byte, to a `Set-Cookie` already present is not repeated;
    /// in report-only mode none is appended (and no `Vary` is added).
    /// When the response sets or deletes the consent cookie (the visitor records a new
    /// choice, or the site renews the cookie), the consent of the next request is read: the
    /// `request` headers as the browser sent them (its `Cookie` fields and `Sec-GPC`), with
    /// the response's consent cookies laid over them (the last of each name; a `Domain` or a
    /// `Path` other than `/` is left out, as it may not come back). Only the deletions that
    /// consent refuses too are kept: a new grant is not wiped in the very response that
    /// records it, and renewing the cookie never blocks withdrawal.
    ///
    /// The layer also reports each appended deletion to the
    /// [`OnCookieEvent`](crate::OnCookieEvent) hook ([`CookieEvent::deletion`](crate::CookieEvent::deletion));
    /// this function, which is not given the consent, does not.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header::{SET_COOKIE, VARY}};
    /// use tower_cookie_consent::{CookieConsentLayer, FilterSummary, Registry};
    ///
    /// let registry = Registry::builder().default_categories().build()?;
    /// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
    /// let mut headers = HeaderMap::new();
    /// let deletion = HeaderValue::from_static("_ga=; Path=/; Max-Age=0");
    /// let request = HeaderMap::new(); // the request's headers (its `Cookie` and `Sec-GPC`)
    /// let appended =
    ///     enforcer.finish_response(&mut headers, &FilterSummary::default(), vec![deletion], &request);
    /// assert_eq!(appended, 1);
    /// assert_eq!(headers[SET_COOKIE], "_ga=; Path=/; Max-Age=0");
    /// assert_eq!(headers[VARY], "Cookie");
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn finish_response(
        &self,
        headers: &mut HeaderMap,
        summary: &FilterSummary,
        deletions: Vec<HeaderValue>,
        request: &HeaderMap,
    ) -> usize {
        let cookie = Fields::of(request.get_all(COOKIE));
        let gpc = Fields::of(request.get_all(SEC_GPC));
        self.finish_response_with(headers, summary, deletions, &cookie, &gpc, None)
    }

    /// [`finish_response`](Self::finish_response) as the layer calls it (`layer` is
    /// `Some`): `summary` is the filter's own, and each appended deletion is reported to the
    /// [`OnCookieEvent`](crate::OnCookieEvent) hook with the refusal the `consent` gives it
    /// and the response's `extensions`. The request's `Cookie` and `Sec-GPC` fields are
    /// given as [`Fields`].
    pub(crate) fn finish_response_with(
        &self,
        headers: &mut HeaderMap,
        summary: &FilterSummary,
        deletions: Vec<HeaderValue>,
        request_cookie: &Fields,
        request_gpc: &Fields,
        layer: Option<(&Consent, &Extensions)>,
    ) -> usize {
        let mut appended = 0;
        let mut deletions = deletions;
        if !deletions.is_empty() {
            // The layer's own summary says whether a consent cookie is set at all; a caller's
            // summary may not come from `filter`, so every value is read then.
            let may_record = layer.is_none() || summary.consent_cookie;
            let new_consent = may_record
                .then(|| self.consent_set_by(headers, request_cookie, request_gpc))
                .flatten();
            if let Some(new_consent) = new_consent {
                // The visitor is recording a choice (or the site renews the consent cookie):
                // keep only the deletions that the new choice refuses too.
                let before = deletions.len();
                deletions.retain(|d| match parse_set_cookie(d.as_bytes()) {
                    SetCookie::Cookie { name, .. } => !self.judge(name, &new_consent).is_allowed(),
                    SetCookie::Ignored => false,
                });
                if deletions.len() < before {
                    tracing::debug!(
                        target: "tower_cookie_consent",
                        dropped = before - deletions.len(),
                        "the response records a consent that allows these cookies: not deleted",
                    );
                }
            }
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

    /// Reports one deletion (appended, or in report-only mode would be) to the hook, with
    /// the refusal the layer's consent gives the cookie; nothing without a hook or outside the
    /// layer.
    fn report_deletion(&self, deletion: &HeaderValue, layer: Option<(&Consent, &Extensions)>) {
        let Some((consent, extensions)) = layer.filter(|_| self.has_hook()) else {
            return;
        };
        let name = deletion_name(deletion.as_bytes());
        let verdict = self.judge(name, consent);
        self.report_event(deletion.as_bytes(), name, verdict, false, true, extensions);
    }

    /// The consent the next request will carry when the response sets or deletes the consent
    /// cookie: the request's own `Cookie` fields and `Sec-GPC` header, with the consent
    /// cookies this response sets (the last one of each name; a deletion removes it) laid
    /// over them. A consent `Set-Cookie` with a `Domain` attribute, or a `Path` other than
    /// `/`, might not reach the next request and is left out. `None` when the response
    /// changes no consent cookie.
    fn consent_set_by(
        &self,
        headers: &HeaderMap,
        request_cookie: &Fields,
        request_gpc: &Fields,
    ) -> Option<Consent> {
        let mut now = None;
        // (name, Some(value) set | None deleted), last one per name.
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
            if !self.is_consent_cookie(name) || !default_scope(attributes) {
                continue;
            }
            let now = *now.get_or_insert_with(std::time::SystemTime::now);
            let value = (!crate::set_cookie::is_deletion(attributes, now)).then_some(value);
            match changed.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = value,
                None => changed.push((name, value)),
            }
        }
        if changed.is_empty() {
            return None;
        }
        let mut next = HeaderMap::new();
        for field in request_cookie.iter() {
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
        for gpc in request_gpc.iter() {
            next.append(SEC_GPC, gpc.clone());
        }
        Some(self.read_consent_at(&next, now.unwrap_or_else(std::time::SystemTime::now)))
    }
}

/// Whether a set-cookie-string's attributes keep the default scope a consent cookie is read
/// in: no `Domain`, and no `Path` other than `/`.
fn default_scope(attributes: &[u8]) -> bool {
    attributes.split(|&b| b == b';').all(|av| {
        let (name, value) = match av.iter().position(|&b| b == b'=') {
            Some(i) => (trim_wsp(&av[..i]), trim_wsp(&av[i + 1..])),
            None => (trim_wsp(av), &av[av.len()..]),
        };
        !name.eq_ignore_ascii_case(b"domain")
            && (!name.eq_ignore_ascii_case(b"path") || value == b"/")
    })
}

/// The values of one request header kept for the response: the first inline (a single
/// `Cookie` field is the usual case over HTTP/1.1), any others in a list.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    first: Option<HeaderValue>,
    more: Vec<HeaderValue>,
}

impl Fields {
    pub(crate) fn of(values: GetAll<'_, HeaderValue>) -> Self {
        let mut values = values.iter();
        Self {
            first: values.next().cloned(),
            more: values.cloned().collect(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &HeaderValue> {
        self.first.iter().chain(&self.more)
    }
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
