//! Withdrawal: deleting the cookies a visitor no longer allows, scrubbing them from the
//! request, and `Vary: Cookie` on the responses whose cookies depend on consent.
//!
//! Withdrawing consent must be as easy as giving it (GDPR art. 7(3)). A banner script cannot
//! delete `HttpOnly` cookies, nor cookies set for a parent domain it does not know; the server
//! can, by answering with deletions (RFC 6265bis §5.7: a `Set-Cookie` with the same name,
//! domain, host-only flag and path, and an expiry in the past, removes the stored cookie).

use http::{HeaderMap, HeaderValue, Uri};

use crate::consent::{CategorySet, Consent, ConsentState};
use crate::cookie_header::RequestCookies;
use crate::declaration::Match;
use crate::enforcer::{Builder, Enforcer};
use crate::registry::{Registry, Verdict};

mod index;
mod response;
mod scope;
mod scrub;

use index::RefusableIndex;
pub use response::append_vary_cookie;
pub(crate) use response::{root_default_path, RecordScope, Recorded};
use scope::{deletes, host_only_deletions, push_deletions, RequestHost};
pub use scope::{deletions_for, request_host};

/// A request's host as withdrawal parses it (the scopes its cookies may live in), kept for
/// the response.
#[derive(Debug, Clone)]
pub(crate) struct ParsedHost(RequestHost);

impl ParsedHost {
    /// The host of a request to `uri` with `headers`, as [`request_host`] finds it.
    pub(crate) fn of(uri: &Uri, headers: &HeaderMap) -> Self {
        Self(RequestHost::of(uri, headers))
    }

    /// The host named `raw` (a URI authority's host, or a single `Host` field; `None`: no
    /// host), or, with `several`, the invalid host of several `Host` fields.
    pub(crate) fn named(raw: Option<&[u8]>, several: bool) -> Self {
        Self(match several {
            true => RequestHost::HostOnly,
            false => RequestHost::parse(raw),
        })
    }
}

/// The default cap on the deletions one response carries: 32 `Set-Cookie` headers.
pub const DEFAULT_MAX_DELETIONS: usize = 32;

/// The withdrawal settings of an [`Enforcer`], set through the [`Builder`].
#[derive(Debug, Clone)]
pub(crate) struct Withdrawal {
    pub(crate) delete_refused: bool,
    pub(crate) max_deletions: usize,
    pub(crate) delete_for_undecided: bool,
    pub(crate) scrub_request: bool,
    pub(crate) vary_cookie: bool,
    /// The categories of the declarations that need consent: a consent granting all of
    /// them, and refusing no service, allows every declared cookie.
    consent_categories: CategorySet,
    /// Rules out, per consent, the request cookies that cannot be refused declared ones.
    index: RefusableIndex,
    /// Per declaration (by index), the host-only deletions of an exact cookie-name that
    /// needs consent, built once: a response clones them instead of writing them again.
    host_only: Vec<Box<[HeaderValue]>>,
}

impl Default for Withdrawal {
    fn default() -> Self {
        Self {
            delete_refused: true,
            max_deletions: DEFAULT_MAX_DELETIONS,
            delete_for_undecided: false,
            scrub_request: false,
            vary_cookie: true,
            consent_categories: CategorySet::EMPTY,
            index: RefusableIndex::empty(),
            host_only: Vec::new(),
        }
    }
}

impl Withdrawal {
    /// Resolves the settings against the registry the enforcer is built with.
    pub(crate) fn for_registry(mut self, registry: &Registry) -> Self {
        self.consent_categories = CategorySet::EMPTY;
        for declaration in registry.declarations() {
            if let Some(category) = registry.category_id(declaration.category_id()) {
                let required = declaration
                    .consent_required_override()
                    .unwrap_or(registry.category(category).is_consent_required());
                if required {
                    self.consent_categories.insert(category);
                }
            }
        }
        self.index = RefusableIndex::new(registry);
        self.host_only = registry
            .declarations()
            .iter()
            .enumerate()
            .map(|(i, declaration)| match declaration.matcher() {
                Match::Exact(name) if registry.requires_consent(i as u32) => {
                    host_only_deletions(name.as_bytes(), declaration).into_boxed_slice()
                }
                _ => Box::default(),
            })
            .collect();
        self
    }

    /// Whether `consent` allows every declared cookie, so that no scan is needed.
    fn allows_every_declared(&self, consent: &Consent) -> bool {
        consent
            .granted_categories()
            .intersection(self.consent_categories)
            == self.consent_categories
            && consent.refused_services().is_empty()
    }
}

impl Builder {
    /// Deletes, in the response, the stored cookies the visitor no longer allows (default
    /// `true`): when the request carries a cookie that the registry **declares** and the
    /// visitor's decided consent refuses, the response gets one deletion per scope the cookie
    /// may live in (see [`deletions_for`]). Undeclared cookies, the consent cookie and allowed
    /// cookies are never deleted; nothing is deleted while the consent cookie is present but
    /// unreadable ([`ConsentState::Unreadable`]), nor, by default, for undecided visitors (see
    /// [`delete_for_undecided`](Self::delete_for_undecided)).
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).delete_refused(false).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn delete_refused(mut self, yes: bool) -> Self {
        self.withdrawal.delete_refused = yes;
        self
    }

    /// Caps the deletions (`Set-Cookie` headers) one response carries (default
    /// [`DEFAULT_MAX_DELETIONS`], 32); `0` deletes nothing. Cookies past the cap stay until a
    /// later response: a cookie that is deleted is no longer sent, so each response makes
    /// room for the next ones.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).max_deletions(8).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn max_deletions(mut self, max: usize) -> Self {
        self.withdrawal.max_deletions = max;
        self
    }

    /// Also deletes refused cookies of visitors who have not decided (default `false`): no
    /// consent cookie, or a consent older than the maximum age or of another registry
    /// revision. Every declared cookie that needs consent is then deleted, which suits sites
    /// whose tags ran before asking. A Global Privacy Control signal (`Sec-GPC: 1`, when
    /// [`gpc`](Self::gpc) is on) is a decision of its own: the cookies it switches off (the
    /// [sale or sharing](crate::Category::sale_or_sharing) categories and their services)
    /// are deleted for undecided visitors whatever this setting.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).delete_for_undecided(true).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn delete_for_undecided(mut self, yes: bool) -> Self {
        self.withdrawal.delete_for_undecided = yes;
        self
    }

    /// Removes the cookies the visitor does not allow from the request's `Cookie` field(s)
    /// before the inner service sees them (default `false`), so that application code cannot
    /// read what it may not use. See [`Enforcer::scrub_request_cookies`] for the rules; the
    /// consent cookie is never touched, and undeclared cookies follow the unknown-cookie
    /// policy (with the default [`UnknownCookies::Block`](crate::UnknownCookies::Block) they
    /// are removed too). Layers outside this one still see the original header.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).scrub_request(true).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn scrub_request(mut self, yes: bool) -> Self {
        self.withdrawal.scrub_request = yes;
        self
    }

    /// Appends `Vary: Cookie` to every response that carried a `Set-Cookie` (kept or removed)
    /// or carries deletions (default `true`): which of them reach the browser depends on the
    /// visitor's consent, so a shared cache must not serve one visitor's cookies to another
    /// (RFC 9111 §4.1). Nothing is added in report-only mode, or when a `Vary` field already
    /// lists `Cookie` or `*` (see [`append_vary_cookie`]).
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).vary_cookie(false).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn vary_cookie(mut self, yes: bool) -> Self {
        self.withdrawal.vary_cookie = yes;
        self
    }
}

/// Which refused cookies a consent lets the layer delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every declared cookie the consent refuses.
    All,
    /// Only those a Global Privacy Control signal switched off (undecided visitors).
    GpcOnly,
}

impl Enforcer {
    pub(crate) fn deletes_refused(&self) -> bool {
        self.withdrawal.delete_refused
    }

    pub(crate) fn scrubs_request(&self) -> bool {
        self.withdrawal.scrub_request
    }

    fn deletion_mode(&self, consent: &Consent) -> Option<Mode> {
        match consent.state() {
            ConsentState::Decided => Some(Mode::All),
            ConsentState::Undecided if self.withdrawal.delete_for_undecided => Some(Mode::All),
            ConsentState::Undecided if consent.gpc_applied() => Some(Mode::GpcOnly),
            _ => None,
        }
    }

    /// The verdict on a stored cookie that may be deleted: declared, not the consent cookie,
    /// refused (and, in `GpcOnly` mode, switched off by GPC).
    fn refused_stored(&self, name: &[u8], consent: &Consent, mode: Mode) -> Option<Verdict> {
        let verdict = self.judge(name, consent);
        let index = verdict.declaration_raw()?;
        if verdict.is_allowed() {
            return None;
        }
        if mode == Mode::GpcOnly {
            let registry = self.registry();
            let (category, service) = registry.classify(index);
            let gpc = registry.sale_or_sharing().contains(category)
                || service.is_some_and(|s| consent.refused_services().contains(s));
            if !gpc {
                return None;
            }
        }
        Some(verdict)
    }

    /// The deletions a response to this request must carry: for each cookie of the request
    /// (every `Cookie` field) that the registry declares and `consent` refuses, one deletion
    /// per scope it may live in, as [`deletions_for`] builds them for the request's host
    /// ([`request_host`]: the URI's authority, else the `Host` field; several `Host` fields,
    /// or one that is not a valid host, leave host-only deletions). The layer appends them
    /// to the response (see [`finish_response`](Self::finish_response)).
    ///
    /// Empty, without allocating, when: the consent is [unreadable](ConsentState::Unreadable)
    /// (fail closed for new cookies, but do not wipe what may have been accepted); the visitor
    /// is [undecided](ConsentState::Undecided) and neither
    /// [`delete_for_undecided`](Builder::delete_for_undecided) nor a GPC signal applies; no
    /// declared cookie of the request is refused. Never for undeclared cookies, the consent
    /// cookie, or cookies the consent allows (exempt, strictly necessary, granted category or
    /// service). A cookie-name sent twice is deleted once. At most
    /// [`max_deletions`](Builder::max_deletions) values. In report-only mode, empty: each
    /// cookie that would be deleted is logged (`tracing`, debug level) instead. Does not look
    /// at [`delete_refused`](Builder::delete_refused): that switch is the layer's.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, Uri, header::{COOKIE, HOST}};
    /// use tower_cookie_consent::{CookieConsentLayer, Declaration, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("_ga").category("statistics"))
    ///     .build()?;
    /// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(HOST, HeaderValue::from_static("www.example.com"));
    /// headers.insert(COOKIE, HeaderValue::from_static(
    ///     "cookies_preferences=%7B%22statistics%22%3Afalse%7D; _ga=GA1.1.1; other=1",
    /// ));
    /// let consent = enforcer.read_consent(&headers);
    /// let deletions = enforcer.deletions(&Uri::from_static("/"), &headers, &consent);
    /// assert_eq!(deletions, [
    ///     "_ga=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ///     "_ga=; Domain=www.example.com; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ///     "_ga=; Domain=example.com; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    /// ]);
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn deletions(&self, uri: &Uri, headers: &HeaderMap, consent: &Consent) -> Vec<HeaderValue> {
        self.deletions_with(uri, headers, consent, false)
    }

    /// [`deletions`](Self::deletions); in report-only mode, with `would` the deletions are
    /// built all the same (the layer reports them to the hook, and appends none).
    pub(crate) fn deletions_with(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        consent: &Consent,
        would: bool,
    ) -> Vec<HeaderValue> {
        self.push_refused(
            Vec::new(),
            uri,
            headers,
            RequestCookies::new(headers),
            consent,
            would,
            &mut None,
        )
    }

    /// [`deletions_with`](Self::deletions_with), appended to `out`: a cookie-name `out`
    /// already deletes is skipped, and `out` grows to at most
    /// [`max_deletions`](Builder::max_deletions) values. The response side uses it to add
    /// the deletions of a consent the response records to those of the request's consent.
    /// `cookies` are the `Cookie` fields of `headers`; `host` is the request's host once
    /// parsed (from `uri` and `headers` at the first deletion, unless given).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push_refused(
        &self,
        mut out: Vec<HeaderValue>,
        uri: &Uri,
        headers: &HeaderMap,
        cookies: RequestCookies<'_>,
        consent: &Consent,
        would: bool,
        host: &mut Option<ParsedHost>,
    ) -> Vec<HeaderValue> {
        let Some(mode) = self.deletion_mode(consent) else {
            return out;
        };
        let max = self.withdrawal.max_deletions;
        if max == 0 || self.withdrawal.allows_every_declared(consent) {
            return out;
        }
        // One pass over the request's cookies; nothing is allocated unless a refused
        // cookie is held (the host is parsed, and the list grows, at the first one).
        let refusable = self.withdrawal.index.refusable(consent);
        if refusable.is_empty() {
            return out;
        }
        for name in cookies.names() {
            if !refusable.may_refuse(name) {
                continue; // cannot be a declared cookie this consent refuses
            }
            let Some(verdict) = self.refused_stored(name, consent, mode) else {
                continue;
            };
            if self.is_report_only() && !would {
                self.trace_deletion(name, verdict, 0);
                continue;
            }
            // Each name once, however many copies the browser sent (every copy is deleted
            // by the same values).
            if out.iter().any(|d| deletes(d, name)) {
                continue;
            }
            if out.len() >= max {
                tracing::debug!(
                    target: "tower_cookie_consent",
                    cookie_name = %String::from_utf8_lossy(name),
                    max_deletions = max,
                    "deletion cap reached; the cookie is left for a later response",
                );
                continue;
            }
            let declaration = verdict
                .declaration_index()
                .map(|i| &self.registry().declarations()[i]);
            // Built for the declared name: used only for that very name.
            let host_only = verdict
                .declaration_index()
                .and_then(|i| self.withdrawal.host_only.get(i))
                .filter(|built| built.first().is_some_and(|d| deletes(d, name)))
                .map(|built| &built[..]);
            let host = &host.get_or_insert_with(|| ParsedHost::of(uri, headers)).0;
            let before = out.len();
            push_deletions(&mut out, max, name, declaration, host, host_only);
            self.trace_deletion(name, verdict, out.len() - before);
        }
        out
    }

    fn trace_deletion(&self, name: &[u8], verdict: Verdict, scopes: usize) {
        let registry = self.registry();
        tracing::debug!(
            target: "tower_cookie_consent",
            cookie_name = %String::from_utf8_lossy(name),
            category = verdict
                .declaration_raw()
                .map(|i| registry.category(registry.classify(i).0).id()),
            reason = verdict.reason().as_str(),
            scopes,
            report_only = self.is_report_only(),
            "{}",
            if self.is_report_only() {
                "stored cookie would be deleted"
            } else {
                "stored cookie deleted"
            },
        );
    }
}
