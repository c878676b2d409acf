//! Scrubbing refused cookies from the request's `Cookie` fields before the inner service
//! sees them.

use http::header::{Entry, COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::consent::Consent;
use crate::cookie_header::trim_wsp;
use crate::enforcer::Enforcer;
use crate::registry::UnknownPolicy;

impl Enforcer {
    /// Removes from the request's `Cookie` field(s) every cookie-pair `consent` does not
    /// allow, and returns how many pairs that is. The layer calls it before the inner service
    /// when [`scrub_request`](crate::Builder::scrub_request) is on.
    ///
    /// A pair is kept when [`judge`](Self::judge) allows its cookie-name: the consent cookie,
    /// exempt and strictly necessary cookies, granted ones, and undeclared ones the
    /// unknown-cookie policy lets through. A piece the cookie-pair grammar cannot read (no
    /// `=`, an empty name, a name with SP or a control character) is an unknown cookie
    /// without a name: kept only when the unknown-cookie policy allows unknown cookies.
    /// Unlike deletion, scrubbing also applies to undecided and unreadable consents: hiding a
    /// cookie from the application never loses it.
    ///
    /// A field without a refused pair is left as it is. Otherwise it is rewritten with the
    /// kept pairs, each byte for byte (non-UTF-8 bytes included), joined by `"; "`, and
    /// dropped if none is left; the order of fields and pairs is kept. Nothing allocates when
    /// nothing is removed. In report-only mode nothing is removed (the count is still
    /// returned).
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header::COOKIE};
    /// use tower_cookie_consent::{Consent, CookieConsentLayer, Declaration, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("sessionid").category("necessary"))
    ///     .cookie(Declaration::exact("_ga").category("statistics"))
    ///     .build()?;
    /// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.append(COOKIE, HeaderValue::from_static("_ga=GA1.1.1; sessionid=abc"));
    /// headers.append(COOKIE, HeaderValue::from_static("_ga=GA1.1.2"));
    /// assert_eq!(enforcer.scrub_request_cookies(&mut headers, &Consent::undecided()), 2);
    /// let left: Vec<_> = headers.get_all(COOKIE).iter().collect();
    /// assert_eq!(left, ["sessionid=abc"]);
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn scrub_request_cookies(&self, headers: &mut HeaderMap, consent: &Consent) -> usize {
        let refused: usize = headers
            .get_all(COOKIE)
            .iter()
            .map(|field| {
                segments(field.as_bytes())
                    .filter(|pair| !self.keeps_pair(pair, consent))
                    .count()
            })
            .sum();
        if refused == 0 {
            return 0;
        }
        if self.is_report_only() {
            tracing::debug!(
                target: "tower_cookie_consent",
                pairs = refused,
                "request cookies would be scrubbed",
            );
            return refused;
        }
        if let Entry::Occupied(entry) = headers.entry(COOKIE) {
            let (_, fields) = entry.remove_entry_mult();
            let kept: Vec<HeaderValue> = fields
                .filter_map(|field| self.scrub_field(field, consent))
                .collect();
            for field in kept {
                headers.append(COOKIE, field);
            }
        }
        tracing::debug!(
            target: "tower_cookie_consent",
            pairs = refused,
            "request cookies scrubbed",
        );
        refused
    }

    fn keeps_pair(&self, pair: &[u8], consent: &Consent) -> bool {
        match pair_name(pair) {
            Some(name) => self.judge(name, consent).is_allowed(),
            None => match self.unknown {
                UnknownPolicy::Block => false,
                UnknownPolicy::Allow => true,
                UnknownPolicy::Category(c) => {
                    !self.registry().category(c).is_consent_required()
                        || consent.is_category_granted(c)
                }
            },
        }
    }

    fn scrub_field(&self, field: HeaderValue, consent: &Consent) -> Option<HeaderValue> {
        let bytes = field.as_bytes();
        if segments(bytes).all(|pair| self.keeps_pair(pair, consent)) {
            return Some(field);
        }
        let mut out = Vec::with_capacity(bytes.len());
        for pair in segments(bytes).filter(|pair| self.keeps_pair(pair, consent)) {
            if !out.is_empty() {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(pair);
        }
        if out.is_empty() {
            return None;
        }
        // Sub-slices of a valid field joined by "; " are a valid field.
        HeaderValue::try_from(out).ok()
    }
}

/// The non-empty `;`-separated pieces of a `Cookie` field, trimmed of SP and HTAB.
pub(super) fn segments(field: &[u8]) -> impl Iterator<Item = &[u8]> {
    field
        .split(|&b| b == b';')
        .map(trim_wsp)
        .filter(|s| !s.is_empty())
}

/// The cookie-name of a trimmed cookie-pair, with the rules of
/// [`RequestCookies`]: `None` without `=`, for an empty name, or for a name holding SP, HTAB
/// or a control character.
pub(super) fn pair_name(pair: &[u8]) -> Option<&[u8]> {
    let eq = pair.iter().position(|&b| b == b'=')?;
    let name = trim_wsp(&pair[..eq]);
    if name.is_empty() || name.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return None;
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookie_header::RequestCookies;
    use proptest::prelude::*;

    proptest! {
        /// The scrubber reads the same cookie-names as `RequestCookies`.
        #[test]
        fn scrubber_reads_pairs_like_request_cookies(
            field in proptest::collection::vec(
                prop_oneof![
                    Just(b';'), Just(b'='), Just(b' '), Just(b'\t'), Just(b'a'), Just(b'b'),
                    Just(0xe9u8), Just(b','), Just(b'"'),
                ],
                0..40,
            )
        ) {
            let mut headers = HeaderMap::new();
            headers.append(COOKIE, HeaderValue::from_bytes(&field).unwrap());
            let expected: Vec<&[u8]> = RequestCookies::new(&headers).iter().map(|(n, _)| n).collect();
            let got: Vec<&[u8]> = segments(&field).filter_map(pair_name).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
